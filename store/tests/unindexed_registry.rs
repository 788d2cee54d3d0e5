//! Promise: a registry whose sealed index is missing never reaches an approval. Its absence
//! may be an attacker's deletion (with a member's rows, the champion's), so every route that
//! reads or writes a registry refuses members no sealed index vouches for: `load_registry`,
//! `members`, `save_registry`, and `append` / `record_vote` to a member. The one write that
//! seals an index over unvouched rows is the explicit, one-time
//! `Store::adopt_unindexed_registry`, which trusts the stored rows (as these tests show). On
//! SQLite (memory and file) and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use modelgate::{AnyModel, Receipt, Registry, Review};
use modelgate_store::{
    AdoptRegistryError, AppendError, LoadRegistryError, MembershipError, Retry, SaveRegistryError,
    Store, VoteError,
};
use sqlx::Row;

use common::production_registry::{NAME, book, key, policy, production, submitted};
use common::{Backend, TestDb, raw, t};

/// Version 1 (accuracy 0.9) approved and deployed: the champion; version 2 (0.5) submitted.
/// Saved by the host (with its sealed index).
async fn releases(store: &Store) -> Registry {
    let env = production();
    let mut registry = Registry::new(NAME).unwrap();
    registry.put(submitted(NAME, "1", 0.9, 1)).unwrap();
    assert!(
        registry
            .decide(&env, "1", &policy(), t(2))
            .unwrap()
            .is_approved()
    );
    let AnyModel::Approved(one) = registry.take(&env, "1").unwrap() else {
        panic!("1 is approved")
    };
    registry
        .deploy(one, Receipt::new("prod/1"), "ci", t(3))
        .unwrap();
    registry.put(submitted(NAME, "2", 0.5, 4)).unwrap();
    store.save_registry(&registry).await.unwrap();
    registry
}

async fn delete_index(store: &Store) {
    raw(
        store,
        "DELETE FROM modelgate_registries WHERE name = 'churn'",
    )
    .await;
}

async fn delete_member(store: &Store, version: &str) {
    for table in [
        "modelgate_events",
        "modelgate_approvers",
        "modelgate_models",
    ] {
        raw(
            store,
            &format!("DELETE FROM {table} WHERE name = '{NAME}' AND version = '{version}'"),
        )
        .await;
    }
}

/// Every row of the three tables a registry lives in, as text, in a stable order.
async fn all_rows(store: &Store) -> Vec<String> {
    let mut out = Vec::new();
    for (table, order) in [
        ("modelgate_models", "name, version, environment"),
        ("modelgate_events", "name, version, environment, seq"),
        ("modelgate_registries", "name"),
    ] {
        let sql = format!("SELECT * FROM {table} ORDER BY {order}");
        for row in sqlx::query(&sql).fetch_all(store.pool()).await.unwrap() {
            let mut cells = vec![table.to_owned()];
            for i in 0..row.len() {
                let text: Option<String> = row.try_get(i).ok().flatten();
                let int: Option<i64> = row.try_get(i).ok().flatten();
                cells.push(format!("{text:?}/{int:?}"));
            }
            out.push(cells.join("|"));
        }
    }
    out
}

fn unindexed(error: &MembershipError) -> bool {
    matches!(error, MembershipError::Unindexed { name } if name == NAME)
}

/// The attack: the index row and every row of the champion deleted, with no key. No route
/// rebuilds, lists as verified, writes to, or reseals the registry; nothing is written; the
/// 0.5 version is never approved (there is no registry to decide it in).
async fn deleting_the_index_and_the_champion_never_reaches_an_approval(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let registry = releases(&store).await;
    let env = production();
    let mut honest = store.load_registry(NAME, &book()).await.unwrap();
    assert!(
        !honest
            .decide(&env, "2", &policy(), t(5))
            .unwrap()
            .is_approved()
    );

    delete_index(&store).await;
    delete_member(&store, "1").await;
    let before = all_rows(&store).await;

    let err = store.load_registry(NAME, &book()).await.unwrap_err();
    assert!(
        matches!(&err, LoadRegistryError::Unindexed { name } if name == NAME),
        "{err}"
    );
    // The old documented remedy started here: `members` no longer lists them as verified.
    let err = store.members(NAME).await.unwrap_err();
    assert!(
        matches!(&err, LoadRegistryError::Unindexed { name } if name == NAME),
        "{err}"
    );
    // A save of the host's own registry, or of one without the champion, seals nothing.
    let err = store.save_registry(&registry).await.unwrap_err();
    assert!(
        matches!(&err, SaveRegistryError::Membership(e) if unindexed(e)),
        "{err}"
    );
    let mut without_champion = Registry::new(NAME).unwrap();
    without_champion.put(submitted(NAME, "2", 0.5, 4)).unwrap();
    let err = store.save_registry(&without_champion).await.unwrap_err();
    assert!(
        matches!(&err, SaveRegistryError::Membership(e) if unindexed(e)),
        "{err}"
    );
    // A vote on the 0.5 version: refused, no index written.
    let vote = Review::approve("carol", "sha256:2", t(6));
    let err = store
        .record_vote(&key("2"), &policy(), &vote, &Retry::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, VoteError::Append(AppendError::Membership { key: k, error })
            if *k == key("2") && unindexed(error)),
        "{err}"
    );
    assert_eq!(all_rows(&store).await, before, "nothing written or sealed");
    assert!(matches!(
        store.load_registry(NAME, &book()).await,
        Err(LoadRegistryError::Unindexed { .. })
    ));
    store.close().await;
    db.drop_db().await;
}

