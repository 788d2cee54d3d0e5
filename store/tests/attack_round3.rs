//! Round-3 attack on stored registries (independent review): a move made on members with
//! `Store::append` into books no live registry reaches; refused on load since the restore checks
//! the chain of deployments and the freshness of every approval that replaced one.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used, missing_docs)]

use modelgate::registry::PolicyBook;
use modelgate::{
    AnyModel, Environment, HmacSealer, Metrics, Model, NoRegression, Receipt, Registry, Timestamp,
    TrainingOutcome,
};
use modelgate_store::{Keys, ModelKey, Store};

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

/// `1` (0.99) deployed at 10 through the registry; `2` (0.80) approved at 5, before 1 began:
/// the registry refuses to deploy it (`StaleApproval`). Outside it, with `append`: 1
/// superseded by 2 at 20, 2 deployed at 21. `load_registry` must refuse those books: a stale
/// approval deployed over a better champion.
#[tokio::test]
async fn load_registry_refuses_stale_approval_deployed_with_append() {
    let key = HmacSealer::new("db", *b"0123456789abcdef0123456789abcdef");
    let store = Store::open("sqlite::memory:", Keys::new(key.clone(), key))
        .await
        .unwrap();
    let env = Environment::default();
    let policy = NoRegression::higher_is_better("accuracy");
    let book = PolicyBook::new().with("default", NoRegression::higher_is_better("accuracy"));
    let submitted = |version: &str, accuracy: f64, at: u64| {
        let outcome = TrainingOutcome::new(
            format!("sha256:{version}"),
            Metrics::new([("accuracy", accuracy)]).unwrap(),
        )
        .unwrap();
        Model::new("churn", version)
            .unwrap()
            .submit(outcome, "alice", t(at))
            .unwrap()
    };

    let mut registry = Registry::new("churn").unwrap();
    registry.put(submitted("2", 0.80, 1)).unwrap();
    assert!(
        registry
            .decide(&env, "2", &policy, t(5))
            .unwrap()
            .is_approved()
    );
    registry.put(submitted("1", 0.99, 6)).unwrap();
    assert!(
        registry
            .decide(&env, "1", &policy, t(6))
            .unwrap()
            .is_approved()
    );
    let AnyModel::Approved(one) = registry.take(&env, "1").unwrap() else {
        panic!()
    };
    registry
        .deploy(one, Receipt::new("1"), "ci", t(10))
        .unwrap();
    store.save_registry(&registry).await.unwrap();

    // Outside the registry, each member moved with `append`.
    let k1 = ModelKey::new("churn", "1");
    let loaded = store.restore(&k1, &policy).await.unwrap();
    let AnyModel::Deployed(one) = loaded.model else {
        panic!()
    };
    let one = one.supersede("2", "ops", t(20)).unwrap();
    store.append(loaded.head, &one).await.unwrap();
    let k2 = ModelKey::new("churn", "2");
    let loaded = store.restore(&k2, &policy).await.unwrap();
    let AnyModel::Approved(two) = loaded.model else {
        panic!()
    };
    let two = two.mark_deployed(Receipt::new("2"), "ops", t(21)).unwrap();
    store.append(loaded.head, &two).await.unwrap();

    let reloaded = store.load_registry("churn", &book).await;
    assert!(
        reloaded.is_err(),
        "0.80 approved before champion 0.99 began, deployed over it, loaded: current {:?}",
        reloaded
            .ok()
            .and_then(|r| r.current(&env).map(|m| m.version().to_owned()))
    );
}
