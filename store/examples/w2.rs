//! Workload W2 (issue 19, "Side by side with MLflow"), modelgate's side: for each of `n`
//! versions of one model, as a synchronous host would do it one after the other,
//!
//! 1. create: `Store::create` of a submitted model (metrics: accuracy 0.93);
//! 2. two approvals: `Store::record_vote` ×2 (bob, carol);
//! 3. decide: `Store::restore`, `Model::decide` under `MetricGate::at_least("accuracy", 0.9)`
//!    with `Quorum::new(2)`, `Store::append`;
//! 4. deploy: `Model::mark_deployed` with a receipt, `Store::append`;
//! 5. read back which version is in production: `Store::current_deployments(Some(name))`,
//!    checked to be this version.
//!
//! Opening the store (and migrating its schema) is not timed; the `n` versions are. It prints
//! one line, `modelgate <n> <seconds> <versions/s>`, then the time spent in each step.
//!
//! Driven by `store/benches/mlflow/run.sh`; by hand:
//!
//! ```sh
//! cargo run --release -p modelgate-store --all-features --example w2 -- sqlite:///tmp/w2.db?mode=rwc 100
//! ```
//!
//! The URL is any the store opens (`sqlite://…`, `postgres://…`); use a fresh database.

use std::error::Error;
use std::time::{Duration, Instant};

use modelgate::{
    AnyModel, Decided, DecisionContext, HmacSealer, MetricGate, Metrics, Model, Quorum, Receipt,
    Review, Timestamp, TrainingOutcome,
};
use modelgate_store::blocking::Store;
use modelgate_store::{Keys, ModelKey, Retry};

const NAME: &str = "w2-model";

fn policy() -> (MetricGate, Quorum) {
    (MetricGate::at_least("accuracy", 0.9), Quorum::new(2))
}

fn keys() -> Keys {
    let key = HmacSealer::new("w2", *b"0123456789abcdef0123456789abcdef");
    Keys::new(key.clone(), key)
}

/// Time spent in each step, over all versions.
#[derive(Default)]
struct Steps {
    create: Duration,
    votes: Duration,
    decide: Duration,
    deploy: Duration,
    read_back: Duration,
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(n)) = (args.next(), args.next()) else {
        return Err("usage: w2 <store url> <versions>".into());
    };
    let n: u64 = n.parse()?;
    let store = Store::open(&url, keys())?;
    let policy = policy();
    let retry = Retry::default();
    let mut steps = Steps::default();

    let started = Instant::now();
    for v in 1..=n {
        // Each version's events an hour apart from the last's, so the latest deployment is
        // the current one.
        let t = |s: u64| Timestamp::from_unix_secs(1_800_000_000 + v * 3_600 + s);
        let version = v.to_string();
        let key = ModelKey::new(NAME, version.as_str());
        let digest = format!("sha256:w2-{v}");

        let step = Instant::now();
        let outcome = TrainingOutcome::new(digest.as_str(), Metrics::new([("accuracy", 0.93)])?)?;
        let model = Model::new(NAME, version.as_str())?.submit(outcome, "alice", t(0))?;
        store.create(&model)?;
        steps.create += step.elapsed();

        let step = Instant::now();
        for (i, who) in ["bob", "carol"].into_iter().enumerate() {
            let vote = Review::approve(who, digest.as_str(), t(10 + i as u64));
            store.record_vote(&key, &policy, &vote, &retry)?;
        }
        steps.votes += step.elapsed();

        let step = Instant::now();
        let loaded = store.restore(&key, &policy)?;
        let AnyModel::Submitted(model) = loaded.model else {
            return Err(format!("{key}: expected a submitted model").into());
        };
        let Decided::Approved(model) = model.decide(&policy, &DecisionContext::at(t(20)))? else {
            return Err(format!("{key}: expected an approval").into());
        };
        let written = store.append(loaded.head, &model)?;
        steps.decide += step.elapsed();

        let step = Instant::now();
        let model =
            model.mark_deployed(Receipt::new(format!("prod/{NAME}/{v}")), "deployer", t(30))?;
        store.append(written.head, &model)?;
        steps.deploy += step.elapsed();

        let step = Instant::now();
        let current = store.current_deployments(Some(NAME))?;
        match current.as_slice() {
            [one] if one.key == key => {}
            other => {
                let found: Vec<String> = other.iter().map(|s| s.key.to_string()).collect();
                return Err(format!("{key}: current deployments {found:?}").into());
            }
        }
        steps.read_back += step.elapsed();
    }
    let elapsed = started.elapsed().as_secs_f64();
    store.close();

    println!("modelgate {n} {elapsed:.3} {:.1}", n as f64 / elapsed);
    let per = |d: Duration| d.as_secs_f64() * 1e3 / n as f64;
    eprintln!(
        "modelgate {n}: ms per version: create {:.2}, 2 votes {:.2}, decide {:.2}, deploy {:.2}, read back {:.2}",
        per(steps.create),
        per(steps.votes),
        per(steps.decide),
        per(steps.deploy),
        per(steps.read_back),
    );
    Ok(())
}
