//! A registry's moves happen in time order, and what its live moves make, it restores: an
//! approval is compared with the champion current when it is deployed (equal instants, gaps
//! and backdated decisions included), a move dated before the environment's latest is refused,
//! rollbacks go to the previous deployment, and a restore refuses a chain of deployments no
//! sequence of moves can make (stale approvals, rollbacks to versions never deployed,
//! overlapping deployments). The registry trusts the hosts' clock, as documented.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

mod common;

use common::{decide_and_deploy, submitted_in};
use modelgate::registry::{PolicyBook, RegistryError, RestoreRegistryError};
use modelgate::*;

const KEY: [u8; 32] = *b"0123456789abcdef0123456789abcdef";

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

fn key() -> HmacSealer {
    HmacSealer::new("k", KEY)
}

fn policy() -> NoRegression {
    NoRegression::higher_is_better("accuracy")
}

fn book() -> PolicyBook {
    PolicyBook::new()
        .with("default", policy())
        .with("staging", policy())
        .with("production", policy())
}

fn submitted(version: &str, accuracy: f64, at: u64) -> Model<Submitted> {
    let outcome = TrainingOutcome::new(
        format!("sha256:{version}"),
        Metrics::new([("accuracy", accuracy)]).unwrap(),
    )
    .unwrap();
    Model::new("churn", version)
        .unwrap()
        .submit(outcome, "alice", t(at))
        .unwrap()
}

/// Submits, decides and deploys `version` through the registry.
fn ship(registry: &mut Registry, version: &str, accuracy: f64, decide: u64, deploy: u64) {
    let env = Environment::default();
    registry.put(submitted(version, accuracy, decide)).unwrap();
    assert!(
        registry
            .decide(&env, version, &policy(), t(decide))
            .unwrap()
            .is_approved()
    );
    let AnyModel::Approved(m) = registry.take(&env, version).unwrap() else {
        panic!("not approved")
    };
    registry
        .deploy(m, Receipt::new(version), "ci", t(deploy))
        .unwrap();
}

/// Finding 1, equal timestamps: `2` is decided at the instant `3` is deployed, but before it (call
/// order), with `1` as champion. Deployed later over `3` (much better), it never compared with
/// it; the freshness check only compares `decided_at < since` and lets it through.
#[test]
fn approval_decided_at_the_instant_of_the_current_deployment_but_before_it_is_stale() {
    let env = Environment::default();
    let mut registry = Registry::new("churn").unwrap();
    ship(&mut registry, "1", 0.91, 5, 10);
    registry.put(submitted("2", 0.92, 20)).unwrap();
    registry.put(submitted("3", 0.99, 20)).unwrap();
    // At t=100, in this order: decide 2 (champion 1), decide 3 (champion 1), deploy 3.
    assert!(
        registry
            .decide(&env, "2", &policy(), t(100))
            .unwrap()
            .is_approved()
    );
    assert!(
        registry
            .decide(&env, "3", &policy(), t(100))
            .unwrap()
            .is_approved()
    );
    let AnyModel::Approved(three) = registry.take(&env, "3").unwrap() else {
        panic!()
    };
    // Fixed: a change of deployment is alone at its instant, after every earlier move.
    let refused = registry
        .deploy(three, Receipt::new("3"), "ci", t(100))
        .unwrap_err();
    assert!(
        matches!(
            refused.error(),
            RegistryError::BeforeClock { change: true, .. }
        ),
        "{}",
        refused.error()
    );
    registry
        .deploy(refused.into_input(), Receipt::new("3"), "ci", t(101))
        .unwrap();
    assert_eq!(
        registry.champion(&env).and_then(|m| m.get("accuracy")),
        Some(0.99)
    );

    // 2 (0.92) never saw 3 (0.99) as its champion: deploying it over 3 must be refused.
    let AnyModel::Approved(two) = registry.take(&env, "2").unwrap() else {
        panic!()
    };
    let result = registry.deploy(two, Receipt::new("2"), "ci", t(200));
    assert!(
        matches!(
            result.as_ref().map_err(|r| r.error()),
            Err(RegistryError::StaleApproval { .. })
        ),
        "0.92 deployed over champion 0.99 it never compared with: {:?}",
        result.map(|()| registry.current(&env).map(|m| m.version().to_owned()))
    );
}

