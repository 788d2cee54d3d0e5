//! `registry export`: a stored registry's whole record for an auditor, in JSON Lines or CSV;
//! and the reader of a stored registry that every `registry` command uses, which takes an
//! export back too.

use std::path::{Path, PathBuf};

use crate::text::esc;
use clap::ValueEnum;
use modelgate::registry::StoredRegistry;
use modelgate::registry::export::{self, ExportError, Format as ExportFormat};
use modelgate::trail::SealVerifier;

use crate::stored::seal_keys;
use crate::{CliError, read};

/// The formats of an auditor's export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum To {
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row (formula-like cells guarded with a leading `'`).
    Csv,
}

/// The stored registry in `file`: its JSON, or an export in JSON Lines or CSV, read back
/// (refused if a row says anything the record does not).
///
/// # Errors
///
/// [`CliError::Io`], or [`CliError::Parse`] naming the line and column of an export.
pub(crate) fn load(file: &Path) -> Result<StoredRegistry, CliError> {
    let text = read(file)?;
    let parse = |why: String| CliError::Parse {
        file: file.display().to_string(),
        why,
    };
    let first = text.lines().next().unwrap_or_default();
    let format = if first.starts_with("record,") {
        Some(ExportFormat::Csv)
    } else if first.starts_with("{\"record\":") {
        Some(ExportFormat::JsonLines)
    } else {
        None
    };
    match format {
        Some(format) => format.read(&text).map_err(|e| match e {
            ExportError::Differs { .. } | ExportError::Chain { .. } => CliError::Edited {
                file: file.display().to_string(),
                why: e.to_string(),
            },
            _ => parse(e.to_string()),
        }),
        None => serde_json::from_str(&text).map_err(|e| parse(e.to_string())),
    }
}

/// Writes the export of the stored registry in `file` to stdout, after its index seal and
/// every member's chain and seal verify under the keys (nothing is written otherwise).
///
/// # Errors
///
/// [`CliError`] if the record or a key file cannot be read.
pub fn export(file: &Path, key_files: &[PathBuf], to: To) -> Result<u8, CliError> {
    let stored = load(file)?;
    let keys = seal_keys(key_files)?;
    if let Err(why) = verify_seals(&stored, &keys) {
        eprintln!("refused: registry {}: {why}", esc(stored.name()));
        return Ok(1);
    }
    let text = match to {
        To::Jsonl => export::json_lines(&stored),
        To::Csv => export::csv(&stored),
    };
    print!("{text}");
    Ok(0)
}

fn verify_seals(stored: &StoredRegistry, keys: &impl SealVerifier) -> Result<(), String> {
    let seal = stored.seal().ok_or("the index is not sealed")?;
    keys.verify(&stored.index(), seal)
        .map_err(|e| format!("the index's seal: {e}"))?;
    for member in stored.members() {
        member.verify(keys).map_err(|e| {
            format!(
                "version {} in {}: {e}",
                esc(member.version()),
                esc(member.environment().name())
            )
        })?;
    }
    Ok(())
}
