//! Promise: a reviewer's queue lists a model only while its sealed trail waits for that
//! reviewer's vote. The `status`, `submitted_seq` and vote-row columns are indexes, not
//! evidence: set back or edited without the key, they put no decided model, and no model the
//! reviewer already voted on, into a queue; a trail that does not verify is refused, naming
//! the model. On SQLite (memory and file) and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use modelgate::{Decided, DecisionContext, MetricGate, Review};
use modelgate_store::{Awaiting, LoadError, ModelKey, QueryError, Retry, Store};

use common::{Backend, DIGEST, TestDb, policy, raw, submitted, t};

fn key() -> ModelKey {
    ModelKey::new("q", "1")
}

async fn queue(store: &Store, reviewer: &str) -> Result<usize, QueryError> {
    store
        .awaiting_approval(&Awaiting::all().for_reviewer(reviewer, Vec::<String>::new()))
        .await
        .map(|listed| listed.len())
}

/// `q@1` submitted, routed to bob and carol.
async fn routed(db: &TestDb) -> Store {
    let store = db.open().await;
    store.create(&submitted("q", "1")).await.unwrap();
    store.set_approvers(&key(), ["bob", "carol"]).await.unwrap();
    store
}

/// A rejected model whose `status` column is set back to `submitted` (and its round's seq
/// with it): not in bob's queue; the honest columns of the all-models list still say what the
/// row says, but no reviewer is asked to vote on it.
async fn a_decided_model_with_its_status_column_set_back_is_in_no_queue(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = routed(&db).await;
    assert_eq!(queue(&store, "bob").await.unwrap(), 1);
    let loaded = store.load(&key()).await.unwrap();
    let decided = submitted("q", "1")
        .decide(
            &MetricGate::at_least("accuracy", 0.99),
            &DecisionContext::at(t(20)),
        )
        .unwrap();
    let Decided::Rejected(rejected) = decided else {
        panic!("expected a rejection")
    };
    store.append(loaded.head, &rejected).await.unwrap();
    assert_eq!(queue(&store, "bob").await.unwrap(), 0);
    raw(
        &store,
        "UPDATE modelgate_models SET status = 'submitted', last_action = 'submitted'
         WHERE name = 'q'",
    )
    .await;
    assert_eq!(queue(&store, "bob").await.unwrap(), 0);
    assert_eq!(queue(&store, "carol").await.unwrap(), 0);
    store.close().await;
    db.drop_db().await;
}

/// Bob voted; the vote row's `actor` (or `action`) column edited so the index no longer shows
/// it: the columns are checked against the trail, so every queue that would list the model is
/// refused, naming it (it is neither put back into bob's queue nor silently kept in carol's).
async fn a_vote_hidden_in_the_columns_is_named_by_the_queue(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = routed(&db).await;
    let vote = Review::approve("bob", DIGEST, t(11));
    store
        .record_vote(&key(), &policy(), &vote, &Retry::default())
        .await
        .unwrap();
    assert_eq!(queue(&store, "bob").await.unwrap(), 0);
    raw(
        &store,
        "UPDATE modelgate_events SET actor = 'nobody', action = 'submitted' WHERE name = 'q' AND seq = 2",
    )
    .await;
    for reviewer in ["bob", "carol"] {
        match queue(&store, reviewer).await {
            Err(QueryError::Trail { error }) => assert_eq!(error.key(), &key(), "{reviewer}"),
            other => panic!("{reviewer}'s queue over an edited column: {other:?}"),
        }
    }
    store.close().await;
    db.drop_db().await;
}

/// A queued model whose trail no longer verifies (its head put back without the key): the
/// reviewer's queue is refused, naming it.
async fn a_queued_model_whose_trail_does_not_verify_is_refused_naming_it(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = routed(&db).await;
    raw(
        &store,
        "UPDATE modelgate_models SET head = '0000000000000000000000000000000000000000000000000000000000000000'
         WHERE name = 'q'",
    )
    .await;
    let err = queue(&store, "bob").await.unwrap_err();
    let QueryError::Trail { error } = &err else {
        panic!("expected a trail refusal: {err}")
    };
    assert_eq!(*error.key(), key());
    assert!(!matches!(**error, LoadError::NotFound { .. }), "{err}");
    store.close().await;
    db.drop_db().await;
}

common::conformance!(
    a_decided_model_with_its_status_column_set_back_is_in_no_queue,
    a_vote_hidden_in_the_columns_is_named_by_the_queue,
    a_queued_model_whose_trail_does_not_verify_is_refused_naming_it,
);
