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

mod laws;
mod models;
mod rule;
mod scenario;
mod spec;

use proptest::prelude::*;

use crate::value::CountedVotes;
use crate::{Metrics, Review, Timestamp, Vote};

pub use laws::{LawViolation, Laws};
pub use models::{
    approved_model, decider, deployed_model, rejected_model, retraining_model, stored_model,
    submitted_model, untrained_model,
};
pub use rule::rule;
pub use scenario::{Scenario, scenario, scenario_with};
pub use spec::pipeline_spec;

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
