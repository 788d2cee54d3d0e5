//! The decision record: the proof inside an approved (or rejected) model.

use serde::{Deserialize, Serialize};

use crate::outcome::{Digest, Metrics};
use crate::policy::{ReviewContext, Verdict};
use crate::review::{CountedVotes, Review};
use crate::stage::Submission;
use crate::time::Timestamp;

/// The record of a policy's decision: which policy, when, on which artifact digest, on which
/// evidence (the counted votes and the champion's metrics), and its verdict with findings.
///
/// Only [`Model::decide`](crate::Model::decide) makes one (or a restore that replays a stored
/// trail); there is no public constructor and it cannot be deserialized on its own:
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
/// #     .submit(TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.95)])?)?, "alice", t(1))
/// #     .map_err(|e| e.into_error())?;
/// let Decided::Approved(model) = model.decide(&MetricGate::at_least("accuracy", 0.9), &DecisionContext::at(t(2)))
///     .map_err(|e| e.into_error())? else { unreachable!() };
/// let decision = model.stage().decision();
/// assert_eq!(decision.policy(), "accuracy at least 0.9");
/// assert_eq!(decision.digest().as_str(), "sha256:1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Decision(DecisionData);

/// The fields of a [`Decision`], in the stored form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionData {
    policy: String,
    decided_at: Timestamp,
    digest: Digest,
    votes: CountedVotes,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    champion: Option<Metrics>,
    verdict: Verdict,
}

impl Decision {
    pub(crate) fn new(
        policy: String,
        at: Timestamp,
        submission: &Submission,
        votes: CountedVotes,
        champion: Option<Metrics>,
        verdict: Verdict,
    ) -> Self {
        let digest = submission.outcome().digest().clone();
        Self(DecisionData {
            policy,
            decided_at: at,
            digest,
            votes,
            champion,
            verdict,
        })
    }

    pub(crate) fn data(&self) -> &DecisionData {
        &self.0
    }

    /// The name of the policy that decided.
    pub fn policy(&self) -> &str {
        &self.0.policy
    }

    /// When it decided, as the host gave it.
    pub fn decided_at(&self) -> Timestamp {
        self.0.decided_at
    }

    /// The artifact digest that was decided on.
    pub fn digest(&self) -> &Digest {
        &self.0.digest
    }

    /// The votes the policy saw: the latest of each reviewer, the submitter's included
    /// (policies exclude it).
    pub fn votes(&self) -> &[Review] {
        &self.0.votes
    }

    /// The champion's metrics the policy saw, if any.
    pub fn champion(&self) -> Option<&Metrics> {
        self.0.champion.as_ref()
    }

    /// The verdict with its findings.
    pub fn verdict(&self) -> &Verdict {
        &self.0.verdict
    }

    /// The rule that approved automatically, if the approval was automatic.
    pub fn automatic_rule(&self) -> Option<&str> {
        self.0.verdict.automatic_rule()
    }

    /// The context the policy saw.
    pub(crate) fn context<'a>(&'a self, submission: &'a Submission) -> ReviewContext<'a> {
        submission
            .context(&self.0.votes, self.0.decided_at)
            .with_champion(self.0.champion.as_ref())
    }
}
