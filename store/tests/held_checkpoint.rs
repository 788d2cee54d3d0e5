//! What a checkpoint held outside the store catches: an attacker who can write every row (and
//! reseal with the store's seal key), but cannot sign with the held checkpoint's note key,
//! cannot roll a model back, delete it, wipe and refill the store, or rewrite the log without
//! an anchored load refusing. Each case runs on SQLite (memory and file) and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::log::{ORIGIN, hold, verifier};

use common::{Backend, DIGEST, TestDb, raw, submitted, t};
use modelgate::log::{Checkpoint, NoteSigner, ProofError};
use modelgate::{MetricGate, Quorum, Review};
use modelgate_store::{AnchorError, ModelKey, Retry, Store};
use sqlx::Row;

fn key(name: &str) -> ModelKey {
    ModelKey::new(name, "1")
}

fn policy() -> (MetricGate, Quorum) {
    common::policy()
}

async fn vote(store: &Store, name: &str, review: Review) {
    store
        .record_vote(&key(name), &policy(), &review, &Retry::default())
        .await
        .unwrap();
}

/// `victim` submitted (revision 1) and vetoed by bob (revision 2), `bystander` submitted.
async fn vetoed(db: &TestDb) -> Store {
    let store = db.open().await;
    store.create(&submitted("victim", "1")).await.unwrap();
    store.create(&submitted("bystander", "1")).await.unwrap();
    vote(&store, "victim", Review::reject("bob", DIGEST, t(20))).await;
    store
}

/// Copies the trail of `name` from `from` over the one in `to`: event rows and models row (a
/// trail the host really sealed, with the same key), as an attacker with write access would.
async fn copy_trail(from: &Store, to: &Store, name: &str) {
    raw(
        to,
        &format!("DELETE FROM modelgate_events WHERE name = '{name}'"),
    )
    .await;
    let events = sqlx::query(
        "SELECT version, environment, seq, at, prev, hash, action, actor, event
         FROM modelgate_events WHERE name = $1 ORDER BY seq",
    )
    .bind(name)
    .fetch_all(from.pool())
    .await
    .unwrap();
    for e in events {
        sqlx::query(
            "INSERT INTO modelgate_events (name, version, environment, seq, at, prev, hash, action,
                actor, event) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(name)
        .bind(e.get::<String, _>(0))
        .bind(e.get::<String, _>(1))
        .bind(e.get::<i64, _>(2))
        .bind(e.get::<i64, _>(3))
        .bind(e.get::<String, _>(4))
        .bind(e.get::<String, _>(5))
        .bind(e.get::<String, _>(6))
        .bind(e.get::<Option<String>, _>(7))
        .bind(e.get::<String, _>(8))
        .execute(to.pool())
        .await
        .unwrap();
    }
    let row = sqlx::query(
        "SELECT head, revision, seal, status, last_action, updated_at FROM modelgate_models
         WHERE name = $1",
    )
    .bind(name)
    .fetch_one(from.pool())
    .await
    .unwrap();
    sqlx::query(
        "UPDATE modelgate_models SET head = $1, revision = $2, seal = $3, status = $4,
            last_action = $5, updated_at = $6 WHERE name = $7",
    )
    .bind(row.get::<String, _>(0))
    .bind(row.get::<i64, _>(1))
    .bind(row.get::<String, _>(2))
    .bind(row.get::<String, _>(3))
    .bind(row.get::<Option<String>, _>(4))
    .bind(row.get::<Option<i64>, _>(5))
    .bind(name)
    .execute(to.pool())
    .await
    .unwrap();
}

