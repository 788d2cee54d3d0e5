//! Store benchmarks (issue 11), each beside a same-run baseline on the same database:
//!
//! - `votes/<backend>/<n>`: n approvers at once, each voting once on each of 16 fresh
//!   submitted models (`Store::record_vote`: restore, record, append with compare-and-swap,
//!   retried on conflict); baselines `insert/<backend>/<n>`: the same number of bare one-row
//!   `INSERT`s (an event row's size, autocommit) from n tasks, and `same_rows/<backend>/<n>`:
//!   the rows each vote writes (its event row, the models row moved on, the log's pending
//!   leaf), written bare by the same tasks on the same models (one statement on PostgreSQL,
//!   one write transaction on SQLite), with nothing read, compared, verified or sealed.
//! - `vote_on_trail/<kept|whole>/<backend>/<n>`: one `Store::record_vote` on a model of n =
//!   10, 1,000, 10,000 events, by a store that keeps the models it verified (`kept`, the
//!   default: the vote reads and verifies what was appended since) and by one that keeps
//!   none (`whole`: each vote restores the whole trail). The figure is the factor from 10 to
//!   10,000 events.
//! - `models_page/<page|select>/<backend>/<n>`: one page of 100 models (`Store::models`) from
//!   the middle of a store of n = 1,000 and 10,000 models; baseline: a bare `SELECT` of the same
//!   models rows and their event rows.
//! - `load_1000/<backend>`: `Store::load` (rows checked, chain and seal verified) and
//!   `Store::restore` (and every event replayed) of a 1,000-event model; baseline
//!   `select_1000`: a bare `SELECT` of its 1,000 event rows.
//! - `awaiting_10000/<backend>`: `Store::awaiting_approval` over 10,000 submitted models (all,
//!   and a reviewer's queue of 1,000); baseline: a bare `SELECT` of the 10,000 rows' columns.
//!
//! SQLite is a file (WAL, `synchronous = FULL`); PostgreSQL runs when `MODELGATE_PG_URL` is
//! set (`scripts/with-postgres.sh cargo bench -p modelgate-store --all-features`).
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
use modelgate::{
    HmacSealer, MetricGate, Metrics, Model, Quorum, Review, Submitted, Timestamp, TrainingOutcome,
};
use modelgate_store::{Awaiting, Keys, ModelKey, Options, Retry, Store};
use tokio::runtime::Runtime;

mod support;
use support::*;

/// What a vote writes, written bare (no read, no compare, no verifying, no seal computed): the
/// event row, the models row moved on, the log's pending leaf; one statement on PostgreSQL, one
/// write transaction on SQLite.
async fn same_rows(store: &Store, name: &str, model: usize, seq: i64, event: &str) {
    let version = model.to_string();
    let (head, seal) = ("1".repeat(64), "{\"key_id\":\"bench\",\"value\":\"00\"}");
    match store.backend() {
        modelgate_store::Backend::Postgres => {
            sqlx::query(
                "WITH moved AS (UPDATE modelgate_models SET revision = $4, head = $5, seal = $6,
                     status = 'submitted', last_action = 'voted', updated_at = 20000
                   WHERE name = $1 AND version = $2 AND environment = $3 RETURNING 1),
                 event AS (INSERT INTO modelgate_events (name, version, environment, seq, at,
                     prev, hash, action, actor, event)
                   VALUES ($1, $2, $3, $4, 20000, $5, $5, 'voted', 'approver', $7)),
                 leaf AS (INSERT INTO modelgate_log_pending (name, version, environment,
                     revision, head, at) VALUES ($1, $2, $3, $4, $5, 20000))
                 SELECT COUNT(*) FROM moved",
            )
            .bind(name)
            .bind(&version)
            .bind("default")
            .bind(seq)
            .bind(&head)
            .bind(seal)
            .bind(event)
            .fetch_one(store.pool())
            .await
            .unwrap();
        }
        _ => {
            let mut tx = store.pool().begin_with("BEGIN IMMEDIATE").await.unwrap();
            sqlx::query(
                "UPDATE modelgate_models SET revision = $4, head = $5, seal = $6,
                     status = 'submitted', last_action = 'voted', updated_at = 20000
                 WHERE name = $1 AND version = $2 AND environment = $3",
            )
            .bind(name)
            .bind(&version)
            .bind("default")
            .bind(seq)
            .bind(&head)
            .bind(seal)
            .execute(&mut *tx)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO modelgate_events (name, version, environment, seq, at, prev, hash,
                     action, actor, event)
                 VALUES ($1, $2, $3, $4, 20000, $5, $5, 'voted', 'approver', $6)",
            )
            .bind(name)
            .bind(&version)
            .bind("default")
            .bind(seq)
            .bind(&head)
            .bind(event)
            .execute(&mut *tx)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO modelgate_log_pending (name, version, environment, revision, head,
                     at) VALUES ($1, $2, $3, $4, $5, 20000)",
            )
            .bind(name)
            .bind(&version)
            .bind("default")
            .bind(seq)
            .bind(&head)
            .execute(&mut *tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
    }
}

