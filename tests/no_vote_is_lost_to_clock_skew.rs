//! No vote is lost to clock skew: a vote keeps the time its reviewer gave it, the trail keeps the
//! order its events were recorded in, and a vote whose reviewer's clock runs behind the last
//! event is recorded (at the last event's time), counted by its own time, and replays.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::{DIGEST, key, policy, rechain, sealed, submitted, t};
use modelgate::{
    AnyModel, DecisionContext, Environment, EventKind, Fresh, MetricGate, Metrics, Model, Quorum,
    Registry, RestoreError, Review, Status, Submitted, Timestamp, TrainingOutcome,
};

fn ms(millis: u64) -> Timestamp {
    Timestamp::from_unix_millis(millis)
}

/// The time of each event, and the own time of each vote.
fn times(model: &modelgate::Model<modelgate::Submitted>) -> Vec<(u64, Option<u64>)> {
    model
        .history()
        .iter()
        .map(|e| {
            let own = match e.kind() {
                EventKind::Voted { review } => Some(review.at().as_unix_millis()),
                _ => None,
            };
            (e.at().as_unix_millis(), own)
        })
        .collect()
}

/// Submitted at t(10) = 10,000 ms; carol's clock runs 5 ms ahead of the host's, bob's 3 ms
/// behind: carol's vote is recorded first, then bob's, at her time.
fn two_skewed_votes() -> modelgate::Model<modelgate::Submitted> {
    let mut model = submitted(0.95);
    model
        .record(Review::approve("carol", DIGEST, ms(10_105)))
        .unwrap();
    model
        .record(Review::approve("bob", DIGEST, ms(10_097)))
        .unwrap();
    model
}

#[test]
fn a_vote_behind_the_last_event_is_recorded_at_the_last_events_time_and_keeps_its_own() {
    let mut model = two_skewed_votes();
    // Dave's clock runs a second behind the submitter's: his vote, cast (by his clock) before
    // the submission, is taken as cast by a clock behind, within a minute.
    model
        .record(Review::reject("dave", DIGEST, ms(9_000)))
        .unwrap();
    assert_eq!(
        times(&model),
        [
            (10_000, None),
            (10_105, Some(10_105)),
            (10_105, Some(10_097)),
            (10_105, Some(9_000)),
        ]
    );
    assert_eq!(model.stage().votes().len(), 3, "every vote counts");
}

#[test]
fn a_vote_cast_more_than_a_minute_before_its_round_is_refused_and_comes_back() {
    let mut model = env_submitted("1", &Environment::default(), 1_000);
    let refused = model
        .record(Review::reject("dave", SKEW, t(939)))
        .unwrap_err();
    insta::assert_snapshot!(refused.error().to_string());
    assert_eq!(refused.into_input().reviewer(), "dave");
    model.record(Review::reject("dave", SKEW, t(940))).unwrap();
    assert_eq!(
        model.stage().votes().len(),
        1,
        "a minute behind is still this round"
    );
}

#[test]
fn a_vote_recorded_late_restores_through_the_live_transitions() {
    let model = two_skewed_votes();
    let stored = sealed(&model);
    let restored = stored.restore(&key(), &policy()).unwrap();
    assert_eq!(restored.status(), Status::Submitted);
    assert_eq!(restored.head(), model.head());
    let approved = model
        .decide(&policy(), &DecisionContext::at(ms(10_200)))
        .unwrap()
        .approved()
        .expect("two approvals and accuracy 0.95");
    let restored = sealed(&approved).restore(&key(), &policy()).unwrap();
    assert_eq!(restored.status(), Status::Approved);
}

#[test]
fn the_vote_window_counts_a_vote_by_its_own_time() {
    // A window of 1 s at the decision: carol voted (by her clock) 2 s before it, so her vote
    // is stale although its event is recorded 100 ms before the decision.
    let windowed = (
        MetricGate::at_least("accuracy", 0.90),
        Fresh::within(Duration::from_secs(1), Quorum::new(2)),
    );
    let mut model = submitted(0.95);
    model
        .record(Review::approve("bob", DIGEST, ms(12_900)))
        .unwrap();
    model
        .record(Review::approve("carol", DIGEST, ms(11_000)))
        .unwrap();
    assert_eq!(model.history()[2].at(), ms(12_900));
    let decided = model
        .decide(&windowed, &DecisionContext::at(ms(13_000)))
        .unwrap();
    assert_eq!(
        decided.status(),
        Status::Submitted,
        "one fresh approval of two"
    );
}