/// With the index row deleted (no member touched), a plain `append` to a member is refused,
/// naming the registry, and writes nothing (no event, no index).
async fn an_append_to_a_member_without_an_index_is_refused_and_writes_nothing(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let mut registry = releases(&store).await;
    delete_index(&store).await;
    let before = all_rows(&store).await;
    let head = store.load(&key("2")).await.unwrap().head;
    registry
        .decide(&production(), "2", &policy(), t(6))
        .unwrap();
    let two = registry.get(&production(), "2").unwrap();
    let err = store.append(head, two).await.unwrap_err();
    assert!(
        matches!(&err, AppendError::Membership { key: k, error } if *k == key("2") && unindexed(error)),
        "{err}"
    );
    insta::assert_snapshot!("append_unindexed", err.to_string());
    assert_eq!(all_rows(&store).await, before);
    store.close().await;
    db.drop_db().await;
}

/// With the index row deleted, a save of the host's registry (even the very one stored) is
/// refused naming the registry; nothing is written, no index created.
async fn a_save_over_members_without_an_index_is_refused_naming_the_registry(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let registry = releases(&store).await;
    delete_index(&store).await;
    let before = all_rows(&store).await;
    let err = store.save_registry(&registry).await.unwrap_err();
    assert!(
        matches!(&err, SaveRegistryError::Membership(e) if unindexed(e)),
        "{err}"
    );
    insta::assert_snapshot!("save_unindexed", err.to_string());
    assert_eq!(all_rows(&store).await, before);
    store.close().await;
    db.drop_db().await;
}

/// A genuine registry stored without an index (as before schema version 2) is adopted once:
/// the members verified and restored under the book, an index sealed over exactly them; then
/// it loads, saves and takes votes as any registry. A second adoption is refused.
async fn adopting_a_genuine_pre_v2_registry_seals_its_index_once(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let registry = releases(&store).await;
    delete_index(&store).await;
    let adopted = store.adopt_unindexed_registry(NAME, &book()).await.unwrap();
    assert!(adopted == registry);
    assert!(store.load_registry(NAME, &book()).await.unwrap() == registry);
    assert_eq!(store.members(NAME).await.unwrap().len(), 2);
    let vote = Review::approve("carol", "sha256:2", t(6));
    store
        .record_vote(&key("2"), &policy(), &vote, &Retry::default())
        .await
        .unwrap();
    let err = store
        .adopt_unindexed_registry(NAME, &book())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AdoptRegistryError::Indexed { name } if name == NAME),
        "{err}"
    );
    insta::assert_snapshot!("adopt_indexed", err.to_string());
    store.close().await;
    db.drop_db().await;
}

/// What adoption trusts, stated as a test: that the stored members are all the registry's
/// members. A member whose rows were deleted whole before the adoption is not seen (no sealed
/// index said it existed); every member's own rows are still checked (an edited one refuses
/// the adoption, naming it) and the books are checked across members.
async fn adoption_trusts_which_members_are_stored_and_checks_each(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    releases(&store).await;
    delete_index(&store).await;
    // Each member's rows are checked: a head edited without the key refuses the adoption.
    raw(
        &store,
        "UPDATE modelgate_models SET head = (SELECT head FROM modelgate_models
            WHERE name = 'churn' AND version = '2')
         WHERE name = 'churn' AND version = '1'",
    )
    .await;
    let before = all_rows(&store).await;
    let err = store
        .adopt_unindexed_registry(NAME, &book())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AdoptRegistryError::Load(LoadRegistryError::Member { error }) if *error.key() == key("1")),
        "{err}"
    );
    assert_eq!(all_rows(&store).await, before, "nothing written");
    // Which members there are is trusted: the champion deleted whole is not seen.
    delete_member(&store, "1").await;
    let adopted = store.adopt_unindexed_registry(NAME, &book()).await.unwrap();
    assert_eq!(adopted.members().count(), 1);
    assert!(
        adopted.current(&production()).is_none(),
        "adopted without its champion"
    );
    store.close().await;
    db.drop_db().await;
}

common::conformance!(
    deleting_the_index_and_the_champion_never_reaches_an_approval,
    an_append_to_a_member_without_an_index_is_refused_and_writes_nothing,
    a_save_over_members_without_an_index_is_refused_naming_the_registry,
    adopting_a_genuine_pre_v2_registry_seals_its_index_once,
    adoption_trusts_which_members_are_stored_and_checks_each,
);
