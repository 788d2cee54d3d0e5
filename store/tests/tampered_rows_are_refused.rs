//! Rows tampered with in the database do not load: an event forged and rechained without the
//! key, edited, deleted, rolled back; a models row put back to an old head; an unreadable row;
//! an approval window or an environment edited. Each load refuses alike and changes nothing.
//! On SQLite (memory and file) and PostgreSQL; `in_a_file` edits a SQLite file's rows
//! directly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::{
    Backend, DIGEST, TestDb, key, policy, production, raw, staging, submitted, submitted_in, t,
};
use modelgate::trail::SealError;
use modelgate::{ChainError, Environment, HmacSealer, Model, RestoreError, Review};
use modelgate_store::{LoadError, ModelKey, Retry, Store};

/// The rows of one model, as text, to check that a refused load changed nothing.
async fn rows(store: &Store, name: &str) -> Vec<String> {
    use sqlx::Row;
    let mut out = Vec::new();
    for row in sqlx::query(
        "SELECT seq, prev, hash, event FROM modelgate_events WHERE name = $1 ORDER BY seq",
    )
    .bind(name)
    .fetch_all(store.pool())
    .await
    .unwrap()
    {
        let seq: i64 = row.get(0);
        let (prev, hash, event): (String, String, String) = (row.get(1), row.get(2), row.get(3));
        out.push(format!("{seq} {prev} {hash} {event}"));
    }
    let row = sqlx::query("SELECT head, revision, seal FROM modelgate_models WHERE name = $1")
        .bind(name)
        .fetch_one(store.pool())
        .await
        .unwrap();
    let (head, revision, seal): (String, i64, String) = (row.get(0), row.get(1), row.get(2));
    out.push(format!("{head} {revision} {seal}"));
    out
}

/// A model with four events stored, and the store.
async fn four_events(db: &TestDb) -> (Store, ModelKey) {
    four_events_in(db, &Environment::default()).await
}

/// A model of `environment` with four events stored (rejected by bob at 20 s and carol at
/// 30 s, approved by dave at 40 s), and the store.
async fn four_events_in(db: &TestDb, environment: &Environment) -> (Store, ModelKey) {
    let store = db.open().await;
    let k = key("victim", "1").in_environment(environment);
    store
        .create(&submitted_in("victim", "1", environment))
        .await
        .unwrap();
    for (who, at) in [("bob", 20), ("carol", 30)] {
        store
            .record_vote(
                &k,
                &policy(),
                &Review::reject(who, DIGEST, t(at)),
                &Retry::default(),
            )
            .await
            .unwrap();
    }
    store
        .record_vote(
            &k,
            &policy(),
            &Review::approve("dave", DIGEST, t(40)),
            &Retry::default(),
        )
        .await
        .unwrap();
    (store, k)
}

/// Loads `k` every way the store offers; all must fail alike and change nothing.
async fn refused(store: &Store, k: &ModelKey) -> LoadError {
    let before = rows(store, k.name()).await;
    let err = store.load(k).await.unwrap_err();
    assert_eq!(err.key(), k, "the error names the model");
    let again = store.restore(k, &policy()).await.unwrap_err();
    assert_eq!(again.to_string(), err.to_string());
    store.restore_trusting_decisions(k).await.unwrap_err();
    store.audit_trail(k).await.unwrap_err();
    assert_eq!(rows(store, k.name()).await, before, "nothing is repaired");
    err
}

