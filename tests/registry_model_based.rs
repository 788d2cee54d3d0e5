//! A model-based test of the registry: proptest generates sequences of moves over four versions
//! of one model in two environments — submit, promote from staging, decide, deploy, revoke,
//! reopen a lapsed approval, roll back (under the policy or a stricter one), retire (for cause or
//! not), let time pass, store and restore — and applies them to a [`Registry`] and to a naive
//! model written from the rules. After every step: every member's status, each
//! environment's current version, champion and history of deployments are the naive model's; at
//! most one current deployment per environment; a refused move changes nothing. Stored and
//! restored, the registry is the same.
#![allow(
    clippy::map_entry,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::key;
use modelgate::policy::Soak;
use modelgate::registry::{Ended, PolicyBook, RegistryError, Tenure};
use modelgate::{
    AnyModel, Environment, Head, MetricGate, Metrics, Model, Policy, Receipt, Registry, Status,
    Timestamp, TrainingOutcome,
};
use proptest::prelude::*;

const VERSIONS: [&str; 4] = ["1", "2", "3", "4"];
const ACCURACY: [f64; 4] = [0.7, 0.85, 0.95, 0.97];
const STAGING: usize = 0;
const PRODUCTION: usize = 1;
/// Production approvals lapse after this many seconds.
const WINDOW: u64 = 15;
/// Production requires this soak in staging.
const SOAK: u64 = 10;

fn environment(env: usize) -> Environment {
    if env == STAGING {
        Environment::new("staging").unwrap()
    } else {
        Environment::new("production")
            .unwrap()
            .with_approval_validity(Duration::from_secs(WINDOW))
    }
}

fn staging_policy(strict: bool) -> MetricGate {
    MetricGate::at_least("accuracy", if strict { 0.9 } else { 0.8 })
}

fn production_policy() -> (MetricGate, Soak) {
    (
        MetricGate::at_least("accuracy", 0.9),
        Soak::at_least(Duration::from_secs(SOAK)),
    )
}

fn policy(env: usize, strict: bool) -> Box<dyn Policy> {
    if env == STAGING {
        Box::new(staging_policy(strict))
    } else {
        Box::new(production_policy())
    }
}

fn book() -> PolicyBook {
    PolicyBook::new()
        .with("staging", staging_policy(false))
        .with("production", production_policy())
}

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

/// A move. `pick` chooses among the members where the move can apply (so that sequences go
/// deep); `wild` moves name any version in any environment (so that refusals are tested too).
#[derive(Clone, Debug)]
enum Op {
    Submit {
        env: usize,
        v: usize,
        acc: usize,
    },
    Promote,
    Decide {
        pick: usize,
    },
    Deploy {
        pick: usize,
    },
    Revoke {
        pick: usize,
    },
    Reopen {
        pick: usize,
    },
    Rollback {
        env: usize,
        strict: bool,
    },
    Retire {
        pick: usize,
        for_cause: bool,
    },
    Wild {
        env: usize,
        v: usize,
        what: u8,
    },
    Tick {
        secs: u64,
    },
    /// The next move happens at the same instant as the last one.
    Instant,
    StoreAndRestore,
}

fn op() -> impl Strategy<Value = Op> {
    let env = 0..2usize;
    let v = 0..VERSIONS.len();
    let pick = any::<usize>();
    prop_oneof![
        4 => (prop_oneof![3 => Just(STAGING), 1 => Just(PRODUCTION)], v.clone(), 0..ACCURACY.len())
            .prop_map(|(env, v, acc)| Op::Submit { env, v, acc }),
        3 => Just(Op::Promote),
        4 => pick.prop_map(|pick| Op::Decide { pick }),
        4 => pick.prop_map(|pick| Op::Deploy { pick }),
        1 => pick.prop_map(|pick| Op::Revoke { pick }),
        1 => pick.prop_map(|pick| Op::Reopen { pick }),
        2 => (env.clone(), any::<bool>()).prop_map(|(env, strict)| Op::Rollback { env, strict }),
        1 => (pick, any::<bool>()).prop_map(|(pick, for_cause)| Op::Retire { pick, for_cause }),
        2 => (env, v, 0..3u8).prop_map(|(env, v, what)| Op::Wild { env, v, what }),
        3 => (1..60u64).prop_map(|secs| Op::Tick { secs }),
        3 => Just(Op::Instant),
        1 => Just(Op::StoreAndRestore),
    ]
}

