//! Attestations (issue 9): sign and verify the attestation of W1's approved model (case a),
//! each beside a bare Ed25519 sign or verify of the same payload in the same run.
//!
//! - `ed25519_sign`: `ed25519_dalek::SigningKey::sign` of the statement's JSON bytes.
//! - `sign_attestation`: `Model::attest(&signer)` then `Envelope::to_json`: the statement built
//!   from the model, DSSE's PAE, the signature, the JSON envelope with base64.
//! - `ed25519_verify`: `VerifyingKey::verify_strict` of the PAE bytes and that signature.
//! - `verify_attestation`: `attest::verify` of the envelope's JSON: parse, base64, the strict
//!   signature check over the PAE, the statement and predicate read and checked, the digest.
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "../tests/common/w1.rs"]
mod w1;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ed25519_dalek::{Signer as _, SigningKey};
use modelgate::attest::{self, Ed25519Signer, Expected};
use modelgate::{DecisionContext, Model, Review, Timestamp, TrainingOutcome, Vote};
use sha2::{Digest as _, Sha256};

fn attest_w1(c: &mut Criterion) {
    let t = Timestamp::from_unix_secs;
    let hex: String = Sha256::digest(b"w1")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let digest = format!("sha256:{hex}");
    let case = w1::case_a();
    let outcome = TrainingOutcome::new(&digest, case.outcome.metrics().clone()).unwrap();
    let mut model = Model::new("w1", "1")
        .unwrap()
        .submit(outcome, w1::SUBMITTER, t(1))
        .unwrap();
    for review in &case.votes {
        let mut vote = Review::new(review.reviewer(), Vote::Approve, &digest, t(2));
        for role in review.roles() {
            vote = vote.with_role(role);
        }
        model.record(vote).unwrap();
    }
    let ctx = DecisionContext::at(t(3)).with_champion(case.champion.clone());
    let model = model
        .decide(&w1::policy(), &ctx)
        .unwrap()
        .approved()
        .unwrap();

    let seed = [9; 32];
    let signer = Ed25519Signer::from_seed(seed);
    let bare = SigningKey::from_bytes(&seed);
    let envelope = model.attest(&signer).unwrap().to_json();
    let payload = model.attestation().unwrap().to_json().to_vec();
    let pae = attest::pae(attest::PAYLOAD_TYPE, &payload);
    let signature = bare.sign(&pae);
    let verifying = bare.verifying_key();
    let keys = [signer.public_key()];
    let expected = Expected::deploying(
        "w1",
        digest.parse().unwrap(),
        "default",
        modelgate::Timestamp::from_unix_secs(10_000),
    );
    assert!(attest::verify(envelope.as_bytes(), &keys, &expected).is_ok());

    let mut g = c.benchmark_group("attest");
    g.bench_function("ed25519_sign", |b| {
        b.iter(|| bare.sign(black_box(&payload)))
    });
    g.bench_function("sign_attestation", |b| {
        b.iter(|| black_box(&model).attest(&signer).unwrap().to_json())
    });
    g.bench_function("ed25519_verify", |b| {
        b.iter(|| verifying.verify_strict(black_box(&pae), black_box(&signature)))
    });
    g.bench_function("verify_attestation", |b| {
        b.iter(|| attest::verify(black_box(envelope.as_bytes()), &keys, &expected).unwrap())
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = attest_w1 }
criterion_main!(benches);
