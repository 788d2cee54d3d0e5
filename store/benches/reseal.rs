//! What `Store::reseal` costs as a store grows: a store holding one model of n events (a
//! submission and n − 1 votes), n = 1k, 10k and 100k, resealed under the other of two keys at
//! each iteration (both in use in the verifier, so every iteration verifies the row and writes
//! a new seal); baseline: `Store::load` of the same model in the same run (the rows read, the
//! chain and the seal verified), which a reseal does once per model before it writes.
//!
//! SQLite is a file (WAL, `synchronous = FULL`): `cargo bench -p modelgate-store --all-features
//! --bench reseal`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use modelgate::trail::Keyring;
use modelgate::{HmacSealer, Metrics, Model, Review, Timestamp, TrainingOutcome};
use modelgate_store::{Keys, ModelKey, Options, Store};
use tokio::runtime::Runtime;

const DIGEST: &str = "sha256:bench";

fn hmac(id: &str, byte: u8) -> HmacSealer {
    HmacSealer::new(id, [byte; 32])
}

/// Seals with key `a` or `b`; verifies either.
fn keys(sealer: HmacSealer) -> Keys {
    let both = Keyring::new().with_key(hmac("a", 1)).with_key(hmac("b", 2));
    Keys::new(sealer, both)
}

fn reseal(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let mut group = c.benchmark_group("reseal");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    for n in [1_000usize, 10_000, 100_000] {
        let dir =
            std::env::temp_dir().join(format!("modelgate-reseal-bench-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/bench.db?mode=rwc", dir.display());
        let options = Options::default();
        let (by_a, by_b) = rt.block_on(async {
            let a = Store::open_with(&url, keys(hmac("a", 1)), options.clone())
                .await
                .unwrap();
            let b = Store::open_with(&url, keys(hmac("b", 2)), options)
                .await
                .unwrap();
            let outcome =
                TrainingOutcome::new(DIGEST, Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap();
            let mut model = Model::new("churn", "1")
                .unwrap()
                .submit(outcome, "alice", Timestamp::from_unix_secs(10))
                .unwrap();
            for i in 1..n {
                let vote = Review::approve(format!("r{i}"), DIGEST, Timestamp::from_unix_secs(20));
                model.record(vote).unwrap();
            }
            a.create(&model).await.unwrap();
            (a, b)
        });
        let key = ModelKey::new("churn", "1");
        group.bench_function(BenchmarkId::new("load_baseline", n), |b| {
            b.to_async(&rt)
                .iter(|| async { by_a.load(&key).await.unwrap() });
        });
        // Each iteration reseals under the other key, so each writes a new seal.
        let mut next_is_b = true;
        group.bench_function(BenchmarkId::new("reseal", n), |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        let store = if next_is_b { &by_b } else { &by_a };
                        let resealed = store.reseal().await.unwrap();
                        assert_eq!(resealed.old_seals().len(), 1, "one row resealed");
                        next_is_b = !next_is_b;
                    }
                    start.elapsed()
                })
            });
        });
        rt.block_on(async {
            by_a.close().await;
            by_b.close().await;
        });
        let _ = std::fs::remove_dir_all(&dir);
    }
    group.finish();
}

criterion_group!(benches, reseal);
criterion_main!(benches);
