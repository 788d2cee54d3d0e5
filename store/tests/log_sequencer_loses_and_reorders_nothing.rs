//! The log's sequencer loses and reorders nothing: approvers vote at once on many models while
//! checkpoints are taken; every write's leaf reaches the log exactly once, each model's leaves
//! in the order of its revisions, every checkpoint extends the one before, and the store checks
//! out against each of them. On SQLite (memory and file) and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::log::hold;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::{Backend, DIGEST, TestDb, key, policy, submitted, t};
use modelgate::Review;
use modelgate_store::Retry;

const APPROVERS: u64 = 6;
const MODELS: u64 = 8;
async fn concurrent_writers_and_checkpoints_lose_no_leaf(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = Arc::new(db.open().await);
    for m in 0..MODELS {
        store
            .create(&submitted("seq", &m.to_string()))
            .await
            .unwrap();
    }
    let first = hold(&store).await;
    assert_eq!(first.size(), MODELS);
    let voters: Vec<_> = (0..APPROVERS)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for j in 0..MODELS {
                    let m = (i + j) % MODELS;
                    let review = Review::approve(format!("approver-{i}"), DIGEST, t(20 + j));
                    store
                        .record_vote(
                            &key("seq", &m.to_string()),
                            &policy(),
                            &review,
                            &Retry::default().attempts(1_000),
                        )
                        .await
                        .unwrap_or_else(|e| panic!("approver-{i} on seq@{m}: {e}"));
                }
            })
        })
        .collect();
    // An auditor takes checkpoints while they vote: each extends the one before.
    let auditor = {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            let mut held = vec![first];
            for _ in 0..10 {
                let next = hold(&store).await;
                let last = held.last().unwrap();
                let proof = store
                    .prove_consistency(last.size(), next.size())
                    .await
                    .unwrap();
                if next.size() > last.size() {
                    next.verify_extends(last, &proof).unwrap();
                }
                store.verify_log(last).await.unwrap();
                held.push(next);
                tokio::task::yield_now().await;
            }
            held
        })
    };
    for voter in voters {
        voter.await.unwrap();
    }
    let held = auditor.await.unwrap();
    let leaves = store.log_leaves().await.unwrap();
    assert_eq!(leaves.len() as u64, MODELS + APPROVERS * MODELS);
    let mut revisions: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for leaf in &leaves {
        revisions
            .entry(leaf.version())
            .or_default()
            .push(leaf.revision());
    }
    for (version, revisions) in &revisions {
        let expected: Vec<u64> = (1..=APPROVERS + 1).collect();
        assert_eq!(revisions, &expected, "seq@{version}");
    }
    for checkpoint in &held {
        store.verify_log(checkpoint).await.unwrap();
        for m in 0..MODELS {
            store
                .load_anchored(&key("seq", &m.to_string()), checkpoint)
                .await
                .unwrap();
        }
    }
    store.close().await;
    db.drop_db().await;
}

async fn a_load_sees_writes_not_yet_sequenced(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    store.create(&submitted("seq", "1")).await.unwrap();
    let held = hold(&store).await;
    // A vote after the checkpoint: its leaf waits for the sequencer, and a load checked
    // against the held checkpoint, which writes nothing, counts it as the leaf after.
    store
        .record_vote(
            &key("seq", "1"),
            &policy(),
            &Review::approve("bob", DIGEST, t(20)),
            &Retry::default(),
        )
        .await
        .unwrap();
    let loaded = store.load_anchored(&key("seq", "1"), &held).await.unwrap();
    assert_eq!(loaded.revision, 2);
    assert_eq!(store.sequence_log().await.unwrap(), 1);
    assert_eq!(store.sequence_log().await.unwrap(), 0);
    store.load_anchored(&key("seq", "1"), &held).await.unwrap();
    store.close().await;
    db.drop_db().await;
}

common::conformance!(
    concurrent_writers_and_checkpoints_lose_no_leaf,
    a_load_sees_writes_not_yet_sequenced,
);
