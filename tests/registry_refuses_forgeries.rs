//! Attacks on a registry and its stored form. Whoever can write to the storage but has not the
//! host's key swaps members for older sealed copies of themselves, drops them, reorders them, or
//! forges them consistently (every hash and the index recomputed): each is refused by the index
//! seal. With the key (a host bug), a registry no sequence of registry moves can make is still
//! refused by the checks across members; and `put` refuses the same forms live. Live moves the
//! registry refuses (a fake champion, a deployment made outside it, a rollback to a version
//! retired for cause) are in `moves_the_registry_refuses`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use serde_json::{Value, json};

use common::{key, rechain};
use modelgate::registry::{PolicyBook, RegistryError, RestoreRegistryError, StoredRegistry};
use modelgate::trail::SealError;
use modelgate::{
    AnyModel, DecisionContext, Environment, HmacSealer, MetricGate, Metrics, Model, Receipt,
    Registry, Sealer, StoredModel, Timestamp, TrainingOutcome,
};

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

fn staging() -> Environment {
    Environment::new("staging").unwrap()
}

fn policy() -> MetricGate {
    MetricGate::at_least("accuracy", 0.9)
}

fn book() -> PolicyBook {
    PolicyBook::new()
        .with("staging", policy())
        .with("production", policy())
}

fn submitted(version: &str, accuracy: f64, at: u64) -> Model<modelgate::Submitted> {
    let outcome = TrainingOutcome::new(
        format!("sha256:{version}"),
        Metrics::new([("accuracy", accuracy)]).unwrap(),
    )
    .unwrap();
    Model::new("churn", version)
        .unwrap()
        .in_environment(staging())
        .submit(outcome, "alice", t(at))
        .unwrap()
}

/// Submits, decides (through the registry) and deploys `version` in staging at `at` … `at + 2`.
fn ship(registry: &mut Registry, version: &str, accuracy: f64, at: u64) {
    registry.put(submitted(version, accuracy, at)).unwrap();
    registry
        .decide(&staging(), version, &policy(), t(at + 1))
        .unwrap();
    let AnyModel::Approved(m) = registry.take(&staging(), version).unwrap() else {
        panic!("approved")
    };
    registry
        .deploy(m, Receipt::new(format!("s/{version}")), "ci", t(at + 2))
        .unwrap();
}

/// The stored registry after v1, and after v2 superseded v1.
fn two_moments() -> (StoredRegistry, StoredRegistry) {
    let mut registry = Registry::new("churn").unwrap();
    ship(&mut registry, "1", 0.93, 0);
    let before = registry.sealed_by(&key()).unwrap();
    ship(&mut registry, "2", 0.95, 10);
    (before, registry.sealed_by(&key()).unwrap())
}

fn restore(stored: StoredRegistry) -> Result<Registry, RestoreRegistryError> {
    stored.restore(&key(), &book()).map_err(|e| e.into_error())
}

/// The stored registry with its members replaced by `members` (as JSON), the index unsealed.
fn with_members(stored: &StoredRegistry, members: Vec<StoredModel>) -> StoredRegistry {
    let mut json = serde_json::to_value(stored).unwrap();
    json["members"] = serde_json::to_value(members).unwrap();
    serde_json::from_value(json).unwrap()
}

/// Sealed again over its index with `sealer`.
fn resealed(stored: StoredRegistry, sealer: &dyn Sealer) -> StoredRegistry {
    let seal = sealer.seal(&stored.index()).unwrap();
    stored.with_seal(seal)
}

#[test]
fn a_member_swapped_for_an_older_sealed_copy_of_itself_is_refused() {
    let (before, after) = two_moments();
    assert!(restore(after.clone()).is_ok());
    // v1 as it was when it was the current deployment: sealed by the host, and its chain holds.
    let old_v1 = before.members()[0].clone();
    assert!(old_v1.verify(&key()).is_ok());
    let swapped = with_members(&after, vec![old_v1, after.members()[1].clone()]);
    assert!(matches!(
        restore(swapped),
        Err(RestoreRegistryError::Seal(SealError::Mismatch { .. }))
    ));
}