fn votes(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let backends = backends(&rt);
    let mut group = c.benchmark_group("votes");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    for (backend, store, _) in &backends {
        for approvers in [1usize, 16, 64] {
            group.throughput(Throughput::Elements((approvers * MODELS_PER_ROUND) as u64));
            group.bench_with_input(
                BenchmarkId::new(format!("vote/{backend}"), approvers),
                &approvers,
                |b, &n| {
                    b.to_async(&rt).iter_custom(|iters| {
                        let store = Arc::clone(store);
                        async move {
                            let mut total = Duration::ZERO;
                            for _ in 0..iters {
                                let name = fresh("votes");
                                for m in 0..MODELS_PER_ROUND {
                                    store
                                        .create(&submitted(&name, &m.to_string()))
                                        .await
                                        .unwrap();
                                }
                                let start = Instant::now();
                                let tasks: Vec<_> = (0..n)
                                    .map(|i| {
                                        let (store, name) = (Arc::clone(&store), name.clone());
                                        tokio::spawn(async move {
                                            for j in 0..MODELS_PER_ROUND {
                                                let m = (i + j) % MODELS_PER_ROUND;
                                                let key =
                                                    ModelKey::new(name.as_str(), m.to_string());
                                                let vote = Review::approve(
                                                    format!("approver-{i}"),
                                                    DIGEST,
                                                    Timestamp::from_unix_secs(20),
                                                );
                                                store
                                                    .record_vote(
                                                        &key,
                                                        &policy(),
                                                        &vote,
                                                        &Retry::default().attempts(10_000),
                                                    )
                                                    .await
                                                    .unwrap();
                                            }
                                        })
                                    })
                                    .collect();
                                for t in tasks {
                                    t.await.unwrap();
                                }
                                total += start.elapsed();
                            }
                            total
                        }
                    });
                },
            );
            group.bench_with_input(
                BenchmarkId::new(format!("same_rows/{backend}"), approvers),
                &approvers,
                |b, &n| {
                    b.to_async(&rt).iter_custom(|iters| {
                        let store = Arc::clone(store);
                        async move {
                            let event = Arc::new(vote_json("approver-00"));
                            let mut total = Duration::ZERO;
                            for _ in 0..iters {
                                let name = fresh("same");
                                for m in 0..MODELS_PER_ROUND {
                                    store
                                        .create(&submitted(&name, &m.to_string()))
                                        .await
                                        .unwrap();
                                }
                                let start = Instant::now();
                                let tasks: Vec<_> = (0..n)
                                    .map(|i| {
                                        let (store, name, event) =
                                            (Arc::clone(&store), name.clone(), Arc::clone(&event));
                                        tokio::spawn(async move {
                                            for j in 0..MODELS_PER_ROUND {
                                                let m = (i + j) % MODELS_PER_ROUND;
                                                same_rows(&store, &name, m, 2 + i as i64, &event)
                                                    .await;
                                            }
                                        })
                                    })
                                    .collect();
                                for t in tasks {
                                    t.await.unwrap();
                                }
                                total += start.elapsed();
                            }
                            total
                        }
                    });
                },
            );
            group.bench_with_input(BenchmarkId::new(format!("insert/{backend}"), approvers), &approvers, |b, &n| {
                b.to_async(&rt).iter_custom(|iters| {
                    let store = Arc::clone(store);
                    async move {
                        let event = Arc::new(vote_json("approver-00"));
                        let start = Instant::now();
                        for _ in 0..iters {
                            let name = fresh("insert");
                            let tasks: Vec<_> = (0..n)
                                .map(|i| {
                                    let (store, name, event) = (Arc::clone(&store), name.clone(), Arc::clone(&event));
                                    tokio::spawn(async move {
                                        for j in 0..MODELS_PER_ROUND {
                                            sqlx::query(
                                                "INSERT INTO bench_baseline (name, version, seq, at, prev, hash, action, actor, event)
                                                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                                            )
                                            .bind(name.as_str())
                                            .bind(j.to_string())
                                            .bind(i as i64)
                                            .bind(20_000i64)
                                            .bind("0".repeat(64))
                                            .bind("1".repeat(64))
                                            .bind("voted")
                                            .bind(format!("approver-{i}"))
                                            .bind(event.as_str())
                                            .execute(store.pool())
                                            .await
                                            .unwrap();
                                        }
                                    })
                                })
                                .collect();
                            for t in tasks {
                                t.await.unwrap();
                            }
                        }
                        start.elapsed()
                    }
                });
            });
        }
    }
    group.finish();
    for (_, store, _) in backends {
        rt.block_on(store.close());
    }
}

