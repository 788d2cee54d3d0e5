//! Rosters at the gate: reading one, verifying it from its pinned first version, counting an
//! attestation's signed approvals by it (`attest verify --roster`), and `roster show`.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use modelgate::attest::{SignedApprovals, VerifiedApproval};
use modelgate::event::Head;
use modelgate::signed::{Roster, VerifiedRoster};
use serde_json::json;

use crate::text::esc;
use crate::{CliError, Format, read};

#[derive(Subcommand)]
pub(crate) enum RosterCommand {
    /// Verify a roster from its pinned first version and show its versions (number and hash)
    /// and its latest members: their ids, roles, keys (as `ssh-keygen -l` prints them) and
    /// validity. To learn the first version's hash to pin, read it from a copy you trust
    /// (its admins'), not from the roster under test.
    Show {
        /// The roster (JSON: its versions, oldest first).
        roster: PathBuf,
        /// The hash of the roster's first version.
        #[arg(long, value_name = "HASH", value_parser = parse_hash)]
        first: Head,
        /// The hash of the latest version seen before: a roster cut back before it is refused.
        #[arg(long, value_name = "HASH", value_parser = parse_hash)]
        held: Option<Head>,
    },
    /// Print each version's number and hash, without verifying anything: for a roster's
    /// admins to read the first version's hash from their own copy, the pin a gate is
    /// configured with (`--roster-first`). Never pin a hash read from the copy under test.
    Hash {
        /// The roster (JSON: its versions, oldest first).
        roster: PathBuf,
    },
    /// Write the bytes an admin signs to approve a roster version (raw, on stdout), for
    /// `ssh-keygen -Y sign -n modelgate-roster`; the signature goes into that version's
    /// `signatures` as `{"key": "<the admin's key>", "signature": {"sshsig": "<the .sig text>"}}`.
    Statement {
        /// The roster (JSON: its versions, oldest first).
        roster: PathBuf,
        /// The version's number.
        #[arg(long, required = true)]
        number: u64,
    },
}

/// A roster hash: 64 hex digits.
pub(crate) fn parse_hash(text: &str) -> Result<Head, String> {
    text.parse()
        .map_err(|e: modelgate::event::ParseHashError| e.to_string())
}

/// What `attest verify --roster` requires: `approvals` distinct keys of the roster in `file`
/// (verified from `first`, not cut back before `held`) signed an approval, holding `roles`.
pub(crate) struct Count {
    pub(crate) file: PathBuf,
    pub(crate) first: Head,
    pub(crate) held: Option<Head>,
    pub(crate) approvals: usize,
    pub(crate) roles: Vec<String>,
}

/// The signed approvals a verified roster counted in an attestation, and the roster version
/// that counted them.
pub(crate) struct Counted {
    pub(crate) approvals: SignedApprovals,
    pub(crate) version: u64,
    pub(crate) hash: Head,
}

/// Reads a roster file.
///
/// # Errors
///
/// [`CliError::Io`] or [`CliError::Parse`] if it cannot be read as a roster.
fn load(file: &Path) -> Result<Roster, CliError> {
    serde_json::from_str(&read(file)?).map_err(|e| CliError::Parse {
        file: file.display().to_string(),
        why: e.to_string(),
    })
}

fn verify<'a>(
    roster: &'a Roster,
    first: Head,
    held: Option<Head>,
) -> Result<VerifiedRoster<'a>, String> {
    match held {
        Some(held) => roster.verify(first, held),
        None => roster.verify_first_time(first),
    }
    .map_err(|e| format!("the roster does not verify: {e}"))
}

