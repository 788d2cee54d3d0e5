//! Environments and the life after deploy, as scripts: staging → soak → production under a
//! stricter policy → the next version → a bad release → rollback → retire; revoke; approval
//! expiry; a pipeline per environment. Every error message is pinned.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::key;
use modelgate::model::{ActionError, PromoteError};
use modelgate::policy::{OnlineMetric, Soak};
use modelgate::registry::{PolicyBook, RegistryError, Tenure};
use modelgate::{
    AnyModel, Environment, MetricGate, Metrics, Model, PipelineSpec, Policy, PolicyExt, Receipt,
    Registry, Run, RunError, Status, Timestamp, TrainingOutcome,
};

const HOUR: u64 = 3600;

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

fn staging() -> Environment {
    Environment::new("staging").unwrap()
}

fn production() -> Environment {
    Environment::new("production")
        .unwrap()
        .with_approval_validity(Duration::from_secs(30 * 24 * HOUR))
}

fn staging_policy() -> MetricGate {
    MetricGate::at_least("accuracy", 0.9)
}

/// Stricter: a better model, soaked 48 h in staging, with a low online error rate there.
fn production_policy() -> impl Policy + Send + Sync + 'static {
    MetricGate::at_least("accuracy", 0.92)
        .and(Soak::at_least(Duration::from_secs(48 * HOUR)))
        .and(OnlineMetric::at_most("error_rate", 0.02))
}

fn book() -> PolicyBook {
    PolicyBook::new()
        .with("staging", staging_policy())
        .with("production", production_policy())
}

fn outcome(version: &str, accuracy: f64) -> TrainingOutcome {
    TrainingOutcome::new(
        format!("sha256:{version}"),
        Metrics::new([("accuracy", accuracy)]).unwrap(),
    )
    .unwrap()
}

/// Submits `version` to staging, decides it there, deploys it: at `at`, `at + 1`, `at + 2`.
fn ship_to_staging(registry: &mut Registry, version: &str, accuracy: f64, at: u64) {
    let model = Model::new("churn", version)
        .unwrap()
        .in_environment(staging())
        .submit(outcome(version, accuracy), "alice", t(at))
        .unwrap();
    registry.put(model).unwrap();
    let verdict = registry
        .decide(&staging(), version, &staging_policy(), t(at + 1))
        .unwrap();
    assert!(verdict.is_approved(), "{verdict}");
    let AnyModel::Approved(approved) = registry.take(&staging(), version).unwrap() else {
        panic!("approved")
    };
    registry
        .deploy(
            approved,
            Receipt::new(format!("staging/{version}")),
            "ci",
            t(at + 2),
        )
        .unwrap();
}

/// Promotes the current staging deployment of `version` to production at `at`, with the
/// online error rate observed in staging, and decides it there at `at + 1`.
fn promote(registry: &mut Registry, version: &str, error_rate: f64, at: u64) -> String {
    let Some(in_staging) = registry.current(&staging()) else {
        panic!("nothing in staging")
    };
    assert_eq!(in_staging.version(), version);
    let target = Model::new("churn", version)
        .unwrap()
        .in_environment(production());
    let online = Metrics::new([("error_rate", error_rate)]).unwrap();
    let promoted = in_staging.promote(target, online, "alice", t(at)).unwrap();
    registry.put(promoted).unwrap();
    registry
        .decide(&production(), version, &production_policy(), t(at + 1))
        .unwrap()
        .to_string()
}

fn deploy(registry: &mut Registry, environment: &Environment, version: &str, at: u64) {
    let AnyModel::Approved(approved) = registry.take(environment, version).unwrap() else {
        panic!("approved")
    };
    registry
        .deploy(
            approved,
            Receipt::new(format!("{environment}/{version}")),
            "ci",
            t(at),
        )
        .unwrap();
}

fn current(registry: &Registry, environment: &Environment) -> Option<String> {
    registry
        .current(environment)
        .map(|m| m.version().to_owned())
}

