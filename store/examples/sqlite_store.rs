//! Approvers voting at the same time on a model stored in SQLite, from a synchronous host
//! (plain threads, no async runtime of its own), then a restart.
//!
//! Every vote is a compare-and-swap on the model's head, tried again when another approver
//! wrote first, so no vote is lost. After the votes the process "restarts": it opens the file
//! again, restores the model (chain, seal and the policy checked), decides and deploys it.
//!
//! Run it with `cargo run -p modelgate-store --example sqlite_store`.

use std::error::Error;
use std::thread;

use modelgate::{
    AnyModel, Decided, DecisionContext, HmacSealer, MetricGate, Metrics, Model, Quorum, Receipt,
    Review, Timestamp, TrainingOutcome,
};
use modelgate_store::blocking::Store;
use modelgate_store::{Keys, ModelKey, Retry};

fn policy() -> (MetricGate, Quorum) {
    (
        MetricGate::at_least("accuracy", 0.9),
        Quorum::new(3).eligible_roles(["reviewer"]),
    )
}

fn keys() -> Keys {
    // In a real host: a secret from the host's secret store, or a KMS behind `Sealer`.
    let key = HmacSealer::new("host-key-2026", *b"0123456789abcdef0123456789abcdef");
    Keys::new(key.clone(), key)
}

fn main() -> Result<(), Box<dyn Error>> {
    let t = Timestamp::from_unix_secs;
    let dir = std::env::temp_dir().join(format!("modelgate-sqlite-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("models.db");
    let key = ModelKey::new("fraud-detector", "2026.11");

    let store = Store::open_file(&path, keys())?;
    let outcome = TrainingOutcome::new("sha256:sql", Metrics::new([("accuracy", 0.94)])?)?;
    let model = Model::new(key.name(), key.version())?.submit(outcome, "alice", t(100))?;
    let written = store.create(&model)?;
    println!("stored {key} at revision {}", written.revision);

    // Four approvers vote at once, each from its own thread, through the same store.
    let voters = ["bob", "carol", "dave", "erin"];
    let handles: Vec<_> = voters
        .into_iter()
        .map(|who| {
            let (store, key) = (store.clone(), key.clone());
            thread::spawn(move || {
                let vote = Review::approve(who, "sha256:sql", t(200)).with_role("reviewer");
                store.record_vote(&key, &policy(), &vote, &Retry::default())
            })
        })
        .collect();
    for (who, handle) in voters.iter().zip(handles) {
        let voted = handle.join().map_err(|_| "a voter thread panicked")??;
        println!(
            "{who} voted: revision {} ({} conflicts retried)",
            voted.written.revision, voted.conflicts
        );
    }
    store.close();
    drop(store);

    // Restart: the file opened again, the model restored and checked, decided and deployed.
    let store = Store::open_file(&path, keys())?;
    let loaded = store.restore(&key, &policy())?;
    println!(
        "after restart: revision {}, head {}",
        loaded.revision, loaded.head
    );
    let AnyModel::Submitted(model) = loaded.model else {
        return Err("expected a submitted model".into());
    };
    let Decided::Approved(model) = model.decide(&policy(), &DecisionContext::at(t(300)))? else {
        return Err("expected an approval".into());
    };
    println!("{}", model.stage().decision().verdict());
    let model = model.mark_deployed(Receipt::new("prod/fraud-detector"), "deployer", t(310))?;
    let written = store.append(loaded.head, &model)?;
    for deployed in store.current_deployments(Some(key.name()))? {
        println!(
            "current deployment: {} in `{}` at revision {}",
            deployed.key, deployed.environment, written.revision
        );
    }
    println!("audit trail:");
    for event in store.audit_trail(&key)? {
        println!("  {event}");
    }
    store.close();
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
