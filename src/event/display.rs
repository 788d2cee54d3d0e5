//! Audit lines: one event, one line, host text escaped.

use std::fmt::{self, Write as _};

use super::{Actor, Event, EventKind, RunOutcome};
use crate::value::text::Escaped;

impl fmt::Display for Actor<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User(id) => Escaped(id).fmt(f),
            Self::Policy(name) => write!(f, "policy: {}", Escaped(name)),
            Self::Run => f.write_str("run"),
        }
    }
}

impl Event {
    /// What came of it, in a few words: the attempt, artifact and metrics of a submission, the
    /// vote, the verdict, the receipt … Host text in it is escaped (see [`Event`]'s `Display`).
    pub fn detail(&self) -> String {
        let mut out = String::new();
        let _ = self.write_detail(&mut out);
        Escaped(&out).to_string()
    }

    fn write_detail(&self, out: &mut String) -> fmt::Result {
        match &self.event {
            EventKind::Submitted {
                outcome,
                attempt,
                promotion,
                ..
            } => {
                write!(out, "attempt {attempt}, artifact {}", outcome.digest())?;
                for (name, value) in outcome.metrics().iter() {
                    write!(out, ", {name}={value}")?;
                }
                if let Some(p) = promotion {
                    write!(out, ", promoted from {}", p.from())?;
                    for (name, value) in p.online().iter() {
                        write!(out, ", online {name}={value}")?;
                    }
                }
            }
            EventKind::Voted { review } => {
                write!(out, "{} on {}", review.vote(), review.digest())?;
                match review.signature().map(crate::value::VoteSignature::kind) {
                    Some(crate::value::SignatureKind::Ed25519) => {
                        out.push_str(", signed (Ed25519)")
                    }
                    Some(crate::value::SignatureKind::Sshsig) => out.push_str(", signed (sshsig)"),
                    None => {}
                }
                if !review.comment().is_empty() {
                    write!(out, " ({})", review.comment())?;
                }
            }
            EventKind::Decided { verdict, .. } => write!(out, "{verdict}")?,
            EventKind::Deployed { receipt, .. } => write!(out, "receipt {}", receipt.as_str())?,
            EventKind::DeployFailed { error, .. } => write!(out, "{error}")?,
            EventKind::Retraining { .. } => out.push_str("back to training"),
            EventKind::Revoked { reason, .. } => write!(out, "approval withdrawn: {reason}")?,
            EventKind::Reopened { .. } => out.push_str("approval lapsed; back under review"),
            EventKind::Superseded { by_version, .. } => {
                write!(out, "replaced by version {by_version}")?;
            }
            EventKind::RolledBack {
                to_version, reason, ..
            } => write!(out, "back to version {to_version}: {reason}")?,
            EventKind::Reinstated {
                replacing, reason, ..
            } => match replacing {
                Some(version) => {
                    write!(out, "deployed again, replacing version {version}: {reason}")?
                }
                None => write!(out, "deployed again: {reason}")?,
            },
            EventKind::Retired {
                reason, for_cause, ..
            } => {
                let cause = if *for_cause { " for cause" } else { "" };
                write!(out, "retired{cause}: {reason}")?;
            }
            EventKind::RunStarted { pipeline, .. } => write!(out, "pipeline {pipeline}")?,
            EventKind::Artifact {
                digest, metrics, ..
            } => {
                write!(out, "artifact {digest}")?;
                for (name, value) in metrics.iter() {
                    write!(out, ", {name}={value}")?;
                }
            }
            EventKind::Evaluated { step, metrics, .. } => {
                write!(out, "step {step}")?;
                for (name, value) in metrics.iter() {
                    write!(out, ", {name}={value}")?;
                }
            }
            EventKind::RunFinished { outcome, attempts } => {
                let how = match outcome {
                    RunOutcome::Failed => "failed",
                    RunOutcome::Approved => "approved",
                    RunOutcome::Deployed => "deployed",
                };
                write!(out, "{how} after {attempts} attempt(s)")?;
            }
        }
        Ok(())
    }
}

/// One line: sequence number, time, actor, action and [`detail`](Event::detail). Every text the
/// host handed in (ids, comments, receipts, errors) is escaped, so no line break or bidi control
/// in it can forge another audit line.
///
/// ```
/// # use modelgate::*;
/// # let t = Timestamp::from_unix_secs;
/// let mut model = Model::new("churn", "7")?
///     .submit(TrainingOutcome::new("sha256:1", Metrics::new([("auc", 0.91)])?)?, "alice", t(60))?;
/// model.record(Review::reject("bob", "sha256:1", t(61)).with_comment("ok\n#3 carol approved"))?;
/// assert_eq!(
///     model.history()[0].to_string(),
///     "#1 1970-01-01T00:01:00Z alice submitted: attempt 1, artifact sha256:1, auc=0.91",
/// );
/// assert_eq!(
///     model.history()[1].to_string(),
///     "#2 1970-01-01T00:01:01Z bob voted: reject on sha256:1 (ok\\u{a}#3 carol approved)",
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (seq, at, actor, action) = (self.seq, self.at, self.actor(), self.action());
        write!(f, "#{seq} {at} {actor} {action}: {}", self.detail())
    }
}
