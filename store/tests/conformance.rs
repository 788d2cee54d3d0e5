//! The conformance suite: one set of tests, each generic over the backend, run on SQLite in
//! memory, SQLite in a file and PostgreSQL (`MODELGATE_PG_URL`; see `scripts/with-postgres.sh`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod registry;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use common::{
    Backend, DIGEST, TestDb, deployed_in, hmac, keys, policy, raw, submitted, submitted_in, t,
};
use modelgate::trail::SealError;
use modelgate::{
    Action, AnyModel, Artifact, Decided, DecisionContext, Environment, EventKind, HmacSealer,
    Metrics, Model, PipelineSpec, Receipt, RestoreError, Review, Run, Status, Timestamp,
};
use modelgate_store::{
    AppendError, Awaiting, CreateError, Keys, LoadError, ModelKey, OpenError, Retry, Store,
    Summary, VoteError,
};
use registry::{
    registry_concurrent_saves_one_wins, registry_member_at_an_old_head_is_refused,
    registry_rollback_and_retire_saved, registry_save_that_loses_is_refused_whole,
    registry_saved_after_every_move,
};

fn key(name: &str, version: &str) -> ModelKey {
    ModelKey::new(name, version)
}

fn staging() -> Environment {
    Environment::new("staging").unwrap()
}

/// Production, where an approval lapses after an hour undeployed.
fn production() -> Environment {
    Environment::new("production")
        .unwrap()
        .with_approval_validity(Duration::from_secs(3600))
}

fn versions(summaries: Vec<Summary>) -> Vec<String> {
    summaries
        .into_iter()
        .map(|s| s.key.version().to_owned())
        .collect()
}

fn environments(summaries: Vec<Summary>) -> Vec<String> {
    summaries
        .into_iter()
        .map(|s| s.key.environment().to_owned())
        .collect()
}

async fn create_and_restore(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let model = submitted("churn", "1");
    let written = store.create(&model).await.unwrap();
    assert_eq!((written.head, written.revision), (model.head(), 1));
    let loaded = store.restore(&key("churn", "1"), &policy()).await.unwrap();
    assert_eq!(loaded.model, AnyModel::Submitted(model));
    assert_eq!((loaded.head, loaded.revision), (written.head, 1));
    let stored = store.load(&key("churn", "1")).await.unwrap();
    assert_eq!(stored.model.events().len(), 1);
    assert!(
        stored.model.seal().is_some(),
        "the store seals what it writes"
    );
    // An untrained model, without events, round-trips too.
    let empty = Model::new("empty", "0").unwrap();
    store.create(&empty).await.unwrap();
    let loaded = store.restore(&key("empty", "0"), &policy()).await.unwrap();
    assert_eq!(loaded.model, AnyModel::Untrained(empty));
    store.close().await;
    db.drop_db().await;
}

async fn create_twice_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    store.create(&submitted("churn", "1")).await.unwrap();
    let err = store.create(&submitted("churn", "1")).await.unwrap_err();
    assert!(
        matches!(err, CreateError::Exists { ref key } if key.name() == "churn"),
        "{err}"
    );
    store.close().await;
    db.drop_db().await;
}

async fn append_is_compare_and_swap(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let k = key("churn", "1");
    store.create(&submitted("churn", "1")).await.unwrap();
    // Two writers read the same state …
    let a = store.restore(&k, &policy()).await.unwrap();
    let b2 = store.restore(&k, &policy()).await.unwrap();
    let (AnyModel::Submitted(mut ma), AnyModel::Submitted(mut mb)) = (a.model, b2.model) else {
        panic!()
    };
    ma.record(Review::approve("bob", DIGEST, t(20))).unwrap();
    mb.record(Review::approve("carol", DIGEST, t(21))).unwrap();
    // … the first wins, the second gets a conflict naming where the model is now.
    let written = store.append(a.head, &ma).await.unwrap();
    assert_eq!(written.revision, 2);
    let err = store.append(b2.head, &mb).await.unwrap_err();
    match &err {
        AppendError::Conflict {
            key,
            expected,
            head,
            revision,
        } => {
            assert_eq!(key, &k);
            assert_eq!(*expected, b2.head);
            assert_eq!(*head, written.head);
            assert_eq!(*revision, 2);
        }
        other => panic!("expected a conflict, got {other}"),
    }
    // Nothing of the loser was written.
    let trail = store.audit_trail(&k).await.unwrap();
    assert_eq!(trail.len(), 2);
    // Appending several events at once is one write.
    let loaded = store.restore(&k, &policy()).await.unwrap();
    let AnyModel::Submitted(mut m) = loaded.model else {
        panic!()
    };
    m.record(Review::approve("carol", DIGEST, t(30))).unwrap();
    let Decided::Approved(m) = m.decide(&policy(), &DecisionContext::at(t(40))).unwrap() else {
        panic!()
    };
    let m = m
        .mark_deployed(Receipt::new("prod/churn@1"), "deployer", t(50))
        .unwrap();
    let written = store.append(loaded.head, &m).await.unwrap();
    assert_eq!(written.revision, 5);
    let restored = store.restore(&k, &policy()).await.unwrap();
    assert_eq!(restored.model, AnyModel::Deployed(m));
    store.close().await;
    db.drop_db().await;
}

