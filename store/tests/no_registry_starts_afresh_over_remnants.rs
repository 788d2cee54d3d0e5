//! No registry starts afresh over what is left of one deleted in part: with its sealed index
//! and its members' models rows deleted but their event rows (or the log of heads) left,
//! `load_registry_or_new` (and so `transact`) refuses (`LoadRegistryError::Remnants`) instead
//! of sealing a fresh index over the leftovers. Found by an independent attacker; failed
//! before the fix.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::production_registry::{NAME, book, submitted};
use common::{Backend, TestDb};
use modelgate::AnyModel;
use modelgate::registry::RegistryError;
use modelgate::value::Refused;
use modelgate_store::{Retry, Store};
use sqlx::Row;

async fn add(store: &Store, version: &str, at: u64) -> Result<(), String> {
    store
        .transact(NAME, &book(), &Retry::default(), |registry| {
            registry.put(submitted(NAME, version, 0.95, at))?;
            Ok::<_, Refused<AnyModel, RegistryError>>(())
        })
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn a_registry_deleted_in_part_is_not_started_afresh(b: Backend) {
    if b == Backend::Postgres {
        return; // the PRAGMA below is SQLite's
    }
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    add(&store, "1", 10).await.unwrap();
    add(&store, "2", 11).await.unwrap();

    // The attacker, on their own connection with foreign keys off, deletes the index and the
    // members' models rows; the members' events (and the log of heads) stay.
    {
        let mut conn = store.pool().acquire().await.unwrap();
        for sql in [
            "PRAGMA foreign_keys = OFF",
            "DELETE FROM modelgate_registries WHERE name = 'churn'",
            "DELETE FROM modelgate_models WHERE name = 'churn'",
            "PRAGMA foreign_keys = ON",
        ] {
            sqlx::query(sql).execute(&mut *conn).await.unwrap();
        }
    }
    let left: i64 = sqlx::query("SELECT COUNT(*) FROM modelgate_events WHERE name = 'churn'")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(left, 2, "the members' events are still stored");

    let loaded = store
        .load_registry_or_new(NAME, &book())
        .await
        .map(|r| r.members().count());
    assert!(
        matches!(
            &loaded,
            Err(modelgate_store::LoadRegistryError::Remnants { rows, .. }) if *rows >= 2
        ),
        "{loaded:?}"
    );
    // And transact writes a fresh, sealed index over it.
    let fresh = add(&store, "3", 12).await;
    assert!(
        loaded.is_err() && fresh.is_err(),
        "a registry whose members' events are still stored loaded as never stored \
         ({loaded:?} members), and transact sealed a fresh registry over the leftovers ({fresh:?})"
    );
    store.close().await;
    db.drop_db().await;
}

common::conformance!(a_registry_deleted_in_part_is_not_started_afresh);
