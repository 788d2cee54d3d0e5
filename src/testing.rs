//! Property-testing kit for hosts (feature `proptest`): strategies for the crate's inputs and
//! models, and a law checker for custom policies.
//!
//! Strategies: [`metrics`], [`review`], [`counted_votes`], [`scenario`] and
//! [`scenario_with`] (everything a policy sees), models in every stage ([`untrained_model`] …
//! [`deployed_model`], [`stored_model`]) and valid [`pipeline_spec`]s.
//!
//! A downstream crate enables the feature in its dev-dependencies and checks its own policy in
//! its own CI:
//!
//! ```
//! use modelgate::testing::{Laws, scenario};
//! use modelgate::{MetricGate, PolicyExt, Quorum};
//! use proptest::prelude::*;
//!
//! proptest! {
//!     // In a test file this function is marked `#[test]`; here the example calls it.
//!     fn my_policy_obeys_the_laws(s in scenario()) {
//!         let policy = MetricGate::at_least("accuracy", 0.9).and(Quorum::new(2));
//!         Laws::new(&policy).monotone().check(&s)?;
//!     }
//! }
//! my_policy_obeys_the_laws();
//! ```

use std::fmt;

use proptest::prelude::*;

use crate::pipeline::raw::Raw;
use crate::value::name::Name;
use crate::value::{CountedVotes, Promotion};
use crate::{
    Approved, Decided, DecisionContext, Deployed, Head, MetricGate, Metrics, Model, PipelineSpec,
    Policy, Receipt, Rejected, Retraining, Review, ReviewContext, StoredModel, Submitted,
    Timestamp, TrainingOutcome, Untrained, Vote,
};

/// Reviewer ids the strategies draw from; the first two also submit.
pub const REVIEWERS: [&str; 6] = ["alice", "bob", "carol", "dave", "erin", "frank"];
/// Roles the strategies draw from.
pub const ROLES: [&str; 3] = ["team_lead", "ml_reviewer", "security"];
/// Metric names the strategies draw from.
pub const METRICS: [&str; 5] = ["accuracy", "precision", "recall", "latency_p99_ms", "loss"];
/// The artifact digest of generated scenarios and models.
pub const DIGEST: &str = "sha256:generated";

/// A metric value: often near common thresholds (0.9, 0.95, 0.97, 50), sometimes anywhere.
pub fn metric_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => 0.0..1.0f64,
        2 => prop::sample::select(vec![0.0, 0.5, 0.8, 0.9, 0.95, 0.97, 1.0, 50.0]),
        1 => 0.0..200.0f64,
    ]
}

/// Metrics: some of [`METRICS`], finite values.
pub fn metrics() -> impl Strategy<Value = Metrics> {
    prop::collection::btree_map(
        prop::sample::select(METRICS.to_vec()),
        metric_value(),
        0..=METRICS.len(),
    )
    .prop_filter_map("metrics are finite and named", |m| Metrics::new(m).ok())
}

/// A reviewer id from [`REVIEWERS`].
pub fn reviewer() -> impl Strategy<Value = &'static str> {
    prop::sample::select(REVIEWERS.to_vec())
}

/// A vote on `digest`: any reviewer, approve or reject, up to two roles, at `0..=at_most` seconds.
pub fn review(digest: &'static str, at_most: u64) -> impl Strategy<Value = Review> {
    review_between(digest, 0, at_most)
}

/// A vote on `digest` at `from..=to` seconds.
fn review_between(digest: &'static str, from: u64, to: u64) -> impl Strategy<Value = Review> {
    (
        reviewer(),
        any::<bool>(),
        prop::sample::subsequence(ROLES.to_vec(), 0..=2),
        from..=to,
    )
        .prop_map(move |(who, approve, roles, at)| {
            let vote = if approve { Vote::Approve } else { Vote::Reject };
            let review = Review::new(who, vote, digest, Timestamp::from_unix_secs(at));
            roles.into_iter().fold(review, Review::with_role)
        })
}

/// Counted votes on `digest` from up to 8 reviews (duplicates resolved: the latest counts).
pub fn counted_votes(digest: &'static str, at_most: u64) -> impl Strategy<Value = CountedVotes> {
    votes_between(digest, 0, at_most)
}

