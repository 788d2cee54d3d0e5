//! The audit trail's vocabulary: what can happen to a model, hash-chained event by event.

pub(crate) mod canonical;
mod display;
mod head;

use serde::{Deserialize, Serialize};

use crate::policy::Verdict;
use crate::value::{Digest, Metrics, Promotion, Receipt, Review, Timestamp, TrainingOutcome};

pub use canonical::FORMAT_VERSION;
pub use head::{Fingerprint, Head, ParseHashError};

/// One entry of the audit trail: its sequence number (from 1), the host's time, the
/// [`Head`] of the trail before it (for the first event: the hash of the model's header), and
/// what happened. Events are only ever appended; every vote stays, superseded or not.
///
/// The hash of an event is SHA-256 over its canonical encoding (see [`Head`]); the next event
/// carries it as `prev`, so that changing, removing or reordering any event breaks the chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    seq: u64,
    at: Timestamp,
    prev: Head,
    event: EventKind,
}

/// What happened, with its data and who did it.
///
/// Events that a [`Run`](crate::Run) adds (`run_started`, `artifact`, `evaluated`,
/// `run_finished`) are in the same trail; such a trail replays only through its pipeline
/// ([`Run::restore`](crate::Run::restore)), never as a bare model.
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
        /// Evidence from the environment the version comes from, if it was promoted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        promotion: Option<Promotion>,
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
        /// The policy's [fingerprint](crate::PolicyExt::fingerprint): recorded by every
        /// decision since policies have one; `None` in decisions recorded before.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fingerprint: Option<Fingerprint>,
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
        /// Who deployed it.
        by: String,
    },
    /// The host tried to deploy the approved model and failed; it is still approved.
    DeployFailed {
        /// The host's error, as text.
        error: String,
        /// Who tried.
        by: String,
    },
    /// The rejected model went back to training.
    Retraining {
        /// Who sent it back.
        by: String,
    },
    /// The approval was withdrawn before deployment: the model is rejected, the reason its
    /// finding.
    Revoked {
        /// Why.
        reason: String,
        /// Who revoked it.
        by: String,
    },
    /// The approval lapsed undeployed; the model is back under review for a fresh decision.
    Reopened {
        /// Who reopened it.
        by: String,
    },
    /// Another version was deployed in this model's environment and replaced it.
    Superseded {
        /// The version that replaced it.
        by_version: String,
        /// Who deployed that version.
        by: String,
    },
    /// The environment was rolled back from this deployment to an earlier version.
    RolledBack {
        /// The version the environment went back to.
        to_version: String,
        /// Why.
        reason: String,
        /// Who rolled back.
        by: String,
    },
    /// This superseded deployment became the environment's current one again (a rollback to
    /// it), its approval checked again by the environment's policy.
    Reinstated {
        /// The version it replaced, if one was deployed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replacing: Option<String>,
        /// Why.
        reason: String,
        /// Who reinstated it.
        by: String,
    },
    /// The model left service for good.
    Retired {
        /// Why.
        reason: String,
        /// Whether it was retired for cause (a fault): such a version is never rolled back to.
        for_cause: bool,
        /// Who retired it.
        by: String,
    },
    /// A pipeline run started on this model.
    RunStarted {
        /// The validated pipeline's fingerprint.
        pipeline: Fingerprint,
        /// Who submits the run's artifacts (and on whose behalf its host acts).
        submitter: String,
    },
    /// The run has its artifact to review: trained by the run's training step, or handed in for
    /// a pipeline without one.
    Artifact {
        /// The artifact's digest.
        digest: Digest,
        /// Metrics known at training time.
        metrics: Metrics,
        /// Free-form notes.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        notes: String,
        /// Who handed it in.
        by: String,
    },
    /// The run's test step evaluated the artifact.
    Evaluated {
        /// The test step.
        step: String,
        /// The metrics it measured.
        metrics: Metrics,
        /// Who evaluated it.
        by: String,
    },
    /// The run ended.
    RunFinished {
        /// How.
        outcome: RunOutcome,
        /// Attempts made.
        attempts: u32,
    },
}

/// How a run ended, as its trail records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// Rejected, and the pipeline says fail (or its attempts ran out).
    Failed,
    /// Approved; the pipeline has no deploy step.
    Approved,
    /// Approved and deployed.
    Deployed,
}

