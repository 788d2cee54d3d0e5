//! The built-in rules and combinators, on hand-made contexts.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use std::time::Duration;

use common::{DIGEST, outcome, t};
use modelgate::policy::FindingValue;
use modelgate::value::CountedVotes;
use modelgate::{
    Fresh, MetricGate, Metrics, NoRegression, Policy, PolicyExt, Quorum, RequiredRole, Review,
    ReviewContext, Verdict, VerdictKind, Veto, all, any, from_fn, not, when,
};

fn eval(policy: &impl Policy, accuracy: f64, votes: &[Review]) -> Verdict {
    let outcome = outcome(DIGEST, accuracy);
    let votes: CountedVotes = votes.iter().cloned().collect();
    let ctx = ReviewContext::new(&outcome, &votes, "alice", 1, t(100));
    let verdict = policy.evaluate(&ctx);
    assert_eq!(
        policy.judge(&ctx),
        verdict.kind(),
        "judge agrees with evaluate"
    );
    verdict
}

fn against(policy: &impl Policy, accuracy: f64, champion: Option<f64>) -> Verdict {
    let outcome = outcome(DIGEST, accuracy);
    let votes = CountedVotes::new();
    let champion = champion.map(|c| Metrics::new([("accuracy", c)]).unwrap());
    let ctx =
        ReviewContext::new(&outcome, &votes, "alice", 1, t(100)).with_champion(champion.as_ref());
    let verdict = policy.evaluate(&ctx);
    assert_eq!(policy.judge(&ctx), verdict.kind());
    verdict
}

fn approve(who: &str, at: u64) -> Review {
    Review::approve(who, DIGEST, t(at))
}

#[test]
fn metric_gates_at_their_boundaries() {
    let cases = [
        (
            MetricGate::at_least("accuracy", 0.9),
            [(0.9, true), (0.8999, false)],
        ),
        (
            MetricGate::at_most("accuracy", 0.9),
            [(0.9, true), (0.9001, false)],
        ),
        (
            MetricGate::above("accuracy", 0.9),
            [(0.9001, true), (0.9, false)],
        ),
        (
            MetricGate::below("accuracy", 0.9),
            [(0.8999, true), (0.9, false)],
        ),
    ];
    for (gate, values) in cases {
        for (value, passes) in values {
            assert_eq!(
                eval(&gate, value, &[]).is_approved(),
                passes,
                "{} with {value}",
                gate.name()
            );
        }
    }
    assert_eq!(
        eval(&MetricGate::above("accuracy", 0.9), 0.9, &[]).to_string(),
        "reject: accuracy 0.9 is not above 0.9"
    );
}

#[test]
fn a_missing_metric_rejects_and_is_named() {
    let v = eval(&MetricGate::at_most("latency_p99_ms", 50.0), 0.99, &[]);
    assert_eq!(
        v.to_string(),
        "reject: latency_p99_ms is missing; it must be at most 50"
    );
    assert_eq!(v.findings()[0].observed(), &FindingValue::Missing);
    assert_eq!(v.findings()[0].required(), &FindingValue::Number(50.0));
    assert_eq!(v.findings()[0].rule(), "metric_at_most");
    let v = eval(&NoRegression::higher_is_better("auc"), 0.99, &[]);
    assert_eq!(v.kind(), VerdictKind::Reject);
}

#[test]
fn a_nan_threshold_fails_closed_and_is_linted() {
    let gate = MetricGate::at_least("accuracy", f64::NAN);
    assert_eq!(eval(&gate, 0.99, &[]).kind(), VerdictKind::Reject);
    assert_eq!(
        gate.lints()[0].message(),
        "threshold NaN is not a finite number"
    );
}

#[test]
fn no_regression_against_the_champion() {
    let abs = NoRegression::higher_is_better("accuracy").absolute(0.005);
    assert!(against(&abs, 0.915, Some(0.92)).is_approved());
    assert!(!against(&abs, 0.914, Some(0.92)).is_approved());
    assert_eq!(
        against(&abs, 0.914, Some(0.92)).to_string(),
        "reject: accuracy 0.914 regresses beyond the champion's 0.92 (limit 0.915)"
    );
    let v = against(&abs, 0.5, None);
    assert!(v.is_approved());
    assert_eq!(
        v.to_string(),
        "approve: accuracy 0.5: no champion value to compare with"
    );

    let rel = NoRegression::lower_is_better("accuracy").relative(0.10);
    assert!(against(&rel, 0.55, Some(0.5)).is_approved());
    assert!(!against(&rel, 0.56, Some(0.5)).is_approved());
    assert_eq!(
        rel.name(),
        "accuracy no worse than the champion's by more than 10%"
    );
    assert_eq!(
        NoRegression::higher_is_better("a")
            .absolute(-1.0)
            .lints()
            .len(),
        1
    );
}