fn votes_between(digest: &'static str, from: u64, to: u64) -> impl Strategy<Value = CountedVotes> {
    prop::collection::vec(review_between(digest, from, to), 0..8).prop_map(|mut reviews| {
        reviews.sort_by_key(Review::at);
        reviews.into_iter().collect()
    })
}

/// Seconds from the epoch to 2100: times spread over every weekday, hour and year.
const UNTIL_2100: u64 = 4_102_444_800;

/// How far before the decision votes are cast: up to 60 days.
const VOTE_SPAN: u64 = 60 * 86_400;

/// How long a promoted version ran in its previous environment: up to 10 days.
const SOAK_SPAN: u64 = 10 * 86_400;

/// Everything a policy sees, owned, so that a strategy can generate it.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// The submitted outcome.
    pub outcome: TrainingOutcome,
    /// The counted votes.
    pub votes: CountedVotes,
    /// Who submitted.
    pub submitter: String,
    /// The attempt, from 1.
    pub attempt: u32,
    /// The champion's metrics, if any.
    pub champion: Option<Metrics>,
    /// The evidence of a promotion from a previous environment, if any.
    pub promotion: Option<Promotion>,
    /// The time of evaluation.
    pub now: Timestamp,
}

impl Scenario {
    /// The context a policy sees.
    pub fn context(&self) -> ReviewContext<'_> {
        ReviewContext::new(
            &self.outcome,
            &self.votes,
            &self.submitter,
            self.attempt,
            self.now,
        )
        .with_champion(self.champion.as_ref())
        .with_promotion(self.promotion.as_ref())
    }

    /// The same scenario without the evidence of a promotion.
    pub fn without_promotion(&self) -> Scenario {
        Scenario {
            promotion: None,
            ..self.clone()
        }
    }

    /// The same scenario without the online metric `name` in the promotion's evidence.
    pub fn without_online_metric(&self, name: &str) -> Scenario {
        let promotion = self.promotion.as_ref().map(|p| {
            Promotion::new(
                Name::new(p.from()),
                p.deployment(),
                p.deployed_at(),
                p.online().without(name),
                p.observed_at(),
            )
        });
        Scenario {
            promotion,
            ..self.clone()
        }
    }

    /// The same scenario without the metric `name`.
    pub fn without_metric(&self, name: &str) -> Scenario {
        let outcome = TrainingOutcome::from_parts(
            self.outcome.digest().clone(),
            self.outcome.metrics().without(name),
            self.outcome.notes().to_owned(),
        );
        Scenario {
            outcome,
            ..self.clone()
        }
    }

    /// The same scenario with one more approval, by `reviewer` with every role in [`ROLES`], at
    /// `now`.
    pub fn with_approval(&self, reviewer: &str) -> Scenario {
        let review = ROLES.iter().fold(
            Review::approve(reviewer, self.outcome.digest().as_str(), self.now),
            |r, role| r.with_role(*role),
        );
        let mut votes = self.votes.clone();
        votes.count(review);
        Scenario {
            votes,
            ..self.clone()
        }
    }
}

/// A scenario: metrics (sometimes missing), a champion (sometimes), the evidence of a promotion
/// (sometimes: deployed up to 10 days before it was observed, with online metrics), up to 8
/// votes with duplicates and self-votes, a submitter, an attempt, a decision time anywhere from
/// 1970 to 2100 (every weekday and hour), votes up to 60 days before it.
pub fn scenario() -> impl Strategy<Value = Scenario> {
    scenario_from(metrics())
}

/// A scenario whose metrics include each of `ranges` (name, lowest, highest), drawn uniformly in
/// its range, besides some of [`METRICS`]: for gated policies that would otherwise see most
/// scenarios rejected for a missing metric.
///
/// ```
/// use modelgate::testing::scenario_with;
/// use modelgate::{MetricGate, Policy};
/// use proptest::prelude::*;
///
/// proptest! {
///     fn accuracy_is_always_there(s in scenario_with(&[("accuracy", 0.8, 1.0)])) {
///         prop_assert!(s.outcome.metrics().get("accuracy").is_some());
///     }
/// }
/// accuracy_is_always_there();
/// ```
pub fn scenario_with(ranges: &[(&str, f64, f64)]) -> impl Strategy<Value = Scenario> + use<> {
    let fixed: Vec<BoxedStrategy<(String, f64)>> = ranges
        .iter()
        .map(|(name, low, high)| {
            let name = (*name).to_owned();
            let (low, high) = if low <= high {
                (*low, *high)
            } else {
                (*high, *low)
            };
            (low..=high).prop_map(move |v| (name.clone(), v)).boxed()
        })
        .collect();
    let metrics = (metrics(), fixed)
        .prop_filter_map("metrics are finite and named", |(m, fixed)| {
            Metrics::new(m.iter().map(|(k, v)| (k.to_owned(), v)).chain(fixed)).ok()
        });
    scenario_from(metrics)
}

