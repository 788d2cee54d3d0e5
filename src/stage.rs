//! The six stages of a model's life, as types (for the typestate) and as [`Status`] (at runtime).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::decision::Decision;
use crate::deploy::Receipt;
use crate::outcome::TrainingOutcome;
use crate::persist::StageData;
use crate::policy::{Finding, ReviewContext};
use crate::review::{CountedVotes, Review, Vote};
use crate::time::Timestamp;

/// The stage of a model, at runtime: for display, storage and matching.
///
/// ```
/// use modelgate::Status;
/// assert_eq!(Status::Submitted.to_string(), "submitted");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Created, not yet submitted.
    Untrained,
    /// Submitted for review; votes are being collected.
    Submitted,
    /// Approved by a policy; may be deployed.
    Approved,
    /// Rejected by a policy; may be retrained.
    Rejected,
    /// Being retrained after a rejection; will be resubmitted.
    Retraining,
    /// Deployed by the host.
    Deployed,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Untrained => "untrained",
            Self::Submitted => "submitted",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Retraining => "retraining",
            Self::Deployed => "deployed",
        })
    }
}

pub(crate) mod sealed {
    /// Keeps [`Stage`](super::Stage) closed to this crate's six stages.
    pub trait Sealed {
        /// The stage's data in the stored form.
        fn to_data(&self) -> crate::persist::StageData;
    }
}

/// A stage of the typestate [`Model<S>`](crate::Model): sealed, implemented by the six stages only.
///
/// ```
/// use modelgate::{Stage, Status, Submitted};
/// assert_eq!(Submitted::STATUS, Status::Submitted);
/// ```
///
/// No other crate can add a stage:
///
/// ```compile_fail,E0277
/// #[derive(Debug, PartialEq)]
/// struct Shipped;
/// impl modelgate::Stage for Shipped {
///     const STATUS: modelgate::Status = modelgate::Status::Deployed;
/// }
/// ```
pub trait Stage: sealed::Sealed + fmt::Debug + PartialEq {
    /// The runtime status of this stage.
    const STATUS: Status;
}

/// What a submission was: the training outcome, who submitted it, which attempt, and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    outcome: TrainingOutcome,
    submitter: String,
    attempt: u32,
    submitted_at: Timestamp,
}

impl Submission {
    pub(crate) fn new(
        outcome: TrainingOutcome,
        submitter: String,
        attempt: u32,
        at: Timestamp,
    ) -> Self {
        Self {
            outcome,
            submitter,
            attempt,
            submitted_at: at,
        }
    }

    /// The training outcome: digest, metrics, notes.
    pub fn outcome(&self) -> &TrainingOutcome {
        &self.outcome
    }

    /// Who submitted it; their own votes never count towards approval.
    pub fn submitter(&self) -> &str {
        &self.submitter
    }

    /// The attempt, counting from 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// When it was submitted.
    pub fn submitted_at(&self) -> Timestamp {
        self.submitted_at
    }

    /// The context a policy sees for this submission with `votes`, at `now`.
    pub(crate) fn context<'a>(
        &'a self,
        votes: &'a CountedVotes,
        now: Timestamp,
    ) -> ReviewContext<'a> {
        ReviewContext::new(&self.outcome, votes, &self.submitter, self.attempt, now)
    }
}

/// Stage: created, not yet submitted.
#[derive(Debug, PartialEq)]
#[non_exhaustive]
pub struct Untrained {}

/// Stage: submitted for review, collecting votes.
#[derive(Debug, PartialEq)]
pub struct Submitted {
    pub(crate) submission: Submission,
    pub(crate) votes: CountedVotes,
}

impl Submitted {
    /// The submission under review.
    pub fn submission(&self) -> &Submission {
        &self.submission
    }

    /// The counted votes: the latest of each reviewer, in the order reviewers first voted.
    /// Every vote, superseded or not, stays in the audit trail.
    pub fn votes(&self) -> &CountedVotes {
        &self.votes
    }
}

/// Stage: approved by a policy; the only stage that can be deployed.
#[derive(Debug, PartialEq)]
pub struct Approved {
    pub(crate) submission: Submission,
    pub(crate) decision: Decision,
}

