//! The six stages of a model's life, as types (for the typestate) and as [`Status`] (at runtime).

use std::fmt;

use super::decision::Decision;
use super::status::Status;
use crate::policy::{Finding, ReviewContext, Scope};
use crate::value::hash::Head;
use crate::value::{
    CountedVotes, Digest, Metrics, Promotion, Receipt, Review, Timestamp, TrainingOutcome, Vote,
};

pub(crate) mod sealed {
    /// Keeps [`Stage`](super::Stage) closed to this crate's stages.
    pub trait Sealed {}
}

/// A stage of the typestate [`Model<S>`](crate::Model): sealed, implemented by the six stages only.
///
/// ```
/// use modelgate::{Status, Submitted}; use modelgate::model::Stage;
/// assert_eq!(Submitted::STATUS, Status::Submitted);
/// ```
///
/// No other crate can add a stage:
///
/// ```compile_fail,E0277
/// #[derive(Debug, PartialEq)]
/// struct Shipped;
/// impl modelgate::model::Stage for Shipped {
///     const STATUS: modelgate::Status = modelgate::Status::Deployed;
/// }
/// ```
pub trait Stage: sealed::Sealed + fmt::Debug + PartialEq {
    /// The runtime status of this stage.
    const STATUS: Status;
}

/// What a submission was: the training outcome, who submitted it, which attempt, and when.
#[derive(Clone, Debug, PartialEq)]
pub struct Submission {
    /// The model's name, version and environment: what a signed vote names beside its round.
    model: Box<(String, String, String)>,
    outcome: TrainingOutcome,
    submitter: String,
    attempt: u32,
    submitted_at: Timestamp,
    /// Boxed: most submissions carry none, and every stage holds a submission.
    promotion: Option<Box<Promotion>>,
}

impl Submission {
    pub(crate) fn new(
        model: (String, String, String),
        outcome: TrainingOutcome,
        submitter: String,
        attempt: u32,
        at: Timestamp,
        promotion: Option<Promotion>,
    ) -> Self {
        Self {
            model: Box::new(model),
            outcome,
            submitter,
            attempt,
            submitted_at: at,
            promotion: promotion.map(Box::new),
        }
    }

    /// The evidence from the environment the version was promoted from, if it was.
    pub fn promotion(&self) -> Option<&Promotion> {
        self.promotion.as_deref()
    }

    /// The training outcome: digest, metrics, notes.
    pub fn outcome(&self) -> &TrainingOutcome {
        &self.outcome
    }

    /// The submitted artifact's digest (a shortcut for `outcome().digest()`).
    pub fn digest(&self) -> &Digest {
        self.outcome.digest()
    }

    /// The submitted metrics (a shortcut for `outcome().metrics()`).
    pub fn metrics(&self) -> &Metrics {
        self.outcome.metrics()
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

    /// The context a policy sees for this submission with `votes` cast in the round that began
    /// with the event `round`, at `now`.
    pub(crate) fn context<'a>(
        &'a self,
        votes: &'a CountedVotes,
        round: Head,
        now: Timestamp,
    ) -> ReviewContext<'a> {
        let (name, version, environment) = &*self.model;
        ReviewContext::new(&self.outcome, votes, &self.submitter, self.attempt, now)
            .with_promotion(self.promotion.as_deref())
            .with_scope(Scope {
                name,
                version,
                environment,
                round,
            })
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
    /// When this round of review began: the submission, or the reopening.
    pub(crate) since: Timestamp,
    /// The head of the event that began this round: what a signed vote names as its round.
    pub(crate) round: Head,
}

impl Submitted {
    /// The submission under review.
    pub fn submission(&self) -> &Submission {
        &self.submission
    }

