//! Lifecycle benchmarks: growth at 1k, 10k and 100k, each beside a linear baseline over the same
//! input measured in the same run (so that what the memory hierarchy adds as the input outgrows
//! the caches shows in both), and the cost of verifying a seal.
//!
//! - `record`: recording n votes (n distinct reviewers) on a submitted model; baseline: cloning
//!   the n reviews into a `Vec`.
//! - `restore`: parsing a stored model with n votes and a decision from JSON, and restoring it
//!   (chain, seal, replay under the policy); baseline: the parse alone.
//! - `validate`: validating a spec with n test steps and n approvers; baseline: serializing the
//!   same document (one walk over it).
//! - `poll`: `Run::poll` on a run waiting for approval with n votes recorded; baseline: counting
//!   the approvals among the n votes by hand.
//! - `verify_1000`: `StoredModel::verify` of a sealed 1,000-event trail, beside the baseline
//!   SHA-256 over the same canonical bytes in one pass.
//!
//! Run with `cargo bench --bench lifecycle`; `python3 scripts/bench_table.py` prints the
//! growth factors per 10× and the ratios; `benches/README.md` holds the latest figures.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use modelgate::{
    Artifact, DecisionContext, HmacSealer, MetricGate, Metrics, Model, PipelineSpec, Quorum,
    Review, Run, StoredModel, Submitted, Timestamp, TrainingOutcome,
};
use sha2::{Digest as _, Sha256};

const DIGEST: &str = "sha256:bench";
const SIZES: [usize; 3] = [1_000, 10_000, 100_000];

fn t(s: u64) -> Timestamp {
    Timestamp::from_unix_secs(s)
}

fn key() -> HmacSealer {
    HmacSealer::new("bench", *b"0123456789abcdef0123456789abcdef")
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

fn reviews(n: usize) -> Vec<Review> {
    (0..n as u64)
        .map(|i| Review::approve(format!("reviewer-{i}"), DIGEST, t(2 + i)))
        .collect()
}

fn with_votes(n: usize) -> Model<Submitted> {
    let mut m = submitted();
    for r in reviews(n) {
        m.record(r).unwrap();
    }
    m
}

fn record(c: &mut Criterion) {
    let mut g = c.benchmark_group("record");
    g.sample_size(10);
    for n in SIZES {
        let reviews = reviews(n);
        g.bench_with_input(BenchmarkId::new("baseline", n), &reviews, |b, reviews| {
            b.iter(|| {
                let mut log = Vec::new();
                for r in black_box(reviews) {
                    log.push(r.clone());
                }
                log
            })
        });
        g.bench_with_input(BenchmarkId::new("modelgate", n), &reviews, |b, reviews| {
            b.iter_batched(
                || (submitted(), reviews.clone()),
                |(mut m, reviews)| {
                    for r in reviews {
                        m.record(r).unwrap();
                    }
                    m
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

fn restore(c: &mut Criterion) {
    let policy = (MetricGate::at_least("accuracy", 0.90), Quorum::new(2));
    let mut g = c.benchmark_group("restore");
    g.sample_size(10);
    for n in SIZES {
        let m = with_votes(n)
            .decide(&policy, &DecisionContext::at(t(1_000_000)))
            .unwrap()
            .approved()
            .unwrap();
        let json =
            serde_json::to_string(&StoredModel::from(&m).sealed_by(&key()).unwrap()).unwrap();
        g.bench_with_input(BenchmarkId::new("baseline", n), &json, |b, json| {
            b.iter(|| serde_json::from_str::<StoredModel>(black_box(json)).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("modelgate", n), &json, |b, json| {
            b.iter(|| {
                serde_json::from_str::<StoredModel>(black_box(json))
                    .unwrap()
                    .restore(&key(), &policy)
                    .unwrap()
            })
        });
    }
    g.finish();
}

fn spec(n: usize) -> PipelineSpec {
    let mut steps = vec![serde_json::json!({"name": "train", "type": "training"})];
    for i in 0..n {
        steps.push(
            serde_json::json!({"name": format!("test-{i}"), "type": "test",
            "inputs": {"gates": [{"metric": "accuracy", "at_least": 0.5}]}}),
        );
    }
    let approvers: Vec<String> = (0..n).map(|i| format!("approver-{i}")).collect();
    steps.push(serde_json::json!({"name": "approve", "type": "approval",
        "inputs": {"approvers": approvers, "required": 2}}));
    steps.push(serde_json::json!({"name": "deploy", "type": "deploy"}));
    serde_json::from_value(serde_json::json!({ "steps": steps })).unwrap()
}

fn validate(c: &mut Criterion) {
    let mut g = c.benchmark_group("validate");
    g.sample_size(10);
    for n in SIZES {
        let spec = spec(n);
        g.bench_with_input(BenchmarkId::new("baseline", n), &spec, |b, spec| {
            b.iter(|| serde_json::to_vec(black_box(spec)).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("modelgate", n), &spec, |b, spec| {
            b.iter(|| black_box(spec).validate().unwrap())
        });
    }
    g.finish();
}

fn poll(c: &mut Criterion) {
    let spec: PipelineSpec = serde_json::from_str(
        r#"{"steps": [{"name": "train", "type": "training"},
            {"name": "approve", "type": "approval", "inputs": {"approvers": ["reviewer"], "required": 1}}]}"#,
    )
    .unwrap();
    let mut g = c.benchmark_group("poll");
    g.sample_size(10);
    for n in SIZES {
        let mut run = Run::start(
            spec.validate().unwrap(),
            Model::new("bench", "1").unwrap(),
            "alice",
            t(0),
        )
        .unwrap();
        run.handle_artifact(Artifact::new(DIGEST, Metrics::default()).unwrap(), t(1))
            .unwrap();
        // n votes by reviewers who are not eligible: the run stays pending, every poll
        // looks at every vote.
        let reviews = reviews(n);
        for r in reviews.iter().cloned() {
            run.record_vote(r).unwrap();
        }
        let now = t(10_000_000);
        g.bench_function(BenchmarkId::new("baseline", n), |b| {
            b.iter(|| {
                black_box(&reviews)
                    .iter()
                    .filter(|r| r.vote() == modelgate::Vote::Approve && r.reviewer() != "alice")
                    .filter(|r| r.reviewer() == "reviewer" || r.has_role("reviewer"))
                    .count()
            })
        });
        g.bench_function(BenchmarkId::new("modelgate", n), |b| {
            b.iter(|| run.poll(black_box(now)).unwrap())
        });
    }
    g.finish();
}

fn verify(c: &mut Criterion) {
    let m = with_votes(999);
    let stored = StoredModel::from(&m).sealed_by(&key()).unwrap();
    assert_eq!(stored.events().len(), 1_000);
    let bytes: Vec<u8> = stored
        .events()
        .iter()
        .flat_map(|e| e.canonical_bytes())
        .collect();
    let mut g = c.benchmark_group("verify_1000");
    g.bench_function("baseline_sha256_of_canonical_bytes", |b| {
        b.iter(|| Sha256::digest(black_box(&bytes)))
    });
    g.bench_function("verify_chain_and_seal", |b| {
        b.iter(|| black_box(&stored).verify(&key()).unwrap())
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! { name = benches; config = config(); targets = record, restore, validate, poll, verify }
criterion_main!(benches);