/// Appends to the log of `to` the latest leaf of `name` in `from`, at the next index: the
/// attacker "logging" what they wrote.
async fn relog(from: &Store, to: &Store, name: &str) {
    from.sequence_log().await.unwrap();
    to.sequence_log().await.unwrap();
    let leaf = sqlx::query(
        "SELECT version, environment, head, revision, at FROM modelgate_log WHERE name = $1
         ORDER BY idx DESC LIMIT 1",
    )
    .bind(name)
    .fetch_one(from.pool())
    .await
    .unwrap();
    let next: i64 = sqlx::query("SELECT COALESCE(MAX(idx) + 1, 0) FROM modelgate_log")
        .fetch_one(to.pool())
        .await
        .unwrap()
        .get(0);
    sqlx::query(
        "INSERT INTO modelgate_log (idx, name, version, environment, head, revision, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(next)
    .bind(name)
    .bind(leaf.get::<String, _>(0))
    .bind(leaf.get::<String, _>(1))
    .bind(leaf.get::<String, _>(2))
    .bind(leaf.get::<i64, _>(3))
    .bind(leaf.get::<i64, _>(4))
    .execute(to.pool())
    .await
    .unwrap();
}

/// The attacker recomputes the log's stored tree hashes from its (edited) leaves, so that every
/// copy agrees, as a forger with write access to the database would.
async fn rehash(store: &Store) {
    let mut tree = modelgate::log::Tree::new();
    for leaf in store.log_leaves().await.unwrap() {
        tree.append(leaf.hash());
    }
    raw(store, "DELETE FROM modelgate_log_nodes").await;
    for (id, hash) in tree.nodes() {
        sqlx::query("INSERT INTO modelgate_log_nodes (level, idx, hash) VALUES ($1, $2, $3)")
            .bind(i32::try_from(id.level()).unwrap())
            .bind(i64::try_from(id.index()).unwrap())
            .bind(hash.to_string())
            .execute(store.pool())
            .await
            .unwrap();
    }
}

/// A scratch store of the same host (same seal key), where the attacker prepares rows.
async fn scratch() -> Store {
    Store::open("sqlite::memory:", common::keys())
        .await
        .unwrap()
}

async fn an_untouched_store_passes_every_check(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = vetoed(&db).await;
    let held = hold(&store).await;
    vote(&store, "victim", Review::reject("carol", DIGEST, t(30))).await;
    let head = store.verify_log(&held).await.unwrap();
    assert_eq!(head.size(), 4);
    let loaded = store.load_anchored(&key("victim"), &held).await.unwrap();
    assert_eq!(loaded.revision, 3);
    // The log's later checkpoint extends the held one.
    let later = hold(&store).await;
    let proof = store
        .prove_consistency(held.size(), later.size())
        .await
        .unwrap();
    later.verify_extends(&held, &proof).unwrap();
    store.close().await;
    db.drop_db().await;
}

async fn a_model_rolled_back_to_an_older_sealed_head_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    store.create(&submitted("victim", "1")).await.unwrap();
    // The attacker keeps the rows of the submitted model (a head the host sealed) …
    let before = scratch().await;
    before.create(&submitted("victim", "1")).await.unwrap();
    vote(&store, "victim", Review::reject("bob", DIGEST, t(20))).await;
    let held = hold(&store).await;
    // … and, after the veto, puts them back: the trail loads, chained and sealed.
    copy_trail(&before, &store, "victim").await;
    assert_eq!(store.load(&key("victim")).await.unwrap().revision, 1);
    let err = store
        .load_anchored(&key("victim"), &held)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AnchorError::RolledBack {
                logged: 2,
                stored: 1,
                ..
            }
        ),
        "{err}"
    );
    insta::assert_snapshot!("rolled_back", err.to_string());
    let err = store.verify_log(&held).await.unwrap_err();
    assert!(matches!(err, AnchorError::RolledBack { .. }), "{err}");
    // Deleting the veto's leaf too leaves a log that no longer reaches the held root.
    raw(&store, "DELETE FROM modelgate_log WHERE idx = 1").await;
    let err = store
        .load_anchored(&key("victim"), &held)
        .await
        .unwrap_err();
    assert!(
        matches!(err, AnchorError::Truncated { held: 2, have: 1 }),
        "{err}"
    );
    store.close().await;
    db.drop_db().await;
}