/// The same through `put`: a decision taken outside the registry at the exact instant of the
/// latest deploy may name the *previous* champion (either side of a boundary counts), and is
/// then deployed over the better current one.
#[test]
fn put_decision_at_deploy_instant_with_previous_champion_is_refused() {
    let env = Environment::default();
    let mut registry = Registry::new("churn").unwrap();
    ship(&mut registry, "1", 0.91, 5, 10);
    ship(&mut registry, "3", 0.99, 50, 100);
    registry.put(submitted("2", 0.92, 100)).unwrap();
    let AnyModel::Submitted(two) = registry.take(&env, "2").unwrap() else {
        panic!()
    };
    let old_champion = Metrics::new([("accuracy", 0.91)]).unwrap();
    let ctx = DecisionContext::at(t(100)).with_champion(old_champion);
    let approved = two.decide(&policy(), &ctx).unwrap().approved().unwrap();
    let put = registry.put(approved);
    if put.is_ok() {
        let AnyModel::Approved(two) = registry.take(&env, "2").unwrap() else {
            panic!()
        };
        let deployed = registry.deploy(two, Receipt::new("2"), "ci", t(200));
        assert!(
            deployed.is_err(),
            "0.92 decided against the previous champion 0.91 replaced champion 0.99"
        );
    }
}

/// Tries to build, through the registry only, an environment where `9` is deployed and replaced
/// at the same instant by `10` (versions sort "10" < "9"). Fixed: the second deploy at that
/// instant is refused (a change of deployment comes after every earlier move), so `10` is
/// deployed a second later; then `11` is decided (champion `10`) and deployed.
fn zero_length_tenure() -> Registry {
    let env = Environment::default();
    let mut registry = Registry::new("churn").unwrap();
    ship(&mut registry, "9", 0.90, 5, 10);
    registry.put(submitted("10", 0.95, 10)).unwrap();
    registry.decide(&env, "10", &policy(), t(10)).unwrap();
    let AnyModel::Approved(ten) = registry.take(&env, "10").unwrap() else {
        panic!()
    };
    let refused = registry
        .deploy(ten, Receipt::new("10"), "ci", t(10))
        .unwrap_err();
    assert!(matches!(
        refused.error(),
        RegistryError::BeforeClock { change: true, .. }
    ));
    registry
        .deploy(refused.into_input(), Receipt::new("10"), "ci", t(11))
        .unwrap();
    registry.put(submitted("11", 0.96, 11)).unwrap();
    assert!(
        registry
            .decide(&env, "11", &policy(), t(15))
            .unwrap()
            .is_approved()
    );
    let AnyModel::Approved(m) = registry.take(&env, "11").unwrap() else {
        panic!()
    };
    registry.deploy(m, Receipt::new("11"), "ci", t(20)).unwrap();
    registry
}

/// Finding 2, live accepts and restore refuses: with two ended tenures starting at one instant, the
/// tenures are ordered by version name, `was_champion` stops its backward scan at the
/// zero-length one and misses `10`, current at 15. The registry's own decision is then
/// `OtherChampion` on restore: a registry every move of which the live registry made cannot
/// be loaded.
#[test]
fn registry_built_by_live_moves_restores() {
    let registry = zero_length_tenure();
    let sealed = registry.sealed_by(&key()).unwrap();
    let restored = sealed.restore(&key(), &book());
    assert!(
        restored.is_ok(),
        "live registry refused on restore: {:?}",
        restored.err().map(|r| r.into_error())
    );
    let members: Vec<StoredModel> = registry
        .members()
        .map(StoredModel::from)
        .map(|m| m.sealed_by(&key()).unwrap())
        .collect();
    let restored = Registry::restore_members("churn", members, &key(), &book());
    assert!(
        restored.is_ok(),
        "restore_members: {:?}",
        restored.err().map(|r| r.into_error())
    );
}

