//! 16 approvers vote at the same time on one model in SQLite: no vote is lost, and the decision
//! is the same as with the votes recorded one after another.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../examples/sqlite_store/store.rs"]
mod store;

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};
use std::thread;

use modelgate::{
    AnyModel, Decided, DecisionContext, EventKind, MetricGate, Metrics, Model, Quorum, Review,
    StoredModel, Submitted, Timestamp, TrainingOutcome, VerdictKind,
};
use store::{Key, Store};

const VOTERS: usize = 16;
const DIGEST: &str = "sha256:concurrent";

fn t(s: u64) -> Timestamp {
    Timestamp::from_unix_secs(s)
}

fn policy() -> (MetricGate, Quorum) {
    (MetricGate::at_least("accuracy", 0.9), Quorum::new(12))
}

fn submitted() -> Model<Submitted> {
    let outcome =
        TrainingOutcome::new(DIGEST, Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap();
    Model::new("m", "1")
        .unwrap()
        .submit(outcome, "alice", t(10))
        .unwrap()
}

/// Voter `i`: approvers, but every fourth rejects, and voter 0 is the submitter.
fn vote(i: usize, at: Timestamp) -> Review {
    let who = if i == 0 {
        "alice".to_owned()
    } else {
        format!("reviewer-{i:02}")
    };
    if i % 4 == 3 {
        Review::reject(who, DIGEST, at)
    } else {
        Review::approve(who, DIGEST, at)
    }
}

fn counted(model: &Model<Submitted>) -> BTreeSet<(String, modelgate::Vote)> {
    model
        .stage()
        .votes()
        .iter()
        .map(|r| (r.reviewer().to_owned(), r.vote()))
        .collect()
}

#[test]
fn sixteen_concurrent_voters_lose_no_vote() {
    let dir = std::env::temp_dir().join(format!("modelgate-sqlite-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("models.db");
    let _ = std::fs::remove_file(&path);
    Store::open(&path)
        .unwrap()
        .insert(&StoredModel::from(&submitted()))
        .unwrap();

    let barrier = Arc::new(Barrier::new(VOTERS));
    let handles: Vec<_> = (0..VOTERS)
        .map(|i| {
            let (path, barrier) = (path.clone(), Arc::clone(&barrier));
            thread::spawn(move || {
                let store = Store::open(&path).unwrap();
                barrier.wait();
                let key = Key {
                    name: "m",
                    version: "1",
                };
                store
                    .record_vote(&key, &policy(), t(100), |at| vote(i, at))
                    .unwrap()
                    .retries
            })
        })
        .collect();
    let retries: u32 = handles.into_iter().map(|h| h.join().unwrap()).sum();

    // Restart: reopen and restore.
    let (stored, revision) = Store::open(&path)
        .unwrap()
        .load(&Key {
            name: "m",
            version: "1",
        })
        .unwrap();
    assert_eq!(revision, 1 + VOTERS as u64, "one submission and every vote");
    let voted = stored
        .events()
        .iter()
        .filter(|e| matches!(e.kind(), EventKind::Voted { .. }))
        .count();
    assert_eq!(voted, VOTERS);
    let AnyModel::Submitted(concurrent) = stored.restore_unsealed(&policy()).unwrap() else {
        panic!()
    };

    // The same votes, one after another.
    let mut sequential = submitted();
    for i in 0..VOTERS {
        sequential.record(vote(i, t(100))).unwrap();
    }
    assert_eq!(counted(&concurrent), counted(&sequential));
    let decide = |m: Model<Submitted>| m.decide(&policy(), &DecisionContext::at(t(1_000))).unwrap();
    let (a, b) = (decide(concurrent), decide(sequential));
    assert_eq!(a.verdict().kind(), b.verdict().kind());
    assert_eq!(
        a.verdict().kind(),
        VerdictKind::Pending,
        "11 counted approvals of 12"
    );
    if let (Decided::Pending(..), Decided::Pending(..)) = (&a, &b) {
        eprintln!("{VOTERS} voters, {retries} compare-and-swap retries");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
