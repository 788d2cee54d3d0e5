//! A restore checks promotion evidence: evidence that `Model::promote` cannot record (observed
//! before the deployment it observes began, at another time than its submission, in the past or
//! in the far future, from the model's own environment), forged consistently and sealed with the
//! host's own key (an insider, or a bug in a host that builds trails itself), is refused, naming
//! the event, so no policy reads impossible soak time and no registry's clock jumps to year
//! 584,556,019. (Found by the reviews of the CLI's `registry verify` and of the promotion rules
//! in specs.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{key, promoted, rechain};
use modelgate::registry::{PolicyBook, RegistryError, RestoreRegistryError, StoredRegistry};
use modelgate::trail::ReplayError;
use modelgate::{
    AnyModel, Environment, MetricGate, Metrics, Model, Policy, Receipt, Registry, RestoreError,
    Review, Sealer, StoredModel, Timestamp, TrainingOutcome,
};

/// The promoted model's stored form with its promotion's evidence edited by `edit`, the chain
/// recomputed and sealed again with the host's key: a consistent forgery.
fn with_evidence(edit: impl FnOnce(&mut serde_json::Value)) -> StoredModel {
    let stored = StoredModel::from(&promoted());
    let mut json = serde_json::to_value(&stored).unwrap();
    edit(&mut json["events"][0]["event"]["submitted"]["promotion"]);
    json.as_object_mut().unwrap().remove("seal");
    common::rechain(json).sealed_by(&key()).unwrap()
}

fn refused(stored: StoredModel) -> RestoreError {
    stored
        .restore_trusting_decisions(&key())
        .unwrap_err()
        .into_error()
}

fn assert_impossible(error: &RestoreError, why: &str) {
    match error {
        RestoreError::Replay {
            seq: 1,
            error: ReplayError::Promotion { why: found },
            ..
        } => assert!(found.contains(why), "{found}"),
        other => panic!("expected an impossible promotion at event 1, got {other:?}"),
    }
}

#[test]
fn the_untouched_promotion_restores() {
    let stored = with_evidence(|_| {});
    assert!(stored.restore_trusting_decisions(&key()).is_ok());
}

#[test]
fn promotion_observed_before_its_deployment_began_is_refused() {
    let error = refused(with_evidence(|p| {
        p["observed_at"] = 0.into();
        p["deployed_at"] = 50_000.into();
    }));
    assert_impossible(&error, "another time than the submission");
    let error = refused(with_evidence(|p| {
        let observed = p["observed_at"].as_u64().unwrap();
        p["deployed_at"] = (observed + 1).into();
    }));
    assert_impossible(&error, "before the deployment it observes began");
    insta::assert_snapshot!(error.to_string());
}

#[test]
fn promotion_observed_at_another_time_than_its_submission_is_refused() {
    for observed in [0, 1, 4_000_000_000_000, u64::MAX] {
        let error = refused(with_evidence(|p| p["observed_at"] = observed.into()));
        assert_impossible(&error, "another time than the submission");
    }
}

#[test]
fn promotion_from_the_models_own_environment_is_refused() {
    let error = refused(with_evidence(|p| p["from"] = "production".into()));
    assert_impossible(&error, "own environment");
}

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

fn env(name: &str) -> Environment {
    Environment::new(name).unwrap()
}