/// Finding 2b: the same ordering picks the wrong rollback target: the deployment before `11` is `10`,
/// but `roll_back` goes to `9` (live for zero milliseconds).
#[test]
fn roll_back_goes_to_the_previous_deployment() {
    let env = Environment::default();
    let mut registry = zero_length_tenure();
    registry
        .roll_back(&env, &policy(), "regression", "oncall", t(30))
        .unwrap();
    assert_eq!(registry.current(&env).map(|m| m.version()), Some("10"));
}

/// Seals each model and restores them as a registry's members (as a store does).
fn restore_members(models: Vec<AnyModel>) -> Result<Registry, RestoreRegistryError> {
    let members = models
        .iter()
        .map(|m| StoredModel::from(m).sealed_by(&key()).unwrap())
        .collect();
    Registry::restore_members("churn", members, &key(), &book()).map_err(Refused::into_error)
}

fn approved_alone(version: &str, accuracy: f64, at: u64, champion: Option<f64>) -> Model<Approved> {
    let mut ctx = DecisionContext::at(t(at));
    if let Some(c) = champion {
        ctx = ctx.with_champion(Metrics::new([("accuracy", c)]).unwrap());
    }
    submitted(version, accuracy, 1)
        .decide(&policy(), &ctx)
        .unwrap()
        .approved()
        .unwrap()
}

/// Finding 3, restore accepted books no live registry reaches: `1` (0.99) deployed at 10 and
/// superseded at 20 by `2`; `2` (0.80) approved at 5 (before 1 began, no champion) and
/// deployed at 21. The freshness check looks for 2's `deployed` at exactly 20, finds none, and
/// skips: a stale approval over a better champion, restored.
#[test]
fn restore_refuses_stale_approval_deployed_after_a_gap() {
    let one = approved_alone("1", 0.99, 6, None)
        .mark_deployed(Receipt::new("1"), "ci", t(10))
        .unwrap()
        .supersede("2", "ci", t(20))
        .unwrap();
    let two = approved_alone("2", 0.80, 5, None)
        .mark_deployed(Receipt::new("2"), "ci", t(21))
        .unwrap();
    let restored = restore_members(vec![one.into(), two.into()]);
    assert!(
        restored.is_err(),
        "0.80 approved before champion 0.99 began replaced it, and restore accepted it"
    );
}

/// Finding 3b: the same through a `rolled_back` ending: `1`'s trail says it was rolled back to `2`,
/// which was never deployed before (its `deployed` is at the rollback's instant). Rollback
/// endings are not checked for freshness nor against a reinstatement of the target.
#[test]
fn restore_refuses_rollback_to_a_version_never_deployed() {
    let one = approved_alone("1", 0.99, 6, None)
        .mark_deployed(Receipt::new("1"), "ci", t(10))
        .unwrap()
        .roll_back("2", "latency", "oncall", t(20))
        .unwrap();
    let two = approved_alone("2", 0.80, 5, None)
        .mark_deployed(Receipt::new("2"), "ci", t(20))
        .unwrap();
    let restored = restore_members(vec![one.into(), two.into()]);
    assert!(
        restored.is_err(),
        "a never-deployed stale approval restored as the target of a rollback"
    );
}

/// Finding 3c, overlapping deployments: `2` deployed at 15 while `1` is current until 20 (superseded
/// by 2 at 20). Live, no two deployments of one environment overlap.
#[test]
fn restore_refuses_overlapping_deployments() {
    let one = approved_alone("1", 0.90, 6, None)
        .mark_deployed(Receipt::new("1"), "ci", t(10))
        .unwrap()
        .supersede("2", "ci", t(20))
        .unwrap();
    let two = approved_alone("2", 0.95, 12, Some(0.90))
        .mark_deployed(Receipt::new("2"), "ci", t(15))
        .unwrap();
    let restored = restore_members(vec![one.into(), two.into()]);
    assert!(
        restored.is_err(),
        "two deployments current from 15 to 20, restored"
    );
}

