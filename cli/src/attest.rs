//! `modelgate attest verify`: the deploy gate.

use std::path::{Path, PathBuf};

use modelgate::attest::{self, ApprovedBy, Expected};
use serde_json::json;

use crate::text::esc;
use crate::{CliError, Format, keys, roster};

/// What the gate expects: the approval (`expected`), the key id of a single key, the log of
/// heads it holds a checkpoint of, the roster whose keys must have signed the approvals.
pub(crate) struct Gate<'a> {
    pub(crate) key_id: Option<&'a str>,
    pub(crate) expected: &'a Expected,
    pub(crate) log: Option<(&'a crate::log::Anchor, &'a Path)>,
    pub(crate) signed: Option<&'a roster::Count>,
}

/// Verifies the envelope in `file` against the public keys in `key_files`, as `gate` says
/// (the model, the artifact, the environment, the time, whether a running deployment passes,
/// the log, the signed approvals); the exit code is 1 if it is refused.
///
/// # Errors
///
/// [`CliError`] if the envelope, a key file or the roster cannot be read, or one key is given
/// twice.
pub fn verify(
    file: &Path,
    key_files: &[PathBuf],
    gate: &Gate<'_>,
    format: Format,
) -> Result<u8, CliError> {
    let expected = gate.expected;
    let envelope = std::fs::read(file).map_err(|e| CliError::Io {
        file: file.display().to_string(),
        source: e,
    })?;
    let keys = key_files
        .iter()
        .map(|f| keys::public_key(f, gate.key_id))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, key) in keys.iter().enumerate() {
        if keys.iter().take(i).any(|k| k.to_bytes() == key.to_bytes()) {
            return Err(CliError::Usage {
                why: "one public key is given twice with `--key`: each trusted key counts once",
            });
        }
    }
    let result = attest::verify(&envelope, &keys, expected);
    // With a held checkpoint, the approval must also be its trail's latest head in the log.
    let log_refused = match (&result, gate.log) {
        (Ok(a), Some((anchor, proof))) => crate::log::gate(anchor, proof, a)?.err(),
        _ => None,
    };
    // With a roster, enough of its keys must have signed the approvals.
    let (counted, roster_refused) = match (&result, gate.signed) {
        (Ok(a), Some(count)) => match roster::count(count, a)? {
            Ok(counted) => (Some(counted), None),
            Err(why) => (None, Some(why)),
        },
        _ => (None, None),
    };
    if let Some(why) = log_refused.or(roster_refused) {
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
                    "signed_approvals": counted.as_ref().map(counted_json),
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
                _ if counted.is_some() => {
                    let names: Vec<String> = counted
                        .iter()
                        .flat_map(|c| c.approvals.approvers())
                        .map(|r| esc(r.reviewer()))
                        .collect();
                    format!("by {} (their own signatures)", names.join(", "))
                }
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
            if let Some(c) = &counted {
                print_counted(c);
            }
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

/// The signed approvals a roster counted, as JSON.
fn counted_json(c: &roster::Counted) -> serde_json::Value {
    json!({
        "roster_version": c.version, "roster_hash": c.hash.to_string(),
        "approvers": c.approvals.approvers().iter().map(|a| json!({
            "reviewer": a.reviewer(), "roles": a.roles(), "key": a.key().to_string(),
            "ssh_fingerprint": a.key().ssh_fingerprint(),
        })).collect::<Vec<_>>(),
        "not_counted": c.approvals.refused().iter()
            .map(|(reviewer, why)| json!({"reviewer": reviewer, "why": why}))
            .collect::<Vec<_>>(),
    })
}

/// The signed approvals a roster counted, for people.
fn print_counted(c: &roster::Counted) {
    println!("roster:   version {} ({})", c.version, c.hash);
    for a in c.approvals.approvers() {
        let roles: Vec<String> = a.roles().iter().map(|r| esc(r)).collect();
        println!(
            "signed approval: {} [{}] by key {}",
            esc(a.reviewer()),
            roles.join(", "),
            a.key().ssh_fingerprint()
        );
    }
    for (reviewer, why) in c.approvals.refused() {
        println!("not counted: {}: {}", esc(reviewer), esc(why));
    }
}
