//! The whole flow: a model with accuracy 0.82 is rejected by "accuracy at least 0.90 and 2
//! approvals", retrained, resubmitted with 0.93, approved by two reviewers (the submitter's own
//! vote does not count), deployed through a toy deployer; then sealed and stored, restored
//! (the trail replayed under the policy), and the audit trail printed as a table.
//!
//! Run it with `cargo run --example quickstart`.

use std::convert::Infallible;
use std::error::Error;

use modelgate::{
    AnyModel, Approved, DecisionContext, Deployer, HmacSealer, MetricGate, Metrics, Model, Quorum,
    Receipt, Review, StoredModel, Timestamp, TrainingOutcome,
};

/// A toy deployer: "deploys" by remembering the artifact digest.
#[derive(Default)]
struct ToyRegistry {
    serving: Vec<String>,
}

impl Deployer for ToyRegistry {
    type Error = Infallible;

    fn deploy(&mut self, model: &Model<Approved>) -> Result<Receipt, Infallible> {
        let digest = model.stage().submission().digest().to_string();
        self.serving.push(digest.clone());
        Ok(Receipt::new(format!(
            "toy-registry/{}@{digest}",
            model.name()
        )))
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    // The host passes time in; here, minutes after an arbitrary start.
    let t = |minute: u64| Timestamp::from_unix_secs(1_764_190_800 + minute * 60);
    let policy = (MetricGate::at_least("accuracy", 0.90), Quorum::new(2));
    println!("policy: {}", modelgate::Policy::name(&policy));

    // Attempt 1: accuracy 0.82.
    let model = Model::new("fraud-detector", "2026.11")?;
    println!("{} {}: {}", model.name(), model.version(), model.status());
    let first = TrainingOutcome::new("sha256:1c0ffee1", Metrics::new([("accuracy", 0.82)])?)?;
    let model = model.submit(first, "alice", t(0))?;
    println!(
        "-> {} (attempt {})",
        model.status(),
        model.stage().submission().attempt()
    );

    let rejected = model
        .decide(&policy, &DecisionContext::at(t(5)))?
        .rejected()?;
    println!(
        "-> {}: {}",
        rejected.status(),
        rejected.stage().decision().verdict()
    );

    // Back to training, with the findings as feedback.
    let retraining = rejected.retrain("alice", t(6))?;
    println!("-> {}; feedback for the trainer:", retraining.status());
    for finding in retraining.stage().feedback() {
        println!("     {finding}");
    }

    // Attempt 2: accuracy 0.93.
    let second = TrainingOutcome::new("sha256:2badcafe", Metrics::new([("accuracy", 0.93)])?)?
        .with_notes("more data, class weights");
    let digest = second.digest().to_string();
    let mut model = retraining.submit(second, "alice", t(60))?;
    println!(
        "-> {} (attempt {})",
        model.status(),
        model.stage().submission().attempt()
    );

    model.record(
        Review::approve("alice", digest.as_str(), t(61)).with_comment("looks good to me"),
    )?;
    model.record(Review::approve("bob", digest.as_str(), t(75)).with_role("ml_reviewer"))?;
    let (mut model, verdict) = model
        .decide(&policy, &DecisionContext::at(t(80)))?
        .pending()?;
    println!("-> still {}: {verdict}", model.status());
    model.record(Review::approve("carol", digest.as_str(), t(95)).with_role("team_lead"))?;

    let approved = model
        .decide(&policy, &DecisionContext::at(t(100)))?
        .approved()?;
    let approvers: Vec<&str> = approved.stage().approvals().map(Review::reviewer).collect();
    println!(
        "-> {} by {}: {}",
        approved.status(),
        approvers.join(" and "),
        approved.stage().decision().verdict()
    );

    let mut registry = ToyRegistry::default();
    let deployed = approved.deploy(&mut registry, "deployer", t(110))?;
    println!("-> {}: {}", deployed.status(), deployed.stage().receipt());

    // Store it sealed with the host's key; restoring checks the chain and the seal, and
    // replays every event through the transitions, deciding again with the policy.
    let key = HmacSealer::new("quickstart-2026", *b"an example key, never use it!!!!");
    let json = serde_json::to_string(&StoredModel::from(&deployed).sealed_by(&key)?)?;
    let stored: StoredModel = serde_json::from_str(&json)?;
    let AnyModel::Deployed(restored) = stored.restore(&key, &policy)? else {
        return Err("expected a deployed model".into());
    };
    assert_eq!(restored, deployed);
    println!("stored {} bytes; head {}", json.len(), deployed.head());

    println!(
        "\naudit trail of {} {}:",
        deployed.name(),
        deployed.version()
    );
    println!("{:>4}  {:<13}  {:<48}  result", "step", "action", "actor");
    for event in deployed.history() {
        let actor = event.actor().to_string();
        println!(
            "{:>4}  {:<13}  {:<48}  {}",
            event.seq(),
            event.action(),
            actor,
            event.detail()
        );
    }
    Ok(())
}