/// Finding 4, clocks across environments: production's host observes staging's deployment with its
/// own (wrong, far-future) clock. Staging's clock jumps there, and staging can no longer roll
/// back, retire or deploy at any real time: one host locks another environment for good (it
/// survives save and restore). Not documented.
#[test]
fn a_far_future_observation_holds_the_source_environment_until_then() {
    let staging = Environment::new("staging").unwrap();
    let production = Environment::new("production").unwrap();
    let mut registry = Registry::new("churn").unwrap();
    // staging: version 1 deployed at 10.
    let s1 = Model::new("churn", "1")
        .unwrap()
        .in_environment(staging.clone())
        .submit(
            TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap(),
            "alice",
            t(1),
        )
        .unwrap();
    registry.put(s1).unwrap();
    assert!(
        registry
            .decide(&staging, "1", &policy(), t(5))
            .unwrap()
            .is_approved()
    );
    let AnyModel::Approved(a) = registry.take(&staging, "1").unwrap() else {
        panic!()
    };
    registry.deploy(a, Receipt::new("s1"), "ci", t(10)).unwrap();

    // production's host, clock far ahead (year ~2286), promotes it.
    let far = Timestamp::from_unix_secs(10_000_000_000);
    let target = Model::new("churn", "1").unwrap().in_environment(production);
    let promoted = registry
        .current(&staging)
        .unwrap()
        .promote(
            target,
            Metrics::new([("error_rate", 0.01)]).unwrap(),
            "bob",
            far,
        )
        .unwrap();
    registry.put(promoted).unwrap();

    // Staging, at its real time, retires its faulty deployment: refused BeforeClock. Resolved
    // as documented (`Registry`, "Time"): the registry trusts the hosts' clock as every model
    // trail does (a time that runs backwards is refused everywhere); a promotion's observation
    // is a move in its source environment, so a far-future one holds that environment until
    // then, and the refusal names the clock.
    let retire = registry.retire(&staging, "1", "faulty", true, "oncall", t(60));
    assert!(
        matches!(retire, Err(RegistryError::BeforeClock { clock, .. }) if clock == far),
        "{:?}",
        retire.err().map(|e| e.to_string())
    );
}

// ---------------------------------------------------------------------------------------------
// Models of any environment, decided and deployed through the registry.
// ---------------------------------------------------------------------------------------------

fn no_regression() -> NoRegression {
    NoRegression::higher_is_better("accuracy")
}

// ---------------------------------------------------------------------------------------------
// F1. An approval decided before the current deployment began is deployed over it: the new
// version was never compared with the champion it replaces. Honest, increasing times; every
// move through the registry; the stored registry restores.
// ---------------------------------------------------------------------------------------------
#[test]
fn an_approval_that_never_saw_the_champion_is_not_deployed_over_it() {
    let env = Environment::default();
    let policy = no_regression();
    let mut registry = Registry::new("churn").unwrap();

    // v2 (accuracy 0.80) is submitted_in and approved while nothing is deployed: no champion.
    registry.put(submitted_in(&env, "2", 0.80, 10)).unwrap();
    assert!(
        registry
            .decide(&env, "2", &policy, t(11))
            .unwrap()
            .is_approved()
    );

    // v1 (accuracy 0.95) is approved and deployed afterwards: it is now the champion.
    decide_and_deploy(&mut registry, &env, "1", 0.95, &policy, 20, 21, 22);
    assert_eq!(
        registry.champion(&env).and_then(|m| m.get("accuracy")),
        Some(0.95)
    );

    // The same metrics decided now, against the current champion, are rejected:
    let fresh = submitted_in(&env, "2b", 0.80, 30)
        .decide(&policy, &registry.decision_context(&env, t(30)))
        .unwrap();
    assert!(
        !fresh.verdict().is_approved(),
        "a decision now rejects v2's metrics"
    );

    // v2's stale approval (decided with no champion) replaces the better v1.
    let AnyModel::Approved(v2) = registry.take(&env, "2").unwrap() else {
        unreachable!()
    };
    let deployed = registry.deploy(v2, Receipt::new("r/2"), "ci", t(31));
    let restores = registry
        .sealed_by(&key())
        .unwrap()
        .restore(&key(), &PolicyBook::new().with("default", no_regression()))
        .is_ok();
    assert!(restores, "(the stored registry restores: nothing notices)");

    assert!(
        deployed.is_err(),
        "the registry deployed accuracy 0.80 over the champion's 0.95 on an approval that never \
         saw that champion"
    );
}

