//! Promise: a stored registry cannot lose, gain, re-kind or roll back a member without the
//! host's key. Its membership is sealed in `modelgate_registries` (the core's index head over
//! every member's environment, version and head); every load, save and member append checks
//! the rows against it, naming the member. Each attack forges the rows consistently (every
//! copy edited so that they still agree) on SQLite (memory and file) and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use modelgate::{AnyModel, HmacSealer, Receipt, Registry, Review, StoredModel};
use modelgate_store::{
    AppendError, Keys, LoadError, LoadRegistryError, MembershipError, Retry, SaveRegistryError,
    Store,
};
use sqlx::Row;

use common::production_registry::{NAME, book, key, policy, production, submitted};
use common::{Backend, TestDb, raw, t};

/// The registry `name` with version 1 (accuracy 0.9) approved at 2 and saved, then deployed
/// at 3 (production's current deployment, the champion) and version 2 (accuracy 0.5)
/// submitted at 4, saved again.
struct Fixture {
    db: TestDb,
    store: Store,
    registry: Registry,
    /// Version 1's models row as the first save left it (approved): `(head, revision, seal,
    /// status, last_action, updated_at)`, really sealed by the host.
    older: (String, i64, String, String, String, i64),
    /// The index row as the first save left it: `(revision, members, seal)`.
    older_index: (i64, String, String),
}

async fn fixture(b: Backend) -> Option<Fixture> {
    let db = TestDb::new(b).await?;
    let store = db.open().await;
    let registry = releases(&store, NAME).await;
    let older = older_rows(&store).await;
    Some(Fixture {
        db,
        store,
        registry,
        older: older.0,
        older_index: older.1,
    })
}

/// Saves the two releases of `name` in `store`; between the two saves, keeps version 1's row
/// and the index as they were (see [`older_rows`]).
async fn releases(store: &Store, name: &str) -> Registry {
    let env = production();
    let mut registry = Registry::new(name).unwrap();
    registry.put(submitted(name, "1", 0.9, 1)).unwrap();
    assert!(
        registry
            .decide(&env, "1", &policy(), t(2))
            .unwrap()
            .is_approved()
    );
    store.save_registry(&registry).await.unwrap();
    copy_older(store, name).await;
    let AnyModel::Approved(one) = registry.take(&env, "1").unwrap() else {
        panic!("1 is approved")
    };
    registry
        .deploy(one, Receipt::new("prod/1"), "ci", t(3))
        .unwrap();
    registry.put(submitted(name, "2", 0.5, 4)).unwrap();
    store.save_registry(&registry).await.unwrap();
    registry
}

/// Keeps (in a side table) version 1's models row and the index row of `name` as they are.
async fn copy_older(store: &Store, name: &str) {
    raw(
        store,
        "CREATE TABLE IF NOT EXISTS attacker_models AS SELECT * FROM modelgate_models WHERE 1 = 0",
    )
    .await;
    raw(
        store,
        "CREATE TABLE IF NOT EXISTS attacker_index AS SELECT * FROM modelgate_registries WHERE 1 = 0",
    )
    .await;
    raw(
        store,
        &format!(
            "INSERT INTO attacker_models SELECT * FROM modelgate_models
             WHERE name = '{name}' AND version = '1'"
        ),
    )
    .await;
    raw(
        store,
        &format!(
            "INSERT INTO attacker_index SELECT * FROM modelgate_registries WHERE name = '{name}'"
        ),
    )
    .await;
}

type OlderRows = (
    (String, i64, String, String, String, i64),
    (i64, String, String),
);

async fn older_rows(store: &Store) -> OlderRows {
    let row = sqlx::query(
        "SELECT head, revision, seal, status, last_action, updated_at FROM attacker_models
         WHERE name = $1",
    )
    .bind(NAME)
    .fetch_one(store.pool())
    .await
    .unwrap();
    let index = sqlx::query("SELECT revision, members, seal FROM attacker_index WHERE name = $1")
        .bind(NAME)
        .fetch_one(store.pool())
        .await
        .unwrap();
    (
        (
            row.get(0),
            row.get(1),
            row.get(2),
            row.get(3),
            row.get(4),
            row.get(5),
        ),
        (index.get(0), index.get(1), index.get(2)),
    )
}