#[test]
fn quorum_counts_distinct_eligible_approvers_without_the_submitter() {
    let votes = [
        approve("alice", 1),
        approve("bob", 2),
        approve("bob", 3),
        Review::reject("carol", DIGEST, t(4)),
    ];
    let v = eval(&Quorum::new(2), 0.9, &votes);
    assert_eq!(v.kind(), VerdictKind::Pending);
    assert_eq!(v.findings()[0].observed(), &FindingValue::Count(1));
    assert_eq!(
        v.to_string(),
        "pending: 1 of 2 approvals from bob (alice is the submitter and does not count)"
    );
    assert_eq!(
        eval(&Quorum::new(1), 0.9, &votes).kind(),
        VerdictKind::Approve
    );
    assert_eq!(eval(&Quorum::new(0), 0.9, &[]).kind(), VerdictKind::Approve);
}

#[test]
fn quorum_eligibility_by_id_or_role() {
    let q = Quorum::new(2)
        .eligible_ids(["dave"])
        .eligible_roles(["team_lead"]);
    let votes = [
        approve("bob", 1),
        approve("carol", 2).with_role("team_lead"),
        approve("dave", 3),
    ];
    assert_eq!(eval(&q, 0.9, &votes).kind(), VerdictKind::Approve);
    let v = eval(&q, 0.9, &votes[..2]);
    assert_eq!(
        v.to_string(),
        "pending: 1 of 2 approvals from carol (bob is not eligible)"
    );
    // The submitter is never counted, even when eligible by role.
    let own = [approve("alice", 1).with_role("team_lead")];
    assert_eq!(
        eval(&Quorum::new(1).eligible_roles(["team_lead"]), 0.9, &own).kind(),
        VerdictKind::Pending
    );
}

#[test]
fn quorums_that_can_never_be_met_are_linted() {
    assert!(Quorum::new(2).eligible_ids(["a", "b"]).lints().is_empty());
    assert_eq!(
        Quorum::new(3).eligible_ids(["a", "b", "a"]).lints().len(),
        1
    );
    assert!(
        Quorum::new(3)
            .eligible_ids(["a"])
            .eligible_roles(["r"])
            .lints()
            .is_empty()
    );
    assert!(
        Quorum::new(30).lints().is_empty(),
        "anyone may approve: no bound is known"
    );
    assert_eq!(MetricGate::at_least("recall", 1.01).lints().len(), 1);
    assert!(MetricGate::at_least("recall", 1.0).lints().is_empty());
    assert_eq!(
        MetricGate::below("latency", 0.0)
            .within(0.0, 1e6)
            .lints()
            .len(),
        1
    );
    assert!(
        MetricGate::below("latency", 0.0).lints().is_empty(),
        "range unknown"
    );
    let nested = (
        MetricGate::above("f1", 1.0),
        any([Quorum::new(5).eligible_ids(["x"])]),
    );
    assert_eq!(nested.lints().len(), 2);
    assert_eq!(
        any::<Quorum>([]).lints()[0].message(),
        "rejects everything: it has no alternatives"
    );
}

#[test]
fn a_required_role_among_the_approvers() {
    let rule = RequiredRole::new("team_lead");
    assert_eq!(
        eval(&rule, 0.9, &[approve("bob", 1)]).to_string(),
        "pending: no approval from a team_lead yet"
    );
    let lead = [
        approve("bob", 1),
        approve("carol", 2).with_role("team_lead"),
    ];
    assert_eq!(
        eval(&rule, 0.9, &lead).to_string(),
        "approve: team_lead approval from carol"
    );
    let own = [approve("alice", 1).with_role("team_lead")];
    assert_eq!(
        eval(&rule, 0.9, &own).to_string(),
        "pending: no approval from a team_lead yet (alice is the submitter and does not count)"
    );
}

