//! Storage: every stage round-trips; restoring checks the trail, the stage data and the decision.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use modelgate::{
    AnyModel, Decided, DecisionContext, FORMAT_VERSION, MetricGate, Policy, Quorum, RestoreError,
    Restored, Review, Status, TrailError,
};
use serde_json::json;

/// An edit of stored JSON.
type Edit = fn(&mut serde_json::Value);
/// What a trail error must look like.
type Expect = fn(&TrailError) -> bool;

fn json(model: impl Into<AnyModel>) -> String {
    serde_json::to_string_pretty(&model.into()).unwrap()
}

fn round_trip(model: impl Into<AnyModel>) -> Restored {
    let text = json(model);
    let stored: AnyModel = serde_json::from_str(&text).unwrap();
    assert_eq!(
        json(stored.clone()),
        text,
        "serializing again gives the same text"
    );
    stored.restore(&policy()).unwrap()
}

#[test]
fn every_stage_round_trips_through_json_without_loss() {
    assert_eq!(round_trip(untrained()), Restored::Untrained(untrained()));
    assert_eq!(
        round_trip(submitted(0.9)),
        Restored::Submitted(submitted(0.9))
    );
    assert_eq!(round_trip(approved()), Restored::Approved(approved()));
    assert_eq!(round_trip(rejected()), Restored::Rejected(rejected()));
    assert_eq!(round_trip(retraining()), Restored::Retraining(retraining()));
    assert_eq!(round_trip(deployed()), Restored::Deployed(deployed()));
}

#[test]
fn a_restored_model_goes_on_where_it_stopped() {
    let mut m = submitted(0.95);
    m.record(Review::approve("bob", DIGEST, t(11))).unwrap();
    let Restored::Submitted(mut m) = round_trip(&m) else {
        panic!()
    };
    m.record(Review::approve("carol", DIGEST, t(86_400 * 3)))
        .unwrap();
    let decided = m
        .decide(&policy(), &DecisionContext::at(t(86_400 * 3 + 1)))
        .unwrap();
    assert_eq!(decided.status(), Status::Approved);
}

#[test]
fn json_of_each_stage() {
    insta::assert_snapshot!("untrained", json(untrained()));
    insta::assert_snapshot!(
        "submitted",
        json(&{
            let mut m = submitted(0.93);
            m.record(
                Review::reject("bob", DIGEST, t(11))
                    .with_role("team_lead")
                    .with_comment("check drift"),
            )
            .unwrap();
            m
        })
    );
    insta::assert_snapshot!("approved", json(approved()));
    insta::assert_snapshot!("rejected", json(rejected()));
    insta::assert_snapshot!("retraining", json(retraining()));
    insta::assert_snapshot!("deployed", json(deployed()));
}

#[test]
fn unknown_fields_and_stages_are_refused_when_reading() {
    let base = serde_json::to_value(AnyModel::from(&approved())).unwrap();
    let edits: [(&str, Edit); 5] = [
        ("top level", |v| v["extra"] = json!(1)),
        ("stage data", |v| v["stage"]["approved"]["extra"] = json!(1)),
        ("decision", |v| {
            v["stage"]["approved"]["decision"]["approved_by"] = json!("me")
        }),
        ("event", |v| v["history"][0]["extra"] = json!(1)),
        ("stage tag", |v| v["stage"] = json!({ "shipped": {} })),
    ];
    for (what, edit) in edits {
        let mut v = base.clone();
        edit(&mut v);
        assert!(serde_json::from_value::<AnyModel>(v).is_err(), "{what}");
    }
    let mut nan = base.clone();
    nan["history"][0]["event"]["submitted"]["outcome"]["metrics"]["accuracy"] = json!("NaN");
    assert!(serde_json::from_value::<AnyModel>(nan).is_err());
    let mut empty_digest = base;
    empty_digest["history"][0]["event"]["submitted"]["outcome"]["digest"] = json!("");
    assert!(serde_json::from_value::<AnyModel>(empty_digest).is_err());
}

#[test]
fn another_format_version_is_refused() {
    let stored = tamper(submitted(0.9), |v| {
        v["format_version"] = json!(FORMAT_VERSION + 1)
    });
    assert_eq!(
        restore_error(stored),
        RestoreError::Format {
            found: FORMAT_VERSION + 1
        }
    );
}

#[test]
fn a_claimed_status_the_trail_does_not_reach_is_refused() {
    // A submitted model claiming to be approved, with a made-up decision.
    let approved_json = serde_json::to_value(AnyModel::from(&approved())).unwrap();
    let stored = tamper(submitted(0.93), |v| {
        v["stage"] = approved_json["stage"].clone()
    });
    assert_eq!(
        restore_error(stored),
        RestoreError::Status {
            stored: Status::Approved,
            replayed: Status::Submitted
        }
    );
}

#[test]
fn stage_data_that_disagree_with_the_trail_are_refused() {
    let stored = tamper(approved(), |v| {
        v["stage"]["approved"]["decision"]["votes"][0]["reviewer"] = json!("mallory");
    });
    assert_eq!(
        restore_error(stored),
        RestoreError::StageData {
            status: Status::Approved
        }
    );
    let stored = tamper(submitted(0.5), |v| {
        v["stage"]["submitted"]["submission"]["outcome"]["metrics"]["accuracy"] = json!(0.99);
    });
    assert_eq!(
        restore_error(stored),
        RestoreError::StageData {
            status: Status::Submitted
        }
    );
}

