//! A gate can require several trusted keys to have signed an attestation
//! (`Expected::signers`): the service's key and a release manager's, say. Distinct keys count,
//! each signature for one key: a key given twice, a signature copied under another key id, or
//! a signature by an untrusted key does not make a second signer.
#![cfg(feature = "attest")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use modelgate::attest::{self, Ed25519Signer, Envelope, Expected, Signature, VerifyError};
use modelgate::*;

mod common;

use common::{approved_by_the_gate, t};

const D: &str = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

fn key(seed: u8) -> Ed25519Signer {
    Ed25519Signer::from_seed([seed; 32]).with_key_id(format!("key-{seed}"))
}

/// The approval's envelope, signed by each of `signers`.
fn envelope(signers: &[Ed25519Signer]) -> Envelope {
    let m = approved_by_the_gate(Environment::new("production").unwrap(), "1", D, 0, 1);
    let mut e = m.attestation().unwrap().envelope();
    for s in signers {
        e.sign(s).unwrap();
    }
    e
}

fn expected(threshold: usize) -> Expected {
    Expected::deploying("churn", D.parse().unwrap(), "production", t(1)).signers(threshold)
}

fn trusted() -> Vec<attest::Ed25519PublicKey> {
    [1, 2, 3].into_iter().map(|s| key(s).public_key()).collect()
}

#[test]
fn two_of_three_trusted_keys_pass_a_threshold_of_two_not_of_three() {
    let json = envelope(&[key(1), key(3)]).to_json();
    let a = attest::verify(json.as_bytes(), &trusted(), &expected(2)).unwrap();
    assert_eq!(a.signed_by(), ["key-1", "key-3"]);
    let err = attest::verify(json.as_bytes(), &trusted(), &expected(3)).unwrap_err();
    assert!(
        matches!(&err, VerifyError::TooFewSigners { need: 3, signed_by } if signed_by.len() == 2),
        "{err}"
    );
    insta::assert_snapshot!("too_few_signers", err.to_string());
    // Without a threshold, one trusted signature is enough, as before.
    let one = envelope(&[key(2)]).to_json();
    attest::verify(one.as_bytes(), &trusted(), &expected(1)).unwrap();
    attest::verify(one.as_bytes(), &trusted(), &expected(0)).unwrap();
}

#[test]
fn one_key_given_twice_is_one_signer() {
    let json = envelope(&[key(1)]).to_json();
    let twice = [
        key(1).public_key(),
        key(1)
            .public_key()
            .with_key_id("the same key, another name"),
    ];
    let err = attest::verify(json.as_bytes(), &twice, &expected(2)).unwrap_err();
    assert!(matches!(err, VerifyError::TooFewSigners { .. }), "{err}");
}

#[test]
fn a_signature_copied_under_another_key_id_is_one_signer() {
    let mut e = envelope(&[key(1)]);
    let copy = Signature::new("key-2", e.signatures()[0].sig().to_vec());
    e.push_signature(copy);
    let json = e.to_json();
    let err = attest::verify(json.as_bytes(), &trusted(), &expected(2)).unwrap_err();
    assert!(matches!(err, VerifyError::TooFewSigners { .. }), "{err}");
}

#[test]
fn an_untrusted_keys_signature_is_no_signer() {
    let json = envelope(&[key(1), key(9)]).to_json();
    let err = attest::verify(json.as_bytes(), &trusted(), &expected(2)).unwrap_err();
    assert!(
        matches!(&err, VerifyError::TooFewSigners { signed_by, .. } if signed_by == &["key-1"]),
        "{err}"
    );
}