/// Who caused an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Actor<'a> {
    /// A person or service, by the id the host gave (submitter, reviewer, deployer …).
    User(&'a str),
    /// A policy, by name.
    Policy(&'a str),
    /// The run itself, ending.
    Run,
}

impl Event {
    pub(crate) fn new(seq: u64, at: Timestamp, prev: Head, event: EventKind) -> Self {
        Self {
            seq,
            at,
            prev,
            event,
        }
    }

    /// The event `seq` at `at` after the head `prev`, from its parts — as a store keeps them in
    /// columns. Nothing is checked here: a [`Trail`](crate::Trail) built from events checks
    /// that they chain, and a restore checks the seal and replays them.
    pub fn from_parts(seq: u64, at: Timestamp, prev: Head, kind: EventKind) -> Self {
        Self::new(seq, at, prev, kind)
    }

    /// The sequence number, from 1, without gaps.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// When it happened, as the host gave it.
    pub fn at(&self) -> Timestamp {
        self.at
    }

    /// The head of the trail before this event: the hash of the previous event, or of the
    /// model's header for the first one.
    pub fn prev(&self) -> &Head {
        &self.prev
    }

    /// What happened.
    pub fn kind(&self) -> &EventKind {
        &self.event
    }

    /// The hash of this event: the trail's head once it is appended.
    pub fn hash(&self) -> Head {
        Head::of_event(self)
    }

    /// The canonical bytes of this event, `prev` included: what [`hash`](Self::hash) is the
    /// SHA-256 of (the encoding is in the crate docs, "The stored form"). For verifiers written
    /// elsewhere and for tests.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        canonical::encode_event(&mut out, self);
        out
    }

    /// Who caused it.
    pub fn actor(&self) -> Actor<'_> {
        match &self.event {
            EventKind::Submitted { submitter, .. } | EventKind::RunStarted { submitter, .. } => {
                Actor::User(submitter)
            }
            EventKind::Voted { review } => Actor::User(review.reviewer()),
            EventKind::Decided { policy, .. } => Actor::Policy(policy),
            EventKind::Deployed { by, .. }
            | EventKind::DeployFailed { by, .. }
            | EventKind::Retraining { by }
            | EventKind::Revoked { by, .. }
            | EventKind::Reopened { by }
            | EventKind::Superseded { by, .. }
            | EventKind::RolledBack { by, .. }
            | EventKind::Reinstated { by, .. }
            | EventKind::Retired { by, .. }
            | EventKind::Artifact { by, .. }
            | EventKind::Evaluated { by, .. } => Actor::User(by),
            EventKind::RunFinished { .. } => Actor::Run,
        }
    }

    /// A one- or two-word action, for people: `submitted`, `voted`, `approved`, `rejected`,
    /// `deployed`, `deploy failed`, `retraining`, `revoked`, `reopened`, `superseded`,
    /// `rolled back`, `reinstated`, `retired`, `run started`, `artifact`, `evaluated`,
    /// `run finished`.
    ///
    /// It is the stored tag (the [`EventKind`] variant's serde name, e.g. `deploy_failed`) with
    /// spaces for underscores, but for a decision, stored as `decided` and named by its verdict
    /// (`approved` or `rejected`; a pending verdict is never recorded).
    ///
    /// ```
    /// # use modelgate::*;
    /// # let t = Timestamp::from_unix_secs;
    /// # let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.95)])?)?;
    /// let model = Model::new("churn", "1")?.submit(outcome, "alice", t(1))?;
    /// let model = model.decide(&MetricGate::at_least("accuracy", 0.9), &DecisionContext::at(t(2)))?.approved()?;
    /// let decided = model.history().last().unwrap();
    /// assert_eq!(decided.action(), "approved");
    /// assert!(serde_json::to_string(decided)?.contains(r#""event":{"decided":"#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn action(&self) -> &'static str {
        self.event.action()
    }
}

impl EventKind {
    pub(crate) fn action(&self) -> &'static str {
        use crate::policy::VerdictKind;
        match self {
            Self::Submitted { .. } => "submitted",
            Self::Voted { .. } => "voted",
            Self::Decided { verdict, .. } => match verdict.kind() {
                VerdictKind::Approve => "approved",
                VerdictKind::Pending => "pending",
                VerdictKind::Reject => "rejected",
            },
            Self::Deployed { .. } => "deployed",
            Self::DeployFailed { .. } => "deploy failed",
            Self::Retraining { .. } => "retraining",
            Self::Revoked { .. } => "revoked",
            Self::Reopened { .. } => "reopened",
            Self::Superseded { .. } => "superseded",
            Self::RolledBack { .. } => "rolled back",
            Self::Reinstated { .. } => "reinstated",
            Self::Retired { .. } => "retired",
            Self::RunStarted { .. } => "run started",
            Self::Artifact { .. } => "artifact",
            Self::Evaluated { .. } => "evaluated",
            Self::RunFinished { .. } => "run finished",
        }
    }
}