/// Counts `approval`'s signed approvals by the roster `count` names and checks them against
/// its threshold and roles: the counted approvals, or why the gate refuses.
///
/// # Errors
///
/// [`CliError`] if the roster cannot be read.
pub(crate) fn count(
    count: &Count,
    approval: &VerifiedApproval,
) -> Result<Result<Counted, String>, CliError> {
    let roster = load(&count.file)?;
    let verified = match verify(&roster, count.first, count.held) {
        Ok(verified) => verified,
        Err(why) => return Ok(Err(why)),
    };
    let (version, hash) = (verified.latest().number(), verified.latest().hash());
    let approvals = approval.signed_approvals(verified);
    let roles: Vec<&str> = count.roles.iter().map(String::as_str).collect();
    Ok(match approvals.require(count.approvals, &roles) {
        Ok(()) => Ok(Counted {
            approvals,
            version,
            hash,
        }),
        Err(e) => Err(e.to_string()),
    })
}

/// `roster show`: exit 1 if the roster does not verify.
///
/// # Errors
///
/// [`CliError`] if the roster cannot be read.
pub(crate) fn show(command: RosterCommand, format: Format) -> Result<u8, CliError> {
    let (file, first, held) = match command {
        RosterCommand::Show {
            roster,
            first,
            held,
        } => (roster, first, held),
        RosterCommand::Hash { roster } => return hashes(&roster, format),
        RosterCommand::Statement { roster, number } => return statement(&roster, number),
    };
    let roster = load(&file)?;
    let verified = match verify(&roster, first, held) {
        Ok(verified) => verified,
        Err(why) => {
            match format {
                Format::Json => println!("{}", crate::pretty(&json!({"ok": false, "error": why}))),
                Format::Human => eprintln!("refused: {why}"),
            }
            return Ok(1);
        }
    };
    let latest = verified.latest();
    let members = latest.members().iter().map(|m| {
        json!({
            "id": m.id(), "roles": m.roles().collect::<Vec<_>>(),
            "key": m.key().to_string(), "ssh_fingerprint": m.key().ssh_fingerprint(),
            "from": m.valid_from().to_string(), "until": m.valid_until().map(|t| t.to_string()),
        })
    });
    match format {
        Format::Json => println!(
            "{}",
            crate::pretty(&json!({
                "ok": true,
                "versions": roster.versions().iter()
                    .map(|v| json!({"number": v.number(), "hash": v.hash().to_string()}))
                    .collect::<Vec<_>>(),
                "members": members.collect::<Vec<_>>(),
            }))
        ),
        Format::Human => {
            println!(
                "verified: roster version {} of {}",
                latest.number(),
                roster.versions().len()
            );
            for v in roster.versions() {
                println!("version {}: {}", v.number(), v.hash());
            }
            for m in latest.members() {
                let roles: Vec<String> = m.roles().map(esc).collect();
                let until = m
                    .valid_until()
                    .map_or_else(String::new, |t| format!(" until {t}"));
                println!(
                    "member {} [{}] {} from {}{until}",
                    esc(m.id()),
                    roles.join(", "),
                    m.key().ssh_fingerprint(),
                    m.valid_from()
                );
            }
        }
    }
    Ok(0)
}

/// `roster hash`: each version's number and hash, unverified.
fn hashes(file: &Path, format: Format) -> Result<u8, CliError> {
    let roster = load(file)?;
    match format {
        Format::Json => println!(
            "{}",
            crate::pretty(&json!({
                "verified": false,
                "versions": roster.versions().iter()
                    .map(|v| json!({"number": v.number(), "hash": v.hash().to_string()}))
                    .collect::<Vec<_>>(),
            }))
        ),
        Format::Human => {
            for v in roster.versions() {
                println!("version {}: {}", v.number(), v.hash());
            }
            eprintln!("not verified: pin a first version's hash only from your own copy");
        }
    }
    Ok(0)
}

/// `roster statement`: the bytes of version `number`, raw on stdout (exit 1 if there is none).
fn statement(file: &Path, number: u64) -> Result<u8, CliError> {
    use std::io::Write as _;
    let roster = load(file)?;
    let Some(version) = roster.versions().iter().find(|v| v.number() == number) else {
        eprintln!("refused: the roster has no version {number}");
        return Ok(1);
    };
    std::io::stdout()
        .write_all(&version.to_bytes())
        .map_err(|e| CliError::Io {
            file: String::from("<stdout>"),
            source: e,
        })?;
    Ok(0)
}
