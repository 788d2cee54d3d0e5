//! No vote is lost to clock skew: approvers on hosts whose clocks differ by milliseconds vote at
//! once on the same models; after a compare-and-swap conflict the retry lands behind a vote
//! from a clock that ran ahead, and is recorded all the same, keeping its reviewer's time. On
//! SQLite (memory and file) and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::{Backend, DIGEST, TestDb, key, policy, submitted};
use modelgate::{EventKind, Review, Timestamp};
use modelgate_store::Retry;

const APPROVERS: u64 = 8;
const MODELS: u64 = 20;

/// Approver `i`'s clock: `i * 7 ms` off a true clock that starts 100 s after the submission,
/// half of them behind, half ahead.
fn clock(i: u64, tick: u64) -> Timestamp {
    let skew = i * 7;
    let base = 110_000 + tick;
    Timestamp::from_unix_millis(if i.is_multiple_of(2) {
        base - skew
    } else {
        base + skew
    })
}

async fn skewed_approvers_lose_no_vote(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = Arc::new(db.open().await);
    for m in 0..MODELS {
        store
            .create(&submitted("skew", &m.to_string()))
            .await
            .unwrap();
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(APPROVERS as usize));
    let tasks: Vec<_> = (0..APPROVERS)
        .map(|i| {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                let mut conflicts = 0;
                for j in 0..MODELS {
                    let m = (i * 3 + j) % MODELS;
                    let review = Review::approve(format!("approver-{i}"), DIGEST, clock(i, j));
                    let voted = store
                        .record_vote(
                            &key("skew", &m.to_string()),
                            &policy(),
                            &review,
                            &Retry::default().attempts(1_000),
                        )
                        .await
                        .unwrap_or_else(|e| panic!("approver-{i} on skew@{m}: {e}"));
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
    let mut late = 0;
    for m in 0..MODELS {
        let k = key("skew", &m.to_string());
        let loaded = store.restore(&k, &policy()).await.unwrap();
        let history = loaded.model.history();
        assert_eq!(history.len() as u64, 1 + APPROVERS, "{k}: every vote");
        assert!(
            history.windows(2).all(|w| w[0].at() <= w[1].at()),
            "{k}: the trail's time never runs backwards"
        );
        let own: BTreeMap<String, Timestamp> = history
            .iter()
            .filter_map(|e| match e.kind() {
                EventKind::Voted { review } => {
                    assert!(e.at() >= review.at(), "{k}: recorded at or after its time");
                    late += usize::from(e.at() > review.at());
                    Some((review.reviewer().to_owned(), review.at()))
                }
                _ => None,
            })
            .collect();
        for i in 0..APPROVERS {
            let j = (m + MODELS * 3 - i * 3) % MODELS;
            assert_eq!(
                own.get(&format!("approver-{i}")),
                Some(&clock(i, j)),
                "{k}: approver-{i}'s vote keeps the time its reviewer gave it"
            );
        }
    }
    assert!(late > 0, "some vote came behind a clock that ran ahead");
    eprintln!(
        "{b:?}: {APPROVERS} skewed approvers x {MODELS} models, {late} votes recorded after \
         their own time, {conflicts} conflicts retried"
    );
    store.close().await;
    Arc::try_unwrap(store).ok();
    db.drop_db().await;
}

common::conformance!(skewed_approvers_lose_no_vote);