#[test]
fn a_late_vote_forged_to_its_own_time_is_refused() {
    // The attacker rewrites the recorded event's time to the vote's own (earlier than the event
    // before), rechains and reseals with the host's key: the replay records the vote at the
    // last event's time, so the chain no longer agrees.
    let model = two_skewed_votes();
    let mut json = serde_json::to_value(sealed(&model)).unwrap();
    json["events"][2]["at"] = serde_json::json!(ms(10_097));
    let forged = rechain(json).sealed_by(&key()).unwrap();
    let err = forged.restore(&key(), &policy()).unwrap_err().into_error();
    assert!(
        matches!(err, RestoreError::Replay { .. } | RestoreError::Chain(_)),
        "{err}"
    );
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn every_other_move_is_still_refused_a_time_before_the_last_event() {
    // A decision is the host's, at the host's time: earlier than the last vote's event is
    // refused (and the model comes back), as a deployment is.
    let model = two_skewed_votes();
    let head = model.head();
    let err = model
        .decide(&policy(), &DecisionContext::at(ms(10_100)))
        .unwrap_err();
    assert!(
        err.to_string().contains("is earlier than the last event"),
        "{err}"
    );
    let model = err.into_input();
    assert_eq!(model.head(), head, "the model comes back unchanged");
    assert!(model.decide(&policy(), &DecisionContext::at(t(11))).is_ok());
}

// ------------------------------------------------------------------------------------------
// Nothing about time got weaker: a registry's clock, a reviewer's own order, the round.
// (Found by an independent attacker; each failed before the fix.)

const SKEW: &str = "sha256:skew";

fn env_submitted(version: &str, env: &Environment, at: u64) -> Model<Submitted> {
    let outcome = TrainingOutcome::new(SKEW, Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap();
    Model::new("churn", version)
        .unwrap()
        .in_environment(env.clone())
        .submit(outcome, "alice", t(at))
        .unwrap()
}

/// Two versions under review in one environment of a registry. Carol's clock runs 4 s ahead
/// of bob's; she votes on v7 first, then bob (whose clock is right) votes on v8. The model
/// records bob's vote (at his own time: v8's last event is older), but the registry refuses to
/// take it back: its vote lands before the environment's clock, which carol's vote advanced.
/// So, through a registry (and `Store::transact`, whose documented example is exactly this
/// take/record/put), a vote IS lost to clock skew.
#[test]
fn a_vote_in_a_registry_is_not_lost_to_another_reviewers_fast_clock() {
    let staging = Environment::new("staging").unwrap();
    let mut registry = Registry::new("churn").unwrap();
    registry.put(env_submitted("7", &staging, 100)).unwrap();
    registry.put(env_submitted("8", &staging, 100)).unwrap();

    // carol, clock 4 s ahead, on v7
    let AnyModel::Submitted(mut v7) = registry.take(&staging, "7").unwrap() else {
        panic!("v7 is under review")
    };
    v7.record(Review::approve("carol", SKEW, t(1005))).unwrap();
    registry.put(v7).unwrap();

    // bob, clock right, one second later by the wall, on v8
    let AnyModel::Submitted(mut v8) = registry.take(&staging, "8").unwrap() else {
        panic!("v8 is under review")
    };
    v8.record(Review::approve("bob", SKEW, t(1002))).unwrap();
    let put = registry.put(v8);
    assert!(
        put.is_ok(),
        "bob's vote is lost to carol's clock skew: {:?}",
        put.err().map(|r| r.into_error())
    );
}

/// A reopened approval is "for a fresh decision: the votes start again". Before this change a
/// vote dated before the reopen was refused (its time was before the last event). Now the old
/// reviews — the very ones the lapsed approval was made of — are recorded again, keep their
/// old times, count, and approve the reopened model with no vote cast since the reopen.
/// Time got weaker: a vote older than its submission/reopen counts.
#[test]
fn votes_cast_before_a_reopen_do_not_approve_the_fresh_decision() {
    let prod = Environment::new("production")
        .unwrap()
        .with_approval_validity(Duration::from_secs(3600));
    let mut m = env_submitted("1", &prod, 0);
    let carol = Review::approve("carol", SKEW, t(10));
    let dave = Review::approve("dave", SKEW, t(11));
    m.record(carol.clone()).unwrap();
    m.record(dave.clone()).unwrap();
    let approved = m
        .decide(&Quorum::new(2), &DecisionContext::at(t(20)))
        .unwrap()
        .approved()
        .unwrap();
    // Lapsed a day later: reopened for a fresh decision.
    let mut reopened = approved.reopen("alice", t(86_400)).unwrap();
    // The same two reviews (a client retrying, a queue redelivering) are recorded again.
    let again_carol = reopened.record(carol);
    let again_dave = reopened.record(dave);
    let decided = reopened
        .decide(&Quorum::new(2), &DecisionContext::at(t(86_401)))
        .unwrap();
    assert!(
        again_carol.is_err() || again_dave.is_err() || decided.status() != Status::Approved,
        "votes cast a day before the reopen approved the 'fresh' decision"
    );
}

/// A vote dated before the submission it is counted for (here: before the model was even
/// submitted) is recorded and counts; before the change it was refused.
#[test]
fn a_vote_dated_before_the_submission_does_not_count() {
    let staging = Environment::new("staging").unwrap();
    let mut m = env_submitted("1", &staging, 1_000_000);
    let early = m.record(Review::approve("carol", SKEW, t(5)));
    let decided = m
        .decide(&Quorum::new(1), &DecisionContext::at(t(1_000_001)))
        .unwrap();
    assert!(
        early.is_err() || decided.status() != Status::Approved,
        "a vote cast 11 days before the submission approved it"
    );
}

/// Bob rejects at 1000 by his own clock (a veto). A vote of his dated *earlier* by that same
/// clock — an approve at 990, delivered late — is then recorded, replaces the reject as his
/// "latest" vote, and the veto is gone: the model is approved although bob's last word, by
/// bob's own clock, is reject. Before the change the approve was refused (its time was before
/// the last event). No skew between clocks is involved: one reviewer, one clock.
#[test]
fn an_older_vote_of_a_reviewer_does_not_replace_their_newer_veto() {
    use modelgate::Veto;
    let staging = Environment::new("staging").unwrap();
    let mut m = env_submitted("1", &staging, 0);
    m.record(Review::approve("carol", SKEW, t(100))).unwrap();
    m.record(Review::reject("bob", SKEW, t(1000))).unwrap();
    let stale = m.record(Review::approve("bob", SKEW, t(990)));
    let decided = m
        .decide(
            &(Quorum::new(2), Veto::new()),
            &DecisionContext::at(t(1001)),
        )
        .unwrap();
    assert!(
        stale.is_err() || decided.status() != Status::Approved,
        "bob's veto at 1000 was replaced by his own older approve at 990: approved"
    );
}

/// A vote on a registry's member is one call (`Registry::record`), whatever the registry's
/// clock says; a refused one hands the review back and changes nothing.
#[test]
fn a_vote_on_a_registry_member_is_one_call_and_a_refused_one_comes_back() {
    let staging = Environment::new("staging").unwrap();
    let mut registry = Registry::new("churn").unwrap();
    registry.put(env_submitted("7", &staging, 100)).unwrap();
    registry.put(env_submitted("8", &staging, 100)).unwrap();
    registry
        .record(&staging, "7", Review::approve("carol", SKEW, t(1005)))
        .unwrap();
    registry
        .record(&staging, "8", Review::approve("bob", SKEW, t(1002)))
        .unwrap();
    let before = registry.get(&staging, "8").map(AnyModel::head);
    let refusals = [
        registry
            .record(&staging, "9", Review::approve("bob", SKEW, t(1003)))
            .unwrap_err(),
        registry
            .record(
                &staging,
                "8",
                Review::approve("bob", "sha256:other", t(1003)),
            )
            .unwrap_err(),
    ];
    let messages: Vec<String> = refusals.iter().map(|r| r.error().to_string()).collect();
    insta::assert_snapshot!(messages.join("\n"));
    for refused in refusals {
        assert_eq!(
            refused.into_input().reviewer(),
            "bob",
            "the review comes back"
        );
    }
    assert_eq!(registry.get(&staging, "8").map(AnyModel::head), before);
    let approved = match registry.take(&staging, "8").unwrap() {
        AnyModel::Submitted(m) => m
            .decide(&Quorum::new(1), &DecisionContext::at(t(1010)))
            .unwrap()
            .approved()
            .unwrap(),
        other => panic!("under review, not {:?}", other.status()),
    };
    registry.put(approved).unwrap();
    let refused = registry
        .record(&staging, "8", Review::approve("dave", SKEW, t(1011)))
        .unwrap_err();
    assert!(
        matches!(
            refused.error(),
            modelgate::registry::RegistryError::NotSubmitted { .. }
        ),
        "{}",
        refused.error()
    );
}
