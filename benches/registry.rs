//! Registry benchmarks: growth at 1k, 10k and 100k events (a quarter as many versions, each
//! submitted, decided, deployed and superseded by the next, in one environment), each beside a
//! linear baseline over the same input measured in the same run.
//!
//! - `registry_deploy`: n/4 versions through a registry (put, decide with the champion, take,
//!   deploy superseding the previous); baseline: the same n/4 models submitted, decided and
//!   marked deployed on their own, without the books.
//! - `registry_restore`: parsing a sealed stored registry from JSON and restoring it (index seal,
//!   every member replayed under the policy, the books checked across members); baseline:
//!   parsing the same JSON and restoring each member on its own.
//! - `registry_history`: an environment's deployments from the trails; baseline: counting the
//!   deployment events of every member by hand.
//! - `registry_promotions`: restoring a stored registry whose staging member has n/2 votes and
//!   whose production member was promoted from it n/6 times (promoted, rejected, retrained: 3
//!   events each), so that every promotion's evidence is looked up in a long staging trail;
//!   baseline: parsing the same JSON and restoring each member on its own.
//!
//! Run with `cargo bench --bench registry`; `python3 scripts/bench_table.py` prints the growth
//! factors per 10× and the ratios.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use modelgate::registry::StoredRegistry;
use modelgate::{
    AnyModel, DecisionContext, Environment, EventKind, HmacSealer, MetricGate, Metrics, Model,
    Receipt, Registry, StoredModel, Timestamp, TrainingOutcome,
};

/// Events: each version records 4 (submitted, decided, deployed, superseded).
const SIZES: [usize; 3] = [1_000, 10_000, 100_000];

fn t(s: u64) -> Timestamp {
    Timestamp::from_unix_secs(s)
}

fn key() -> HmacSealer {
    HmacSealer::new("bench", *b"0123456789abcdef0123456789abcdef")
}

fn policy() -> MetricGate {
    MetricGate::at_least("accuracy", 0.9)
}

fn staging() -> Environment {
    Environment::new("staging").unwrap()
}

fn submitted(v: usize) -> Model<modelgate::Submitted> {
    let outcome = TrainingOutcome::new(
        format!("sha256:{v}"),
        Metrics::new([("accuracy", 0.95)]).unwrap(),
    )
    .unwrap();
    Model::new("bench", format!("{v}"))
        .unwrap()
        .in_environment(staging())
        .submit(outcome, "alice", t(10 * v as u64))
        .unwrap()
}

fn through_registry(versions: usize) -> Registry {
    let mut registry = Registry::new("bench").unwrap();
    let env = staging();
    for v in 0..versions {
        let at = 10 * v as u64;
        registry.put(submitted(v)).unwrap();
        let version = format!("{v}");
        registry
            .decide(&env, &version, &policy(), t(at + 1))
            .unwrap();
        let AnyModel::Approved(m) = registry.take(&env, &version).unwrap() else {
            panic!("approved")
        };
        registry
            .deploy(m, Receipt::new("r"), "ci", t(at + 2))
            .unwrap();
    }
    registry
}

fn by_hand(versions: usize) -> Vec<Model<modelgate::Deployed>> {
    (0..versions)
        .map(|v| {
            let at = 10 * v as u64;
            submitted(v)
                .decide(&policy(), &DecisionContext::at(t(at + 1)))
                .unwrap()
                .approved()
                .unwrap()
                .mark_deployed(Receipt::new("r"), "ci", t(at + 2))
                .unwrap()
        })
        .collect()
}

fn deploy(c: &mut Criterion) {
    let mut g = c.benchmark_group("registry_deploy");
    g.sample_size(10);
    for n in SIZES {
        let versions = n / 4;
        g.bench_function(BenchmarkId::new("baseline", n), |b| {
            b.iter(|| by_hand(black_box(versions)))
        });
        g.bench_function(BenchmarkId::new("modelgate", n), |b| {
            b.iter(|| through_registry(black_box(versions)))
        });
    }
    g.finish();
}

