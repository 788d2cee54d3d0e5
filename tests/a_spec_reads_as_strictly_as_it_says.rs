//! A spec never reads as something looser than it says: integers are kept exactly or refused, a
//! policy that approves with no vote is linted, a YAML merge key alone reads as written; users
//! and roles stay apart in every form (issue 18, from an attacker's review).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use modelgate::*;

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

fn yaml(spec: &str) -> Result<Pipeline, String> {
    serde_saphyr::from_str::<PipelineSpec>(spec)
        .map_err(|e| e.to_string())?
        .validate()
        .map_err(|e| e.to_string())
}

fn decide(policy: &dyn Policy, metrics: &[(&str, f64)], votes: &[Review]) -> Status {
    let outcome =
        TrainingOutcome::new("sha256:1", Metrics::new(metrics.iter().copied()).unwrap()).unwrap();
    let mut m = Model::new("m", "1")
        .unwrap()
        .submit(outcome, "alice", t(10))
        .unwrap();
    for v in votes {
        m.record(v.clone()).unwrap();
    }
    m.decide(policy, &DecisionContext::at(t(100)))
        .unwrap()
        .status()
}

/// An integer threshold a 64-bit float cannot keep exactly (9007199254740993 would become
/// 9007199254740992, and pass that value) is refused, named by its path.
#[test]
fn an_integer_threshold_is_not_rounded_down() {
    let spec = |n: &str| {
        yaml(&format!(
            "steps:
  - name: approve
    type: approval
    inputs:
      policy: {{gate: {{metric: n_rows, at_least: {n}}}}}
"
        ))
    };
    insta::assert_snapshot!(spec("9007199254740993").unwrap_err());
    let exact = spec("9007199254740992").unwrap();
    let status = decide(&exact.policy(), &[("n_rows", 9_000_000_000_000_000.0)], &[]);
    assert_eq!(status, Status::Rejected);
}

#[test]
fn a_yaml_merge_key_alone_is_read_as_written_or_refused() {
    let result = yaml(
        "steps:
  - name: approve
    type: approval
    inputs:
      <<: {users: [bob, carol], required: 2}
",
    );
    if let Ok(p) = result {
        let one = Review::approve("bob", "sha256:1", t(20));
        assert_ne!(
            decide(&p.policy(), &[], &[one]),
            Status::Approved,
            "{}",
            p.policy().name()
        );
    }
}

/// Promise 4: `roles: [risk_officer]` is not met by the reviewer whose id is `risk_officer`;
/// `users: [risk_officer]` is not met by a reviewer holding the role.
#[test]
fn users_and_roles_stay_apart_in_every_form() {
    let by_id = Review::approve("risk_officer", "sha256:1", t(20));
    let by_role = Review::approve("bob", "sha256:1", t(20)).with_role("risk_officer");
    let roles = yaml(
        "steps:
  - name: approve
    type: approval
    inputs: {roles: [risk_officer]}
",
    )
    .unwrap();
    assert_ne!(
        decide(&roles.policy(), &[], std::slice::from_ref(&by_id)),
        Status::Approved
    );
    assert_eq!(
        decide(&roles.policy(), &[], std::slice::from_ref(&by_role)),
        Status::Approved
    );
    let users = yaml(
        "steps:
  - name: approve
    type: approval
    inputs: {users: [risk_officer]}
",
    )
    .unwrap();
    assert_ne!(
        decide(&users.policy(), &[], std::slice::from_ref(&by_role)),
        Status::Approved
    );
    let required = yaml(
        "steps:
  - name: approve
    type: approval
    inputs: {required_roles: [risk_officer]}
",
    )
    .unwrap();
    assert_ne!(
        decide(&required.policy(), &[], std::slice::from_ref(&by_id)),
        Status::Approved
    );
    for rule in [
        "{quorum: {required: 1, roles: [risk_officer]}}",
        "{required_role: risk_officer}",
        "{veto: {roles: [risk_officer]}}",
    ] {
        let p = yaml(&format!(
            "steps:
  - name: approve
    type: approval
    inputs:
      policy: {rule}
"
        ))
        .unwrap();
        let s = decide(&p.policy(), &[], std::slice::from_ref(&by_id));
        if rule.contains("veto") {
            // a veto by roles: a reject by the id `risk_officer` does not veto.
            let reject = Review::reject("risk_officer", "sha256:1", t(20));
            assert_eq!(
                decide(&p.policy(), &[], &[reject]),
                Status::Approved,
                "{rule}"
            );
        } else {
            assert_ne!(s, Status::Approved, "{rule}");
        }
    }
    // More than 16 roles: the set is looked up by hash, not scanned.
    let many: Vec<String> = (0..20)
        .map(|i| format!("r{i}"))
        .chain(["risk_officer".into()])
        .collect();
    let q = Quorum::new(1).eligible_roles(many.clone());
    assert_ne!(
        decide(&q, &[], std::slice::from_ref(&by_id)),
        Status::Approved
    );
    let q = Quorum::new(1).eligible_ids(many);
    assert_ne!(decide(&q, &[], &[by_role]), Status::Approved);
}

/// Promise 1: `policy: {all: []}` (and `not: {any: []}`) approve every model without a vote;
/// a quorum of 0 is linted for that ("approves without any approval"), so these must be too
/// (or be refused), else `modelgate check` passes a spec that approves everything.
#[test]
fn a_spec_that_approves_without_any_vote_is_linted() {
    let mut silent = Vec::new();
    for rule in [
        "{all: []}",
        "{not: {any: []}}",
        "{any: [{all: []}, {quorum: {required: 2}}]}",
    ] {
        let p = yaml(&format!(
            "steps:
  - name: approve
    type: approval
    inputs:
      policy: {rule}
"
        ))
        .unwrap();
        let status = decide(&p.policy(), &[], &[]);
        let lints: Vec<String> = p.lints().iter().map(ToString::to_string).collect();
        if status == Status::Approved
            && !lints
                .iter()
                .any(|l| l.contains("approves") || l.contains("always"))
        {
            silent.push(format!("`{rule}` (lints: {lints:?})"));
        }
    }
    assert!(
        silent.is_empty(),
        "approved with no vote, no lint says so: {silent:#?}"
    );
}
