//! Rows tampered with in the database are refused, and the refusal names what is stored: the
//! store builds its records from typed parts, so no column reaches into another.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Backend, DIGEST, TestDb, key, policy, raw, submitted, t};
use modelgate::Review;
use modelgate_store::{LoadError, ModelKey, Retry, Store};
use sqlx::Row;

async fn four(db: &TestDb) -> (Store, ModelKey) {
    let store = db.open().await;
    let k = key("victim", "1");
    store.create(&submitted("victim", "1")).await.unwrap();
    for (who, at) in [("bob", 20), ("carol", 30)] {
        store
            .record_vote(
                &k,
                &policy(),
                &Review::reject(who, DIGEST, t(at)),
                &Retry::default(),
            )
            .await
            .unwrap();
    }
    (store, k)
}

async fn event_text(store: &Store, seq: i64) -> String {
    sqlx::query("SELECT event FROM modelgate_events WHERE name = 'victim' AND seq = $1")
        .bind(seq)
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_negative_revision_is_named_as_stored() {
    let db = TestDb::new(Backend::SqliteMemory).await.unwrap();
    let (store, k) = four(&db).await;
    let n: i64 = sqlx::query("SELECT revision FROM modelgate_models WHERE name = 'victim'")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get(0);
    raw(
        &store,
        &format!("UPDATE modelgate_models SET revision = {}", -n),
    )
    .await;
    let err = store.load(&k).await.unwrap_err();
    assert!(
        matches!(&err, LoadError::Unreadable { what, .. } if what == "revision"),
        "{err}"
    );
    assert!(err.to_string().contains(&format!("`{}`", -n)), "{err}");
}

#[tokio::test]
async fn an_event_column_that_is_not_one_event_or_a_negative_number_is_refused() {
    let db = TestDb::new(Backend::SqliteMemory).await.unwrap();
    let (store, k) = four(&db).await;
    let original = event_text(&store, 2).await;
    let cases = [
        (
            "pretty-printed",
            serde_json::to_string_pretty(
                &serde_json::from_str::<serde_json::Value>(&original).unwrap(),
            )
            .unwrap(),
        ),
        (
            "second top-level key",
            original.trim_end_matches('}').to_owned()
                + r#"}, "deployed": {"receipt": "x", "by": "m"}}"#,
        ),
        (
            "duplicate variant",
            format!("{{{0}, {0}}}", &original[1..original.len() - 1]),
        ),
        ("trailing junk", format!("{original} x")),
    ];
    for (what, text) in cases {
        raw(
            &store,
            &format!(
                "UPDATE modelgate_events SET event = '{}' WHERE name = 'victim' AND seq = 2",
                text.replace('\'', "''")
            ),
        )
        .await;
        let r = store.restore(&k, &policy()).await;
        if what != "pretty-printed" {
            assert!(r.is_err(), "event column `{what}` loads");
        }
    }
    raw(
        &store,
        &format!(
            "UPDATE modelgate_events SET event = '{}' WHERE name = 'victim' AND seq = 2",
            original.replace('\'', "''")
        ),
    )
    .await;
    for (what, sql) in [
        (
            "negative at",
            "UPDATE modelgate_events SET at = -1 WHERE name = 'victim' AND seq = 1",
        ),
        (
            "negative seq",
            "UPDATE modelgate_events SET seq = -1 WHERE name = 'victim' AND seq = 3",
        ),
        (
            "window negative",
            "UPDATE modelgate_models SET approval_validity_ms = -1",
        ),
    ] {
        raw(&store, sql).await;
        let r = store.restore(&k, &policy()).await;
        assert!(r.is_err(), "{what} loads");
    }
}