/// Every row of the registry's name and its index, as text: what a refused write leaves.
async fn all_rows(store: &Store) -> Vec<String> {
    let mut out = Vec::new();
    for row in sqlx::query(
        "SELECT environment, version, revision, head, seal, kind FROM modelgate_models
         WHERE name = $1 ORDER BY environment, version",
    )
    .bind(NAME)
    .fetch_all(store.pool())
    .await
    .unwrap()
    {
        let (e, v, r, h, s, k): (String, String, i64, String, String, String) = (
            row.get(0),
            row.get(1),
            row.get(2),
            row.get(3),
            row.get(4),
            row.get(5),
        );
        out.push(format!("{e} {v} {r} {h} {s} {k}"));
    }
    for row in sqlx::query(
        "SELECT environment, version, seq, hash FROM modelgate_events WHERE name = $1
         ORDER BY environment, version, seq",
    )
    .bind(NAME)
    .fetch_all(store.pool())
    .await
    .unwrap()
    {
        let (e, v, s, h): (String, String, i64, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        out.push(format!("{e} {v} {s} {h}"));
    }
    for row in sqlx::query("SELECT revision, members, seal FROM modelgate_registries")
        .fetch_all(store.pool())
        .await
        .unwrap()
    {
        let (r, m, s): (i64, String, String) = (row.get(0), row.get(1), row.get(2));
        out.push(format!("index {r} {m} {s}"));
    }
    out
}

/// Deletes every row of `version` of the registry: its events, its approvers, its models row.
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

/// Moves every row of version 1 to `environment` and `version`, consistently (copies, then
/// deletes the originals).
async fn rename_member(store: &Store, environment: &str, version: &str) {
    raw(
        store,
        &format!(
            "INSERT INTO modelgate_models (name, version, environment, approval_validity_ms,
                revision, head, seal, status, kind, last_action, updated_at, submitted_seq,
                deployed_at, approvers_seal)
             SELECT name, '{version}', '{environment}', approval_validity_ms, revision, head,
                seal, status, kind, last_action, updated_at, submitted_seq, deployed_at,
                approvers_seal
             FROM modelgate_models WHERE name = '{NAME}' AND version = '1'"
        ),
    )
    .await;
    raw(
        store,
        &format!(
            "INSERT INTO modelgate_events (name, version, environment, seq, at, prev, hash,
                action, actor, event)
             SELECT name, '{version}', '{environment}', seq, at, prev, hash, action, actor, event
             FROM modelgate_events WHERE name = '{NAME}' AND version = '1'"
        ),
    )
    .await;
    delete_member(store, "1").await;
}

async fn refused(store: &Store) -> LoadRegistryError {
    match store.load_registry(NAME, &book()).await {
        Ok(registry) => panic!(
            "a tampered registry loaded: current {:?}",
            registry
                .current(&production())
                .map(|m| m.version().to_owned())
        ),
        Err(err) => err,
    }
}

fn membership(err: &LoadRegistryError) -> &MembershipError {
    match err {
        LoadRegistryError::Membership(error) => error,
        other => panic!("expected a membership error, got: {other}"),
    }
}

