//! The conformance suite: one set of tests, each generic over the backend, run on SQLite in
//! memory, SQLite in a file and PostgreSQL (`MODELGATE_PG_URL`; see `scripts/with-postgres.sh`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{Backend, DIGEST, TestDb, hmac, keys, policy, raw, submitted, t};
use modelgate::trail::SealError;
use modelgate::{
    Action, AnyModel, Artifact, Decided, DecisionContext, EventKind, HmacSealer, Metrics, Model,
    PipelineSpec, Receipt, RestoreError, Review, Run, Status,
};
use modelgate_store::{
    AppendError, Awaiting, CreateError, Keys, LoadError, ModelKey, OpenError, Retry, Store,
    VoteError,
};

fn key(name: &str, version: &str) -> ModelKey {
    ModelKey::new(name, version)
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
        && s.environment == modelgate::Environment::default()
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
                supported: 1
            }
        ),
        "{err}"
    );
    // Opening again at the same version is a no-op.
    raw(&store, "UPDATE modelgate_schema SET version = 1").await;
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
    let store = db.open().await;
    let k = key("victim", "1");
    store.create(&submitted("victim", "1")).await.unwrap();
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
