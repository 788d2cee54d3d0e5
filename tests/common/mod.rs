//! Helpers shared by the integration tests: times, outcomes, a fake deployer, ready-made models.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt;

use modelgate::{
    Approved, Decided, DecisionContext, Deployed, Deployer, MetricGate, Metrics, Model, Quorum,
    Receipt, Rejected, Retraining, Review, Submitted, Timestamp, TrainingOutcome, Untrained,
};

/// Seconds after the epoch, as the host's time.
pub fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

pub const DIGEST: &str = "sha256:aaaa";

/// The quickstart's policy: accuracy at least 0.90 and 2 approvals.
pub fn policy() -> (MetricGate, Quorum) {
    (MetricGate::at_least("accuracy", 0.90), Quorum::new(2))
}

pub fn outcome(digest: &str, accuracy: f64) -> TrainingOutcome {
    TrainingOutcome::new(digest, Metrics::new([("accuracy", accuracy)]).unwrap()).unwrap()
}

pub fn untrained() -> Model<Untrained> {
    Model::new("fraud-detector", "2026.11").unwrap()
}

/// Submitted by alice at 10 with the given accuracy.
pub fn submitted(accuracy: f64) -> Model<Submitted> {
    untrained()
        .submit(outcome(DIGEST, accuracy), "alice", t(10))
        .unwrap()
}

/// Approved by bob and carol at 30 under [`policy`].
pub fn approved() -> Model<Approved> {
    let mut m = submitted(0.93);
    m.record(Review::approve("bob", DIGEST, t(20)).with_role("team_lead"))
        .unwrap();
    m.record(Review::approve("carol", DIGEST, t(21)).with_comment("fine"))
        .unwrap();
    match m.decide(&policy(), &DecisionContext::at(t(30))).unwrap() {
        Decided::Approved(m) => m,
        other => panic!("expected approval, got {}", other.verdict()),
    }
}

/// Rejected at 30 under [`policy`] for accuracy 0.82.
pub fn rejected() -> Model<Rejected> {
    match submitted(0.82)
        .decide(&policy(), &DecisionContext::at(t(30)))
        .unwrap()
    {
        Decided::Rejected(m) => m,
        other => panic!("expected rejection, got {}", other.verdict()),
    }
}

pub fn retraining() -> Model<Retraining> {
    rejected().retrain(t(40)).unwrap()
}

pub fn deployed() -> Model<Deployed> {
    approved()
        .deploy(&mut FakeDeployer::working(), t(40))
        .unwrap()
}

/// A deployer that succeeds or fails on demand and remembers what it deployed.
#[derive(Debug, Default)]
pub struct FakeDeployer {
    pub fail: bool,
    pub deployed: Vec<String>,
}

impl FakeDeployer {
    pub fn working() -> Self {
        Self::default()
    }

    pub fn failing() -> Self {
        Self {
            fail: true,
            deployed: Vec::new(),
        }
    }
}

#[derive(Debug, PartialEq)]
pub struct RegistryDown;

impl fmt::Display for RegistryDown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("model registry unreachable")
    }
}

impl std::error::Error for RegistryDown {}

impl Deployer for FakeDeployer {
    type Error = RegistryDown;

    fn deploy(&mut self, model: &Model<Approved>) -> Result<Receipt, RegistryDown> {
        if self.fail {
            return Err(RegistryDown);
        }
        let digest = model.stage().submission().outcome().digest().to_string();
        self.deployed.push(digest.clone());
        Ok(Receipt::new(format!("registry/{}@{digest}", model.name())))
    }
}

/// The model as stored JSON, edited by `edit`, read back.
pub fn tamper(
    model: impl Into<modelgate::AnyModel>,
    edit: impl FnOnce(&mut serde_json::Value),
) -> modelgate::AnyModel {
    let mut json = serde_json::to_value(model.into()).unwrap();
    edit(&mut json);
    serde_json::from_value(json).unwrap()
}

/// The restore error of `stored` under [`policy`].
pub fn restore_error(stored: modelgate::AnyModel) -> modelgate::RestoreError {
    stored.restore(&policy()).unwrap_err().into_error()
}
