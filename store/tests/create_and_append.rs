//! A model is created once and appended to only where it continues: a create restores as it
//! was written, a second create is refused, an append is a compare-and-swap on the head and
//! refuses what does not continue the stored trail, and what the database's integers cannot
//! hold is refused when written. Each test runs on SQLite in memory, SQLite in a file and
//! PostgreSQL (`MODELGATE_PG_URL`; see `scripts/with-postgres.sh`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use common::{Backend, DIGEST, TestDb, key, policy, submitted, submitted_in, t};
use modelgate::{
    AnyModel, Decided, DecisionContext, Environment, Metrics, Model, Receipt, Review, Timestamp,
};
use modelgate_store::{AppendError, CreateError, LoadError};

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

common::conformance!(
    create_and_restore,
    create_twice_is_refused,
    append_is_compare_and_swap,
    append_refuses_what_does_not_continue,
    values_the_database_cannot_hold_are_refused,
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
