//! An approval attestation carries the signed votes it rests on, so a deploy gate checks, with
//! a roster and without trusting the attestation's signer for who approved, that enough
//! distinct roster keys approved this artifact, for this model, environment and round, with the
//! roles required. The service signs attestations with a key the gate trusts: it can attest
//! anything it recorded, and still cannot attest an approval a reviewer did not sign.
#![cfg(all(feature = "attest", feature = "signed-votes"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use modelgate::attest::{self, Ed25519Signer, Expected, SignedApprovalError, VerifiedApproval};
use modelgate::policy::SignedVotes;
use modelgate::signed::{Member, ReviewerKey, Roster, RosterVersion, VoteSignature};
use modelgate::value::Environment;
use modelgate::{
    Approved, DecisionContext, Metrics, Model, PolicyExt, Quorum, RequiredRole, Review, Submitted,
    Timestamp, TrainingOutcome,
};

const ADMIN: [u8; 32] = [1; 32];
const RITA: [u8; 32] = [10; 32];
const BOB: [u8; 32] = [12; 32];
const SERVICE: [u8; 32] = [99; 32];
const DIGEST: &str = "sha256:9f2c000000000000000000000000000000000000000000000000000000000000";

fn t(s: u64) -> Timestamp {
    Timestamp::from_unix_secs(s)
}

fn roster() -> Roster {
    let mut first = RosterVersion::first(
        vec![ReviewerKey::from_seed(&ADMIN)],
        1,
        vec![
            Member::new("rita", ReviewerKey::from_seed(&RITA), t(0)).with_role("risk_officer"),
            Member::new("bob", ReviewerKey::from_seed(&BOB), t(0)).with_role("model_validator"),
        ],
    );
    first.sign(&ADMIN);
    Roster::new(vec![first])
}

fn submitted(name: &str) -> Model<Submitted> {
    let outcome = TrainingOutcome::new(DIGEST, Metrics::new([("auc", 0.91)]).unwrap()).unwrap();
    Model::new(name, "4")
        .unwrap()
        .in_environment(Environment::new("production").unwrap())
        .submit(outcome, "alice", t(10))
        .unwrap()
}

fn signed(model: &Model<Submitted>, review: Review, seed: &[u8; 32]) -> Review {
    let signature = VoteSignature::sign_ed25519(&model.vote_statement(&review), seed);
    review.with_signature(signature)
}

/// The service's key, which the gate trusts for attestations.
fn service() -> Ed25519Signer {
    Ed25519Signer::from_seed(SERVICE)
}

/// What the gate reads: the attestation checked under the service's key.
fn gate(model: &Model<Approved>) -> VerifiedApproval {
    let json = model.attest(&service()).unwrap().to_json();
    let expected = Expected::deploying(model.name(), DIGEST.parse().unwrap(), "production", t(60));
    attest::verify(json.as_bytes(), &[service().public_key()], &expected).unwrap()
}

fn approved_with(model: Model<Submitted>, policy: &dyn modelgate::Policy) -> Model<Approved> {
    model
        .decide(policy, &DecisionContext::at(t(30)))
        .unwrap()
        .approved()
        .unwrap()
}

#[test]
fn a_gate_counts_the_signed_approvals_with_the_rosters_roles() {
    let roster = roster();
    let verified = roster
        .verify_first_time(roster.versions()[0].hash())
        .unwrap();
    let mut model = submitted("churn");
    let rita = signed(
        &model,
        Review::approve("rita", DIGEST, t(20)).with_comment("ok"),
        &RITA,
    );
    model.record(rita).unwrap();
    let bob = signed(&model, Review::approve("bob", DIGEST, t(21)), &BOB);
    model.record(bob).unwrap();
    let rule = RequiredRole::new("risk_officer").and(RequiredRole::new("model_validator"));
    let approved = approved_with(model, &SignedVotes::new(verified, rule));

    let signed = gate(&approved).signed_approvals(verified);
    let ids: Vec<_> = signed.approvers().iter().map(|a| a.reviewer()).collect();
    assert_eq!(ids, ["rita", "bob"]);
    assert_eq!(signed.approvers()[0].roles(), ["risk_officer"]);
    assert!(signed.refused().is_empty());
    assert_eq!(
        signed.require(2, &["risk_officer", "model_validator"]),
        Ok(())
    );
    assert!(matches!(
        signed.require(3, &[]),
        Err(SignedApprovalError::TooFew {
            have: 2,
            need: 3,
            ..
        })
    ));
}

#[test]
fn an_approval_the_service_recorded_unsigned_is_not_counted_by_the_gate() {
    let roster = roster();
    let verified = roster
        .verify_first_time(roster.versions()[0].hash())
        .unwrap();
    // The service records rita's approval as a risk officer, unsigned, decides under a policy
    // that takes its word, and attests with the key the gate trusts.
    let mut model = submitted("churn");
    model
        .record(Review::approve("rita", DIGEST, t(20)).with_role("risk_officer"))
        .unwrap();
    let approved = approved_with(model, &RequiredRole::new("risk_officer"));
    let signed = gate(&approved).signed_approvals(verified);
    assert!(signed.approvers().is_empty());
    let err = signed.require(1, &["risk_officer"]).unwrap_err();
    insta::assert_snapshot!("unsigned_approval_at_the_gate", err);
}

#[test]
fn a_signature_moved_into_another_models_attestation_is_not_counted() {
    let roster = roster();
    let verified = roster
        .verify_first_time(roster.versions()[0].hash())
        .unwrap();
    let churn = submitted("churn");
    let signature = signed(&churn, Review::approve("rita", DIGEST, t(20)), &RITA)
        .signature()
        .unwrap()
        .clone();
    // The same artifact under another name, rita's signature copied onto its vote; the roles
    // the service claims; decided on its word, attested with the key the gate trusts.
    let mut fraud = submitted("fraud");
    let copied = Review::approve("rita", DIGEST, t(20))
        .with_role("risk_officer")
        .with_signature(signature);
    fraud.record(copied).unwrap();
    let approved = approved_with(fraud, &Quorum::new(1));
    let signed = gate(&approved).signed_approvals(verified);
    assert!(signed.approvers().is_empty());
    assert!(
        signed.refused()[0].1.contains("does not verify"),
        "{signed:?}"
    );
}

#[test]
fn one_key_counts_once_and_a_key_out_of_the_roster_not_at_all() {
    let roster = roster();
    let verified = roster
        .verify_first_time(roster.versions()[0].hash())
        .unwrap();
    let mut model = submitted("churn");
    // mallory signs with her own key; she is not in the roster.
    let mallory = signed(&model, Review::approve("mallory", DIGEST, t(20)), &SERVICE);
    model.record(mallory).unwrap();
    let rita = signed(&model, Review::approve("rita", DIGEST, t(21)), &RITA);
    model.record(rita).unwrap();
    let approved = approved_with(model, &Quorum::new(2));
    let signed = gate(&approved).signed_approvals(verified);
    assert_eq!(signed.approvers().len(), 1);
    assert!(signed.refused()[0].1.contains("not in the roster"));
    assert!(signed.require(2, &[]).is_err());
}
