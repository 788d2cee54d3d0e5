//! The audit trail: the append-only list of what happened to a model.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::deploy::Receipt;
use crate::outcome::{Metrics, TrainingOutcome};
use crate::policy::{Verdict, VerdictKind};
use crate::review::Review;
use crate::time::Timestamp;

/// One entry of the audit trail: its sequence number (from 1), the host's time, and what
/// happened. Events are only ever appended; every vote stays, superseded or not.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    seq: u64,
    at: Timestamp,
    event: EventKind,
}

/// What happened, with its data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum EventKind {
    /// A training outcome was submitted for review.
    Submitted {
        /// What training produced.
        outcome: TrainingOutcome,
        /// Who submitted it.
        submitter: String,
        /// The attempt, counting from 1.
        attempt: u32,
    },
    /// A reviewer voted.
    Voted {
        /// The vote.
        review: Review,
    },
    /// A policy approved or rejected the submission.
    Decided {
        /// The policy's name.
        policy: String,
        /// The champion's metrics the policy saw, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        champion: Option<Metrics>,
        /// The verdict with its findings.
        verdict: Verdict,
    },
    /// The host deployed the approved model.
    Deployed {
        /// The host's receipt.
        receipt: Receipt,
    },
    /// The rejected model went back to training.
    Retraining,
}

/// Who caused an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor<'a> {
    /// A person or service, by the id the host gave (submitter or reviewer).
    User(&'a str),
    /// A policy, by name.
    Policy(&'a str),
    /// The host program (deploying, sending back to training).
    Host,
}

impl fmt::Display for Actor<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User(id) => f.write_str(id),
            Self::Policy(name) => write!(f, "policy: {name}"),
            Self::Host => f.write_str("host"),
        }
    }
}

impl Event {
    pub(crate) fn new(seq: u64, at: Timestamp, event: EventKind) -> Self {
        Self { seq, at, event }
    }

    /// The sequence number, from 1, without gaps.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// When it happened, as the host gave it.
    pub fn at(&self) -> Timestamp {
        self.at
    }

    /// What happened.
    pub fn kind(&self) -> &EventKind {
        &self.event
    }

    /// Who caused it.
    pub fn actor(&self) -> Actor<'_> {
        match &self.event {
            EventKind::Submitted { submitter, .. } => Actor::User(submitter),
            EventKind::Voted { review } => Actor::User(review.reviewer()),
            EventKind::Decided { policy, .. } => Actor::Policy(policy),
            EventKind::Deployed { .. } | EventKind::Retraining => Actor::Host,
        }
    }

    /// A one-word action: `submitted`, `voted`, `approved`, `rejected`, `deployed`, `retraining`.
    pub fn action(&self) -> &'static str {
        match &self.event {
            EventKind::Submitted { .. } => "submitted",
            EventKind::Voted { .. } => "voted",
            EventKind::Decided { verdict, .. } => match verdict.kind() {
                VerdictKind::Approve => "approved",
                VerdictKind::Pending => "pending",
                VerdictKind::Reject => "rejected",
            },
            EventKind::Deployed { .. } => "deployed",
            EventKind::Retraining => "retraining",
        }
    }
}

impl Event {
    /// What came of it, in a few words: the attempt, artifact and metrics of a submission, the
    /// vote, the verdict, the receipt.
    pub fn detail(&self) -> String {
        match &self.event {
            EventKind::Submitted {
                outcome, attempt, ..
            } => {
                let mut out = format!("attempt {attempt}, artifact {}", outcome.digest());
                for (name, value) in outcome.metrics().iter() {
                    out.push_str(&format!(", {name}={value}"));
                }
                out
            }
            EventKind::Voted { review } => format!("{} on {}", review.vote(), review.digest()),
            EventKind::Decided { verdict, .. } => verdict.to_string(),
            EventKind::Deployed { receipt } => format!("receipt {receipt}"),
            EventKind::Retraining => String::from("back to training"),
        }
    }
}

/// One line: sequence number, time, actor, action and [`detail`](Event::detail).
///
/// ```
/// # use modelgate::*;
/// # let t = Timestamp::from_unix_secs;
/// let model = Model::new("churn", "7")?
///     .submit(TrainingOutcome::new("sha256:1", Metrics::new([("auc", 0.91)])?)?, "alice", t(60))?;
/// assert_eq!(
///     model.history()[0].to_string(),
///     "#1 1970-01-01T00:01:00Z alice submitted: attempt 1, artifact sha256:1, auc=0.91",
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (seq, at, actor, action) = (self.seq, self.at, self.actor(), self.action());
        write!(f, "#{seq} {at} {actor} {action}: {}", self.detail())
    }
}