async fn a_rollback_relogged_after_the_checkpoint_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    store.create(&submitted("victim", "1")).await.unwrap();
    vote(&store, "victim", Review::reject("bob", DIGEST, t(20))).await;
    let held = hold(&store).await;
    // The attacker forks the trail at the submission: another second event, sealed with the
    // store's key, and "logs" it after the held checkpoint, so the latest leaf matches.
    let forged = scratch().await;
    forged.create(&submitted("victim", "1")).await.unwrap();
    vote(&forged, "victim", Review::approve("mallory", DIGEST, t(25))).await;
    copy_trail(&forged, &store, "victim").await;
    relog(&forged, &store, "victim").await;
    rehash(&store).await;
    assert_eq!(store.load(&key("victim")).await.unwrap().revision, 2);
    // The log now holds two heads at revision 2, bob's veto then mallory's approval: the audit
    // of every model and the model's own load both see the fork.
    let err = store.verify_log(&held).await.unwrap_err();
    assert!(
        matches!(err, AnchorError::TwoHeads { revision: 2, .. }),
        "{err}"
    );
    let err = store
        .load_anchored(&key("victim"), &held)
        .await
        .unwrap_err();
    assert!(
        matches!(err, AnchorError::TwoHeads { revision: 2, .. }),
        "{err}"
    );
    insta::assert_snapshot!("two_heads", err.to_string());
    store.close().await;
    db.drop_db().await;
}

async fn a_fork_relogged_past_the_checkpoint_is_refused_by_the_load(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    store.create(&submitted("victim", "1")).await.unwrap();
    vote(&store, "victim", Review::reject("bob", DIGEST, t(20))).await;
    let held = hold(&store).await;
    // The fork goes one revision past bob's veto, and only its last head is "logged": the
    // log's revisions still go forward, and the stored row is its latest leaf.
    let forged = scratch_submitted().await;
    vote(&forged, "victim", Review::approve("mallory", DIGEST, t(25))).await;
    vote(&forged, "victim", Review::approve("dave", DIGEST, t(26))).await;
    copy_trail(&forged, &store, "victim").await;
    relog(&forged, &store, "victim").await;
    rehash(&store).await;
    assert_eq!(store.load(&key("victim")).await.unwrap().revision, 3);
    // The audit of every model reads no trail (see `verify_log`); the model's load does, and
    // bob's head is not on it.
    store.verify_log(&held).await.unwrap();
    let err = store
        .load_anchored(&key("victim"), &held)
        .await
        .unwrap_err();
    assert!(
        matches!(err, AnchorError::OffTrail { revision: 2, .. }),
        "{err}"
    );
    insta::assert_snapshot!("off_trail", err.to_string());
    store.close().await;
    db.drop_db().await;
}

async fn scratch_submitted() -> Store {
    let s = scratch().await;
    s.create(&submitted("victim", "1")).await.unwrap();
    s
}

async fn a_deleted_model_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = vetoed(&db).await;
    let held = hold(&store).await;
    raw(&store, "DELETE FROM modelgate_events WHERE name = 'victim'").await;
    raw(&store, "DELETE FROM modelgate_models WHERE name = 'victim'").await;
    let err = store
        .load_anchored(&key("victim"), &held)
        .await
        .unwrap_err();
    assert!(matches!(err, AnchorError::Deleted { .. }), "{err}");
    insta::assert_snapshot!("deleted", err.to_string());
    let err = store.verify_log(&held).await.unwrap_err();
    assert!(matches!(err, AnchorError::Deleted { .. }), "{err}");
    // The bystander still loads: the check is about the model asked for.
    store.load_anchored(&key("bystander"), &held).await.unwrap();
    store.close().await;
    db.drop_db().await;
}

async fn a_wiped_and_refilled_store_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = vetoed(&db).await;
    let held = hold(&store).await;
    for table in [
        "modelgate_events",
        "modelgate_models",
        "modelgate_log",
        "modelgate_log_nodes",
        "modelgate_log_pending",
    ] {
        raw(&store, &format!("DELETE FROM {table}")).await;
    }
    // Refilled: the same models resubmitted, without the veto, through the store itself.
    store.create(&submitted("victim", "1")).await.unwrap();
    store.create(&submitted("bystander", "1")).await.unwrap();
    store.create(&submitted("filler", "1")).await.unwrap();
    let err = store.verify_log(&held).await.unwrap_err();
    assert!(matches!(err, AnchorError::Forked { held: 3 }), "{err}");
    insta::assert_snapshot!("forked", err.to_string());
    let err = store
        .load_anchored(&key("victim"), &held)
        .await
        .unwrap_err();
    assert!(matches!(err, AnchorError::Forked { .. }), "{err}");
    // Wiped and not (yet) refilled as far.
    raw(&store, "DELETE FROM modelgate_log WHERE idx > 0").await;
    let err = store.verify_log(&held).await.unwrap_err();
    assert!(
        matches!(err, AnchorError::Truncated { held: 3, have: 1 }),
        "{err}"
    );
    insta::assert_snapshot!("truncated", err.to_string());
    store.close().await;
    db.drop_db().await;
}

