//! `modelgate log`: signed checkpoints of a store's log of heads, the proofs a deploy gate and
//! an auditor check, and `attest verify --checkpoint`'s check.
//!
//! A log file is the JSON array of the log's leaves, in order (what
//! `modelgate_store::Store::log_leaves` returns, serialized). A note key is in Go's
//! `golang.org/x/mod/sumdb/note` text form: `PRIVATE+KEY+<name>+<hash>+<base64>` to sign,
//! `<name>+<hash>+<base64>` to verify. A checkpoint's origin is the key's name unless
//! `--origin` says otherwise.

use std::path::{Path, PathBuf};

use modelgate::log::{
    Checkpoint, ConsistencyProof, HeadProof, Leaf, NoteSigner, NoteVerifier, Tree,
};
use serde_json::json;

use crate::text::esc;
use crate::{CliError, Format, read};

/// Where the log's trust comes from: the checkpoint held, and the key that signed it.
pub struct Anchor {
    /// The signed checkpoint file.
    pub checkpoint: PathBuf,
    /// The log's note verifier key file.
    pub log_key: PathBuf,
    /// The log's origin (default: the key's name).
    pub origin: Option<String>,
}

impl Anchor {
    /// The checkpoint, opened with the key: `Ok(Err(why))` if it is refused.
    ///
    /// # Errors
    ///
    /// [`CliError`] if a file cannot be read or the key is not a note verifier key.
    pub fn open(&self) -> Result<Result<Checkpoint, String>, CliError> {
        let verifier = verifier(&self.log_key)?;
        let note = read(&self.checkpoint)?;
        let origin = self
            .origin
            .clone()
            .unwrap_or_else(|| verifier.name().to_owned());
        Ok(Checkpoint::open(&note, &origin, &verifier).map_err(|e| {
            format!(
                "checkpoint `{}`: {e}",
                esc(&self.checkpoint.display().to_string())
            )
        }))
    }
}

fn key_error(file: &Path, why: impl ToString) -> CliError {
    CliError::Key {
        file: file.display().to_string(),
        why: why.to_string(),
    }
}

fn verifier(file: &Path) -> Result<NoteVerifier, CliError> {
    NoteVerifier::from_text(read(file)?.trim()).map_err(|e| key_error(file, e))
}

fn signer(file: &Path) -> Result<NoteSigner, CliError> {
    NoteSigner::from_text(read(file)?.trim()).map_err(|e| key_error(file, e))
}

fn parse<T: serde::de::DeserializeOwned>(file: &Path) -> Result<T, CliError> {
    serde_json::from_str(&read(file)?).map_err(|e| CliError::Parse {
        file: file.display().to_string(),
        why: e.to_string(),
    })
}

/// The tree of the first `size` leaves of `leaves`, or why not.
fn tree(leaves: &[Leaf], size: u64) -> Result<Tree, String> {
    let have = u64::try_from(leaves.len()).unwrap_or(u64::MAX);
    if have < size {
        return Err(format!(
            "the log file has {have} leaves, fewer than the checkpoint's {size}"
        ));
    }
    let mut tree = Tree::new();
    for leaf in leaves
        .iter()
        .take(usize::try_from(size).unwrap_or(usize::MAX))
    {
        tree.append(leaf.hash());
    }
    Ok(tree)
}

/// A refusal (exit 1) or a result, printed as `format` says.
fn report(
    format: Format,
    result: Result<serde_json::Value, String>,
    human: impl FnOnce(&serde_json::Value),
) -> u8 {
    match (format, result) {
        (Format::Json, Ok(value)) => {
            println!("{}", crate::pretty(&value));
            0
        }
        (Format::Human, Ok(value)) => {
            human(&value);
            0
        }
        (Format::Json, Err(why)) => {
            println!("{}", crate::pretty(&json!({"ok": false, "error": why})));
            1
        }
        (Format::Human, Err(why)) => {
            eprintln!("refused: {why}");
            1
        }
    }
}

/// `log checkpoint`: the log file's checkpoint (at `size` leaves, default all), signed.
///
/// # Errors
///
/// [`CliError`] if a file cannot be read or parsed, or the key is not a note signer key.
pub fn checkpoint(
    log: &Path,
    key: &Path,
    origin: Option<&str>,
    size: Option<u64>,
    format: Format,
) -> Result<u8, CliError> {
    let leaves: Vec<Leaf> = parse(log)?;
    let signer = signer(key)?;
    let origin = origin.map_or_else(|| signer.verifier().name().to_owned(), str::to_owned);
    let size = size.unwrap_or(u64::try_from(leaves.len()).unwrap_or(u64::MAX));
    let result = tree(&leaves, size).and_then(|tree| {
        Checkpoint::new(origin, size, tree.root())
            .and_then(|c| c.sign(&signer))
            .map_err(|e| e.to_string())
    });
    let result = result.map(|note| json!({"ok": true, "checkpoint": note}));
    Ok(report(format, result, |v| {
        print!("{}", v["checkpoint"].as_str().unwrap_or_default());
    }))
}