async fn append_refuses_what_does_not_continue(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let model = submitted("churn", "1");
    let err = store.append(model.head(), &model).await.unwrap_err();
    assert!(matches!(err, AppendError::NothingToAppend { .. }), "{err}");
    let mut voted = submitted("churn", "1");
    voted.record(Review::approve("bob", DIGEST, t(20))).unwrap();
    let err = store.append(model.head(), &voted).await.unwrap_err();
    assert!(matches!(err, AppendError::NotFound { .. }), "{err}");
    store.create(&model).await.unwrap();
    let other = submitted("other", "1");
    let err = store.append(other.head(), &voted).await.unwrap_err();
    assert!(matches!(err, AppendError::NotAContinuation { .. }), "{err}");
    store.append(model.head(), &voted).await.unwrap();
    store.close().await;
    db.drop_db().await;
}

async fn votes_are_recorded_and_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let k = key("churn", "1");
    store.create(&submitted("churn", "1")).await.unwrap();
    let retry = Retry::default();
    let voted = store
        .record_vote(
            &k,
            &policy(),
            &Review::approve("bob", DIGEST, t(20)),
            &retry,
        )
        .await
        .unwrap();
    assert_eq!((voted.written.revision, voted.conflicts), (2, 0));
    let err = store
        .record_vote(
            &k,
            &policy(),
            &Review::approve("carol", "sha256:other", t(21)),
            &retry,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, VoteError::Refused { .. }), "{err}");
    let err = store
        .record_vote(
            &key("nope", "1"),
            &policy(),
            &Review::approve("carol", DIGEST, t(21)),
            &retry,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, VoteError::Load(LoadError::NotFound { .. })),
        "{err}"
    );
    let empty = Model::new("empty", "0").unwrap();
    store.create(&empty).await.unwrap();
    let err = store
        .record_vote(
            &key("empty", "0"),
            &policy(),
            &Review::approve("carol", DIGEST, t(21)),
            &retry,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            VoteError::NotSubmitted {
                status: Status::Untrained,
                ..
            }
        ),
        "{err}"
    );
    store.close().await;
    db.drop_db().await;
}

