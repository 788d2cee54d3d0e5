//! Votes go through the store's compare-and-swap: each is recorded or refused with its reason,
//! and concurrent approvers lose none. On SQLite (memory and file) and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{Backend, DIGEST, TestDb, key, policy, submitted, t};
use modelgate::{EventKind, Model, Review, Status};
use modelgate_store::{LoadError, Retry, VoteError};

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

common::conformance!(
    votes_are_recorded_and_refused,
    sixteen_approvers_fifty_models,
);