/// What `log prove` proves.
pub enum Prove {
    /// That the trail is at its latest leaf as of the checkpoint (a [`HeadProof`]).
    Head {
        /// The model's name.
        name: String,
        /// Its version.
        version: String,
        /// Its environment.
        environment: String,
    },
    /// That the checkpoint extends an older one (a consistency proof).
    Extends {
        /// The older signed checkpoint.
        old: PathBuf,
    },
}

/// `log prove`: a proof from the log file as of the held checkpoint (checked against it).
///
/// # Errors
///
/// [`CliError`] if a file cannot be read or parsed, or a key is not a note verifier key.
pub fn prove(log: &Path, anchor: &Anchor, what: &Prove, format: Format) -> Result<u8, CliError> {
    let leaves: Vec<Leaf> = parse(log)?;
    let checkpoint = anchor.open()?;
    let old = match what {
        Prove::Extends { old } => Some(
            Anchor {
                checkpoint: old.clone(),
                log_key: anchor.log_key.clone(),
                origin: anchor.origin.clone(),
            }
            .open()?,
        ),
        Prove::Head { .. } => None,
    };
    let result = checkpoint.and_then(|checkpoint| {
        let tree = tree(&leaves, checkpoint.size())?;
        if tree.root() != checkpoint.root() {
            return Err(String::from(
                "the log file's leaves do not lead to the checkpoint's root",
            ));
        }
        match (what, old) {
            (
                Prove::Head {
                    name,
                    version,
                    environment,
                },
                _,
            ) => {
                let size = usize::try_from(checkpoint.size()).unwrap_or(usize::MAX);
                let prefix = leaves.get(..size).unwrap_or_default();
                let index = prefix
                    .iter()
                    .rposition(|l| {
                        (l.name(), l.version(), l.environment())
                            == (name.as_str(), version.as_str(), environment.as_str())
                    })
                    .ok_or_else(|| {
                        format!(
                            "`{}` `{}` in `{}` is not in the log",
                            esc(name),
                            esc(version),
                            esc(environment)
                        )
                    })?;
                let later = prefix
                    .get(index.saturating_add(1)..)
                    .unwrap_or_default()
                    .to_vec();
                let leaf = prefix.get(index).cloned().ok_or("no leaf")?;
                let proof =
                    HeadProof::prove(&tree, u64::try_from(index).unwrap_or(u64::MAX), leaf, later)
                        .map_err(|e| e.to_string())?;
                serde_json::to_value(&proof).map_err(|e| e.to_string())
            }
            (Prove::Extends { .. }, Some(old)) => {
                let old = old?;
                let proof = tree
                    .prove_consistency(old.size(), checkpoint.size())
                    .map_err(|e| e.to_string())?;
                checkpoint
                    .verify_extends(&old, &proof)
                    .map_err(|e| e.to_string())?;
                serde_json::to_value(&proof).map_err(|e| e.to_string())
            }
            (Prove::Extends { .. }, None) => Err(String::from("no older checkpoint")),
        }
    });
    Ok(report(format, result, |v| println!("{}", crate::pretty(v))))
}

/// `log verify-consistency`: the new checkpoint extends the old one, by the proof.
///
/// # Errors
///
/// [`CliError`] if a file cannot be read or parsed, or the key is not a note verifier key.
pub fn verify_consistency(
    old: &Anchor,
    new: &Anchor,
    proof: &Path,
    format: Format,
) -> Result<u8, CliError> {
    let proof: ConsistencyProof = parse(proof)?;
    let (old, new) = (old.open()?, new.open()?);
    let result = old.and_then(|old| {
        let new = new?;
        new.verify_extends(&old, &proof)
            .map_err(|e| format!("the new checkpoint does not extend the old one: {e}"))?;
        Ok(json!({"ok": true, "old_size": old.size(), "new_size": new.size()}))
    });
    Ok(report(format, result, |v| {
        println!(
            "consistent: the log at {} leaves extends the log at {}",
            v["new_size"], v["old_size"]
        );
    }))
}

/// `attest verify --checkpoint`: the attested head is its trail's latest as of the held
/// checkpoint, by the head proof in `proof`. `Ok(Err(why))` if refused.
///
/// # Errors
///
/// [`CliError`] if a file cannot be read or parsed, or the key is not a note verifier key.
pub fn gate(
    anchor: &Anchor,
    proof: &Path,
    attested: &modelgate::attest::VerifiedApproval,
) -> Result<Result<(), String>, CliError> {
    let proof: HeadProof = parse(proof)?;
    Ok(anchor.open()?.and_then(|checkpoint| {
        proof
            .verify(
                &checkpoint.head(),
                (attested.name(), attested.version(), attested.environment()),
                attested.head(),
            )
            .map_err(|e| format!("the log as of the checkpoint: {e}"))
    }))
}
