//! A vote gets the same answer whichever store instance records it: a store keeps only models
//! whose trail holds no decision (nothing in them depends on the policy a vote passes), so two
//! policies with one name (a host's `from_fn("house policy", …)` changed without renaming)
//! cannot make a store that kept the model accept a vote that a whole restore, or another
//! store on the same database, refuses. Found by an independent attacker; failed before.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Backend, DIGEST, TestDb, key, submitted, t};
use modelgate::{DecisionContext, Metrics, Review, TrainingOutcome, Verdict, VerdictKind, from_fn};
use modelgate_store::{Options, Retry, Store};

fn house_policy_v1() -> impl modelgate::Policy {
    // Rejects everything.
    from_fn("house policy", |_| {
        Verdict::new(VerdictKind::Reject, vec![])
    })
}

fn house_policy_v2() -> impl modelgate::Policy {
    // Never decides: waits for more evidence. It does not uphold v1's rejection.
    from_fn("house policy", |_| {
        Verdict::new(VerdictKind::Pending, vec![])
    })
}

async fn a_kept_model_is_not_used_under_another_policy_of_the_same_name(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let a = db.open().await;
    let k = key("named", "1");
    let m = submitted("named", "1");
    let created = a.create(&m).await.unwrap();
    // Attempt 1 rejected under v1, retrained and resubmitted.
    let rejected = m
        .decide(&house_policy_v1(), &DecisionContext::at(t(11)))
        .unwrap()
        .rejected()
        .unwrap();
    let outcome =
        TrainingOutcome::new(DIGEST, Metrics::new([("accuracy", 0.96)]).unwrap()).unwrap();
    let again = rejected
        .retrain("alice", t(12))
        .unwrap()
        .submit(outcome, "alice", t(13))
        .unwrap();
    a.append(created.head, &again).await.unwrap();
    // Store `a` verifies (whole, under v1) and keeps the model with bob's vote.
    a.record_vote(
        &k,
        &house_policy_v1(),
        &Review::approve("bob", DIGEST, t(20)),
        &Retry::default(),
    )
    .await
    .unwrap();

    // The host now runs v2 under the same name.
    let v2 = house_policy_v2();
    let whole = a.restore(&k, &v2).await;
    assert!(
        whole.is_err(),
        "a whole restore under v2 refuses the trail (v1's rejection is not upheld)"
    );

    // A second store on the same database, keeping nothing, refuses carol's vote under v2 ...
    let b_store = Store::open_with(
        &db.url,
        common::keys(),
        Options::default().verified_models(0),
    )
    .await
    .unwrap();
    let carol = Review::approve("carol", DIGEST, t(21));
    let refused_by_b = b_store
        .record_vote(&k, &v2, &carol, &Retry::default())
        .await;
    assert!(refused_by_b.is_err());
    // ... and so must `a`, which kept the model: a vote is accepted only where a whole restore
    // would accept it.
    let by_a = a.record_vote(&k, &v2, &carol, &Retry::default()).await;
    assert!(
        by_a.is_err(),
        "store `a` recorded carol's vote under v2 on a trail v2 does not restore (revision {:?})",
        by_a.map(|v| v.written.revision)
    );
    b_store.close().await;
    a.close().await;
    db.drop_db().await;
}

common::conformance!(a_kept_model_is_not_used_under_another_policy_of_the_same_name);