#[test]
fn a_dropped_or_added_member_is_refused() {
    let (before, after) = two_moments();
    let dropped = with_members(&after, vec![after.members()[0].clone()]);
    assert!(matches!(
        restore(dropped),
        Err(RestoreRegistryError::Seal(SealError::Mismatch { .. }))
    ));
    // v2 was not a member before: adding it to the older registry is refused too.
    let added = with_members(
        &before,
        vec![before.members()[0].clone(), after.members()[1].clone()],
    );
    assert!(matches!(restore(added), Err(RestoreRegistryError::Seal(_))));
}

#[test]
fn reordered_members_are_refused() {
    let (_, after) = two_moments();
    let reordered = with_members(
        &after,
        vec![after.members()[1].clone(), after.members()[0].clone()],
    );
    assert!(matches!(
        restore(reordered.clone()),
        Err(RestoreRegistryError::Seal(_))
    ));
    // Sealed by the host in that order, it is still refused: one order only.
    let error = restore(resealed(reordered, &key())).unwrap_err();
    assert!(
        matches!(error, RestoreRegistryError::Inconsistent(_)),
        "{error}"
    );
}

#[test]
fn an_unsealed_registry_is_refused() {
    let (_, after) = two_moments();
    let mut json = serde_json::to_value(&after).unwrap();
    json.as_object_mut().unwrap().remove("seal");
    let unsealed: StoredRegistry = serde_json::from_value(json).unwrap();
    assert_eq!(
        restore(unsealed).unwrap_err(),
        RestoreRegistryError::Unsealed
    );
}

#[test]
fn another_format_version_is_refused_by_name() {
    let (_, after) = two_moments();
    let mut json = serde_json::to_value(&after).unwrap();
    json["format_version"] = 3.into();
    let other: StoredRegistry = serde_json::from_value(json).unwrap();
    assert_eq!(other.format_version(), 3);
    let error = restore(other).unwrap_err();
    assert_eq!(error, RestoreRegistryError::Format { found: 3 });
    insta::assert_snapshot!(error.to_string());
}

#[test]
fn a_consistent_forgery_without_the_key_is_refused() {
    let (_, after) = two_moments();
    // v1 was rejected in truth? Make its accuracy 0.99 everywhere, rechain every hash, seal the
    // member and the index with a key of the host's id but another secret.
    let forger = HmacSealer::new("test-key", *b"fedcba9876543210fedcba9876543210");
    let mut v1 = serde_json::to_value(&after.members()[0]).unwrap();
    v1["events"][0]["event"]["submitted"]["outcome"]["metrics"]["accuracy"] = json!(0.99);
    let v1 = rechain(v1).sealed_by(&forger).unwrap();
    let forged = resealed(
        with_members(&after, vec![v1, after.members()[1].clone()]),
        &forger,
    );
    assert!(matches!(
        restore(forged),
        Err(RestoreRegistryError::Seal(SealError::Mismatch { .. }))
    ));
}

#[test]
fn two_current_deployments_are_refused_even_when_sealed_by_the_host() {
    let (before, after) = two_moments();
    let both = resealed(
        with_members(
            &after,
            vec![before.members()[0].clone(), after.members()[1].clone()],
        ),
        &key(),
    );
    let error = restore(both).unwrap_err();
    insta::assert_snapshot!("two_current", error);
}

#[test]
fn a_decision_without_the_current_champion_is_refused() {
    let mut registry = Registry::new("churn").unwrap();
    ship(&mut registry, "1", 0.93, 0);
    // v2 decided without the champion (v1 is deployed), outside the registry.
    let decided = submitted("2", 0.95, 10)
        .decide(&policy(), &DecisionContext::at(t(11)))
        .unwrap()
        .approved()
        .unwrap();
    let refused = registry.put(decided).unwrap_err();
    insta::assert_snapshot!("other_champion", refused.error());
    // Stored with it by the host (a bug): refused on restore.
    let stored = registry.sealed_by(&key()).unwrap();
    let v2 = StoredModel::from(refused.input())
        .sealed_by(&key())
        .unwrap();
    let forged = resealed(
        with_members(&stored, vec![stored.members()[0].clone(), v2]),
        &key(),
    );
    assert!(matches!(
        restore(forged),
        Err(RestoreRegistryError::Books(RegistryError::OtherChampion {
            seq: 2,
            ..
        }))
    ));
}

