//! At the deploy gate one person counts once and one key signs once: a reviewer who signed with
//! two keys the roster gives them (an overlap while a key rotates) is one approver, and one
//! envelope key named twice in the gate's trust list, with its signature copied under two key
//! ids, is one signer. Hostile `sshsig` blobs are errors, never panics. (Found by an
//! independent attacker; the attestation is re-signed by a compromised service.)
#![cfg(all(feature = "attest", feature = "signed-votes"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use modelgate::attest::{self, Ed25519Signer, Envelope, Expected, PAYLOAD_TYPE, VerifiedApproval};
use modelgate::policy::SignedVotes;
use modelgate::signed::{Member, ReviewerKey, Roster, RosterVersion, VoteSignature};
use modelgate::value::Environment;
use modelgate::{
    Approved, DecisionContext, Metrics, Model, Quorum, Review, Submitted, Timestamp,
    TrainingOutcome,
};
use serde_json::{Value, json};

const ADMIN: [u8; 32] = [1; 32];
const RITA_OLD: [u8; 32] = [10; 32];
const RITA_NEW: [u8; 32] = [11; 32];
const BOB: [u8; 32] = [12; 32];
const SERVICE: [u8; 32] = [99; 32];
const DIGEST: &str = "sha256:9f2c000000000000000000000000000000000000000000000000000000000000";

fn t(s: u64) -> Timestamp {
    Timestamp::from_unix_secs(s)
}

fn service() -> Ed25519Signer {
    Ed25519Signer::from_seed(SERVICE)
}

fn submitted() -> Model<Submitted> {
    let outcome = TrainingOutcome::new(DIGEST, Metrics::new([("auc", 0.91)]).unwrap()).unwrap();
    Model::new("churn", "4")
        .unwrap()
        .in_environment(Environment::new("production").unwrap())
        .submit(outcome, "alice", t(10))
        .unwrap()
}

fn signed(model: &Model<Submitted>, review: Review, seed: &[u8; 32]) -> Review {
    let signature = VoteSignature::sign_ed25519(&model.vote_statement(&review), seed);
    review.with_signature(signature)
}

fn sig_json(model: &Model<Submitted>, review: &Review, seed: &[u8; 32]) -> Value {
    let signature = VoteSignature::sign_ed25519(&model.vote_statement(review), seed);
    serde_json::to_value(&signature).unwrap()
}

/// The predicate of an envelope, as JSON.
fn statement_of(envelope: &str) -> Value {
    let env = Envelope::from_json(envelope.as_bytes()).unwrap();
    serde_json::from_slice(env.payload()).unwrap()
}

/// The compromised service re-signs an edited statement with its own key.
fn resign(statement: &Value) -> String {
    let mut env = Envelope::new(PAYLOAD_TYPE, serde_json::to_vec(statement).unwrap());
    env.sign(&service()).unwrap();
    env.to_json()
}

fn gate_read(envelope: &str, at: u64) -> VerifiedApproval {
    let expected = Expected::deploying("churn", DIGEST.parse().unwrap(), "production", t(at));
    attest::verify(envelope.as_bytes(), &[service().public_key()], &expected).unwrap()
}

fn approve(model: Model<Submitted>, policy: &dyn modelgate::Policy, at: u64) -> Model<Approved> {
    model
        .decide(policy, &DecisionContext::at(t(at)))
        .unwrap()
        .approved()
        .unwrap()
}

/// Rita rotates her key: the new one is valid from 15, the old one until 40 (an overlap while
/// she moves laptops, signed by the admin). Bob has one key.
fn rotating_roster() -> Roster {
    let mut first = RosterVersion::first(
        vec![ReviewerKey::from_seed(&ADMIN)],
        1,
        vec![
            Member::new("rita", ReviewerKey::from_seed(&RITA_OLD), t(0))
                .with_role("risk_officer")
                .until(t(40)),
            Member::new("rita", ReviewerKey::from_seed(&RITA_NEW), t(15)).with_role("risk_officer"),
            Member::new("bob", ReviewerKey::from_seed(&BOB), t(0)).with_role("model_validator"),
        ],
    );
    first.sign(&ADMIN);
    Roster::new(vec![first])
}

