//! What a policy sees when it evaluates a submitted model.

use std::collections::HashSet;
use std::time::Duration;

use super::borrowed::{self, ContextError, Subject};
use crate::value::ballot::{Latest, VoteSource};
use crate::value::identity::{Ident, SCAN_UP_TO};
use crate::value::name::Name;
use crate::value::{
    Ballot, Ballots, CountedVotes, Metrics, MetricsView, Promotion, Timestamp, TrainingOutcome,
    Vote,
};

/// Everything a [`Policy`](crate::Policy) may look at: the artifact's digest and metrics, the
/// counted votes, the submitter, the attempt, the champion's metrics and the host's `now`.
///
/// [`Model::decide`](crate::Model::decide) builds it from the model. It can also be built
/// directly, to test a policy, or [`borrowed`](Self::borrowed) from the host's own data, to
/// decide without copying it:
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
    digest: &'a str,
    metrics: MetricsView<'a>,
    votes: VoteSource<'a>,
    submitter: &'a str,
    attempt: u32,
    champion: Option<MetricsView<'a>>,
    promotion: Option<&'a Promotion>,
    now: Timestamp,
    fresh_since: Option<Timestamp>,
    excluded: Option<&'a Excluded<'a>>,
    scope: Option<Scope<'a>>,
}