#[test]
fn a_version_goes_from_staging_to_production_and_is_rolled_back_and_retired() {
    let mut registry = Registry::new("churn").unwrap();

    // v1: staging, soaked 3 days, promoted with a good online error rate, deployed.
    ship_to_staging(&mut registry, "1", 0.93, 0);
    let verdict = promote(&mut registry, "1", 0.01, 72 * HOUR);
    assert!(verdict.starts_with("approve"), "{verdict}");
    deploy(&mut registry, &production(), "1", 72 * HOUR + 2);
    assert_eq!(current(&registry, &production()).as_deref(), Some("1"));

    // v2 is promoted too early: the soak rule rejects it, with the reason.
    ship_to_staging(&mut registry, "2", 0.95, 100 * HOUR);
    assert_eq!(current(&registry, &staging()).as_deref(), Some("2"));
    let verdict = promote(&mut registry, "2", 0.01, 110 * HOUR);
    insta::assert_snapshot!("soak_too_short", verdict);
    assert_eq!(
        registry.get(&production(), "2").map(AnyModel::status),
        Some(Status::Rejected)
    );

    // v3 soaks, is promoted, and supersedes v1 in production: v1's trail records it.
    ship_to_staging(&mut registry, "3", 0.96, 200 * HOUR);
    let verdict = promote(&mut registry, "3", 0.015, 260 * HOUR);
    assert!(verdict.starts_with("approve"), "{verdict}");
    deploy(&mut registry, &production(), "3", 260 * HOUR + 2);
    assert_eq!(current(&registry, &production()).as_deref(), Some("3"));
    let v1 = registry.get(&production(), "1").unwrap();
    assert_eq!(v1.status(), Status::Superseded);
    assert_eq!(
        v1.history().last().unwrap().to_string(),
        "#4 1970-01-11T20:00:02Z ci superseded: replaced by version 3"
    );
    // The champion the next production decision sees is v3's, without the host passing it.
    assert_eq!(
        registry
            .decision_context(&production(), t(261 * HOUR))
            .champion()
            .and_then(|m| m.get("accuracy")),
        Some(0.96)
    );

    // v3 goes wrong in production: roll back to v1, whose approval is checked again.
    registry
        .roll_back(
            &production(),
            &production_policy(),
            "error rate doubled",
            "oncall",
            t(270 * HOUR),
        )
        .unwrap();
    assert_eq!(current(&registry, &production()).as_deref(), Some("1"));
    registry
        .retire(
            &production(),
            "3",
            "error rate doubled",
            true,
            "oncall",
            t(271 * HOUR),
        )
        .unwrap();

    // Rolling back again would go to v3: retired for cause, it is refused.
    let error = registry
        .roll_back(
            &production(),
            &production_policy(),
            "again",
            "oncall",
            t(272 * HOUR),
        )
        .unwrap_err();
    assert!(matches!(
        error,
        RegistryError::RetiredTarget {
            for_cause: true,
            ..
        }
    ));
    insta::assert_snapshot!("rollback_to_retired", error);

    // The production history, from the trails.
    let history = registry.history(&production());
    let summary: Vec<String> = history.iter().map(tenure).collect();
    insta::assert_snapshot!("production_history", summary.join("\n"));
    assert_eq!(
        history.last(),
        Some(&Tenure {
            version: "1".into(),
            from: t(270 * HOUR),
            until: None
        })
    );

    // Both trails record the rollback; v3's ends retired.
    let audit: Vec<String> = ["1", "3"]
        .iter()
        .flat_map(|v| {
            let m = registry.get(&production(), v).unwrap();
            m.history()
                .iter()
                .map(|e| format!("v{v} {e}"))
                .collect::<Vec<_>>()
        })
        .collect();
    insta::assert_snapshot!("production_audit", audit.join("\n"));

    // Stored and restored under the environments' policies: the same registry.
    let stored = registry.sealed_by(&key()).unwrap();
    insta::assert_snapshot!(
        "stored_registry",
        serde_json::to_string_pretty(&stored).unwrap()
    );
    let restored = stored.restore(&key(), &book()).unwrap();
    assert!(restored == registry);
}

