//! A spec says everything code can, and a policy is known by its fingerprint (issue 18).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use modelgate::policy::Rule;
use modelgate::testing::{Scenario, rule, scenario};
use modelgate::value::CountedVotes;
use modelgate::*;
use proptest::prelude::*;
use serde_json::json;

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

fn pipeline(spec: serde_json::Value) -> Pipeline {
    serde_json::from_value::<PipelineSpec>(spec)
        .expect("a document")
        .validate()
        .expect("a valid spec")
}

fn decides_alike(a: &dyn Policy, b: &dyn Policy, s: &Scenario) -> Result<(), TestCaseError> {
    let ctx = s.context();
    prop_assert_eq!(a.evaluate(&ctx), b.evaluate(&ctx));
    prop_assert_eq!(a.judge(&ctx), b.judge(&ctx));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Parity: a policy built in code, written as a spec (JSON and YAML) and read back, is the
    /// same policy: same fingerprint, same name, same verdicts.
    #[test]
    fn a_policy_written_as_a_spec_reads_back_as_the_same_policy(r in rule(), s in scenario()) {
        let json: Rule = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        let yaml: Rule = serde_saphyr::from_str(&serde_saphyr::to_string(&r).unwrap()).unwrap();
        for back in [&json, &yaml] {
            prop_assert_eq!(back.fingerprint(), r.fingerprint());
            prop_assert_eq!(back.name(), r.name());
            decides_alike(back, &r, &s)?;
        }
    }

    /// Parity through a pipeline: the rule under an approval step's `policy:` decides as the
    /// same rule in code (a pipeline in the newer keys has no empty `all()` for no gates).
    #[test]
    fn a_rule_under_policy_in_a_pipeline_decides_as_in_code(r in rule(), s in scenario()) {
        let p = pipeline(json!({"steps": [
            {"name": "approve", "type": "approval", "inputs": {"policy": r}}
        ]}));
        let in_code = (r.clone(),);
        prop_assert_eq!(p.policy().fingerprint(), in_code.fingerprint());
        prop_assert_eq!(p.policy().name(), in_code.name());
        decides_alike(&p.policy(), &in_code, &s)?;
    }

    /// The fingerprint is the structure: two rules with one fingerprint are one rule.
    #[test]
    fn rules_with_one_fingerprint_are_one_rule(a in rule(), b in rule()) {
        if a.fingerprint() == b.fingerprint() {
            prop_assert_eq!(a.name(), b.name());
        }
    }
}

/// The bank's gate of the issue: two approvals from model validators or risk officers, at least
/// one a risk officer, a veto, accuracy ≥ 0.90 and auc ≥ 0.85, votes of the last 72 h, and 48 h
/// of soak in the environment before.
fn bank() -> Pipeline {
    serde_saphyr::from_str::<PipelineSpec>(include_str!("../examples/bank.yaml"))
        .expect("a document")
        .validate()
        .expect("a valid spec")
}

fn bank_in_code() -> impl Policy {
    let roles = ["model_validator", "risk_officer"];
    let window = std::time::Duration::from_secs(72 * 3600);
    (
        all([
            MetricGate::at_least("accuracy", 0.90),
            MetricGate::at_least("auc", 0.85),
        ]),
        Soak::at_least(std::time::Duration::from_secs(48 * 3600)),
        Fresh::within(window, Veto::new().eligible_roles(roles)),
        Fresh::within(
            window,
            (
                Quorum::new(2).eligible_roles(roles),
                RequiredRole::new("risk_officer"),
            ),
        ),
    )
}

#[test]
fn the_banks_policy_as_a_spec_is_the_policy_in_code() {
    assert!(bank().lints().is_empty(), "{:?}", bank().lints());
    let spec = bank().policy();
    assert_eq!(spec.fingerprint(), bank_in_code().fingerprint());
    assert_eq!(spec.name(), bank_in_code().name());
    insta::assert_snapshot!(spec.name(), @"all(all(accuracy at least 0.9, auc at least 0.85), soaked at least 48h, no veto from role model_validator or role risk_officer, counting votes of the last 3d, all(2 approvals from role model_validator or role risk_officer, an approval from role risk_officer), counting votes of the last 3d)");
}

fn context_votes(votes: Vec<Review>) -> (TrainingOutcome, CountedVotes) {
    let outcome = TrainingOutcome::new(
        "sha256:bank",
        Metrics::new([("accuracy", 0.93), ("auc", 0.9)]).unwrap(),
    )
    .unwrap();
    (outcome, votes.into_iter().collect())
}

fn judge_votes(policy: &impl Policy, votes: Vec<Review>) -> VerdictKind {
    let (outcome, votes) = context_votes(votes);
    let ctx = ReviewContext::new(&outcome, &votes, "alice", 1, t(100_000));
    // Without the soak's evidence the policy rejects; the votes' part is what is asked here.
    let votes_part = policy.rule().and_then(|r| match r {
        Rule::All(all) => all.parts().get(3).cloned(),
        _ => None,
    });
    votes_part.expect("the bank's quorum part").judge(&ctx)
}

