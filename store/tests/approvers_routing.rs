//! Promise: a reviewer's queue routes only by approvers the host sealed. An approvers row
//! inserted, edited or copied from another model without the key puts no model in anyone's
//! queue: the query refuses, naming the model. On SQLite (memory and file) and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use modelgate_store::{Awaiting, ModelKey, QueryError, Store};

use common::{Backend, TestDb, raw, submitted};

fn key(version: &str) -> ModelKey {
    ModelKey::new("churn", version)
}

/// `churn@1` routed to bob, `churn@2` to mallory (a real reviewer of another model), `churn@3`
/// to nobody: all submitted.
async fn three_models(db: &TestDb) -> Store {
    let store = db.open().await;
    for version in ["1", "2", "3"] {
        store.create(&submitted("churn", version)).await.unwrap();
    }
    store.set_approvers(&key("1"), ["bob"]).await.unwrap();
    store.set_approvers(&key("2"), ["mallory"]).await.unwrap();
    store
}

async fn queue(store: &Store, reviewer: &str) -> Result<Vec<String>, QueryError> {
    let listed = store
        .awaiting_approval(&Awaiting::all().for_reviewer(reviewer, Vec::<String>::new()))
        .await?;
    Ok(listed
        .into_iter()
        .map(|s| s.key.version().to_owned())
        .collect())
}

/// Sealed approvers route as before.
async fn sealed_approvers_route_a_reviewers_queue(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = three_models(&db).await;
    assert_eq!(queue(&store, "bob").await.unwrap(), ["1"]);
    assert_eq!(queue(&store, "mallory").await.unwrap(), ["2"]);
    assert!(queue(&store, "carol").await.unwrap().is_empty());
    store.close().await;
    db.drop_db().await;
}

/// An approvers row inserted for a model that has sealed approvers: refused, naming it.
async fn an_inserted_approvers_row_puts_no_model_in_a_queue(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = three_models(&db).await;
    raw(
        &store,
        "INSERT INTO modelgate_approvers (name, version, environment, approver)
         VALUES ('churn', '1', 'default', 'mallory')",
    )
    .await;
    let err = queue(&store, "mallory").await.unwrap_err();
    assert!(
        matches!(&err, QueryError::ForgedApprovers { key: k, .. } if *k == key("1")),
        "{err}"
    );
    insta::assert_snapshot!("forged_approvers", err.to_string());
    store.close().await;
    db.drop_db().await;
}

/// An approvers row edited to name another reviewer: refused, naming the model.
async fn an_edited_approvers_row_puts_no_model_in_a_queue(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = three_models(&db).await;
    raw(
        &store,
        "UPDATE modelgate_approvers SET approver = 'mallory' WHERE version = '1'",
    )
    .await;
    let err = queue(&store, "mallory").await.unwrap_err();
    assert!(
        matches!(&err, QueryError::ForgedApprovers { key: k, .. } if *k == key("1")),
        "{err}"
    );
    store.close().await;
    db.drop_db().await;
}

/// Another model's approvers and their seal (really made by the host) copied onto `churn@1`:
/// the seal binds the model's key, so it does not verify there.
async fn approvers_copied_from_another_model_put_it_in_no_queue(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = three_models(&db).await;
    raw(
        &store,
        "DELETE FROM modelgate_approvers WHERE version = '1'",
    )
    .await;
    raw(
        &store,
        "INSERT INTO modelgate_approvers (name, version, environment, approver)
         VALUES ('churn', '1', 'default', 'mallory')",
    )
    .await;
    raw(
        &store,
        "UPDATE modelgate_models SET approvers_seal =
            (SELECT approvers_seal FROM modelgate_models WHERE version = '2')
         WHERE version = '1'",
    )
    .await;
    let err = queue(&store, "mallory").await.unwrap_err();
    assert!(
        matches!(&err, QueryError::ForgedApprovers { key: k, .. } if *k == key("1")),
        "{err}"
    );
    store.close().await;
    db.drop_db().await;
}

/// An approvers row inserted for a model that has none: no seal, refused, naming it.
async fn approvers_of_a_model_without_a_seal_put_it_in_no_queue(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = three_models(&db).await;
    raw(
        &store,
        "INSERT INTO modelgate_approvers (name, version, environment, approver)
         VALUES ('churn', '3', 'default', 'mallory')",
    )
    .await;
    let err = queue(&store, "mallory").await.unwrap_err();
    assert!(
        matches!(&err, QueryError::UnsealedApprovers { key: k } if *k == key("3")),
        "{err}"
    );
    insta::assert_snapshot!("unsealed_approvers", err.to_string());
    // The seal column cleared on a model that had one: the same.
    raw(
        &store,
        "DELETE FROM modelgate_approvers WHERE version = '3'",
    )
    .await;
    raw(
        &store,
        "UPDATE modelgate_models SET approvers_seal = NULL WHERE version = '1'",
    )
    .await;
    let err = queue(&store, "bob").await.unwrap_err();
    assert!(
        matches!(&err, QueryError::UnsealedApprovers { key: k } if *k == key("1")),
        "{err}"
    );
    // Set again by the host: routed again.
    store.set_approvers(&key("1"), ["bob"]).await.unwrap();
    assert_eq!(queue(&store, "bob").await.unwrap(), ["1"]);
    store.close().await;
    db.drop_db().await;
}

/// What the seal cannot see (documented): the same model's older sealed set put back. The
/// seal binds the model and the set, not when it was set; it routes as it did then.
async fn an_older_sealed_set_of_the_same_model_routes_as_it_did(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = three_models(&db).await;
    let old: String =
        sqlx::query_scalar("SELECT approvers_seal FROM modelgate_models WHERE version = '1'")
            .fetch_one(store.pool())
            .await
            .unwrap();
    store.set_approvers(&key("1"), ["carol"]).await.unwrap();
    assert!(queue(&store, "bob").await.unwrap().is_empty());
    raw(
        &store,
        "UPDATE modelgate_approvers SET approver = 'bob' WHERE version = '1'",
    )
    .await;
    sqlx::query("UPDATE modelgate_models SET approvers_seal = $1 WHERE version = '1'")
        .bind(old)
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(queue(&store, "bob").await.unwrap(), ["1"]);
    store.close().await;
    db.drop_db().await;
}

common::conformance!(
    sealed_approvers_route_a_reviewers_queue,
    an_inserted_approvers_row_puts_no_model_in_a_queue,
    an_edited_approvers_row_puts_no_model_in_a_queue,
    approvers_copied_from_another_model_put_it_in_no_queue,
    approvers_of_a_model_without_a_seal_put_it_in_no_queue,
    an_older_sealed_set_of_the_same_model_routes_as_it_did,
);
