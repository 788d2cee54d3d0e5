//! A vote verifies what was appended since the store last verified the model, and nothing it
//! would refuse whole gets through: hosts that take turns on one model each go on from what
//! they verified; a row appended by someone without the key, an event put back to an older
//! sealed state, or a decision under another policy is refused as a whole restore refuses it.
//! On SQLite (memory and file) and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Backend, DIGEST, TestDb, key, policy, raw, submitted, t};
use modelgate::{AnyModel, HmacSealer, Review, Status};
use modelgate_store::{Keys, LoadError, Retry, VoteError};
use sqlx::Row;

fn approve(who: &str, at: u64) -> Review {
    Review::approve(who, DIGEST, t(at))
}

async fn hosts_taking_turns_each_go_on_from_what_they_verified(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let (a, c) = (db.open().await, db.open().await);
    let k = key("turns", "1");
    a.create(&submitted("turns", "1")).await.unwrap();
    for i in 0..20u64 {
        let host = if i % 3 == 0 { &c } else { &a };
        host.record_vote(
            &k,
            &policy(),
            &approve(&format!("r{i}"), 20 + i),
            &Retry::default(),
        )
        .await
        .unwrap();
    }
    let loaded = a.restore(&k, &policy()).await.unwrap();
    assert_eq!(loaded.revision, 21, "the submission and every vote");
    a.close().await;
    c.close().await;
    db.drop_db().await;
}

async fn a_row_appended_without_the_key_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let k = key("forged", "1");
    store.create(&submitted("forged", "1")).await.unwrap();
    store
        .record_vote(&k, &policy(), &approve("bob", 20), &Retry::default())
        .await
        .unwrap();
    // The attacker appends carol's vote as the model would record it, chained and with the
    // models row moved to its head, but sealed by another key.
    let mut model = match store.restore(&k, &policy()).await.unwrap().model {
        AnyModel::Submitted(m) => m,
        other => panic!("submitted, not {:?}", other.status()),
    };
    model.record(approve("carol", 21)).unwrap();
    let attacker = TestDb::new(b).await.unwrap();
    let theirs = attacker
        .open_with(Keys::new(
            HmacSealer::new("attacker", *b"fedcba9876543210fedcba9876543210"),
            HmacSealer::new("attacker", *b"fedcba9876543210fedcba9876543210"),
        ))
        .await;
    theirs.create(&model).await.unwrap();
    let e = sqlx::query(
        "SELECT version, environment, seq, at, prev, hash, action, actor, event
         FROM modelgate_events WHERE name = 'forged' AND seq = 3",
    )
    .fetch_one(theirs.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO modelgate_events (name, version, environment, seq, at, prev, hash, action,
            actor, event) VALUES ('forged', $1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(e.get::<String, _>(0))
    .bind(e.get::<String, _>(1))
    .bind(e.get::<i64, _>(2))
    .bind(e.get::<i64, _>(3))
    .bind(e.get::<String, _>(4))
    .bind(e.get::<String, _>(5))
    .bind(e.get::<String, _>(6))
    .bind(e.get::<Option<String>, _>(7))
    .bind(e.get::<String, _>(8))
    .execute(store.pool())
    .await
    .unwrap();
    let m = sqlx::query("SELECT head, seal FROM modelgate_models WHERE name = 'forged'")
        .fetch_one(theirs.pool())
        .await
        .unwrap();
    sqlx::query(
        "UPDATE modelgate_models SET head = $1, revision = 3, seal = $2 WHERE name = 'forged'",
    )
    .bind(m.get::<String, _>(0))
    .bind(m.get::<String, _>(1))
    .execute(store.pool())
    .await
    .unwrap();
    let err = store
        .record_vote(&k, &policy(), &approve("dave", 22), &Retry::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, VoteError::Load(LoadError::Refused { .. })),
        "{err}"
    );
    theirs.close().await;
    attacker.drop_db().await;
    store.close().await;
    db.drop_db().await;
}

async fn a_model_put_back_to_an_older_sealed_state_is_seen_as_a_whole_restore_sees_it(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let k = key("back", "1");
    store.create(&submitted("back", "1")).await.unwrap();
    store
        .record_vote(&k, &policy(), &approve("bob", 20), &Retry::default())
        .await
        .unwrap();
    let before = store.load(&k).await.unwrap();
    store
        .record_vote(&k, &policy(), &approve("carol", 21), &Retry::default())
        .await
        .unwrap();
    // Put back to the state before carol's vote: her event row gone, the models row as it was
    // (sealed by the host then).
    raw(
        &store,
        "DELETE FROM modelgate_events WHERE name = 'back' AND seq = 3",
    )
    .await;
    raw(
        &store,
        &format!(
            "UPDATE modelgate_models SET head = '{}', revision = 2, seal = '{}' WHERE name = 'back'",
            before.head,
            serde_json::to_string(before.model.seal().unwrap())
                .unwrap()
                .replace('\'', "''")
        ),
    )
    .await;
    // The vote goes on from the stored state, as a whole restore would (the log of heads is
    // what sees a rollback: `Store::load_anchored`); carol's vote is not resurrected.
    let voted = store
        .record_vote(&k, &policy(), &approve("dave", 22), &Retry::default())
        .await
        .unwrap();
    assert_eq!(voted.written.revision, 3);
    let loaded = store.restore(&k, &policy()).await.unwrap();
    let AnyModel::Submitted(model) = loaded.model else {
        panic!("submitted");
    };
    let voters: Vec<&str> = model.stage().votes().iter().map(|r| r.reviewer()).collect();
    assert_eq!(voters, ["bob", "dave"]);
    assert_eq!(model.status(), Status::Submitted);
    store.close().await;
    db.drop_db().await;
}

common::conformance!(
    hosts_taking_turns_each_go_on_from_what_they_verified,
    a_row_appended_without_the_key_is_refused,
    a_model_put_back_to_an_older_sealed_state_is_seen_as_a_whole_restore_sees_it,
);
