//! A registry named `churn` in `production` under the no-regression policy, as the registry
//! membership tests (`registry_membership.rs`, `unindexed_registry.rs`) build it.

use modelgate::registry::PolicyBook;
use modelgate::{Environment, Metrics, Model, NoRegression, Submitted, TrainingOutcome};
use modelgate_store::ModelKey;

use super::t;

pub const NAME: &str = "churn";

pub fn production() -> Environment {
    Environment::new("production").unwrap()
}

pub fn policy() -> NoRegression {
    NoRegression::higher_is_better("accuracy")
}

pub fn book() -> PolicyBook {
    PolicyBook::new().with("production", policy())
}

/// `churn@version` in production.
pub fn key(version: &str) -> ModelKey {
    ModelKey::new(NAME, version).in_environment("production")
}

/// `name@version` in production, submitted by alice at `at` with that accuracy (the artifact
/// `sha256:<version>`).
pub fn submitted(name: &str, version: &str, accuracy: f64, at: u64) -> Model<Submitted> {
    let outcome = TrainingOutcome::new(
        format!("sha256:{version}"),
        Metrics::new([("accuracy", accuracy)]).unwrap(),
    )
    .unwrap();
    Model::new(name, version)
        .unwrap()
        .in_environment(production())
        .submit(outcome, "alice", t(at))
        .unwrap()
}