    /// When this round of review began: the submission, or the reopening of a lapsed or stale
    /// approval. A vote cast (by its reviewer's clock) more than
    /// [`CLOCK_SKEW`](crate::value::CLOCK_SKEW) before it belongs to another round.
    pub fn since(&self) -> Timestamp {
        self.since
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

    /// The approving votes on record at the decision, the submitter's excluded, as recorded:
    /// their roles are the recording service's word. Which of them the policy counted, and with
    /// which roles, is the policy's to say: under
    #[cfg_attr(
        feature = "signed-votes",
        doc = "[`SignedVotes`](crate::policy::SignedVotes)"
    )]
    #[cfg_attr(not(feature = "signed-votes"), doc = "`SignedVotes`")]
    /// the decision's `signed_votes` finding names each vote that did not count, and a gate
    /// recounts an attestation's by a roster (`attest::VerifiedApproval::signed_approvals`),
    /// never reading these roles.
    pub fn approvals(&self) -> impl Iterator<Item = &Review> {
        let submitter = self.submission.submitter();
        self.decision
            .votes()
            .iter()
            .filter(move |r| r.vote() == Vote::Approve && !r.is_by(submitter))
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
    pub(crate) revocation: Option<Box<Revocation>>,
}

/// An approval withdrawn before deployment: why, by whom, when, as the finding a rejection
/// carries.
#[derive(Debug, PartialEq)]
pub struct Revocation {
    pub(crate) finding: Finding,
    pub(crate) by: String,
    pub(crate) at: Timestamp,
}

impl Revocation {
    /// The reason, as a finding (rule `revoked`).
    pub fn finding(&self) -> &Finding {
        &self.finding
    }

    /// Who revoked the approval.
    pub fn by(&self) -> &str {
        &self.by
    }

    /// When.
    pub fn at(&self) -> Timestamp {
        self.at
    }
}

impl Rejected {
    /// The rejected submission.
    pub fn submission(&self) -> &Submission {
        &self.submission
    }

    /// The decision record: of the rejection, or of the approval that was later revoked.
    pub fn decision(&self) -> &Decision {
        &self.decision
    }

    /// The revocation, if the model was approved and the approval then withdrawn.
    pub fn revocation(&self) -> Option<&Revocation> {
        self.revocation.as_deref()
    }

    /// The findings that explain the rejection: the revocation's, or the decision's.
    pub fn findings(&self) -> &[Finding] {
        match &self.revocation {
            Some(r) => std::slice::from_ref(&r.finding),
            None => self.decision.verdict().findings(),
        }
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
    pub(crate) deployed_by: String,
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

    /// Who deployed it.
    pub fn deployed_by(&self) -> &str {
        &self.deployed_by
    }

    /// The approved submission (a shortcut for `approved().submission()`).
    pub fn submission(&self) -> &Submission {
        &self.approved.submission
    }

    /// The decision that allowed the deployment (a shortcut for `approved().decision()`).
    pub fn decision(&self) -> &Decision {
        &self.approved.decision
    }
}

/// Stage: deployed once, then replaced in its environment by another version (which superseded
/// it, or to which the environment was rolled back). It may be reinstated (a rollback to it) or
/// retired.
#[derive(Debug, PartialEq)]
pub struct Superseded {
    pub(crate) deployed: Deployed,
    pub(crate) by_version: String,
    pub(crate) superseded_at: Timestamp,
}

impl Superseded {
    /// The deployment that was replaced.
    pub fn deployed(&self) -> &Deployed {
        &self.deployed
    }

    /// The version that replaced it.
    pub fn by_version(&self) -> &str {
        &self.by_version
    }

    /// When.
    pub fn superseded_at(&self) -> Timestamp {
        self.superseded_at
    }
}

/// Stage: out of service for good. Terminal.
#[derive(Debug, PartialEq)]
pub struct Retired {
    pub(crate) deployed: Deployed,
    pub(crate) reason: String,
    pub(crate) for_cause: bool,
    pub(crate) retired_by: String,
    pub(crate) retired_at: Timestamp,
}

impl Retired {
    /// The last deployment of the model.
    pub fn deployed(&self) -> &Deployed {
        &self.deployed
    }

    /// Why it was retired.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Whether it was retired for cause (a fault); such a version is never rolled back to.
    pub fn for_cause(&self) -> bool {
        self.for_cause
    }

    /// Who retired it.
    pub fn retired_by(&self) -> &str {
        &self.retired_by
    }

    /// When.
    pub fn retired_at(&self) -> Timestamp {
        self.retired_at
    }
}

macro_rules! stages {
    ($($stage:ident),*) => {$(
        impl Stage for $stage {
            const STATUS: Status = Status::$stage;
        }

        impl sealed::Sealed for $stage {}
    )*};
}

stages!(
    Untrained, Submitted, Approved, Rejected, Retraining, Deployed, Superseded, Retired
);
