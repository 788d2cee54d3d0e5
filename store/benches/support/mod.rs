//! What every group of the store bench shares: the keys, the policy, fresh names, the backends.

use super::*;

pub const DIGEST: &str = "sha256:bench";
pub const MODELS_PER_ROUND: usize = 16;

pub fn keys() -> Keys {
    let key = HmacSealer::new("bench", *b"0123456789abcdef0123456789abcdef");
    Keys::new(key.clone(), key)
}

pub fn policy() -> (MetricGate, Quorum) {
    (MetricGate::at_least("accuracy", 0.9), Quorum::new(100))
}

pub fn submitted(name: &str, version: &str) -> Model<Submitted> {
    let outcome =
        TrainingOutcome::new(DIGEST, Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap();
    Model::new(name, version)
        .unwrap()
        .submit(outcome, "alice", Timestamp::from_unix_secs(10))
        .unwrap()
}

pub static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub fn fresh(prefix: &str) -> String {
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The backends to measure: a SQLite file, and PostgreSQL when `MODELGATE_PG_URL` is set.
pub fn backends(rt: &Runtime) -> Vec<(&'static str, Arc<Store>, String)> {
    let dir = std::env::temp_dir().join(format!("modelgate-store-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let options = Options::default().max_connections(16);
    let sqlite = format!("sqlite://{}/bench.db?mode=rwc", dir.display());
    let mut out = vec![(
        "sqlite",
        Arc::new(
            rt.block_on(Store::open_with(&sqlite, keys(), options.clone()))
                .unwrap(),
        ),
        sqlite,
    )];
    match std::env::var("MODELGATE_PG_URL") {
        Ok(url) if !url.is_empty() => {
            // A database of its own for each group, so that each measures only its own rows.
            let db = fresh("bench").replace('-', "_");
            let url = rt.block_on(async {
                let admin = sqlx::AnyPool::connect(&url).await.unwrap();
                sqlx::query(&format!("CREATE DATABASE {db}"))
                    .execute(&admin)
                    .await
                    .unwrap();
                admin.close().await;
                with_database(&url, &db)
            });
            let store = rt
                .block_on(Store::open_with(&url, keys(), options))
                .unwrap();
            out.push(("postgres", Arc::new(store), url));
        }
        _ => eprintln!("notice: MODELGATE_PG_URL is not set; PostgreSQL is not measured"),
    }
    for (_, store, _) in &out {
        rt.block_on(async {
            sqlx::query(
                "CREATE TABLE IF NOT EXISTS bench_baseline (name TEXT NOT NULL, version TEXT NOT NULL,
                    seq BIGINT NOT NULL, at BIGINT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL,
                    action TEXT NOT NULL, actor TEXT, event TEXT NOT NULL, PRIMARY KEY (name, version, seq))",
            )
            .execute(store.pool())
            .await
            .unwrap();
        });
    }
    out
}

/// `url` with its database replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = base[scheme_end..]
        .find('/')
        .map_or(base, |i| &base[..scheme_end + i]);
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// The JSON of a vote event, as the store writes it, for the baseline rows.
pub fn vote_json(who: &str) -> String {
    let mut m = submitted("x", "1");
    m.record(Review::approve(who, DIGEST, Timestamp::from_unix_secs(20)))
        .unwrap();
    serde_json::to_string(m.history()[1].kind()).unwrap()
}
