//! Round-2 attacks on the store (independent review). These were REFUSED as promised; they
//! pass, and are kept as evidence of what was tried. (The one that is not refused, a rollback
//! of both tables to an older sealed state, is documented by the store and asserted as such.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_arguments
)]

use modelgate::{
    AnyModel, DecisionContext, Environment, HmacSealer, MetricGate, Metrics, Model, Review,
    Timestamp, TrainingOutcome,
};
use modelgate_store::{AppendError, Keys, LoadError, ModelKey, Store};
use std::time::Duration;

fn t(s: u64) -> Timestamp {
    Timestamp::from_unix_secs(s)
}

fn key() -> HmacSealer {
    HmacSealer::new("db", *b"0123456789abcdef0123456789abcdef")
}

async fn store(dir: &std::path::Path) -> Store {
    Store::open_file(&dir.join("m.db"), Keys::new(key(), key()))
        .await
        .unwrap()
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("mg-attack2-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

async fn exec(store: &Store, sql: &str) {
    sqlx::query(sql).execute(store.pool()).await.unwrap();
}

fn staging() -> Environment {
    Environment::new("staging")
        .unwrap()
        .with_approval_validity(Duration::from_secs(3600))
}

/// A model in staging with a 1 h window: submitted, one vote, approved.
async fn seeded(store: &Store) -> ModelKey {
    let outcome =
        TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap();
    let mut m = Model::new("churn", "1")
        .unwrap()
        .in_environment(staging())
        .submit(outcome, "alice", t(0))
        .unwrap();
    store.create(&m).await.unwrap();
    let head = m.head();
    m.record(Review::approve("bob", "sha256:1", t(1))).unwrap();
    let w = store.append(head, &m).await.unwrap();
    let approved = m
        .decide(
            &MetricGate::at_least("accuracy", 0.9),
            &DecisionContext::at(t(2)),
        )
        .unwrap()
        .approved()
        .unwrap();
    store.append(w.head, &approved).await.unwrap();
    ModelKey::of(&approved)
}

#[tokio::test]
async fn refused_window_widened_in_the_models_row() {
    let d = tmp("window");
    let s = store(&d).await;
    let k = seeded(&s).await;
    exec(
        &s,
        "UPDATE modelgate_models SET approval_validity_ms = 999999999999",
    )
    .await;
    let e = s.load(&k).await.unwrap_err();
    assert!(matches!(e, LoadError::Refused { .. }), "{e}");
    println!("refused: {e}");
    exec(
        &s,
        "UPDATE modelgate_models SET approval_validity_ms = NULL",
    )
    .await;
    let e = s.load(&k).await.unwrap_err();
    assert!(matches!(e, LoadError::Refused { .. }), "{e}");
    println!("refused: {e}");
}

#[tokio::test]
async fn refused_moved_to_production_in_both_tables() {
    let d = tmp("move");
    let s = store(&d).await;
    seeded(&s).await;
    let mut tx = s.pool().begin().await.unwrap();
    for sql in [
        "PRAGMA defer_foreign_keys = ON",
        "UPDATE modelgate_models SET environment = 'production'",
        "UPDATE modelgate_events SET environment = 'production'",
        "UPDATE modelgate_approvers SET environment = 'production'",
    ] {
        sqlx::query(sql).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    let k = ModelKey::new("churn", "1").in_environment("production");
    let e = s.load(&k).await.unwrap_err();
    assert!(matches!(e, LoadError::Refused { .. }), "{e}");
    println!("refused: {e}");
}

#[tokio::test]
async fn refused_models_row_rolled_back_to_an_earlier_sealed_head() {
    let d = tmp("rollback");
    let s = store(&d).await;
    let outcome =
        TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap();
    let m = Model::new("churn", "1")
        .unwrap()
        .submit(outcome, "alice", t(0))
        .unwrap();
    s.create(&m).await.unwrap();
    let k = ModelKey::of(&m);
    let (head, seal): (String, String) = sqlx::query_as("SELECT head, seal FROM modelgate_models")
        .fetch_one(s.pool())
        .await
        .unwrap();
    let mut m = m;
    m.record(Review::reject("bob", "sha256:1", t(1)).with_comment("veto"))
        .unwrap();
    s.append(head.parse().unwrap(), &m).await.unwrap();
    // Put back the older, really sealed, models row: the events table still has the veto.
    sqlx::query("UPDATE modelgate_models SET head = $1, seal = $2, revision = 1")
        .bind(&head)
        .bind(&seal)
        .execute(s.pool())
        .await
        .unwrap();
    assert!(matches!(
        s.load(&k).await,
        Err(LoadError::TrailTooLong { .. })
    ));
    // Both tables rolled back together: the store cannot see it (documented).
    exec(&s, "DELETE FROM modelgate_events WHERE seq = 2").await;
    assert!(s.load(&k).await.is_ok(), "documented limitation");
}

#[tokio::test]
async fn refused_vote_flipped_and_rehashed_without_the_key() {
    let d = tmp("flip");
    let s = store(&d).await;
    let outcome =
        TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap();
    let m = Model::new("churn", "1")
        .unwrap()
        .submit(outcome, "alice", t(0))
        .unwrap();
    s.create(&m).await.unwrap();
    let k = ModelKey::of(&m);
    let h0 = m.head();
    let mut m = m;
    m.record(Review::reject("bob", "sha256:1", t(1))).unwrap();
    s.append(h0, &m).await.unwrap();
    let loaded = s.load(&k).await.unwrap();
    // Flip the vote, recompute the chain and every column consistently; only the seal is old.
    let mut forged = Model::new("churn", "1")
        .unwrap()
        .submit(
            TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap(),
            "alice",
            t(0),
        )
        .unwrap();
    forged
        .record(Review::approve("bob", "sha256:1", t(1)))
        .unwrap();
    let ev = &forged.history()[1];
    sqlx::query("UPDATE modelgate_events SET event = $1, hash = $2 WHERE seq = 2")
        .bind(serde_json::to_string(ev.kind()).unwrap())
        .bind(ev.hash().to_string())
        .execute(s.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE modelgate_models SET head = $1")
        .bind(forged.head().to_string())
        .execute(s.pool())
        .await
        .unwrap();
    assert_ne!(loaded.head, forged.head());
    assert!(matches!(s.load(&k).await, Err(LoadError::Refused { .. })));
    let AnyModel::Submitted(_) = loaded
        .model
        .restore(&key(), &MetricGate::at_least("accuracy", 0.9))
        .unwrap()
    else {
        unreachable!()
    };
}

#[tokio::test]
async fn refused_append_on_a_stale_head() {
    let d = tmp("cas");
    let s = store(&d).await;
    let outcome =
        TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap();
    let m = Model::new("churn", "1")
        .unwrap()
        .submit(outcome, "alice", t(0))
        .unwrap();
    s.create(&m).await.unwrap();
    let h0 = m.head();
    let mut a = m;
    let mut b = Model::new("churn", "1")
        .unwrap()
        .submit(
            TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap(),
            "alice",
            t(0),
        )
        .unwrap();
    a.record(Review::approve("bob", "sha256:1", t(1))).unwrap();
    b.record(Review::reject("carol", "sha256:1", t(1))).unwrap();
    s.append(h0, &a).await.unwrap();
    assert!(matches!(
        s.append(h0, &b).await,
        Err(AppendError::Conflict { .. })
    ));
}
