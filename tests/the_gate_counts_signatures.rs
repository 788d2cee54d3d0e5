//! The gate counts signatures, not the service's word: under `SignedVotes`, a vote counts only
//! when a roster key of its reviewer signed it for this model, version, environment and round,
//! and it counts with the roster's roles. The service that records votes holds the sealing key
//! and writes the trail: it can add, edit and re-seal anything, and still cannot make a vote
//! count that the reviewer did not sign.
#![cfg(feature = "signed-votes")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{key, sealed, t};
use modelgate::policy::SignedVotes;
use modelgate::signed::{Member, ReviewerKey, Roster, RosterVersion, VoteSignature};
use modelgate::value::Environment;
use modelgate::{
    Decided, DecisionContext, Metrics, Model, Quorum, RequiredRole, Review, StoredModel, Submitted,
    TrainingOutcome, Verdict, VerdictKind,
};

const ADMIN: [u8; 32] = [1; 32];
const RITA: [u8; 32] = [10; 32];
const BOB: [u8; 32] = [12; 32];
const SERVICE: [u8; 32] = [99; 32];
const DIGEST: &str = "sha256:9f2c";

fn roster_key(seed: &[u8; 32]) -> ReviewerKey {
    ReviewerKey::from_seed(seed)
}

/// rita (risk officer; her key ends at `rita_until` if given) and bob (validator), signed by
/// the one admin.
fn roster(rita_until: Option<u64>) -> Roster {
    let mut rita = Member::new("rita", roster_key(&RITA), t(0)).with_role("risk_officer");
    if let Some(until) = rita_until {
        rita = rita.until(t(until));
    }
    let mut first = RosterVersion::first(
        vec![roster_key(&ADMIN)],
        1,
        vec![
            rita,
            Member::new("bob", roster_key(&BOB), t(0)).with_role("model_validator"),
        ],
    );
    first.sign(&ADMIN);
    Roster::new(vec![first])
}

/// A risk officer's approval, counted from signatures by `roster`.
fn policy(roster: &Roster) -> SignedVotes<RequiredRole> {
    let pinned = roster.versions()[0].hash();
    SignedVotes::new(
        roster.verify_first_time(pinned).unwrap(),
        RequiredRole::new("risk_officer"),
    )
}

fn submitted_in(name: &str, environment: &str) -> Model<Submitted> {
    let outcome = TrainingOutcome::new(DIGEST, Metrics::new([("auc", 0.91)]).unwrap()).unwrap();
    Model::new(name, "4")
        .unwrap()
        .in_environment(Environment::new(environment).unwrap())
        .submit(outcome, "alice", t(10))
        .unwrap()
}

fn submitted() -> Model<Submitted> {
    submitted_in("churn", "production")
}

/// `review` signed with `seed` for `model`'s current round.
fn signed_for(model: &Model<Submitted>, review: Review, seed: &[u8; 32]) -> Review {
    let signature = VoteSignature::sign_ed25519(&model.vote_statement(&review), seed);
    review.with_signature(signature)
}

fn verdict_at<P: modelgate::Policy>(model: Model<Submitted>, policy: &P, at: u64) -> Verdict {
    match model.decide(policy, &DecisionContext::at(t(at))).unwrap() {
        Decided::Approved(m) => m.stage().decision().verdict().clone(),
        Decided::Rejected(m) => m.stage().decision().verdict().clone(),
        Decided::Pending(_, verdict) => verdict,
    }
}

/// The message of the `signed_votes` finding about `reviewer`.
fn why_not_counted(verdict: &Verdict, reviewer: &str) -> String {
    verdict
        .findings()
        .iter()
        .find(|f| f.rule() == "signed_votes" && f.subject() == reviewer)
        .map(|f| f.message().into_owned())
        .unwrap_or_else(|| panic!("no signed_votes finding about {reviewer}: {verdict:?}"))
}

#[test]
fn a_signed_vote_counts_with_the_rosters_roles_not_the_services() {
    let roster = roster(None);
    // Signed by rita, recorded with no role: the roster's risk_officer counts.
    let mut model = submitted();
    let review = signed_for(&model, Review::approve("rita", DIGEST, t(20)), &RITA);
    model.record(review).unwrap();
    assert_eq!(
        verdict_at(model, &policy(&roster), 30).kind(),
        VerdictKind::Approve
    );

    // Bob signs, and the service records him as a risk officer: his roster role is
    // model_validator, so no risk officer approved.
    let mut model = submitted();
    let review = Review::approve("bob", DIGEST, t(20)).with_role("risk_officer");
    let review = signed_for(&model, review, &BOB);
    model.record(review).unwrap();
    assert_eq!(
        verdict_at(model, &policy(&roster), 30).kind(),
        VerdictKind::Pending
    );
}

