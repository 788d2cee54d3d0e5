//! `load_registry_anchored`: a member covered by the held checkpoint
//! cannot be taken out of the registry. The attacker puts back the registry's older index (the
//! host sealed it) and re-kinds the newer member's models row to `model` (the kind is not
//! sealed; the row, its events and its seal are untouched, so its head is still the log's
//! latest for it).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::log::hold;

use common::production_registry::{NAME, book, submitted};
use common::{Backend, TestDb, raw};
use modelgate::Registry;
use sqlx::Row;

async fn a_logged_member_hidden_from_its_registry_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let mut registry = Registry::new(NAME).unwrap();
    registry.put(submitted(NAME, "1", 0.9, 1)).unwrap();
    store.save_registry(&registry).await.unwrap();
    let older = sqlx::query("SELECT revision, members, seal FROM modelgate_registries")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let older: (i64, String, String) = (older.get(0), older.get(1), older.get(2));
    registry.put(submitted(NAME, "2", 0.95, 4)).unwrap();
    store.save_registry(&registry).await.unwrap();
    let held = hold(&store).await;
    assert_eq!(held.size(), 4); // two members and two versions of the index
    let loaded = store
        .load_registry_anchored(NAME, &book(), &held)
        .await
        .unwrap();
    assert_eq!(loaded.members().count(), 2);
    // The attack: the older sealed index back, version 2 no longer a member.
    sqlx::query("UPDATE modelgate_registries SET revision = $1, members = $2, seal = $3")
        .bind(older.0)
        .bind(&older.1)
        .bind(&older.2)
        .execute(store.pool())
        .await
        .unwrap();
    raw(
        &store,
        "UPDATE modelgate_models SET kind = 'model' WHERE version = '2'",
    )
    .await;
    let result = store.load_registry_anchored(NAME, &book(), &held).await;
    let verified = store.verify_log(&held).await;
    // The older sealed index is a rollback of the index the log holds.
    insta::assert_snapshot!(
        "hidden_member",
        format!(
            "{}\n{}",
            result
                .as_ref()
                .err()
                .map(ToString::to_string)
                .unwrap_or_default(),
            verified
                .as_ref()
                .err()
                .map(ToString::to_string)
                .unwrap_or_default()
        )
    );
    assert!(
        result.is_err(),
        "load_registry_anchored accepted `{NAME}` without version 2, a member whose leaf the \
         held checkpoint covers: {} member(s) loaded; verify_log: {verified:?}",
        result.as_ref().map(|r| r.members().count()).unwrap_or(0)
    );
    store.close().await;
    db.drop_db().await;
}

common::conformance!(a_logged_member_hidden_from_its_registry_is_refused);
