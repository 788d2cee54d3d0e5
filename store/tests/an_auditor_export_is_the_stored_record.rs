//! Promise: `Store::export_registry` hands an auditor the registry's whole record exactly as
//! the host sealed it (the core's stored form, index seal included), which reads back from
//! JSON Lines and CSV and restores under the host's key and policies; a record whose rows were
//! changed without the key is not exported. On SQLite (memory and file) and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use modelgate::registry::export::Format;
use modelgate::{AnyModel, Receipt, Registry, Review};
use modelgate_store::{LoadRegistryError, MembershipError};

use common::production_registry::{NAME, book, policy, production, submitted};
use common::{Backend, TestDb, hmac, raw, t};

/// Version 1 approved by bob and deployed, version 2 submitted; saved after each move.
async fn saved(store: &modelgate_store::Store) -> Registry {
    let env = production();
    let mut registry = Registry::new(NAME).unwrap();
    registry.put(submitted(NAME, "1", 0.9, 1)).unwrap();
    registry
        .record(
            &env,
            "1",
            Review::approve("bob", "sha256:1", t(2)).with_comment("=1+1"),
        )
        .unwrap();
    registry.decide(&env, "1", &policy(), t(3)).unwrap();
    store.save_registry(&registry).await.unwrap();
    let AnyModel::Approved(approved) = registry.take(&env, "1").unwrap() else {
        panic!("approved")
    };
    registry
        .deploy(approved, Receipt::new("r/1"), "ci", t(4))
        .unwrap();
    registry.put(submitted(NAME, "2", 0.95, 5)).unwrap();
    store.save_registry(&registry).await.unwrap();
    registry
}

async fn the_export_is_the_record_the_host_sealed(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let registry = saved(&store).await;
    let exported = store.export_registry(NAME).await.unwrap();
    assert_eq!(exported, registry.sealed_by(&hmac()).unwrap());
    for format in [Format::JsonLines, Format::Csv] {
        let back = format.read(&format.write(&exported)).unwrap();
        assert_eq!(back, exported, "{format:?}");
        let restored = back.restore(&hmac(), &book()).unwrap();
        assert_eq!(restored.members().count(), 2);
    }
    db.drop_db().await;
}

async fn no_registry_no_export(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    assert!(matches!(
        store.export_registry(NAME).await,
        Err(LoadRegistryError::NotFound { .. })
    ));
    db.drop_db().await;
}

async fn a_member_deleted_without_the_key_is_not_exported(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    saved(&store).await;
    raw(&store, "DELETE FROM modelgate_events WHERE version = '2'").await;
    raw(&store, "DELETE FROM modelgate_models WHERE version = '2'").await;
    let refused = store.export_registry(NAME).await.unwrap_err();
    assert!(
        matches!(
            refused,
            LoadRegistryError::Membership(MembershipError::Missing { .. })
        ),
        "{refused}"
    );
    db.drop_db().await;
}

common::conformance!(
    the_export_is_the_record_the_host_sealed,
    no_registry_no_export,
    a_member_deleted_without_the_key_is_not_exported,
);