#[test]
fn an_unsigned_vote_does_not_count_and_a_finding_says_so() {
    let roster = roster(None);
    let mut model = submitted();
    model
        .record(Review::approve("rita", DIGEST, t(20)).with_role("risk_officer"))
        .unwrap();
    let verdict = verdict_at(model, &policy(&roster), 30);
    assert_eq!(verdict.kind(), VerdictKind::Pending);
    insta::assert_snapshot!("unsigned_vote", why_not_counted(&verdict, "rita"));
}

#[test]
fn a_vote_signed_by_another_key_does_not_count() {
    let roster = roster(None);
    // The service signs rita's approval with its own key; then with bob's (a key in the
    // roster, of someone else).
    for seed in [SERVICE, BOB] {
        let mut model = submitted();
        let review = signed_for(&model, Review::approve("rita", DIGEST, t(20)), &seed);
        model.record(review).unwrap();
        let verdict = verdict_at(model, &policy(&roster), 30);
        assert_eq!(verdict.kind(), VerdictKind::Pending);
        assert!(why_not_counted(&verdict, "rita").contains("does not verify"));
    }
    // Someone the roster does not know, signing with their own key.
    let mut model = submitted();
    let review = Review::approve("mallory", DIGEST, t(20)).with_role("risk_officer");
    let review = signed_for(&model, review, &SERVICE);
    model.record(review).unwrap();
    let verdict = verdict_at(model, &policy(&roster), 30);
    assert_eq!(verdict.kind(), VerdictKind::Pending);
    insta::assert_snapshot!("not_in_roster", why_not_counted(&verdict, "mallory"));
}

#[test]
fn a_vote_replayed_into_another_model_environment_or_round_does_not_count() {
    let roster = roster(None);
    let signed_in = submitted();
    let review = signed_for(&signed_in, Review::approve("rita", DIGEST, t(20)), &RITA);
    // The same artifact, in another model, another environment.
    for mut model in [
        submitted_in("fraud", "production"),
        submitted_in("churn", "staging"),
    ] {
        model.record(review.clone()).unwrap();
        let verdict = verdict_at(model, &policy(&roster), 30);
        assert_eq!(verdict.kind(), VerdictKind::Pending);
        assert!(why_not_counted(&verdict, "rita").contains("does not verify"));
    }
    // The same model in a later round: approved, reopened, the old signature recorded again.
    let mut model = submitted();
    model.record(review.clone()).unwrap();
    let Decided::Approved(approved) = model
        .decide(&policy(&roster), &DecisionContext::at(t(30)))
        .unwrap()
    else {
        panic!("rita's signed approval counts in its own round");
    };
    let mut reopened = approved.reopen("ops", t(40)).unwrap();
    let again = Review::approve("rita", DIGEST, t(41));
    let old = review.signature().unwrap().clone();
    reopened.record(again.with_signature(old)).unwrap();
    let verdict = verdict_at(reopened, &policy(&roster), 50);
    assert_eq!(verdict.kind(), VerdictKind::Pending);
}

#[test]
fn a_vote_changed_after_signing_does_not_count() {
    let roster = roster(None);
    let model = submitted();
    let signed = signed_for(&model, Review::reject("rita", DIGEST, t(20)), &RITA);
    let signature = signed.signature().unwrap().clone();
    // The service turns rita's signed rejection into an approval, keeping her signature.
    let mut model = model;
    let approve = Review::approve("rita", DIGEST, t(20)).with_signature(signature);
    model.record(approve).unwrap();
    assert_eq!(
        verdict_at(model, &policy(&roster), 30).kind(),
        VerdictKind::Pending
    );
}

#[test]
fn a_revoked_keys_vote_counts_before_its_end_and_not_after() {
    let roster = roster(Some(25));
    let vote = |model: &mut Model<Submitted>| {
        let review = signed_for(model, Review::approve("rita", DIGEST, t(20)), &RITA);
        model.record(review).unwrap();
    };
    let mut model = submitted();
    vote(&mut model);
    assert_eq!(
        verdict_at(model, &policy(&roster), 24).kind(),
        VerdictKind::Approve
    );
    // Decided after the key's end: the vote, cast before, is not counted by a key that has
    // ended (the reviewer signs again with their new key).
    let mut model = submitted();
    vote(&mut model);
    let verdict = verdict_at(model, &policy(&roster), 30);
    assert_eq!(verdict.kind(), VerdictKind::Pending);
    insta::assert_snapshot!("key_ended", why_not_counted(&verdict, "rita"));
}