/// A member as the naive model sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Naive {
    Submitted,
    /// Approved at this time.
    Approved(u64),
    Rejected,
    Deployed,
    Superseded,
    Retired,
}

#[derive(Clone, Copy, Debug)]
struct Member {
    state: Naive,
    accuracy: f64,
    /// For a promoted production member: how long its staging deployment had run.
    soaked: Option<u64>,
}

/// A deployment: the version, since when, and until when and how it ended.
type Deployment = (usize, u64, Option<(u64, Ended)>);

/// The naive registry: members, and per environment its deployments in order.
#[derive(Default)]
struct World {
    members: BTreeMap<(usize, usize), Member>,
    tenures: [Vec<Deployment>; 2],
    /// Each environment's clock: the time of its latest move.
    clock: [Option<u64>; 2],
    /// The next move happens at the same instant as the last.
    hold: bool,
    now: u64,
}

impl World {
    /// The `pick`-th member (modulo) among those in a state `fits` accepts.
    fn pick(&self, pick: usize, fits: impl Fn(Naive) -> bool) -> Option<(usize, usize)> {
        let fitting: Vec<_> = self
            .members
            .iter()
            .filter(|(_, m)| fits(m.state))
            .map(|(k, _)| *k)
            .collect();
        (!fitting.is_empty()).then(|| fitting[pick % fitting.len()])
    }

    fn current(&self, env: usize) -> Option<usize> {
        self.tenures[env]
            .iter()
            .find(|(_, _, until)| until.is_none())
            .map(|(v, _, _)| *v)
    }

    fn close_current(&mut self, env: usize, how: Ended) {
        let now = self.now;
        if let Some(open) = self.tenures[env].iter_mut().find(|x| x.2.is_none()) {
            open.2 = Some((now, how));
        }
    }

    fn approves(&self, env: usize, m: &Member, strict: bool) -> bool {
        if env == STAGING {
            m.accuracy >= if strict { 0.9 } else { 0.8 }
        } else {
            m.accuracy >= 0.9 && m.soaked.is_some_and(|s| s >= SOAK)
        }
    }
}

fn status(n: Naive) -> Status {
    match n {
        Naive::Submitted => Status::Submitted,
        Naive::Approved(_) => Status::Approved,
        Naive::Rejected => Status::Rejected,
        Naive::Deployed => Status::Deployed,
        Naive::Superseded => Status::Superseded,
        Naive::Retired => Status::Retired,
    }
}

/// Which outcomes a sequence reached, so that the test can show that the generated sequences
/// go deep (successful rollbacks, lapses, promotions …), not only into refusals.
#[derive(Default, Debug)]
struct Coverage {
    promoted: usize,
    deployed_production: usize,
    superseded: usize,
    lapsed: usize,
    reopened: usize,
    revoked: usize,
    rolled_back: usize,
    rollback_not_upheld: usize,
    rollback_to_retired: usize,
    stale: usize,
    same_instant: usize,
    retired_current: usize,
    restored: usize,
}

/// What nothing-changed compares: the index head over every member's trail.
fn snapshot(registry: &Registry) -> Head {
    registry.sealed_by(&key()).unwrap().index()
}

/// A move on a named version and environment.
#[derive(Clone, Debug)]
enum Move {
    Submit {
        env: usize,
        v: usize,
        acc: usize,
    },
    Promote {
        v: usize,
    },
    Decide {
        env: usize,
        v: usize,
    },
    Deploy {
        env: usize,
        v: usize,
    },
    Revoke {
        env: usize,
        v: usize,
    },
    Reopen {
        env: usize,
        v: usize,
    },
    Rollback {
        env: usize,
        strict: bool,
    },
    Retire {
        env: usize,
        v: usize,
        for_cause: bool,
    },
    Tick {
        secs: u64,
    },
    StoreAndRestore,
}

