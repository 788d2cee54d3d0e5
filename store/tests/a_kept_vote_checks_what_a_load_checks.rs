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

common::conformance!(
    a_kept_vote_refuses_a_seal_a_whole_restore_refuses,
    a_kept_vote_refuses_a_hash_column_a_whole_restore_refuses
);