/// The model, version, environment and round of review a context's votes are for: what a
/// signed vote's statement names. A model's context has one; a context built by hand has none.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(not(feature = "signed-votes"), allow(dead_code))] // read by `SignedVotes`
pub(crate) struct Scope<'a> {
    pub(crate) name: &'a str,
    pub(crate) version: &'a str,
    pub(crate) environment: &'a str,
    /// The head of the event that began the round.
    pub(crate) round: crate::value::hash::Head,
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
    fn excludes(&self, review: &Ballot<'_>) -> bool {
        let mut at = Some(self);
        while let Some(excluded) = at {
            let holds = match &excluded.set {
                Some(set) => review.roles().any(|role| set.contains(&Ident::of(role))),
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
            digest: outcome.digest().as_str(),
            metrics: outcome.metrics().into(),
            votes: VoteSource::Counted(votes),
            submitter,
            attempt,
            champion: None,
            promotion: None,
            now,
            fresh_since: None,
            excluded: None,
            scope: None,
        }
    }

    /// A context straight from the host's own data, borrowed where it lies: what is decided
    /// ([`Subject`]: the artifact's digest, the submitter, when the round of review began, the
    /// attempt), its `metrics` (e.g. [`MetricsView::borrowed`] over `(name, value)` pairs), the
    /// votes (superseded ones too: the latest of each reviewer counts, as in [`CountedVotes`])
    /// and `now`. Everything is checked as submitting and recording it would be (the digest and
    /// ids, roles and comments; attempts from 1; no vote after `now` or from before the round;
    /// a recorded [`Review`](crate::Review)'s digest), and a policy decides from it as it would
    /// from the same votes recorded in a model submitted at the subject's time, with the same
    /// verdict. Nothing is copied, and [`Policy::judge`](crate::Policy::judge) over it allocates
    /// nothing for the counting rules (gates, no regression, quorums, required roles, vetoes,
    /// vote windows) over up to 16 votes and 16 metrics (`tests/alloc.rs`; a separation of
    /// duties, many excluded roles or look-alike ids outside ASCII may allocate).
    ///
    /// The host vouches for what the context cannot see: that its votes are on this artifact
    /// (a model checks each vote's digest when it records it) and the reviewers' roles. Nothing
    /// is recorded: to keep the decision as evidence, decide through
    /// [`Model::decide`](crate::Model::decide).
    ///
    /// The context borrows the metrics' pairs: a host whose metrics are named fields builds the
    /// pairs where it decides (`let pairs = [("accuracy", m.accuracy)];`), and decides there.
    ///
    /// ```
    /// use modelgate::{MetricGate, Policy, PolicyExt, Quorum, ReviewContext, Timestamp, VerdictKind, Vote};
    /// use modelgate::policy::Subject;
    /// use modelgate::value::{Ballot, MetricsView};
    /// let t = Timestamp::from_unix_secs;
    /// let lead = ["team_lead"];
    /// let votes = [
    ///     Ballot::new("bob", Vote::Reject, t(1)).with_roles(&lead),
    ///     Ballot::new("carol", Vote::Approve, t(2)),
    ///     Ballot::new("bob", Vote::Approve, t(3)).with_roles(&lead), // bob's latest counts
    /// ];
    /// let metrics = [("accuracy", 0.94)];
    /// let subject = Subject::new("sha256:9f2c", "alice", t(0));
    /// let ctx = ReviewContext::borrowed(subject, MetricsView::borrowed(&metrics)?, &votes, t(9))?;
    /// let policy = MetricGate::at_least("accuracy", 0.9).and(Quorum::new(2));
    /// assert_eq!(policy.judge(&ctx), VerdictKind::Approve);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ContextError`] naming what submitting or recording would refuse: the digest, the
    /// submitter, an attempt of 0, `now` before the round began, or a vote's reviewer, role,
    /// comment, artifact (a recorded review's) or time (after `now`, or more than
    /// [`CLOCK_SKEW`](crate::value::CLOCK_SKEW) before the round began), with the vote's place;
    /// and [`ContextError::MissingVote`] when the host's votes give fewer votes than their
    /// `len` says.
    pub fn borrowed(
        subject: Subject<'a>,
        metrics: MetricsView<'a>,
        votes: &'a dyn Ballots,
        now: Timestamp,
    ) -> Result<Self, ContextError> {
        borrowed::check(&subject, votes, now)?;
        Ok(Self {
            digest: subject.digest(),
            metrics,
            votes: VoteSource::host(votes),
            submitter: subject.submitter(),
            attempt: subject.attempt(),
            champion: None,
            promotion: None,
            now,
            fresh_since: None,
            excluded: None,
            scope: None,
        })
    }

    /// The same context for the votes of the model, version, environment and round `scope`.
    pub(crate) fn with_scope(mut self, scope: Scope<'a>) -> Self {
        self.scope = Some(scope);
        self
    }

    /// The model, version, environment and round the votes are for, if the context is a
    /// model's.
    #[cfg_attr(not(feature = "signed-votes"), allow(dead_code))]
    pub(crate) fn scope(&self) -> Option<Scope<'a>> {
        self.scope
    }

    /// The same context over other votes (the latest of each reviewer counts, as ever).
    #[cfg_attr(not(feature = "signed-votes"), allow(dead_code))]
    pub(crate) fn with_votes<'b>(&self, votes: &'b dyn Ballots) -> ReviewContext<'b>
    where
        'a: 'b,
    {
        ReviewContext {
            votes: VoteSource::host(votes),
            ..*self
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
        self.champion = champion.into().map(MetricsView::from);
        self
    }

    /// The same context with the champion's metrics as a view (e.g. the host's own pairs,
    /// [`MetricsView::borrowed`]), or without a champion when given `None`.
    #[must_use]
    pub fn with_champion_view(mut self, champion: impl Into<Option<MetricsView<'a>>>) -> Self {
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

    /// The submitted metrics.
    pub fn metrics(&self) -> MetricsView<'a> {
        self.metrics
    }

    /// One submitted metric, if present.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics.get(name)
    }

    /// One submitted metric by a name kept inline (no UTF-8 check on the way).
    pub(crate) fn metric_named(&self, name: &Name) -> Option<f64> {
        self.metrics.get(name.as_str())
    }

    /// The champion's metric by a name kept inline.
    pub(crate) fn champion_named(&self, name: &Name) -> Option<f64> {
        self.champion.and_then(|c| c.get(name.as_str()))
    }

    /// The submitted artifact's digest.
    pub fn digest(&self) -> &'a str {
        self.digest
    }

    /// The counted votes: the latest of each reviewer, within the vote window if one is set,
    /// but for approvals from a reviewer holding a role an enclosing
    /// [`Excluding`](super::Excluding) excludes. They include the submitter's own vote, if any; built-in rules never count it.
    pub fn votes(&self) -> impl Iterator<Item = Ballot<'a>> + Clone + use<'a> {
        let (since, excluded) = (self.fresh_since, self.excluded);
        self.latest().filter(move |r| {
            since.is_none_or(|s| r.at() >= s)
                && excluded.is_none_or(|e| r.vote() == Vote::Reject || !e.excludes(r))
        })
    }

    /// The latest votes that fall outside the vote window (none if no window is set), but for
    /// excluded approvals.
    pub fn stale_votes(&self) -> impl Iterator<Item = Ballot<'a>> + Clone + use<'a> {
        let (since, excluded) = (self.fresh_since, self.excluded);
        self.latest().filter(move |r| {
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

    /// The latest vote of each reviewer, before any window or exclusion.
    fn latest(&self) -> Latest<'a> {
        self.votes.latest()
    }

    /// The champion's metrics, if the host gave them.
    pub fn champion(&self) -> Option<MetricsView<'a>> {
        self.champion
    }

    /// The time of evaluation, as the host gave it.
    pub fn now(&self) -> Timestamp {
        self.now
    }
}
