//! Life after a deploy goes through the store: superseded, rolled back, reinstated, retired,
//! with the statuses and the current deployment of each environment following. On SQLite
//! (memory and file) and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{
    Backend, TestDb, deployed_in, environments, key, policy, production, staging, t, versions,
};
use modelgate::{AnyModel, Status};

/// Superseded, rolled back, reinstated, retired: statuses and the current deployment of each
/// environment follow.
async fn life_after_deploy(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let prod = production();
    let k = |v: &str| key("churn", v).in_environment(&prod);
    // 1 deployed at 50 s, 2 at 60 s replacing it; 3 deployed in staging at 65 s.
    store
        .create(&deployed_in("churn", "1", &prod, 50))
        .await
        .unwrap();
    store
        .create(&deployed_in("churn", "2", &prod, 60))
        .await
        .unwrap();
    store
        .create(&deployed_in("churn", "3", &staging(), 65))
        .await
        .unwrap();
    let loaded = store.restore(&k("1"), &policy()).await.unwrap();
    let AnyModel::Deployed(m) = loaded.model else {
        panic!()
    };
    let superseded = m.supersede("2", "ci", t(60)).unwrap();
    store.append(loaded.head, &superseded).await.unwrap();
    let current = store.current_deployments(None).await.unwrap();
    assert_eq!(environments(current.clone()), ["production", "staging"]);
    assert_eq!(versions(current.clone()), ["2", "3"]);
    assert_eq!(current[0].deployed_at, Some(t(60)));
    assert_eq!(
        versions(store.by_status(Status::Superseded).await.unwrap()),
        ["1"]
    );
    // 2 misbehaves: production goes back to 1, reinstated.
    let loaded = store.restore(&k("2"), &policy()).await.unwrap();
    let AnyModel::Deployed(m) = loaded.model else {
        panic!()
    };
    let rolled_back = m.roll_back("1", "latency", "oncall", t(70)).unwrap();
    store.append(loaded.head, &rolled_back).await.unwrap();
    let loaded = store.restore(&k("1"), &policy()).await.unwrap();
    let AnyModel::Superseded(m) = loaded.model else {
        panic!()
    };
    let reinstated = m
        .reinstate(&policy(), Some("2"), "latency", "oncall", t(70))
        .unwrap();
    store.append(loaded.head, &reinstated).await.unwrap();
    let current = store.current_deployments(Some("churn")).await.unwrap();
    assert_eq!(versions(current.clone()), ["1", "3"]);
    assert_eq!(
        current[0].deployed_at,
        Some(t(70)),
        "a reinstated model became current when it was reinstated"
    );
    assert_eq!(
        versions(store.by_status(Status::Superseded).await.unwrap()),
        ["2"]
    );
    assert_eq!(
        versions(store.by_status(Status::Deployed).await.unwrap()),
        ["3", "1"]
    );
    // 2 is retired for cause at 80 s, then 1 at 90 s: production has no current deployment.
    let loaded = store.restore(&k("2"), &policy()).await.unwrap();
    let AnyModel::Superseded(m) = loaded.model else {
        panic!()
    };
    let retired = m.retire("latency regression", true, "ops", t(80)).unwrap();
    store.append(loaded.head, &retired).await.unwrap();
    assert!(
        store
            .by_status(Status::Superseded)
            .await
            .unwrap()
            .is_empty()
    );
    let loaded = store.restore(&k("1"), &policy()).await.unwrap();
    let AnyModel::Deployed(m) = loaded.model else {
        panic!()
    };
    let retired_1 = m
        .retire("replaced by the v3 line", false, "ops", t(90))
        .unwrap();
    store.append(loaded.head, &retired_1).await.unwrap();
    let retired = store.by_status(Status::Retired).await.unwrap();
    assert_eq!(versions(retired.clone()), ["2", "1"]);
    assert!(retired.iter().all(|s| s.environment == prod));
    let current = store.current_deployments(None).await.unwrap();
    assert_eq!(environments(current.clone()), ["staging"]);
    assert_eq!(versions(current), ["3"]);
    let restored = store.restore(&k("1"), &policy()).await.unwrap();
    assert_eq!(restored.model, AnyModel::Retired(retired_1));
    let actions: Vec<_> = store
        .audit_trail(&k("1"))
        .await
        .unwrap()
        .iter()
        .map(|e| e.action())
        .collect();
    assert_eq!(
        actions,
        [
            "submitted",
            "voted",
            "voted",
            "approved",
            "deployed",
            "superseded",
            "reinstated",
            "retired"
        ]
    );
    let actions: Vec<_> = store
        .audit_trail(&k("2"))
        .await
        .unwrap()
        .iter()
        .map(|e| e.action())
        .collect();
    assert_eq!(actions[5..], ["rolled back", "retired"]);
    store.close().await;
    db.drop_db().await;
}

common::conformance!(life_after_deploy,);