#[test]
fn any_eligible_reject_vetoes() {
    let veto = Veto::new().eligible_roles(["security"]);
    let votes = [
        approve("bob", 1),
        Review::reject("carol", DIGEST, t(2))
            .with_role("security")
            .with_comment("PII in features"),
    ];
    assert_eq!(
        eval(&veto, 0.9, &votes).to_string(),
        "reject: vetoed: carol rejects: PII in features"
    );
    let not_eligible = [Review::reject("dave", DIGEST, t(2))];
    assert_eq!(
        eval(&veto, 0.9, &not_eligible).to_string(),
        "approve: no veto (dave is not eligible)"
    );
    let own = [Review::reject("alice", DIGEST, t(2))];
    assert_eq!(
        eval(&Veto::new(), 0.9, &own).to_string(),
        "approve: no veto (alice is the submitter and does not count)"
    );
    // A reviewer who changed their mind from reject to approve no longer vetoes.
    let changed = [Review::reject("bob", DIGEST, t(1)), approve("bob", 2)];
    assert!(eval(&Veto::new(), 0.9, &changed).is_approved());
}

#[test]
fn stale_votes_do_not_count() {
    let week = Duration::from_secs(7 * 86_400);
    let now = 100; // `eval` decides at t(100)
    let policy = Fresh::within(Duration::from_secs(50), Quorum::new(2));
    let votes = [
        approve("bob", now - 51),
        approve("carol", now - 50),
        approve("dave", now),
    ];
    let v = eval(&policy, 0.9, &votes);
    assert!(v.is_approved());
    assert_eq!(
        v.to_string(),
        "approve: 2 of 2 approvals from carol, dave; votes older than 50s do not count: bob"
    );
    assert_eq!(
        eval(&Fresh::within(week, Quorum::new(3)), 0.9, &votes).kind(),
        VerdictKind::Approve
    );
    // Fresh windows nest by narrowing.
    let nested = Fresh::within(week, Fresh::within(Duration::from_secs(10), Quorum::new(1)));
    assert_eq!(
        eval(&nested, 0.9, &votes).findings()[0].message(),
        "1 of 1 approvals from dave"
    );
    // A stale veto no longer vetoes.
    let stale_veto = [Review::reject("bob", DIGEST, t(1))];
    assert!(
        eval(
            &Fresh::within(Duration::from_secs(10), Veto::new()),
            0.9,
            &stale_veto
        )
        .is_approved()
    );
}

#[test]
fn automatic_approval_when_the_condition_holds_else_manual() {
    let policy = when(MetricGate::above("accuracy", 0.90))
        .approve_automatically()
        .otherwise(Quorum::new(1));
    let auto = eval(&policy, 0.95, &[]);
    assert_eq!(auto.automatic_rule(), Some("accuracy above 0.9"));
    assert_eq!(auto.to_string(), "approve: accuracy 0.95 is above 0.9");
    let manual = eval(&policy, 0.85, &[]);
    assert_eq!(
        manual.to_string(),
        "pending: 0 of 1 approvals; accuracy 0.85 is not above 0.9"
    );
    let manual = eval(&policy, 0.85, &[approve("bob", 1)]);
    assert!(manual.is_approved());
    assert_eq!(manual.automatic_rule(), None);
}

#[test]
fn when_then_otherwise() {
    let p = when(MetricGate::at_least("accuracy", 0.99))
        .then(Quorum::new(1))
        .otherwise(Quorum::new(2));
    assert!(eval(&p, 0.995, &[approve("bob", 1)]).is_approved());
    assert!(!eval(&p, 0.9, &[approve("bob", 1)]).is_approved());
    assert_eq!(
        p.name(),
        "when accuracy at least 0.99 then 1 approval, otherwise 2 approvals"
    );
}