#[test]
fn the_bank_needs_a_risk_officer_among_two_approvals() {
    let p = bank().policy();
    let vote =
        |who: &str, role: &str| Review::approve(who, "sha256:bank", t(99_000)).with_role(role);
    let two_validators = vec![
        vote("bob", "model_validator"),
        vote("carol", "model_validator"),
    ];
    assert_eq!(judge_votes(&p, two_validators), VerdictKind::Pending);
    let with_officer = vec![vote("bob", "model_validator"), vote("rita", "risk_officer")];
    assert_eq!(judge_votes(&p, with_officer), VerdictKind::Approve);
}

/// Users and roles apart: under `roles:`, a user whose *id* is `risk_officer` is not the role.
#[test]
fn a_user_named_like_a_role_does_not_count_as_the_role() {
    let p = bank().policy();
    let bob = Review::approve("bob", "sha256:bank", t(99_000)).with_role("model_validator");
    let impostor = Review::approve("risk_officer", "sha256:bank", t(99_000));
    assert_eq!(judge_votes(&p, vec![bob, impostor]), VerdictKind::Pending);
}

/// The older `approvers:` list still reads (and still matches a name either way), with a lint
/// that says which names it took both ways.
#[test]
fn the_older_approvers_list_reads_with_a_lint_that_says_what_it_took() {
    let p = pipeline(json!({"steps": [
        {"name": "approve", "type": "approval", "inputs": {"approvers": ["alice", "risk_officer"]}}
    ]}));
    let lints: Vec<String> = p.lints().iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(lints.join("\n"), @"`step approve`: `approvers` matches each of `alice`, `risk_officer` as a user id and as a role; write them under `users:` or `roles:`");
    let q = Quorum::new(1)
        .eligible_ids(["alice", "risk_officer"])
        .eligible_roles(["alice", "risk_officer"]);
    assert!(p.policy().name().contains(&q.name()));
}

#[test]
fn users_roles_and_approvers_are_three_fingerprints() {
    let of = |key: &str| {
        pipeline(json!({"steps": [
            {"name": "approve", "type": "approval", "inputs": {key: ["risk_officer"]}}
        ]}))
    };
    let (approvers, users, roles) = (of("approvers"), of("users"), of("roles"));
    assert_ne!(approvers.fingerprint(), users.fingerprint());
    assert_ne!(users.fingerprint(), roles.fingerprint());
    assert_ne!(
        approvers.policy().fingerprint(),
        users.policy().fingerprint()
    );
    assert_ne!(users.policy().fingerprint(), roles.policy().fingerprint());
}

/// A spec in the first grammar's keys keeps the fingerprint its runs recorded (pinned).
#[test]
fn an_older_spec_keeps_its_pipeline_fingerprint() {
    let p = pipeline(json!({"steps": [
        {"name": "approve", "type": "approval", "inputs": {"approvers": ["bob"]}}
    ]}));
    insta::assert_snapshot!(p.fingerprint().to_string(), @"a53d1f9b01e5423579730720e5bf09ee8aca619253b81cd2c778e2535f32a9b3");
}

/// `required` and `veto` count the named approvers: beside only `required_roles` or `policy`
/// they would do nothing, so they are refused rather than silently dropped.
#[test]
fn required_and_veto_without_named_approvers_are_refused() {
    let spec: PipelineSpec = serde_json::from_value(json!({"steps": [
        {"name": "approve", "type": "approval", "inputs": {
            "required_roles": ["risk_officer"], "required": 3, "veto": true}}
    ]}))
    .unwrap();
    insta::assert_snapshot!(spec.validate().unwrap_err().to_string());
}

#[test]
fn approvers_beside_users_or_roles_is_refused() {
    let spec: PipelineSpec = serde_json::from_value(json!({"steps": [
        {"name": "approve", "type": "approval", "inputs": {"approvers": ["a"], "users": ["b"]}}
    ]}))
    .unwrap();
    insta::assert_snapshot!(spec.validate().unwrap_err().to_string());
}

/// Every problem of a rule, with its path.
#[test]
fn a_bad_rule_names_every_problem_with_its_path() {
    let spec: PipelineSpec = serde_json::from_value(json!({"steps": [
        {"name": "approve", "type": "approval", "inputs": {"policy": {"all": [
            {"quorum": {"users": ["a", "a"]}},
            {"gate": {"metric": "auc", "at_least": 0.8, "range": [1, 0]}},
            {"fresh": {"rule": {"veto": {}}}},
            {"no_regression": {"metric": "auc", "direction": "up", "absolute": -1}},
            {"when": {"condition": {"required_role": "x"}, "then": "approve"}},
            {"soak": {"hours": -3}},
            {"quorum": {"required": 1}, "veto": {}},
            "everyone",
            {"no_regression": {"metric": "auc", "direction": "lower_is_better", "absolute": 0.1, "relative": 0.1}},
            {"soak": {"hours": 18446744073709551615u64, "minutes": 1}}
        ]}}}
    ]}))
    .unwrap();
    insta::assert_snapshot!(spec.validate().unwrap_err().to_string());
}

#[test]
fn a_rule_read_directly_reports_its_problems() {
    let err = serde_json::from_str::<Rule>(r#"{"quorum": {"required": -1}}"#).unwrap_err();
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn rules_nest_only_so_deep() {
    let mut doc = json!({"veto": {}});
    for _ in 0..40 {
        doc = json!({"not": doc});
    }
    let err = serde_json::from_value::<Rule>(doc).unwrap_err();
    assert!(
        err.to_string().contains("rules nest at most 32 deep"),
        "{err}"
    );
}