async fn forged_event_rechained_without_the_key_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let (store, k) = four_events(&db).await;
    // The attacker turns bob's reject into an approval and re-chains every event after it
    // (a trail the transitions accept), rewriting the rows and the head; the seal they
    // cannot make, so they keep the old one — or seal with a key of their own.
    let mut forged = submitted("victim", "1");
    forged
        .record(Review::approve("bob", DIGEST, t(20)))
        .unwrap();
    forged
        .record(Review::reject("carol", DIGEST, t(30)))
        .unwrap();
    forged
        .record(Review::approve("dave", DIGEST, t(40)))
        .unwrap();
    for e in &forged.history()[1..] {
        let event = serde_json::to_string(e.kind()).unwrap();
        raw(
            &store,
            &format!(
                "UPDATE modelgate_events SET prev = '{}', hash = '{}', event = '{}' WHERE name = 'victim' AND seq = {}",
                e.prev(),
                e.hash(),
                event.replace('\'', "''"),
                e.seq()
            ),
        )
        .await;
    }
    raw(
        &store,
        &format!(
            "UPDATE modelgate_models SET head = '{}' WHERE name = 'victim'",
            forged.head()
        ),
    )
    .await;
    let err = refused(&store, &k).await;
    assert!(
        matches!(
            err,
            LoadError::Refused { ref error, .. } if matches!(**error, RestoreError::Seal(SealError::Mismatch { .. }))
        ),
        "{err}"
    );
    insta::assert_snapshot!("forged_rechained", err.to_string());
    // Sealed with a key of the attacker's that has the host key's id: still a mismatch.
    let evil = HmacSealer::new("store-test", *b"evil-evil-evil-evil-evil-evil-ev");
    let seal = modelgate::Sealer::seal(&evil, &forged.head()).unwrap();
    let value: String = seal.value().iter().map(|b| format!("{b:02x}")).collect();
    raw(
        &store,
        &format!(
            "UPDATE modelgate_models SET seal = '{{\"key_id\":\"store-test\",\"value\":\"{value}\"}}' WHERE name = 'victim'"
        ),
    )
    .await;
    let err = refused(&store, &k).await;
    assert!(
        matches!(
            err,
            LoadError::Refused { ref error, .. } if matches!(**error, RestoreError::Seal(SealError::Mismatch { .. }))
        ),
        "{err}"
    );
    store.close().await;
    db.drop_db().await;
}

async fn edited_event_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let (store, k) = four_events(&db).await;
    // Edited in place, not re-chained: the event after it no longer follows it.
    raw(
        &store,
        "UPDATE modelgate_events SET event = REPLACE(event, '\"reject\"', '\"approve\"') WHERE name = 'victim' AND seq = 2",
    )
    .await;
    let err = refused(&store, &k).await;
    assert!(
        matches!(
            err,
            LoadError::Refused { ref error, .. } if matches!(**error, RestoreError::Chain(ChainError::Chain { seq: 3, .. }))
        ),
        "{err}"
    );
    insta::assert_snapshot!("edited_event", err.to_string());
    store.close().await;
    db.drop_db().await;
}

async fn deleted_middle_row_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let (store, k) = four_events(&db).await;
    raw(
        &store,
        "DELETE FROM modelgate_events WHERE name = 'victim' AND seq = 2",
    )
    .await;
    let err = refused(&store, &k).await;
    assert!(
        matches!(err, LoadError::MissingEvent { seq: 2, .. }),
        "{err}"
    );
    insta::assert_snapshot!("deleted_middle_row", err.to_string());
    store.close().await;
    db.drop_db().await;
}

async fn rolled_back_events_table_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let (store, k) = four_events(&db).await;
    // The events table restored from a backup taken after the second event; the models row
    // (head, revision, seal) is the latest.
    raw(
        &store,
        "DELETE FROM modelgate_events WHERE name = 'victim' AND seq > 2",
    )
    .await;
    let err = refused(&store, &k).await;
    assert!(
        matches!(
            err,
            LoadError::TrailTooShort {
                revision: 4,
                found: 2,
                ..
            }
        ),
        "{err}"
    );
    insta::assert_snapshot!("rolled_back_events", err.to_string());
    store.close().await;
    db.drop_db().await;
}

