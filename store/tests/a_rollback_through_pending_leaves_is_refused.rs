//! A held checkpoint refuses a model rolled back to an older sealed
//! head, a deleted model, a wiped and refilled store, whatever the attacker puts in the pending
//! leaves (`modelgate_log_pending`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::log::{ORIGIN, hold, signer};

use common::{Backend, DIGEST, TestDb, raw, submitted, t};
use modelgate::Review;
use modelgate_store::{AnchorError, LogError, ModelKey, Retry, Store};
use sqlx::Row;

fn key(name: &str) -> ModelKey {
    ModelKey::new(name, "1")
}

async fn vote(store: &Store, name: &str, review: Review) {
    store
        .record_vote(&key(name), &common::policy(), &review, &Retry::default())
        .await
        .unwrap();
}

/// A models row and its last event seq, as an attacker keeps them to put back later.
struct Kept {
    seq: i64,
    row: (
        String,
        i64,
        String,
        String,
        Option<String>,
        Option<i64>,
        Option<i64>,
    ),
}

async fn keep(store: &Store, name: &str) -> Kept {
    let seq: i64 = sqlx::query("SELECT MAX(seq) FROM modelgate_events WHERE name = $1")
        .bind(name)
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get(0);
    let r = sqlx::query(
        "SELECT head, revision, seal, status, last_action, updated_at, submitted_seq
         FROM modelgate_models WHERE name = $1",
    )
    .bind(name)
    .fetch_one(store.pool())
    .await
    .unwrap();
    Kept {
        seq,
        row: (
            r.get(0),
            r.get(1),
            r.get(2),
            r.get(3),
            r.get(4),
            r.get(5),
            r.get(6),
        ),
    }
}

/// Puts the kept rows back: the trail as the host sealed it then.
async fn put_back(store: &Store, name: &str, kept: &Kept) {
    sqlx::query("DELETE FROM modelgate_events WHERE name = $1 AND seq > $2")
        .bind(name)
        .bind(kept.seq)
        .execute(store.pool())
        .await
        .unwrap();
    let r = &kept.row;
    sqlx::query(
        "UPDATE modelgate_models SET head = $1, revision = $2, seal = $3, status = $4,
            last_action = $5, updated_at = $6, submitted_seq = $7 WHERE name = $8",
    )
    .bind(&r.0)
    .bind(r.1)
    .bind(&r.2)
    .bind(&r.3)
    .bind(&r.4)
    .bind(r.5)
    .bind(r.6)
    .bind(name)
    .execute(store.pool())
    .await
    .unwrap();
}

