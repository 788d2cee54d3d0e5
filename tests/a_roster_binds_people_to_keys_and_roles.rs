//! A roster binds people to keys and roles, and is itself evidence: each version is signed by
//! a quorum of the version before's admins, from a first version the host pins, so no one
//! service, key or database row can add a key for "rita" or give her a role. A signed vote
//! counts only with a key of its reviewer valid at its time and when it is counted, with the
//! roles the roster gives, never the vote's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use modelgate::signed::{
    Member, ReviewerKey, Roster, RosterError, RosterVersion, VerifiedRoster, VoteFinding,
    VoteSignature, VoteStatement,
};
use modelgate::{Head, Review, Timestamp};

const ADMINS: [[u8; 32]; 3] = [[1; 32], [2; 32], [3; 32]];
const RITA: [u8; 32] = [10; 32];
const RITA_NEW: [u8; 32] = [11; 32];
const BOB: [u8; 32] = [12; 32];
const SERVICE: [u8; 32] = [99; 32];

fn t(s: u64) -> Timestamp {
    Timestamp::from_unix_secs(s)
}

fn key(seed: &[u8; 32]) -> ReviewerKey {
    ReviewerKey::from_seed(seed)
}

fn admins() -> Vec<ReviewerKey> {
    ADMINS.iter().map(key).collect()
}

/// Version 1: rita (risk officer) and bob (validator), 2 of 3 admins sign.
fn first() -> RosterVersion {
    let mut v = RosterVersion::first(
        admins(),
        2,
        vec![
            Member::new("rita", key(&RITA), t(0)).with_role("risk_officer"),
            Member::new("bob", key(&BOB), t(0)).with_role("model_validator"),
        ],
    );
    v.sign(&ADMINS[0]);
    v.sign(&ADMINS[1]);
    v
}

/// Version 2: rita's key rotated at t(1000).
fn rotated(v1: &RosterVersion) -> RosterVersion {
    let mut v = v1.next(
        admins(),
        2,
        vec![
            Member::new("rita", key(&RITA), t(0))
                .with_role("risk_officer")
                .until(t(1000)),
            Member::new("rita", key(&RITA_NEW), t(1000)).with_role("risk_officer"),
            Member::new("bob", key(&BOB), t(0)).with_role("model_validator"),
        ],
    );
    v.sign(&ADMINS[1]);
    v.sign(&ADMINS[2]);
    v
}

fn vote(reviewer: &str, at: u64) -> VoteStatement {
    let review = Review::approve(reviewer, "sha256:9f2c", t(at));
    VoteStatement::new(
        "churn",
        "4",
        "production",
        Head::from_bytes([1; 32]),
        &review,
    )
}

/// Who the roster says signed `reviewer`'s vote cast at `at`, signed with `seed` and recorded at
/// `recorded`: the member's id and roles, or why the vote does not count.
fn signed(
    verified: &VerifiedRoster<'_>,
    reviewer: &str,
    at: u64,
    seed: &[u8; 32],
    recorded: u64,
) -> Result<(String, Vec<String>), VoteFinding> {
    let statement = vote(reviewer, at);
    let signature = VoteSignature::sign_ed25519(&statement, seed);
    verified
        .signer(&statement, &signature, t(recorded))
        .map(|m| (m.id().to_owned(), m.roles().map(str::to_owned).collect()))
}

#[test]
fn a_vote_counts_with_its_signers_roles_from_the_roster() {
    let v1 = first();
    let roster = Roster::new(vec![v1.clone()]);
    let verified = roster.verify_first_time(v1.hash()).unwrap();
    let rita = signed(&verified, "rita", 100, &RITA, 101).unwrap();
    assert_eq!(rita, ("rita".to_owned(), vec!["risk_officer".to_owned()]));
    // The roles come from the roster: bob is a validator whatever his vote claims.
    let bob = signed(&verified, "bob", 100, &BOB, 101).unwrap();
    assert_eq!(bob.1, ["model_validator"]);
}

#[test]
fn a_vote_signed_by_another_key_does_not_count_and_says_why() {
    let v1 = first();
    let roster = Roster::new(vec![v1.clone()]);
    let verified = roster.verify_first_time(v1.hash()).unwrap();
    // The service re-signs rita's vote with its own key; bob signs one in her name.
    for seed in [&SERVICE, &BOB] {
        let err = signed(&verified, "rita", 100, seed, 101).unwrap_err();
        assert!(matches!(err, VoteFinding::Signature { .. }), "{err}");
    }
    // Someone the roster does not know.
    let err = signed(&verified, "mallory", 100, &SERVICE, 101).unwrap_err();
    assert!(matches!(err, VoteFinding::NotInRoster { .. }), "{err}");
}

