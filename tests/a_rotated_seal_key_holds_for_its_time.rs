//! The host's sealing key rotates (`trail::Keyring`): a record sealed under a retired key
//! still verifies for its time, a trail that goes on past the key's retirement does not (a
//! leaked old key seals no new history), and `resealed` seals a record or a registry again
//! under the new key, handing back the old seals as evidence, without changing a head.
#![cfg(feature = "hmac")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use modelgate::registry::{PolicyBook, RestoreRegistryError};
use modelgate::trail::{Keyring, Seal, SealError};
use modelgate::*;

mod common;

use common::{approved, submitted, t};

fn old_key() -> HmacSealer {
    HmacSealer::new("db-2025", *b"0123456789abcdef0123456789abcdef")
}

fn new_key() -> HmacSealer {
    HmacSealer::new("db-2026", *b"fedcba9876543210fedcba9876543210")
}

/// The old key retired at `retired`, the new one in use.
fn keyring(retired: u64) -> Keyring<HmacSealer> {
    Keyring::new()
        .with_retired_key(old_key(), t(retired))
        .with_key(new_key())
}

fn seal_error(result: Result<Head, RestoreError>) -> SealError {
    match result {
        Err(RestoreError::Seal(e)) => e,
        other => panic!("expected a seal error, got {other:?}"),
    }
}

#[test]
fn a_record_sealed_before_the_rotation_verifies_for_its_time() {
    // Approved at 30, sealed by the old key; the key retired at 100.
    let stored = StoredModel::from(&approved())
        .sealed_by(&old_key())
        .unwrap();
    stored.verify(&keyring(100)).unwrap();
    stored
        .clone()
        .restore(&keyring(100), &common::policy())
        .unwrap();
    // Through a box and a list of verifiers, as a CLI or a store holds them, the time goes too.
    let boxed: Vec<Box<dyn SealVerifier>> = vec![Box::new(keyring(100))];
    stored.verify(&boxed).unwrap();
}

#[test]
fn a_trail_that_goes_on_past_the_retirement_is_refused_under_the_old_key() {
    // A leaked old key seals a trail extended after its retirement (a vote at 200).
    let mut model = submitted(0.93);
    model
        .record(Review::approve("bob", common::DIGEST, t(200)))
        .unwrap();
    let stored = StoredModel::from(&model).sealed_by(&old_key()).unwrap();
    let err = seal_error(stored.verify(&keyring(100)));
    assert!(matches!(err, SealError::KeyNotValid { .. }), "{err}");
    insta::assert_snapshot!("retired_key", err.to_string());
    // Sealed by the new key, the same trail verifies.
    StoredModel::from(&model)
        .sealed_by(&new_key())
        .unwrap()
        .verify(&keyring(100))
        .unwrap();
}

#[test]
fn a_key_in_use_seals_older_records_too() {
    // What resealing needs: the new key's seal on a record from before the rotation.
    let stored = StoredModel::from(&approved())
        .sealed_by(&new_key())
        .unwrap();
    stored.verify(&keyring(100)).unwrap();
}

#[test]
fn without_a_time_only_a_key_in_use_verifies() {
    let head = approved().head();
    let keys = keyring(100);
    let old = old_key().seal(&head).unwrap();
    let err = keys.verify(&head, &old).unwrap_err();
    assert!(
        matches!(err, SealError::KeyNotValid { at: None, .. }),
        "{err}"
    );
    keys.verify(&head, &new_key().seal(&head).unwrap()).unwrap();
    // An unknown key and a forged seal are refused as before.
    let forged = Seal::new("db-2026", vec![0; 32]);
    assert!(matches!(
        keys.verify(&head, &forged),
        Err(SealError::Mismatch { .. })
    ));
    let unknown = common::attacker_key().seal(&head).unwrap();
    assert!(matches!(
        keys.verify(&head, &unknown),
        Err(SealError::UnknownKey { .. })
    ));
}

#[test]
fn a_resealed_record_keeps_its_head_and_hands_back_the_old_seal() {
    let stored = StoredModel::from(&approved())
        .sealed_by(&old_key())
        .unwrap();
    let old_seal = stored.seal().unwrap().clone();
    let (resealed, previous) = stored.clone().resealed(&keyring(100), &new_key()).unwrap();
    assert_eq!(previous, old_seal);
    assert_eq!(resealed.head(), stored.head());
    assert_eq!(resealed.events(), stored.events());
    assert_eq!(resealed.seal().unwrap().key_id(), "db-2026");
    // The old key can now leave the keyring altogether.
    let only_new = Keyring::new().with_key(new_key());
    resealed.verify(&only_new).unwrap();
    // The old seal is still evidence, checked with the old key.
    old_key().verify(&stored.head(), &previous).unwrap();
}

#[test]
fn a_record_whose_seal_does_not_verify_is_not_resealed() {
    // Sealed by a key the keyring does not hold, or edited after sealing: handed back as is.
    let forged = StoredModel::from(&approved())
        .sealed_by(&common::attacker_key())
        .unwrap();
    let refused = forged
        .clone()
        .resealed(&keyring(100), &new_key())
        .unwrap_err();
    assert!(matches!(refused.error(), RestoreError::Seal(_)));
    assert_eq!(refused.into_input(), forged);
    let unsealed = StoredModel::from(&approved());
    let refused = unsealed
        .clone()
        .resealed(&keyring(100), &new_key())
        .unwrap_err();
    assert!(matches!(refused.error(), RestoreError::Unsealed));
}

fn registry() -> Registry {
    let mut registry = Registry::new("fraud-detector").unwrap();
    registry.put(approved()).unwrap();
    registry
}

#[test]
fn a_registry_is_resealed_member_by_member_and_its_index() {
    let stored = registry().sealed_by(&old_key()).unwrap();
    let book = PolicyBook::new().with("default", common::policy());
    stored.clone().restore(&keyring(100), &book).unwrap();
    let (resealed, old) = stored.clone().resealed(&keyring(100), &new_key()).unwrap();
    assert_eq!(old.len(), stored.members().len() + 1);
    assert_eq!(resealed.index(), stored.index());
    let only_new = Keyring::new().with_key(new_key());
    resealed.restore(&only_new, &book).unwrap();
    // A member edited under the old seal is named, and nothing is resealed.
    let forged = registry().sealed_by(&common::attacker_key()).unwrap();
    let refused = forged.resealed(&keyring(100), &new_key()).unwrap_err();
    assert!(
        matches!(refused.error(), RestoreRegistryError::Seal(_)),
        "{}",
        refused.error()
    );
}

proptest::proptest! {
    /// Under a keyring, a retired key's seal holds exactly for records whose last event is
    /// before its retirement; a key in use's at all times.
    #[test]
    fn a_key_seals_exactly_its_own_time(retired in 0u64..1_000, last in 0u64..1_000) {
        let keys = keyring(retired);
        let head = Head::from_bytes([7; 32]);
        let by_old = keys.verify_at(&head, &old_key().seal(&head).unwrap(), t(last));
        let by_new = keys.verify_at(&head, &new_key().seal(&head).unwrap(), t(last));
        proptest::prop_assert_eq!(by_old.is_ok(), last < retired);
        proptest::prop_assert!(by_new.is_ok());
    }
}
