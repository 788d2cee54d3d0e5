//! The stored form (format 2): the header and the hash-chained events, sealed. Every stage
//! round-trips through JSON, YAML and CBOR, which all verify the same; the canonical encoding is
//! pinned by test vectors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use modelgate::event::FORMAT_VERSION;
use modelgate::{
    AnyModel, DecisionContext, Head, Metrics, Model, Policy, Receipt, RestoreError, Review, Status,
    StoredModel, TrainingOutcome,
};
use serde_json::json;

fn json(stored: &StoredModel) -> String {
    serde_json::to_string_pretty(stored).unwrap()
}

/// Sealed, written as JSON, read back, restored under the test key and policy.
fn round_trip<S: modelgate::model::Stage>(model: &Model<S>) -> AnyModel {
    let text = json(&sealed(model));
    let stored: StoredModel = serde_json::from_str(&text).unwrap();
    assert_eq!(json(&stored), text, "serializing again gives the same text");
    stored.restore(&key(), &policy()).unwrap()
}

#[test]
fn every_stage_round_trips_through_json_without_loss() {
    assert_eq!(round_trip(&untrained()), AnyModel::Untrained(untrained()));
    assert_eq!(
        round_trip(&submitted(0.9)),
        AnyModel::Submitted(submitted(0.9))
    );
    assert_eq!(round_trip(&approved()), AnyModel::Approved(approved()));
    assert_eq!(round_trip(&rejected()), AnyModel::Rejected(rejected()));
    assert_eq!(
        round_trip(&retraining()),
        AnyModel::Retraining(retraining())
    );
    assert_eq!(round_trip(&deployed()), AnyModel::Deployed(deployed()));
}

#[test]
fn yaml_and_cbor_verify_the_same_as_json() {
    for stored in [sealed(&deployed()), sealed(&retraining())] {
        let yaml = serde_saphyr::to_string(&stored).unwrap();
        let from_yaml: StoredModel = serde_saphyr::from_str(&yaml).unwrap();
        let mut cbor = Vec::new();
        ciborium::into_writer(&stored, &mut cbor).unwrap();
        let from_cbor: StoredModel = ciborium::from_reader(cbor.as_slice()).unwrap();
        let head = stored.verify(&key()).unwrap();
        assert_eq!(from_yaml, stored);
        assert_eq!(from_cbor, stored);
        assert_eq!(from_yaml.verify(&key()), Ok(head));
        assert_eq!(from_cbor.verify(&key()), Ok(head));
        assert!(from_yaml.restore(&key(), &policy()).is_ok());
        assert!(from_cbor.restore(&key(), &policy()).is_ok());
    }
}