// ---------------------------------------------------------------------------------------------
// F2. The champion check trusts the decision's claimed time. A member submitted_in before the
// current deployment is taken out at real time 100, decided "at" 15 with the champion of then
// (0.80) instead of the current one (0.95), put back and deployed: accepted live, and the
// stored registry restores.
// ---------------------------------------------------------------------------------------------
#[test]
fn a_backdated_decision_with_a_stale_champion_is_not_both_deployed_and_restored() {
    let env = Environment::default();
    let policy = no_regression();
    let mut registry = Registry::new("churn").unwrap();
    registry.put(submitted_in(&env, "3", 0.85, 5)).unwrap();
    decide_and_deploy(&mut registry, &env, "1", 0.80, &policy, 6, 7, 10);
    decide_and_deploy(&mut registry, &env, "2", 0.95, &policy, 11, 12, 20);
    let stale = registry.history(&env)[0].clone(); // v1: 10 .. 20
    assert_eq!(stale.version, "1");

    // "Now" is 100. v3 is decided with a time of 15, when v1 (0.80) was the champion.
    let AnyModel::Submitted(v3) = registry.take(&env, "3").unwrap() else {
        unreachable!()
    };
    let old_champion = Metrics::new([("accuracy", 0.80)]).unwrap();
    let approved = v3
        .decide(
            &policy,
            &DecisionContext::at(t(15)).with_champion(old_champion),
        )
        .unwrap()
        .approved()
        .unwrap();
    let put = registry.put(approved);
    let deployed = match put {
        Ok(()) => {
            let AnyModel::Approved(v3) = registry.take(&env, "3").unwrap() else {
                unreachable!()
            };
            registry
                .deploy(v3, Receipt::new("r/3"), "ci", t(100))
                .is_ok()
        }
        Err(_) => false,
    };
    let restored = registry
        .sealed_by(&key())
        .unwrap()
        .restore(&key(), &PolicyBook::new().with("default", no_regression()))
        .is_ok();
    assert!(
        !(deployed && restored),
        "accuracy 0.85 replaced the champion's 0.95 on a decision that saw a stale champion \
         (deployed live: {deployed}; stored registry restores: {restored})"
    );
}

// ---------------------------------------------------------------------------------------------
// F3. Moves the live registry accepts leave it in a state its own restore refuses: the stored
// registry can never be restored (every member, every environment locked out).
// ---------------------------------------------------------------------------------------------

/// (a) `Registry::decide` at a time before the current deployment began: it hands the current
/// champion to a decision dated before that champion existed.
#[test]
fn a_decision_dated_before_the_latest_move_is_refused_and_the_registry_restores() {
    let env = Environment::default();
    let policy = MetricGate::at_least("accuracy", 0.5);
    let mut registry = Registry::new("churn").unwrap();
    registry.put(submitted_in(&env, "2", 0.90, 1)).unwrap();
    decide_and_deploy(&mut registry, &env, "1", 0.95, &policy, 2, 3, 10);
    // A clock 5 s behind on the deciding host: 5 is after v2's last event, before v1's deploy.
    // Fixed: the registry's clock refuses a move dated before the environment's latest.
    let refused = registry.decide(&env, "2", &policy, t(5)).unwrap_err();
    assert!(
        matches!(refused, RegistryError::BeforeClock { .. }),
        "{refused}"
    );

    let stored = registry.sealed_by(&key()).unwrap();
    let restored = stored.restore(&key(), &PolicyBook::new().with("default", policy));
    assert!(
        restored.is_ok(),
        "a registry built only with registry moves does not restore: {}",
        restored
            .err()
            .map(|r| r.error().to_string())
            .unwrap_or_default()
    );
}

