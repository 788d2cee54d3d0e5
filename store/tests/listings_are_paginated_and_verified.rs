//! Promise: `Store::models` and `Store::registries` list everything the store holds a page at a
//! time, each page in order with none lost or repeated, and never list a model as its row says
//! when its verified trail says otherwise: a status, time or kind edited without the key is
//! refused naming the model and the column. On SQLite (memory and file) and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use modelgate::{Environment, Registry, Status};
use modelgate_store::{ModelKey, Models, QueryError, Registries, Store};

use common::{Backend, TestDb, deployed_in, raw, submitted};

/// 12 submitted models (`a-00` … `a-11`, version 1) and 3 deployed (`b`, versions 1 … 3).
async fn fill(store: &Store) {
    for i in 0..12 {
        store
            .create(&submitted(&format!("a-{i:02}"), "1"))
            .await
            .unwrap();
    }
    for v in 1..=3 {
        let model = deployed_in("b", &v.to_string(), &Environment::default(), 20 + v);
        store.create(&model).await.unwrap();
    }
}

async fn every_page(store: &Store, query: Models) -> (Vec<ModelKey>, usize) {
    let mut keys = Vec::new();
    let mut pages = 0;
    let mut page = store.models(&query).await.unwrap();
    loop {
        pages += 1;
        keys.extend(page.items.iter().map(|s| s.key.clone()));
        let Some(next) = page.next.clone() else { break };
        page = store.models(&query.clone().after(next)).await.unwrap();
    }
    (keys, pages)
}

async fn pages_list_every_model_once_in_order(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    fill(&store).await;
    let (keys, pages) = every_page(&store, Models::all().limit(4)).await;
    assert_eq!(keys.len(), 15);
    assert_eq!(pages, 4);
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| {
        (a.name(), a.version(), a.environment()).cmp(&(b.name(), b.version(), b.environment()))
    });
    sorted.dedup();
    assert_eq!(keys, sorted, "in order, none twice");
    let (deployed, _) =
        every_page(&store, Models::all().with_status(Status::Deployed).limit(2)).await;
    assert_eq!(deployed.len(), 3);
    assert!(deployed.iter().all(|k| k.name() == "b"));
    let named = store.models(&Models::all().named("a-03")).await.unwrap();
    assert_eq!(named.items.len(), 1);
    assert_eq!(named.items[0].status, Status::Submitted);
    assert_eq!(named.next, None);
    db.drop_db().await;
}

async fn a_status_edited_without_the_key_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    fill(&store).await;
    // `a-05` made to look deployed: listed among the deployed by its row, refused by its trail.
    raw(
        &store,
        "UPDATE modelgate_models SET status = 'deployed' WHERE name = 'a-05'",
    )
    .await;
    for query in [Models::all(), Models::all().with_status(Status::Deployed)] {
        let refused = store.models(&query).await.unwrap_err();
        assert!(
            matches!(&refused, QueryError::Disagrees { key, column: "status", .. } if key.name() == "a-05"),
            "{refused}"
        );
    }
    insta::assert_snapshot!(
        "listing_status_edited",
        store.models(&Models::all()).await.unwrap_err().to_string()
    );
    db.drop_db().await;
}

async fn a_time_or_kind_edited_without_the_key_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    fill(&store).await;
    raw(
        &store,
        "UPDATE modelgate_models SET deployed_at = 1 WHERE name = 'b' AND version = '2'",
    )
    .await;
    let refused = store.models(&Models::all().named("b")).await.unwrap_err();
    assert!(
        matches!(
            refused,
            QueryError::Disagrees {
                column: "deployed_at",
                ..
            }
        ),
        "{refused}"
    );
    raw(
        &store,
        "UPDATE modelgate_models SET kind = 'run' WHERE name = 'a-01'",
    )
    .await;
    let refused = store
        .models(&Models::all().named("a-01"))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, QueryError::Disagrees { column: "kind", .. }),
        "{refused}"
    );
    db.drop_db().await;
}

async fn an_edited_event_is_refused_not_listed(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    fill(&store).await;
    raw(
        &store,
        "UPDATE modelgate_events SET event = REPLACE(event, 'alice', 'mallory')
         WHERE name = 'a-07' AND seq = 1",
    )
    .await;
    let refused = store.models(&Models::all()).await.unwrap_err();
    assert!(matches!(refused, QueryError::Trail { .. }), "{refused}");
    db.drop_db().await;
}

async fn registries_are_listed_by_their_sealed_index(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    for name in ["churn", "fraud", "risk"] {
        let mut registry = Registry::new(name).unwrap();
        registry.put(submitted(name, "1")).unwrap();
        store.save_registry(&registry).await.unwrap();
    }
    let first = store.registries(&Registries::all().limit(2)).await.unwrap();
    assert_eq!(first.items, ["churn", "fraud"]);
    let next = first.next.clone().unwrap();
    let second = store
        .registries(&Registries::all().limit(2).after(next))
        .await
        .unwrap();
    assert_eq!(second.items, ["risk"]);
    assert_eq!(second.next, None);
    // An index whose seal is another's: refused, naming the registry.
    raw(
        &store,
        "UPDATE modelgate_registries SET seal = (SELECT seal FROM modelgate_registries
         WHERE name = 'churn') WHERE name = 'fraud'",
    )
    .await;
    let refused = store.registries(&Registries::all()).await.unwrap_err();
    assert!(matches!(refused, QueryError::Membership(_)), "{refused}");
    db.drop_db().await;
}

async fn membership_is_what_the_sealed_index_says_not_the_kind_column(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let mut registry = Registry::new("churn").unwrap();
    registry.put(submitted("churn", "1")).unwrap();
    store.save_registry(&registry).await.unwrap();
    store.create(&submitted("churn", "9")).await.unwrap();
    let listed = store.models(&Models::all()).await.unwrap().items;
    let members: Vec<(&str, bool)> = listed
        .iter()
        .map(|s| (s.key.version(), s.is_member))
        .collect();
    assert_eq!(members, [("1", true), ("9", false)]);
    for (edit, version, row) in [
        // A lone model passed off as a member of the registry of its name.
        ("member", "9", "member"),
        // A member passed off as a lone model (out of the registry's reach).
        ("model", "1", "model"),
    ] {
        raw(
            &store,
            &format!(
                "UPDATE modelgate_models SET kind = '{edit}' WHERE name = 'churn' AND version = '{version}'"
            ),
        )
        .await;
        let refused = store.models(&Models::all()).await.unwrap_err();
        match &refused {
            QueryError::Disagrees {
                key,
                column,
                row: found,
                ..
            } => {
                assert_eq!(
                    (key.version(), *column, found.as_str()),
                    (version, "kind", row)
                );
            }
            other => panic!("{other}"),
        }
        let back = if edit == "member" { "model" } else { "member" };
        raw(
            &store,
            &format!(
                "UPDATE modelgate_models SET kind = '{back}' WHERE name = 'churn' AND version = '{version}'"
            ),
        )
        .await;
    }
    assert_eq!(store.models(&Models::all()).await.unwrap().items.len(), 2);
    db.drop_db().await;
}

common::conformance!(
    pages_list_every_model_once_in_order,
    a_status_edited_without_the_key_is_refused,
    a_time_or_kind_edited_without_the_key_is_refused,
    an_edited_event_is_refused_not_listed,
    registries_are_listed_by_their_sealed_index,
    membership_is_what_the_sealed_index_says_not_the_kind_column,
);
