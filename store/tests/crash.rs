//! A writer killed with `kill -9` in the middle of a transaction leaves no torn trail: every
//! trail verifies afterwards, each append is all there or not at all, and nothing that was
//! reported committed is lost.
//!
//! The test spawns this test binary again with `MODELGATE_CRASH_CHILD_URL` set: then
//! `crash_writer_child_mode` is the writer, appending 200 votes per transaction for ever. The
//! parent watches the database until the writer holds a write transaction open (SQLite: its
//! write lock is taken; PostgreSQL: its transaction shows in `pg_stat_activity`) and kills it
//! there.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Backend, DIGEST, TestDb, keys, policy, submitted, t};
use modelgate::{AnyModel, Review};
use modelgate_store::{ModelKey, Store};

const MODELS: usize = 4;
const BATCH: u64 = 200;
const ROUNDS: usize = 3;
const CHILD_ENV: &str = "MODELGATE_CRASH_CHILD_URL";

/// The writer, when spawned by the crash test; does nothing in a normal run.
#[test]
fn crash_writer_child_mode() {
    let Ok(url) = std::env::var(CHILD_ENV) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let store = Store::open(&url, keys()).await.unwrap();
        let mut stdout = std::io::stdout();
        let mut n = 0u64;
        loop {
            for m in 0..MODELS {
                let key = ModelKey::new("crash", m.to_string());
                let loaded = store.restore(&key, &policy()).await.unwrap();
                let AnyModel::Submitted(mut model) = loaded.model else {
                    panic!()
                };
                for _ in 0..BATCH {
                    n += 1;
                    model
                        .record(Review::approve(format!("r{n}"), DIGEST, t(100)))
                        .unwrap();
                }
                let written = store.append(loaded.head, &model).await.unwrap();
                writeln!(stdout, "committed {m} {}", written.revision).unwrap();
                stdout.flush().unwrap();
            }
        }
    });
}

/// Whether another connection holds a write transaction open right now.
async fn writer_in_transaction(backend: Backend, url: &str, probe: &sqlx::AnyPool) -> bool {
    match backend {
        Backend::Postgres => {
            use sqlx::Row;
            let row = sqlx::query(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()
                   AND xact_start IS NOT NULL AND state IN ('active', 'idle in transaction')
                   AND query NOT LIKE 'SELECT head, revision, seal%'
                   AND query NOT LIKE 'SELECT seq, at, prev%'",
            )
            .fetch_one(probe)
            .await
            .unwrap();
            row.get::<i64, _>(0) > 0
        }
        _ => {
            let _ = url;
            let mut conn = probe.acquire().await.unwrap();
            sqlx::query("PRAGMA busy_timeout = 0")
                .execute(&mut *conn)
                .await
                .unwrap();
            match sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
                Ok(_) => {
                    sqlx::query("ROLLBACK").execute(&mut *conn).await.unwrap();
                    false
                }
                Err(_) => true, // locked: the writer is inside its write transaction
            }
        }
    }
}

async fn killed_writer_leaves_no_torn_trail(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let store = db.open().await;
    for m in 0..MODELS {
        store
            .create(&submitted("crash", &m.to_string()))
            .await
            .unwrap();
    }
    let probe = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let mut committed: BTreeMap<usize, u64> = BTreeMap::new();
    let mut mid_transaction = 0;
    for round in 0..ROUNDS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "crash_writer_child_mode",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &db.url)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // The test harness prints too; only the writer's lines count.
                if line.starts_with("committed ") && tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Let it commit a few times, then kill it inside a transaction.
        let mut commits = 0;
        let started = Instant::now();
        loop {
            while let Ok(line) = rx.try_recv() {
                let mut parts = line.split_whitespace().skip(1);
                if let (Some(m), Some(rev)) = (parts.next(), parts.next()) {
                    committed.insert(m.parse().unwrap(), rev.parse().unwrap());
                    commits += 1;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the writer made no progress"
            );
            if commits >= 2 && writer_in_transaction(backend, &db.url, &probe).await {
                child.kill().unwrap(); // SIGKILL
                mid_transaction += 1;
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        child.wait().unwrap();
        reader.join().unwrap();
        while let Ok(line) = rx.try_recv() {
            let mut parts = line.split_whitespace().skip(1);
            if let (Some(m), Some(rev)) = (parts.next(), parts.next()) {
                committed.insert(m.parse().unwrap(), rev.parse().unwrap());
            }
        }
        eprintln!(
            "{backend:?}: round {round}: writer killed in a transaction after {commits} commits"
        );
    }
    probe.close().await;
    store.close().await;
    // After the crashes, a new process: every trail verifies and replays, each append is
    // whole, and nothing reported committed is missing.
    let store = db.open().await;
    for m in 0..MODELS {
        let key = ModelKey::new("crash", m.to_string());
        let loaded = store.restore(&key, &policy()).await.unwrap();
        assert_eq!((loaded.revision - 1) % BATCH, 0, "{key}: a torn append");
        if let Some(&reported) = committed.get(&m) {
            assert!(
                loaded.revision >= reported,
                "{key}: a committed append was lost"
            );
        }
    }
    assert_eq!(mid_transaction, ROUNDS);
    store.close().await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_file_killed_writer_leaves_no_torn_trail() {
    killed_writer_leaves_no_torn_trail(Backend::SqliteFile).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_killed_writer_leaves_no_torn_trail() {
    killed_writer_leaves_no_torn_trail(Backend::Postgres).await;
}