#[test]
fn combinators_follow_the_three_valued_algebra() {
    let pass = MetricGate::at_least("accuracy", 0.5);
    let fail = MetricGate::at_least("accuracy", 0.99);
    let pending = Quorum::new(1);
    let kind = |p: &dyn Policy| eval(&p, 0.9, &[]).kind();
    use VerdictKind::*;
    assert_eq!(kind(&pass.clone().and(pending.clone())), Pending);
    assert_eq!(kind(&fail.clone().and(pending.clone())), Reject);
    assert_eq!(kind(&fail.clone().or(pending.clone())), Pending);
    assert_eq!(kind(&pass.clone().or(fail.clone())), Approve);
    assert_eq!(kind(&not(pass.clone())), Reject);
    assert_eq!(kind(&pending.clone().not()), Pending);
    assert_eq!(kind(&all::<MetricGate>([])), Approve);
    assert_eq!(kind(&any::<MetricGate>([])), Reject);
    assert_eq!(kind(&()), Approve);
    // The deciding parts' findings are kept, the others dropped.
    let v = eval(
        &all([
            pass.clone(),
            fail.clone(),
            MetricGate::at_least("accuracy", 0.95),
        ]),
        0.9,
        &[],
    );
    assert_eq!(v.findings().len(), 2);
    let v = eval(&any([pass.clone(), fail.clone()]), 0.9, &[]);
    assert_eq!(v.to_string(), "approve: accuracy 0.9 is at least 0.5");
    assert_eq!(
        eval(&all::<MetricGate>([]), 0.9, &[]).to_string(),
        "approve: no rules to satisfy"
    );
}

#[test]
fn closures_are_policies() {
    let p = from_fn("attempts under 3", |ctx| {
        let kind = if ctx.attempt() < 3 {
            VerdictKind::Approve
        } else {
            VerdictKind::Reject
        };
        Verdict::new(kind, vec![])
    });
    let v = eval(&p, 0.9, &[]);
    assert_eq!(v.to_string(), "approve: attempts under 3: approve");
    assert_eq!(p.name(), "attempts under 3");
    let boxed: Box<dyn Policy> = Box::new(p.and(Quorum::new(0)));
    assert!(eval(&boxed, 0.9, &[]).is_approved());
}

#[test]
fn rules_serialize_as_a_config_would_name_them() {
    let rules = serde_json::json!({
        "gate": MetricGate::at_least("accuracy", 0.9),
        "range": MetricGate::below("latency_ms", 50.0).within(0.0, 10_000.0),
        "champion": NoRegression::higher_is_better("accuracy").relative(0.01),
        "quorum": Quorum::new(2).eligible_ids(["alice"]).eligible_roles(["team_lead"]),
        "role": RequiredRole::new("team_lead"),
        "veto": Veto::new().eligible_roles(["security"]),
    });
    insta::assert_snapshot!(serde_json::to_string_pretty(&rules).unwrap());
    let back: Quorum = serde_json::from_value(rules["quorum"].clone()).unwrap();
    assert_eq!(
        back,
        Quorum::new(2)
            .eligible_ids(["alice"])
            .eligible_roles(["team_lead"])
    );
    let gate: MetricGate =
        serde_json::from_str(r#"{"metric":"f1","op":"above","threshold":0.5}"#).unwrap();
    assert_eq!(gate, MetricGate::above("f1", 0.5));
    assert!(
        serde_json::from_str::<MetricGate>(r#"{"metric":"f1","op":"above","threshold":0.5,"x":1}"#)
            .is_err()
    );
    assert!(
        serde_json::from_str::<Quorum>(r#"{"required":2,"eligible":{"users":["a"]}}"#).is_err()
    );
}

#[test]
fn lint_messages() {
    let lints = (
        Quorum::new(3).eligible_ids(["a", "b"]),
        MetricGate::at_least("recall", 1.01),
        MetricGate::below("latency_ms", 0.0).within(0.0, 1e6),
        MetricGate::above("f1", f64::INFINITY),
        NoRegression::higher_is_better("auc").relative(-0.1),
        any::<Quorum>([]),
        Quorum::new(0),
        (
            Quorum::new(1)
                .eligible_ids(["Bob", "bob", "carol"])
                .eligible_roles(["Bob", "bob", "carol"]),
            // Names no reviewer can hold: ids and roles are checked when they enter.
            Quorum::new(2).eligible_roles(["ml-reviewers "]),
            RequiredRole::new("team_lead\u{200b}"),
            Veto::new().eligible_ids(["\u{430}lice"]),
        ),
    )
        .lints();
    let lines: Vec<String> = lints.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(lines.join("\n"));
}