async fn models_row_at_an_old_head_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let k = key("victim", "1");
    store.create(&submitted("victim", "1")).await.unwrap();
    store
        .record_vote(
            &k,
            &policy(),
            &Review::reject("bob", DIGEST, t(20)),
            &Retry::default(),
        )
        .await
        .unwrap();
    // The attacker saves the models row before the veto …
    use sqlx::Row;
    let old =
        sqlx::query("SELECT head, revision, seal FROM modelgate_models WHERE name = 'victim'")
            .fetch_one(store.pool())
            .await
            .unwrap();
    let (head, revision, seal): (String, i64, String) = (old.get(0), old.get(1), old.get(2));
    store
        .record_vote(
            &k,
            &policy(),
            &Review::reject("carol", DIGEST, t(30)),
            &Retry::default(),
        )
        .await
        .unwrap();
    // … and puts it back: a head and seal the host really made, but not the latest.
    raw(
        &store,
        &format!(
            "UPDATE modelgate_models SET head = '{head}', revision = {revision}, seal = '{seal}' WHERE name = 'victim'"
        ),
    )
    .await;
    let err = refused(&store, &k).await;
    assert!(
        matches!(
            err,
            LoadError::TrailTooLong {
                revision: 2,
                found: 3,
                ..
            }
        ),
        "{err}"
    );
    insta::assert_snapshot!("old_head", err.to_string());
    // Only the head moved back (revision kept): the events end elsewhere.
    raw(
        &store,
        "UPDATE modelgate_models SET revision = 3 WHERE name = 'victim'",
    )
    .await;
    let err = refused(&store, &k).await;
    assert!(matches!(err, LoadError::HeadMismatch { .. }), "{err}");
    insta::assert_snapshot!("head_mismatch", err.to_string());
    store.close().await;
    db.drop_db().await;
}

async fn unreadable_row_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let (store, k) = four_events(&db).await;
    // A row that tries to reach into the record around it.
    raw(
        &store,
        "UPDATE modelgate_events SET event = '{\"voted\": 1}], \"seal\": null, \"x\": [{' WHERE name = 'victim' AND seq = 3",
    )
    .await;
    let err = refused(&store, &k).await;
    assert!(
        matches!(err, LoadError::Unreadable { ref what, .. } if what == "event 3"),
        "{err}"
    );
    insta::assert_snapshot!("unreadable_row", err.to_string());
    store.close().await;
    db.drop_db().await;
}

/// The attacker edits the approval window of a stored model (a year instead of an hour, so
/// that a stale approval would still deploy; or none, so that it never lapses). The window is
/// part of the header, so in every hash: the load refuses, it never comes back with another
/// window.
async fn approval_window_edited_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let (store, k) = four_events_in(&db, &production()).await;
    let year = 365 * 86_400 * 1000_i64;
    raw(
        &store,
        &format!("UPDATE modelgate_models SET approval_validity_ms = {year} WHERE name = 'victim'"),
    )
    .await;
    let err = refused(&store, &k).await;
    assert!(
        matches!(
            err,
            LoadError::Refused { ref error, .. } if matches!(**error, RestoreError::Chain(ChainError::Chain { seq: 1, .. }))
        ),
        "{err}"
    );
    insta::assert_snapshot!("edited_window", err.to_string());
    raw(
        &store,
        "UPDATE modelgate_models SET approval_validity_ms = NULL WHERE name = 'victim'",
    )
    .await;
    let err = refused(&store, &k).await;
    assert!(
        matches!(
            err,
            LoadError::Refused { ref error, .. } if matches!(**error, RestoreError::Chain(ChainError::Chain { seq: 1, .. }))
        ),
        "{err}"
    );
    // Consistently: the same events re-chained from the header with the year-long window, the
    // rows and the head rewritten. Only the seal is left, and that they cannot make.
    let wide = Environment::new("production")
        .unwrap()
        .with_approval_validity(Duration::from_millis(u64::try_from(year).unwrap()));
    let mut forged = submitted_in("victim", "1", &wide);
    forged.record(Review::reject("bob", DIGEST, t(20))).unwrap();
    forged
        .record(Review::reject("carol", DIGEST, t(30)))
        .unwrap();
    forged
        .record(Review::approve("dave", DIGEST, t(40)))
        .unwrap();
    for e in forged.history() {
        raw(
            &store,
            &format!(
                "UPDATE modelgate_events SET prev = '{}', hash = '{}' WHERE name = 'victim' AND seq = {}",
                e.prev(),
                e.hash(),
                e.seq()
            ),
        )
        .await;
    }
    raw(
        &store,
        &format!(
            "UPDATE modelgate_models SET head = '{}', approval_validity_ms = {year} WHERE name = 'victim'",
            forged.head()
        ),
    )
    .await;
    let err = refused(&store, &k).await;
    assert!(
        matches!(
            err,
            LoadError::Refused { ref error, .. } if matches!(**error, RestoreError::Seal(SealError::Mismatch { .. }))
        ),
        "{err}"
    );
    insta::assert_snapshot!("rechained_window", err.to_string());
    // A window that is no window.
    raw(
        &store,
        "UPDATE modelgate_models SET approval_validity_ms = -1 WHERE name = 'victim'",
    )
    .await;
    let err = refused(&store, &k).await;
    assert!(
        matches!(err, LoadError::Unreadable { ref what, .. } if what == "environment"),
        "{err}"
    );
    insta::assert_snapshot!("negative_window", err.to_string());
    // A model without events: its head is the header's hash, which the window changes.
    let idle = key("idle", "1").in_environment(production());
    store
        .create(
            &Model::new("idle", "1")
                .unwrap()
                .in_environment(production()),
        )
        .await
        .unwrap();
    store.load(&idle).await.unwrap();
    raw(
        &store,
        &format!("UPDATE modelgate_models SET approval_validity_ms = {year} WHERE name = 'idle'"),
    )
    .await;
    let err = refused(&store, &idle).await;
    assert!(matches!(err, LoadError::HeadMismatch { .. }), "{err}");
    store.close().await;
    db.drop_db().await;
}