fn tenure(t: &Tenure) -> String {
    let until = match &t.until {
        None => "current".to_owned(),
        Some((at, how)) => format!("until {at}, {how}"),
    };
    format!("v{} from {}, {until}", t.version, t.from)
}

#[test]
fn a_version_promoted_too_early_is_retrained_and_promoted_again_keeping_its_trail() {
    let mut registry = Registry::new("churn").unwrap();
    ship_to_staging(&mut registry, "1", 0.95, 0);
    let verdict = promote(&mut registry, "1", 0.01, 10 * HOUR);
    assert!(verdict.starts_with("reject"), "{verdict}");
    // Once soaked: the rejected member is retrained and promoted into again.
    let AnyModel::Rejected(rejected) = registry.take(&production(), "1").unwrap() else {
        panic!("rejected")
    };
    let retraining = rejected.retrain("alice", t(60 * HOUR)).unwrap();
    let in_staging = registry.current(&staging()).unwrap();
    let online = Metrics::new([("error_rate", 0.01)]).unwrap();
    let again = in_staging
        .promote(retraining, online, "alice", t(60 * HOUR + 1))
        .unwrap();
    assert_eq!(again.stage().submission().attempt(), 2);
    registry.put(again).unwrap();
    let verdict = registry
        .decide(&production(), "1", &production_policy(), t(60 * HOUR + 2))
        .unwrap();
    assert!(verdict.is_approved(), "{verdict}");
    deploy(&mut registry, &production(), "1", 60 * HOUR + 3);
    let lines: Vec<String> = registry
        .get(&production(), "1")
        .unwrap()
        .history()
        .iter()
        .map(ToString::to_string)
        .collect();
    insta::assert_snapshot!("promoted_twice_audit", lines.join("\n"));
    let restored = registry
        .sealed_by(&key())
        .unwrap()
        .restore(&key(), &book())
        .unwrap();
    assert!(restored == registry);
}

#[test]
fn a_rollback_re_checks_the_earlier_approval_against_the_policy_now() {
    let mut registry = Registry::new("churn").unwrap();
    ship_to_staging(&mut registry, "1", 0.91, 0);
    ship_to_staging(&mut registry, "2", 0.95, 10);
    let stricter = MetricGate::at_least("accuracy", 0.93);
    let error = registry
        .roll_back(&staging(), &stricter, "latency", "oncall", t(20))
        .unwrap_err();
    insta::assert_snapshot!("rollback_not_upheld", error);
    // Nothing changed.
    assert_eq!(current(&registry, &staging()).as_deref(), Some("2"));
    assert_eq!(
        registry.get(&staging(), "1").map(AnyModel::status),
        Some(Status::Superseded)
    );
}

#[test]
fn an_approval_is_revoked_before_deploy_and_the_model_retrained() {
    let model = Model::new("churn", "1")
        .unwrap()
        .in_environment(staging())
        .submit(outcome("1", 0.95), "alice", t(0))
        .unwrap();
    let approved = model
        .decide(&staging_policy(), &modelgate::DecisionContext::at(t(1)))
        .unwrap()
        .approved()
        .unwrap();
    let rejected = approved
        .revoke("the training data leaked the label", "security", t(2))
        .unwrap();
    assert_eq!(rejected.status(), Status::Rejected);
    let revocation = rejected.stage().revocation().unwrap();
    assert_eq!(revocation.by(), "security");
    let retraining = rejected.retrain("alice", t(3)).unwrap();
    assert_eq!(
        retraining.stage().feedback()[0].to_string(),
        "approval revoked: the training data leaked the label"
    );
    let lines: Vec<String> = retraining
        .history()
        .iter()
        .map(ToString::to_string)
        .collect();
    insta::assert_snapshot!("revoked_audit", lines.join("\n"));
}