#[test]
fn promotion_evidence_must_be_a_deployment_in_the_registry_current_when_observed() {
    let production = Environment::new("production").unwrap();
    let target = || {
        Model::new("churn", "1")
            .unwrap()
            .in_environment(production.clone())
    };
    let online = || Metrics::new([("error_rate", 0.01)]).unwrap();

    // Evidence from another registry's deployment of the same version.
    let mut elsewhere = Registry::new("churn").unwrap();
    ship(&mut elsewhere, "1", 0.97, 5);
    let mut registry = Registry::new("churn").unwrap();
    ship(&mut registry, "1", 0.93, 0);
    let foreign = elsewhere
        .current(&staging())
        .unwrap()
        .promote(target(), online(), "alice", t(100))
        .unwrap();
    let refused = registry.put(foreign).unwrap_err();
    insta::assert_snapshot!("unknown_deployment", refused.error());

    // Evidence observed after the deployment ended: a stale copy of v1 deployed, promoted once
    // v2 has superseded it.
    let stale = match StoredModel::from(registry.current(&staging()).unwrap())
        .restore_unsealed(&policy())
        .unwrap()
    {
        AnyModel::Deployed(m) => m,
        _ => panic!("deployed"),
    };
    ship(&mut registry, "2", 0.95, 10);
    let late = stale.promote(target(), online(), "alice", t(100)).unwrap();
    let refused = registry.put(late).unwrap_err();
    assert!(matches!(
        refused.error(),
        RegistryError::UnknownDeployment { .. }
    ));
    // The same, stored by the host: refused on restore.
    let stored = registry.sealed_by(&key()).unwrap();
    let late = StoredModel::from(refused.input())
        .sealed_by(&key())
        .unwrap();
    let mut members = vec![late];
    members.extend(stored.members().iter().cloned());
    let forged = resealed(with_members(&stored, members), &key());
    assert!(matches!(
        restore(forged),
        Err(RestoreRegistryError::Books(
            RegistryError::UnknownDeployment { .. }
        ))
    ));
}

#[test]
fn one_environment_has_one_set_of_settings() {
    let mut registry = Registry::new("churn").unwrap();
    ship(&mut registry, "1", 0.93, 0);
    // "staging" again, but with an approval window the registry's staging has not.
    let laxer = Model::new("churn", "2")
        .unwrap()
        .in_environment(staging().with_approval_validity(std::time::Duration::from_secs(60)));
    let refused = registry.put(laxer).unwrap_err();
    insta::assert_snapshot!("other_settings", refused.error());
}

#[test]
fn moves_made_outside_the_registry_are_refused() {
    let mut registry = Registry::new("churn").unwrap();
    let deployed = submitted("1", 0.95, 0)
        .decide(&policy(), &DecisionContext::at(t(1)))
        .unwrap()
        .approved()
        .unwrap()
        .mark_deployed(Receipt::new("s/1"), "ci", t(2))
        .unwrap();
    let refused = registry.put(deployed).unwrap_err();
    insta::assert_snapshot!("moved_outside", refused.error());
    let other = Model::new("fraud", "1").unwrap();
    insta::assert_snapshot!("other_model", registry.put(other).unwrap_err().error());
    // A member replaced by a fresh model of the same version does not continue its trail.
    registry.put(submitted("1", 0.95, 0)).unwrap();
    let refused = registry.put(submitted("1", 0.99, 5)).unwrap_err();
    insta::assert_snapshot!("not_a_continuation", refused.error());
}

#[test]
fn every_registry_refusal_names_what_was_expected() {
    let mut registry = Registry::new("churn").unwrap();
    let mut out = Vec::new();
    out.push(registry.take(&staging(), "9").unwrap_err().to_string());
    out.push(
        registry
            .roll_back(&staging(), &policy(), "r", "ops", t(1))
            .unwrap_err()
            .to_string(),
    );
    ship(&mut registry, "1", 0.93, 0);
    out.push(registry.take(&staging(), "1").unwrap_err().to_string());
    out.push(
        registry
            .roll_back(&staging(), &policy(), "r", "ops", t(10))
            .unwrap_err()
            .to_string(),
    );
    out.push(
        registry
            .decide(&staging(), "1", &policy(), t(10))
            .unwrap_err()
            .to_string(),
    );
    out.push(
        registry
            .retire(&staging(), "1", "r", false, "", t(10))
            .unwrap_err()
            .to_string(),
    );
    out.push(
        registry
            .retire(&staging(), "1", "r", false, "ops", t(1))
            .unwrap_err()
            .to_string(),
    );
    // A change of deployment at the instant of the latest move.
    out.push(
        registry
            .retire(&staging(), "1", "r", false, "ops", t(2))
            .unwrap_err()
            .to_string(),
    );
    let stored: Value = serde_json::to_value(registry.sealed_by(&key()).unwrap()).unwrap();
    let mut unknown = stored.clone();
    unknown["owner"] = json!("mallory");
    out.push(
        serde_json::from_value::<StoredRegistry>(unknown)
            .unwrap_err()
            .to_string(),
    );
    let no_policy = serde_json::from_value::<StoredRegistry>(stored)
        .unwrap()
        .restore(&key(), &PolicyBook::new())
        .unwrap_err();
    out.push(no_policy.to_string());
    insta::assert_snapshot!("refusals", out.join("\n"));
}

