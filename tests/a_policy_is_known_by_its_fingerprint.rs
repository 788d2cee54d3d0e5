//! A policy is known by its fingerprint: every decision records it, a replay decides again only
//! with the policy that has it, and a deploy gate can pin it (issue 18).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use modelgate::attest::{self, Ed25519Signer, Expected, VerifyError};
use modelgate::trail::ReplayError;
use modelgate::*;

const SHA: &str = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

fn signer() -> Ed25519Signer {
    Ed25519Signer::from_seed([3; 32])
}

/// Approved by bob and carol under [`policy`], for an artifact a gate can name.
fn approved_for_the_gate() -> Model<Approved> {
    let mut m = untrained()
        .submit(outcome(SHA, 0.93), "alice", t(10))
        .unwrap();
    m.record(Review::approve("bob", SHA, t(20))).unwrap();
    m.record(Review::approve("carol", SHA, t(21))).unwrap();
    m.decide(&policy(), &DecisionContext::at(t(30)))
        .unwrap()
        .approved()
        .unwrap()
}

#[test]
fn a_decision_records_its_policys_fingerprint() {
    let model = approved();
    let decision = model.stage().decision();
    assert_eq!(decision.policy_fingerprint(), Some(policy().fingerprint()));
    let Some(EventKind::Decided { fingerprint, .. }) = model.history().last().map(Event::kind)
    else {
        panic!("a decision");
    };
    assert_eq!(*fingerprint, Some(policy().fingerprint()));
}

/// The attack a name alone allowed: a policy with the same name as the one that decided, and
/// other rules, restored the record. Its fingerprint differs, so it no longer does.
#[test]
fn a_policy_named_like_the_deciding_one_cannot_restore_its_decision() {
    let stored = sealed(&approved());
    let impostor = from_fn(policy().name(), |_| {
        Verdict::new(VerdictKind::Approve, vec![])
    });
    assert_eq!(impostor.name(), policy().name());
    let err = stored
        .clone()
        .restore(&key(), &impostor)
        .unwrap_err()
        .into_error();
    let RestoreError::Replay { error, .. } = &err else {
        panic!("{err}");
    };
    assert!(
        matches!(error, ReplayError::OtherFingerprint { recorded, policy: given }
            if *recorded == policy().fingerprint() && *given == impostor.fingerprint()),
        "{err}"
    );
    insta::assert_snapshot!(err.to_string());
    // The deciding policy restores it.
    assert!(stored.restore(&key(), &policy()).is_ok());
}

