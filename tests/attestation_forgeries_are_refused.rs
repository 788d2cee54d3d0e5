//! An attestation verifies only as it was signed: envelope and statement tricks against
//! `attest::verify` (a payload type swapped or relabelled, a duplicate payload key, two
//! signatures naming one key, ambiguous statements signed by another producer, look-alike
//! environments, a lapsed approval) are refused. (Refused from the start; kept as evidence of
//! what was tried.)
#![cfg(feature = "attest")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use modelgate::attest::{self, Ed25519Signer, Envelope, Expected, PAYLOAD_TYPE};
use modelgate::*;

mod common;

use common::{approved_by_the_gate, t};

const D: &str = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

fn signer() -> Ed25519Signer {
    Ed25519Signer::from_seed([5; 32])
}

fn statement_json(env: &str) -> String {
    let m = approved_by_the_gate(Environment::new(env).unwrap(), "1", D, 0, 1);
    String::from_utf8(m.attestation().unwrap().to_json().to_vec()).unwrap()
}

fn signed(payload_type: &str, payload: &str) -> String {
    let mut e = Envelope::new(payload_type, payload.as_bytes().to_vec());
    e.sign(&signer()).unwrap();
    e.to_json()
}

fn verify(
    json: &str,
    expected: &Expected,
) -> Result<attest::VerifiedApproval, attest::VerifyError> {
    attest::verify(json.as_bytes(), &[signer().public_key()], expected)
}

fn exp() -> Expected {
    exp_in("production")
}

fn exp_in(env: &str) -> Expected {
    Expected::deploying("churn", D.parse().unwrap(), env, t(1))
}

#[test]
fn an_untouched_envelope_verifies() {
    verify(
        &signed(PAYLOAD_TYPE, &statement_json("production")),
        &exp_in("production"),
    )
    .unwrap();
}

#[test]
fn a_payload_type_swapped_after_signing_is_refused() {
    let json = signed(PAYLOAD_TYPE, &statement_json("production"));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut v = v;
    v["payloadType"] = "application/vnd.in-toto+json ".into();
    assert!(verify(&v.to_string(), &exp()).is_err());
    // And a signature made over another type, relabelled as in-toto: PAE binds the type.
    let other = signed("application/json", &statement_json("production"));
    let mut v: serde_json::Value = serde_json::from_str(&other).unwrap();
    v["payloadType"] = PAYLOAD_TYPE.into();
    assert!(verify(&v.to_string(), &exp()).is_err());
}

#[test]
fn a_duplicate_payload_key_in_the_envelope_is_refused() {
    use base64::Engine as _;
    let json = signed(PAYLOAD_TYPE, &statement_json("production"));
    let evil = base64::engine::general_purpose::STANDARD.encode(statement_json("staging"));
    let dup = json.replacen("{", &format!("{{\"payload\":\"{evil}\","), 1);
    assert!(verify(&dup, &exp()).is_err());
}

#[test]
fn two_signatures_naming_one_key_are_refused() {
    let json = signed(PAYLOAD_TYPE, &statement_json("production"));
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let s = v["signatures"][0].clone();
    v["signatures"].as_array_mut().unwrap().push(s);
    assert!(verify(&v.to_string(), &exp()).is_err());
}

#[test]
fn ambiguous_statements_signed_by_another_producer_are_refused() {
    let good = statement_json("production");
    let v: serde_json::Value = serde_json::from_str(&good).unwrap();
    // Duplicate `predicate` (second spelled with a JSON escape).
    let mut staging: serde_json::Value = serde_json::from_str(&statement_json("staging")).unwrap();
    let dup = good.trim_end_matches('}').to_owned()
        + ",\"pr\\u0065dicate\":"
        + &staging["predicate"].take().to_string()
        + "}";
    assert!(verify(&signed(PAYLOAD_TYPE, &dup), &exp()).is_err());
    // Two subjects.
    let mut two = v.clone();
    let s = two["subject"][0].clone();
    two["subject"].as_array_mut().unwrap().push(s);
    assert!(verify(&signed(PAYLOAD_TYPE, &two.to_string()), &exp()).is_err());
    // Predicate v4 / v2 / v1 with a suffix.
    for pt in [
        "https://modelgate.dev/attestation/approval/v4",
        "https://modelgate.dev/attestation/approval/v2",
        "https://modelgate.dev/attestation/approval/v3/",
        "https://modelgate.dev/attestation/approval/v1",
        "https://modelgate.dev/attestation/approval/v2/",
        "https://modelgate.dev/attestation/approval/v1/",
        "https://modelgate.dev/attestation/approval/V1",
    ] {
        let mut p = v.clone();
        p["predicateType"] = pt.into();
        assert!(
            verify(&signed(PAYLOAD_TYPE, &p.to_string()), &exp()).is_err(),
            "{pt}"
        );
    }
    // Uppercase hex in the subject; the algorithm named in upper case.
    let mut up = v.clone();
    let hex = D.split_once(':').unwrap().1;
    up["subject"][0]["digest"] = serde_json::json!({"sha256": hex.to_uppercase()});
    assert!(verify(&signed(PAYLOAD_TYPE, &up.to_string()), &exp()).is_err());
    let mut alg = v.clone();
    alg["subject"][0]["digest"] = serde_json::json!({"SHA256": hex});
    assert!(verify(&signed(PAYLOAD_TYPE, &alg.to_string()), &exp()).is_err());
    // Duplicate metric inside the predicate; unknown predicate field.
    let dm = good.replacen(
        "\"metrics\":{\"accuracy\":0.95}",
        "\"metrics\":{\"accuracy\":0.95,\"accuracy\":0.1}",
        1,
    );
    assert_ne!(dm, good);
    assert!(verify(&signed(PAYLOAD_TYPE, &dm), &exp()).is_err());
    let mut unk = v.clone();
    unk["predicate"]["override"] = true.into();
    assert!(verify(&signed(PAYLOAD_TYPE, &unk.to_string()), &exp()).is_err());
    // A rejected verdict relabelled.
    let mut rej = v.clone();
    rej["predicate"]["decision"]["verdict"] = "reject".into();
    assert!(verify(&signed(PAYLOAD_TYPE, &rej.to_string()), &exp()).is_err());
}

#[test]
fn a_look_alike_or_other_case_of_the_environment_is_refused() {
    let json = signed(PAYLOAD_TYPE, &statement_json("staging"));
    for env in [
        "production",
        "Staging",
        "staging ",
        "staging\u{200b}",
        "ѕtaging",
    ] {
        assert!(verify(&json, &exp_in(env)).is_err(), "{env:?}");
    }
}

#[test]
fn an_approval_lapses_at_the_expected_time() {
    let prod = Environment::new("production")
        .unwrap()
        .with_approval_validity(Duration::from_secs(60));
    let m = approved_by_the_gate(prod, "1", D, 0, 1);
    let json = m.attest(&signer()).unwrap().to_json();
    let at = |s| Expected::deploying("churn", D.parse().unwrap(), "production", t(s));
    assert!(verify(&json, &at(61)).is_ok());
    assert!(verify(&json, &at(62)).is_err());
}