async fn queries(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    // Three submitted models; bob may approve the first two (by id, by role).
    for v in ["1", "2", "3"] {
        store.create(&submitted("churn", v)).await.unwrap();
    }
    store
        .set_approvers(&key("churn", "1"), ["bob"])
        .await
        .unwrap();
    store
        .set_approvers(&key("churn", "2"), ["team_lead", "carol"])
        .await
        .unwrap();
    let keys_of = |s: Vec<modelgate_store::Summary>| {
        s.into_iter()
            .map(|s| s.key.version().to_owned())
            .collect::<Vec<_>>()
    };
    let all = store.awaiting_approval(&Awaiting::all()).await.unwrap();
    assert_eq!(keys_of(all.clone()), ["1", "2", "3"]);
    assert!(all.iter().all(|s| s.status == Status::Submitted
        && s.environment == Environment::default()
        && s.key.environment() == "default"));
    let bob = Awaiting::all().for_reviewer("bob", ["team_lead"]);
    assert_eq!(
        keys_of(store.awaiting_approval(&bob).await.unwrap()),
        ["1", "2"]
    );
    let bob_no_role = Awaiting::all().for_reviewer("bob", Vec::<String>::new());
    assert_eq!(
        keys_of(store.awaiting_approval(&bob_no_role).await.unwrap()),
        ["1"]
    );
    let elsewhere = Awaiting::all().in_environment("production");
    assert!(
        store
            .awaiting_approval(&elsewhere)
            .await
            .unwrap()
            .is_empty()
    );
    let here = Awaiting::all().in_environment("default");
    assert_eq!(store.awaiting_approval(&here).await.unwrap().len(), 3);
    // Once bob voted on 1, it leaves his queue, not the list.
    store
        .record_vote(
            &key("churn", "1"),
            &policy(),
            &Review::approve("bob", DIGEST, t(20)),
            &Retry::default(),
        )
        .await
        .unwrap();
    assert_eq!(keys_of(store.awaiting_approval(&bob).await.unwrap()), ["2"]);
    assert_eq!(
        store
            .awaiting_approval(&Awaiting::all())
            .await
            .unwrap()
            .len(),
        3
    );
    // Deploy 1 at 50 s and 2 at 60 s: 2 is the current deployment.
    for (v, at) in [("1", 50), ("2", 60)] {
        let k = key("churn", v);
        let loaded = store.restore(&k, &policy()).await.unwrap();
        let AnyModel::Submitted(mut m) = loaded.model else {
            panic!()
        };
        m.record(Review::approve("carol", DIGEST, t(at - 5)))
            .unwrap();
        m.record(Review::approve("dave", DIGEST, t(at - 4)))
            .unwrap();
        let Decided::Approved(m) = m
            .decide(&policy(), &DecisionContext::at(t(at - 1)))
            .unwrap()
        else {
            panic!()
        };
        let m = m
            .mark_deployed(Receipt::new(format!("prod/churn@{v}")), "ci", t(at))
            .unwrap();
        store.append(loaded.head, &m).await.unwrap();
    }
    let current = store.current_deployments(None).await.unwrap();
    assert_eq!(keys_of(current.clone()), ["2"]);
    assert_eq!(current[0].deployed_at, Some(t(60)));
    assert_eq!(
        keys_of(store.current_deployments(Some("churn")).await.unwrap()),
        ["2"]
    );
    assert!(
        store
            .current_deployments(Some("other"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        keys_of(store.by_status(Status::Deployed).await.unwrap()),
        ["1", "2"]
    );
    assert_eq!(
        keys_of(store.by_status(Status::Submitted).await.unwrap()),
        ["3"]
    );
    let trail = store.audit_trail(&key("churn", "2")).await.unwrap();
    let actions: Vec<_> = trail.iter().map(|e| e.action()).collect();
    assert_eq!(
        actions,
        ["submitted", "voted", "voted", "approved", "deployed"]
    );
    store.close().await;
    db.drop_db().await;
}

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
            LoadError::Refused { ref error, .. } if matches!(**error, RestoreError::Chain { seq: 3, .. })
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

/// 16 approvers vote at once on each of 50 models: no vote lost, every trail verifies.
async fn sixteen_approvers_fifty_models(b: Backend) {
    const APPROVERS: usize = 16;
    const MODELS: usize = 50;
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = Arc::new(db.open().await);
    for m in 0..MODELS {
        store
            .create(&submitted("fleet", &m.to_string()))
            .await
            .unwrap();
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(APPROVERS));
    let tasks: Vec<_> = (0..APPROVERS)
        .map(|i| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                let mut conflicts = 0;
                // Each approver starts elsewhere, so that they meet on every model.
                for j in 0..MODELS {
                    let m = (i * 7 + j) % MODELS;
                    let review = if i % 5 == 4 {
                        Review::reject(format!("approver-{i:02}"), DIGEST, t(100))
                    } else {
                        Review::approve(format!("approver-{i:02}"), DIGEST, t(100))
                    };
                    let voted = store
                        .record_vote(
                            &key("fleet", &m.to_string()),
                            &policy(),
                            &review,
                            &Retry::default().attempts(1_000),
                        )
                        .await
                        .unwrap();
                    conflicts += voted.conflicts;
                }
                conflicts
            })
        })
        .collect();
    let mut conflicts = 0;
    for task in tasks {
        conflicts += task.await.unwrap();
    }
    for m in 0..MODELS {
        let k = key("fleet", &m.to_string());
        let loaded = store.restore(&k, &policy()).await.unwrap();
        assert_eq!(
            loaded.revision,
            1 + APPROVERS as u64,
            "{k}: one submission and every vote"
        );
        let voters: BTreeSet<String> = loaded
            .model
            .history()
            .iter()
            .filter_map(|e| match e.kind() {
                EventKind::Voted { review } => Some(review.reviewer().to_owned()),
                _ => None,
            })
            .collect();
        assert_eq!(voters.len(), APPROVERS, "{k}: every approver's vote, once");
    }
    eprintln!(
        "{b:?}: {APPROVERS} approvers x {MODELS} models, {conflicts} compare-and-swap conflicts retried"
    );
    store.close().await;
    Arc::try_unwrap(store).ok();
    db.drop_db().await;
}

