//! A vote on a kept model reads only the rows appended since and refuses what a whole load
//! refuses of them: the models row's `seal` is verified even when nothing was appended (a seal
//! replaced without the key is not voted over, and not resealed away), and the `hash` column of
//! the rows appended since must chain as a load requires, and the row at the kept revision must
//! still be there, ending at the kept head. What the swap leaves to the next whole load (rows
//! below the tip, so a vote costs the same at any trail length) is found there, naming the row.
//! Found by independent attackers; each refusal failed before its fix.
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

/// The compare-and-swap also checks the tip: the trail cut back by its last row (the models
/// row left as it was), or the last row's `hash` edited, is not voted over.
async fn a_kept_vote_refuses_a_trail_cut_back_or_a_tip_edited(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let a = db.open().await;
    let attacks = [
        (
            "1",
            "DELETE FROM modelgate_events WHERE name = 'tip' AND version = '1' AND seq = 2",
        ),
        (
            "2",
            "UPDATE modelgate_events SET hash = 'sha256:0000000000000000000000000000000000000000000000000000000000000000' WHERE name = 'tip' AND version = '2' AND seq = 2",
        ),
    ];
    for (version, attack) in attacks {
        let k = key("tip", version);
        a.create(&submitted("tip", version)).await.unwrap();
        a.record_vote(&k, &policy(), &approve("bob", 20), &Retry::default())
            .await
            .unwrap();
        raw(&a, attack).await;
        let kept = a
            .record_vote(&k, &policy(), &approve("carol", 21), &Retry::default())
            .await;
        assert!(
            kept.is_err(),
            "voted over a trail whose tip was changed: {attack}"
        );
        let fresh = no_keeper(&db).await;
        assert!(fresh.load(&k).await.is_err(), "a whole load refuses it too");
        fresh.close().await;
    }
    a.close().await;
    db.drop_db().await;
}

/// The limit of a vote whose cost does not grow with the trail: a row deleted below the tip
/// after the model was kept is not read by the kept vote (the kept model was verified whole,
/// so the deletion cannot change what the vote is counted against); the next whole load
/// refuses the trail and names the missing row, so nothing built on it is ever accepted.
async fn a_row_deleted_below_the_tip_is_named_by_the_next_load(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let a = db.open().await;
    let k = key("below", "1");
    a.create(&submitted("below", "1")).await.unwrap();
    for (who, at) in [("bob", 20), ("dave", 21)] {
        a.record_vote(&k, &policy(), &approve(who, at), &Retry::default())
            .await
            .unwrap();
    }
    raw(
        &a,
        "DELETE FROM modelgate_events WHERE name = 'below' AND seq = 2",
    )
    .await;
    // The kept model still holds bob's vote: carol's is counted against the verified trail.
    let _ = a
        .record_vote(&k, &policy(), &approve("carol", 22), &Retry::default())
        .await;
    let fresh = no_keeper(&db).await;
    let error = fresh.load(&k).await.unwrap_err();
    assert!(
        matches!(
            error,
            modelgate_store::LoadError::MissingEvent { seq: 2, .. }
        ),
        "the load names the deleted row: {error}"
    );
    assert!(fresh.restore(&k, &policy()).await.is_err());
    fresh.close().await;
    a.close().await;
    db.drop_db().await;
}

/// The events' `action` and `actor` columns are derived from the event; a load checks them,
/// so a vote's `actor` edited to another reviewer is refused, not read as theirs (a reviewer's
/// queue reads whether they voted from the verified trail, so it hides nothing from them).
async fn a_load_refuses_an_edited_actor_or_action_column(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let a = db.open().await;
    let attacks = [
        (
            "1",
            "UPDATE modelgate_events SET actor = 'rita' WHERE name = 'columns' AND version = '1' AND seq = 2",
            "actor",
        ),
        (
            "2",
            "UPDATE modelgate_events SET action = 'submitted' WHERE name = 'columns' AND version = '2' AND seq = 2",
            "action",
        ),
    ];
    for (version, attack, column) in attacks {
        let k = key("columns", version);
        a.create(&submitted("columns", version)).await.unwrap();
        a.record_vote(&k, &policy(), &approve("bob", 20), &Retry::default())
            .await
            .unwrap();
        raw(&a, attack).await;
        let fresh = no_keeper(&db).await;
        let error = fresh.load(&k).await.unwrap_err().to_string();
        assert!(
            error.contains("event 2") && error.contains(&format!("`{column}` column")),
            "the load names the row and the column: {error}"
        );
        fresh.close().await;
    }
    a.close().await;
    db.drop_db().await;
}

/// A reviewer's queue is not narrowed by the `actor` column: rita's name written over bob's
/// vote row does not hide the model from rita (the queue refuses the trail, naming it).
async fn an_edited_actor_column_hides_no_model_from_a_queue(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let a = db.open().await;
    let k = key("queue", "1");
    a.create(&submitted("queue", "1")).await.unwrap();
    a.set_approvers(&k, ["bob", "rita"]).await.unwrap();
    a.record_vote(&k, &policy(), &approve("bob", 20), &Retry::default())
        .await
        .unwrap();
    let queue = modelgate_store::Awaiting::all().for_reviewer("rita", Vec::<String>::new());
    assert_eq!(a.awaiting_approval(&queue).await.unwrap().len(), 1);
    raw(
        &a,
        "UPDATE modelgate_events SET actor = 'rita' WHERE name = 'queue' AND seq = 2",
    )
    .await;
    let listed = a.awaiting_approval(&queue).await;
    assert!(
        matches!(listed, Err(modelgate_store::QueryError::Trail { .. })),
        "the model was hidden from rita's queue, or listed without naming the edit: {listed:?}"
    );
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
    a_kept_vote_refuses_a_trail_cut_back_or_a_tip_edited,
    a_row_deleted_below_the_tip_is_named_by_the_next_load,
    a_load_refuses_an_edited_actor_or_action_column,
    an_edited_actor_column_hides_no_model_from_a_queue,
    kept_votes_land_once_in_a_trail_others_verify,
);
