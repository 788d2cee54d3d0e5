//! The log's sequencer: no committed write's leaf is lost, duplicated or reordered
//! within its model; every checkpoint taken after a write's commit covers its leaf; every
//! checkpoint extends the ones before; an anchored load, which writes nothing, reads the leaves
//! not yet sequenced.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::log::{ORIGIN, hold, signer};

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{Backend, DIGEST, TestDb, key, policy, submitted, t};
use modelgate::Review;
use modelgate::Timestamp;
use modelgate::log::Checkpoint;
use modelgate_store::Retry;

/// Two votes on one model, the second from a reviewer whose clock is behind the first's, both
/// written before the sequencer runs. The model's leaves are in the order of its revisions
/// (the sequencer orders by key, then revision), and an untouched store passes the checks
/// against a held checkpoint.
async fn a_vote_from_a_clock_behind_is_sequenced_after_the_one_before_it(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    store.create(&submitted("skew", "1")).await.unwrap();
    let held = hold(&store).await;
    for (who, at) in [("alice-ahead", 30_007), ("bob-behind", 29_993)] {
        store
            .record_vote(
                &key("skew", "1"),
                &policy(),
                &Review::approve(who, DIGEST, Timestamp::from_unix_millis(at)),
                &Retry::default(),
            )
            .await
            .unwrap();
    }
    assert_eq!(store.load(&key("skew", "1")).await.unwrap().revision, 3);
    // Before the sequencer: the anchored load reads the pending leaves.
    let before = store.load_anchored(&key("skew", "1"), &held).await;
    let verified = store.verify_log(&held).await;
    let leaves = store.log_leaves().await.unwrap();
    let revisions: Vec<u64> = leaves.iter().map(|l| l.revision()).collect();
    let after = store.load_anchored(&key("skew", "1"), &held).await;
    let later = hold(&store).await;
    let later_ok = store.load_anchored(&key("skew", "1"), &later).await;
    assert_eq!(
        revisions,
        [1, 2, 3],
        "the model's leaves are out of revision order; load_anchored before sequencing: \
         {before:?}; verify_log: {verified:?}; load_anchored after: {after:?}; against a later \
         checkpoint: {later_ok:?}"
    );
    before.unwrap();
    verified.unwrap();
    after.unwrap();
    later_ok.unwrap();
    store.close().await;
    db.drop_db().await;
}

const HANDLES: usize = 3;
const WRITERS: usize = 4;
const WRITES: u64 = 6;

/// Several `Store` handles on one database: writers (each on its own model, through a handle of
/// its own), sequencers racing them and each other, and after every write a checkpoint through
/// another handle that must cover it. At the end: every leaf once, each model's in revision
/// order, every checkpoint an extension of the one before.
async fn racing_sequencers_and_handles_lose_no_leaf(b: Backend) {
    race(b, HANDLES, true).await;
}

/// Several handles, writers and checkpoints after each write, no sequencer on a timer.
async fn checkpoints_on_several_handles_lose_no_leaf(b: Backend) {
    race(b, HANDLES, false).await;
}

/// The same through one `Store` handle (its pool's connections racing).
async fn racing_sequencers_on_one_handle_lose_no_leaf(b: Backend) {
    race(b, 1, true).await;
}

async fn race(b: Backend, n: usize, racers: bool) {
    if n > 1 && b == Backend::SqliteMemory {
        // Several pools on one shared-cache memory database: a write fails now and then with
        // SQLITE_LOCKED "database is deadlocked" (nothing committed, so nothing lost) — as it
        // did before the sequencer (checked on 5165a4d). Not this attack.
        return;
    }
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let mut handles = Vec::new();
    for _ in 0..n {
        handles.push(Arc::new(db.open().await));
    }
    for w in 0..WRITERS {
        handles[w % n]
            .create(&submitted("race", &w.to_string()))
            .await
            .unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let sequencers: Vec<_> = (0..if racers { n } else { 0 })
        .map(|h| {
            let (store, stop) = (Arc::clone(&handles[h]), Arc::clone(&stop));
            tokio::spawn(async move {
                let mut errors = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    if let Err(e) = store.sequence_log().await {
                        errors.push(e.to_string());
                    }
                    tokio::task::yield_now().await;
                }
                errors
            })
        })
        .collect();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = Arc::clone(&handles[w % n]);
            let auditor = Arc::clone(&handles[(w + 1) % n]);
            tokio::spawn(async move {
                let mut held = Vec::new();
                for j in 0..WRITES {
                    let voted = store
                        .record_vote(
                            &key("race", &w.to_string()),
                            &policy(),
                            &Review::approve(format!("approver-{j}"), DIGEST, t(20 + j)),
                            &Retry::default().attempts(1_000),
                        )
                        .await
                        .unwrap_or_else(|e| panic!("writer {w} vote {j}: {e}"));
                    // A checkpoint after the commit, through another handle, covers the leaf.
                    let cp = match auditor.checkpoint(ORIGIN, &signer()).await {
                        Ok(note) => Checkpoint::open(&note, ORIGIN, &signer().verifier()).unwrap(),
                        Err(e) => panic!("checkpoint after writer {w} vote {j}: {e}"),
                    };
                    held.push((voted.written.revision, cp));
                }
                held
            })
        })
        .collect();
    let mut held = Vec::new();
    for (w, writer) in writers.into_iter().enumerate() {
        held.push((w, writer.await.unwrap()));
    }
    stop.store(true, Ordering::Relaxed);
    let mut errors = Vec::new();
    for s in sequencers {
        errors.extend(s.await.unwrap());
    }
    assert!(errors.is_empty(), "racing sequencers failed: {errors:?}");
    let store = &handles[0];
    let leaves = store.log_leaves().await.unwrap();
    let mut revisions: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for leaf in &leaves {
        revisions
            .entry(leaf.version())
            .or_default()
            .push(leaf.revision());
    }
    for w in 0..WRITERS {
        let expected: Vec<u64> = (1..=WRITES + 1).collect();
        assert_eq!(revisions[w.to_string().as_str()], expected, "race@{w}");
    }
    for (w, cps) in &held {
        for (revision, cp) in cps {
            let covered = leaves[..usize::try_from(cp.size()).unwrap()]
                .iter()
                .any(|l| l.version() == w.to_string() && l.revision() == *revision);
            assert!(
                covered,
                "a checkpoint of size {} taken after race@{w} revision {revision} committed \
                 does not cover it",
                cp.size()
            );
            store.verify_log(cp).await.unwrap();
        }
    }
    let mut all: Vec<Checkpoint> = held
        .iter()
        .flat_map(|(_, cps)| cps.iter().map(|(_, c)| c.clone()))
        .collect();
    all.sort_by_key(Checkpoint::size);
    let last = hold(store).await;
    for cp in &all {
        if cp.size() < last.size() {
            let proof = store
                .prove_consistency(cp.size(), last.size())
                .await
                .unwrap();
            last.verify_extends(cp, &proof).unwrap();
        }
    }
    for h in &handles {
        h.close().await;
    }
    db.drop_db().await;
}

