//! Approvers voting at the same time on one model stored in SQLite, then a restart.
//!
//! Models are stored as `StoredModel` JSON with a revision column; every vote is a
//! compare-and-swap on the revision, retried if another approver wrote first, so no vote is
//! lost. After the votes, the process "restarts": it reopens the database, restores the model
//! (checked against the policy), decides and marks it deployed.
//!
//! Run it with `cargo run --example sqlite_store`.

mod store;

use std::error::Error;
use std::thread;

use modelgate::{
    AnyModel, Decided, DecisionContext, MetricGate, Metrics, Model, Quorum, Receipt, Review,
    StoredModel, Timestamp, TrainingOutcome,
};
use store::{Key, Store};

fn policy() -> (MetricGate, Quorum) {
    (
        MetricGate::at_least("accuracy", 0.9),
        Quorum::new(3).eligible_roles(["reviewer"]),
    )
}

fn main() -> Result<(), Box<dyn Error>> {
    let t = Timestamp::from_unix_secs;
    let dir = std::env::temp_dir().join(format!("modelgate-sqlite-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("models.db");
    let key = Key {
        name: "fraud-detector",
        version: "2026.11",
    };

    let outcome = TrainingOutcome::new("sha256:sql", Metrics::new([("accuracy", 0.94)])?)?;
    let model = Model::new(key.name, key.version)?.submit(outcome, "alice", t(100))?;
    Store::open(&path)?.insert(&StoredModel::from(&model))?;
    println!(
        "stored {} {} at revision {}",
        key.name,
        key.version,
        model.revision()
    );

    // Four approvers vote at once, each through their own connection.
    let voters: [&'static str; 4] = ["bob", "carol", "dave", "erin"];
    let handles: Vec<_> = voters
        .into_iter()
        .enumerate()
        .map(|(i, who)| {
            let path = path.clone();
            thread::spawn(move || -> Result<u32, String> {
                let store = Store::open(&path).map_err(|e| e.to_string())?;
                let key = Key {
                    name: "fraud-detector",
                    version: "2026.11",
                };
                let vote = |at| Review::approve(who, "sha256:sql", at).with_role("reviewer");
                let updated = store
                    .record_vote(&key, &policy(), t(200 + i as u64), vote)
                    .map_err(|e| e.to_string())?;
                Ok(updated.retries)
            })
        })
        .collect();
    for (who, handle) in voters.iter().zip(handles) {
        let retries = handle.join().map_err(|_| "a voter thread panicked")??;
        println!("{who} voted ({retries} retries)");
    }

    // Restart: a new connection, the model restored and checked, decided and deployed.
    let store = Store::open(&path)?;
    let (stored, revision) = store.load(&key)?;
    println!(
        "after restart: revision {revision}, {} events",
        stored.events().len()
    );
    let AnyModel::Submitted(model) = stored.restore_unsealed(&policy())? else {
        return Err("expected a submitted model".into());
    };
    let Decided::Approved(model) = model.decide(&policy(), &DecisionContext::at(t(300)))? else {
        return Err("expected an approval".into());
    };
    println!("{}", model.stage().decision().verdict());
    let model = model.mark_deployed(Receipt::new("prod/fraud-detector"), "deployer", t(310))?;
    store.update(&key, |_| Ok(StoredModel::from(&model)))?;
    let (stored, revision) = store.load(&key)?;
    let status = stored.restore_unsealed(&policy())?.status();
    println!("stored as {status} at revision {revision}");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
