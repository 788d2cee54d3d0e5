//! The blocking store from plain threads: no runtime in the host.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{DIGEST, keys, policy, submitted, t};
use modelgate::registry::PolicyBook;
use modelgate::{AnyModel, Environment, Registry, Review, Status};
use modelgate_store::{ModelKey, Retry, blocking::Store};

fn threads_vote_through_the_blocking_store(url: &str) {
    let store = Store::open(url, keys()).unwrap();
    store.create(&submitted("sync", "1")).unwrap();
    let key = ModelKey::new("sync", "1");
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let (store, key) = (store.clone(), key.clone());
            std::thread::spawn(move || {
                let vote = Review::approve(format!("reviewer-{i}"), DIGEST, t(20));
                store
                    .record_vote(&key, &policy(), &vote, &Retry::default())
                    .unwrap()
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let loaded = store.restore(&key, &policy()).unwrap();
    assert_eq!(loaded.revision, 9);
    assert!(matches!(loaded.model, AnyModel::Submitted(_)));
    assert_eq!(store.by_status(Status::Submitted).unwrap().len(), 1);
    // A registry, saved and loaded back.
    let mut registry = Registry::new("sync").unwrap();
    // An untrained member: no event yet, its head the header's.
    let staging = Environment::new("staging").unwrap();
    let untrained = modelgate::Model::new("sync", "2")
        .unwrap()
        .in_environment(staging.clone());
    registry.put(untrained).unwrap();
    let saved = store.save_registry(&registry).unwrap();
    assert_eq!(saved.created.len(), 1);
    let book = PolicyBook::new().with("staging", policy());
    assert!(store.load_registry("sync", &book).unwrap() == registry);
    assert_eq!(
        store.members("sync").unwrap().len(),
        1,
        "models stored one by one are not members"
    );
    // Trained and submitted since: its first events appended after the header.
    let AnyModel::Untrained(untrained) = registry.take(&staging, "2").unwrap() else {
        panic!("untrained")
    };
    let outcome = modelgate::TrainingOutcome::new(
        DIGEST,
        modelgate::Metrics::new([("accuracy", 0.95)]).unwrap(),
    )
    .unwrap();
    registry
        .put(untrained.submit(outcome, "alice", t(30)).unwrap())
        .unwrap();
    let saved = store.save_registry(&registry).unwrap();
    assert_eq!((saved.created.len(), saved.appended.len()), (0, 1));
    assert!(store.load_registry("sync", &book).unwrap() == registry);
    store.close();
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_memory() {
    threads_vote_through_the_blocking_store("sqlite::memory:");
}

#[cfg(feature = "postgres")]
#[test]
fn postgres() {
    // A database of its own (the test helpers are async; the store under test is not).
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = rt.block_on(common::TestDb::new(common::Backend::Postgres)) else {
        return;
    };
    threads_vote_through_the_blocking_store(&db.url);
    rt.block_on(db.drop_db());
}
