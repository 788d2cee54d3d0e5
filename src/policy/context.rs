//! What a policy sees when it evaluates a submitted model.

use crate::outcome::{Digest, Metrics, TrainingOutcome};
use crate::review::Review;
use crate::time::Timestamp;

/// Everything a [`Policy`](crate::Policy) may look at: the training outcome, the counted votes,
/// the submitter, the attempt, the champion's metrics and the host's `now`.
///
/// [`Model::decide`](crate::Model::decide) builds it from the model, holding the latest vote of
/// each reviewer. It can also be built directly, to test a policy:
///
/// ```
/// use modelgate::{Metrics, Review, ReviewContext, Timestamp, TrainingOutcome};
/// let outcome = TrainingOutcome::new("sha256:9f2c", Metrics::new([("accuracy", 0.93)])?)?;
/// let votes = [Review::approve("bob", "sha256:9f2c", Timestamp::from_unix_secs(5))];
/// let ctx = ReviewContext::new(&outcome, &votes, "alice", 1, Timestamp::from_unix_secs(9));
/// assert_eq!(ctx.metric("accuracy"), Some(0.93));
/// # Ok::<(), modelgate::OutcomeError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ReviewContext<'a> {
    outcome: &'a TrainingOutcome,
    votes: &'a [Review],
    submitter: &'a str,
    attempt: u32,
    champion: Option<&'a Metrics>,
    now: Timestamp,
}

impl<'a> ReviewContext<'a> {
    /// A context for the submission of `outcome` by `submitter` (its `attempt`, counting from 1),
    /// with `votes`, evaluated at `now`.
    ///
    /// Built-in policies count each reviewer once even if `votes` holds several of theirs.
    pub fn new(
        outcome: &'a TrainingOutcome,
        votes: &'a [Review],
        submitter: &'a str,
        attempt: u32,
        now: Timestamp,
    ) -> Self {
        Self {
            outcome,
            votes,
            submitter,
            attempt,
            champion: None,
            now,
        }
    }

    /// The same context with the metrics of the champion (the model in production).
    #[must_use]
    pub fn with_champion(mut self, champion: &'a Metrics) -> Self {
        self.champion = Some(champion);
        self
    }

    /// The submitted training outcome.
    pub fn outcome(&self) -> &'a TrainingOutcome {
        self.outcome
    }

    /// The submitted metrics.
    pub fn metrics(&self) -> &'a Metrics {
        self.outcome.metrics()
    }

    /// One submitted metric, if present.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.outcome.metrics().get(name)
    }

    /// The submitted artifact's digest.
    pub fn digest(&self) -> &'a Digest {
        self.outcome.digest()
    }

    /// The counted votes: the latest of each reviewer, all for this artifact's digest.
    pub fn votes(&self) -> &'a [Review] {
        self.votes
    }

    /// Who submitted the model.
    pub fn submitter(&self) -> &'a str {
        self.submitter
    }

    /// The attempt, counting from 1; each resubmission after a rejection adds one.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The champion's metrics, if the host gave them.
    pub fn champion(&self) -> Option<&'a Metrics> {
        self.champion
    }

    /// The time of evaluation, as the host gave it.
    pub fn now(&self) -> Timestamp {
        self.now
    }
}