#[test]
fn a_lapsed_approval_is_refused_at_deploy_and_reopened_for_a_fresh_decision() {
    let window = Environment::new("production")
        .unwrap()
        .with_approval_validity(Duration::from_secs(24 * HOUR));
    let approved = Model::new("churn", "1")
        .unwrap()
        .in_environment(window)
        .submit(outcome("1", 0.95), "alice", t(0))
        .unwrap()
        .decide(&staging_policy(), &modelgate::DecisionContext::at(t(1)))
        .unwrap()
        .approved()
        .unwrap();
    assert_eq!(approved.lapses_at(), Some(t(24 * HOUR + 1)));
    // At the last instant it deploys … (checked on a copy restored from the trail)
    let copy = modelgate::StoredModel::from(&approved)
        .restore_unsealed(&staging_policy())
        .unwrap();
    let AnyModel::Approved(copy) = copy else {
        panic!("approved")
    };
    assert!(
        copy.mark_deployed(Receipt::new("p"), "ci", t(24 * HOUR + 1))
            .is_ok()
    );
    // … one second later it is refused, and the model and the receipt come back.
    let refused = approved
        .mark_deployed(Receipt::new("prod/1"), "ci", t(24 * HOUR + 2))
        .unwrap_err();
    assert!(matches!(refused.error(), ActionError::Lapsed { .. }));
    insta::assert_snapshot!("lapsed", refused.error());
    let (approved, receipt) = refused.into_input();
    assert_eq!(receipt.as_str(), "prod/1");
    // Reopened: the same submission, decided again, deployed within the new window.
    let reopened = approved.reopen("alice", t(30 * HOUR)).unwrap();
    let approved = reopened
        .decide(
            &staging_policy(),
            &modelgate::DecisionContext::at(t(30 * HOUR + 1)),
        )
        .unwrap()
        .approved()
        .unwrap();
    let deployed = approved.mark_deployed(receipt, "ci", t(31 * HOUR)).unwrap();
    let lines: Vec<String> = deployed.history().iter().map(ToString::to_string).collect();
    insta::assert_snapshot!("lapsed_audit", lines.join("\n"));
}

#[test]
fn an_approval_is_reopened_before_it_lapses_too() {
    let approved = Model::new("churn", "1")
        .unwrap()
        .in_environment(production())
        .submit(outcome("1", 0.95), "alice", t(0))
        .unwrap()
        .decide(&staging_policy(), &modelgate::DecisionContext::at(t(1)))
        .unwrap()
        .approved()
        .unwrap();
    // Stale (a new champion arrived) or lapsed: only the policy approves again.
    let reopened = approved.reopen("alice", t(2)).unwrap();
    assert_eq!(reopened.status(), Status::Submitted);
    assert_eq!(reopened.stage().votes().len(), 0);
    let refused = reopened
        .decide(
            &MetricGate::at_least("accuracy", 0.99),
            &modelgate::DecisionContext::at(t(3)),
        )
        .unwrap();
    assert!(!refused.verdict().is_approved());
}

#[test]
fn a_staging_approval_never_deploys_to_production() {
    let spec: PipelineSpec = serde_json::from_str(
        r#"{"environment": "production", "steps": [
            {"name": "approve", "type": "approval", "inputs": {"approvers": ["bob"]}},
            {"name": "deploy", "type": "deploy"}
        ]}"#,
    )
    .unwrap();
    let pipeline = spec.validate().unwrap();
    assert_eq!(pipeline.environment().name(), "production");
    let model = Model::new("churn", "1").unwrap().in_environment(staging());
    let refused = Run::start(pipeline, model, "alice", t(0)).unwrap_err();
    assert!(matches!(refused.error(), RunError::WrongEnvironment { .. }));
    insta::assert_snapshot!("wrong_environment", refused.error());
    let (pipeline, model) = refused.into_input();
    assert_eq!(model.environment(), &staging());
    // The model of the pipeline's environment starts.
    let model = Model::new("churn", "1")
        .unwrap()
        .in_environment(Environment::new("production").unwrap());
    assert!(Run::start(pipeline, model, "alice", t(0)).is_ok());

    // A registry deploys a model in its own environment, and nowhere else.
    let mut registry = Registry::new("churn").unwrap();
    ship_to_staging(&mut registry, "1", 0.95, 0);
    assert_eq!(current(&registry, &staging()).as_deref(), Some("1"));
    assert_eq!(current(&registry, &production()), None);
}