/// Restoring `registry` stored (the index seal, every member under `book`, the books across
/// members), beside the baseline: parsing the same JSON and restoring each member on its own.
fn restore_beside_baseline(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    n: usize,
    registry: &Registry,
    book: &modelgate::registry::PolicyBook,
) {
    let json = serde_json::to_string(&registry.sealed_by(&key()).unwrap()).unwrap();
    g.bench_with_input(BenchmarkId::new("baseline", n), &json, |b, json| {
        b.iter(|| {
            let stored: StoredRegistry = serde_json::from_str(black_box(json)).unwrap();
            stored
                .members()
                .iter()
                .map(|m: &StoredModel| m.clone().restore_trusting_decisions(&key()).unwrap())
                .collect::<Vec<_>>()
        })
    });
    g.bench_with_input(BenchmarkId::new("modelgate", n), &json, |b, json| {
        b.iter_batched(
            || serde_json::from_str::<StoredRegistry>(json).unwrap(),
            |stored| stored.restore(&key(), book).unwrap(),
            BatchSize::LargeInput,
        )
    });
}

fn restore(c: &mut Criterion) {
    let mut g = c.benchmark_group("registry_restore");
    g.sample_size(10);
    let book = modelgate::registry::PolicyBook::new().with("staging", policy());
    for n in SIZES {
        let registry = through_registry(n / 4);
        restore_beside_baseline(&mut g, n, &registry, &book);
    }
    g.finish();
}

fn history(c: &mut Criterion) {
    let mut g = c.benchmark_group("registry_history");
    g.sample_size(10);
    for n in SIZES {
        let registry = through_registry(n / 4);
        g.bench_function(BenchmarkId::new("baseline", n), |b| {
            b.iter(|| {
                black_box(&registry)
                    .members()
                    .flat_map(|m| m.history())
                    .filter(|e| {
                        matches!(
                            e.kind(),
                            EventKind::Deployed { .. } | EventKind::Superseded { .. }
                        )
                    })
                    .count()
            })
        });
        g.bench_function(BenchmarkId::new("modelgate", n), |b| {
            b.iter(|| black_box(&registry).history(&staging()))
        });
    }
    g.finish();
}

/// Promotes staging's current deployment into `target` at `at`.
fn promote<S: modelgate::model::Trainable>(
    registry: &Registry,
    target: Model<S>,
    at: u64,
) -> Model<modelgate::Submitted> {
    let online = Metrics::new([("error_rate", 0.01)]).unwrap();
    let source = registry.current(&staging()).unwrap();
    source.promote(target, online, "alice", t(at)).unwrap()
}

/// Staging's version 1 deployed; production's version 1 promoted from it `cycles` times, each
/// rejected by production's stricter policy and retrained.
fn promoted_again_and_again(votes: usize, cycles: usize) -> Registry {
    let mut registry = Registry::new("bench").unwrap();
    let staging_env = staging();
    let mut in_staging = submitted(1);
    for i in 0..votes {
        let review = modelgate::Review::approve(format!("r{i}"), "sha256:1", t(10));
        in_staging.record(review).unwrap();
    }
    registry.put(in_staging).unwrap();
    registry
        .decide(&staging_env, "1", &policy(), t(11))
        .unwrap();
    let AnyModel::Approved(m) = registry.take(&staging_env, "1").unwrap() else {
        panic!("approved")
    };
    registry.deploy(m, Receipt::new("r"), "ci", t(12)).unwrap();
    let production = Environment::new("production").unwrap();
    let strict = MetricGate::at_least("accuracy", 0.99);
    let first = Model::new("bench", "1")
        .unwrap()
        .in_environment(production.clone());
    let mut target = promote(&registry, first, 20);
    for c in 0..cycles {
        let at = 20 + 10 * c as u64;
        registry.put(target).unwrap();
        registry
            .decide(&production, "1", &strict, t(at + 1))
            .unwrap();
        let AnyModel::Rejected(m) = registry.take(&production, "1").unwrap() else {
            panic!("rejected")
        };
        let retraining = m.retrain("ci", t(at + 2)).unwrap();
        target = promote(&registry, retraining, at + 10);
    }
    registry.put(target).unwrap();
    registry
}

fn promotions(c: &mut Criterion) {
    let mut g = c.benchmark_group("registry_promotions");
    g.sample_size(10);
    let book = modelgate::registry::PolicyBook::new()
        .with("staging", policy())
        .with("production", MetricGate::at_least("accuracy", 0.99));
    for n in SIZES {
        let registry = promoted_again_and_again(n / 2, n / 6);
        restore_beside_baseline(&mut g, n, &registry, &book);
    }
    g.finish();
}

criterion_group!(benches, deploy, restore, history, promotions);
criterion_main!(benches);