impl Approved {
    /// The approved submission.
    pub fn submission(&self) -> &Submission {
        &self.submission
    }

    /// The decision record: which policy approved, when, on which digest, on what evidence.
    pub fn decision(&self) -> &Decision {
        &self.decision
    }

    /// The approvals that counted: approving votes on record at the decision, the submitter's
    /// excluded.
    pub fn approvals(&self) -> impl Iterator<Item = &Review> {
        let submitter = self.submission.submitter();
        self.decision
            .votes()
            .iter()
            .filter(move |r| r.vote() == Vote::Approve && r.reviewer() != submitter)
    }

    /// The context the policy saw when it approved; evaluating the policy on it again
    /// approves again (policies are deterministic).
    pub fn review_context(&self) -> ReviewContext<'_> {
        self.decision.context(&self.submission)
    }
}

/// Stage: rejected by a policy; may be retrained.
#[derive(Debug, PartialEq)]
pub struct Rejected {
    pub(crate) submission: Submission,
    pub(crate) decision: Decision,
}

impl Rejected {
    /// The rejected submission.
    pub fn submission(&self) -> &Submission {
        &self.submission
    }

    /// The decision record of the rejection.
    pub fn decision(&self) -> &Decision {
        &self.decision
    }

    /// The findings that explain the rejection.
    pub fn findings(&self) -> &[Finding] {
        self.decision.verdict().findings()
    }
}

/// Stage: being retrained after a rejection.
#[derive(Debug, PartialEq)]
pub struct Retraining {
    pub(crate) feedback: Vec<Finding>,
    pub(crate) attempts: u32,
}

impl Retraining {
    /// The findings of the rejection, as feedback for the trainer.
    pub fn feedback(&self) -> &[Finding] {
        &self.feedback
    }

    /// How many attempts were submitted so far; the next submission is attempt `attempts() + 1`.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

/// Stage: deployed by the host.
#[derive(Debug, PartialEq)]
pub struct Deployed {
    pub(crate) approved: Approved,
    pub(crate) receipt: Receipt,
    pub(crate) deployed_at: Timestamp,
}

impl Deployed {
    /// What was approved: the submission and the decision record that allowed the deployment.
    pub fn approved(&self) -> &Approved {
        &self.approved
    }

    /// The host's deployment receipt.
    pub fn receipt(&self) -> &Receipt {
        &self.receipt
    }

    /// When it was deployed.
    pub fn deployed_at(&self) -> Timestamp {
        self.deployed_at
    }
}

macro_rules! stages {
    ($($stage:ident),*) => {$(
        impl Stage for $stage {
            const STATUS: Status = Status::$stage;
        }
    )*};
}

stages!(
    Untrained, Submitted, Approved, Rejected, Retraining, Deployed
);

impl sealed::Sealed for Untrained {
    fn to_data(&self) -> StageData {
        StageData::Untrained {}
    }
}

impl sealed::Sealed for Submitted {
    fn to_data(&self) -> StageData {
        StageData::Submitted {
            submission: self.submission.clone(),
            votes: self.votes.clone(),
        }
    }
}

impl sealed::Sealed for Approved {
    fn to_data(&self) -> StageData {
        StageData::Approved {
            submission: self.submission.clone(),
            decision: self.decision.data().clone(),
        }
    }
}

impl sealed::Sealed for Rejected {
    fn to_data(&self) -> StageData {
        StageData::Rejected {
            submission: self.submission.clone(),
            decision: self.decision.data().clone(),
        }
    }
}

impl sealed::Sealed for Retraining {
    fn to_data(&self) -> StageData {
        StageData::Retraining {
            feedback: self.feedback.clone(),
            attempts: self.attempts,
        }
    }
}

impl sealed::Sealed for Deployed {
    fn to_data(&self) -> StageData {
        StageData::Deployed {
            submission: self.approved.submission.clone(),
            decision: self.approved.decision.data().clone(),
            receipt: self.receipt.clone(),
            deployed_at: self.deployed_at,
        }
    }
}