/// The attack on main: production's current deployment (the champion, 0.9) deleted from the
/// database — or only re-kinded to `model` — left a registry with no champion, where version
/// 2 at 0.5 is approved under `NoRegression`. The untampered registry rejects it; the
/// tampered one does not load, naming the member it lost.
async fn a_registry_missing_its_champion_does_not_approve_a_regression(b: Backend) {
    let Some(f) = fixture(b).await else { return };
    let env = production();
    // Untampered: loaded, 2 is rejected against the champion.
    let mut loaded = f.store.load_registry(NAME, &book()).await.unwrap();
    assert!(loaded == f.registry);
    assert!(
        !loaded
            .decide(&env, "2", &policy(), t(5))
            .unwrap()
            .is_approved()
    );
    // The attack is real: without 1, the core's books approve 2.
    let members = f.store.members(NAME).await.unwrap();
    let two: Vec<StoredModel> = members
        .into_iter()
        .map(|l| l.model)
        .filter(|m| m.version() == "2")
        .collect();
    let mut without_champion =
        Registry::restore_members(NAME, two, &common::hmac(), &book()).unwrap();
    assert!(
        without_champion
            .decide(&env, "2", &policy(), t(5))
            .unwrap()
            .is_approved()
    );
    // Re-kinded: refused, naming 1.
    raw(
        &f.store,
        "UPDATE modelgate_models SET kind = 'model' WHERE name = 'churn' AND version = '1'",
    )
    .await;
    let err = refused(&f.store).await;
    assert!(
        matches!(membership(&err), MembershipError::Rekinded { key: k, kind } if *k == key("1") && kind == "model"),
        "{err}"
    );
    insta::assert_snapshot!("rekinded_member", err.to_string());
    // Deleted: refused, naming 1.
    delete_member(&f.store, "1").await;
    let err = refused(&f.store).await;
    assert!(
        matches!(membership(&err), MembershipError::Missing { key: k } if *k == key("1")),
        "{err}"
    );
    insta::assert_snapshot!("missing_member", err.to_string());
    f.store.close().await;
    f.db.drop_db().await;
}

/// Re-kinded to a run: refused too, naming the member.
async fn a_member_rekinded_to_a_run_is_refused_naming_it(b: Backend) {
    let Some(f) = fixture(b).await else { return };
    raw(
        &f.store,
        "UPDATE modelgate_models SET kind = 'run' WHERE name = 'churn' AND version = '2'",
    )
    .await;
    let err = refused(&f.store).await;
    assert!(
        matches!(membership(&err), MembershipError::Rekinded { key: k, kind } if *k == key("2") && kind == "run"),
        "{err}"
    );
    f.store.close().await;
    f.db.drop_db().await;
}

/// Each index column of a member's models row edited (head, revision), or the member's rows
/// renamed consistently to another environment or version: refused, naming the member.
async fn a_member_index_column_edited_is_refused_naming_it(b: Backend) {
    // head: another member's.
    let Some(f) = fixture(b).await else { return };
    raw(
        &f.store,
        "UPDATE modelgate_models SET head = (SELECT head FROM modelgate_models
             WHERE name = 'churn' AND version = '2')
         WHERE name = 'churn' AND version = '1'",
    )
    .await;
    let err = refused(&f.store).await;
    assert!(
        matches!(membership(&err), MembershipError::Stale { key: k, .. } if *k == key("1")),
        "{err}"
    );
    f.store.close().await;
    f.db.drop_db().await;

    // revision: one less.
    let Some(f) = fixture(b).await else { return };
    raw(
        &f.store,
        "UPDATE modelgate_models SET revision = revision - 1 WHERE name = 'churn' AND version = '1'",
    )
    .await;
    let err = refused(&f.store).await;
    assert!(
        matches!(&err, LoadRegistryError::Member { error: LoadError::TrailTooLong { key: k, .. } } if *k == key("1")),
        "{err}"
    );
    f.store.close().await;
    f.db.drop_db().await;

    // environment and version: every row moved.
    for (environment, version) in [("staging", "1"), ("production", "7")] {
        let Some(f) = fixture(b).await else { return };
        rename_member(&f.store, environment, version).await;
        let err = refused(&f.store).await;
        assert!(
            matches!(membership(&err), MembershipError::Missing { key: k } if *k == key("1")),
            "{environment} {version}: {err}"
        );
        f.store.close().await;
        f.db.drop_db().await;
    }
}