fn pipeline_spec() -> PipelineSpec {
    serde_json::from_str(
        r#"{"steps": [
            {"name": "train", "type": "training"},
            {"name": "approve", "type": "approval", "inputs": {"approvers": ["bob", "team_lead"]}},
            {"name": "deploy", "type": "deploy"}
        ]}"#,
    )
    .unwrap()
}

/// A run stored at the approval pause resumes after a restart and goes on to the end.
async fn restart_resumes_a_run(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let k = key("pipeline-model", "7");
    {
        let store = db.open().await;
        let mut run = Run::start(
            pipeline_spec().validate().unwrap(),
            Model::new("pipeline-model", "7").unwrap(),
            "alice",
            t(0),
        )
        .unwrap();
        let written = store.create(&run).await.unwrap();
        assert!(matches!(run.poll(t(1)).unwrap(), Action::Train { .. }));
        run.handle_artifact(Artifact::new(DIGEST, Metrics::default()).unwrap(), t(2))
            .unwrap();
        assert!(matches!(
            run.poll(t(3)).unwrap(),
            Action::AwaitApproval { .. }
        ));
        store.append(written.head, &run).await.unwrap();
        store.close().await;
    } // "restart": the process and its store are gone.
    let store = db.open().await;
    let unfinished = store.unfinished_runs().await.unwrap();
    assert_eq!(unfinished.len(), 1);
    assert_eq!(unfinished[0].key, k);
    assert!(unfinished[0].is_run);
    let bob = Awaiting::all().for_reviewer("bob", Vec::<String>::new());
    assert_eq!(
        store.awaiting_approval(&bob).await.unwrap().len(),
        1,
        "the pipeline's approvers"
    );
    let pipeline = pipeline_spec().validate().unwrap();
    store
        .record_run_vote(
            &k,
            &pipeline,
            &Review::approve("bob", DIGEST, t(10)),
            &Retry::default(),
        )
        .await
        .unwrap();
    let loaded = store.restore_run(&k, pipeline.clone()).await.unwrap();
    let mut run = loaded.model;
    assert!(matches!(run.poll(t(11)).unwrap(), Action::Deploy { .. }));
    run.handle_deployed(Receipt::new("prod/pipeline-model@7"), t(12))
        .unwrap();
    assert_eq!(
        run.poll(t(13)).unwrap().to_string(),
        "finished: deployed after 1 attempt(s)"
    );
    store.append(loaded.head, &run).await.unwrap();
    assert!(store.unfinished_runs().await.unwrap().is_empty());
    let again = store.restore_run(&k, pipeline).await.unwrap();
    assert_eq!(again.model.status(), Status::Deployed);
    store.close().await;
    db.drop_db().await;
}