/// The attacker moves a model approved in staging to production, rows and all: the
/// environment's name is in the header, so the moved trail does not verify.
async fn environment_renamed_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let (store, _) = four_events_in(&db, &staging()).await;
    raw(
        &store,
        "INSERT INTO modelgate_models (name, version, environment, approval_validity_ms,
            revision, head, seal, status, kind, last_action, updated_at, submitted_seq, deployed_at)
         SELECT name, version, 'production', approval_validity_ms,
            revision, head, seal, status, kind, last_action, updated_at, submitted_seq, deployed_at
         FROM modelgate_models WHERE name = 'victim'",
    )
    .await;
    raw(
        &store,
        "INSERT INTO modelgate_events SELECT name, version, 'production', seq, at, prev, hash,
            action, actor, event
         FROM modelgate_events WHERE name = 'victim'",
    )
    .await;
    raw(
        &store,
        "DELETE FROM modelgate_events WHERE name = 'victim' AND environment = 'staging'",
    )
    .await;
    raw(
        &store,
        "DELETE FROM modelgate_models WHERE name = 'victim' AND environment = 'staging'",
    )
    .await;
    let k = key("victim", "1").in_environment("production");
    let err = refused(&store, &k).await;
    assert!(
        matches!(
            err,
            LoadError::Refused { ref error, .. } if matches!(**error, RestoreError::Chain(ChainError::Chain { seq: 1, .. }))
        ),
        "{err}"
    );
    insta::assert_snapshot!("renamed_environment", err.to_string());
    store.close().await;
    db.drop_db().await;
}

common::conformance!(
    forged_event_rechained_without_the_key_is_refused,
    edited_event_is_refused,
    deleted_middle_row_is_refused,
    rolled_back_events_table_is_refused,
    models_row_at_an_old_head_is_refused,
    unreadable_row_is_refused,
    approval_window_edited_is_refused,
    environment_renamed_is_refused,
);

/// The same on a SQLite file whose rows an attacker edits with SQL: each refused as promised
/// (the one that is not refused, a rollback of both tables to an older sealed state, is
/// documented by the store and asserted as such).
mod in_a_file {
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
    async fn a_window_widened_in_the_models_row_is_refused() {
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
    async fn a_model_moved_to_production_in_both_tables_is_refused() {
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
    async fn a_models_row_rolled_back_to_an_earlier_sealed_head_is_refused() {
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
        let (head, seal): (String, String) =
            sqlx::query_as("SELECT head, seal FROM modelgate_models")
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
    async fn a_vote_flipped_and_rehashed_without_the_key_is_refused() {
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
                TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.95)]).unwrap())
                    .unwrap(),
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
    async fn an_append_on_a_stale_head_is_refused() {
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
                TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.95)]).unwrap())
                    .unwrap(),
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
}