/// Staging's v1 (accuracy 0.95) deployed at 2 s, promoted to production at 72 h with a good
/// online error rate, approved there by bob under `production` (which reads the soak and the
/// online metric), the registry stored and sealed.
fn promoted_registry(production: &dyn Policy) -> StoredRegistry {
    let mut registry = Registry::new("churn").unwrap();
    let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.95)]).unwrap());
    let model = Model::new("churn", "1")
        .unwrap()
        .in_environment(env("staging"))
        .submit(outcome.unwrap(), "alice", t(0))
        .unwrap();
    registry.put(model).unwrap();
    let staging_policy = MetricGate::at_least("accuracy", 0.9);
    registry
        .decide(&env("staging"), "1", &staging_policy, t(1))
        .unwrap();
    let Ok(AnyModel::Approved(m)) = registry.take(&env("staging"), "1") else {
        panic!("approved")
    };
    registry.deploy(m, Receipt::new("s/1"), "ci", t(2)).unwrap();
    let at = 72 * 3600;
    let target = Model::new("churn", "1")
        .unwrap()
        .in_environment(env("production"));
    let online = Metrics::new([("error_rate", 0.01)]).unwrap();
    let in_staging = registry.current(&env("staging")).unwrap();
    let mut promoted = in_staging.promote(target, online, "alice", t(at)).unwrap();
    promoted
        .record(Review::approve("bob", "sha256:1", t(at + 1)))
        .unwrap();
    registry.put(promoted).unwrap();
    let verdict = registry
        .decide(&env("production"), "1", production, t(at + 2))
        .unwrap();
    assert!(verdict.is_approved(), "{verdict}");
    registry.sealed_by(&key()).unwrap()
}

/// Every member re-chained and sealed again with the host's key, and the index too.
fn resealed(mut json: serde_json::Value) -> StoredRegistry {
    for member in json["members"].as_array_mut().unwrap() {
        member.as_object_mut().unwrap().remove("seal");
        let sealed = rechain(member.clone()).sealed_by(&key()).unwrap();
        *member = serde_json::to_value(&sealed).unwrap();
    }
    json.as_object_mut().unwrap().remove("seal");
    let stored: StoredRegistry = serde_json::from_value(json).unwrap();
    let seal = key().seal(&stored.index()).unwrap();
    stored.with_seal(seal)
}

#[test]
fn staging_evidence_for_another_artifact_is_refused() {
    use modelgate::policy::{OnlineMetric, Soak};
    let production = (
        MetricGate::at_least("accuracy", 0.92),
        Soak::at_least(std::time::Duration::from_secs(48 * 3600)),
        OnlineMetric::at_most("error_rate", 0.02),
    );
    let book = PolicyBook::new()
        .with("staging", MetricGate::at_least("accuracy", 0.9))
        .with("production", production.clone());
    let stored = promoted_registry(&production);
    assert!(stored.clone().restore(&key(), &book).is_ok());
    // Production's member (sorted first) submits another artifact, or other offline metrics,
    // under the evidence of staging's deployment of `sha256:1` at accuracy 0.95.
    for (from, to) in [("sha256:1", "sha256:never-in-staging"), ("0.95", "0.97")] {
        let mut json = serde_json::to_value(&stored).unwrap();
        assert_eq!(json["members"][0]["environment"]["name"], "production");
        let member = serde_json::to_string(&json["members"][0])
            .unwrap()
            .replace(from, to);
        json["members"][0] = serde_json::from_str(&member).unwrap();
        let error = resealed(json)
            .restore(&key(), &book)
            .unwrap_err()
            .into_error();
        assert!(
            matches!(
                error,
                RestoreRegistryError::Books(RegistryError::UnknownDeployment { .. })
            ),
            "{from} → {to}: {error}"
        );
    }
}

#[test]
fn a_metric_name_cannot_make_one_policy_read_as_another() {
    let spec = |gate_metric: &str, rules: &str| {
        let json = format!(
            r#"{{"environment": "production", "steps": [
                {{"name": "evaluate", "type": "test", "inputs": {{"gates": [{{"metric": {gate_metric:?}, "at_least": 0.92}}]}}}},
                {{"name": "approve", "type": "approval", "inputs": {{"approvers": ["bob"] {rules}}}}}
            ]}}"#
        );
        serde_json::from_str::<modelgate::PipelineSpec>(&json)
            .unwrap()
            .validate()
            .unwrap()
            .policy()
            .name()
    };
    let with_rules = spec(
        "accuracy",
        r#", "soak_hours": 48, "online": [{"metric": "error_rate", "at_least": 0.92}]"#,
    );
    // The fifth review's spoof: the soak and the online rule written into a metric's name.
    let spoof = spec(
        "accuracy at least 0.92), soaked at least 2d, all(online error_rate",
        "",
    );
    assert_ne!(with_rules, spoof);
    assert!(
        spoof.contains("\"accuracy at least 0.92), soaked"),
        "{spoof}"
    );
}