/// The same name and version in the default environment, in staging and in production: three
/// models, three trails, side by side; each is loaded, voted on and queued on its own.
async fn same_version_in_two_environments(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let in_default = submitted("churn", "4");
    let in_staging = submitted_in("churn", "4", &staging());
    let in_production = submitted_in("churn", "4", &production());
    for m in [&in_default, &in_staging, &in_production] {
        store.create(m).await.unwrap();
    }
    // The environment is in every hash: three trails.
    let heads: BTreeSet<_> = [&in_default, &in_staging, &in_production]
        .iter()
        .map(|m| m.head())
        .collect();
    assert_eq!(heads.len(), 3);
    let kd = key("churn", "4");
    let ks = key("churn", "4").in_environment("staging");
    let kp = key("churn", "4").in_environment(production());
    assert_eq!(ModelKey::of(&in_default), kd);
    assert_eq!(ModelKey::of(&in_staging), ks);
    assert_eq!(ModelKey::of(&in_production), kp);
    // Stored again in its own environment: refused.
    let err = store
        .create(&submitted_in("churn", "4", &staging()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, CreateError::Exists { ref key } if *key == ks),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "model `churn@4 in staging` is already stored"
    );
    for (k, m) in [(&kd, in_default), (&ks, in_staging), (&kp, in_production)] {
        let loaded = store.restore(k, &policy()).await.unwrap();
        assert_eq!(loaded.head, m.head(), "{k}");
        assert_eq!(loaded.model, AnyModel::Submitted(m), "{k}");
        let stored = store.load(k).await.unwrap();
        assert_eq!(stored.model.environment().name(), k.environment());
    }
    let err = store
        .load(&key("churn", "4").in_environment("qa"))
        .await
        .unwrap_err();
    assert!(matches!(err, LoadError::NotFound { .. }), "{err}");
    assert_eq!(err.to_string(), "model `churn@4 in qa` is not stored");
    // bob may approve in staging and in production; his vote in staging leaves production in
    // his queue, and is written to the staging trail only.
    store.set_approvers(&ks, ["bob"]).await.unwrap();
    store.set_approvers(&kp, ["bob"]).await.unwrap();
    let bob = Awaiting::all().for_reviewer("bob", Vec::<String>::new());
    assert_eq!(
        environments(store.awaiting_approval(&bob).await.unwrap()),
        ["production", "staging"]
    );
    store
        .record_vote(
            &ks,
            &policy(),
            &Review::approve("bob", DIGEST, t(20)),
            &Retry::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        environments(store.awaiting_approval(&bob).await.unwrap()),
        ["production"]
    );
    for (k, revision) in [(&kd, 1), (&ks, 2), (&kp, 1)] {
        assert_eq!(store.load(k).await.unwrap().revision, revision, "{k}");
    }
    assert_eq!(
        environments(
            store
                .awaiting_approval(&Awaiting::all().in_environment(staging()))
                .await
                .unwrap()
        ),
        ["staging"]
    );
    assert_eq!(
        environments(store.awaiting_approval(&Awaiting::all()).await.unwrap()),
        ["default", "production", "staging"]
    );
    // Setting production's approvers leaves staging's alone.
    store.set_approvers(&kp, ["carol"]).await.unwrap();
    let carol = Awaiting::all().for_reviewer("carol", Vec::<String>::new());
    assert_eq!(
        environments(store.awaiting_approval(&carol).await.unwrap()),
        ["production"]
    );
    use sqlx::Row;
    let staging_approvers: i64 = sqlx::query(
        "SELECT COUNT(*) FROM modelgate_approvers WHERE environment = 'staging' AND approver = 'bob'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap()
    .get(0);
    assert_eq!(staging_approvers, 1);
    // A trail of one environment does not continue the head of another.
    let production_head = store.load(&kp).await.unwrap().head;
    let AnyModel::Submitted(mut voted) = store.restore(&ks, &policy()).await.unwrap().model else {
        panic!()
    };
    voted
        .record(Review::approve("carol", DIGEST, t(30)))
        .unwrap();
    let err = store.append(production_head, &voted).await.unwrap_err();
    assert!(matches!(err, AppendError::NotAContinuation { .. }), "{err}");
    store.close().await;
    db.drop_db().await;
}

/// An environment's approval window is stored with the model and comes back exactly; the
/// lapse it brings, and the reopening after it, go through the store.
async fn approval_window_round_trips(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let window = Duration::from_millis(3_600_123);
    let env = Environment::new("production")
        .unwrap()
        .with_approval_validity(window);
    let k = key("churn", "5").in_environment(&env);
    store
        .create(&submitted_in("churn", "5", &env))
        .await
        .unwrap();
    // Without a window: none stored, none loaded.
    let ks = key("churn", "5").in_environment("staging");
    store
        .create(&submitted_in("churn", "5", &staging()))
        .await
        .unwrap();
    use sqlx::Row;
    let windows: Vec<(String, Option<i64>)> = sqlx::query(
        "SELECT environment, approval_validity_ms FROM modelgate_models ORDER BY environment",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    assert_eq!(
        windows,
        [
            ("production".to_owned(), Some(3_600_123)),
            ("staging".to_owned(), None)
        ]
    );
    let loaded = store.load(&k).await.unwrap();
    assert_eq!(loaded.model.environment(), &env);
    assert_eq!(loaded.model.environment().approval_validity(), Some(window));
    let loaded = store.load(&ks).await.unwrap();
    assert_eq!(loaded.model.environment(), &staging());
    let summaries = store.by_status(Status::Submitted).await.unwrap();
    assert_eq!(
        summaries.iter().map(|s| &s.environment).collect::<Vec<_>>(),
        [&env, &staging()]
    );
    // Approved at 20 s, it lapses an hour (and 123 ms) later.
    store.set_approvers(&k, ["bob"]).await.unwrap();
    for (who, at) in [("bob", 15), ("carol", 16)] {
        store
            .record_vote(
                &k,
                &policy(),
                &Review::approve(who, DIGEST, t(at)),
                &Retry::default(),
            )
            .await
            .unwrap();
    }
    let loaded = store.restore(&k, &policy()).await.unwrap();
    let AnyModel::Submitted(m) = loaded.model else {
        panic!()
    };
    let approved = m
        .decide(&policy(), &DecisionContext::at(t(20)))
        .unwrap()
        .approved()
        .unwrap();
    let written = store.append(loaded.head, &approved).await.unwrap();
    let loaded = store.restore(&k, &policy()).await.unwrap();
    assert_eq!(loaded.head, written.head);
    let AnyModel::Approved(approved) = loaded.model else {
        panic!()
    };
    assert_eq!(
        approved.lapses_at(),
        Some(Timestamp::from_unix_millis(20_000 + 3_600_123))
    );
    // Too late to deploy: reopened for a fresh decision, back in bob's queue (the votes of
    // the lapsed round are not counted).
    let late = t(20 + 3_601);
    let refused = approved
        .mark_deployed(Receipt::new("prod/churn@5"), "ci", late)
        .unwrap_err();
    let (approved, _) = refused.into_input();
    let reopened = approved.reopen("alice", late).unwrap();
    store.append(loaded.head, &reopened).await.unwrap();
    let bob = Awaiting::all().for_reviewer("bob", Vec::<String>::new());
    assert_eq!(
        versions(store.awaiting_approval(&bob).await.unwrap()),
        ["5"]
    );
    let restored = store.restore(&k, &policy()).await.unwrap();
    assert_eq!(restored.model, AnyModel::Submitted(reopened));
    store.close().await;
    db.drop_db().await;
}

/// What the database's 64-bit integers cannot hold is refused when written, not stored as
/// another value that would never load again.
async fn values_the_database_cannot_hold_are_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let forever = Environment::new("forever")
        .unwrap()
        .with_approval_validity(Duration::MAX);
    let err = store
        .create(&submitted_in("churn", "6", &forever))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CreateError::OutOfRange {
                field: "approval_validity_ms",
                value: u64::MAX,
                ..
            }
        ),
        "{err}"
    );
    let k = key("churn", "6").in_environment(&forever);
    assert!(matches!(
        store.load(&k).await.unwrap_err(),
        LoadError::NotFound { .. }
    ));
    let outcome = modelgate::TrainingOutcome::new(DIGEST, Metrics::default()).unwrap();
    let far = Model::new("churn", "7")
        .unwrap()
        .submit(outcome, "alice", Timestamp::from_unix_millis(u64::MAX))
        .unwrap();
    let err = store.create(&far).await.unwrap_err();
    assert!(matches!(err, CreateError::Encode { seq: 1, .. }), "{err}");
    assert!(matches!(
        store.load(&key("churn", "7")).await.unwrap_err(),
        LoadError::NotFound { .. }
    ));
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
            LoadError::Refused { ref error, .. } if matches!(**error, RestoreError::Chain { seq: 1, .. })
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
            LoadError::Refused { ref error, .. } if matches!(**error, RestoreError::Chain { seq: 1, .. })
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
            LoadError::Refused { ref error, .. } if matches!(**error, RestoreError::Chain { seq: 1, .. })
        ),
        "{err}"
    );
    insta::assert_snapshot!("renamed_environment", err.to_string());
    store.close().await;
    db.drop_db().await;
}