/// A model of `events` events (a submission and votes), stored.
async fn long_trail(store: &Store, name: &str, events: usize) -> ModelKey {
    let mut model = submitted(name, "1");
    for i in 1..events {
        model
            .record(Review::approve(
                format!("r{i}"),
                DIGEST,
                Timestamp::from_unix_secs(20),
            ))
            .unwrap();
    }
    store.create(&model).await.unwrap();
    ModelKey::new(name, "1")
}

/// One vote on models of 10, 1,000 and 10,000 events, by a store that keeps the models it
/// verified (the default) and by one that keeps none (each vote restores the whole trail).
/// Votes go round `pool` models of each size, so that a trail grows by little while measured.
fn vote_on_long_trails(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let backends = backends(&rt);
    let mut group = c.benchmark_group("vote_on_trail");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    for (backend, store, url) in &backends {
        let whole = Arc::new(
            rt.block_on(Store::open_with(
                url,
                keys(),
                Options::default().max_connections(4).verified_models(0),
            ))
            .unwrap(),
        );
        for (events, pool) in [(10usize, 64usize), (1_000, 16), (10_000, 4)] {
            let name = fresh("trail");
            let keys: Vec<ModelKey> = rt.block_on(async {
                let mut keys = Vec::new();
                for p in 0..pool {
                    keys.push(long_trail(store, &format!("{name}-{p}"), events).await);
                }
                keys
            });
            for (label, store) in [("kept", store), ("whole", &whole)] {
                let next = Arc::new(AtomicUsize::new(0));
                group.bench_with_input(
                    BenchmarkId::new(format!("{label}/{backend}"), events),
                    &events,
                    |b, _| {
                        b.to_async(&rt).iter(|| {
                            let (store, keys, next) =
                                (Arc::clone(store), keys.clone(), Arc::clone(&next));
                            async move {
                                let i = next.fetch_add(1, Ordering::Relaxed);
                                let vote = Review::approve(
                                    format!("v{i}"),
                                    DIGEST,
                                    Timestamp::from_unix_secs(20),
                                );
                                store
                                    .record_vote(
                                        &keys[i % keys.len()],
                                        &policy(),
                                        &vote,
                                        &Retry::default(),
                                    )
                                    .await
                                    .unwrap()
                            }
                        });
                    },
                );
                let grown = next.load(Ordering::Relaxed).div_ceil(pool);
                eprintln!(
                    "vote_on_trail/{label}/{backend}/{events}: each trail grew by at most {grown} events while measured"
                );
            }
        }
        rt.block_on(whole.close());
    }
    group.finish();
    for (_, store, _) in backends {
        rt.block_on(store.close());
    }
}