fn scenario_from(metrics: impl Strategy<Value = Metrics>) -> impl Strategy<Value = Scenario> {
    (
        metrics,
        prop::option::of(self::metrics()),
        prop::sample::select(REVIEWERS[..2].to_vec()),
        1..4u32,
        VOTE_SPAN..UNTIL_2100,
        prop::option::of((0..SOAK_SPAN, 0..VOTE_SPAN, self::metrics())),
    )
        .prop_flat_map(|(metrics, champion, submitter, attempt, now, evidence)| {
            (
                Just((metrics, champion, submitter, attempt, now, evidence)),
                votes_between(DIGEST, now - VOTE_SPAN, now),
            )
        })
        .prop_filter_map(
            "outcome builds",
            |((metrics, champion, submitter, attempt, now, evidence), votes)| {
                let outcome = TrainingOutcome::new(DIGEST, metrics).ok()?;
                // Observed before the decision, deployed before it was observed.
                let promotion = evidence.map(|(soaked, before, online)| {
                    let observed = now - before;
                    Promotion::new(
                        Name::new("staging"),
                        Head::from_bytes([7; 32]),
                        Timestamp::from_unix_secs(observed.saturating_sub(soaked)),
                        online,
                        Timestamp::from_unix_secs(observed),
                    )
                });
                Some(Scenario {
                    outcome,
                    votes,
                    submitter: submitter.to_owned(),
                    attempt,
                    champion,
                    promotion,
                    now: Timestamp::from_unix_secs(now),
                })
            },
        )
}

/// An untrained model.
pub fn untrained_model() -> impl Strategy<Value = Model<Untrained>> {
    (
        prop::sample::select(vec!["fraud", "churn", "ranker"]),
        1..100u32,
    )
        .prop_filter_map("valid name", |(name, v)| {
            Model::new(name, v.to_string()).ok()
        })
}

/// A submitted model with up to 8 votes (times after the submission).
pub fn submitted_model() -> impl Strategy<Value = Model<Submitted>> {
    submitted_with(metrics())
}

fn submitted_with(
    metrics: impl Strategy<Value = Metrics>,
) -> impl Strategy<Value = Model<Submitted>> {
    (
        untrained_model(),
        metrics,
        prop::sample::select(REVIEWERS[..2].to_vec()),
        counted_votes(DIGEST, 100),
    )
        .prop_filter_map("submits", |(model, metrics, submitter, votes)| {
            let outcome = TrainingOutcome::new(DIGEST, metrics).ok()?;
            let mut model = model
                .submit(outcome, submitter, Timestamp::from_unix_secs(0))
                .ok()?;
            for review in votes.iter().cloned() {
                model.record(review).ok()?;
            }
            Some(model)
        })
}

/// The policy every generated model was decided by: `accuracy` at least 0.5. Restore generated
/// models with it.
pub fn decider() -> MetricGate {
    MetricGate::at_least("accuracy", 0.5)
}

fn with_accuracy(low: f64, high: f64) -> impl Strategy<Value = Metrics> {
    (metrics(), low..high).prop_filter_map("metrics are finite and named", |(m, accuracy)| {
        Metrics::new(
            m.iter()
                .map(|(k, v)| (k.to_owned(), v))
                .chain([("accuracy".to_owned(), accuracy)]),
        )
        .ok()
    })
}

fn decided(model: Model<Submitted>) -> Option<Decided> {
    model
        .decide(
            &decider(),
            &DecisionContext::at(Timestamp::from_unix_secs(200)),
        )
        .ok()
}

/// A model approved by [`decider`].
pub fn approved_model() -> impl Strategy<Value = Model<Approved>> {
    submitted_with(with_accuracy(0.5, 1.0))
        .prop_filter_map("approves", |m| decided(m)?.approved().ok())
}