/// A version deployed in staging is promoted to production with evidence from staging: both
/// are stored, the promotion is in the submitted event's row, and the production model
/// restores with it and goes on to its own deployment.
async fn promoted_model_stores_and_restores(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let in_staging = deployed_in("churn", "4", &staging(), 50);
    store.create(&in_staging).await.unwrap();
    let online = Metrics::new([("error_rate", 0.01)]).unwrap();
    let target = Model::new("churn", "4")
        .unwrap()
        .in_environment(production());
    let promoted = in_staging
        .promote(target, online, "alice", t(3600))
        .unwrap();
    store.create(&promoted).await.unwrap();
    let kp = ModelKey::of(&promoted);
    assert_eq!(kp, key("churn", "4").in_environment("production"));
    use sqlx::Row;
    let event: String = sqlx::query(
        "SELECT event FROM modelgate_events WHERE name = 'churn' AND environment = 'production' AND seq = 1",
    )
    .fetch_one(store.pool())
    .await
    .unwrap()
    .get(0);
    assert!(event.contains("\"promotion\""), "{event}");
    let loaded = store.restore(&kp, &policy()).await.unwrap();
    let AnyModel::Submitted(restored) = loaded.model else {
        panic!()
    };
    let evidence = restored.stage().submission().promotion().unwrap();
    assert_eq!(evidence.from(), "staging");
    assert_eq!(evidence.deployment(), in_staging.deployment());
    assert_eq!(evidence.deployed_at(), t(50));
    assert_eq!(evidence.online().get("error_rate"), Some(0.01));
    assert_eq!(restored, promoted);
    // Reviewed, approved and deployed in production, through the store.
    for (who, at) in [("carol", 3700), ("dave", 3701)] {
        store
            .record_vote(
                &kp,
                &policy(),
                &Review::approve(who, DIGEST, t(at)),
                &Retry::default(),
            )
            .await
            .unwrap();
    }
    let loaded = store.restore(&kp, &policy()).await.unwrap();
    let AnyModel::Submitted(m) = loaded.model else {
        panic!()
    };
    let deployed = m
        .decide(&policy(), &DecisionContext::at(t(3702)))
        .unwrap()
        .approved()
        .unwrap()
        .mark_deployed(Receipt::new("production/churn@4"), "ci", t(3703))
        .unwrap();
    store.append(loaded.head, &deployed).await.unwrap();
    let current = store.current_deployments(Some("churn")).await.unwrap();
    assert_eq!(environments(current.clone()), ["production", "staging"]);
    assert_eq!(versions(current), ["4", "4"]);
    assert_eq!(
        store.restore(&kp, &policy()).await.unwrap().model.status(),
        Status::Deployed
    );
    // Staging's trail is untouched.
    let ks = key("churn", "4").in_environment("staging");
    let staged = store.restore(&ks, &policy()).await.unwrap();
    assert_eq!(staged.model, AnyModel::Deployed(in_staging));
    store.close().await;
    db.drop_db().await;
}