fn apply(
    registry: &mut Registry,
    world: &mut World,
    op: &Op,
    seen: &mut Coverage,
) -> Result<(), TestCaseError> {
    use Naive::{Approved, Deployed, Submitted, Superseded};
    let resolved = match *op {
        Op::Submit { env, v, acc } => Some(Move::Submit { env, v, acc }),
        Op::Promote => Some(Move::Promote {
            v: world.current(STAGING).unwrap_or(0),
        }),
        Op::Decide { pick } => world
            .pick(pick, |s| s == Submitted)
            .map(|(env, v)| Move::Decide { env, v }),
        Op::Deploy { pick } => world
            .pick(pick, |s| matches!(s, Approved(_)))
            .map(|(env, v)| Move::Deploy { env, v }),
        Op::Revoke { pick } => world
            .pick(pick, |s| matches!(s, Approved(_)))
            .map(|(env, v)| Move::Revoke { env, v }),
        Op::Reopen { pick } => world
            .pick(pick, |s| matches!(s, Approved(_)))
            .map(|(env, v)| Move::Reopen { env, v }),
        Op::Rollback { env, strict } => Some(Move::Rollback { env, strict }),
        Op::Retire { pick, for_cause } => world
            .pick(pick, |s| matches!(s, Deployed | Superseded))
            .map(|(env, v)| Move::Retire { env, v, for_cause }),
        Op::Wild { env, v, what } => Some(match what {
            0 => Move::Decide { env, v },
            1 => Move::Deploy { env, v },
            _ => Move::Retire {
                env,
                v,
                for_cause: false,
            },
        }),
        Op::Tick { secs } => Some(Move::Tick { secs }),
        Op::Instant => {
            world.hold = true;
            None
        }
        Op::StoreAndRestore => Some(Move::StoreAndRestore),
    };
    match resolved {
        Some(m) => apply_move(registry, world, &m, seen),
        None => Ok(()),
    }
}