async fn a_log_that_does_not_extend_the_held_checkpoint_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = vetoed(&db).await;
    let held = hold(&store).await;
    vote(&store, "victim", Review::reject("carol", DIGEST, t(30))).await;
    // A leaf before the checkpoint rewritten (its time), everything else as it was.
    raw(&store, "UPDATE modelgate_log SET at = at + 1 WHERE idx = 0").await;
    let err = store.verify_log(&held).await.unwrap_err();
    assert!(matches!(err, AnchorError::Forked { held: 3 }), "{err}");
    // Two leaves swapped.
    raw(&store, "UPDATE modelgate_log SET at = at - 1 WHERE idx = 0").await;
    store.verify_log(&held).await.unwrap();
    raw(&store, "UPDATE modelgate_log SET idx = 100 WHERE idx = 0").await;
    raw(&store, "UPDATE modelgate_log SET idx = 0 WHERE idx = 1").await;
    raw(&store, "UPDATE modelgate_log SET idx = 1 WHERE idx = 100").await;
    rehash(&store).await;
    let err = store.verify_log(&held).await.unwrap_err();
    assert!(matches!(err, AnchorError::Forked { held: 3 }), "{err}");
    // A later checkpoint of that log does not prove it extends the held one.
    let forked = hold(&store).await;
    let proof = store
        .prove_consistency(held.size(), forked.size())
        .await
        .unwrap();
    assert_eq!(
        forked.verify_extends(&held, &proof),
        Err(ProofError::RootMismatch)
    );
    store.close().await;
    db.drop_db().await;
}

async fn a_checkpoint_signed_by_another_key_is_not_held(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = vetoed(&db).await;
    // The attacker signs a checkpoint of the store as they left it: the holder opens only
    // notes of the log's key.
    let mallory = NoteSigner::new("bank.example/models", [9; 32]).unwrap();
    let note = store.checkpoint(ORIGIN, &mallory).await.unwrap();
    assert!(Checkpoint::open(&note, ORIGIN, &verifier()).is_err());
    store.close().await;
    db.drop_db().await;
}

async fn a_store_written_before_the_log_gets_a_leaf_per_model(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = vetoed(&db).await;
    // The store as schema version 2 left it: no log.
    raw(&store, "DROP TABLE modelgate_log").await;
    raw(&store, "DROP TABLE modelgate_log_nodes").await;
    raw(&store, "DROP TABLE modelgate_log_pending").await;
    raw(&store, "UPDATE modelgate_schema SET version = 2").await;
    store.close().await;
    let store = db.open().await;
    let leaves = store.log_leaves().await.unwrap();
    let logged: Vec<(&str, u64)> = leaves.iter().map(|l| (l.name(), l.revision())).collect();
    assert_eq!(logged, [("bystander", 1), ("victim", 2)]);
    let held = hold(&store).await;
    store.verify_log(&held).await.unwrap();
    store.load_anchored(&key("victim"), &held).await.unwrap();
    store.close().await;
    db.drop_db().await;
}

async fn a_registry_stored_before_its_index_was_logged_checks_out(b: Backend) {
    use modelgate::registry::PolicyBook;
    use modelgate::{Environment, Registry};
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let staging = Environment::new("staging").unwrap();
    let mut registry = Registry::new("churn").unwrap();
    registry
        .put(common::submitted_in("churn", "1", &staging))
        .unwrap();
    store.save_registry(&registry).await.unwrap();
    store.sequence_log().await.unwrap();
    // The store as schema version 4 left it: no pending leaves, no leaf of the index.
    raw(&store, "DELETE FROM modelgate_log WHERE version = ''").await;
    raw(&store, "UPDATE modelgate_log SET idx = 0").await; // the member's leaf, alone
    rehash(&store).await;
    raw(&store, "DROP TABLE modelgate_log_pending").await;
    raw(&store, "UPDATE modelgate_schema SET version = 4").await;
    store.close().await;
    let store = db.open().await;
    let book = || PolicyBook::new().with("staging", MetricGate::at_least("accuracy", 0.9));
    let held = hold(&store).await;
    assert_eq!(
        held.size(),
        2,
        "the member's leaf, and the index's from the migration"
    );
    store.verify_log(&held).await.unwrap();
    store
        .load_registry_anchored("churn", &book(), &held)
        .await
        .unwrap();
    store.close().await;
    db.drop_db().await;
}