/// Version 1 put back to its older sealed copy (approved, before its deployment), its rows
/// consistent: later events deleted, head, revision, seal and index columns rolled back. Each
/// check of the member alone passes; the index refuses it, naming it.
async fn a_member_put_back_to_an_older_sealed_copy_is_refused_naming_it(b: Backend) {
    let Some(f) = fixture(b).await else { return };
    let (head, revision, seal, status, last_action, updated_at) = f.older.clone();
    raw(
        &f.store,
        &format!(
            "DELETE FROM modelgate_events WHERE name = 'churn' AND version = '1' AND seq > {revision}"
        ),
    )
    .await;
    raw(
        &f.store,
        &format!(
            "UPDATE modelgate_models SET head = '{head}', revision = {revision}, seal = '{seal}',
                status = '{status}', last_action = '{last_action}', updated_at = {updated_at},
                deployed_at = NULL
             WHERE name = 'churn' AND version = '1'"
        ),
    )
    .await;
    let loaded = f.store.load(&key("1")).await.unwrap();
    assert_eq!(
        loaded.model.head().to_string(),
        head,
        "the member verifies alone"
    );
    let err = refused(&f.store).await;
    assert!(
        matches!(membership(&err), MembershipError::Stale { key: k, head: h, .. } if *k == key("1") && *h == head),
        "{err}"
    );
    insta::assert_snapshot!("stale_member", err.to_string());
    f.store.close().await;
    f.db.drop_db().await;
}

/// An extra member sealed by the same key: a model stored one by one under the registry's
/// name, re-kinded to `member`; and a member of another registry of the same name (another
/// database, the same key), its rows copied in. Refused, naming it.
async fn an_extra_member_sealed_by_the_same_key_is_refused_naming_it(b: Backend) {
    let Some(f) = fixture(b).await else { return };
    f.store
        .create(&submitted(NAME, "9", 0.99, 5))
        .await
        .unwrap();
    assert!(f.store.load_registry(NAME, &book()).await.is_ok());
    raw(
        &f.store,
        "UPDATE modelgate_models SET kind = 'member' WHERE name = 'churn' AND version = '9'",
    )
    .await;
    let err = refused(&f.store).await;
    assert!(
        matches!(membership(&err), MembershipError::Extra { key: k } if *k == key("9")),
        "{err}"
    );
    insta::assert_snapshot!("extra_member", err.to_string());
    f.store.close().await;
    f.db.drop_db().await;

    let Some(f) = fixture(b).await else { return };
    let Some(other_db) = TestDb::new(b).await else {
        return;
    };
    let other = other_db.open().await;
    let mut sibling = Registry::new(NAME).unwrap();
    sibling.put(submitted(NAME, "3", 0.99, 1)).unwrap();
    other.save_registry(&sibling).await.unwrap();
    copy_rows(&other, &f.store, "3").await;
    let err = refused(&f.store).await;
    assert!(
        matches!(membership(&err), MembershipError::Extra { key: k } if *k == key("3")),
        "{err}"
    );
    other.close().await;
    other_db.drop_db().await;
    f.store.close().await;
    f.db.drop_db().await;
}