/// Superseded, rolled back, reinstated, retired: statuses and the current deployment of each
/// environment follow.
async fn life_after_deploy(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let prod = production();
    let k = |v: &str| key("churn", v).in_environment(&prod);
    // 1 deployed at 50 s, 2 at 60 s replacing it; 3 deployed in staging at 65 s.
    store
        .create(&deployed_in("churn", "1", &prod, 50))
        .await
        .unwrap();
    store
        .create(&deployed_in("churn", "2", &prod, 60))
        .await
        .unwrap();
    store
        .create(&deployed_in("churn", "3", &staging(), 65))
        .await
        .unwrap();
    let loaded = store.restore(&k("1"), &policy()).await.unwrap();
    let AnyModel::Deployed(m) = loaded.model else {
        panic!()
    };
    let superseded = m.supersede("2", "ci", t(60)).unwrap();
    store.append(loaded.head, &superseded).await.unwrap();
    let current = store.current_deployments(None).await.unwrap();
    assert_eq!(environments(current.clone()), ["production", "staging"]);
    assert_eq!(versions(current.clone()), ["2", "3"]);
    assert_eq!(current[0].deployed_at, Some(t(60)));
    assert_eq!(
        versions(store.by_status(Status::Superseded).await.unwrap()),
        ["1"]
    );
    // 2 misbehaves: production goes back to 1, reinstated.
    let loaded = store.restore(&k("2"), &policy()).await.unwrap();
    let AnyModel::Deployed(m) = loaded.model else {
        panic!()
    };
    let rolled_back = m.roll_back("1", "latency", "oncall", t(70)).unwrap();
    store.append(loaded.head, &rolled_back).await.unwrap();
    let loaded = store.restore(&k("1"), &policy()).await.unwrap();
    let AnyModel::Superseded(m) = loaded.model else {
        panic!()
    };
    let reinstated = m
        .reinstate(&policy(), Some("2"), "latency", "oncall", t(70))
        .unwrap();
    store.append(loaded.head, &reinstated).await.unwrap();
    let current = store.current_deployments(Some("churn")).await.unwrap();
    assert_eq!(versions(current.clone()), ["1", "3"]);
    assert_eq!(
        current[0].deployed_at,
        Some(t(70)),
        "a reinstated model became current when it was reinstated"
    );
    assert_eq!(
        versions(store.by_status(Status::Superseded).await.unwrap()),
        ["2"]
    );
    assert_eq!(
        versions(store.by_status(Status::Deployed).await.unwrap()),
        ["3", "1"]
    );
    // 2 is retired for cause at 80 s, then 1 at 90 s: production has no current deployment.
    let loaded = store.restore(&k("2"), &policy()).await.unwrap();
    let AnyModel::Superseded(m) = loaded.model else {
        panic!()
    };
    let retired = m.retire("latency regression", true, "ops", t(80)).unwrap();
    store.append(loaded.head, &retired).await.unwrap();
    assert!(
        store
            .by_status(Status::Superseded)
            .await
            .unwrap()
            .is_empty()
    );
    let loaded = store.restore(&k("1"), &policy()).await.unwrap();
    let AnyModel::Deployed(m) = loaded.model else {
        panic!()
    };
    let retired_1 = m
        .retire("replaced by the v3 line", false, "ops", t(90))
        .unwrap();
    store.append(loaded.head, &retired_1).await.unwrap();
    let retired = store.by_status(Status::Retired).await.unwrap();
    assert_eq!(versions(retired.clone()), ["2", "1"]);
    assert!(retired.iter().all(|s| s.environment == prod));
    let current = store.current_deployments(None).await.unwrap();
    assert_eq!(environments(current.clone()), ["staging"]);
    assert_eq!(versions(current), ["3"]);
    let restored = store.restore(&k("1"), &policy()).await.unwrap();
    assert_eq!(restored.model, AnyModel::Retired(retired_1));
    let actions: Vec<_> = store
        .audit_trail(&k("1"))
        .await
        .unwrap()
        .iter()
        .map(|e| e.action())
        .collect();
    assert_eq!(
        actions,
        [
            "submitted",
            "voted",
            "voted",
            "approved",
            "deployed",
            "superseded",
            "reinstated",
            "retired"
        ]
    );
    let actions: Vec<_> = store
        .audit_trail(&k("2"))
        .await
        .unwrap()
        .iter()
        .map(|e| e.action())
        .collect();
    assert_eq!(actions[5..], ["rolled back", "retired"]);
    store.close().await;
    db.drop_db().await;
}