/// One person never looks like two. Rita signed an approval with each of her two
/// valid keys (a re-sign after moving laptops, or on purpose); the service puts both in the
/// attestation. She counts once toward a two-person rule.
#[test]
fn one_reviewer_with_two_overlapping_keys_counts_once() {
    let roster = rotating_roster();
    let verified = roster
        .verify_first_time(roster.versions()[0].hash())
        .unwrap();
    let mut model = submitted();
    let first = Review::approve("rita", DIGEST, t(20));
    let second = Review::approve("rita", DIGEST, t(22));
    let second_sig = sig_json(&model, &second, &RITA_NEW);
    model.record(signed(&model, first, &RITA_OLD)).unwrap();
    let approved = approve(model, &SignedVotes::new(verified, Quorum::new(1)), 30);

    // Honest attestation: one approval. The service adds rita's second signed approval.
    let mut statement = statement_of(&approved.attest(&service()).unwrap().to_json());
    let approvals = statement["predicate"]["approval"]["reviewed"]["approvals"]
        .as_array_mut()
        .unwrap();
    assert_eq!(approvals.len(), 1);
    approvals.push(json!({
        "reviewer": "rita", "roles": [], "at": "1970-01-01T00:00:22Z", "signature": second_sig,
    }));
    let forged = resign(&statement);
    let signed = gate_read(&forged, 60).signed_approvals(verified);
    assert!(
        signed.require(2, &[]).is_err(),
        "one person counted as two: {:?}",
        signed.approvers()
    );
}

/// The submitter does not approve their own model, at the gate as in every policy: rita
/// submitted it and signed an approval with her roster key. The honest attestation leaves it
/// out (the policy did not count it); put back by the service, it still does not count.
#[test]
fn the_submitters_own_signed_approval_does_not_count() {
    let roster = rotating_roster();
    let verified = roster
        .verify_first_time(roster.versions()[0].hash())
        .unwrap();
    let outcome = TrainingOutcome::new(DIGEST, Metrics::new([("auc", 0.91)]).unwrap()).unwrap();
    let mut model = Model::new("churn", "4")
        .unwrap()
        .in_environment(Environment::new("production").unwrap())
        .submit(outcome, "rita", t(10))
        .unwrap();
    let own = Review::approve("rita", DIGEST, t(20));
    let own_sig = sig_json(&model, &own, &RITA_NEW);
    let bob = Review::approve("bob", DIGEST, t(21));
    model.record(signed(&model, own, &RITA_NEW)).unwrap();
    model.record(signed(&model, bob, &BOB)).unwrap();
    let approved = approve(model, &Quorum::new(1), 30);
    let honest = approved.attest(&service()).unwrap().to_json();
    let honest_read = gate_read(&honest, 60).signed_approvals(verified);
    let counted: Vec<&str> = honest_read
        .approvers()
        .iter()
        .map(|a| a.reviewer())
        .collect();
    assert_eq!(counted, ["bob"]);
    let mut statement = statement_of(&honest);
    let approvals = statement["predicate"]["approval"]["reviewed"]["approvals"]
        .as_array_mut()
        .unwrap();
    approvals.push(json!({
        "reviewer": "rita", "roles": [], "at": "1970-01-01T00:00:20Z", "signature": own_sig,
    }));
    let signed = gate_read(&resign(&statement), 60).signed_approvals(verified);
    let counted: Vec<&str> = signed.approvers().iter().map(|a| a.reviewer()).collect();
    assert_eq!(counted, ["bob"]);
    assert!(signed.require(2, &[]).is_err());
    insta::assert_snapshot!(format!("{:?}", signed.refused()));
}

/// One key counts once. The gate's trusted keys name one key under two ids (two
/// config entries for one KMS key, or a key id and its fingerprint); the service's one key
/// signs once and the signature is carried twice under two key ids.
#[test]
fn one_envelope_key_under_two_ids_with_a_copied_signature_is_one_signer() {
    let model = approve(submitted(), &Quorum::new(0), 30);
    let honest = model.attest(&service()).unwrap();
    let sig = honest.signatures()[0].sig().to_vec();
    let mut env = Envelope::new(PAYLOAD_TYPE, honest.payload().to_vec());
    env.push_signature(attest::Signature::new("a", sig.clone()));
    env.push_signature(attest::Signature::new("b", sig));
    let keys = [
        service().public_key().with_key_id("release"),
        service().public_key().with_key_id("release-fingerprint"),
    ];
    let expected =
        Expected::deploying("churn", DIGEST.parse().unwrap(), "production", t(60)).signers(2);
    let result = attest::verify(env.to_json().as_bytes(), &keys, &expected);
    assert!(
        result.is_err(),
        "one key counted as two signers: {:?}",
        result.map(|a| a.signed_by().to_vec())
    );
}

