//! What the log of heads costs a vote (issue 21): `votes_log/logged/<backend>/<n>` is
//! `Store::record_vote` as shipped (each append also adds its leaf to the pending leaves, in its
//! transaction); `votes_log/unlogged/<backend>/<n>` the same votes on the same database through
//! a store opened `without_log`; `votes_log/sequencing/<backend>/<n>` the `Store::sequence_log`
//! after each logged round, moving its leaves into the tree (as the next checkpoint would). n
//! approvers at once, each voting once on each of 16 fresh submitted models; every iteration
//! runs a logged and an unlogged round in turn (paired), each label timing its part. The log is
//! pre-filled to 10,000 leaves first, so the sequencer appends to a log of realistic size.
//!
//! SQLite is a file (WAL, `synchronous = FULL`); PostgreSQL runs when `MODELGATE_PG_URL` is
//! set (`scripts/with-postgres.sh cargo bench -p modelgate-store --all-features --bench log`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use modelgate::log::{NoteSigner, Tree};
use modelgate::{
    HmacSealer, MetricGate, Metrics, Model, Quorum, Review, Submitted, Timestamp, TrainingOutcome,
};
use modelgate_store::{Keys, ModelKey, Options, Retry, Store};
use tokio::runtime::Runtime;

const DIGEST: &str = "sha256:bench";
const MODELS_PER_ROUND: usize = 16;
const PREFILL: i64 = 10_000;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn keys() -> Keys {
    let hmac = || HmacSealer::new("bench", *b"0123456789abcdef0123456789abcdef");
    Keys::new(hmac(), hmac())
}

fn policy() -> (MetricGate, Quorum) {
    (MetricGate::at_least("accuracy", 0.9), Quorum::new(1_000))
}

fn submitted(name: &str, version: &str) -> Model<Submitted> {
    let outcome =
        TrainingOutcome::new(DIGEST, Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap();
    Model::new(name, version)
        .unwrap()
        .submit(outcome, "alice", Timestamp::from_unix_secs(10))
        .unwrap()
}

fn fresh() -> String {
    format!(
        "log-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The database URLs to measure: a SQLite file, and PostgreSQL when `MODELGATE_PG_URL` is set.
fn urls(rt: &Runtime) -> Vec<(&'static str, String)> {
    let dir = std::env::temp_dir().join(format!("modelgate-log-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut out = vec![(
        "sqlite",
        format!("sqlite://{}/bench.db?mode=rwc", dir.display()),
    )];
    if let Ok(url) = std::env::var("MODELGATE_PG_URL")
        && !url.is_empty()
    {
        let db = fresh().replace('-', "_");
        rt.block_on(async {
            Store::open("sqlite::memory:", keys()).await.unwrap();
            let admin = sqlx::AnyPool::connect(&url).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {db}"))
                .execute(&admin)
                .await
                .unwrap();
            admin.close().await;
        });
        let (base, _) = url.rsplit_once('/').unwrap();
        out.push(("postgres", format!("{base}/{db}")));
    }
    out
}

/// Fills the log of an empty store with `n` leaves of a model never stored, and their stored
/// tree hashes, as appending them one by one would.
async fn prefill(store: &Store, n: i64) {
    sqlx::query(
        "INSERT INTO modelgate_log (idx, name, version, environment, head, revision, at)
         SELECT n, 'prefill', '1', 'default', $1, n, 0 FROM (
           WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n + 1 < $2)
           SELECT n FROM s) AS s",
    )
    .bind("0".repeat(64))
    .bind(n)
    .execute(store.pool())
    .await
    .unwrap();
    let mut tree = Tree::new();
    for leaf in store.log_leaves().await.unwrap() {
        tree.append(leaf.hash());
    }
    let nodes: Vec<_> = tree.nodes().collect();
    for chunk in nodes.chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|(id, hash)| format!("({}, {}, '{hash}')", id.level(), id.index()))
            .collect();
        sqlx::query(&format!(
            "INSERT INTO modelgate_log_nodes (level, idx, hash) VALUES {}",
            values.join(", ")
        ))
        .execute(store.pool())
        .await
        .unwrap();
    }
}

