//! What the store's tests share: a fresh database on each backend, keys, models.
#![allow(
    dead_code,
    unused_imports,
    unused_macros,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod log;
pub mod production_registry;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use modelgate::{
    Decided, DecisionContext, Deployed, Environment, HmacSealer, MetricGate, Metrics, Model,
    PipelineSpec, Quorum, Receipt, Review, Submitted, Timestamp, TrainingOutcome,
};
use modelgate_store::{Keys, ModelKey, Options, Store, Summary};

pub const DIGEST: &str = "sha256:conformance";

pub fn key(name: &str, version: &str) -> ModelKey {
    ModelKey::new(name, version)
}

pub fn staging() -> Environment {
    Environment::new("staging").unwrap()
}

/// Production, where an approval lapses after an hour undeployed.
pub fn production() -> Environment {
    Environment::new("production")
        .unwrap()
        .with_approval_validity(Duration::from_secs(3600))
}

pub fn versions(summaries: Vec<Summary>) -> Vec<String> {
    summaries
        .into_iter()
        .map(|s| s.key.version().to_owned())
        .collect()
}

pub fn environments(summaries: Vec<Summary>) -> Vec<String> {
    summaries
        .into_iter()
        .map(|s| s.key.environment().to_owned())
        .collect()
}

/// A three-step pipeline: train, approval by bob or a team lead, deploy.
pub fn pipeline_spec() -> PipelineSpec {
    serde_json::from_str(
        r#"{"steps": [
            {"name": "train", "type": "training"},
            {"name": "approve", "type": "approval", "inputs": {"approvers": ["bob", "team_lead"]}},
            {"name": "deploy", "type": "deploy"}
        ]}"#,
    )
    .unwrap()
}

pub fn t(s: u64) -> Timestamp {
    Timestamp::from_unix_secs(s)
}

pub fn hmac() -> HmacSealer {
    HmacSealer::new("store-test", *b"0123456789abcdef0123456789abcdef")
}

pub fn keys() -> Keys {
    Keys::new(hmac(), hmac())
}

pub fn policy() -> (MetricGate, Quorum) {
    (MetricGate::at_least("accuracy", 0.9), Quorum::new(2))
}

pub fn submitted(name: &str, version: &str) -> Model<Submitted> {
    submitted_in(name, version, &Environment::default())
}

/// A model of `environment` submitted at 10 s.
pub fn submitted_in(name: &str, version: &str, environment: &Environment) -> Model<Submitted> {
    submitted_at(name, version, environment, 10)
}

/// The same, submitted at `at` seconds (after a registry's latest move there, say).
pub fn submitted_at(
    name: &str,
    version: &str,
    environment: &Environment,
    at: u64,
) -> Model<Submitted> {
    let outcome =
        TrainingOutcome::new(DIGEST, Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap();
    Model::new(name, version)
        .unwrap()
        .in_environment(environment.clone())
        .submit(outcome, "alice", t(at))
        .unwrap()
}

/// A model of `environment` approved by carol and dave and deployed at `at` (after 10 s).
pub fn deployed_in(
    name: &str,
    version: &str,
    environment: &Environment,
    at: u64,
) -> Model<Deployed> {
    let mut m = submitted_in(name, version, environment);
    m.record(Review::approve("carol", DIGEST, t(at - 5)))
        .unwrap();
    m.record(Review::approve("dave", DIGEST, t(at - 4)))
        .unwrap();
    let Decided::Approved(m) = m
        .decide(&policy(), &DecisionContext::at(t(at - 1)))
        .unwrap()
    else {
        panic!("expected an approval")
    };
    m.mark_deployed(
        Receipt::new(format!("{environment}/{name}@{version}")),
        "ci",
        t(at),
    )
    .unwrap()
}

/// Which database a conformance test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    SqliteMemory,
    SqliteFile,
    Postgres,
}