/// A model rejected by [`decider`].
pub fn rejected_model() -> impl Strategy<Value = Model<Rejected>> {
    submitted_with(with_accuracy(0.0, 0.5))
        .prop_filter_map("rejects", |m| decided(m)?.rejected().ok())
}

/// A rejected model sent back to training.
pub fn retraining_model() -> impl Strategy<Value = Model<Retraining>> {
    rejected_model().prop_filter_map("retrains", |m| {
        m.retrain("trainer", Timestamp::from_unix_secs(300)).ok()
    })
}

/// An approved model marked deployed.
pub fn deployed_model() -> impl Strategy<Value = Model<Deployed>> {
    approved_model().prop_filter_map("deploys", |m| {
        m.mark_deployed(
            Receipt::new("generated"),
            "deployer",
            Timestamp::from_unix_secs(400),
        )
        .ok()
    })
}

/// A model in any of the six stages, stored unsealed; restore it with [`decider`].
pub fn stored_model() -> impl Strategy<Value = StoredModel> {
    prop_oneof![
        untrained_model().prop_map(|m| StoredModel::from(&m)),
        submitted_model().prop_map(|m| StoredModel::from(&m)),
        approved_model().prop_map(|m| StoredModel::from(&m)),
        rejected_model().prop_map(|m| StoredModel::from(&m)),
        retraining_model().prop_map(|m| StoredModel::from(&m)),
        deployed_model().prop_map(|m| StoredModel::from(&m)),
    ]
}

/// A valid pipeline spec: training, 0 to 2 test steps with gates, an approval step (approvers
/// from [`REVIEWERS`] and [`ROLES`], a `required` they can meet, sometimes `auto_approve`,
/// sometimes gates, `retrain` or `fail_pipeline`), sometimes a deploy step.
pub fn pipeline_spec() -> impl Strategy<Value = PipelineSpec> {
    let names: Vec<&'static str> = REVIEWERS.iter().chain(ROLES.iter()).copied().collect();
    (
        prop::collection::vec(prop::collection::vec(condition(), 0..3), 0..3),
        prop::sample::subsequence(names, 0..=4),
        1..=4usize,
        prop::option::of(condition()),
        prop::collection::vec(condition(), 0..2),
        prop::option::of(1..5u32),
        any::<bool>(),
    )
        .prop_filter_map(
            "approvers or auto-approval",
            |(tests, approvers, required, auto, gates, retrain, deploy)| {
                if approvers.is_empty() && auto.is_none() {
                    return None;
                }
                let mut steps = vec![step("train", "training", Vec::new(), None)];
                for (i, gates) in tests.into_iter().enumerate() {
                    steps.push(step(
                        &format!("test_{i}"),
                        "test",
                        vec![("gates", Raw::List(gates))],
                        None,
                    ));
                }
                let mut inputs = vec![("gates", Raw::List(gates))];
                if !approvers.is_empty() {
                    let required = required.min(approvers.len());
                    inputs.push((
                        "approvers",
                        Raw::List(
                            approvers
                                .iter()
                                .map(|a| Raw::Str((*a).to_owned()))
                                .collect(),
                        ),
                    ));
                    inputs.push(("required", Raw::Int(required as i128)));
                }
                if let Some(auto) = auto {
                    inputs.push(("auto_approve", auto));
                }
                let on_reject = match retrain {
                    Some(max) => {
                        inputs.push(("max_attempts", Raw::Int(max.into())));
                        "retrain"
                    }
                    None => "fail_pipeline",
                };
                steps.push(step("approve", "approval", inputs, Some(on_reject)));
                if deploy {
                    steps.push(step("deploy", "deploy", Vec::new(), None));
                }
                Some(PipelineSpec::from_raw(Raw::Map(vec![(
                    "steps".to_owned(),
                    Raw::List(steps),
                )])))
            },
        )
}

fn condition() -> impl Strategy<Value = Raw> {
    (
        prop::sample::select(METRICS.to_vec()),
        prop::sample::select(vec!["at_least", "at_most", "above", "below"]),
        metric_value(),
    )
        .prop_map(|(metric, op, threshold)| {
            Raw::Map(vec![
                ("metric".to_owned(), Raw::Str(metric.to_owned())),
                (op.to_owned(), Raw::Float(threshold)),
            ])
        })
}