/// Forged consistently (the chain recomputed, no key): a decision's fingerprint changed to
/// another policy's, or stripped to the older form, is refused by the seal; replayed without the
/// seal, the forged fingerprint is not the deciding policy's and is refused by the replay.
#[test]
fn a_forged_or_stripped_fingerprint_is_refused() {
    let stored = sealed(&approved());
    let decided = |json: &mut serde_json::Value| -> usize {
        let events = json["events"].as_array().unwrap();
        events
            .iter()
            .position(|e| e["event"].get("decided").is_some())
            .unwrap()
    };
    let other = Quorum::new(5).fingerprint().to_string();
    let forged_fp = forged(&stored, |json| {
        let i = decided(json);
        json["events"][i]["event"]["decided"]["fingerprint"] = other.clone().into();
    });
    let stripped = forged(&stored, |json| {
        let i = decided(json);
        let decision = json["events"][i]["event"]["decided"]
            .as_object_mut()
            .unwrap();
        decision.remove("fingerprint");
    });
    for forgery in [&forged_fp, &stripped] {
        assert!(forgery.clone().restore(&key(), &policy()).is_err());
    }
    let err = forged_fp
        .restore_unsealed(&policy())
        .unwrap_err()
        .into_error();
    assert!(
        matches!(
            &err,
            RestoreError::Replay {
                error: ReplayError::OtherFingerprint { .. },
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_gate_pinning_a_policy_accepts_only_that_policys_approval() {
    let json = approved_for_the_gate().attest(&signer()).unwrap().to_json();
    let keys = [signer().public_key()];
    let gate = |pinned: Option<modelgate::event::Fingerprint>| {
        let expected =
            Expected::deploying("fraud-detector", SHA.parse().unwrap(), "default", t(40));
        match pinned {
            Some(f) => expected.policy(f),
            None => expected,
        }
    };
    let approval = attest::verify(json.as_bytes(), &keys, &gate(None)).unwrap();
    assert_eq!(approval.policy_fingerprint(), Some(policy().fingerprint()));
    assert!(attest::verify(json.as_bytes(), &keys, &gate(Some(policy().fingerprint()))).is_ok());
    let stricter = (MetricGate::at_least("accuracy", 0.9), Quorum::new(3));
    let err =
        attest::verify(json.as_bytes(), &keys, &gate(Some(stricter.fingerprint()))).unwrap_err();
    assert!(matches!(err, VerifyError::OtherPolicy { .. }), "{err}");
    insta::assert_snapshot!(err.to_string());
}

/// A policy that changes over time: each decision is made by, and records, the version in force
/// at its time; a record decided before the book existed replays under it, and one decided by
/// the old policy after the new version came in force does not.
#[test]
fn a_book_of_versions_decides_and_replays_each_decision_by_the_version_in_force() {
    use modelgate::policy::Versions;
    let stricter = (MetricGate::at_least("accuracy", 0.9), Quorum::new(3));
    let book = || Versions::new(policy()).from(t(1_000), stricter.clone());
    // `approved()` is decided by `policy()` at 30 s: before the stricter version.
    let early = sealed(&approved());
    let restored = early.clone().restore(&key(), &book()).unwrap();
    let AnyModel::Approved(m) = &restored else {
        panic!("approved");
    };
    assert_eq!(
        m.stage().decision().policy_fingerprint(),
        Some(policy().fingerprint())
    );
    // Decided live by the book after 1,000 s: the stricter version decides and is recorded.
    let mut late = untrained()
        .submit(outcome(DIGEST, 0.93), "alice", t(2_000))
        .unwrap();
    for who in ["bob", "carol", "dave"] {
        late.record(Review::approve(who, DIGEST, t(2_001))).unwrap();
    }
    let decided = late
        .decide(&book(), &DecisionContext::at(t(2_002)))
        .unwrap()
        .approved()
        .unwrap();
    let decision = decided.stage().decision();
    assert_eq!(decision.policy_fingerprint(), Some(stricter.fingerprint()));
    assert_eq!(decision.policy(), stricter.name());
    assert!(sealed(&decided).restore(&key(), &book()).is_ok());
    // The old policy's decision after the switch is not upheld by the book.
    let mut old = untrained()
        .submit(outcome(DIGEST, 0.93), "alice", t(2_000))
        .unwrap();
    for who in ["bob", "carol"] {
        old.record(Review::approve(who, DIGEST, t(2_001))).unwrap();
    }
    let by_old = old
        .decide(&policy(), &DecisionContext::at(t(2_002)))
        .unwrap()
        .approved()
        .unwrap();
    assert!(sealed(&by_old).restore(&key(), &book()).is_err());
}

/// A policy in part custom (a closure beside built-ins) is fingerprinted by its structure, each
/// custom part a leaf known by its name: the built-in parts still count, so a looser policy
/// whose whole name reads the same cannot take its fingerprint (an attacker's finding: a gate
/// pinned to one accepted the other's approval with no reviewer).
#[test]
fn a_policy_in_part_custom_is_told_apart_by_its_structure() {
    let ok = |_: &ReviewContext<'_>| Verdict::new(VerdictKind::Approve, vec![]);
    let strict = (from_fn("host check", ok), Quorum::new(2));
    let loose = (from_fn("host check, 2 approvals", ok),);
    assert_eq!(strict.name(), loose.name());
    assert_ne!(strict.fingerprint(), loose.fingerprint());
    let day = std::time::Duration::from_secs(86_400);
    let a = (Soak::at_least(day), from_fn("c", ok));
    let b = (
        Soak::at_least(day + std::time::Duration::from_nanos(1)),
        from_fn("c", ok),
    );
    assert_eq!(a.name(), b.name());
    assert_ne!(a.fingerprint(), b.fingerprint());
}

/// Built in code or as data, a policy's structure is one: every combinator writes what its
/// rule would.
#[test]
fn a_policy_built_in_code_has_its_rules_fingerprint() {
    let code = (
        any([
            MetricGate::at_least("accuracy", 0.9),
            MetricGate::below("loss", 0.2),
        ]),
        not(Veto::new().eligible_roles(["security"])),
        Fresh::within(
            std::time::Duration::from_secs(3_600),
            when(MetricGate::above("auc", 0.95))
                .then(Quorum::new(1))
                .otherwise(Quorum::new(2).eligible_ids(["bob", "carol"])),
        ),
        when(MetricGate::above("accuracy", 0.99))
            .approve_automatically()
            .otherwise(RequiredRole::new("risk_officer")),
        modelgate::policy::Versions::new(Quorum::new(1)).from(t(5), Quorum::new(2)),
    );
    // `Versions` is not data: the rest is compared part by part.
    let data = (
        code.0.clone(),
        code.1.clone(),
        code.2.clone(),
        code.3.clone(),
    );
    let rule = data.rule().expect("built-ins are data");
    assert_eq!(data.fingerprint(), rule.fingerprint());
    assert_ne!(code.fingerprint(), data.fingerprint());
}

/// A policy wrapped once (`Fingerprinted`: its name and fingerprint computed when wrapped, not
/// at every decision) decides and records exactly as the policy itself: the same trail, hash for
/// hash; each restores what the other decided; and it is refused where the policy would be.
#[test]
fn a_policy_fingerprinted_once_decides_and_records_as_itself() {
    use modelgate::policy::Fingerprinted;
    let kept = Fingerprinted::new(policy());
    assert_eq!(kept.kept_fingerprint(), Some(policy().fingerprint()));
    assert_eq!(policy().kept_fingerprint(), None);
    let decide = |p: &dyn Policy| {
        let mut m = submitted(0.93);
        m.record(Review::approve("bob", DIGEST, t(20))).unwrap();
        m.record(Review::approve("carol", DIGEST, t(21))).unwrap();
        m.decide(p, &DecisionContext::at(t(30)))
            .unwrap()
            .approved()
            .unwrap()
    };
    let (plain, wrapped) = (decide(&policy()), decide(&kept));
    assert_eq!(plain.head(), wrapped.head());
    assert_eq!(plain.history(), wrapped.history());
    assert!(sealed(&plain).restore(&key(), &kept).is_ok());
    assert!(sealed(&wrapped).restore(&key(), &policy()).is_ok());
    // Wrapping another policy does not borrow this one's identity.
    let other = Fingerprinted::new((MetricGate::at_least("accuracy", 0.90), Quorum::new(1)));
    let err = sealed(&wrapped)
        .restore(&key(), &other)
        .unwrap_err()
        .into_error();
    assert!(
        matches!(
            &err,
            RestoreError::Replay {
                error: ReplayError::OtherFingerprint { .. },
                ..
            }
        ),
        "{err}"
    );
}

/// Wrapped whole, a policy that changes over time still records the version in force at each
/// decision, not the wrapper's fingerprint of all its versions.
#[test]
fn a_book_of_versions_fingerprinted_once_records_the_version_in_force() {
    use modelgate::policy::{Fingerprinted, Versions};
    let stricter = (MetricGate::at_least("accuracy", 0.9), Quorum::new(3));
    let book = Fingerprinted::new(Versions::new(policy()).from(t(1_000), stricter.clone()));
    assert_ne!(book.fingerprint(), stricter.fingerprint());
    let mut late = untrained()
        .submit(outcome(DIGEST, 0.93), "alice", t(2_000))
        .unwrap();
    for who in ["bob", "carol", "dave"] {
        late.record(Review::approve(who, DIGEST, t(2_001))).unwrap();
    }
    let decided = late
        .decide(&book, &DecisionContext::at(t(2_002)))
        .unwrap()
        .approved()
        .unwrap();
    let decision = decided.stage().decision();
    assert_eq!(decision.policy_fingerprint(), Some(stricter.fingerprint()));
    assert_eq!(decision.policy(), stricter.name());
    assert!(sealed(&decided).restore(&key(), &book).is_ok());
    assert!(sealed(&approved()).restore(&key(), &book).is_ok());
}
