//! The built-in rules and "all of" on tuples, on hand-made contexts.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use common::{DIGEST, outcome, t};
use modelgate::{MetricGate, Policy, Quorum, Review, ReviewContext, Value, Verdict, VerdictKind};

fn eval(policy: &impl Policy, accuracy: f64, votes: &[Review]) -> Verdict {
    let outcome = outcome(DIGEST, accuracy);
    policy.evaluate(&ReviewContext::new(&outcome, votes, "alice", 1, t(100)))
}

#[test]
fn metric_gates_include_their_boundary() {
    let at_least = MetricGate::at_least("accuracy", 0.90);
    assert_eq!(eval(&at_least, 0.90, &[]).kind(), VerdictKind::Approve);
    assert_eq!(eval(&at_least, 0.8999, &[]).kind(), VerdictKind::Reject);
    let at_most = MetricGate::at_most("accuracy", 0.90);
    assert_eq!(eval(&at_most, 0.90, &[]).kind(), VerdictKind::Approve);
    assert_eq!(eval(&at_most, 0.9001, &[]).kind(), VerdictKind::Reject);
}

#[test]
fn a_missing_metric_rejects_and_is_named() {
    let v = eval(&MetricGate::at_most("latency_p99_ms", 50.0), 0.99, &[]);
    assert_eq!(v.kind(), VerdictKind::Reject);
    assert_eq!(
        v.to_string(),
        "reject: latency_p99_ms is missing; it must be at most 50"
    );
    assert_eq!(v.findings()[0].observed(), &Value::Missing);
    assert_eq!(v.findings()[0].required(), &Value::Number(50.0));
    assert_eq!(v.findings()[0].rule(), "metric_at_most");
}

#[test]
fn a_nan_threshold_fails_closed() {
    assert_eq!(
        eval(&MetricGate::at_least("accuracy", f64::NAN), 0.99, &[]).kind(),
        VerdictKind::Reject
    );
    assert_eq!(
        eval(&MetricGate::at_most("accuracy", f64::NAN), 0.5, &[]).kind(),
        VerdictKind::Reject
    );
}

#[test]
fn quorum_counts_distinct_eligible_approvers_without_the_submitter() {
    let votes = [
        Review::approve("alice", DIGEST, t(1)),
        Review::approve("bob", DIGEST, t(2)),
        Review::approve("bob", DIGEST, t(3)),
        Review::reject("carol", DIGEST, t(4)),
    ];
    let v = eval(&Quorum::new(2), 0.9, &votes);
    assert_eq!(v.kind(), VerdictKind::Pending);
    assert_eq!(v.findings()[0].observed(), &Value::Count(1));
    assert_eq!(
        v.to_string(),
        "pending: 1 of 2 approvals from bob (alice is the submitter and does not count)"
    );
    assert_eq!(
        eval(&Quorum::new(1), 0.9, &votes).kind(),
        VerdictKind::Approve
    );
}

#[test]
fn quorum_eligibility_by_id_or_role() {
    let q = Quorum::new(2)
        .eligible_ids(["dave"])
        .eligible_roles(["team_lead"]);
    let votes = [
        Review::approve("bob", DIGEST, t(1)),
        Review::approve("carol", DIGEST, t(2)).with_role("team_lead"),
        Review::approve("dave", DIGEST, t(3)),
    ];
    assert_eq!(eval(&q, 0.9, &votes).kind(), VerdictKind::Approve);
    let v = eval(&q, 0.9, &votes[..2]);
    assert_eq!(
        v.to_string(),
        "pending: 1 of 2 approvals from carol (bob is not an eligible approver)"
    );
    // The submitter is never counted, even when eligible by role.
    let self_vote = [Review::approve("alice", DIGEST, t(1)).with_role("team_lead")];
    assert_eq!(
        eval(
            &Quorum::new(1).eligible_roles(["team_lead"]),
            0.9,
            &self_vote
        )
        .kind(),
        VerdictKind::Pending
    );
}

#[test]
fn a_tuple_is_all_of_its_parts_and_keeps_the_deciding_findings() {
    let p = (MetricGate::at_least("accuracy", 0.9), Quorum::new(1));
    let bob = [Review::approve("bob", DIGEST, t(1))];
    let v = eval(&p, 0.95, &bob);
    assert_eq!(v.kind(), VerdictKind::Approve);
    assert_eq!(v.findings().len(), 2);
    // Reject overrides pending; only the rejecting finding is kept.
    let v = eval(&p, 0.5, &[]);
    assert_eq!(
        v.to_string(),
        "reject: accuracy 0.5 is below the minimum 0.9"
    );
    // Pending when metrics pass and votes are missing.
    assert_eq!(eval(&p, 0.95, &[]).to_string(), "pending: 0 of 1 approvals");
    assert_eq!(
        ().evaluate(&ReviewContext::new(
            &outcome(DIGEST, 0.1),
            &[],
            "a",
            1,
            t(0)
        ))
        .kind(),
        VerdictKind::Approve
    );
}
