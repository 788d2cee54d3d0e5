//! The decision record: the proof inside an approved (or rejected) model.

use super::stage::Submission;
use crate::policy::{ReviewContext, Verdict};
use crate::value::hash::{Fingerprint, Head};
use crate::value::{CountedVotes, Digest, Metrics, Timestamp};

/// The record of a policy's decision: which policy, when, on which artifact digest, on which
/// evidence (the counted votes and the champion's metrics), and its verdict with findings.
///
/// Only [`Model::decide`](crate::Model::decide) makes one — also when a stored trail is
/// restored, since restoring replays the trail through `decide` with the caller's policy.
/// There is no public constructor and it cannot be deserialized:
///
/// ```compile_fail,E0423
/// # fn forge() {
/// let forged = modelgate::Decision(todo!());
/// # }
/// ```
///
/// ```compile_fail,E0277
/// let forged: modelgate::Decision = serde_json::from_str("{}").unwrap();
/// ```
///
/// Reading one is fine:
///
/// ```
/// # use modelgate::*;
/// # let t = Timestamp::from_unix_secs;
/// # let model = Model::new("m", "1")?
/// #     .submit(TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.95)])?)?, "alice", t(1))?;
/// let model = model.decide(&MetricGate::at_least("accuracy", 0.9), &DecisionContext::at(t(2)))?
///     .approved()?;
/// let decision = model.stage().decision();
/// assert_eq!(decision.policy(), "accuracy at least 0.9");
/// assert_eq!(decision.digest().as_str(), "sha256:1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    policy: String,
    fingerprint: Option<Fingerprint>,
    decided_at: Timestamp,
    /// The head of the event that began the round of review decided.
    round: Head,
    digest: Digest,
    votes: CountedVotes,
    champion: Option<Metrics>,
    verdict: Verdict,
}

impl Decision {
    /// The decision by `policy` (its name and fingerprint) at `at`.
    pub(crate) fn new(
        (policy, fingerprint): (String, Option<Fingerprint>),
        at: Timestamp,
        round: Head,
        submission: &Submission,
        votes: CountedVotes,
        champion: Option<Metrics>,
        verdict: Verdict,
    ) -> Self {
        Self {
            policy,
            fingerprint,
            decided_at: at,
            round,
            digest: submission.digest().clone(),
            votes,
            champion,
            verdict,
        }
    }

    /// The name of the policy that decided.
    pub fn policy(&self) -> &str {
        &self.policy
    }

    /// The [fingerprint](crate::PolicyExt::fingerprint) of the policy that decided: its
    /// identity, where its name is a description. `None` for a decision recorded before
    /// policies had fingerprints.
    pub fn policy_fingerprint(&self) -> Option<Fingerprint> {
        self.fingerprint
    }

    /// When it decided, as the host gave it.
    pub fn decided_at(&self) -> Timestamp {
        self.decided_at
    }

    /// The artifact digest that was decided on.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The votes the policy saw: the latest of each reviewer, the submitter's included
    /// (policies exclude it).
    pub fn votes(&self) -> &CountedVotes {
        &self.votes
    }

    /// The champion's metrics the policy saw, if any.
    pub fn champion(&self) -> Option<&Metrics> {
        self.champion.as_ref()
    }

    /// The verdict with its findings.
    pub fn verdict(&self) -> &Verdict {
        &self.verdict
    }

    /// The head of the event that began the round of review decided: what each signed vote
    /// names as its round.
    pub fn round(&self) -> Head {
        self.round
    }

    /// The rule that approved automatically, if the approval was automatic.
    pub fn automatic_rule(&self) -> Option<&str> {
        self.verdict.automatic_rule()
    }

    /// The context the policy saw.
    pub(crate) fn context<'a>(&'a self, submission: &'a Submission) -> ReviewContext<'a> {
        submission
            .context(&self.votes, self.round, self.decided_at)
            .with_champion(self.champion.as_ref())
    }
}