/// A forged pending leaf of `name` at `revision`, a copy of the logged one, at time `at`.
async fn forge_pending(store: &Store, name: &str, revision: i64, at: i64) {
    let leaf = sqlx::query(
        "SELECT version, environment, head FROM modelgate_log WHERE name = $1 AND revision = $2",
    )
    .bind(name)
    .bind(revision)
    .fetch_one(store.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO modelgate_log_pending (name, version, environment, revision, head, at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(name)
    .bind(leaf.get::<String, _>(0))
    .bind(leaf.get::<String, _>(1))
    .bind(revision)
    .bind(leaf.get::<String, _>(2))
    .bind(at)
    .execute(store.pool())
    .await
    .unwrap();
}

/// The victim, submitted (revision 1) then vetoed by bob (revision 2), the veto covered by the
/// held checkpoint; the attacker puts the submitted rows back (a head the host sealed) and adds
/// one pending row: the submission's leaf again. Nothing else: no log row, no tree hash.
/// `verify_log` must refuse the rollback of a leaf the checkpoint covers.
async fn verify_log_refuses_a_rollback_relogged_through_a_pending_row(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    store.create(&submitted("victim", "1")).await.unwrap();
    let kept = keep(&store, "victim").await;
    vote(&store, "victim", Review::reject("bob", DIGEST, t(20))).await;
    let held = hold(&store).await;
    assert_eq!(held.size(), 2);
    put_back(&store, "victim", &kept).await;
    assert_eq!(store.load(&key("victim")).await.unwrap().revision, 1);
    // Without the forged row both checks refuse.
    assert!(store.verify_log(&held).await.is_err());
    assert!(store.load_anchored(&key("victim"), &held).await.is_err());
    forge_pending(&store, "victim", 1, 30_000).await;
    // The anchored load refuses: it reads the pending leaf after the covered revision 2.
    let err = store
        .load_anchored(&key("victim"), &held)
        .await
        .unwrap_err();
    assert!(matches!(err, AnchorError::RolledBack { .. }), "{err}");
    // The sequencer will not log a leaf that goes back: the audit, the log file and the next
    // checkpoint all refuse, and nothing is signed over the rollback.
    let err = store.verify_log(&held).await.unwrap_err();
    assert!(
        matches!(
            err,
            AnchorError::Log(LogError::WentBack {
                logged: 2,
                pending: 1,
                ..
            })
        ),
        "{err}"
    );
    insta::assert_snapshot!("went_back", err.to_string());
    assert!(store.log_leaves().await.is_err());
    assert!(store.checkpoint(ORIGIN, &signer()).await.is_err());
    store.close().await;
    db.drop_db().await;
}

/// A new user's finding: the host went on voting on a model put back to an older sealed state
/// (a fork at the next revision), and its next checkpoint signed the forked log. The sequencer
/// now refuses the fork, so no checkpoint is signed over it.
async fn a_host_writing_on_a_rolled_back_model_signs_no_checkpoint(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    store.create(&submitted("victim", "1")).await.unwrap();
    vote(&store, "victim", Review::approve("bob", DIGEST, t(20))).await;
    let kept = keep(&store, "victim").await;
    vote(&store, "victim", Review::reject("carol", DIGEST, t(21))).await;
    hold(&store).await;
    put_back(&store, "victim", &kept).await;
    // The host does not know: it records another vote at the revision carol's had.
    vote(&store, "victim", Review::approve("dave", DIGEST, t(22))).await;
    let err = store.checkpoint(ORIGIN, &signer()).await.unwrap_err();
    assert!(
        matches!(
            err,
            LogError::WentBack {
                logged: 3,
                pending: 3,
                ..
            }
        ),
        "{err}"
    );
    store.close().await;
    db.drop_db().await;
}

/// A deleted model stays refused whatever pending rows say: rows of the deleted model at its
/// latest and at an older revision, sorting before and after everything else.
async fn a_deleted_model_with_forged_pending_rows_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    store.create(&submitted("victim", "1")).await.unwrap();
    store.create(&submitted("bystander", "1")).await.unwrap();
    vote(&store, "victim", Review::reject("bob", DIGEST, t(20))).await;
    let held = hold(&store).await;
    raw(&store, "DELETE FROM modelgate_events WHERE name = 'victim'").await;
    raw(&store, "DELETE FROM modelgate_models WHERE name = 'victim'").await;
    forge_pending(&store, "victim", 2, 0).await;
    raw(
        &store,
        "INSERT INTO modelgate_log_pending (name, version, environment, revision, head, at)
         SELECT name, version, environment, revision, head, 9000000000000 FROM modelgate_log
         WHERE name = 'victim' AND revision = 1",
    )
    .await;
    assert!(store.load_anchored(&key("victim"), &held).await.is_err());
    assert!(store.verify_log(&held).await.is_err());
    store.load_anchored(&key("bystander"), &held).await.unwrap();
    store.close().await;
    db.drop_db().await;
}

/// Wiped and refilled, with the held log's leaves put in the pending table (so that the
/// store's sequencer writes them back, in its own order, with fresh tree hashes) and the
/// victim refilled without its veto.
async fn a_store_refilled_through_pending_rows_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    store.create(&submitted("victim", "1")).await.unwrap();
    let kept = keep(&store, "victim").await;
    store.create(&submitted("bystander", "1")).await.unwrap();
    vote(&store, "victim", Review::reject("bob", DIGEST, t(20))).await;
    let held = hold(&store).await;
    // Every logged leaf to the pending table; the log and its hashes wiped.
    raw(
        &store,
        "INSERT INTO modelgate_log_pending (name, version, environment, revision, head, at)
         SELECT name, version, environment, revision, head, at FROM modelgate_log",
    )
    .await;
    raw(&store, "DELETE FROM modelgate_log").await;
    raw(&store, "DELETE FROM modelgate_log_nodes").await;
    put_back(&store, "victim", &kept).await;
    // The veto's leaf dropped from the pending copy: the victim's latest is its submission.
    raw(
        &store,
        "DELETE FROM modelgate_log_pending WHERE name = 'victim' AND revision = 2",
    )
    .await;
    let err = store.load_anchored(&key("victim"), &held).await;
    assert!(err.is_err(), "load_anchored accepted the refilled store");
    let err = store.verify_log(&held).await;
    assert!(err.is_err(), "verify_log accepted the refilled store");
    store.close().await;
    db.drop_db().await;
}

common::conformance!(
    a_host_writing_on_a_rolled_back_model_signs_no_checkpoint,
    verify_log_refuses_a_rollback_relogged_through_a_pending_row,
    a_deleted_model_with_forged_pending_rows_is_refused,
    a_store_refilled_through_pending_rows_is_refused,
);