fn apply_move(
    registry: &mut Registry,
    world: &mut World,
    op: &Move,
    seen: &mut Coverage,
) -> Result<(), TestCaseError> {
    if world.hold {
        world.hold = false;
    } else {
        world.now += 1;
    }
    let now = world.now;
    // A change of deployment comes strictly after the environment's latest move.
    let change_blocked = |world: &World, env: usize| world.clock[env] == Some(now);
    let before = snapshot(registry);
    let unchanged = |registry: &Registry| -> Result<(), TestCaseError> {
        prop_assert_eq!(
            snapshot(registry),
            before,
            "a refused move changed the registry"
        );
        Ok(())
    };
    match *op {
        Move::Submit { env, v, acc } => {
            let accuracy = ACCURACY[acc];
            let outcome = TrainingOutcome::new(
                format!("sha256:{v}"),
                Metrics::new([("accuracy", accuracy)]).unwrap(),
            )
            .unwrap();
            let model = Model::new("churn", VERSIONS[v])
                .unwrap()
                .in_environment(environment(env))
                .submit(outcome, "alice", t(now))
                .unwrap();
            let result = registry.put(model);
            if world.members.contains_key(&(env, v)) {
                // Another trail of the member's key is refused; the very same trail (submitted
                // again at the same instant) changes nothing.
                if let Err(refused) = result {
                    let error = refused.into_error();
                    prop_assert!(
                        matches!(error, RegistryError::NotAContinuation { .. }),
                        "{error}"
                    );
                }
                unchanged(registry)?;
            } else {
                prop_assert!(result.is_ok());
                world.clock[env] = Some(now);
                world.members.insert(
                    (env, v),
                    Member {
                        state: Naive::Submitted,
                        accuracy,
                        soaked: None,
                    },
                );
            }
        }
        Move::Promote { v } => {
            let source = match registry.get(&environment(STAGING), VERSIONS[v]) {
                Some(AnyModel::Deployed(m)) => m,
                _ => {
                    prop_assert!(world.current(STAGING) != Some(v));
                    return Ok(());
                }
            };
            prop_assert_eq!(world.current(STAGING), Some(v));
            let target = Model::new("churn", VERSIONS[v])
                .unwrap()
                .in_environment(environment(PRODUCTION));
            let online = Metrics::new([("error_rate", 0.01)]).unwrap();
            let promoted = source.promote(target, online, "alice", t(now)).unwrap();
            let result = registry.put(promoted);
            if world.members.contains_key(&(PRODUCTION, v)) {
                // Refused, or (promoted again at the same instant with the same evidence) the
                // very trail the member has: nothing changes either way.
                unchanged(registry)?;
            } else {
                prop_assert!(result.is_ok(), "{:?}", result.err().map(|e| e.to_string()));
                let from = world.tenures[STAGING]
                    .iter()
                    .find(|x| x.2.is_none())
                    .map(|x| x.1)
                    .unwrap();
                seen.promoted += 1;
                // The production submission, and the observation of staging.
                world.clock[PRODUCTION] = Some(now);
                world.clock[STAGING] = Some(now);
                let accuracy = world.members[&(STAGING, v)].accuracy;
                world.members.insert(
                    (PRODUCTION, v),
                    Member {
                        state: Naive::Submitted,
                        accuracy,
                        soaked: Some(now - from),
                    },
                );
            }
        }
        Move::Decide { env, v } => {
            let result =
                registry.decide(&environment(env), VERSIONS[v], &*policy(env, false), t(now));
            match world.members.get(&(env, v)).copied() {
                None => {
                    prop_assert!(
                        matches!(result, Err(RegistryError::NoSuchVersion { .. })),
                        "{:?}",
                        result
                    );
                    unchanged(registry)?;
                }
                Some(m) if m.state == Naive::Submitted => {
                    let approves = world.approves(env, &m, false);
                    prop_assert_eq!(result.unwrap().is_approved(), approves);
                    world.clock[env] = Some(now);
                    world.members.get_mut(&(env, v)).unwrap().state = if approves {
                        Naive::Approved(now)
                    } else {
                        Naive::Rejected
                    };
                }
                Some(_) => {
                    prop_assert!(
                        matches!(result, Err(RegistryError::NotSubmitted { .. })),
                        "{:?}",
                        result
                    );
                    unchanged(registry)?;
                }
            }
        }
        Move::Deploy { env, v } => {
            let Some(Naive::Approved(approved_at)) = world.members.get(&(env, v)).map(|m| m.state)
            else {
                let taken = registry.take(&environment(env), VERSIONS[v]);
                match world.members.get(&(env, v)).map(|m| m.state) {
                    None => prop_assert!(
                        matches!(taken, Err(RegistryError::NoSuchVersion { .. })),
                        "{:?}",
                        taken
                    ),
                    Some(Naive::Deployed | Naive::Superseded | Naive::Retired) => {
                        prop_assert!(
                            matches!(taken, Err(RegistryError::InService { .. })),
                            "{:?}",
                            taken
                        );
                    }
                    Some(_) => registry.put(taken.unwrap()).unwrap(),
                }
                unchanged(registry)?;
                return Ok(());
            };
            let AnyModel::Approved(model) = registry.take(&environment(env), VERSIONS[v]).unwrap()
            else {
                panic!("the naive model says approved");
            };
            let result = registry.deploy(model, Receipt::new(format!("{env}/{v}")), "ci", t(now));
            if change_blocked(world, env) {
                let (model, error) = result.unwrap_err().into_parts();
                prop_assert!(
                    matches!(error, RegistryError::BeforeClock { .. }),
                    "{error}"
                );
                registry.put(model).unwrap();
                seen.same_instant += 1;
                return unchanged(registry);
            }
            let lapsed = env == PRODUCTION && now > approved_at + WINDOW;
            // Approved before the current deployment began: it never saw that champion.
            let stale = world.tenures[env]
                .iter()
                .find(|x| x.2.is_none())
                .is_some_and(|x| approved_at < x.1);
            if stale {
                let (model, error) = result.unwrap_err().into_parts();
                prop_assert!(
                    matches!(error, RegistryError::StaleApproval { .. }),
                    "{error}"
                );
                registry.put(model).unwrap();
                unchanged(registry)?;
                seen.stale += 1;
            } else if lapsed {
                let (model, error) = result.unwrap_err().into_parts();
                prop_assert!(error.to_string().contains("lapsed"), "{error}");
                registry.put(model).unwrap();
                unchanged(registry)?;
                seen.lapsed += 1;
            } else {
                seen.deployed_production += usize::from(env == PRODUCTION);
                prop_assert!(result.is_ok(), "{:?}", result.err().map(|e| e.to_string()));
                if let Some(previous) = world.current(env) {
                    world.close_current(
                        env,
                        Ended::Superseded {
                            by: VERSIONS[v].to_owned(),
                        },
                    );
                    world.members.get_mut(&(env, previous)).unwrap().state = Naive::Superseded;
                    seen.superseded += 1;
                }
                world.tenures[env].push((v, now, None));
                world.members.get_mut(&(env, v)).unwrap().state = Naive::Deployed;
                world.clock[env] = Some(now);
            }
        }
        Move::Revoke { env, v } => {
            let Some(Naive::Approved(_)) = world.members.get(&(env, v)).map(|m| m.state) else {
                return Ok(());
            };
            let AnyModel::Approved(model) = registry.take(&environment(env), VERSIONS[v]).unwrap()
            else {
                panic!("the naive model says approved");
            };
            registry
                .put(model.revoke("drift found", "carol", t(now)).unwrap())
                .unwrap();
            world.members.get_mut(&(env, v)).unwrap().state = Naive::Rejected;
            world.clock[env] = Some(now);
            seen.revoked += 1;
        }
        Move::Reopen { env, v } => {
            let Some(Naive::Approved(_)) = world.members.get(&(env, v)).map(|m| m.state) else {
                return Ok(());
            };
            let AnyModel::Approved(model) = registry.take(&environment(env), VERSIONS[v]).unwrap()
            else {
                panic!("the naive model says approved");
            };
            // Lapsed or stale, an approval is put back under review for a fresh decision.
            registry
                .put(model.reopen("alice", t(now)).unwrap())
                .unwrap();
            world.members.get_mut(&(env, v)).unwrap().state = Naive::Submitted;
            world.clock[env] = Some(now);
            seen.reopened += 1;
        }
        Move::Rollback { env, strict } => {
            let result = registry.roll_back(
                &environment(env),
                &*policy(env, strict),
                "regression",
                "oncall",
                t(now),
            );
            let Some(current) = world.current(env) else {
                prop_assert!(
                    matches!(result, Err(RegistryError::NothingDeployed { .. })),
                    "{:?}",
                    result
                );
                return unchanged(registry);
            };
            if change_blocked(world, env) {
                prop_assert!(
                    matches!(result, Err(RegistryError::BeforeClock { .. })),
                    "{:?}",
                    result
                );
                return unchanged(registry);
            }
            let target = world.tenures[env]
                .iter()
                .rev()
                .find(|x| x.2.is_some() && x.0 != current)
                .map(|x| x.0);
            let Some(target) = target else {
                prop_assert!(
                    matches!(result, Err(RegistryError::NoEarlierDeployment { .. })),
                    "{:?}",
                    result
                );
                return unchanged(registry);
            };
            let member = world.members[&(env, target)];
            if member.state == Naive::Retired {
                prop_assert!(
                    matches!(result, Err(RegistryError::RetiredTarget { .. })),
                    "{:?}",
                    result
                );
                seen.rollback_to_retired += 1;
                return unchanged(registry);
            }
            prop_assert_eq!(member.state, Naive::Superseded);
            if !world.approves(env, &member, strict) {
                prop_assert!(
                    matches!(&result, Err(RegistryError::Refused { .. })),
                    "{:?}",
                    result
                );
                seen.rollback_not_upheld += 1;
                return unchanged(registry);
            }
            prop_assert!(result.is_ok(), "{:?}", result);
            world.close_current(
                env,
                Ended::RolledBack {
                    to: VERSIONS[target].to_owned(),
                },
            );
            world.members.get_mut(&(env, current)).unwrap().state = Naive::Superseded;
            world.members.get_mut(&(env, target)).unwrap().state = Naive::Deployed;
            world.tenures[env].push((target, now, None));
            world.clock[env] = Some(now);
            seen.rolled_back += 1;
        }
        Move::Retire { env, v, for_cause } => {
            let result = registry.retire(
                &environment(env),
                VERSIONS[v],
                "end of life",
                for_cause,
                "ops",
                t(now),
            );
            match world.members.get(&(env, v)).map(|m| m.state) {
                None => {
                    prop_assert!(
                        matches!(result, Err(RegistryError::NoSuchVersion { .. })),
                        "{:?}",
                        result
                    );
                    unchanged(registry)?;
                }
                Some(Naive::Deployed) if change_blocked(world, env) => {
                    prop_assert!(
                        matches!(result, Err(RegistryError::BeforeClock { .. })),
                        "{:?}",
                        result
                    );
                    unchanged(registry)?;
                }
                Some(Naive::Deployed | Naive::Superseded) => {
                    prop_assert!(result.is_ok(), "{:?}", result);
                    if world.current(env) == Some(v) {
                        world.close_current(env, Ended::Retired { for_cause });
                        seen.retired_current += 1;
                    }
                    world.members.get_mut(&(env, v)).unwrap().state = Naive::Retired;
                    world.clock[env] = Some(now);
                }
                Some(_) => {
                    prop_assert!(result.is_err());
                    unchanged(registry)?;
                }
            }
        }
        Move::Tick { secs } => world.now += secs,
        Move::StoreAndRestore => {
            let stored = registry.sealed_by(&key()).unwrap();
            let json = serde_json::to_string(&stored).unwrap();
            let read: modelgate::registry::StoredRegistry = serde_json::from_str(&json).unwrap();
            let restored = read.restore(&key(), &book());
            prop_assert!(
                restored.is_ok(),
                "{:?}",
                restored.err().map(|e| e.to_string())
            );
            prop_assert!(&restored.unwrap() == registry);
            seen.restored += 1;
        }
    }
    Ok(())
}

