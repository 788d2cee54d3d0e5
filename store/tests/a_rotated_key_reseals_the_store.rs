//! After the host rotates its seal key, `Store::reseal` seals every row again under the new
//! key, once each verifies under the old one for its time, and hands back the old seals as
//! evidence: models, their approvers (a reviewer's queue) and registries' indexes, which verify
//! with the keys in use only, read again. A row the retired key sealed past its retirement
//! (a leaked key sealing new history) is refused, and then nothing is resealed. On SQLite
//! (memory and file) and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::production_registry::{NAME, book, submitted as member};
use common::{Backend, TestDb, hmac, key, submitted, submitted_at, t};
use modelgate::trail::SealVerifier as _;
use modelgate::trail::{Keyring, SealError};
use modelgate::{Environment, HmacSealer, Registry, RestoreError};
use modelgate_store::{Awaiting, Keys, LoadError, ResealError, Store};

/// The key after the rotation.
fn new_key() -> HmacSealer {
    HmacSealer::new("store-2026", *b"fedcba9876543210fedcba9876543210")
}

/// When the old key retired: after everything the fixture wrote (at 1..=10 s).
const RETIRED: u64 = 100;

/// The store opened after the rotation: sealing with the new key, trusting the old one for
/// records before its retirement.
async fn rotated(db: &TestDb) -> Store {
    db.open_with(Keys::new(
        new_key(),
        Keyring::new()
            .with_retired_key(hmac(), t(RETIRED))
            .with_key(new_key()),
    ))
    .await
}

/// A model with approvers, and a registry with one member, sealed by the old key.
async fn before_the_rotation(store: &Store) {
    store.create(&submitted("m", "1")).await.unwrap();
    store
        .set_approvers(&key("m", "1"), ["risk_officer"])
        .await
        .unwrap();
    let mut registry = Registry::new(NAME).unwrap();
    registry.put(member(NAME, "1", 0.9, 1)).unwrap();
    store.save_registry(&registry).await.unwrap();
}

async fn the_old_key_s_rows_are_resealed_under_the_new_one(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let old = db.open().await;
    before_the_rotation(&old).await;
    let store = rotated(&db).await;
    // A model's record verifies for its time; the queue and the index, with no time to hold a
    // retired key to, do not, until resealed.
    store.load(&key("m", "1")).await.unwrap();
    assert!(
        store
            .awaiting_approval(&Awaiting::all().for_reviewer("rita", ["risk_officer"]))
            .await
            .is_err()
    );
    assert!(store.load_registry(NAME, &book()).await.is_err());

    let resealed = store.reseal().await.unwrap();
    let rows: Vec<String> = resealed
        .old_seals()
        .iter()
        .map(|old| old.row().to_string())
        .collect();
    insta::assert_snapshot!("old_seals", rows.join("\n"));
    for old in resealed.old_seals() {
        assert_eq!(old.seal().key_id(), "store-test");
        // Each old seal is the old key's over the head it names: evidence, not a copy.
        hmac().verify(&old.head(), old.seal()).unwrap();
    }

    // Now the new key alone reads everything.
    let new = db.open_with(Keys::new(new_key(), new_key())).await;
    new.load(&key("m", "1")).await.unwrap();
    let queue = new
        .awaiting_approval(&Awaiting::all().for_reviewer("rita", ["risk_officer"]))
        .await
        .unwrap();
    assert_eq!(queue.len(), 1);
    new.load_registry(NAME, &book()).await.unwrap();
    // And the old key alone reads nothing it did not seal.
    assert!(old.load(&key("m", "1")).await.is_err());
    // Resealing again changes nothing.
    assert!(store.reseal().await.unwrap().old_seals().is_empty());
    for s in [old, store, new] {
        s.close().await;
    }
    db.drop_db().await;
}

async fn a_retired_key_s_seal_past_its_retirement_reseals_nothing(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let old = db.open().await;
    before_the_rotation(&old).await;
    // The retired key, leaked, seals a record whose trail goes on past its retirement.
    old.create(&submitted_at(
        "late",
        "1",
        &Environment::default(),
        RETIRED + 5,
    ))
    .await
    .unwrap();
    let store = rotated(&db).await;
    let err = store.reseal().await.unwrap_err();
    let ResealError::Model(load) = &err else {
        panic!("{err:?}")
    };
    let LoadError::Refused { error, .. } = load.as_ref() else {
        panic!("{err:?}")
    };
    assert!(
        matches!(
            error.as_ref(),
            RestoreError::Seal(SealError::KeyNotValid { .. })
        ),
        "{err:?}"
    );
    insta::assert_snapshot!("retired_key_past_retirement", err.to_string());
    // Nothing was resealed: the old key still reads the rows written before, as it did.
    old.load(&key("m", "1")).await.unwrap();
    old.load_registry(NAME, &book()).await.unwrap();
    for s in [old, store] {
        s.close().await;
    }
    db.drop_db().await;
}

async fn approvers_the_retired_key_sealed_for_a_later_model_are_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = rotated(&db).await;
    // A model created after the rotation, under the new key.
    store
        .create(&submitted_at(
            "late",
            "1",
            &Environment::default(),
            RETIRED + 5,
        ))
        .await
        .unwrap();
    // The leaked retired key seals approvers for it (its own row, written as the store would).
    let old = db.open().await;
    old.set_approvers(&key("late", "1"), ["mallory"])
        .await
        .unwrap();
    let err = store.reseal().await.unwrap_err();
    assert!(
        matches!(
            &err,
            ResealError::Approvers {
                error: SealError::KeyNotValid { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("the approvers' seal does not verify")
    );
    for s in [old, store] {
        s.close().await;
    }
    db.drop_db().await;
}

common::conformance!(
    the_old_key_s_rows_are_resealed_under_the_new_one,
    a_retired_key_s_seal_past_its_retirement_reseals_nothing,
    approvers_the_retired_key_sealed_for_a_later_model_are_refused,
);