/// (b) A deployment dated before a decision that was made (through the registry) with no
/// champion: the decision becomes "with the wrong champion" after the fact.
#[test]
fn a_submission_dated_before_the_latest_move_is_refused_and_the_registry_restores() {
    let env = Environment::default();
    let policy = MetricGate::at_least("accuracy", 0.5);
    let mut registry = Registry::new("churn").unwrap();
    registry.put(submitted_in(&env, "2", 0.90, 10)).unwrap();
    registry.decide(&env, "2", &policy, t(50)).unwrap(); // nothing deployed: no champion
    // v1 submitted_in at 1 (before the decision at 50): refused by the registry's clock (fixed).
    let refused = registry
        .put(submitted_in(&env, "1", 0.95, 1))
        .unwrap_err()
        .into_error();
    assert!(
        matches!(refused, RegistryError::BeforeClock { .. }),
        "{refused}"
    );

    let restored = registry
        .sealed_by(&key())
        .unwrap()
        .restore(&key(), &PolicyBook::new().with("default", policy));
    assert!(
        restored.is_ok(),
        "a registry built only with registry moves does not restore: {}",
        restored
            .err()
            .map(|r| r.error().to_string())
            .unwrap_or_default()
    );
}

/// (c) A soak faked live: staging v1 is promoted with evidence "observed at 48 h"; the registry
/// accepts it, then accepts v2 superseding v1 in staging at 1 h. Production approves v1 on a
/// 48 h soak the staging trail contradicts and deploys it; only a restore notices, and then
/// nothing restores.
#[test]
fn a_soak_faked_live_is_refused_or_the_registry_restores() {
    let staging = Environment::new("staging").unwrap();
    let production = Environment::new("production").unwrap();
    let gate = MetricGate::at_least("accuracy", 0.5);
    let soak = policy::Soak::at_least(Duration::from_secs(48 * 3600));
    let mut registry = Registry::new("churn").unwrap();
    decide_and_deploy(&mut registry, &staging, "1", 0.95, &gate, 0, 1, 2);

    // Promote at 48 h (+2 s) while v1 is staging's current deployment.
    let promoted = registry
        .current(&staging)
        .unwrap()
        .promote(
            Model::new("churn", "1")
                .unwrap()
                .in_environment(production.clone()),
            Metrics::new([("error_rate", 0.01)]).unwrap(),
            "alice",
            t(48 * 3600 + 2),
        )
        .unwrap();
    registry.put(promoted).unwrap();

    // Staging moves on at 1 h: v1 would be superseded long before the "observation". Fixed:
    // the promotion advanced staging's clock to its observation, so the backdated move is
    // refused.
    let refused = registry
        .put(submitted_in(&staging, "2", 0.96, 3))
        .unwrap_err()
        .into_error();
    assert!(
        matches!(refused, RegistryError::BeforeClock { .. }),
        "{refused}"
    );

    // Production approves on the soak and deploys.
    let soaked = registry
        .decide(&production, "1", &soak, t(48 * 3600 + 3))
        .unwrap();
    assert!(soaked.is_approved());
    let AnyModel::Approved(v1) = registry.take(&production, "1").unwrap() else {
        unreachable!()
    };
    let deployed = registry.deploy(v1, Receipt::new("prod/1"), "ci", t(48 * 3600 + 4));

    let restored = registry.sealed_by(&key()).unwrap().restore(
        &key(),
        &PolicyBook::new()
            .with("staging", gate)
            .with("production", soak),
    );
    assert!(
        deployed.is_err() || restored.is_ok(),
        "deployed to production on a 48 h soak of a deployment that ran 1 h; the stored \
         registry is refused: {}",
        restored
            .err()
            .map(|r| r.error().to_string())
            .unwrap_or_default()
    );
}
