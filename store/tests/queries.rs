//! The store's queries (awaiting approval, by status, a reviewer's queue, the audit trail)
//! answer from verified trails. On SQLite (memory and file) and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Backend, DIGEST, TestDb, key, policy, submitted, t};
use modelgate::{AnyModel, Decided, DecisionContext, Environment, Receipt, Review, Status};
use modelgate_store::{Awaiting, Retry};

async fn queries(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let store = db.open().await;
    // Three submitted models; bob may approve the first two (by id, by role).
    for v in ["1", "2", "3"] {
        store.create(&submitted("churn", v)).await.unwrap();
    }
    store
        .set_approvers(&key("churn", "1"), ["bob"])
        .await
        .unwrap();
    store
        .set_approvers(&key("churn", "2"), ["team_lead", "carol"])
        .await
        .unwrap();
    let keys_of = |s: Vec<modelgate_store::Summary>| {
        s.into_iter()
            .map(|s| s.key.version().to_owned())
            .collect::<Vec<_>>()
    };
    let all = store.awaiting_approval(&Awaiting::all()).await.unwrap();
    assert_eq!(keys_of(all.clone()), ["1", "2", "3"]);
    assert!(all.iter().all(|s| s.status == Status::Submitted
        && s.environment == Environment::default()
        && s.key.environment() == "default"));
    let bob = Awaiting::all().for_reviewer("bob", ["team_lead"]);
    assert_eq!(
        keys_of(store.awaiting_approval(&bob).await.unwrap()),
        ["1", "2"]
    );
    let bob_no_role = Awaiting::all().for_reviewer("bob", Vec::<String>::new());
    assert_eq!(
        keys_of(store.awaiting_approval(&bob_no_role).await.unwrap()),
        ["1"]
    );
    let elsewhere = Awaiting::all().in_environment("production");
    assert!(
        store
            .awaiting_approval(&elsewhere)
            .await
            .unwrap()
            .is_empty()
    );
    let here = Awaiting::all().in_environment("default");
    assert_eq!(store.awaiting_approval(&here).await.unwrap().len(), 3);
    // Once bob voted on 1, it leaves his queue, not the list.
    store
        .record_vote(
            &key("churn", "1"),
            &policy(),
            &Review::approve("bob", DIGEST, t(20)),
            &Retry::default(),
        )
        .await
        .unwrap();
    assert_eq!(keys_of(store.awaiting_approval(&bob).await.unwrap()), ["2"]);
    assert_eq!(
        store
            .awaiting_approval(&Awaiting::all())
            .await
            .unwrap()
            .len(),
        3
    );
    // Deploy 1 at 50 s and 2 at 60 s: 2 is the current deployment.
    for (v, at) in [("1", 50), ("2", 60)] {
        let k = key("churn", v);
        let loaded = store.restore(&k, &policy()).await.unwrap();
        let AnyModel::Submitted(mut m) = loaded.model else {
            panic!()
        };
        m.record(Review::approve("carol", DIGEST, t(at - 5)))
            .unwrap();
        m.record(Review::approve("dave", DIGEST, t(at - 4)))
            .unwrap();
        let Decided::Approved(m) = m
            .decide(&policy(), &DecisionContext::at(t(at - 1)))
            .unwrap()
        else {
            panic!()
        };
        let m = m
            .mark_deployed(Receipt::new(format!("prod/churn@{v}")), "ci", t(at))
            .unwrap();
        store.append(loaded.head, &m).await.unwrap();
    }
    let current = store.current_deployments(None).await.unwrap();
    assert_eq!(keys_of(current.clone()), ["2"]);
    assert_eq!(current[0].deployed_at, Some(t(60)));
    assert_eq!(
        keys_of(store.current_deployments(Some("churn")).await.unwrap()),
        ["2"]
    );
    assert!(
        store
            .current_deployments(Some("other"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        keys_of(store.by_status(Status::Deployed).await.unwrap()),
        ["1", "2"]
    );
    assert_eq!(
        keys_of(store.by_status(Status::Submitted).await.unwrap()),
        ["3"]
    );
    let trail = store.audit_trail(&key("churn", "2")).await.unwrap();
    let actions: Vec<_> = trail.iter().map(|e| e.action()).collect();
    assert_eq!(
        actions,
        ["submitted", "voted", "voted", "approved", "deployed"]
    );
    store.close().await;
    db.drop_db().await;
}

common::conformance!(queries,);
