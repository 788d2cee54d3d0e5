//! Scenarios: everything a policy sees, with times spread over weeks and years.

use proptest::prelude::*;

use super::{DIGEST, REVIEWERS, ROLES, metrics, votes_between};
use crate::value::name::Name;
use crate::value::{CountedVotes, Promotion};
use crate::{Head, Metrics, Review, ReviewContext, Timestamp, TrainingOutcome};

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
/// its range, besides some of [`METRICS`](super::METRICS): for gated policies that would otherwise see most
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
    // The fixed ranges replace the drawn metrics of the same name (a metric is named once).
    let metrics =
        (metrics(), fixed).prop_filter_map("metrics are finite and named", |(m, fixed)| {
            let drawn = m
                .iter()
                .filter(|(k, _)| !fixed.iter().any(|(f, _)| f.as_str() == *k))
                .map(|(k, v)| (k.to_owned(), v));
            Metrics::new(drawn.chain(fixed.iter().cloned())).ok()
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
