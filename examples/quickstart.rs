//! The whole flow: a model with accuracy 0.82 is rejected by "accuracy at least 0.90 and 2
//! approvals", retrained, resubmitted with 0.93, approved by two reviewers (the submitter's own
//! vote does not count), deployed through a toy deployer; then the audit trail as a table.
//!
//! Run it with `cargo run --example quickstart`.

use std::convert::Infallible;
use std::error::Error;

use modelgate::{
    Approved, Decided, DecisionContext, Deployer, MetricGate, Metrics, Model, Quorum, Receipt,
    Review, Timestamp, TrainingOutcome,
};

/// A toy deployer: "deploys" by remembering the artifact digest.
#[derive(Default)]
struct ToyRegistry {
    serving: Vec<String>,
}

impl Deployer for ToyRegistry {
    type Error = Infallible;

    fn deploy(&mut self, model: &Model<Approved>) -> Result<Receipt, Infallible> {
        let digest = model.stage().submission().outcome().digest().to_string();
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

    let rejected = match model.decide(&policy, &DecisionContext::at(t(5)))? {
        Decided::Rejected(model) => model,
        other => return Err(format!("expected a rejection, got {}", other.verdict()).into()),
    };
    println!(
        "-> {}: {}",
        rejected.status(),
        rejected.stage().decision().verdict()
    );

    // Back to training, with the findings as feedback.
    let retraining = rejected.retrain(t(6))?;
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
    let mut model = match model.decide(&policy, &DecisionContext::at(t(80)))? {
        Decided::Pending(model, verdict) => {
            println!("-> still {}: {verdict}", model.status());
            model
        }
        other => return Err(format!("expected pending, got {}", other.verdict()).into()),
    };
    model.record(Review::approve("carol", digest.as_str(), t(95)).with_role("team_lead"))?;

    let approved = match model.decide(&policy, &DecisionContext::at(t(100)))? {
        Decided::Approved(model) => model,
        other => return Err(format!("expected an approval, got {}", other.verdict()).into()),
    };
    let approvers: Vec<&str> = approved.stage().approvals().map(Review::reviewer).collect();
    println!(
        "-> {} by {}: {}",
        approved.status(),
        approvers.join(" and "),
        approved.stage().decision().verdict()
    );

    let mut registry = ToyRegistry::default();
    let deployed = approved.deploy(&mut registry, t(110))?;
    println!("-> {}: {}", deployed.status(), deployed.stage().receipt());

    println!(
        "\naudit trail of {} {}:",
        deployed.name(),
        deployed.version()
    );
    println!("{:>4}  {:<10}  {:<48}  result", "step", "action", "actor");
    for event in deployed.history() {
        let actor = event.actor().to_string();
        println!(
            "{:>4}  {:<10}  {:<48}  {}",
            event.seq(),
            event.action(),
            actor,
            event.detail()
        );
    }
    Ok(())
}