#[test]
fn a_forged_trail_is_refused_at_the_first_bad_event() {
    let cases: [(Edit, Expect); 4] = [
        (
            |v| v["history"][1]["seq"] = json!(7),
            |e| {
                matches!(
                    e,
                    TrailError::Sequence {
                        expected: 2,
                        found: 7
                    }
                )
            },
        ),
        (
            |v| v["history"][1]["at"] = json!(0),
            |e| matches!(e, TrailError::Time { seq: 2, .. }),
        ),
        (
            |v| v["history"][1]["event"]["voted"]["review"]["digest"] = json!("sha256:other"),
            |e| matches!(e, TrailError::Vote { seq: 2, .. }),
        ),
        (
            |v| v["history"][0]["event"]["submitted"]["attempt"] = json!(2),
            |e| {
                matches!(
                    e,
                    TrailError::Attempt {
                        seq: 1,
                        expected: 1,
                        found: 2
                    }
                )
            },
        ),
    ];
    for (edit, expected) in cases {
        match restore_error(tamper(approved(), edit)) {
            RestoreError::Trail(e) => assert!(expected(&e), "{e}"),
            other => panic!("expected a trail error, got {other}"),
        }
    }
}

#[test]
fn an_approval_is_restored_only_if_the_callers_policy_upholds_it() {
    // Approved under a lenient policy (one approval) …
    let lenient = (MetricGate::at_least("accuracy", 0.5), Quorum::new(1));
    let mut m = submitted(0.7);
    m.record(Review::approve("bob", DIGEST, t(11))).unwrap();
    let Decided::Approved(m) = m.decide(&lenient, &DecisionContext::at(t(12))).unwrap() else {
        panic!()
    };
    let stored = AnyModel::from(&m);

    // … is not upheld by the strict one, and the record comes back in the error …
    let err = stored.clone().restore(&policy()).unwrap_err();
    assert_eq!(
        err.error(),
        &RestoreError::NotUpheld {
            policy: policy().name(),
            verdict: String::from("reject: accuracy 0.7 is below the minimum 0.9"),
        }
    );
    assert_eq!(err.into_model(), stored);

    // … is upheld by the lenient one, and restores unchecked.
    assert_eq!(
        stored.clone().restore(&lenient).unwrap(),
        Restored::Approved(m)
    );
    assert_eq!(
        stored.restore_unchecked().unwrap().status(),
        Status::Approved
    );

    // The same holds for a deployed model.
    let deployed = approved()
        .mark_deployed(modelgate::Receipt::new("x"), t(31))
        .unwrap();
    let stored = AnyModel::from(deployed);
    assert!(stored.clone().restore(&Quorum::new(3)).is_err());
    assert_eq!(
        stored.restore(&Quorum::new(2)).unwrap().status(),
        Status::Deployed
    );
}

#[test]
fn a_submitted_model_rewritten_into_an_approval_is_refused() {
    // bob's is the only vote; the policy wants two approvals.
    let mut m = submitted(0.95);
    m.record(Review::approve("bob", DIGEST, t(11))).unwrap();
    let bob =
        serde_json::to_value(AnyModel::from(&m)).unwrap()["history"][1]["event"]["voted"]["review"]
            .clone();
    let verdict = json!({ "kind": "approve", "findings": [] });

    // A forged decision event and matching stage data: consistent in every detail.
    let forged = tamper(&m, |v| {
        v["history"].as_array_mut().unwrap().push(json!({
            "seq": 3, "at": 12000, "event": { "decided": { "policy": "trust me", "verdict": verdict } },
        }));
        v["stage"] = json!({ "approved": {
            "submission": v["stage"]["submitted"]["submission"].clone(),
            "decision": {
                "policy": "trust me", "decided_at": 12000, "digest": DIGEST,
                "votes": [bob], "verdict": verdict,
            },
        }});
    });
    // The caller's policy does not approve on that evidence: refused.
    assert_eq!(
        restore_error(forged.clone()),
        RestoreError::NotUpheld {
            policy: policy().name(),
            verdict: String::from("pending: 1 of 2 approvals from bob"),
        }
    );
    // Only the method that says so skips that check.
    assert_eq!(
        forged.restore_unchecked().unwrap().status(),
        Status::Approved
    );

    // Evidence that does not match the trail is refused even unchecked.
    let inconsistent = tamper(&m, |v| {
        v["stage"] = serde_json::to_value(AnyModel::from(&approved())).unwrap()["stage"].clone();
    });
    let err = inconsistent.restore_unchecked().unwrap_err().into_error();
    assert_eq!(
        err,
        RestoreError::Status {
            stored: Status::Approved,
            replayed: Status::Submitted
        }
    );
}

/// Found by the round-trip property: serde_json without its `float_roundtrip` feature reads
/// 0.23688813612918022 back as 0.23688813612918025, which can flip a re-checked gate at its
/// boundary. The dev-dependency enables the feature; hosts using serde_json should too.
#[test]
fn metric_values_round_trip_bit_exact() {
    let m = untrained()
        .submit(outcome(DIGEST, 0.236_888_136_129_180_22), "alice", t(1))
        .unwrap();
    let Restored::Submitted(back) = round_trip(&m) else {
        panic!()
    };
    let value = back
        .stage()
        .submission()
        .outcome()
        .metrics()
        .get("accuracy")
        .unwrap();
    assert_eq!(value.to_bits(), 0.236_888_136_129_180_22f64.to_bits());
}