#[test]
fn a_restored_model_goes_on_where_it_stopped() {
    let mut m = submitted(0.95);
    m.record(Review::approve("bob", DIGEST, t(11))).unwrap();
    let AnyModel::Submitted(mut m) = round_trip(&m) else {
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
    insta::assert_snapshot!("untrained", json(&sealed(&untrained())));
    insta::assert_snapshot!(
        "submitted",
        json(&sealed(&{
            let mut m = submitted(0.93);
            m.record(
                Review::reject("bob", DIGEST, t(11))
                    .with_role("team_lead")
                    .with_comment("check drift"),
            )
            .unwrap();
            m
        }))
    );
    insta::assert_snapshot!("approved", json(&sealed(&approved())));
    insta::assert_snapshot!("rejected", json(&sealed(&rejected())));
    insta::assert_snapshot!("retraining", json(&sealed(&retraining())));
    insta::assert_snapshot!("deployed", json(&sealed(&deployed())));
}

#[test]
fn unknown_fields_duplicate_keys_and_bad_hashes_are_refused_when_reading() {
    let base = serde_json::to_value(sealed(&approved())).unwrap();
    let refused = |edit: fn(&mut serde_json::Value)| {
        let mut v = base.clone();
        edit(&mut v);
        serde_json::from_value::<StoredModel>(v)
            .unwrap_err()
            .to_string()
    };
    assert!(refused(|v| v["stage"] = json!("approved")).contains("unknown field `stage`"));
    assert!(refused(|v| v["events"][0]["extra"] = json!(1)).contains("unknown field `extra`"));
    assert!(refused(|v| v["events"][0]["prev"] = json!("abc")).contains("64 lowercase hex"));
    let upper = base["events"][0]["prev"].as_str().unwrap().to_uppercase();
    let mut v = base.clone();
    v["events"][0]["prev"] = json!(upper);
    assert!(
        serde_json::from_value::<StoredModel>(v).is_err(),
        "one text per hash"
    );
    assert!(refused(|v| v["seal"]["value"] = json!("xyz")).contains("hex"));

    let text = json(&sealed(&approved()));
    let twice = text.replacen("\"name\":", "\"name\": \"other\",\n  \"name\":", 1);
    assert!(
        serde_json::from_str::<StoredModel>(&twice)
            .unwrap_err()
            .to_string()
            .contains("duplicate field `name`")
    );
    let metric_twice = text.replacen(
        "\"accuracy\":",
        "\"accuracy\": 0.99,\n          \"accuracy\":",
        1,
    );
    assert!(
        serde_json::from_str::<StoredModel>(&metric_twice)
            .unwrap_err()
            .to_string()
            .contains("duplicate metric `accuracy`")
    );
}

#[test]
fn another_format_version_is_refused() {
    let stored = edited(&sealed(&submitted(0.9)), |v| v["format_version"] = json!(1));
    assert_eq!(restore_error(stored), RestoreError::Format { found: 1 });
    assert_eq!(FORMAT_VERSION, 2);
}

#[test]
fn the_head_is_the_hash_of_the_last_event_and_the_stored_form_agrees() {
    let model = deployed();
    let stored = StoredModel::from(&model);
    assert_eq!(stored.head(), model.head());
    assert_eq!(model.head(), model.history().last().unwrap().hash());
    assert_eq!(
        untrained().head(),
        Head::of_header("fraud-detector", "2026.11")
    );
    assert_eq!(stored.verify(&key()), Err(RestoreError::Unsealed));
    assert_eq!(sealed(&model).verify(&key()), Ok(model.head()));
}

/// The published test vectors (README, "The stored form"): a header and three events, their
/// canonical bytes' SHA-256. Any change to the canonical encoding breaks every stored chain, so
/// these must never change within format 2.
#[test]
fn canonical_encoding_test_vectors() {
    let t = modelgate::Timestamp::from_unix_secs;
    let model = Model::new("churn", "1").unwrap();
    assert_eq!(
        model.head().to_string(),
        "15449a3e15c47eed9f813ab35b3d04b4c73bfeb17885994df00db1e2a312a97d"
    );
    let outcome =
        TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.93)]).unwrap()).unwrap();
    let mut model = model.submit(outcome, "alice", t(10)).unwrap();
    assert_eq!(
        model.head().to_string(),
        "65fbdfef564e8767d1c6535046030f2f7e882aa366819c385277967f9eb1b962"
    );
    model
        .record(Review::approve("bob", "sha256:1", t(11)).with_role("team_lead"))
        .unwrap();
    assert_eq!(
        model.head().to_string(),
        "9787ea354e104405fb38dc0d92e24e7e4409cac1a609502ab89f688704816238"
    );
    let gate = modelgate::MetricGate::at_least("accuracy", 0.9);
    let model = model
        .decide(&gate, &DecisionContext::at(t(12)))
        .unwrap()
        .approved()
        .unwrap();
    assert_eq!(gate.name(), "accuracy at least 0.9");
    assert_eq!(
        model.head().to_string(),
        "a01ccd9df968ece1325eb3056b2a85e47696943218b57036663df83afcbc4761"
    );
    let model = model
        .mark_deployed(Receipt::new("prod/churn@1"), "deployer", t(13))
        .unwrap();
    assert_eq!(
        model.head().to_string(),
        "d8fa61bd191b78cefeb36733a9da6f25f4a6d174ff2535afbc18561c58c6d50d"
    );
}

/// Found by the round-trip property: serde_json without its `float_roundtrip` feature reads
/// 0.23688813612918022 back as 0.23688813612918025, which would break the chain. The
/// dev-dependency enables the feature; hosts using serde_json should too.
#[test]
fn metric_values_round_trip_bit_exact() {
    let m = untrained()
        .submit(outcome(DIGEST, 0.236_888_136_129_180_22), "alice", t(1))
        .unwrap();
    let AnyModel::Submitted(back) = round_trip(&m) else {
        panic!()
    };
    let value = back.stage().submission().metrics().get("accuracy").unwrap();
    assert_eq!(value.to_bits(), 0.236_888_136_129_180_22f64.to_bits());
}

#[test]
fn an_ed25519_sealed_record_restores_with_the_public_key_alone() {
    let sealer = modelgate::Ed25519Sealer::from_seed("release-2026", [7; 32]);
    let verifier =
        modelgate::Ed25519Verifier::from_public_key("release-2026", sealer.public_key()).unwrap();
    let stored = StoredModel::from(&deployed()).sealed_by(&sealer).unwrap();
    assert_eq!(stored.seal().unwrap().value().len(), 64);
    assert!(stored.clone().restore(&verifier, &policy()).is_ok());
    // Key rotation: a list of verifiers trusts every key in it.
    let keys: Vec<Box<dyn modelgate::SealVerifier>> = vec![Box::new(key()), Box::new(verifier)];
    assert!(stored.clone().restore(&keys, &policy()).is_ok());
    // An HMAC key of the same id does not verify an Ed25519 seal: a seal cannot pick its
    // algorithm.
    let hmac = modelgate::HmacSealer::new("release-2026", *b"0123456789abcdef0123456789abcdef");
    assert!(matches!(
        stored.restore(&hmac, &policy()).map_err(|e| e.into_error()),
        Err(RestoreError::Seal(
            modelgate::trail::SealError::Mismatch { .. }
        ))
    ));
}
