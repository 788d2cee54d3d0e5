//! `modelgate attest verify`: the deploy gate.

use std::path::{Path, PathBuf};

use modelgate::attest::{self, ApprovedBy, Expected};
use serde_json::json;

use crate::text::esc;
use crate::{CliError, Format, keys};

/// Verifies the envelope in `file` against the public keys in `key_files`, as `expected` says
/// (the model, the artifact, the environment, the time, whether a running deployment passes); the exit
/// code is 1 if it is refused.
///
/// # Errors
///
/// [`CliError`] if the envelope or a key file cannot be read.
pub fn verify(
    file: &Path,
    key_files: &[PathBuf],
    key_id: Option<&str>,
    expected: &Expected,
    log: Option<(&crate::log::Anchor, &Path)>,
    format: Format,
) -> Result<u8, CliError> {
    let envelope = std::fs::read(file).map_err(|e| CliError::Io {
        file: file.display().to_string(),
        source: e,
    })?;
    let keys = key_files
        .iter()
        .map(|f| keys::public_key(f, key_id))
        .collect::<Result<Vec<_>, _>>()?;
    let result = attest::verify(&envelope, &keys, expected);
    // With a held checkpoint, the approval must also be its trail's latest head in the log.
    if let (Ok(a), Some((anchor, proof))) = (&result, log)
        && let Err(why) = crate::log::gate(anchor, proof, a)?
    {
        match format {
            Format::Json => println!(
                "{}",
                crate::pretty(&json!({
                    "ok": false, "name": expected.name(), "digest": expected.digest().to_string(),
                    "error": why,
                }))
            ),
            Format::Human => eprintln!("refused: {why}"),
        }
        return Ok(1);
    }
    match (format, &result) {
        (Format::Json, Ok(a)) => {
            let approvals: Vec<_> = a
                .approvals()
                .iter()
                .map(|r| json!({"reviewer": r.reviewer(), "roles": r.roles(), "at": r.at().to_string()}))
                .collect();
            let automatic = match a.approved_by() {
                ApprovedBy::Automatic { rule } => Some(rule.as_str()),
                _ => None,
            };
            println!(
                "{}",
                crate::pretty(&json!({
                    "ok": true, "digest": a.digest().to_string(), "name": a.name(),
                    "version": a.version(), "environment": a.environment(),
                    "status": a.status().to_string(), "policy": a.policy(),
                    "policy_fingerprint": a.policy_fingerprint().map(|f| f.to_string()),
                    "decided_at": a.decided_at().to_string(), "automatic_rule": automatic,
                    "approvals": approvals, "head": a.head().to_string(),
                    "receipt": a.deployment().map(|d| d.receipt()),
                    "deployment_valid_until": a.deployment().map(|d| d.valid_until().to_string()),
                    "signed_by": a.signed_by(),
                }))
            );
        }
        (Format::Json, Err(e)) => println!(
            "{}",
            crate::pretty(&json!({
                "ok": false, "name": expected.name(), "digest": expected.digest().to_string(),
                "error": e.to_string(),
            }))
        ),
        (Format::Human, Ok(a)) => {
            let by = match a.approved_by() {
                ApprovedBy::Automatic { rule } => format!("automatically by `{}`", esc(rule)),
                _ if a.approvals().is_empty() => String::from("by the policy, no reviewers"),
                _ => {
                    let names: Vec<String> =
                        a.approvals().iter().map(|r| esc(r.reviewer())).collect();
                    format!("by {}", names.join(", "))
                }
            };
            println!(
                "verified: {} {} is {} for `{}`: `{}` at {}, {by}",
                esc(a.name()),
                esc(a.version()),
                a.status(),
                esc(a.environment()),
                esc(a.policy()),
                a.decided_at()
            );
            println!("artifact: {}", a.digest());
            if let Some(f) = a.policy_fingerprint() {
                println!("policy:   {f}");
            }
            println!("head:     {}", a.head());
            if let Some(d) = a.deployment() {
                println!("receipt:  {}", esc(d.receipt()));
                println!("valid until {} (a running deployment)", d.valid_until());
            }
            let signers: Vec<String> = a.signed_by().iter().map(|k| esc(k)).collect();
            println!("signed by key {}", signers.join(", "));
        }
        (Format::Human, Err(e)) => {
            eprintln!("refused: {e}");
            if matches!(e, attest::VerifyError::Deployed { .. }) {
                eprintln!(
                    "hint: to re-verify a deployment that is running (not to ship a new one), \
                     pass --accept-running-deployment"
                );
            }
        }
    }
    Ok(u8::from(result.is_err()))
}
