//! A vote on a kept model reads only the rows appended since and refuses what a whole load
//! refuses of them: the models row's `seal` is verified even when nothing was appended (a seal
//! replaced without the key is not voted over, and not resealed away), and the `hash` column of
//! the rows appended since must chain as a load requires. Found by an independent attacker;
//! each failed before the fix.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Backend, DIGEST, TestDb, key, policy, raw, submitted, t};
use modelgate::Review;
use modelgate_store::{Options, Retry, Store};

fn approve(who: &str, at: u64) -> Review {
    Review::approve(who, DIGEST, t(at))
}

async fn no_keeper(db: &TestDb) -> Store {
    Store::open_with(
        &db.url,
        common::keys(),
        Options::default().verified_models(0),
    )
    .await
    .unwrap()
}

async fn a_kept_vote_refuses_a_seal_a_whole_restore_refuses(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let a = db.open().await;
    let k = key("sealed", "1");
    a.create(&submitted("sealed", "1")).await.unwrap();
    a.record_vote(&k, &policy(), &approve("bob", 20), &Retry::default())
        .await
        .unwrap();
    // The attacker (no key) breaks the stored seal.
    raw(
        &a,
        "UPDATE modelgate_models SET seal = '{\"key_id\":\"store-test\",\"value\":\"00000000000000000000000000000000000000000000000000000000000000ff\"}' WHERE name = 'sealed'",
    )
    .await;
    let fresh = no_keeper(&db).await;
    let whole = fresh
        .record_vote(&k, &policy(), &approve("carol", 21), &Retry::default())
        .await;
    assert!(whole.is_err(), "a whole restore refuses the broken seal");
    let kept = a
        .record_vote(&k, &policy(), &approve("carol", 21), &Retry::default())
        .await;
    assert!(
        kept.is_err(),
        "the store that kept the model voted over a seal no whole restore accepts, and resealed it"
    );
    fresh.close().await;
    a.close().await;
    db.drop_db().await;
}

async fn a_kept_vote_refuses_a_hash_column_a_whole_restore_refuses(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let a = db.open().await;
    let other = no_keeper(&db).await;
    let k = key("hashcol", "1");
    a.create(&submitted("hashcol", "1")).await.unwrap();
    a.record_vote(&k, &policy(), &approve("bob", 20), &Retry::default())
        .await
        .unwrap();
    // Another host appends dave's vote (seq 3), then the attacker edits that row's `hash`.
    other
        .record_vote(&k, &policy(), &approve("dave", 21), &Retry::default())
        .await
        .unwrap();
    raw(
        &a,
        "UPDATE modelgate_events SET hash = 'sha256:0000000000000000000000000000000000000000000000000000000000000000' WHERE name = 'hashcol' AND seq = 3",
    )
    .await;
    assert!(
        other.restore(&k, &policy()).await.is_err(),
        "a whole restore refuses the row"
    );
    let kept = a
        .record_vote(&k, &policy(), &approve("carol", 22), &Retry::default())
        .await;
    assert!(
        kept.is_err(),
        "the store that kept the model voted over a row a whole restore refuses (revision {:?})",
        kept.map(|v| v.written.revision)
    );
    other.close().await;
    a.close().await;
    db.drop_db().await;
}

/// The kept model is written with one compare-and-swap on the row's head, revision and seal
/// (no read first): an event row slipped in after the last one (right after it, or with a gap),
/// the row left as it was, is not voted over either.
async fn a_kept_vote_refuses_an_event_row_slipped_in_ahead(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let a = db.open().await;
    for (version, ahead) in [("1", 3), ("2", 4)] {
        let k = key("ahead", version);
        a.create(&submitted("ahead", version)).await.unwrap();
        a.record_vote(&k, &policy(), &approve("bob", 20), &Retry::default())
            .await
            .unwrap();
        // The attacker copies bob's vote row as seq 3 (next) or 4 (one past the next).
        raw(
            &a,
            &format!(
                "INSERT INTO modelgate_events (name, version, environment, seq, at, prev, hash,
                    action, actor, event)
                 SELECT name, version, environment, {ahead}, at, hash, hash, action, actor, event
                 FROM modelgate_events WHERE name = 'ahead' AND version = '{version}' AND seq = 2"
            ),
        )
        .await;
        let kept = a
            .record_vote(&k, &policy(), &approve("carol", 21), &Retry::default())
            .await;
        assert!(
            kept.is_err(),
            "voted over a trail a whole load refuses (a row at seq {ahead})"
        );
        let fresh = no_keeper(&db).await;
        assert!(fresh.load(&k).await.is_err());
        fresh.close().await;
    }
    a.close().await;
    db.drop_db().await;
}

/// Votes on a kept model, one after another and from several tasks at once in one process,
/// each land once, in a trail every other store verifies.
async fn kept_votes_land_once_in_a_trail_others_verify(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let a = std::sync::Arc::new(db.open().await);
    let k = key("kept", "1");
    a.create(&submitted("kept", "1")).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (a, k) = (std::sync::Arc::clone(&a), k.clone());
            tokio::spawn(async move {
                for j in 0..4 {
                    let who = format!("reviewer-{i}-{j}");
                    a.record_vote(&k, &policy(), &approve(&who, 20 + j), &Retry::default())
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let fresh = no_keeper(&db).await;
    let loaded = fresh.restore(&k, &policy()).await.unwrap();
    assert_eq!(loaded.revision, 1 + 32);
    fresh.close().await;
    a.close().await;
    db.drop_db().await;
}

common::conformance!(
    a_kept_vote_refuses_a_seal_a_whole_restore_refuses,
    a_kept_vote_refuses_a_hash_column_a_whole_restore_refuses,
    a_kept_vote_refuses_an_event_row_slipped_in_ahead,
    kept_votes_land_once_in_a_trail_others_verify,
);
