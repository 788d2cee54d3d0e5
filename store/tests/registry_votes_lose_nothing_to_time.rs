//! No vote is lost to time in a shared registry: through `Store::transact`, votes recorded as
//! its documented example records them all land, whether reviewers' clocks run ahead or behind
//! one another or the votes are saved out of their time order (a vote does not move the
//! registry's clock). Found by an independent attacker; each failed before the fix.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::production_registry::{NAME, book, production, submitted};
use common::{Backend, TestDb, t};
use modelgate::registry::RegistryError;
use modelgate::{AnyModel, Review};
use modelgate_store::{Retry, Store, TransactError};

async fn vote(
    store: &Store,
    version: &str,
    review: Review,
) -> Result<(), TransactError<RegistryError>> {
    store
        .transact(NAME, &book(), &Retry::default(), |registry| {
            let AnyModel::Submitted(mut model) = registry.take(&production(), version)? else {
                panic!("{version} is under review");
            };
            model.record(review.clone()).unwrap();
            registry.put(model).map_err(|refused| refused.into_error())
        })
        .await
        .map(|_| ())
}

async fn a_vote_through_transact_is_not_lost_to_clock_skew(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    store
        .transact(NAME, &book(), &Retry::default(), |registry| {
            registry.put(submitted(NAME, "7", 0.95, 100))?;
            registry.put(submitted(NAME, "8", 0.95, 100))?;
            Ok::<_, modelgate::value::Refused<AnyModel, RegistryError>>(())
        })
        .await
        .map_err(|e| e.to_string())
        .unwrap();
    // carol's clock runs 4 s ahead; bob's is right and he votes a second later by the wall.
    vote(&store, "7", Review::approve("carol", "sha256:7", t(1005)))
        .await
        .unwrap();
    let bob = vote(&store, "8", Review::approve("bob", "sha256:8", t(1002))).await;
    assert!(
        bob.is_ok(),
        "bob's vote is lost to carol's clock skew: {}",
        bob.unwrap_err()
    );
    store.close().await;
    db.drop_db().await;
}

/// Promise 4 too ("concurrent moves through it all land"): eight reviewers with *correct*
/// clocks vote at the same moment, a millisecond apart, each on their own version of one
/// registry, through `transact`. Whichever save lands first advances the environment's clock,
/// and a vote stamped a millisecond earlier that saves after it is refused on every rerun.
async fn votes_saved_out_of_time_order_on_members_all_land(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = std::sync::Arc::new(db.open().await);
    const N: u64 = 8;
    store
        .transact(NAME, &book(), &Retry::default(), |registry| {
            for v in 1..=N {
                registry.put(submitted(NAME, &v.to_string(), 0.95, 100))?;
            }
            Ok::<_, modelgate::value::Refused<AnyModel, RegistryError>>(())
        })
        .await
        .map_err(|e| e.to_string())
        .unwrap();
    // Saved in reverse order of their times: the latest vote first (the order the database
    // happens to serialize them in; here made deterministic).
    let mut lost = Vec::new();
    for v in (1..=N).rev() {
        let at = modelgate::Timestamp::from_unix_millis(1_000_000 + v);
        let review = Review::approve(format!("r{v}"), format!("sha256:{v}"), at);
        if let Err(e) = vote(&store, &v.to_string(), review).await {
            lost.push(e.to_string());
        }
    }
    assert!(
        lost.is_empty(),
        "{} of {N} votes lost: {lost:#?}",
        lost.len()
    );
    store.close().await;
    db.drop_db().await;
}

/// The same with real concurrency: 16 reviewers, each voting on their own version with the
/// time read from this machine's clock (no skew at all) when they cast the vote, recorded
/// through `transact` as its documented example does (the review made first, cloned in the
/// change). (Had the change read the clock afresh on each rerun, the votes would land; a
/// review carries its reviewer's time, so it cannot.)
async fn truly_concurrent_votes_with_the_wall_clock_all_land(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = std::sync::Arc::new(db.open().await);
    const N: u64 = 16;
    let now = || {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        modelgate::Timestamp::from_unix_millis(ms)
    };
    let start = now().as_unix_millis() / 1000;
    store
        .transact(NAME, &book(), &Retry::default(), |registry| {
            for v in 1..=N {
                registry.put(submitted(NAME, &v.to_string(), 0.95, start - 60))?;
            }
            Ok::<_, modelgate::value::Refused<AnyModel, RegistryError>>(())
        })
        .await
        .map_err(|e| e.to_string())
        .unwrap();
    let tasks: Vec<_> = (1..=N)
        .map(|v| {
            let store = std::sync::Arc::clone(&store);
            tokio::spawn(async move {
                let review = Review::approve(format!("r{v}"), format!("sha256:{v}"), now());
                store
                    .transact(
                        NAME,
                        &book(),
                        &Retry::default().attempts(1_000),
                        |registry| {
                            let AnyModel::Submitted(mut model) =
                                registry.take(&production(), &v.to_string())?
                            else {
                                panic!("under review");
                            };
                            model.record(review.clone()).unwrap();
                            registry.put(model).map_err(|refused| refused.into_error())
                        },
                    )
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    let mut lost = Vec::new();
    for task in tasks {
        if let Err(e) = task.await.unwrap() {
            lost.push(e);
        }
    }
    assert!(
        lost.is_empty(),
        "{} of {N} votes lost: {lost:#?}",
        lost.len()
    );
    store.close().await;
    db.drop_db().await;
}

common::conformance!(
    a_vote_through_transact_is_not_lost_to_clock_skew,
    votes_saved_out_of_time_order_on_members_all_land,
    truly_concurrent_votes_with_the_wall_clock_all_land
);