fn check(registry: &Registry, world: &World) -> Result<(), TestCaseError> {
    prop_assert_eq!(registry.members().count(), world.members.len());
    for (&(env, v), member) in &world.members {
        let real = registry.get(&environment(env), VERSIONS[v]).unwrap();
        prop_assert_eq!(real.status(), status(member.state), "{} in {}", v, env);
        prop_assert_eq!(
            real.trail().status(),
            real.status(),
            "the trail's status, {} in {}",
            v,
            env
        );
    }
    for env in [STAGING, PRODUCTION] {
        let environment = environment(env);
        let deployed = registry
            .members()
            .filter(|m| m.environment() == &environment && m.status() == Status::Deployed)
            .count();
        prop_assert!(deployed <= 1);
        let current = world.current(env);
        prop_assert_eq!(
            registry.current(&environment).map(|m| m.version()),
            current.map(|v| VERSIONS[v])
        );
        prop_assert_eq!(
            registry
                .champion(&environment)
                .and_then(|m| m.get("accuracy")),
            current.map(|v| world.members[&(env, v)].accuracy)
        );
        let ctx = registry.decision_context(&environment, t(world.now));
        prop_assert_eq!(ctx.champion(), registry.champion(&environment));
        let expected: Vec<Tenure> = world.tenures[env]
            .iter()
            .map(|(v, from, until)| Tenure {
                version: VERSIONS[*v].to_owned(),
                from: t(*from),
                until: until.clone().map(|(at, how)| (t(at), how)),
            })
            .collect();
        prop_assert_eq!(registry.history(&environment), expected);
    }
    Ok(())
}

