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
    DecisionContext, EventKind, Fresh, MetricGate, Quorum, RestoreError, Review, Status, Timestamp,
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

#[test]
fn a_vote_behind_the_last_event_is_recorded_at_the_last_events_time_and_keeps_its_own() {
    // Submitted at t(10) = 10,000 ms. Carol's clock runs 5 ms ahead, bob's 3 ms behind.
    let mut model = submitted(0.95);
    model
        .record(Review::approve("carol", DIGEST, ms(10_105)))
        .unwrap();
    model
        .record(Review::approve("bob", DIGEST, ms(10_097)))
        .unwrap();
    // Even a vote from before the submission (a clock far behind) is the reviewer's to give.
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
fn a_vote_recorded_late_restores_through_the_live_transitions() {
    let mut model = submitted(0.95);
    model
        .record(Review::approve("carol", DIGEST, ms(10_105)))
        .unwrap();
    model
        .record(Review::approve("bob", DIGEST, ms(10_097)))
        .unwrap();
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
    let mut model = submitted(0.95);
    model
        .record(Review::approve("carol", DIGEST, ms(10_105)))
        .unwrap();
    model
        .record(Review::approve("bob", DIGEST, ms(10_097)))
        .unwrap();
    let mut json = serde_json::to_value(sealed(&model)).unwrap();
    json["events"][2]["at"] = serde_json::json!(ms(10_097));
    let forged = rechain(json).sealed_by(&key()).unwrap();
    let err = forged.restore(&key(), &policy()).unwrap_err().into_error();
    assert!(
        matches!(
            err,
            RestoreError::Replay { .. } | RestoreError::Chain { .. }
        ),
        "{err}"
    );
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn every_other_move_is_still_refused_a_time_before_the_last_event() {
    // A decision is the host's, at the host's time: earlier than the last vote's event is
    // refused (and the model comes back), as a deployment is.
    let mut model = submitted(0.95);
    model
        .record(Review::approve("carol", DIGEST, ms(10_105)))
        .unwrap();
    model
        .record(Review::approve("bob", DIGEST, ms(10_097)))
        .unwrap();
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
