//! Environments in the store: one version side by side in several environments, an approval
//! window that round-trips exactly with the lapse it brings, a promotion stored and restored
//! with its evidence. On SQLite (memory and file) and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{
    Backend, DIGEST, TestDb, deployed_in, environments, key, policy, production, staging,
    submitted, submitted_in, t, versions,
};
use modelgate::{
    AnyModel, DecisionContext, Environment, Metrics, Model, Receipt, Review, Status, Timestamp,
};
use modelgate_store::{AppendError, Awaiting, CreateError, LoadError, ModelKey, Retry};

/// The same name and version in the default environment, in staging and in production: three
/// models, three trails, side by side; each is loaded, voted on and queued on its own.
async fn same_version_in_two_environments(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let in_default = submitted("churn", "4");
    let in_staging = submitted_in("churn", "4", &staging());
    let in_production = submitted_in("churn", "4", &production());
    for m in [&in_default, &in_staging, &in_production] {
        store.create(m).await.unwrap();
    }
    // The environment is in every hash: three trails.
    let heads: BTreeSet<_> = [&in_default, &in_staging, &in_production]
        .iter()
        .map(|m| m.head())
        .collect();
    assert_eq!(heads.len(), 3);
    let kd = key("churn", "4");
    let ks = key("churn", "4").in_environment("staging");
    let kp = key("churn", "4").in_environment(production());
    assert_eq!(ModelKey::of(&in_default), kd);
    assert_eq!(ModelKey::of(&in_staging), ks);
    assert_eq!(ModelKey::of(&in_production), kp);
    // Stored again in its own environment: refused.
    let err = store
        .create(&submitted_in("churn", "4", &staging()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, CreateError::Exists { ref key } if *key == ks),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "model `churn@4 in staging` is already stored"
    );
    for (k, m) in [(&kd, in_default), (&ks, in_staging), (&kp, in_production)] {
        let loaded = store.restore(k, &policy()).await.unwrap();
        assert_eq!(loaded.head, m.head(), "{k}");
        assert_eq!(loaded.model, AnyModel::Submitted(m), "{k}");
        let stored = store.load(k).await.unwrap();
        assert_eq!(stored.model.environment().name(), k.environment());
    }
    let err = store
        .load(&key("churn", "4").in_environment("qa"))
        .await
        .unwrap_err();
    assert!(matches!(err, LoadError::NotFound { .. }), "{err}");
    assert_eq!(err.to_string(), "model `churn@4 in qa` is not stored");
    // bob may approve in staging and in production; his vote in staging leaves production in
    // his queue, and is written to the staging trail only.
    store.set_approvers(&ks, ["bob"]).await.unwrap();
    store.set_approvers(&kp, ["bob"]).await.unwrap();
    let bob = Awaiting::all().for_reviewer("bob", Vec::<String>::new());
    assert_eq!(
        environments(store.awaiting_approval(&bob).await.unwrap()),
        ["production", "staging"]
    );
    store
        .record_vote(
            &ks,
            &policy(),
            &Review::approve("bob", DIGEST, t(20)),
            &Retry::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        environments(store.awaiting_approval(&bob).await.unwrap()),
        ["production"]
    );
    for (k, revision) in [(&kd, 1), (&ks, 2), (&kp, 1)] {
        assert_eq!(store.load(k).await.unwrap().revision, revision, "{k}");
    }
    assert_eq!(
        environments(
            store
                .awaiting_approval(&Awaiting::all().in_environment(staging()))
                .await
                .unwrap()
        ),
        ["staging"]
    );
    assert_eq!(
        environments(store.awaiting_approval(&Awaiting::all()).await.unwrap()),
        ["default", "production", "staging"]
    );
    // Setting production's approvers leaves staging's alone.
    store.set_approvers(&kp, ["carol"]).await.unwrap();
    let carol = Awaiting::all().for_reviewer("carol", Vec::<String>::new());
    assert_eq!(
        environments(store.awaiting_approval(&carol).await.unwrap()),
        ["production"]
    );
    use sqlx::Row;
    let staging_approvers: i64 = sqlx::query(
        "SELECT COUNT(*) FROM modelgate_approvers WHERE environment = 'staging' AND approver = 'bob'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap()
    .get(0);
    assert_eq!(staging_approvers, 1);
    // A trail of one environment does not continue the head of another.
    let production_head = store.load(&kp).await.unwrap().head;
    let AnyModel::Submitted(mut voted) = store.restore(&ks, &policy()).await.unwrap().model else {
        panic!()
    };
    voted
        .record(Review::approve("carol", DIGEST, t(30)))
        .unwrap();
    let err = store.append(production_head, &voted).await.unwrap_err();
    assert!(matches!(err, AppendError::NotAContinuation { .. }), "{err}");
    store.close().await;
    db.drop_db().await;
}

/// An environment's approval window is stored with the model and comes back exactly; the
/// lapse it brings, and the reopening after it, go through the store.
async fn approval_window_round_trips(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let window = Duration::from_millis(3_600_123);
    let env = Environment::new("production")
        .unwrap()
        .with_approval_validity(window);
    let k = key("churn", "5").in_environment(&env);
    store
        .create(&submitted_in("churn", "5", &env))
        .await
        .unwrap();
    // Without a window: none stored, none loaded.
    let ks = key("churn", "5").in_environment("staging");
    store
        .create(&submitted_in("churn", "5", &staging()))
        .await
        .unwrap();
    use sqlx::Row;
    let windows: Vec<(String, Option<i64>)> = sqlx::query(
        "SELECT environment, approval_validity_ms FROM modelgate_models ORDER BY environment",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    assert_eq!(
        windows,
        [
            ("production".to_owned(), Some(3_600_123)),
            ("staging".to_owned(), None)
        ]
    );
    let loaded = store.load(&k).await.unwrap();
    assert_eq!(loaded.model.environment(), &env);
    assert_eq!(loaded.model.environment().approval_validity(), Some(window));
    let loaded = store.load(&ks).await.unwrap();
    assert_eq!(loaded.model.environment(), &staging());
    let summaries = store.by_status(Status::Submitted).await.unwrap();
    assert_eq!(
        summaries.iter().map(|s| &s.environment).collect::<Vec<_>>(),
        [&env, &staging()]
    );
    // Approved at 20 s, it lapses an hour (and 123 ms) later.
    store.set_approvers(&k, ["bob"]).await.unwrap();
    for (who, at) in [("bob", 15), ("carol", 16)] {
        store
            .record_vote(
                &k,
                &policy(),
                &Review::approve(who, DIGEST, t(at)),
                &Retry::default(),
            )
            .await
            .unwrap();
    }
    let loaded = store.restore(&k, &policy()).await.unwrap();
    let AnyModel::Submitted(m) = loaded.model else {
        panic!()
    };
    let approved = m
        .decide(&policy(), &DecisionContext::at(t(20)))
        .unwrap()
        .approved()
        .unwrap();
    let written = store.append(loaded.head, &approved).await.unwrap();
    let loaded = store.restore(&k, &policy()).await.unwrap();
    assert_eq!(loaded.head, written.head);
    let AnyModel::Approved(approved) = loaded.model else {
        panic!()
    };
    assert_eq!(
        approved.lapses_at(),
        Some(Timestamp::from_unix_millis(20_000 + 3_600_123))
    );
    // Too late to deploy: reopened for a fresh decision, back in bob's queue (the votes of
    // the lapsed round are not counted).
    let late = t(20 + 3_601);
    let refused = approved
        .mark_deployed(Receipt::new("prod/churn@5"), "ci", late)
        .unwrap_err();
    let (approved, _) = refused.into_input();
    let reopened = approved.reopen("alice", late).unwrap();
    store.append(loaded.head, &reopened).await.unwrap();
    let bob = Awaiting::all().for_reviewer("bob", Vec::<String>::new());
    assert_eq!(
        versions(store.awaiting_approval(&bob).await.unwrap()),
        ["5"]
    );
    let restored = store.restore(&k, &policy()).await.unwrap();
    assert_eq!(restored.model, AnyModel::Submitted(reopened));
    store.close().await;
    db.drop_db().await;
}

/// A version deployed in staging is promoted to production with evidence from staging: both
/// are stored, the promotion is in the submitted event's row, and the production model
/// restores with it and goes on to its own deployment.
async fn promoted_model_stores_and_restores(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    let in_staging = deployed_in("churn", "4", &staging(), 50);
    store.create(&in_staging).await.unwrap();
    let online = Metrics::new([("error_rate", 0.01)]).unwrap();
    let target = Model::new("churn", "4")
        .unwrap()
        .in_environment(production());
    let promoted = in_staging
        .promote(target, online, "alice", t(3600))
        .unwrap();
    store.create(&promoted).await.unwrap();
    let kp = ModelKey::of(&promoted);
    assert_eq!(kp, key("churn", "4").in_environment("production"));
    use sqlx::Row;
    let event: String = sqlx::query(
        "SELECT event FROM modelgate_events WHERE name = 'churn' AND environment = 'production' AND seq = 1",
    )
    .fetch_one(store.pool())
    .await
    .unwrap()
    .get(0);
    assert!(event.contains("\"promotion\""), "{event}");
    let loaded = store.restore(&kp, &policy()).await.unwrap();
    let AnyModel::Submitted(restored) = loaded.model else {
        panic!()
    };
    let evidence = restored.stage().submission().promotion().unwrap();
    assert_eq!(evidence.from(), "staging");
    assert_eq!(evidence.deployment(), in_staging.deployment());
    assert_eq!(evidence.deployed_at(), t(50));
    assert_eq!(evidence.online().get("error_rate"), Some(0.01));
    assert_eq!(restored, promoted);
    // Reviewed, approved and deployed in production, through the store.
    for (who, at) in [("carol", 3700), ("dave", 3701)] {
        store
            .record_vote(
                &kp,
                &policy(),
                &Review::approve(who, DIGEST, t(at)),
                &Retry::default(),
            )
            .await
            .unwrap();
    }
    let loaded = store.restore(&kp, &policy()).await.unwrap();
    let AnyModel::Submitted(m) = loaded.model else {
        panic!()
    };
    let deployed = m
        .decide(&policy(), &DecisionContext::at(t(3702)))
        .unwrap()
        .approved()
        .unwrap()
        .mark_deployed(Receipt::new("production/churn@4"), "ci", t(3703))
        .unwrap();
    store.append(loaded.head, &deployed).await.unwrap();
    let current = store.current_deployments(Some("churn")).await.unwrap();
    assert_eq!(environments(current.clone()), ["production", "staging"]);
    assert_eq!(versions(current), ["4", "4"]);
    assert_eq!(
        store.restore(&kp, &policy()).await.unwrap().model.status(),
        Status::Deployed
    );
    // Staging's trail is untouched.
    let ks = key("churn", "4").in_environment("staging");
    let staged = store.restore(&ks, &policy()).await.unwrap();
    assert_eq!(staged.model, AnyModel::Deployed(in_staging));
    store.close().await;
    db.drop_db().await;
}

common::conformance!(
    same_version_in_two_environments,
    approval_window_round_trips,
    promoted_model_stores_and_restores,
);