fn run(ops: &[Op], seen: &mut Coverage) -> Result<(), TestCaseError> {
    let mut registry = Registry::new("churn").unwrap();
    let mut world = World::default();
    for op in ops {
        apply(&mut registry, &mut world, op, seen)?;
        check(&registry, &world)?;
    }
    let restored = registry.sealed_by(&key()).unwrap().restore(&key(), &book());
    prop_assert!(
        restored.is_ok(),
        "{:?}",
        restored.err().map(|e| e.to_string())
    );
    prop_assert!(restored.unwrap() == registry);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, ..ProptestConfig::default() })]

    #[test]
    fn the_registry_keeps_the_books_of_the_naive_model(ops in prop::collection::vec(op(), 1..60)) {
        run(&ops, &mut Coverage::default())?;
    }
}

/// The generated sequences reach every outcome: 500 of them, from a fixed seed.
#[test]
fn the_sequences_reach_every_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strategy = prop::collection::vec(op(), 1..60);
    let mut seen = Coverage::default();
    for _ in 0..500 {
        let ops = strategy.new_tree(&mut runner).unwrap().current();
        run(&ops, &mut seen).unwrap();
    }
    let counts = [
        seen.promoted,
        seen.deployed_production,
        seen.superseded,
        seen.lapsed,
        seen.reopened,
        seen.revoked,
        seen.rolled_back,
        seen.rollback_not_upheld,
        seen.rollback_to_retired,
        seen.stale,
        seen.same_instant,
        seen.retired_current,
        seen.restored,
    ];
    eprintln!("{seen:?}");
    assert!(counts.iter().all(|&n| n > 0), "{seen:?}");
}
