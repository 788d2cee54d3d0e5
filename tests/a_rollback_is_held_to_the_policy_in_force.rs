//! A rollback checks the earlier version's approval again by the environment's policy *now*
//! (issue 18, from an attacker's review): with a book of versions, by the version in force at
//! the rollback, not the one in force when the approval was decided; live and on restore.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use modelgate::policy::Versions;
use modelgate::registry::{PolicyBook, StoredRegistry};
use modelgate::*;

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

fn old() -> impl Policy + Send + Sync + Clone + 'static {
    Quorum::new(1).eligible_ids(["bob"])
}

fn new() -> impl Policy + Send + Sync + Clone + 'static {
    Quorum::new(2).eligible_ids(["bob", "carol"])
}

fn book() -> Versions {
    Versions::new(old()).from(t(1_000), new())
}

/// v1 approved by bob alone under the old version (at 12 s), deployed; v2 approved by both under
/// the new version (at 1,110 s), deployed, superseding v1.
fn registry(policy: &dyn Policy) -> Registry {
    let env = Environment::default();
    let mut registry = Registry::new("churn").unwrap();
    let outcome = |d: &str| TrainingOutcome::new(d, Metrics::default()).unwrap();
    let m = Model::new("churn", "1")
        .unwrap()
        .submit(outcome("sha256:1"), "alice", t(10))
        .unwrap();
    registry.put(m).unwrap();
    registry
        .record(&env, "1", Review::approve("bob", "sha256:1", t(11)))
        .unwrap();
    assert!(
        registry
            .decide(&env, "1", policy, t(12))
            .unwrap()
            .is_approved()
    );
    let Ok(AnyModel::Approved(a)) = registry.take(&env, "1") else {
        panic!()
    };
    registry.deploy(a, Receipt::new("r1"), "ci", t(13)).unwrap();
    let m = Model::new("churn", "2")
        .unwrap()
        .submit(outcome("sha256:2"), "alice", t(1_100))
        .unwrap();
    registry.put(m).unwrap();
    registry
        .record(&env, "2", Review::approve("bob", "sha256:2", t(1_101)))
        .unwrap();
    registry
        .record(&env, "2", Review::approve("carol", "sha256:2", t(1_102)))
        .unwrap();
    assert!(
        registry
            .decide(&env, "2", policy, t(1_110))
            .unwrap()
            .is_approved()
    );
    let Ok(AnyModel::Approved(a)) = registry.take(&env, "2") else {
        panic!()
    };
    registry
        .deploy(a, Receipt::new("r2"), "ci", t(1_120))
        .unwrap();
    registry
}

/// Control: with the new policy alone as "the environment's policy now", the rollback to v1
/// (one approval) is refused.
#[test]
fn a_rollback_under_the_new_policy_alone_is_refused() {
    let book = book();
    let mut registry = registry(&book);
    let env = Environment::default();
    assert!(
        registry
            .roll_back(&env, &new(), "incident", "ops", t(1_200))
            .is_err()
    );
}

/// With the book (the new version in force since 1,000 s), rolling back at 1,200 s to v1,
/// approved by one reviewer under the old version, is refused.
#[test]
fn a_rollback_at_a_time_the_new_version_is_in_force_is_held_to_it() {
    let book = book();
    let mut registry = registry(&book);
    let env = Environment::default();
    let rolled = registry.roll_back(&env, &book, "incident", "ops", t(1_200));
    let key = HmacSealer::new("k", *b"0123456789abcdef0123456789abcdef");
    let stored: StoredRegistry = registry.sealed_by(&key).unwrap();
    let restored = stored.restore(&key, &PolicyBook::new().with("default", self::book()));
    assert!(
        rolled.is_err(),
        "rolled back at 1,200 s to an approval of one reviewer though two are required from 1,000 s \
         (restore: {:?})",
        restored
            .as_ref()
            .map(|r| r.current(&env).map(|m| m.version().to_owned()))
    );
}
