//! `modelgate reseal`: a stored model or registry sealed again under a new key, after a
//! rotation, keeping the old seals as evidence.

use std::path::Path;

use modelgate::registry::StoredRegistry;
use modelgate::trail::Seal;
use modelgate::{Head, SealVerifier, Sealer, StoredModel};
use serde_json::json;

use crate::stored::{load, seal_keys};
use crate::text::esc;
use crate::{CliError, Format, keys};

/// What `reseal` was given: the record, the keys that verify its seals now (the old ones, with
/// their validity), the new key, where the old seals go.
pub(crate) struct Reseal<'a> {
    pub(crate) stored: &'a Path,
    pub(crate) keys: &'a [std::path::PathBuf],
    pub(crate) to: &'a Path,
    pub(crate) evidence: &'a Path,
}

/// `reseal`: writes the resealed record on stdout and the old seals to the evidence file; exit 1
/// if the record's chain or seal does not verify (nothing is written).
///
/// # Errors
///
/// [`CliError`] if a file cannot be read or written.
pub(crate) fn reseal(args: &Reseal<'_>, format: Format) -> Result<u8, CliError> {
    let verifier = seal_keys(args.keys)?;
    let sealer = keys::sealer(args.to)?;
    let value: serde_json::Value = load(args.stored)?;
    let done = if value.get("members").is_some() {
        let stored: StoredRegistry = load(args.stored)?;
        registry(stored, &verifier, sealer.as_ref())
    } else {
        let stored: StoredModel = load(args.stored)?;
        model(stored, &verifier, sealer.as_ref())
    };
    let (record, old) = match done {
        Ok(done) => done,
        Err(why) => {
            match format {
                Format::Json => println!("{}", crate::pretty(&json!({"ok": false, "error": why}))),
                Format::Human => eprintln!("refused: {}", esc(&why)),
            }
            return Ok(1);
        }
    };
    let evidence = json!({
        "record": args.stored.display().to_string(),
        "old_seals": old.iter().map(|(what, head, seal)| json!({
            "what": what, "head": head.to_string(), "seal": seal,
        })).collect::<Vec<_>>(),
    });
    let write = |file: &Path, text: String| {
        std::fs::write(file, text).map_err(|e| CliError::Io {
            file: file.display().to_string(),
            source: e,
        })
    };
    write(args.evidence, crate::pretty(&evidence))?;
    println!("{record}");
    if format == Format::Human {
        eprintln!(
            "resealed: {} seal(s) made again; the old ones are in `{}`",
            old.len(),
            esc(&args.evidence.display().to_string())
        );
    }
    Ok(0)
}

type Done = (String, Vec<(String, Head, Seal)>);

fn model(
    stored: StoredModel,
    verifier: &dyn SealVerifier,
    sealer: &dyn Sealer,
) -> Result<Done, String> {
    let what = format!(
        "model {} {} in {}",
        stored.name(),
        stored.version(),
        stored.environment().name()
    );
    let (resealed, old) = stored
        .resealed(verifier, sealer)
        .map_err(|refused| refused.error().to_string())?;
    let head = resealed.head();
    let text = serde_json::to_string(&resealed).map_err(|e| e.to_string())?;
    Ok((text, vec![(what, head, old)]))
}

fn registry(
    stored: StoredRegistry,
    verifier: &dyn SealVerifier,
    sealer: &dyn Sealer,
) -> Result<Done, String> {
    let (resealed, old) = stored
        .resealed(verifier, sealer)
        .map_err(|refused| refused.error().to_string())?;
    // The members' old seals in their stored order, then the index's.
    let mut seals = old.into_iter();
    let mut evidence = Vec::with_capacity(resealed.members().len().saturating_add(1));
    for (member, seal) in resealed.members().iter().zip(seals.by_ref()) {
        let what = format!(
            "member {} {} in {}",
            member.name(),
            member.version(),
            member.environment().name()
        );
        evidence.push((what, member.head(), seal));
    }
    if let Some(seal) = seals.next() {
        evidence.push((
            format!("index of {}", resealed.name()),
            resealed.index(),
            seal,
        ));
    }
    let text = serde_json::to_string(&resealed).map_err(|e| e.to_string())?;
    Ok((text, evidence))
}