async fn a_registry_loaded_against_a_wiped_log_is_refused(b: Backend) {
    use modelgate::registry::PolicyBook;
    use modelgate::{Environment, Registry};
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let staging = Environment::new("staging").unwrap();
    let mut registry = Registry::new("churn").unwrap();
    registry
        .put(common::submitted_in("churn", "1", &staging))
        .unwrap();
    store.save_registry(&registry).await.unwrap();
    let book = || PolicyBook::new().with("staging", MetricGate::at_least("accuracy", 0.9));
    let held = hold(&store).await;
    assert_eq!(held.size(), 2); // the member's leaf and the index's
    let loaded = store
        .load_registry_anchored("churn", &book(), &held)
        .await
        .unwrap();
    assert!(loaded == registry);
    raw(&store, "DELETE FROM modelgate_log").await;
    let err = store
        .load_registry_anchored("churn", &book(), &held)
        .await
        .unwrap_err();
    assert!(
        matches!(err, AnchorError::Truncated { held: 2, have: 0 }),
        "{err}"
    );
    store.close().await;
    db.drop_db().await;
}

macro_rules! on_every_backend {
    ($($test:ident),* $(,)?) => {
        mod sqlite_memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(super::Backend::SqliteMemory).await;
                }
            )*
        }
        mod sqlite_file {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(super::Backend::SqliteFile).await;
                }
            )*
        }
        #[cfg(feature = "postgres")]
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(super::Backend::Postgres).await;
                }
            )*
        }
    };
}

on_every_backend!(
    an_untouched_store_passes_every_check,
    a_model_rolled_back_to_an_older_sealed_head_is_refused,
    a_rollback_relogged_after_the_checkpoint_is_refused,
    a_fork_relogged_past_the_checkpoint_is_refused_by_the_load,
    a_registry_stored_before_its_index_was_logged_checks_out,
    a_deleted_model_is_refused,
    a_wiped_and_refilled_store_is_refused,
    a_log_that_does_not_extend_the_held_checkpoint_is_refused,
    a_checkpoint_signed_by_another_key_is_not_held,
    a_store_written_before_the_log_gets_a_leaf_per_model,
    a_registry_loaded_against_a_wiped_log_is_refused,
);

#[test]
fn every_log_and_anchor_error_message() {
    use modelgate::Head;
    use modelgate::log::NoteError;
    use modelgate_store::LogError;
    let key = || ModelKey::new("churn", "1").in_environment("production");
    let head = Head::from_bytes([7; 32]);
    let messages: Vec<String> = vec![
        LogError::BadRow {
            index: 4,
            what: "the head is not 64 hex digits",
        }
        .to_string(),
        LogError::BadNode {
            level: 3,
            index: 1,
            what: "the hash is missing",
        }
        .to_string(),
        LogError::NodesDisagree { size: 9 }.to_string(),
        modelgate_store::error::OpenError::Backfill(LogError::BadRow {
            index: 4,
            what: "the revision is negative",
        })
        .to_string(),
        LogError::NotLogged { key: key() }.to_string(),
        LogError::Proof(ProofError::EmptyTree).to_string(),
        LogError::Note(NoteError::Checkpoint {
            what: "the origin is empty or holds a control character",
        })
        .to_string(),
        AnchorError::Truncated { held: 9, have: 2 }.to_string(),
        AnchorError::Forked { held: 9 }.to_string(),
        AnchorError::RolledBack {
            key: key(),
            logged: 3,
            stored: 2,
        }
        .to_string(),
        AnchorError::NotLogged {
            key: key(),
            stored: head,
        }
        .to_string(),
        AnchorError::OffTrail {
            key: key(),
            logged: head,
            revision: 2,
        }
        .to_string(),
        AnchorError::Deleted { key: key() }.to_string(),
        AnchorError::Moved { key: key() }.to_string(),
    ];
    insta::assert_snapshot!("every_log_error_message", messages.join("\n"));
}
