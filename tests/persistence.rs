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
use modelgate::PolicyExt as _;
use modelgate::event::FORMAT_VERSION;
use modelgate::value::VoteSignature;
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
        Head::of_header("fraud-detector", "2026.11", &Default::default())
    );
    assert_eq!(stored.verify(&key()), Err(RestoreError::Unsealed));
    assert_eq!(sealed(&model).verify(&key()), Ok(model.head()));
}

/// Bob's Ed25519 signature (the key of seed `[7; 32]`) over his vote in the test vectors.
const SIGNED_VOTE: &str =
    "sEDZNayjam3oBLklPfaIjpKIm8S6YyPqsbrnoftFGAhEN89JSlD+ZDq6fIuD14VSR4jKFq0mOxQ/jEchLPzuBA==";

/// The signature in the test vectors is bob's over his vote statement for that round.
#[cfg(feature = "signed-votes")]
#[test]
fn the_signed_vote_in_the_test_vectors_verifies() {
    use modelgate::signed::ReviewerKey;
    let t = modelgate::Timestamp::from_unix_secs;
    let outcome =
        TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.93)]).unwrap()).unwrap();
    let model = Model::new("churn", "1")
        .unwrap()
        .submit(outcome, "alice", t(10))
        .unwrap();
    let review = Review::approve("bob", "sha256:1", t(11)).with_role("team_lead");
    let statement = model.vote_statement(&review);
    let signature = VoteSignature::ed25519(SIGNED_VOTE.to_owned()).unwrap();
    assert_eq!(
        signature.verify(&statement, &ReviewerKey::from_seed(&[7; 32])),
        Ok(())
    );
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
        "981417280d9994bb8c81f47b80febb765619c5e9bcadc37164b90055763325ea"
    );
    let outcome =
        TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.93)]).unwrap()).unwrap();
    let mut model = model.submit(outcome, "alice", t(10)).unwrap();
    assert_eq!(
        model.head().to_string(),
        "5c35c91b897459c19ecc9fae0e554bffbcd767c79f300a03f12b4cb0296c0640"
    );
    model
        .record(Review::approve("bob", "sha256:1", t(11)).with_role("team_lead"))
        .unwrap();
    assert_eq!(
        model.head().to_string(),
        "fd5aac31160f63d3457142d0a17300a37a4b3e24bc66fc9773f3fd50b242c67a"
    );
    // The same vote signed by bob (tag 18), the signature as he gave it.
    let voted = model.history().last().unwrap().clone();
    let signed = Review::approve("bob", "sha256:1", t(11))
        .with_role("team_lead")
        .with_signature(VoteSignature::ed25519(SIGNED_VOTE.to_owned()).unwrap());
    let signed = modelgate::Event::from_parts(
        voted.seq(),
        voted.at(),
        *voted.prev(),
        modelgate::EventKind::Voted { review: signed },
    );
    assert_eq!(
        modelgate::Head::of_event(&signed).to_string(),
        "8f3b8f39f8393a3fa6dbd6a7bc2c67ba88ec5d28cc5dddc9e194387d8255fd33"
    );
    let gate = modelgate::MetricGate::at_least("accuracy", 0.9);
    let model = model
        .decide(&gate, &DecisionContext::at(t(12)))
        .unwrap()
        .approved()
        .unwrap();
    assert_eq!(gate.name(), "accuracy at least 0.9");
    // The policy's fingerprint, by the grammar in `policy/fingerprint.rs`: SHA-256 of
    // text "modelgate.policy", u8 4 (gate), text "accuracy", u8 0 (at_least), f64 0.9, u8 0
    // (no range) — computed by hand (Python's hashlib and struct) when this vector was made.
    assert_eq!(
        gate.fingerprint().to_string(),
        "b30f8d5b3d97a22971ea02ae29d90e9ade5932616d163e8e900d8326ec1b3385"
    );
    assert_eq!(
        model.stage().decision().policy_fingerprint(),
        Some(gate.fingerprint())
    );
    assert_eq!(
        model.head().to_string(),
        "62fce44d8ab42084e63033c8c4959c0f9b83d1f6283aec70887f59af9211e594"
    );
    // The same decision as recorded before policies had fingerprints (tag 3).
    let recorded = model.history().last().unwrap().clone();
    let modelgate::EventKind::Decided {
        policy,
        champion,
        verdict,
        ..
    } = recorded.kind().clone()
    else {
        panic!("a decision");
    };
    let legacy = modelgate::EventKind::Decided {
        policy,
        fingerprint: None,
        champion,
        verdict,
    };
    let legacy =
        modelgate::Event::from_parts(recorded.seq(), recorded.at(), *recorded.prev(), legacy);
    assert_eq!(
        modelgate::Head::of_event(&legacy).to_string(),
        "878042e23f9a18e1563178d65e42218f1129a51da59266b67d13bb69527b471b"
    );
    let model = model
        .mark_deployed(Receipt::new("prod/churn@1"), "deployer", t(13))
        .unwrap();
    assert_eq!(
        model.head().to_string(),
        "f4d7c0aafa7b31967c75b9e857b948c613bf8f9063725897dc7f08b202bd4ebc"
    );

    // The same version promoted to `production` (approvals valid 30 days), with the evidence
    // of the deployment above; approved, then revoked.
    let production = modelgate::value::Environment::new("production")
        .unwrap()
        .with_approval_validity(std::time::Duration::from_secs(30 * 86_400));
    let target = Model::new("churn", "1").unwrap().in_environment(production);
    assert_eq!(
        target.head().to_string(),
        "5338404dc7f929a57934ffc098e43ea6b7fbc7df89837d1137ff331ba4934d6c"
    );
    let online = Metrics::new([("error_rate", 0.01)]).unwrap();
    let promoted = model.promote(target, online, "alice", t(200)).unwrap();
    assert_eq!(
        promoted.head().to_string(),
        "b47a0ce01f4e31247d7ca5771626add2deb8d653cd04d9099ef10d6084b686f1"
    );
    let approved = promoted
        .decide(&gate, &DecisionContext::at(t(201)))
        .unwrap()
        .approved()
        .unwrap();
    assert_eq!(
        approved.head().to_string(),
        "cbf03455fbb8259e4b8fa8d2dbf485bec8bc888180bf06a55008672983200ddc"
    );
    let revoked = approved.revoke("drift found", "carol", t(202)).unwrap();
    assert_eq!(
        revoked.head().to_string(),
        "5de4dcd60966778f20df005068ae1a68ab39f1e7593726753c535d869a1517d0"
    );

    // The first deployment retired (not for cause).
    let retired = model.retire("replaced", false, "ops", t(300)).unwrap();
    assert_eq!(
        retired.head().to_string(),
        "832d3ed11845dc768e12e8aa63d4ebafcd830f726ec46a785ccf5d28055bb4a4"
    );

    // The index of a registry of both, as a stored registry seals it.
    let index = modelgate::Head::of_registry(
        "churn",
        &[
            ("default", "1", retired.head()),
            ("production", "1", revoked.head()),
        ],
    );
    assert_eq!(
        index.to_string(),
        "e91d130c022111cdb47a1053baab2f653aacd02cbac40e0ab7d4079942ef03c6"
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

#[cfg(feature = "ed25519")]
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