macro_rules! conformance {
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

conformance!(
    create_and_restore,
    create_twice_is_refused,
    append_is_compare_and_swap,
    append_refuses_what_does_not_continue,
    votes_are_recorded_and_refused,
    queries,
    untrusted_key_is_refused,
    newer_schema_is_refused,
    forged_event_rechained_without_the_key_is_refused,
    edited_event_is_refused,
    deleted_middle_row_is_refused,
    rolled_back_events_table_is_refused,
    models_row_at_an_old_head_is_refused,
    unreadable_row_is_refused,
    sixteen_approvers_fifty_models,
    restart_resumes_a_run,
    same_version_in_two_environments,
    approval_window_round_trips,
    values_the_database_cannot_hold_are_refused,
    approval_window_edited_is_refused,
    environment_renamed_is_refused,
    promoted_model_stores_and_restores,
    life_after_deploy,
    registry_saved_after_every_move,
    registry_rollback_and_retire_saved,
    registry_member_at_an_old_head_is_refused,
    registry_save_that_loses_is_refused_whole,
    registry_concurrent_saves_one_wins,
);

/// CI sets `MODELGATE_REQUIRE_PG=1`: then the PostgreSQL half must have been built.
#[test]
fn postgres_half_is_built_when_required() {
    if std::env::var("MODELGATE_REQUIRE_PG").as_deref() == Ok("1") {
        assert!(
            common::pg_url().is_some() && cfg!(feature = "postgres"),
            "MODELGATE_REQUIRE_PG=1 but the `postgres` feature is off: run with --all-features"
        );
    }
}
