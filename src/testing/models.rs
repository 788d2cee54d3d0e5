//! Models in every stage, and stored models.

use proptest::prelude::*;

use super::{DIGEST, REVIEWERS, counted_votes, metrics};
use crate::{
    Approved, Decided, DecisionContext, Deployed, MetricGate, Metrics, Model, Receipt, Rejected,
    Retraining, StoredModel, Submitted, Timestamp, TrainingOutcome, Untrained,
};

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
                .filter(|(k, _)| *k != "accuracy")
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