#[test]
fn a_rotated_keys_vote_after_its_end_does_not_count() {
    let v1 = first();
    let roster = Roster::new(vec![v1.clone(), rotated(&v1)]);
    let verified = roster.verify_first_time(v1.hash()).unwrap();
    let finding = |at, seed, recorded| signed(&verified, "rita", at, seed, recorded).err();
    // The old key before its end counts; the new one after the rotation.
    assert_eq!(finding(500, &RITA, 501), None);
    assert_eq!(finding(1500, &RITA_NEW, 1501), None);
    // The old key's vote recorded after its end does not count, whatever time it claims; a
    // vote dated after the rotation signed with the old key, or before it with the new one,
    // neither: each finding names the key that signed and its validity.
    for (at, seed, recorded) in [
        (500, &RITA, 1001),
        (1500, &RITA, 1501),
        (500, &RITA_NEW, 501),
    ] {
        let err = finding(at, seed, recorded).unwrap();
        assert!(
            matches!(err, VoteFinding::KeyOutOfValidity { key: k, .. } if k == key(seed)),
            "{err}"
        );
    }
    // Bob's key in rita's name while none of hers is valid: no valid key.
    let err = finding(500, &BOB, 1001).unwrap();
    assert!(matches!(err, VoteFinding::KeyNotValid { .. }), "{err}");
    // A person who left: no key valid at all.
    let mut left = RosterVersion::first(
        admins(),
        1,
        vec![Member::new("rita", key(&RITA), t(0)).until(t(10))],
    );
    left.sign(&ADMINS[0]);
    let roster = Roster::new(vec![left.clone()]);
    let verified = roster.verify_first_time(left.hash()).unwrap();
    let err = signed(&verified, "rita", 1500, &RITA, 1501).unwrap_err();
    assert!(matches!(err, VoteFinding::KeyOutOfValidity { .. }), "{err}");
    insta::assert_snapshot!("key_out_of_validity", err.to_string());
    // Every other finding, as a reviewer's host shows it.
    let whole = Roster::new(vec![first()]);
    let whole = whole.verify_first_time(first().hash()).unwrap();
    let findings: Vec<String> = [
        signed(&verified, "mallory", 1500, &RITA, 1501),
        signed(&verified, "rita", 1500, &BOB, 1501),
        signed(&whole, "rita", 100, &BOB, 101),
    ]
    .into_iter()
    .map(|r| r.unwrap_err().to_string())
    .collect();
    insta::assert_snapshot!("vote_findings", findings.join("\n"));
}

#[test]
fn a_roster_cut_back_to_an_earlier_version_is_refused_by_its_holder() {
    let v1 = first();
    let v2 = rotated(&v1);
    let full = Roster::new(vec![v1.clone(), v2.clone()]);
    let held = full.verify_first_time(v1.hash()).unwrap().latest().hash();
    full.verify(v1.hash(), held).unwrap();
    // The database's copy cut back to version 1: rita's rotated-out key would count again.
    let cut = Roster::new(vec![v1.clone()]);
    let verified = cut.verify_first_time(v1.hash()).unwrap();
    assert!(signed(&verified, "rita", 1500, &RITA, 1501).is_ok());
    let err = cut.verify(v1.hash(), held).unwrap_err();
    assert_eq!(err, RosterError::Truncated { held });
}

#[test]
fn admins_sign_with_openssh_keys_too() {
    let admin: ReviewerKey = include_str!("fixtures/sshsig/rita.pub").parse().unwrap();
    let mut v1 = RosterVersion::first(
        vec![admin, key(&ADMINS[0])],
        2,
        vec![Member::new("bob", key(&BOB), t(0))],
    );
    v1.sign(&ADMINS[0]);
    let err = Roster::new(vec![v1.clone()])
        .verify_first_time(v1.hash())
        .unwrap_err();
    assert!(
        matches!(err, RosterError::Unsigned { have: 1, .. }),
        "{err}"
    );
    v1.sign_ssh(include_str!("fixtures/sshsig/rita")).unwrap();
    Roster::new(vec![v1.clone()])
        .verify_first_time(v1.hash())
        .unwrap();
    // A vote's SSH signature over the same bytes (another namespace) is not an admin's.
    let mut v2 = v1.next(vec![admin], 1, vec![]);
    let statement = vote("bob", 1);
    let vote_signature =
        VoteSignature::sign_ssh(&statement, include_str!("fixtures/sshsig/rita")).unwrap();
    v2.add_signature(admin, vote_signature);
    let err = Roster::new(vec![v1.clone(), v2])
        .verify_first_time(v1.hash())
        .unwrap_err();
    assert!(
        matches!(err, RosterError::Unsigned { have: 0, .. }),
        "{err}"
    );
}

