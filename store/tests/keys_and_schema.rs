//! A store opens only what it can trust: rows sealed under a key it does not trust, and a
//! database of a newer schema, are refused. On SQLite (memory and file) and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Backend, TestDb, hmac, key, keys, raw, submitted};
use modelgate::trail::SealError;
use modelgate::{HmacSealer, RestoreError};
use modelgate_store::{Keys, LoadError, OpenError, Store};

async fn untrusted_key_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    store.create(&submitted("churn", "1")).await.unwrap();
    let other = HmacSealer::new("other-key", *b"fedcba9876543210fedcba9876543210");
    let stranger = db.open_with(Keys::new(other.clone(), other)).await;
    let err = stranger.load(&key("churn", "1")).await.unwrap_err();
    assert!(
        matches!(
            err,
            LoadError::Refused { ref error, .. } if matches!(**error, RestoreError::Seal(SealError::UnknownKey { .. }))
        ),
        "{err}"
    );
    // Key rotation: a verifier that trusts both keys loads it.
    let rotated = db
        .open_with(Keys::new(
            hmac(),
            vec![hmac(), HmacSealer::new("x", [1; 32])],
        ))
        .await;
    rotated.load(&key("churn", "1")).await.unwrap();
    stranger.close().await;
    rotated.close().await;
    store.close().await;
    db.drop_db().await;
}

async fn newer_schema_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    raw(&store, "UPDATE modelgate_schema SET version = 999").await;
    let err = Store::open(&db.url, keys()).await.unwrap_err();
    assert!(
        matches!(
            err,
            OpenError::NewerSchema {
                found: 999,
                supported: modelgate_store::SCHEMA_VERSION
            }
        ),
        "{err}"
    );
    // Opening again at the same version is a no-op.
    raw(
        &store,
        &format!(
            "UPDATE modelgate_schema SET version = {}",
            modelgate_store::SCHEMA_VERSION
        ),
    )
    .await;
    Store::open(&db.url, keys()).await.unwrap().close().await;
    store.close().await;
    db.drop_db().await;
}

common::conformance!(untrusted_key_is_refused, newer_schema_is_refused,);
