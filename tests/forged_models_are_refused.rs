//! Attacks on stored models, each forged *consistently*: every copy of a value is edited so it
//! agrees, and the hash chain is recomputed, as an attacker with write access to the storage
//! (but not the sealing key) can do. Each of these produced an approval or a deploy on the
//! format-1 store; each is refused now, naming what is wrong.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::*;
use modelgate::trail::{ReplayError, SealError};
use modelgate::{
    AnyModel, ChainError, DecisionContext, Fresh, MetricGate, Metrics, Model, NoRegression, Policy,
    Quorum, RestoreError, Review, StoredModel, Veto,
};
use serde_json::{Value, json};

const DAY: u64 = 86_400;

/// A strict policy: accuracy ≥ 0.9, no regression, any reviewer's reject vetoes, and two
/// approvals cast within 7 days of the decision.
fn strict() -> impl Policy {
    (
        MetricGate::at_least("accuracy", 0.9),
        NoRegression::higher_is_better("accuracy"),
        Veto::new(),
        Fresh::within(Duration::from_secs(7 * DAY), Quorum::new(2)),
    )
}

fn restore(stored: StoredModel) -> Result<AnyModel, RestoreError> {
    stored
        .restore(&key(), &strict())
        .map_err(|e| e.into_error())
}

fn is_seal_mismatch(result: Result<AnyModel, RestoreError>) -> bool {
    matches!(result, Err(RestoreError::Seal(SealError::Mismatch { .. })))
}

/// Inserts `event` (JSON) at position `at` and renumbers every event.
fn insert(json: &mut Value, at: usize, event: Value) {
    let events = json["events"].as_array_mut().unwrap();
    events.insert(at, event);
    renumber(json);
}

fn remove(json: &mut Value, at: usize) -> Value {
    let removed = json["events"].as_array_mut().unwrap().remove(at);
    renumber(json);
    removed
}

fn renumber(json: &mut Value) {
    for (i, e) in json["events"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        e["seq"] = json!(i + 1);
    }
}

/// Submitted by alice, approved by bob only: pending under a quorum of 2.
fn one_approval() -> Model<modelgate::Submitted> {
    let mut m = submitted(0.95);
    m.record(Review::approve("bob", DIGEST, t(20))).unwrap();
    m
}

#[test]
fn a_second_approval_added_consistently_is_refused_by_the_seal() {
    let stored = sealed(&one_approval());
    let forged = forged(&stored, |json| {
        let mut vote = json["events"][1].clone();
        vote["at"] = json!(21_000);
        vote["event"]["voted"]["review"]["reviewer"] = json!("carol");
        vote["event"]["voted"]["review"]["at"] = json!(21_000);
        insert(json, 2, vote);
    });
    // The forgery is consistent: the chain holds, and without a seal it would restore with two
    // approvals, which `decide` would approve.
    assert!(forged.clone().restore_unsealed(&strict()).is_ok());
    assert!(is_seal_mismatch(restore(forged.clone())));
    // Re-sealed with a key the host does not trust: refused too.
    let resealed = forged.sealed_by(&attacker_key()).unwrap();
    assert_eq!(
        restore(resealed),
        Err(RestoreError::Seal(SealError::UnknownKey {
            key_id: "attacker".into()
        }))
    );
}