#[test]
fn a_roster_edited_by_the_service_is_refused() {
    let v1 = first();
    // The service adds its own key for rita in a new version, signed by itself.
    let mut forged = v1.next(
        admins(),
        2,
        vec![Member::new("rita", key(&SERVICE), t(0)).with_role("risk_officer")],
    );
    forged.sign(&SERVICE);
    forged.sign(&ADMINS[0]); // one admin is not a quorum of two
    let err = Roster::new(vec![v1.clone(), forged])
        .verify_first_time(v1.hash())
        .unwrap_err();
    assert_eq!(
        err,
        RosterError::Unsigned {
            number: 2,
            have: 1,
            need: 2
        }
    );
    // It edits version 1 itself (every copy consistent: a new first version, signed by itself
    // as its admin): not the pinned first version.
    let mut own = RosterVersion::first(
        vec![key(&SERVICE)],
        1,
        vec![Member::new("rita", key(&SERVICE), t(0)).with_role("risk_officer")],
    );
    own.sign(&SERVICE);
    let err = Roster::new(vec![own])
        .verify_first_time(v1.hash())
        .unwrap_err();
    assert!(matches!(err, RosterError::NotPinned { .. }), "{err}");
    // It edits a signed version's members after the signatures: they no longer verify.
    let mut edited = first();
    let json = serde_json::to_string(&edited).unwrap();
    let json = json.replace("model_validator", "risk_officer");
    edited = serde_json::from_str(&json).unwrap();
    let err = Roster::new(vec![edited])
        .verify_first_time(v1.hash())
        .unwrap_err();
    assert!(matches!(err, RosterError::NotPinned { .. }), "{err}");
    let v2 = rotated(&v1);
    let json = serde_json::to_string(&v2).unwrap();
    let tampered: RosterVersion =
        serde_json::from_str(&json.replace("model_validator", "risk_officer")).unwrap();
    let err = Roster::new(vec![v1.clone(), tampered])
        .verify_first_time(v1.hash())
        .unwrap_err();
    assert_eq!(
        err,
        RosterError::Unsigned {
            number: 2,
            have: 0,
            need: 2
        }
    );
}

#[test]
fn versions_truncated_reordered_or_replayed_are_refused() {
    let v1 = first();
    let v2 = rotated(&v1);
    // Reordered.
    let err = Roster::new(vec![v2.clone(), v1.clone()])
        .verify_first_time(v1.hash())
        .unwrap_err();
    assert!(matches!(err, RosterError::NotPinned { .. }), "{err}");
    // A version replayed twice.
    let err = Roster::new(vec![v1.clone(), v2.clone(), v2.clone()])
        .verify_first_time(v1.hash())
        .unwrap_err();
    assert_eq!(err, RosterError::OutOfSequence { number: 2 });
    // A version skipped: v3 after v1.
    let mut v3 = v2.next(admins(), 2, v2.members().to_vec());
    v3.sign(&ADMINS[0]);
    v3.sign(&ADMINS[1]);
    let err = Roster::new(vec![v1.clone(), v3])
        .verify_first_time(v1.hash())
        .unwrap_err();
    assert_eq!(err, RosterError::OutOfSequence { number: 3 });
    // Truncated to the first version: verifies, as of that version (a roster's holder must
    // keep its latest version; a log of roster heads is what would show a truncation).
    Roster::new(vec![v1.clone()])
        .verify_first_time(v1.hash())
        .unwrap();
    // Empty.
    assert_eq!(
        Roster::default().verify_first_time(v1.hash()).unwrap_err(),
        RosterError::Empty
    );
}

