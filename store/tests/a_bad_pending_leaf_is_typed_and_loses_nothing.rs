//! Bad pending rows give typed errors (no panic), and a failed
//! sequencing loses nothing: the pending leaves stay.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::log::{ORIGIN, hold, signer};

use common::{Backend, DIGEST, TestDb, key, policy, raw, submitted, t};
use modelgate::Review;
use modelgate_store::{AnchorError, LogError, Retry, Store};
use sqlx::Row;

async fn pending(store: &Store) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM modelgate_log_pending")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get(0)
}

async fn a_bad_pending_row_is_typed_and_loses_nothing(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    store.create(&submitted("m", "1")).await.unwrap();
    let held = hold(&store).await;
    store
        .record_vote(
            &key("m", "1"),
            &policy(),
            &Review::approve("bob", DIGEST, t(20)),
            &Retry::default(),
        )
        .await
        .unwrap();
    assert_eq!(pending(&store).await, 1);
    let mut messages = Vec::new();
    for (bad, what) in [
        (
            "INSERT INTO modelgate_log_pending VALUES ('x', '1', 'default', 1, 'zz', 5)",
            "head",
        ),
        (
            "INSERT INTO modelgate_log_pending VALUES ('x', '1', 'default', -1, \
             '0000000000000000000000000000000000000000000000000000000000000000', 5)",
            "revision",
        ),
        (
            "INSERT INTO modelgate_log_pending VALUES ('x', '1', 'default', 1, \
             '0000000000000000000000000000000000000000000000000000000000000000', -5)",
            "time",
        ),
        (
            "INSERT INTO modelgate_log_pending VALUES ('x', '1', 'default', 1, \
             'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 5)",
            "uppercase head",
        ),
    ] {
        raw(&store, bad).await;
        let err = store.checkpoint(ORIGIN, &signer()).await;
        if what != "uppercase head" {
            messages.push(format!("{what}: {}", err.as_ref().unwrap_err()));
            assert!(
                matches!(err, Err(LogError::BadPending { .. })),
                "{what}: {err:?}"
            );
            assert!(matches!(
                store.sequence_log().await,
                Err(LogError::BadPending { .. })
            ));
            let err = store
                .load_anchored(&key("m", "1"), &held)
                .await
                .unwrap_err();
            assert!(
                matches!(err, AnchorError::Log(LogError::BadPending { .. })),
                "{what}: {err}"
            );
            // The write's leaf stays pending, with the bad one.
            assert_eq!(pending(&store).await, 2, "{what}");
        }
        raw(&store, "DELETE FROM modelgate_log_pending WHERE name = 'x'").await;
    }
    insta::assert_snapshot!("bad_pending", messages.join("\n"));
    assert_eq!(store.sequence_log().await.unwrap(), 1);
    let leaves = store.log_leaves().await.unwrap();
    assert_eq!(leaves.len(), 2);
    store.verify_log(&held).await.unwrap();
    store.close().await;
    db.drop_db().await;
}

async fn a_missing_tree_hash_fails_sequencing_and_loses_nothing(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    store.create(&submitted("m", "1")).await.unwrap();
    store.create(&submitted("n", "1")).await.unwrap();
    store.create(&submitted("o", "1")).await.unwrap();
    store.sequence_log().await.unwrap();
    // Appending leaf 3 closes the subtree of leaves 2..4: it needs leaf 2's stored hash.
    store.create(&submitted("p", "1")).await.unwrap();
    let saved: String =
        sqlx::query("SELECT hash FROM modelgate_log_nodes WHERE level = 0 AND idx = 2")
            .fetch_one(store.pool())
            .await
            .unwrap()
            .get(0);
    raw(
        &store,
        "DELETE FROM modelgate_log_nodes WHERE level = 0 AND idx = 2",
    )
    .await;
    let err = store.sequence_log().await;
    assert!(matches!(err, Err(LogError::BadNode { .. })), "{err:?}");
    assert_eq!(pending(&store).await, 1);
    sqlx::query("INSERT INTO modelgate_log_nodes (level, idx, hash) VALUES (0, 2, $1)")
        .bind(saved)
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(store.sequence_log().await.unwrap(), 1);
    let held = hold(&store).await;
    assert_eq!(held.size(), 4);
    store.verify_log(&held).await.unwrap();
    store.close().await;
    db.drop_db().await;
}

/// Log rows with an index at the edge of a 64-bit integer: the sequencer and the checks must
/// answer with a typed error, not panic.
async fn a_log_index_at_the_edge_is_a_typed_error(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    store.create(&submitted("m", "1")).await.unwrap();
    let held = hold(&store).await;
    store.create(&submitted("n", "1")).await.unwrap();
    for idx in [i64::MAX, i64::MAX - 1, 1i64 << 62] {
        raw(
            &store,
            &format!(
                "INSERT INTO modelgate_log (idx, name, version, environment, head, revision, at)
                 SELECT {idx}, name, version, environment, head, revision, at FROM modelgate_log
                 WHERE idx = 0"
            ),
        )
        .await;
        let s = store.sequence_log().await;
        eprintln!("idx {idx}: sequence_log {s:?}");
        let v = store.verify_log(&held).await;
        eprintln!("idx {idx}: verify_log {v:?}");
        let p = store.prove_consistency(1, 2).await;
        eprintln!("idx {idx}: prove_consistency {p:?}");
        let h = store.prove_head(&key("m", "1"), 1).await;
        eprintln!("idx {idx}: prove_head {}", h.is_ok());
        assert!(s.is_err(), "sequenced after a leaf at {idx}");
        raw(
            &store,
            &format!("DELETE FROM modelgate_log WHERE idx = {idx}"),
        )
        .await;
    }
    assert_eq!(pending(&store).await, 1);
    assert_eq!(store.sequence_log().await.unwrap(), 1);
    store.verify_log(&held).await.unwrap();
    store.close().await;
    db.drop_db().await;
}

common::conformance!(
    a_bad_pending_row_is_typed_and_loses_nothing,
    a_missing_tree_hash_fails_sequencing_and_loses_nothing,
    a_log_index_at_the_edge_is_a_typed_error,
);
