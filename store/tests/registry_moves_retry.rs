//! Every move of a shared registry lands: through `Store::transact`, concurrent writers voting,
//! adding members, deciding and deploying lose none of their moves to a compare-and-swap
//! conflict, a registry not stored yet starts empty, and a change that refuses writes nothing.
//! On SQLite (memory and file) and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;

use common::production_registry::{NAME, production, submitted};
use common::{Backend, TestDb, t};
use modelgate::registry::{PolicyBook, RegistryError};
use modelgate::{AnyModel, NoRegression, PolicyExt, Quorum, Receipt, Review, Status};
use modelgate_store::{Retry, SaveRegistryError, Store, TransactError};

const VOTERS: usize = 3;

fn book() -> PolicyBook {
    PolicyBook::new().with(
        "production",
        NoRegression::higher_is_better("accuracy").and(Quorum::new(VOTERS)),
    )
}

/// Records `reviewer`'s approval of `version` through `transact`.
async fn vote(store: &Store, version: &str, reviewer: String) -> u32 {
    let digest = format!("sha256:{version}");
    store
        .transact(
            NAME,
            &book(),
            &Retry::default().attempts(1_000),
            |registry| {
                registry
                    .record(
                        &production(),
                        version,
                        Review::approve(reviewer.clone(), digest.clone(), t(20)),
                    )
                    .map_err(|refused| refused.into_error())
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{reviewer}: {e}"))
        .conflicts
}

async fn concurrent_moves_all_land(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = Arc::new(db.open().await);
    // Writers add versions to a registry that is not stored yet: each starts from what is
    // stored when it saves, so all land.
    let adders: Vec<_> = ["1", "2", "3"]
        .into_iter()
        .map(|version| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .transact(
                        NAME,
                        &book(),
                        &Retry::default().attempts(1_000),
                        |registry| {
                            registry
                                .put(submitted(NAME, version, 0.9, 10))
                                .map_err(|refused| refused.into_error())
                        },
                    )
                    .await
                    .unwrap_or_else(|e| panic!("adding {version}: {e}"))
                    .conflicts
            })
        })
        .collect();
    let mut conflicts = 0;
    for adder in adders {
        conflicts += adder.await.unwrap();
    }
    let registry = store.load_registry(NAME, &book()).await.unwrap();
    assert_eq!(registry.members().count(), 3, "every version added");

    // Voters approve version 1 at once.
    let voters: Vec<_> = (0..VOTERS)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { vote(&store, "1", format!("reviewer-{i}")).await })
        })
        .collect();
    for voter in voters {
        conflicts += voter.await.unwrap();
    }
    let registry = store.load_registry(NAME, &book()).await.unwrap();
    let Some(AnyModel::Submitted(model)) = registry.get(&production(), "1") else {
        panic!("1 is under review");
    };
    assert_eq!(model.stage().votes().len(), VOTERS, "every vote recorded");

    // Decide and deploy in one change; what it returns comes back.
    let done = store
        .transact(NAME, &book(), &Retry::default(), |registry| {
            let verdict = registry.decide(&production(), "1", &book_policy(), t(30))?;
            let AnyModel::Approved(model) = registry.take(&production(), "1")? else {
                return Ok(verdict.kind());
            };
            registry
                .deploy(model, Receipt::new("deploy-1"), "ci", t(40))
                .map_err(|refused| refused.into_error())?;
            Ok::<_, RegistryError>(verdict.kind())
        })
        .await
        .unwrap();
    assert_eq!(done.value, modelgate::VerdictKind::Approve);
    let registry = store.load_registry(NAME, &book()).await.unwrap();
    assert_eq!(
        registry.current(&production()).map(|m| m.version()),
        Some("1")
    );
    eprintln!("{b:?}: {conflicts} conflicts retried");
    store.close().await;
    Arc::try_unwrap(store).ok();
    db.drop_db().await;
}

fn book_policy() -> impl modelgate::Policy {
    NoRegression::higher_is_better("accuracy").and(Quorum::new(VOTERS))
}

async fn a_refused_change_writes_nothing(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    // A registry not stored yet loads empty.
    let empty = store.load_registry_or_new(NAME, &book()).await.unwrap();
    assert_eq!(empty.members().count(), 0);
    store
        .transact(NAME, &book(), &Retry::default(), |registry| {
            registry
                .put(submitted(NAME, "1", 0.9, 10))
                .map_err(|refused| refused.into_error())
        })
        .await
        .unwrap();
    // The change's own error comes back, and nothing is saved.
    let err = store
        .transact(NAME, &book(), &Retry::default(), |registry| {
            registry.put(submitted(NAME, "2", 0.9, 10)).unwrap();
            registry.decide(&production(), "9", &book_policy(), t(30))
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            TransactError::Refused {
                error: RegistryError::NoSuchVersion { .. },
                ..
            }
        ),
        "{err}"
    );
    insta::assert_snapshot!("transact_refused", err.to_string());
    let registry = store.load_registry(NAME, &book()).await.unwrap();
    assert_eq!(registry.members().count(), 1, "version 2 was not saved");
    // A change that takes a member out and does not put it back is the change's error, not
    // another writer's: refused at once, not retried.
    let err = store
        .transact(NAME, &book(), &Retry::default(), |registry| {
            registry.take(&production(), "1").map(|_| ())
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, TransactError::Save(SaveRegistryError::Missing { .. })),
        "{err}"
    );
    let registry = store.load_registry(NAME, &book()).await.unwrap();
    assert_eq!(
        registry.get(&production(), "1").map(AnyModel::status),
        Some(Status::Submitted)
    );
    store.close().await;
    db.drop_db().await;
}

common::conformance!(concurrent_moves_all_land, a_refused_change_writes_nothing);
