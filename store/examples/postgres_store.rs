//! An async (tokio) host on PostgreSQL: a pipeline run stored at its approval pause, votes
//! arriving from several tasks at once, a restart, and the run resumed to its end.
//!
//! It reads the server's URL from `MODELGATE_PG_URL`, e.g.
//! `postgres://postgres@127.0.0.1:5432/modelgate`. Without a server of your own, run it inside
//! a throw-away one:
//!
//! ```sh
//! scripts/with-postgres.sh cargo run -p modelgate-store --features postgres --example postgres_store
//! ```
//!
//! (`scripts/with-postgres.sh` needs PostgreSQL's server binaries: on Debian
//! `apt-get install postgresql-15`.) The example creates its tables if needed and a model
//! named after its process id, so it can run against a database that has other data.

use std::error::Error;

use modelgate::{
    Action, Artifact, HmacSealer, Metrics, Model, PipelineSpec, Receipt, Review, Run, Timestamp,
};
use modelgate_store::{Awaiting, Keys, ModelKey, Retry, Store};

const SPEC: &str = r#"{"steps": [
    {"name": "train", "type": "training"},
    {"name": "approve", "type": "approval",
     "inputs": {"approvers": ["team_lead", "bob", "carol"], "required": 2}},
    {"name": "deploy", "type": "deploy"}
]}"#;

fn keys() -> Keys {
    let key = HmacSealer::new("host-key-2026", *b"0123456789abcdef0123456789abcdef");
    Keys::new(key.clone(), key)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let Ok(url) = std::env::var("MODELGATE_PG_URL") else {
        return Err("set MODELGATE_PG_URL (see the top of examples/postgres_store.rs), or run \
                    scripts/with-postgres.sh cargo run -p modelgate-store --features postgres --example postgres_store"
            .into());
    };
    let t = Timestamp::from_unix_secs;
    let spec: PipelineSpec = serde_json::from_str(SPEC)?;
    let version = format!("pid-{}", std::process::id());
    let key = ModelKey::new("recommender", version.as_str());

    // Host 1 trains, stores the run and goes down while it waits for approval.
    {
        let store = Store::open(&url, keys()).await?;
        let mut run = Run::start(
            spec.validate()?,
            Model::new("recommender", version.as_str())?,
            "alice",
            t(0),
        )?;
        let created = store.create(&run).await?;
        println!("{}: {}", key, run.poll(t(1))?);
        run.handle_artifact(
            Artifact::new("sha256:rec", Metrics::new([("ndcg", 0.41)])?)?,
            t(2),
        )?;
        println!("{}: {}", key, run.poll(t(3))?);
        store.append(created.head, &run).await?;
        store.close().await;
    }

    // Host 2 (after a restart, or another machine): the reviewers' queues, votes at once.
    let store = Store::open(&url, keys()).await?;
    let queue = store
        .awaiting_approval(&Awaiting::all().for_reviewer("bob", Vec::<String>::new()))
        .await?;
    println!(
        "bob's queue: {:?}",
        queue.iter().map(|s| s.key.to_string()).collect::<Vec<_>>()
    );
    let pipeline = spec.validate()?;
    let votes = ["bob", "carol"].map(|who| {
        let (store, key, pipeline) = (store.clone(), key.clone(), pipeline.clone());
        tokio::spawn(async move {
            let review = Review::approve(who, "sha256:rec", t(10));
            store
                .record_run_vote(&key, &pipeline, &review, &Retry::default())
                .await
        })
    });
    for vote in votes {
        let voted = vote.await??;
        println!(
            "vote recorded: revision {} ({} conflicts retried)",
            voted.written.revision, voted.conflicts
        );
    }

    // Resume the run where the store has it, deploy, finish.
    for unfinished in store.unfinished_runs().await? {
        if unfinished.key != key {
            continue;
        }
        let loaded = store.restore_run(&unfinished.key, pipeline.clone()).await?;
        let mut run = loaded.model;
        let action = run.poll(t(20))?;
        println!("{}: {action}", unfinished.key);
        if let Action::Deploy { .. } = action {
            run.handle_deployed(Receipt::new("prod/recommender"), t(21))?;
        }
        println!("{}: {}", unfinished.key, run.poll(t(22))?);
        store.append(loaded.head, &run).await?;
    }
    for deployed in store.current_deployments(Some("recommender")).await? {
        println!(
            "current deployment of {} in `{}`",
            deployed.key, deployed.environment
        );
    }
    store.close().await;
    Ok(())
}
