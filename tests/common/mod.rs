//! Helpers shared by the integration tests: times, outcomes, a fake deployer, ready-made models.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt;

use modelgate::{
    AnyModel, Approved, Decided, DecisionContext, Deployed, Deployer, Environment, MetricGate,
    Metrics, Model, Policy, Quorum, Receipt, Registry, Rejected, Retraining, Review, Submitted,
    Timestamp, TrainingOutcome, Untrained,
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

/// `churn@version` of `environment`, submitted by alice at `at` with that accuracy (the
/// artifact `sha256:<version>`).
pub fn submitted_in(
    environment: &Environment,
    version: &str,
    accuracy: f64,
    at: u64,
) -> Model<Submitted> {
    Model::new("churn", version)
        .unwrap()
        .in_environment(environment.clone())
        .submit(
            outcome(&format!("sha256:{version}"), accuracy),
            "alice",
            t(at),
        )
        .unwrap()
}

/// Puts [`submitted_in`] `version` into the registry, decides it there (the champion it sees
/// is the registry's) and deploys it.
#[allow(clippy::too_many_arguments)]
pub fn decide_and_deploy<P: Policy>(
    registry: &mut Registry,
    environment: &Environment,
    version: &str,
    accuracy: f64,
    policy: &P,
    submit_at: u64,
    decide_at: u64,
    deploy_at: u64,
) {
    registry
        .put(submitted_in(environment, version, accuracy, submit_at))
        .unwrap();
    let verdict = registry
        .decide(environment, version, policy, t(decide_at))
        .unwrap();
    assert!(verdict.is_approved(), "{verdict}");
    let AnyModel::Approved(approved) = registry.take(environment, version).unwrap() else {
        panic!("not approved")
    };
    registry
        .deploy(
            approved,
            Receipt::new(format!("r/{version}")),
            "ci",
            t(deploy_at),
        )
        .unwrap();
}

/// `churn@version` of `environment` with the artifact `digest` at accuracy 0.95, submitted
/// by alice at `submitted_at` and approved at `decided_at` by the gate accuracy ≥ 0.9.
pub fn approved_by_the_gate(
    environment: Environment,
    version: &str,
    digest: &str,
    submitted_at: u64,
    decided_at: u64,
) -> Model<Approved> {
    Model::new("churn", version)
        .unwrap()
        .in_environment(environment)
        .submit(outcome(digest, 0.95), "alice", t(submitted_at))
        .unwrap()
        .decide(
            &MetricGate::at_least("accuracy", 0.9),
            &DecisionContext::at(t(decided_at)),
        )
        .unwrap()
        .approved()
        .unwrap()
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
    rejected().retrain("alice", t(40)).unwrap()
}

pub fn deployed() -> Model<Deployed> {
    approved()
        .deploy(&mut FakeDeployer::working(), "deployer", t(40))
        .unwrap()
}

/// Approved, then revoked by security at 35.
pub fn revoked() -> Model<modelgate::Rejected> {
    approved().revoke("label leak", "security", t(35)).unwrap()
}

/// Deployed, then superseded by version `2026.12` at 50.
pub fn superseded() -> Model<modelgate::Superseded> {
    deployed().supersede("2026.12", "deployer", t(50)).unwrap()
}

/// Deployed, then retired for cause at 60.
pub fn retired() -> Model<modelgate::Retired> {
    deployed().retire("drift", true, "ops", t(60)).unwrap()
}

/// The deployed model promoted to `production` at 100 with an online error rate.
pub fn promoted() -> Model<Submitted> {
    let production = modelgate::Environment::new("production").unwrap();
    let target = Model::new("fraud-detector", "2026.11")
        .unwrap()
        .in_environment(production);
    let online = Metrics::new([("error_rate", 0.01)]).unwrap();
    deployed().promote(target, online, "alice", t(100)).unwrap()
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

/// The host's sealing key in tests.
pub fn key() -> modelgate::HmacSealer {
    modelgate::HmacSealer::new("test-key", *b"0123456789abcdef0123456789abcdef")
}

/// Another key, which the tests' verifier does not trust.
pub fn attacker_key() -> modelgate::HmacSealer {
    modelgate::HmacSealer::new("attacker", *b"fedcba9876543210fedcba9876543210")
}

/// The model, stored and sealed with [`key`].
pub fn sealed<S: modelgate::model::Stage>(model: &Model<S>) -> modelgate::StoredModel {
    modelgate::StoredModel::from(model)
        .sealed_by(&key())
        .unwrap()
}

/// The stored JSON of `stored`, edited by `edit`, read back as it is (chain and seal untouched).
pub fn edited(
    stored: &modelgate::StoredModel,
    edit: impl FnOnce(&mut serde_json::Value),
) -> modelgate::StoredModel {
    let mut json = serde_json::to_value(stored).unwrap();
    edit(&mut json);
    serde_json::from_value(json).unwrap()
}

/// The stored JSON of `stored`, edited by `edit`, with every copy made to agree again: each
/// event's `prev` is recomputed so the chain holds (what an attacker with write access to the
/// storage but not the key can do). The seal is left as it was.
pub fn forged(
    stored: &modelgate::StoredModel,
    edit: impl FnOnce(&mut serde_json::Value),
) -> modelgate::StoredModel {
    let mut json = serde_json::to_value(stored).unwrap();
    edit(&mut json);
    rechain(json)
}

/// Recomputes every `prev` of a stored model's JSON so that its chain holds.
pub fn rechain(mut json: serde_json::Value) -> modelgate::StoredModel {
    let n = json["events"].as_array().map_or(0, Vec::len);
    for i in 0..n {
        let stored: modelgate::StoredModel = serde_json::from_value(json.clone()).unwrap();
        let prev = if i == 0 {
            modelgate::Head::of_header(stored.name(), stored.version(), stored.environment())
        } else {
            stored.events()[i - 1].hash()
        };
        json["events"][i]["prev"] = serde_json::Value::String(prev.to_string());
    }
    serde_json::from_value(json).unwrap()
}

/// The restore error of `stored` under [`key`] and [`policy`].
pub fn restore_error(stored: modelgate::StoredModel) -> modelgate::RestoreError {
    stored.restore(&key(), &policy()).unwrap_err().into_error()
}