/// One key counts once, whatever signatures it makes. The gate's trusted keys name one key
/// under two ids, and its holder signs twice with two nonces: two different valid signatures,
/// neither a copy of the other. One signer, not two.
#[test]
fn one_envelope_key_under_two_ids_with_two_signatures_is_one_signer() {
    use ed25519_dalek::hazmat::{ExpandedSecretKey, raw_sign};
    let model = approve(submitted(), &Quorum::new(0), 30);
    let mut env = model.attest(&service().with_key_id("release")).unwrap();
    let mut expanded = ExpandedSecretKey::from(&SERVICE);
    expanded.hash_prefix = [0x42; 32];
    let verifying = ed25519_dalek::SigningKey::from_bytes(&SERVICE).verifying_key();
    let second = raw_sign::<sha2::Sha512>(&expanded, &env.pae(), &verifying).to_bytes();
    assert_ne!(
        second.as_slice(),
        env.signatures()[0].sig(),
        "another signature"
    );
    env.push_signature(attest::Signature::new("release-backup", second.to_vec()));
    let keys = [
        service().public_key().with_key_id("release"),
        service().public_key().with_key_id("release-backup"),
    ];
    let expected = Expected::deploying("churn", DIGEST.parse().unwrap(), "production", t(60));
    let result = attest::verify(
        env.to_json().as_bytes(),
        &keys,
        &expected.clone().signers(2),
    );
    assert!(
        result.is_err(),
        "one key counted as two signers: {:?}",
        result.map(|a| a.signed_by().to_vec())
    );
    // Each signature alone verifies: the key is trusted, it counts once.
    let one = attest::verify(env.to_json().as_bytes(), &keys, &expected.signers(1)).unwrap();
    assert_eq!(one.signed_by(), ["release"]);
}

fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn ssh_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&u32::try_from(bytes.len()).unwrap().to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Malformed sshsig blobs are errors, never panics.
#[test]
fn malformed_sshsig_blobs_are_errors_not_panics() {
    let key = ReviewerKey::from_seed(&RITA_OLD);
    let mut pk = Vec::new();
    ssh_string(&mut pk, b"ssh-ed25519");
    ssh_string(&mut pk, key.as_bytes());
    let mut blobs: Vec<Vec<u8>> = Vec::new();
    for (version, ns, hash, sig_len, key_len_override) in [
        (1u32, "modelgate-vote", "sha512", 64usize, None),
        (1, "modelgate-vote", "sha512", 63, None),
        (1, "modelgate-vote", "sha512", 65, None),
        (1, "modelgate-vote", "sha1", 64, None),
        (2, "modelgate-vote", "sha512", 64, None),
        (1, "", "", 0, None),
        (1, "modelgate-vote", "sha512", 64, Some(u32::MAX)),
    ] {
        let mut blob = b"SSHSIG".to_vec();
        blob.extend_from_slice(&version.to_be_bytes());
        match key_len_override {
            Some(len) => blob.extend_from_slice(&len.to_be_bytes()),
            None => ssh_string(&mut blob, &pk),
        }
        ssh_string(&mut blob, ns.as_bytes());
        ssh_string(&mut blob, b"");
        ssh_string(&mut blob, hash.as_bytes());
        let mut sig = Vec::new();
        ssh_string(&mut sig, b"ssh-ed25519");
        ssh_string(&mut sig, &vec![0u8; sig_len]);
        ssh_string(&mut blob, &sig);
        blobs.push(blob);
    }
    blobs.push(b"SSHSIG".to_vec());
    blobs.push(b"SSHSIG\0\0\0\x01\xff\xff\xff\xff".to_vec());
    let model = submitted();
    let statement = model.vote_statement(&Review::approve("rita", DIGEST, t(20)));
    for blob in blobs {
        let armored = format!(
            "-----BEGIN SSH SIGNATURE-----\n{}\n-----END SSH SIGNATURE-----\n",
            b64(&blob)
        );
        let sig = VoteSignature::sshsig(armored).unwrap();
        assert!(sig.verify(&statement, &key).is_err());
        let _ = sig.signer();
    }
}