#[test]
fn a_signed_trail_is_stored_and_restored_with_its_signatures_checked_again() {
    let roster = roster(None);
    let approved = approved_by_rita(&roster);
    let stored = sealed(&approved);
    let json = serde_json::to_string(&stored).unwrap();
    assert!(json.contains(r#""signature":{"ed25519":"#));
    assert!(
        approved.history()[1]
            .to_string()
            .contains("signed (Ed25519)")
    );
    let read: StoredModel = serde_json::from_str(&json).unwrap();
    let restored = read.restore(&key(), &policy(&roster)).unwrap();
    assert_eq!(restored.head(), approved.head());

    // The service removes the signature, recomputes the chain and re-seals with its own key:
    // the replayed decision no longer approves, so the trail is refused.
    let forged = common::forged(&stored, |json| {
        let events = json["events"].as_array_mut().unwrap();
        let voted = events
            .iter_mut()
            .find(|e| e["event"]["voted"].is_object())
            .unwrap();
        voted["event"]["voted"]["review"]
            .as_object_mut()
            .unwrap()
            .remove("signature");
    });
    let resealed = forged.sealed_by(&key()).unwrap();
    assert!(resealed.restore(&key(), &policy(&roster)).is_err());
}

#[test]
fn a_decision_under_one_roster_is_not_replayed_under_another() {
    let roster = roster(None);
    let approved = approved_by_rita(&roster);
    let other = roster_with_rita_as("model_validator");
    assert_ne!(
        modelgate::PolicyExt::fingerprint(&policy(&roster)),
        modelgate::PolicyExt::fingerprint(&policy(&other))
    );
    assert!(sealed(&approved).restore(&key(), &policy(&other)).is_err());
    // And counting signatures is another policy than the same rule on the service's word.
    assert!(
        sealed(&approved)
            .restore(&key(), &RequiredRole::new("risk_officer"))
            .is_err()
    );
}

/// Approved under `roster` on rita's signed vote.
fn approved_by_rita(roster: &Roster) -> Model<modelgate::Approved> {
    let mut model = submitted();
    let review = signed_for(&model, Review::approve("rita", DIGEST, t(20)), &RITA);
    model.record(review).unwrap();
    model
        .decide(&policy(roster), &DecisionContext::at(t(30)))
        .unwrap()
        .approved()
        .unwrap()
}

fn roster_with_rita_as(role: &str) -> Roster {
    let mut first = RosterVersion::first(
        vec![roster_key(&ADMIN)],
        1,
        vec![Member::new("rita", roster_key(&RITA), t(0)).with_role(role)],
    );
    first.sign(&ADMIN);
    Roster::new(vec![first])
}

#[test]
fn a_context_that_names_no_model_counts_no_signed_vote() {
    let roster = roster(None);
    let model = submitted();
    let review = signed_for(&model, Review::approve("rita", DIGEST, t(20)), &RITA);
    let outcome = TrainingOutcome::new(DIGEST, Metrics::new([("auc", 0.91)]).unwrap()).unwrap();
    let votes: modelgate::value::CountedVotes = [review].into_iter().collect();
    let ctx = modelgate::ReviewContext::new(&outcome, &votes, "alice", 1, t(30));
    let verdict = modelgate::Policy::evaluate(&policy(&roster), &ctx);
    assert_eq!(verdict.kind(), VerdictKind::Pending);
    assert!(why_not_counted(&verdict, "rita").contains("names no model"));
    // Quorum over the same context on the service's word: counted.
    assert_eq!(
        modelgate::Policy::judge(&Quorum::new(1), &ctx),
        VerdictKind::Approve
    );
}

/// How a vote in a generated sequence is signed.
#[derive(Clone, Copy, Debug)]
enum Signing {
    Unsigned,
    ByOwnKey,
    ByServiceKey,
    ForAnotherModel,
}

proptest::proptest! {
    /// Model-based: over random sequences of signed and unsigned votes, with roles the service
    /// claims at random, the gate's verdict is a naive model's: the latest vote of each
    /// reviewer counts if and only if it is signed by their own roster key for this model, with
    /// the roster's role.
    #[test]
    fn signed_and_unsigned_votes_count_as_a_naive_model_says(
        votes in proptest::collection::vec(
            (0..3usize, proptest::bool::ANY, 0..4u8, 0..3usize),
            0..12,
        ),
    ) {
        const REVIEWERS: [(&str, [u8; 32]); 3] = [("rita", RITA), ("bob", BOB), ("carol", [13; 32])];
        const CLAIMED: [Option<&str>; 3] = [None, Some("risk_officer"), Some("model_validator")];
        let roster = roster(None);
        let other = submitted_in("fraud", "production");
        let mut model = submitted();
        let mut latest: Vec<Option<(bool, bool)>> = vec![None; 3]; // (approves, counts)
        for (i, &(who, approves, signing, claimed)) in votes.iter().enumerate() {
            let (id, seed) = REVIEWERS[who];
            let at = t(20 + i as u64);
            let mut review = if approves {
                Review::approve(id, DIGEST, at)
            } else {
                Review::reject(id, DIGEST, at)
            };
            if let Some(role) = CLAIMED[claimed] {
                review = review.with_role(role);
            }
            let signing = [Signing::Unsigned, Signing::ByOwnKey, Signing::ByServiceKey,
                Signing::ForAnotherModel][usize::from(signing)];
            let review = match signing {
                Signing::Unsigned => review,
                Signing::ByOwnKey => signed_for(&model, review, &seed),
                Signing::ByServiceKey => signed_for(&model, review, &SERVICE),
                Signing::ForAnotherModel => signed_for(&other, review, &seed),
            };
            model.record(review).unwrap();
            let in_roster = who < 2;
            latest[who] = Some((approves, in_roster && matches!(signing, Signing::ByOwnKey)));
        }
        let counted_approval = |who: usize| latest[who] == Some((true, true));
        let approvers = (0..3).filter(|&w| counted_approval(w)).count();
        let quorum = SignedVotes::new(
            roster.verify_first_time(roster.versions()[0].hash()).unwrap(),
            Quorum::new(2),
        );
        let expected = if approvers >= 2 { VerdictKind::Approve } else { VerdictKind::Pending };
        let ctx = DecisionContext::at(t(100));
        let probe = |policy: &dyn modelgate::Policy| {
            match model_clone(&model).decide(policy, &ctx).unwrap() {
                Decided::Approved(_) => VerdictKind::Approve,
                Decided::Rejected(_) => VerdictKind::Reject,
                Decided::Pending(..) => VerdictKind::Pending,
            }
        };
        proptest::prop_assert_eq!(probe(&quorum), expected);
        let expected = if counted_approval(0) { VerdictKind::Approve } else { VerdictKind::Pending };
        proptest::prop_assert_eq!(probe(&policy(&roster)), expected);
    }
}

/// A copy of a submitted model, through its stored form (a model is not `Clone`: each is one).
fn model_clone(model: &Model<Submitted>) -> Model<Submitted> {
    let stored = StoredModel::from(model);
    match stored.restore_unsealed(&Quorum::new(usize::MAX)).unwrap() {
        modelgate::AnyModel::Submitted(m) => m,
        other => panic!("not submitted: {other:?}"),
    }
}

/// A signature's text is checked for its form wherever a value is made: the constructors and
/// reading a stored one refuse what is not of its form, and no other way makes one, so a vote
/// never records a signature of no form.
#[test]
fn a_signature_not_of_its_form_is_not_recorded() {
    assert!(VoteSignature::sshsig("not a signature").is_err());
    assert!(VoteSignature::ed25519("AAAA").is_err());
    let ok = VoteSignature::sign_ed25519(
        &submitted().vote_statement(&Review::approve("rita", DIGEST, t(20))),
        &RITA,
    );
    assert_eq!(VoteSignature::ed25519(ok.as_text()).unwrap(), ok);
    // Nor read from a stored trail: a signature of no form never reaches a vote.
    let stored = r#"{"sshsig": "not a signature"}"#;
    let err = serde_json::from_str::<VoteSignature>(stored).unwrap_err();
    let errors = [
        VoteSignature::sshsig("not a signature")
            .unwrap_err()
            .to_string(),
        VoteSignature::ed25519("AAAA").unwrap_err().to_string(),
        err.to_string(),
    ];
    insta::assert_snapshot!("signature_not_of_its_form", errors.join("\n"));
}
