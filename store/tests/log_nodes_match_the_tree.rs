//! The log's stored tree hashes (`modelgate_log_nodes`): checkpoints and proofs the store makes
//! from them, reading O(log n) rows, are the core tree's over the leaves, at every size; a log
//! written before them is backfilled; stored hashes changed or removed by hand are refused,
//! never signed over silently by the audit.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::log::{ORIGIN, hold, signer};

use common::{Backend, TestDb, raw, submitted};
use modelgate::log::Tree;
use modelgate_store::{AnchorError, LogError, ModelKey, Store};
use sqlx::Row;

/// The core's tree over the store's leaves.
async fn tree_of(store: &Store) -> Tree {
    let mut tree = Tree::new();
    for leaf in store.log_leaves().await.unwrap() {
        tree.append(leaf.hash());
    }
    tree
}

async fn checkpoints_and_proofs_from_stored_hashes_are_the_trees_at_every_size(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    for n in 1u64..=37 {
        store
            .create(&submitted(&format!("m{}", n % 5), &n.to_string()))
            .await
            .unwrap();
        let tree = tree_of(&store).await;
        assert_eq!(tree.size(), n);
        assert_eq!(store.log_head().await.unwrap(), tree.head(), "size {n}");
        let held = hold(&store).await;
        assert_eq!((held.size(), held.root()), (n, tree.root()));
        for old in 1..=n {
            assert_eq!(
                store.prove_consistency(old, n).await.unwrap(),
                tree.prove_consistency(old, n).unwrap(),
                "{old} → {n}"
            );
        }
        for size in 1..=n {
            let key = ModelKey::new(format!("m{}", size % 5), size.to_string());
            let proof = store.prove_head(&key, size).await.unwrap();
            let expected = tree.frontier(size - 1).unwrap();
            assert_eq!(proof.index(), size - 1);
            assert_eq!(proof.to_owned(), {
                let leaves = store.log_leaves().await.unwrap();
                modelgate::log::HeadProof::new(
                    size - 1,
                    leaves[usize::try_from(size - 1).unwrap()].clone(),
                    expected,
                    Vec::new(),
                )
            });
        }
    }
    store.verify_log(&hold(&store).await).await.unwrap();
    store.close().await;
    db.drop_db().await;
}

async fn a_log_written_before_the_stored_hashes_is_backfilled(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    for n in 0..11 {
        store.create(&submitted("m", &n.to_string())).await.unwrap();
    }
    let before = hold(&store).await;
    // The store as schema version 3 left it: leaves, no stored hashes.
    raw(&store, "DROP TABLE modelgate_log_nodes").await;
    raw(&store, "DROP TABLE modelgate_log_pending").await;
    raw(&store, "UPDATE modelgate_schema SET version = 3").await;
    store.close().await;
    let store = db.open().await;
    assert_eq!(
        store.log_head().await.unwrap(),
        tree_of(&store).await.head()
    );
    store.verify_log(&before).await.unwrap();
    // And the next leaf extends the backfilled hashes.
    store.create(&submitted("m", "11")).await.unwrap();
    assert_eq!(
        store.log_head().await.unwrap(),
        tree_of(&store).await.head()
    );
    store.verify_log(&before).await.unwrap();
    store.close().await;
    db.drop_db().await;
}

async fn a_stored_hash_changed_by_hand_is_refused_by_the_audit(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    for n in 0..6 {
        store.create(&submitted("m", &n.to_string())).await.unwrap();
    }
    let held = hold(&store).await;
    // The subtree of leaves 4..6, replaced by another hash: the leaves are untouched.
    raw(
        &store,
        &format!(
            "UPDATE modelgate_log_nodes SET hash = '{}' WHERE level = 1 AND idx = 2",
            "ab".repeat(32)
        ),
    )
    .await;
    let err = store.verify_log(&held).await.unwrap_err();
    assert!(
        matches!(err, AnchorError::Log(LogError::NodesDisagree { size: 6 })),
        "{err}"
    );
    // What the host would now sign is not a consistent extension of what it signed before.
    let forged = hold(&store).await;
    assert_ne!(forged.root(), held.root());
    store.close().await;
    db.drop_db().await;
}

async fn a_stored_hash_missing_or_garbled_is_a_typed_refusal(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    for n in 0..5 {
        store.create(&submitted("m", &n.to_string())).await.unwrap();
    }
    assert_eq!(store.sequence_log().await.unwrap(), 5);
    raw(
        &store,
        "UPDATE modelgate_log_nodes SET hash = 'zz' WHERE level = 2 AND idx = 0",
    )
    .await;
    let err = store.log_head().await.unwrap_err();
    assert!(
        matches!(
            err,
            LogError::BadNode {
                level: 2,
                index: 0,
                what: "the hash is not 64 hex digits"
            }
        ),
        "{err}"
    );
    raw(&store, "DELETE FROM modelgate_log_nodes WHERE level = 2").await;
    let err = store.checkpoint(ORIGIN, &signer()).await.unwrap_err();
    assert!(
        matches!(
            err,
            LogError::BadNode {
                level: 2,
                index: 0,
                what: "the hash is missing"
            }
        ),
        "{err}"
    );
    // An append that needs a missing sibling is refused by the sequencer, not given another
    // shape: the write stands, its leaf waits, the log is as it was.
    raw(
        &store,
        "DELETE FROM modelgate_log_nodes WHERE level = 0 AND idx = 4",
    )
    .await;
    store.create(&submitted("m", "5")).await.unwrap();
    let err = store.sequence_log().await.unwrap_err();
    assert!(
        matches!(
            err,
            LogError::BadNode {
                level: 0,
                index: 4,
                what: "the hash is missing"
            }
        ),
        "{err}"
    );
    assert!(store.log_leaves().await.is_err());
    let count = |table: &'static str| {
        let store = &store;
        async move {
            sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(store.pool())
                .await
                .unwrap()
                .get::<i64, _>(0)
        }
    };
    assert_eq!(count("modelgate_log").await, 5);
    assert_eq!(count("modelgate_log_pending").await, 1);
    store.close().await;
    db.drop_db().await;
}

common::conformance!(
    checkpoints_and_proofs_from_stored_hashes_are_the_trees_at_every_size,
    a_log_written_before_the_stored_hashes_is_backfilled,
    a_stored_hash_changed_by_hand_is_refused_by_the_audit,
    a_stored_hash_missing_or_garbled_is_a_typed_refusal,
);