/// A checkpoint, a consistency proof from half the log, and the head proof of its last leaf,
/// in logs of 10,000 and 100,000 leaves: each reads O(log n) stored hashes.
fn log_proofs(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let mut group = c.benchmark_group("log_proofs");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    let signer = NoteSigner::new("bench.example/log", [7; 32]).unwrap();
    for (backend, url) in urls(&rt) {
        for size in [10_000i64, 100_000] {
            let store = rt.block_on(async {
                let store = Store::open(&url, keys()).await.unwrap();
                for table in ["modelgate_log", "modelgate_log_nodes"] {
                    sqlx::query(&format!("DELETE FROM {table}"))
                        .execute(store.pool())
                        .await
                        .unwrap();
                }
                prefill(&store, size).await;
                store
            });
            let n = u64::try_from(size).unwrap();
            let id = |what: &str| BenchmarkId::new(format!("{what}/{backend}"), size);
            group.bench_function(id("checkpoint"), |b| {
                b.to_async(&rt).iter(|| async {
                    store
                        .checkpoint("bench.example/log", &signer)
                        .await
                        .unwrap()
                });
            });
            group.bench_function(id("consistency"), |b| {
                b.to_async(&rt)
                    .iter(|| async { store.prove_consistency(n / 2 + 1, n).await.unwrap() });
            });
            let key = ModelKey::new("prefill", "1");
            group.bench_function(id("head_proof"), |b| {
                b.to_async(&rt)
                    .iter(|| async { store.prove_head(&key, n).await.unwrap() });
            });
            rt.block_on(store.close());
        }
    }
    group.finish();
}

/// One round: 16 fresh models created, then `n` approvers voting once on each, then (if
/// `sequence`) the round's leaves sequenced into the log, as the next checkpoint would; the
/// time of the votes, and of the sequencing.
async fn round(store: Arc<Store>, n: usize, sequence: bool) -> (Duration, Duration) {
    let name = fresh();
    for m in 0..MODELS_PER_ROUND {
        store
            .create(&submitted(&name, &m.to_string()))
            .await
            .unwrap();
    }
    if sequence {
        // The creations' leaves, before the clock: the round measures its votes'.
        store.sequence_log().await.unwrap();
    }
    let start = Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (store, name) = (Arc::clone(&store), name.clone());
            tokio::spawn(async move {
                for j in 0..MODELS_PER_ROUND {
                    let key =
                        ModelKey::new(name.as_str(), ((i + j) % MODELS_PER_ROUND).to_string());
                    let vote = Review::approve(
                        format!("approver-{i}"),
                        DIGEST,
                        Timestamp::from_unix_secs(20),
                    );
                    store
                        .record_vote(&key, &policy(), &vote, &Retry::default().attempts(10_000))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let votes = start.elapsed();
    let start = Instant::now();
    if sequence {
        store.sequence_log().await.unwrap();
    }
    (votes, start.elapsed())
}

fn votes_log(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let mut group = c.benchmark_group("votes_log");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    for (backend, url) in urls(&rt) {
        let options = Options::default().max_connections(16);
        let logged = Arc::new(
            rt.block_on(Store::open_with(&url, keys(), options.clone()))
                .unwrap(),
        );
        let unlogged = Arc::new(
            rt.block_on(Store::open_with(&url, keys(), options.without_log()))
                .unwrap(),
        );
        // A log of realistic size (leaves of a model never stored: only their count matters).
        rt.block_on(prefill(&logged, PREFILL));
        for approvers in [1usize, 4, 16] {
            group.throughput(Throughput::Elements((approvers * MODELS_PER_ROUND) as u64));
            // Paired: every iteration runs a logged round and an unlogged one, in turn, and
            // each side times its own; both see the same database as it grows, so the ratio
            // is not the drift between two separate runs.
            for label in ["logged", "unlogged", "sequencing"] {
                group.bench_with_input(
                    BenchmarkId::new(format!("{label}/{backend}"), approvers),
                    &approvers,
                    |b, &n| {
                        b.to_async(&rt).iter_custom(|iters| {
                            let (logged, unlogged) = (Arc::clone(&logged), Arc::clone(&unlogged));
                            async move {
                                let mut total = Duration::ZERO;
                                for _ in 0..iters {
                                    let (with, sequencing) =
                                        round(Arc::clone(&logged), n, true).await;
                                    let (without, _) = round(Arc::clone(&unlogged), n, false).await;
                                    total += match label {
                                        "logged" => with,
                                        "unlogged" => without,
                                        _ => sequencing,
                                    };
                                }
                                total
                            }
                        });
                    },
                );
            }
        }
        rt.block_on(logged.close());
        rt.block_on(unlogged.close());
    }
    group.finish();
}

criterion_group!(benches, log_proofs, votes_log);
criterion_main!(benches);