#[test]
fn a_key_of_two_people_and_bad_thresholds_are_refused_by_name() {
    let mut shared = RosterVersion::first(
        admins(),
        2,
        vec![
            Member::new("rita", key(&RITA), t(0)),
            Member::new("bob", key(&RITA), t(0)),
        ],
    );
    shared.sign(&ADMINS[0]);
    shared.sign(&ADMINS[1]);
    let err = Roster::new(vec![shared.clone()])
        .verify_first_time(shared.hash())
        .unwrap_err();
    assert!(matches!(err, RosterError::SharedKey { .. }), "{err}");
    let mut zero = RosterVersion::first(admins(), 0, vec![]);
    zero.sign(&ADMINS[0]);
    let err = Roster::new(vec![zero.clone()])
        .verify_first_time(zero.hash())
        .unwrap_err();
    assert!(matches!(err, RosterError::Threshold { .. }), "{err}");
    let mut twice = RosterVersion::first(vec![key(&ADMINS[0]), key(&ADMINS[0])], 2, vec![]);
    twice.sign(&ADMINS[0]);
    let err = Roster::new(vec![twice.clone()])
        .verify_first_time(twice.hash())
        .unwrap_err();
    assert!(matches!(err, RosterError::DuplicateAdmin { .. }), "{err}");
    // One admin signing twice is one signature.
    let mut once = RosterVersion::first(admins(), 2, vec![]);
    once.sign(&ADMINS[0]);
    once.sign(&ADMINS[0]);
    let err = Roster::new(vec![once.clone()])
        .verify_first_time(once.hash())
        .unwrap_err();
    assert_eq!(
        err,
        RosterError::Unsigned {
            number: 1,
            have: 1,
            need: 2
        }
    );
    let mut bad_id = RosterVersion::first(
        admins(),
        1,
        vec![Member::new("ri\u{200d}ta", key(&RITA), t(0))],
    );
    bad_id.sign(&ADMINS[0]);
    let err = Roster::new(vec![bad_id.clone()])
        .verify_first_time(bad_id.hash())
        .unwrap_err();
    assert!(matches!(err, RosterError::Member { .. }), "{err}");
    let messages: Vec<String> = [
        Roster::new(vec![shared.clone()]).verify_first_time(shared.hash()),
        Roster::new(vec![zero.clone()]).verify_first_time(zero.hash()),
        Roster::new(vec![twice.clone()]).verify_first_time(twice.hash()),
        Roster::new(vec![once.clone()]).verify_first_time(once.hash()),
        Roster::new(vec![bad_id.clone()]).verify_first_time(bad_id.hash()),
        Roster::new(vec![]).verify_first_time(once.hash()),
    ]
    .into_iter()
    .map(|r| r.unwrap_err().to_string())
    .collect();
    let v1 = first();
    let v2 = rotated(&v1);
    let more: Vec<String> = [
        Roster::new(vec![v1.clone()]).verify(v1.hash(), v2.hash()),
        Roster::new(vec![v2.clone()]).verify_first_time(v1.hash()),
        Roster::new(vec![v1.clone(), v2.clone(), v2.clone()]).verify_first_time(v1.hash()),
    ]
    .into_iter()
    .map(|r| r.unwrap_err().to_string())
    .collect();
    insta::assert_snapshot!("roster_errors", [messages, more].concat().join("\n"));
}

#[test]
fn a_look_alike_of_a_reviewer_is_that_reviewer() {
    let v1 = first();
    let roster = Roster::new(vec![v1.clone()]);
    let verified = roster.verify_first_time(v1.hash()).unwrap();
    // "RITA" is rita's identity: only rita's key signs for it.
    assert_eq!(
        signed(&verified, "RITA", 100, &RITA, 101).unwrap().0,
        "rita"
    );
    let err = signed(&verified, "RITA", 100, &BOB, 101).unwrap_err();
    assert!(matches!(err, VoteFinding::Signature { .. }), "{err}");
}

#[test]
fn a_roster_round_trips_as_json() {
    let v1 = first();
    let roster = Roster::new(vec![v1.clone(), rotated(&v1)]);
    let json = serde_json::to_string_pretty(&roster).unwrap();
    let back: Roster = serde_json::from_str(&json).unwrap();
    assert_eq!(back, roster);
    back.verify_first_time(v1.hash()).unwrap();
}

/// Small-order Ed25519 points (the identity, and points of order 2 and 4): under such a key
/// one fixed signature (R = identity, s = 0) verifies for every message.
const WEAK_KEYS: [&str; 3] = [
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
];

#[test]
fn a_weak_key_is_no_ones_key() {
    for hex in WEAK_KEYS {
        let err = hex.parse::<ReviewerKey>().unwrap_err();
        assert_eq!(
            err.to_string(),
            modelgate::signed::KeyError::Weak.to_string()
        );
    }
    // Nor can a stored roster carry one, as a member's key or an admin's: it does not read.
    let v1 = first();
    let json = serde_json::to_string(&Roster::new(vec![v1])).unwrap();
    for replaced in [key(&RITA).to_string(), key(&ADMINS[0]).to_string()] {
        assert!(json.contains(&replaced));
        let forged = json.replace(&replaced, WEAK_KEYS[0]);
        let err = serde_json::from_str::<Roster>(&forged).unwrap_err();
        assert!(err.to_string().contains("weak"), "{err}");
    }
}

#[test]
fn one_person_spelled_two_ways_is_refused() {
    // rita, and "Rita" on another key (one identity, UTS #39 skeletons case folded): an admin
    // quorum cannot make one identity read as two people. (A mixed-script "rіta" is refused
    // as an id already.)
    let mut twins = RosterVersion::first(
        admins(),
        1,
        vec![
            Member::new("rita", key(&RITA), t(0)).with_role("risk_officer"),
            Member::new("Rita", key(&BOB), t(0)).with_role("model_validator"),
        ],
    );
    twins.sign(&ADMINS[0]);
    let err = Roster::new(vec![twins.clone()])
        .verify_first_time(twins.hash())
        .unwrap_err();
    assert!(matches!(err, RosterError::Member { .. }), "{err}");
    insta::assert_snapshot!("one_person_spelled_two_ways", err.to_string());
}
