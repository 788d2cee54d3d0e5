//! Lifecycle benchmarks, each beside a hand-written baseline measured in the same run.
//!
//! - `record`: recording 100 votes on a submitted model vs. pushing 100 reviews onto a `Vec`.
//! - `restore`: parse + checked restore of a stored approved model vs. parse alone.
//!
//! Run with `cargo bench --bench lifecycle`; `benches/README.md` holds the latest ratios.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use modelgate::{
    AnyModel, Decided, DecisionContext, MetricGate, Metrics, Model, Quorum, Review, Submitted,
    Timestamp, TrainingOutcome,
};

const DIGEST: &str = "sha256:bench";

fn t(s: u64) -> Timestamp {
    Timestamp::from_unix_secs(s)
}

fn outcome() -> TrainingOutcome {
    TrainingOutcome::new(
        DIGEST,
        Metrics::new([("accuracy", 0.93), ("latency_p99_ms", 41.0)]).unwrap(),
    )
    .unwrap()
}

fn submitted() -> Model<Submitted> {
    Model::new("bench", "1")
        .unwrap()
        .submit(outcome(), "alice", t(1))
        .unwrap()
}

fn record(c: &mut Criterion) {
    let reviews: Vec<Review> = (0..100u64)
        .map(|i| Review::approve(format!("reviewer-{}", i % 10), DIGEST, t(2 + i)))
        .collect();
    let mut g = c.benchmark_group("record_100_votes");
    g.bench_function("baseline", |b| {
        b.iter(|| {
            let mut log = Vec::new();
            for r in black_box(&reviews) {
                log.push(r.clone());
            }
            log
        })
    });
    g.bench_function("modelgate", |b| {
        b.iter_batched(
            submitted,
            |mut m| {
                for r in black_box(&reviews) {
                    m.record(r.clone()).unwrap();
                }
                m
            },
            criterion::BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn restore(c: &mut Criterion) {
    let policy = (MetricGate::at_least("accuracy", 0.90), Quorum::new(2));
    let mut m = submitted();
    for (i, who) in ["bob", "carol", "dave"].iter().enumerate() {
        m.record(Review::approve(*who, DIGEST, t(2 + i as u64)))
            .unwrap();
    }
    let Ok(Decided::Approved(m)) = m.decide(&policy, &DecisionContext::at(t(10))) else {
        panic!("the bench model must be approved");
    };
    let json = serde_json::to_string(&AnyModel::from(&m)).unwrap();
    let mut g = c.benchmark_group("restore_approved");
    g.bench_function("baseline_parse_only", |b| {
        b.iter(|| serde_json::from_str::<AnyModel>(black_box(&json)).unwrap())
    });
    g.bench_function("modelgate_parse_and_restore", |b| {
        b.iter(|| {
            serde_json::from_str::<AnyModel>(black_box(&json))
                .unwrap()
                .restore(&policy)
                .unwrap()
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! { name = benches; config = config(); targets = record, restore }
criterion_main!(benches);