/// One page of 100 models (`Store::models`, each verified and described by its trail) from the
/// middle of a store of 1,000 and of 10,000 models, beside a bare `SELECT` of the same 100
/// models rows and their event rows: a page costs the same however many models the store holds.
fn listing(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let backends = backends(&rt);
    let mut group = c.benchmark_group("models_page");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    for (backend, store, _) in &backends {
        let mut held = 0usize;
        for size in [1_000usize, 10_000] {
            rt.block_on(async {
                let tasks: Vec<_> = (0..8)
                    .map(|t| {
                        let store = Arc::clone(store);
                        tokio::spawn(async move {
                            for i in (held..size).filter(|i| i % 8 == t) {
                                store
                                    .create(&submitted(&format!("list-{i:06}"), "1"))
                                    .await
                                    .unwrap();
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            });
            held = size;
            let middle = ModelKey::new(format!("list-{:06}", size / 2), "1");
            let query = modelgate_store::Models::all()
                .limit(100)
                .after(middle.clone());
            group.bench_function(BenchmarkId::new(format!("page/{backend}"), size), |b| {
                b.to_async(&rt).iter(|| async {
                    let page = store.models(&query).await.unwrap();
                    assert_eq!(page.items.len(), 100);
                })
            });
            group.bench_function(BenchmarkId::new(format!("select/{backend}"), size), |b| {
                b.to_async(&rt).iter(|| async {
                    let rows = sqlx::query(
                        "SELECT m.head, m.revision, m.seal, m.status, e.seq, e.at, e.prev, e.hash,
                            e.event
                         FROM (SELECT * FROM modelgate_models WHERE name > $1
                               ORDER BY name, version, environment LIMIT 100) m
                         JOIN modelgate_events e ON e.name = m.name AND e.version = m.version
                           AND e.environment = m.environment",
                    )
                    .bind(middle.name())
                    .fetch_all(store.pool())
                    .await
                    .unwrap();
                    assert_eq!(rows.len(), 100);
                })
            });
        }
    }
    group.finish();
    for (_, store, _) in backends {
        rt.block_on(store.close());
    }
}

fn load(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let backends = backends(&rt);
    let mut group = c.benchmark_group("load_1000");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    for (backend, store, _) in &backends {
        let name = fresh("load");
        let key = ModelKey::new(name.as_str(), "1");
        rt.block_on(async {
            let mut model = submitted(&name, "1");
            for i in 0..999 {
                model
                    .record(Review::approve(
                        format!("r{i}"),
                        DIGEST,
                        Timestamp::from_unix_secs(20),
                    ))
                    .unwrap();
            }
            store.create(&model).await.unwrap();
        });
        group.bench_function(BenchmarkId::new("load", backend), |b| {
            b.to_async(&rt)
                .iter(|| async { store.load(&key).await.unwrap() });
        });
        group.bench_function(BenchmarkId::new("restore", backend), |b| {
            b.to_async(&rt)
                .iter(|| async { store.restore(&key, &policy()).await.unwrap() });
        });
        group.bench_function(BenchmarkId::new("select", backend), |b| {
            b.to_async(&rt).iter(|| async {
                sqlx::query("SELECT seq, at, prev, hash, event FROM modelgate_events WHERE name = $1 AND version = $2 ORDER BY seq")
                    .bind(name.as_str())
                    .bind("1")
                    .fetch_all(store.pool())
                    .await
                    .unwrap()
            });
        });
    }
    group.finish();
    for (_, store, _) in backends {
        rt.block_on(store.close());
    }
}

fn awaiting(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let backends = backends(&rt);
    let mut group = c.benchmark_group("awaiting_10000");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    for (backend, store, _) in &backends {
        // 10,000 submitted models; bob may approve one in ten.
        let setup = Instant::now();
        rt.block_on(async {
            let name = fresh("fleet");
            let tasks: Vec<_> = (0..8)
                .map(|w| {
                    let (store, name) = (Arc::clone(store), name.clone());
                    tokio::spawn(async move {
                        for m in (w..10_000).step_by(8) {
                            store
                                .create(&submitted(&name, &m.to_string()))
                                .await
                                .unwrap();
                            if m % 10 == 0 {
                                store
                                    .set_approvers(
                                        &ModelKey::new(name.as_str(), m.to_string()),
                                        ["bob"],
                                    )
                                    .await
                                    .unwrap();
                            }
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
        eprintln!("{backend}: 10,000 models created in {:?}", setup.elapsed());
        let bob = Awaiting::all().for_reviewer("bob", ["team_lead"]);
        group.bench_function(BenchmarkId::new("all", backend), |b| {
            b.to_async(&rt).iter(|| async {
                let all = store.awaiting_approval(&Awaiting::all()).await.unwrap();
                assert!(all.len() >= 10_000);
            });
        });
        group.bench_function(BenchmarkId::new("queue", backend), |b| {
            b.to_async(&rt).iter(|| async {
                let queue = store.awaiting_approval(&bob).await.unwrap();
                assert!(queue.len() >= 1_000);
            });
        });
        group.bench_function(BenchmarkId::new("select", backend), |b| {
            b.to_async(&rt).iter(|| async {
                sqlx::query(
                    "SELECT name, version, status, environment, head, revision, updated_at, deployed_at, kind
                     FROM modelgate_models WHERE status = $1",
                )
                .bind("submitted")
                .fetch_all(store.pool())
                .await
                .unwrap()
            });
        });
    }
    group.finish();
    for (_, store, _) in backends {
        rt.block_on(store.close());
    }
}

criterion_group!(benches, votes, vote_on_long_trails, listing, load, awaiting);
criterion_main!(benches);