#[test]
fn a_forged_approval_decision_is_refused_by_the_seal_and_by_the_policy() {
    let stored = sealed(&one_approval());
    let forged = forged(&stored, |json| {
        let approved = serde_json::to_value(StoredModel::from(&approved())).unwrap();
        let mut decision = approved["events"][3].clone();
        // Consistent: it names the caller's policy, as a decision by it would.
        decision["event"]["decided"]["policy"] = json!(strict().name());
        decision["event"]["decided"]["fingerprint"] =
            json!(modelgate::PolicyExt::fingerprint(&strict()).to_string());
        insert(json, 2, decision);
    });
    assert!(is_seal_mismatch(restore(forged.clone())));
    // Without the seal, the decision is decided again by the caller's policy on the evidence
    // in the trail (one approval): not upheld.
    let err = forged.restore_unsealed(&strict()).unwrap_err().into_error();
    assert!(
        matches!(
            err,
            RestoreError::Replay {
                seq: 3,
                error: ReplayError::NotUpheld { .. },
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn deleting_a_veto_is_refused() {
    let mut m = submitted(0.95);
    m.record(Review::approve("bob", DIGEST, t(20))).unwrap();
    m.record(Review::approve("carol", DIGEST, t(21))).unwrap();
    m.record(Review::reject("dave", DIGEST, t(22)).with_comment("leaks PII"))
        .unwrap();
    let rejected = m
        .decide(&strict(), &DecisionContext::at(t(30)))
        .unwrap()
        .rejected()
        .unwrap();
    // What the policy would say without dave's veto, to forge the decision exactly.
    let mut clean = submitted(0.95);
    clean.record(Review::approve("bob", DIGEST, t(20))).unwrap();
    clean
        .record(Review::approve("carol", DIGEST, t(21)))
        .unwrap();
    let clean = clean
        .decide(&strict(), &DecisionContext::at(t(30)))
        .unwrap()
        .approved()
        .unwrap();
    let decision = serde_json::to_value(StoredModel::from(&clean)).unwrap()["events"][3].clone();
    let forged = forged(&sealed(&rejected), |json| {
        remove(json, 3);
        json["events"][3]["event"] = decision["event"].clone();
    });
    // Consistent: without a seal it restores approved. With one, refused.
    assert!(matches!(
        forged.clone().restore_unsealed(&strict()),
        Ok(AnyModel::Approved(_))
    ));
    assert!(is_seal_mismatch(restore(forged)));
}

#[test]
fn deleting_the_champion_from_a_decision_is_refused() {
    let champion = Metrics::new([("accuracy", 0.97)]).unwrap();
    let mut m = submitted(0.95);
    m.record(Review::approve("bob", DIGEST, t(20))).unwrap();
    m.record(Review::approve("carol", DIGEST, t(21))).unwrap();
    let ctx = DecisionContext::at(t(30)).with_champion(champion);
    let rejected = m.decide(&strict(), &ctx).unwrap().rejected().unwrap();
    let forged = forged(&sealed(&rejected), |json| {
        let decided = &mut json["events"][3]["event"]["decided"];
        decided.as_object_mut().unwrap().remove("champion");
    });
    assert!(is_seal_mismatch(restore(forged.clone())));
    // Without the seal the decision is decided again without the champion: the policy
    // approves, which is not the recorded rejection.
    let err = forged.restore_unsealed(&strict()).unwrap_err().into_error();
    assert!(matches!(err, RestoreError::Replay { seq: 4, .. }), "{err}");
}

#[test]
fn moving_the_decision_time_into_the_vote_window_is_refused() {
    // Two approvals 30 days before the decision: stale, so the policy rejects nothing and
    // approves nothing (pending). The attacker appends an approval decided at day 2.
    let mut m = submitted(0.95);
    m.record(Review::approve("bob", DIGEST, t(DAY))).unwrap();
    m.record(Review::approve("carol", DIGEST, t(DAY + 1)))
        .unwrap();
    let stored = sealed(&m);
    let pending = m
        .decide(&strict(), &DecisionContext::at(t(31 * DAY)))
        .unwrap();
    assert!(pending.pending().is_ok());
    let mut early = submitted(0.95);
    early
        .record(Review::approve("bob", DIGEST, t(DAY)))
        .unwrap();
    early
        .record(Review::approve("carol", DIGEST, t(DAY + 1)))
        .unwrap();
    let early = early
        .decide(&strict(), &DecisionContext::at(t(2 * DAY)))
        .unwrap()
        .approved()
        .unwrap();
    let decision = serde_json::to_value(StoredModel::from(&early)).unwrap()["events"][3].clone();
    let forged = forged(&stored, |json| insert(json, 3, decision));
    assert!(is_seal_mismatch(restore(forged)));
}

#[test]
fn editing_the_decision_record_is_refused_even_without_a_seal() {
    let stored = sealed(&deployed());
    type Edit = fn(&mut Value);
    let edits: [(&str, Edit); 3] = [
        ("policy", |d| d["policy"] = json!("all()")),
        ("verdict", |d| {
            d["verdict"]["findings"][0]["message"] = json!("looks great")
        }),
        ("verdict", |d| {
            d["verdict"]["automatic"] = json!("accuracy above 0.97")
        }),
    ];
    for (field, edit) in edits {
        // Not re-chained: the next event no longer follows it.
        let broken = edited(&stored, |json| {
            edit(&mut json["events"][3]["event"]["decided"])
        });
        assert!(matches!(
            restore(broken),
            Err(RestoreError::Chain(ChainError::Chain { seq: 5, .. }))
        ));
        // Re-chained: the seal does not match.
        let forged = forged(&stored, |json| {
            edit(&mut json["events"][3]["event"]["decided"])
        });
        assert!(is_seal_mismatch(restore(forged.clone())));
        // Not even a host that trusts its storage gets the edited record back: the decision
        // is decided again by the caller's policy, which records something else.
        let err = forged.restore_unsealed(&policy()).unwrap_err().into_error();
        let error = if field == "policy" {
            // A decision names its policy: another name is another policy, said so.
            ReplayError::OtherPolicy {
                recorded: String::from("all()"),
                policy: policy().name(),
            }
        } else {
            ReplayError::Differs { field }
        };
        assert_eq!(
            err,
            RestoreError::Replay {
                seq: 4,
                action: "approved",
                error
            }
        );
    }
}

#[test]
fn renaming_an_approved_model_is_refused() {
    let stored = sealed(&approved());
    let renamed = edited(&stored, |json| json["name"] = json!("credit-limit"));
    assert!(matches!(
        restore(renamed),
        Err(RestoreError::Chain(ChainError::Chain { seq: 1, .. }))
    ));
    let forged = forged(&stored, |json| json["name"] = json!("credit-limit"));
    assert!(is_seal_mismatch(restore(forged)));
}

#[test]
fn a_truncated_trail_is_refused() {
    let stored = sealed(&deployed());
    for keep in 0..5 {
        let cut = edited(&stored, |json| {
            json["events"].as_array_mut().unwrap().truncate(keep);
        });
        assert!(is_seal_mismatch(restore(cut)), "keeping {keep} events");
    }
    let unsealed = edited(&stored, |json| {
        json.as_object_mut().unwrap().remove("seal");
    });
    assert_eq!(restore(unsealed), Err(RestoreError::Unsealed));
}

#[test]
fn a_trail_resealed_under_an_untrusted_key_is_refused() {
    let stored = StoredModel::from(&approved());
    let theirs = stored.clone().sealed_by(&attacker_key()).unwrap();
    assert!(matches!(
        restore(theirs),
        Err(RestoreError::Seal(SealError::UnknownKey { .. }))
    ));
    // The same key id with another secret.
    let impostor = modelgate::HmacSealer::new("test-key", *b"not the secret the host holds!!!");
    let forged = stored.sealed_by(&impostor).unwrap();
    assert!(is_seal_mismatch(restore(forged)));
}

#[test]
fn reordered_and_spliced_events_are_refused() {
    let stored = sealed(&approved());
    let swapped = edited(&stored, |json| {
        let events = json["events"].as_array_mut().unwrap();
        events.swap(1, 2);
    });
    assert!(matches!(
        restore(swapped),
        Err(RestoreError::Chain(ChainError::Sequence {
            position: 2,
            found: 3
        }))
    ));
    let renumbered = edited(&stored, |json| {
        json["events"].as_array_mut().unwrap().swap(1, 2);
        renumber(json);
    });
    assert!(matches!(
        restore(renumbered),
        Err(RestoreError::Chain(ChainError::Chain { seq: 2, .. }))
    ));
    // An event taken from another model's trail.
    let other = serde_json::to_value(StoredModel::from(
        &Model::new("other", "1")
            .unwrap()
            .submit(outcome(DIGEST, 0.99), "alice", t(10))
            .unwrap(),
    ))
    .unwrap();
    let spliced = edited(&stored, |json| {
        json["events"][0] = other["events"][0].clone()
    });
    assert!(matches!(
        restore(spliced),
        Err(RestoreError::Chain(ChainError::Chain { seq: 1, .. }))
    ));
}

#[test]
fn without_a_seal_the_storage_is_trusted_and_the_name_says_so() {
    // The boundary, stated as a test: `restore_unsealed` cannot tell a consistent forgery of
    // the evidence (here, a second approval) from the real thing. Seal, or trust the storage.
    let forged = forged(&StoredModel::from(&one_approval()), |json| {
        let mut vote = json["events"][1].clone();
        vote["event"]["voted"]["review"]["reviewer"] = json!("carol");
        insert(json, 2, vote);
    });
    let AnyModel::Submitted(m) = forged.restore_unsealed(&strict()).unwrap() else {
        panic!()
    };
    assert_eq!(m.stage().votes().len(), 2);
}

// ----------------------------------------------------------------------------------------------
// Found by an independent review of format 2, kept as regressions.

fn run_pipeline() -> modelgate::Pipeline {
    let spec: modelgate::PipelineSpec = serde_json::from_value(json!({"steps": [
        {"name": "train", "type": "training"},
        {"name": "evaluate", "type": "test"},
        {"name": "check", "type": "test"},
        {"name": "approve", "type": "approval", "inputs": {"approvers": ["bob"]}}
    ]}))
    .unwrap();
    spec.validate().unwrap()
}

fn run_trail(submitter: &str, by: &str, step: &str) -> Value {
    let pipeline = run_pipeline().fingerprint().to_string();
    json!({
        "format_version": 2, "name": "m", "version": "1", "environment": {"name": "default"},
        "events": [
            {"seq": 1, "at": 0, "prev": "00".repeat(32), "event": {"run_started": {
                "pipeline": pipeline, "submitter": submitter}}},
            {"seq": 2, "at": 1, "prev": "00".repeat(32), "event": {"artifact": {
                "digest": "sha256:1", "metrics": {}, "by": by}}},
            {"seq": 3, "at": 2, "prev": "00".repeat(32), "event": {"evaluated": {
                "step": step, "metrics": {"accuracy": 0.99}, "by": by}}},
        ]
    })
}

#[test]
fn run_events_carry_only_identifiers_the_run_would_accept() {
    // A run's trail is restored with its pipeline, never as a bare model: the run's rules
    // (its submitter, who hands in, which step) are checked wherever it is restored.
    let as_model = rechain(run_trail("alice", "alice", "evaluate"))
        .sealed_by(&key())
        .unwrap()
        .restore(&key(), &policy())
        .map_err(|e| e.into_error());
    assert!(
        matches!(as_model, Err(RestoreError::Run { pipeline }) if pipeline == run_pipeline().fingerprint())
    );
    let restore = |json: Value| {
        let stored = rechain(json).sealed_by(&key()).unwrap();
        modelgate::Run::restore(stored, run_pipeline(), &key())
            .map(|r| r.status())
            .map_err(|e| e.into_error())
    };
    assert!(restore(run_trail("alice", "alice", "evaluate")).is_ok());
    for (submitter, by, step) in [
        ("al\u{202e}ecila", "alice", "evaluate"),
        ("alice", "", "evaluate"),
        ("alice", "\u{200b}bob", "evaluate"),
        ("alice", "alice", "x\n#9 bob voted"),
    ] {
        assert!(
            matches!(
                restore(run_trail(submitter, by, step)),
                Err(RestoreError::Replay { .. })
            ),
            "{submitter:?} {by:?} {step:?}"
        );
    }
    // A run cannot be recorded as finished in another way than the model stands.
    let never_deployed = forged(&StoredModel::from(&approved()), |json| {
        let mut end = json["events"][3].clone();
        end["seq"] = json!(5);
        end["event"] = json!({"run_finished": {"outcome": "deployed", "attempts": 1}});
        json["events"].as_array_mut().unwrap().push(end);
    });
    assert!(matches!(
        never_deployed
            .restore_unsealed(&policy())
            .map_err(|e| e.into_error()),
        Err(RestoreError::Replay { seq: 5, .. })
    ));
}

#[test]
fn a_sign_flipped_zero_in_the_last_event_does_not_restore() {
    // `-0.0 == 0.0`, but their bits, hashed by the chain, differ: the restored model would not
    // be the sealed one.
    let policy = MetricGate::at_least("accuracy", 0.0);
    let m = submitted(0.95)
        .decide(&policy, &DecisionContext::at(t(30)))
        .unwrap()
        .approved()
        .unwrap();
    let forged = forged(&StoredModel::from(&m), |json| {
        json["events"][1]["event"]["decided"]["verdict"]["findings"][0]["required"] =
            json!({"number": -0.0});
    })
    .sealed_by(&key())
    .unwrap();
    let err = forged.restore(&key(), &policy).unwrap_err().into_error();
    assert_eq!(
        err,
        RestoreError::Replay {
            seq: 2,
            action: "approved",
            error: ReplayError::Differs { field: "encoding" }
        }
    );
}

#[test]
fn a_seal_is_lowercase_hex_and_nothing_else() {
    let stored = sealed(&approved());
    let mut json = serde_json::to_value(&stored).unwrap();
    let value = json["seal"]["value"].as_str().unwrap().to_owned();
    json["seal"]["value"] = json!(format!("+{}", &value[1..]));
    assert!(serde_json::from_value::<StoredModel>(json).is_err());
}