/// A fresh, empty database for one test; removed by [`TestDb::drop_db`].
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    /// Keeps a named in-memory database alive between opens.
    keeper: Option<Store>,
    admin: Option<String>,
    name: String,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The PostgreSQL server's URL, or `None` (with a notice) where there is none and none is
/// required. With `MODELGATE_REQUIRE_PG=1` (CI), a missing URL fails the test.
pub fn pg_url() -> Option<String> {
    match std::env::var("MODELGATE_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("MODELGATE_REQUIRE_PG").as_deref() == Ok("1") {
                panic!(
                    "MODELGATE_REQUIRE_PG=1 but MODELGATE_PG_URL is not set: the PostgreSQL half of \
                     the suite cannot run (use scripts/with-postgres.sh)"
                );
            }
            eprintln!(
                "notice: MODELGATE_PG_URL is not set; skipping the PostgreSQL half of this test \
                 (run it with scripts/with-postgres.sh)"
            );
            None
        }
    }
}

/// `url` with its database replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

impl TestDb {
    /// A fresh database, or `None` for PostgreSQL without a server (see [`pg_url`]).
    pub async fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::SqliteMemory => {
                let name = unique("modelgate_mem");
                let url = format!("sqlite:file:{name}?mode=memory&cache=shared");
                let keeper = Store::open(&url, keys()).await.unwrap();
                Some(TestDb {
                    backend,
                    url,
                    keeper: Some(keeper),
                    admin: None,
                    name,
                })
            }
            Backend::SqliteFile => {
                let dir = std::env::temp_dir().join("modelgate-store-tests");
                std::fs::create_dir_all(&dir).unwrap();
                let name = unique("models");
                let path = dir.join(format!("{name}.db"));
                let url = format!("sqlite://{}?mode=rwc", path.display());
                Some(TestDb {
                    backend,
                    url,
                    keeper: None,
                    admin: None,
                    name: path.display().to_string(),
                })
            }
            Backend::Postgres => {
                let admin = pg_url()?;
                let name = unique("modelgate_test");
                // Opening any store installs sqlx's drivers for this process.
                Store::open("sqlite::memory:", keys()).await.unwrap();
                let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&pool)
                    .await
                    .unwrap();
                pool.close().await;
                let url = with_database(&admin, &name);
                Some(TestDb {
                    backend,
                    url,
                    keeper: None,
                    admin: Some(admin),
                    name,
                })
            }
        }
    }

    pub async fn open(&self) -> Store {
        self.open_with(keys()).await
    }

    pub async fn open_with(&self, keys: Keys) -> Store {
        Store::open_with(&self.url, keys, Options::default().max_connections(16))
            .await
            .unwrap()
    }

    /// Removes the database.
    pub async fn drop_db(self) {
        if let Some(keeper) = &self.keeper {
            keeper.close().await;
        }
        match self.backend {
            Backend::SqliteMemory => {}
            Backend::SqliteFile => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", self.name));
                }
            }
            Backend::Postgres => {
                if let Some(admin) = &self.admin {
                    let pool = sqlx::AnyPool::connect(admin).await.unwrap();
                    let _ = sqlx::query(&format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        self.name
                    ))
                    .execute(&pool)
                    .await;
                    pool.close().await;
                }
            }
        }
    }
}

/// Runs `sql` on the store's database, as an attacker with write access would.
pub async fn raw(store: &Store, sql: &str) {
    sqlx::query(sql).execute(store.pool()).await.unwrap();
}

/// Runs each named test, an `async fn(Backend)` of the calling file, on SQLite in memory,
/// SQLite in a file and (with the `postgres` feature) PostgreSQL:
/// `common::conformance!(test_a, test_b);`.
macro_rules! conformance {
    ($($test:ident),* $(,)?) => {
        mod sqlite_memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::common::Backend::SqliteMemory).await;
                }
            )*
        }
        mod sqlite_file {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::common::Backend::SqliteFile).await;
                }
            )*
        }
        #[cfg(feature = "postgres")]
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::common::Backend::Postgres).await;
                }
            )*
        }
    };
}
pub(crate) use conformance;
