//! What a policy sees when it evaluates a submitted model.

use std::collections::HashSet;
use std::time::Duration;

use crate::value::identity::{Ident, SCAN_UP_TO};
use crate::value::name::Name;
use crate::value::{
    CountedVotes, Digest, Metrics, Promotion, Review, Timestamp, TrainingOutcome, Vote,
};

/// Everything a [`Policy`](crate::Policy) may look at: the training outcome, the counted votes,
/// the submitter, the attempt, the champion's metrics and the host's `now`.
///
/// [`Model::decide`](crate::Model::decide) builds it from the model. It can also be built
/// directly, to test a policy:
///
/// ```
/// use modelgate::{Metrics, Review, ReviewContext, Timestamp, TrainingOutcome}; use modelgate::value::CountedVotes;
/// let t = Timestamp::from_unix_secs;
/// let outcome = TrainingOutcome::new("sha256:9f2c", Metrics::new([("accuracy", 0.93)])?)?;
/// let votes: CountedVotes = [Review::approve("bob", "sha256:9f2c", t(5))].into_iter().collect();
/// let ctx = ReviewContext::new(&outcome, &votes, "alice", 1, t(9));
/// assert_eq!(ctx.metric("accuracy"), Some(0.93));
/// assert_eq!(ctx.votes().count(), 1);
/// # Ok::<(), modelgate::value::OutcomeError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ReviewContext<'a> {
    outcome: &'a TrainingOutcome,
    votes: &'a CountedVotes,
    submitter: &'a str,
    attempt: u32,
    champion: Option<&'a Metrics>,
    promotion: Option<&'a Promotion>,
    now: Timestamp,
    fresh_since: Option<Timestamp>,
    excluded: Option<&'a Excluded<'a>>,
}

/// Roles whose holders' approvals do not count (see [`Excluding`](super::Excluding)), and the ones
/// an enclosing rule excluded.
#[derive(Debug)]
pub(crate) struct Excluded<'a> {
    roles: &'a [String],
    /// Past [`SCAN_UP_TO`] roles, the roles by identity, so that a vote costs one lookup per
    /// role its reviewer holds, not one comparison per excluded role.
    set: Option<HashSet<Ident>>,
    outer: Option<&'a Excluded<'a>>,
}

impl<'a> Excluded<'a> {
    /// `roles` excluded, within what `outer` excluded.
    pub(crate) fn new(roles: &'a [String], outer: Option<&'a Excluded<'a>>) -> Self {
        let set =
            (roles.len() > SCAN_UP_TO).then(|| roles.iter().map(|role| Ident::of(role)).collect());
        Self { roles, set, outer }
    }

    /// Whether `review`'s author holds an excluded role, here or in an enclosing rule.
    fn excludes(&self, review: &Review) -> bool {
        let mut at = Some(self);
        while let Some(excluded) = at {
            let holds = match &excluded.set {
                Some(set) => review
                    .role_names()
                    .any(|role| set.contains(&Ident(role.clone()))),
                None => excluded.roles.iter().any(|role| review.has_role(role)),
            };
            if holds {
                return true;
            }
            at = excluded.outer;
        }
        false
    }
}

impl<'a> ReviewContext<'a> {
    /// A context for the submission of `outcome` by `submitter` (its `attempt`, counting from 1),
    /// with the counted `votes`, evaluated at `now`.
    pub fn new(
        outcome: &'a TrainingOutcome,
        votes: &'a CountedVotes,
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
            promotion: None,
            now,
            fresh_since: None,
            excluded: None,
        }
    }

    /// The same context with the evidence from the environment the version was promoted from
    /// (or without, when given `None`).
    #[must_use]
    pub fn with_promotion(mut self, promotion: impl Into<Option<&'a Promotion>>) -> Self {
        self.promotion = promotion.into();
        self
    }

    /// The evidence from the environment the version was promoted from, if it was.
    pub fn promotion(&self) -> Option<&'a Promotion> {
        self.promotion
    }

    /// The same context with the metrics of the champion (the model in production), or
    /// without a champion when given `None`.
    #[must_use]
    pub fn with_champion(mut self, champion: impl Into<Option<&'a Metrics>>) -> Self {
        self.champion = champion.into();
        self
    }

    /// The same context in which only votes cast within `window` before `now` count (votes at
    /// exactly `now - window` still count). Narrows an earlier window, never widens it.
    #[must_use]
    pub fn with_vote_window(mut self, window: Duration) -> Self {
        let since = self.now.saturating_sub(window);
        self.fresh_since = Some(self.fresh_since.map_or(since, |s| s.max(since)));
        self
    }

    /// The roles excluded so far, to add to.
    pub(crate) fn excluded(&self) -> Option<&'a Excluded<'a>> {
        self.excluded
    }

    /// The same context in which the votes of reviewers holding any of `excluded`'s roles (or
    /// an enclosing exclusion's) do not count.
    #[must_use]
    pub(crate) fn excluding(mut self, excluded: &'a Excluded<'a>) -> Self {
        self.excluded = Some(excluded);
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

    /// One submitted metric by a name kept inline (no UTF-8 check on the way).
    pub(crate) fn metric_named(&self, name: &Name) -> Option<f64> {
        self.outcome.metrics().get(name.as_str())
    }

    /// The champion's metric by a name kept inline.
    pub(crate) fn champion_named(&self, name: &Name) -> Option<f64> {
        self.champion.and_then(|c| c.get(name.as_str()))
    }

    /// The submitted artifact's digest.
    pub fn digest(&self) -> &'a Digest {
        self.outcome.digest()
    }

    /// The counted votes: the latest of each reviewer, within the vote window if one is set,
    /// but for approvals from a reviewer holding a role an enclosing
    /// [`Excluding`](super::Excluding) excludes. They include the submitter's own vote, if any; built-in rules never count it.
    pub fn votes(&self) -> impl Iterator<Item = &'a Review> + Clone + use<'a> {
        let (since, excluded) = (self.fresh_since, self.excluded);
        self.votes.iter().filter(move |r| {
            since.is_none_or(|s| r.at() >= s)
                && excluded.is_none_or(|e| r.vote() == Vote::Reject || !e.excludes(r))
        })
    }

    /// The latest votes that fall outside the vote window (none if no window is set), but for
    /// excluded approvals.
    pub fn stale_votes(&self) -> impl Iterator<Item = &'a Review> + Clone + use<'a> {
        let (since, excluded) = (self.fresh_since, self.excluded);
        self.votes.iter().filter(move |r| {
            since.is_some_and(|s| r.at() < s)
                && excluded.is_none_or(|e| r.vote() == Vote::Reject || !e.excludes(r))
        })
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