/// More pending leaves than one chunk of the sequencer's `INSERT`s and `DELETE`s (200), in one
/// sequencing: every one logged once, the stored hashes the leaves' tree.
async fn a_batch_of_many_pending_leaves_is_sequenced_whole(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    store.create(&submitted("batch", "first")).await.unwrap();
    let held = hold(&store).await;
    for m in 0..450 {
        store
            .create(&submitted("batch", &m.to_string()))
            .await
            .unwrap();
    }
    assert_eq!(store.sequence_log().await.unwrap(), 450);
    let cp = hold(&store).await;
    assert_eq!(cp.size(), 451);
    store.verify_log(&held).await.unwrap();
    store.verify_log(&cp).await.unwrap();
    let proof = store.prove_consistency(1, 451).await.unwrap();
    cp.verify_extends(&held, &proof).unwrap();
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
    a_load_sees_writes_not_yet_sequenced,
    a_batch_of_many_pending_leaves_is_sequenced_whole,
    a_vote_from_a_clock_behind_is_sequenced_after_the_one_before_it,
    racing_sequencers_and_handles_lose_no_leaf,
    racing_sequencers_on_one_handle_lose_no_leaf,
    checkpoints_on_several_handles_lose_no_leaf,
);

/// PostgreSQL with `default_transaction_isolation = 'repeatable read'` set on the database (a
/// DBA's choice the store does not override): the sequencer's snapshot is taken by the
/// statement that waits for the advisory lock, before the previous sequencer commits.
/// Sequencers racing must still neither fail nor lose a leaf.
#[cfg(feature = "postgres")]
async fn racing_sequencers_under_repeatable_read_by_default(b: Backend) {
    if b != Backend::Postgres {
        return;
    }
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    {
        let store = db.open().await;
        let name: String = sqlx::query("SELECT current_database()::text")
            .fetch_one(store.pool())
            .await
            .map(|r| sqlx::Row::get(&r, 0))
            .unwrap();
        common::raw(
            &store,
            &format!("ALTER DATABASE {name} SET default_transaction_isolation = 'repeatable read'"),
        )
        .await;
        store.close().await;
    }
    let store = Arc::new(db.open().await);
    for m in 0..WRITERS {
        store
            .create(&submitted("rr", &m.to_string()))
            .await
            .unwrap();
    }
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut errors = Vec::new();
                for j in 0..WRITES {
                    store
                        .record_vote(
                            &key("rr", &w.to_string()),
                            &policy(),
                            &Review::approve(format!("approver-{j}"), DIGEST, t(20 + j)),
                            &Retry::default().attempts(1_000),
                        )
                        .await
                        .unwrap_or_else(|e| panic!("writer {w} vote {j}: {e}"));
                    if let Err(e) = store.sequence_log().await {
                        errors.push(e.to_string());
                    }
                }
                errors
            })
        })
        .collect();
    let mut errors = Vec::new();
    for w in writers {
        errors.extend(w.await.unwrap());
    }
    let leaves = store.log_leaves().await.unwrap();
    assert_eq!(leaves.len() as u64, WRITERS as u64 * (WRITES + 1));
    assert!(
        errors.is_empty(),
        "{} of {} sequencings failed, e.g. {:?}",
        errors.len(),
        WRITERS as u64 * WRITES,
        errors.first()
    );
    store.close().await;
    db.drop_db().await;
}

mod repeatable_read {
    #[cfg(feature = "postgres")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn racing_sequencers_under_repeatable_read_by_default() {
        super::racing_sequencers_under_repeatable_read_by_default(crate::common::Backend::Postgres)
            .await;
    }
}