fn step(name: &str, kind: &str, inputs: Vec<(&str, Raw)>, on_reject: Option<&str>) -> Raw {
    let mut entries = vec![
        ("name".to_owned(), Raw::Str(name.to_owned())),
        ("type".to_owned(), Raw::Str(kind.to_owned())),
    ];
    if !inputs.is_empty() {
        let inputs = inputs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        entries.push(("inputs".to_owned(), Raw::Map(inputs)));
    }
    if let Some(on_reject) = on_reject {
        entries.push(("on_reject".to_owned(), Raw::Str(on_reject.to_owned())));
    }
    Raw::Map(entries)
}

/// A law a policy broke, with what showed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LawViolation {
    law: &'static str,
    detail: String,
}

impl LawViolation {
    /// The law, e.g. `fails closed on missing metrics`.
    pub fn law(&self) -> &'static str {
        self.law
    }
}

impl fmt::Display for LawViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "policy breaks the law `{}`: {}", self.law, self.detail)
    }
}

/// Being an error, it converts into proptest's `TestCaseError` with `?`.
impl std::error::Error for LawViolation {}

/// The laws every policy must obey, checked on one [`Scenario`] at a time:
///
/// - deterministic: evaluating twice gives the same verdict and findings;
/// - `judge` agrees with `evaluate`;
/// - every verdict has findings;
/// - fails closed on missing metrics: removing a metric never raises the verdict;
/// - fails closed on missing evidence: removing the evidence of a promotion, or an online metric
///   from it, never raises the verdict;
/// - monotone in approvals (only if declared with [`monotone`](Self::monotone)): one more
///   approval, by a new reviewer holding every role, never lowers the verdict.
#[derive(Clone, Copy, Debug)]
pub struct Laws<'p, P: ?Sized> {
    policy: &'p P,
    monotone: bool,
}

impl<'p, P: Policy + ?Sized> Laws<'p, P> {
    /// The laws for `policy`.
    pub fn new(policy: &'p P) -> Self {
        Self {
            policy,
            monotone: false,
        }
    }

    /// Also check that one more approval never lowers the verdict (true of policies without
    /// vetoes, vote windows or `not`).
    #[must_use]
    pub fn monotone(mut self) -> Self {
        self.monotone = true;
        self
    }

    /// Checks every law on `scenario`.
    ///
    /// # Errors
    ///
    /// The first [`LawViolation`] found, naming the law and what showed it.
    pub fn check(&self, scenario: &Scenario) -> Result<(), LawViolation> {
        let broken = |law, detail: String| Err(LawViolation { law, detail });
        let ctx = scenario.context();
        let verdict = self.policy.evaluate(&ctx);
        let again = self.policy.evaluate(&ctx);
        if format!("{verdict:?}") != format!("{again:?}") {
            return broken("deterministic", format!("`{verdict}`, then `{again}`"));
        }
        let judged = self.policy.judge(&ctx);
        if judged != verdict.kind() {
            return broken(
                "judge agrees with evaluate",
                format!("judge says {judged}, evaluate `{verdict}`"),
            );
        }
        if verdict.findings().is_empty() {
            return broken(
                "every verdict has findings",
                format!("{} without findings", verdict.kind()),
            );
        }
        for (name, _) in scenario.outcome.metrics().iter() {
            let without = self
                .policy
                .evaluate(&scenario.without_metric(name).context());
            if without.kind() > verdict.kind() {
                let detail = format!("without `{name}`: `{without}`; with it: `{verdict}`");
                return broken("fails closed on missing metrics", detail);
            }
        }
        if let Some(promotion) = &scenario.promotion {
            let without = self
                .policy
                .evaluate(&scenario.without_promotion().context());
            if without.kind() > verdict.kind() {
                let detail = format!("without the evidence: `{without}`; with it: `{verdict}`");
                return broken("fails closed on missing evidence", detail);
            }
            for (name, _) in promotion.online().iter() {
                let without = self
                    .policy
                    .evaluate(&scenario.without_online_metric(name).context());
                if without.kind() > verdict.kind() {
                    let detail =
                        format!("without online `{name}`: `{without}`; with it: `{verdict}`");
                    return broken("fails closed on missing evidence", detail);
                }
            }
        }
        if self.monotone {
            let more = self
                .policy
                .evaluate(&scenario.with_approval("law-checker").context());
            if more.kind() < verdict.kind() {
                let detail = format!("`{verdict}`, then with one more approval `{more}`");
                return broken("monotone in approvals", detail);
            }
        }
        Ok(())
    }
}