#[test]
fn the_pipeline_spec_names_its_environment() {
    let errors = |json: &str| {
        serde_json::from_str::<PipelineSpec>(json)
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string()
    };
    let ok: PipelineSpec = serde_json::from_str(
        r#"{"environment": {"name": "production", "approval_validity_hours": 720},
            "steps": [{"name": "approve", "type": "approval", "inputs": {"approvers": ["bob"]}}]}"#,
    )
    .unwrap();
    let pipeline = ok.validate().unwrap();
    assert_eq!(pipeline.environment(), &production());
    let default: PipelineSpec = serde_json::from_str(
        r#"{"steps": [{"name": "approve", "type": "approval", "inputs": {"approvers": ["bob"]}}]}"#,
    )
    .unwrap();
    let default = default.validate().unwrap();
    assert_eq!(default.environment(), &Environment::default());
    assert_ne!(default.fingerprint(), pipeline.fingerprint());
    let steps =
        r#""steps": [{"name": "approve", "type": "approval", "inputs": {"approvers": ["bob"]}}]"#;
    let out = [
        format!(r#"{{"environment": "prod\u202euction", {steps}}}"#),
        format!(r#"{{"environment": 7, {steps}}}"#),
        format!(r#"{{"environment": {{"approval_validity_hours": 0, "region": "eu"}}, {steps}}}"#),
        format!(r#"{{"environment": {{"name": "production", "approval_validity_hours": "30d"}}, {steps}}}"#),
    ]
    .iter()
    .map(|json| errors(json))
    .collect::<Vec<_>>()
    .join("\n");
    insta::assert_snapshot!("environment_spec_errors", out);
}

#[test]
fn promotion_refusals_hand_back_the_target_and_the_metrics() {
    let mut registry = Registry::new("churn").unwrap();
    ship_to_staging(&mut registry, "1", 0.95, 100);
    let in_staging = registry.current(&staging()).unwrap();
    let online = || Metrics::new([("error_rate", 0.01)]).unwrap();
    let mut out = Vec::new();
    for (target, at) in [
        (
            Model::new("churn", "2")
                .unwrap()
                .in_environment(production()),
            200,
        ),
        (
            Model::new("churn", "1").unwrap().in_environment(staging()),
            200,
        ),
        (
            Model::new("churn", "1")
                .unwrap()
                .in_environment(production()),
            50,
        ),
    ] {
        let refused = in_staging
            .promote(target, online(), "alice", t(at))
            .unwrap_err();
        out.push(refused.error().to_string());
        let (target, metrics) = refused.into_input();
        assert_eq!(target.status(), Status::Untrained);
        assert_eq!(metrics, online());
    }
    assert!(matches!(
        in_staging
            .promote(
                Model::new("churn", "1")
                    .unwrap()
                    .in_environment(production()),
                online(),
                "",
                t(200)
            )
            .unwrap_err()
            .error(),
        PromoteError::Submit(_)
    ));
    insta::assert_snapshot!("promotion_refusals", out.join("\n"));
}

/// Production's spec with the promotion rules: accuracy, a 48 h soak in staging, the online
/// error rate there, and bob's approval.
const PRODUCTION_WITH_RULES: &str = r#"{"environment": {"name": "production", "approval_validity_hours": 720},
    "steps": [
        {"name": "evaluate", "type": "test", "inputs": {"gates": [{"metric": "accuracy", "at_least": 0.92}]}},
        {"name": "approve", "type": "approval", "inputs": {
            "approvers": ["bob"], "soak_hours": 48,
            "online": [{"metric": "error_rate", "at_most": 0.02}]}},
        {"name": "deploy", "type": "deploy"}
    ]}"#;

#[test]
fn a_spec_states_the_promotion_rules_and_a_registry_decided_by_it_restores_under_it() {
    use modelgate::policy::{Quorum, Veto, all};
    let pipeline = serde_json::from_str::<PipelineSpec>(PRODUCTION_WITH_RULES)
        .unwrap()
        .validate()
        .unwrap();
    let approval = pipeline
        .steps()
        .iter()
        .find_map(|s| match s.kind() {
            modelgate::pipeline::StepKind::Approval(a) => Some(a),
            _ => None,
        })
        .unwrap();
    assert_eq!(approval.soak_hours(), Some(48));
    assert_eq!(approval.online().len(), 1);
    // The same policy as written in code, by name.
    let bob = ["bob"];
    let in_code = (
        all(vec![MetricGate::at_least("accuracy", 0.92)]),
        Soak::at_least(Duration::from_secs(48 * HOUR)),
        all(vec![OnlineMetric::at_most("error_rate", 0.02)]),
        Veto::new().eligible_ids(bob).eligible_roles(bob),
        Quorum::new(1).eligible_ids(bob).eligible_roles(bob),
    );
    assert_eq!(pipeline.policy().name(), in_code.name());

    // v1 soaks 72 h in staging and is promoted; v2 only 10 h: the spec's soak rule rejects it.
    let mut registry = Registry::new("churn").unwrap();
    let decide_in_production = |registry: &mut Registry, version: &str, at: u64| {
        let in_staging = registry.current(&staging()).unwrap();
        let target = Model::new("churn", version)
            .unwrap()
            .in_environment(production());
        let online = Metrics::new([("error_rate", 0.01)]).unwrap();
        let mut promoted = in_staging.promote(target, online, "alice", t(at)).unwrap();
        promoted
            .record(modelgate::Review::approve(
                "bob",
                format!("sha256:{version}"),
                t(at + 1),
            ))
            .unwrap();
        registry.put(promoted).unwrap();
        registry
            .decide(&production(), version, &pipeline.policy(), t(at + 2))
            .unwrap()
    };
    ship_to_staging(&mut registry, "1", 0.95, 0);
    let verdict = decide_in_production(&mut registry, "1", 72 * HOUR);
    assert!(verdict.is_approved(), "{verdict}");
    deploy(&mut registry, &production(), "1", 72 * HOUR + 3);
    ship_to_staging(&mut registry, "2", 0.96, 100 * HOUR);
    let verdict = decide_in_production(&mut registry, "2", 110 * HOUR);
    assert!(!verdict.is_approved(), "{verdict}");
    assert!(verdict.to_string().contains("soak"), "{verdict}");

    // Stored, and restored with each environment's policy from its spec.
    let stored = registry.sealed_by(&key()).unwrap();
    let book = PolicyBook::new()
        .with("staging", staging_policy())
        .with("production", pipeline.policy());
    assert!(stored.restore(&key(), &book).is_ok());
}

#[test]
fn the_promotion_rules_of_a_spec_are_checked() {
    let with = |inputs: &str| {
        let json = format!(
            r#"{{"steps": [{{"name": "approve", "type": "approval", "inputs": {{"approvers": ["bob"], {inputs}}}}}]}}"#
        );
        serde_json::from_str::<PipelineSpec>(&json)
            .unwrap()
            .validate()
            .map(|p| p.fingerprint().to_string())
            .map_err(|e| e.to_string())
    };
    let out = [
        r#""soak_hours": 0"#,
        r#""soak_hours": "48h""#,
        r#""soak_hours": 100000000"#,
        r#""online": {"metric": "error_rate", "at_most": 0.02}"#,
        r#""online": [{"metric": "error_rate", "most": 0.02}]"#,
    ]
    .iter()
    .map(|inputs| with(inputs).unwrap_err())
    .collect::<Vec<_>>()
    .join("\n");
    insta::assert_snapshot!(out);
    // Each rule is in the fingerprint: a run started under one spec does not restore under the
    // other.
    let plain = with(r#""veto": true"#).unwrap();
    let soaked = with(r#""soak_hours": 48"#).unwrap();
    let longer = with(r#""soak_hours": 72"#).unwrap();
    let online = with(r#""online": [{"metric": "error_rate", "at_most": 0.02}]"#).unwrap();
    let all = [&plain, &soaked, &longer, &online];
    for (i, a) in all.iter().enumerate() {
        for b in all.iter().skip(i + 1) {
            assert_ne!(a, b);
        }
    }
}