/// Copies the models row and the events of `version` of the registry from one database to
/// another, as they are.
async fn copy_rows(from: &Store, to: &Store, version: &str) {
    let row = sqlx::query(
        "SELECT environment, revision, head, seal, status, kind, last_action, updated_at,
            submitted_seq FROM modelgate_models WHERE name = $1 AND version = $2",
    )
    .bind(NAME)
    .bind(version)
    .fetch_one(from.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO modelgate_models (name, version, environment, revision, head, seal, status,
            kind, last_action, updated_at, submitted_seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(NAME)
    .bind(version)
    .bind(row.get::<String, _>(0))
    .bind(row.get::<i64, _>(1))
    .bind(row.get::<String, _>(2))
    .bind(row.get::<String, _>(3))
    .bind(row.get::<String, _>(4))
    .bind(row.get::<String, _>(5))
    .bind(row.get::<Option<String>, _>(6))
    .bind(row.get::<Option<i64>, _>(7))
    .bind(row.get::<Option<i64>, _>(8))
    .execute(to.pool())
    .await
    .unwrap();
    for event in sqlx::query(
        "SELECT environment, seq, at, prev, hash, action, actor, event FROM modelgate_events
         WHERE name = $1 AND version = $2 ORDER BY seq",
    )
    .bind(NAME)
    .bind(version)
    .fetch_all(from.pool())
    .await
    .unwrap()
    {
        sqlx::query(
            "INSERT INTO modelgate_events (name, version, environment, seq, at, prev, hash,
                action, actor, event)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(NAME)
        .bind(version)
        .bind(event.get::<String, _>(0))
        .bind(event.get::<i64, _>(1))
        .bind(event.get::<i64, _>(2))
        .bind(event.get::<String, _>(3))
        .bind(event.get::<String, _>(4))
        .bind(event.get::<String, _>(5))
        .bind(event.get::<Option<String>, _>(6))
        .bind(event.get::<String, _>(7))
        .execute(to.pool())
        .await
        .unwrap();
    }
}

/// The index as the first save left it, put back alone (a seal the host really made): the
/// members are not at the heads it holds; refused, naming the first that differs.
async fn an_older_index_replayed_is_refused_naming_the_member(b: Backend) {
    let Some(f) = fixture(b).await else { return };
    let (revision, members, seal) = f.older_index.clone();
    raw(
        &f.store,
        &format!(
            "UPDATE modelgate_registries SET revision = {revision}, members = '{members}',
                seal = '{seal}' WHERE name = 'churn'"
        ),
    )
    .await;
    let err = refused(&f.store).await;
    assert!(
        matches!(membership(&err), MembershipError::Stale { key: k, .. } if *k == key("1")),
        "{err}"
    );
    // With 1 put back too (its older sealed copy), 2 is the one the older index lacks.
    let (head, rev, mseal, status, last_action, updated_at) = f.older.clone();
    raw(
        &f.store,
        &format!(
            "DELETE FROM modelgate_events WHERE name = 'churn' AND version = '1' AND seq > {rev}"
        ),
    )
    .await;
    raw(
        &f.store,
        &format!(
            "UPDATE modelgate_models SET head = '{head}', revision = {rev}, seal = '{mseal}',
                status = '{status}', last_action = '{last_action}', updated_at = {updated_at},
                deployed_at = NULL
             WHERE name = 'churn' AND version = '1'"
        ),
    )
    .await;
    let err = refused(&f.store).await;
    assert!(
        matches!(membership(&err), MembershipError::Extra { key: k } if *k == key("2")),
        "{err}"
    );
    f.store.close().await;
    f.db.drop_db().await;
}

/// What no load can see, as the README says: the whole registry put back together (the older
/// index, and every member's rows as that index holds them) is a state the host sealed. It
/// loads, as that older registry. Only a head kept outside the database detects it.
async fn a_whole_registry_put_back_with_its_index_is_not_detectable_without_an_anchor(b: Backend) {
    let Some(f) = fixture(b).await else { return };
    let (revision, members, seal) = f.older_index.clone();
    let (head, rev, mseal, status, last_action, updated_at) = f.older.clone();
    delete_member(&f.store, "2").await;
    raw(
        &f.store,
        &format!(
            "DELETE FROM modelgate_events WHERE name = 'churn' AND version = '1' AND seq > {rev}"
        ),
    )
    .await;
    raw(
        &f.store,
        &format!(
            "UPDATE modelgate_models SET head = '{head}', revision = {rev}, seal = '{mseal}',
                status = '{status}', last_action = '{last_action}', updated_at = {updated_at},
                deployed_at = NULL
             WHERE name = 'churn' AND version = '1'"
        ),
    )
    .await;
    raw(
        &f.store,
        &format!(
            "UPDATE modelgate_registries SET revision = {revision}, members = '{members}',
                seal = '{seal}' WHERE name = 'churn'"
        ),
    )
    .await;
    let loaded = f.store.load_registry(NAME, &book()).await.unwrap();
    assert_eq!(loaded.members().count(), 1);
    assert_eq!(loaded.current(&production()).map(|m| m.version()), None);
    f.store.close().await;
    f.db.drop_db().await;
}

/// The index itself forged without the key: an entry dropped, entries reordered, another
/// registry's index (the same key, another name), an index sealed by another key, the index
/// row deleted. Each refused.
async fn a_forged_index_is_refused(b: Backend) {
    let Some(f) = fixture(b).await else { return };
    let original: (String, String) = {
        let row = sqlx::query("SELECT members, seal FROM modelgate_registries WHERE name = $1")
            .bind(NAME)
            .fetch_one(f.store.pool())
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    let entries: Vec<(String, String, String)> = serde_json::from_str(&original.0).unwrap();
    assert_eq!(entries.len(), 2);
    let set_members = |members: String| {
        let store = f.store.clone();
        async move {
            sqlx::query("UPDATE modelgate_registries SET members = $1 WHERE name = $2")
                .bind(members)
                .bind(NAME)
                .execute(store.pool())
                .await
                .unwrap();
        }
    };
    // An entry dropped (and its member's rows with it): the seal does not verify.
    set_members(serde_json::to_string(&entries[1..]).unwrap()).await;
    delete_member(&f.store, "1").await;
    let err = refused(&f.store).await;
    assert!(
        matches!(membership(&err), MembershipError::Seal { name, .. } if name == NAME),
        "{err}"
    );
    insta::assert_snapshot!("forged_index", err.to_string());
    f.store.close().await;
    f.db.drop_db().await;

    let Some(f) = fixture(b).await else { return };
    let row = sqlx::query("SELECT members FROM modelgate_registries WHERE name = $1")
        .bind(NAME)
        .fetch_one(f.store.pool())
        .await
        .unwrap();
    let mut entries: Vec<(String, String, String)> =
        serde_json::from_str(&row.get::<String, _>(0)).unwrap();
    entries.reverse();
    sqlx::query("UPDATE modelgate_registries SET members = $1 WHERE name = $2")
        .bind(serde_json::to_string(&entries).unwrap())
        .bind(NAME)
        .execute(f.store.pool())
        .await
        .unwrap();
    let err = refused(&f.store).await;
    assert!(
        matches!(membership(&err), MembershipError::Unreadable { .. }),
        "{err}"
    );

    // Another registry's index, sealed by the same key: its name is in what the seal covers.
    let mut fraud = Registry::new("fraud").unwrap();
    fraud.put(submitted("fraud", "1", 0.9, 1)).unwrap();
    f.store.save_registry(&fraud).await.unwrap();
    raw(
        &f.store,
        "UPDATE modelgate_registries SET
            members = (SELECT members FROM modelgate_registries WHERE name = 'fraud'),
            seal = (SELECT seal FROM modelgate_registries WHERE name = 'fraud')
         WHERE name = 'churn'",
    )
    .await;
    let err = refused(&f.store).await;
    assert!(
        matches!(membership(&err), MembershipError::Seal { .. }),
        "{err}"
    );

    // An index sealed by another key, over the very members stored (the attacker's store
    // verifies the members with the host's key and adopts them under its own).
    let other_key = HmacSealer::new("attacker", [7u8; 32]);
    let forged = Store::open_with(
        &f.db.url,
        Keys::new(other_key, common::hmac()),
        modelgate_store::Options::default(),
    )
    .await
    .unwrap();
    raw(
        &f.store,
        "DELETE FROM modelgate_registries WHERE name = 'churn'",
    )
    .await;
    forged
        .adopt_unindexed_registry(NAME, &book())
        .await
        .unwrap();
    let err = refused(&f.store).await;
    assert!(
        matches!(membership(&err), MembershipError::Seal { .. }),
        "{err}"
    );
    forged.close().await;

    // No index at all.
    raw(
        &f.store,
        "DELETE FROM modelgate_registries WHERE name = 'churn'",
    )
    .await;
    let err = refused(&f.store).await;
    assert!(
        matches!(&err, LoadRegistryError::Unindexed { name } if name == NAME),
        "{err}"
    );
    insta::assert_snapshot!("unindexed", err.to_string());
    f.store.close().await;
    f.db.drop_db().await;
}

/// A vote recorded on a member with `record_vote` (an append) moves the sealed index with it,
/// in the same transaction: the registry loads, with the vote.
async fn an_append_to_a_member_moves_the_sealed_index(b: Backend) {
    let Some(f) = fixture(b).await else { return };
    let vote = Review::approve("carol", "sha256:2", t(6));
    f.store
        .record_vote(&key("2"), &policy(), &vote, &Retry::default())
        .await
        .unwrap();
    let loaded = f.store.load_registry(NAME, &book()).await.unwrap();
    let two = loaded.get(&production(), "2").unwrap();
    assert_eq!(two.history().len(), 2);
    f.store.close().await;
    f.db.drop_db().await;
}

/// Rows changed without the key are never sealed over: an append to a member, or a save of
/// the host's registry, over a registry that lost a member is refused, naming it, and writes
/// nothing (no new index seal launders the deletion).
async fn a_write_over_a_tampered_registry_is_refused_and_writes_nothing(b: Backend) {
    let Some(f) = fixture(b).await else { return };
    delete_member(&f.store, "1").await;
    let before = all_rows(&f.store).await;
    let vote = Review::approve("carol", "sha256:2", t(6));
    let err = f
        .store
        .record_vote(&key("2"), &policy(), &vote, &Retry::default())
        .await
        .unwrap_err();
    let modelgate_store::VoteError::Append(AppendError::Membership { key: k, error }) = &err else {
        panic!("expected a membership refusal: {err}")
    };
    assert_eq!(*k, key("2"));
    assert!(
        matches!(error, MembershipError::Missing { key: m } if *m == key("1")),
        "{err}"
    );
    assert_eq!(all_rows(&f.store).await, before);
    let err = f.store.save_registry(&f.registry).await.unwrap_err();
    assert!(
        matches!(&err, SaveRegistryError::Membership(MembershipError::Missing { key: m }) if *m == key("1")),
        "{err}"
    );
    assert_eq!(
        all_rows(&f.store).await,
        before,
        "nothing is written or repaired"
    );
    f.store.close().await;
    f.db.drop_db().await;
}

/// A registry stored without an index (before schema version 2) is refused by
/// `load_registry` and `members`; the host adopts it once (`adopt_unindexed_registry`, which
/// trusts the stored rows), which seals the index; then it loads.
async fn a_registry_without_an_index_loads_again_once_adopted(b: Backend) {
    let Some(f) = fixture(b).await else { return };
    raw(&f.store, "DELETE FROM modelgate_registries").await;
    assert!(matches!(
        f.store.load_registry(NAME, &book()).await,
        Err(LoadRegistryError::Unindexed { .. })
    ));
    assert!(matches!(
        f.store.members(NAME).await,
        Err(LoadRegistryError::Unindexed { .. })
    ));
    let adopted = f
        .store
        .adopt_unindexed_registry(NAME, &book())
        .await
        .unwrap();
    assert!(adopted == f.registry);
    let saved = f.store.save_registry(&adopted).await.unwrap();
    assert!(saved.created.is_empty() && saved.appended.is_empty());
    assert!(f.store.load_registry(NAME, &book()).await.unwrap() == f.registry);
    f.store.close().await;
    f.db.drop_db().await;
}

common::conformance!(
    a_registry_missing_its_champion_does_not_approve_a_regression,
    a_member_rekinded_to_a_run_is_refused_naming_it,
    a_member_index_column_edited_is_refused_naming_it,
    a_member_put_back_to_an_older_sealed_copy_is_refused_naming_it,
    an_extra_member_sealed_by_the_same_key_is_refused_naming_it,
    an_older_index_replayed_is_refused_naming_the_member,
    a_whole_registry_put_back_with_its_index_is_not_detectable_without_an_anchor,
    a_forged_index_is_refused,
    an_append_to_a_member_moves_the_sealed_index,
    a_write_over_a_tampered_registry_is_refused_and_writes_nothing,
    a_registry_without_an_index_loads_again_once_adopted,
);