#[test]
fn a_registry_rebuilds_from_members_stored_one_by_one() {
    let (_, after) = two_moments();
    // In any order, each member sealed on its own (as a store keeps them).
    let mut members: Vec<StoredModel> = after.members().to_vec();
    members.reverse();
    let registry = Registry::restore_members("churn", members.clone(), &key(), &book()).unwrap();
    assert!(registry == restore(after.clone()).unwrap());
    // A version stored twice, or a member of another model, is refused; the members come back.
    let mut twice = members.clone();
    twice.push(members[0].clone());
    let refused = Registry::restore_members("churn", twice, &key(), &book()).unwrap_err();
    assert!(matches!(
        refused.error(),
        RestoreRegistryError::Inconsistent(_)
    ));
    assert_eq!(refused.into_input().len(), 3);
    let error = Registry::restore_members("fraud", members, &key(), &book()).unwrap_err();
    assert!(matches!(
        error.error(),
        RestoreRegistryError::Books(RegistryError::OtherModel { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Registry moves and stored-registry forgeries, refused from the start (kept as evidence).
// ---------------------------------------------------------------------------------------------
mod moves_the_registry_refuses {
    use super::*;
    use modelgate::*;

    use super::common::{decide_and_deploy, submitted_in};

    fn gate() -> MetricGate {
        MetricGate::at_least("accuracy", 0.5)
    }

    fn two_versions() -> Registry {
        let env = Environment::default();
        let mut r = Registry::new("churn").unwrap();
        decide_and_deploy(&mut r, &env, "1", 0.9, &gate(), 0, 1, 2);
        decide_and_deploy(&mut r, &env, "2", 0.95, &gate(), 3, 4, 5);
        r
    }

    fn book() -> PolicyBook {
        PolicyBook::new().with("default", gate())
    }

    #[test]
    fn a_model_deployed_outside_then_put_is_refused() {
        let env = Environment::default();
        let mut r = two_versions();
        r.put(submitted_in(&env, "3", 0.9, 6)).unwrap();
        let AnyModel::Submitted(m) = r.take(&env, "3").unwrap() else {
            unreachable!()
        };
        let ctx = r.decision_context(&env, t(7));
        let d = m
            .decide(&gate(), &ctx)
            .unwrap()
            .approved()
            .unwrap()
            .mark_deployed(Receipt::new("x"), "ci", t(8))
            .unwrap();
        assert!(matches!(
            r.put(d).unwrap_err().error(),
            RegistryError::MovedOutside { .. }
        ));
    }

    #[test]
    fn a_fake_champion_or_none_is_refused() {
        let env = Environment::default();
        let mut r = two_versions();
        for champion in [Some(Metrics::new([("accuracy", 0.1)]).unwrap()), None] {
            let m = submitted_in(&env, "3", 0.9, 6);
            let ctx = DecisionContext::at(t(7));
            let ctx = match champion {
                Some(c) => ctx.with_champion(c),
                None => ctx,
            };
            let d = m.decide(&gate(), &ctx).unwrap().approved().unwrap();
            assert!(matches!(
                r.put(d).unwrap_err().error(),
                RegistryError::OtherChampion { .. }
            ));
        }
    }

    #[test]
    fn a_promotion_from_a_deployment_outside_the_registry_is_refused() {
        let staging = Environment::new("staging").unwrap();
        let prod = Environment::new("production").unwrap();
        let mut r = Registry::new("churn").unwrap();
        r.put(submitted_in(&staging, "1", 0.9, 0)).unwrap();
        let AnyModel::Submitted(m) = r.take(&staging, "1").unwrap() else {
            unreachable!()
        };
        let outside = m
            .decide(&gate(), &r.decision_context(&staging, t(1)))
            .unwrap()
            .approved()
            .unwrap()
            .mark_deployed(Receipt::new("x"), "ci", t(2))
            .unwrap();
        let p = outside
            .promote(
                Model::new("churn", "1").unwrap().in_environment(prod),
                Metrics::default(),
                "alice",
                t(3),
            )
            .unwrap();
        assert!(matches!(
            r.put(p).unwrap_err().error(),
            RegistryError::UnknownDeployment { .. }
        ));
    }

    #[test]
    fn a_rollback_to_a_version_retired_for_cause_is_refused() {
        let env = Environment::default();
        let mut r = two_versions();
        r.retire(&env, "1", "bias", true, "ops", t(6)).unwrap();
        assert!(matches!(
            r.roll_back(&env, &gate(), "x", "ops", t(7)),
            Err(RegistryError::RetiredTarget { .. })
        ));
        assert_eq!(r.current(&env).unwrap().version(), "2");
    }

    #[test]
    fn a_stored_member_swapped_dropped_reordered_or_mixed_is_refused() {
        let k = key();
        let old = two_versions().sealed_by(&k).unwrap();
        let mut later = two_versions();
        later
            .retire(&Environment::default(), "1", "bias", true, "ops", t(6))
            .unwrap();
        let new = later.sealed_by(&k).unwrap();
        let mut v: serde_json::Value = serde_json::to_value(&new).unwrap();
        // Swap the retired member for its older sealed copy.
        v["members"][0] = serde_json::to_value(&old.members()[0]).unwrap();
        let swapped: registry::StoredRegistry = serde_json::from_value(v.clone()).unwrap();
        assert!(swapped.restore(&k, &book()).is_err());
        // Drop a member.
        let mut dropped = serde_json::to_value(&new).unwrap();
        dropped["members"].as_array_mut().unwrap().remove(0);
        assert!(
            serde_json::from_value::<registry::StoredRegistry>(dropped)
                .unwrap()
                .restore(&k, &book())
                .is_err()
        );
        // Reorder.
        let mut re = serde_json::to_value(&new).unwrap();
        re["members"].as_array_mut().unwrap().reverse();
        assert!(
            serde_json::from_value::<registry::StoredRegistry>(re)
                .unwrap()
                .restore(&k, &book())
                .is_err()
        );
        // Old index seal with new members.
        let mut mixed = serde_json::to_value(&new).unwrap();
        mixed["seal"] = serde_json::to_value(old.seal().unwrap()).unwrap();
        assert!(
            serde_json::from_value::<registry::StoredRegistry>(mixed)
                .unwrap()
                .restore(&k, &book())
                .is_err()
        );
        // The whole older registry restores (documented: keep the latest index head).
        assert!(old.restore(&k, &book()).is_ok());
    }

    #[test]
    fn a_member_moved_to_another_environment_or_its_window_widened_is_refused() {
        let k = key();
        let stored = two_versions().sealed_by(&k).unwrap();
        for env in [
            serde_json::json!({"name": "production"}),
            serde_json::json!({"name": "default", "approval_validity_ms": 1}),
        ] {
            let mut v = serde_json::to_value(&stored).unwrap();
            v["members"][0]["environment"] = env;
            let s: registry::StoredRegistry = serde_json::from_value(v).unwrap();
            assert!(
                s.restore(
                    &k,
                    &PolicyBook::new()
                        .with("default", gate())
                        .with("production", gate())
                )
                .is_err()
            );
        }
    }

    // -----------------------------------------------------------------------------------------
    // `Registry::retire` of a member that was never deployed answered `InService` ("… is
    // submitted; it stays in the registry"), the opposite of what is wrong; its docs promise
    // `RegistryError::Refused`.
    // -----------------------------------------------------------------------------------------
    #[test]
    fn retiring_a_member_never_deployed_is_not_refused_as_in_service() {
        let env = Environment::default();
        let mut registry = Registry::new("churn").unwrap();
        registry.put(submitted_in(&env, "1", 0.9, 0)).unwrap();
        let error = registry
            .retire(&env, "1", "obsolete", false, "ops", t(1))
            .unwrap_err();
        assert!(
            !matches!(error, RegistryError::InService { .. }),
            "misleading refusal: {error}"
        );
    }
}
