//! A pipeline from YAML, driven by a synchronous host: it trains, evaluates, and pauses for
//! approval; the run's trail is sealed and saved as JSON; a "new process" restores it (replaying
//! every event against the pipeline), records two votes, and deploys. At the end, the error a
//! user gets for `approvers: 'bob'`.
//!
//! Run it with `cargo run --example pipeline_yaml`.

use std::convert::Infallible;
use std::error::Error;
use std::path::PathBuf;

use modelgate::value::OutcomeError;
use modelgate::{
    Action, Approved, Artifact, Deployer, Digest, Evaluator, Finding, HmacSealer, Metrics, Model,
    Pipeline, PipelineSpec, Receipt, Review, Run, StoredModel, Timestamp, Trainer,
};

/// The host's sealing key. A real host loads it from its secret store.
fn sealing_key() -> HmacSealer {
    HmacSealer::new("pipeline-host-2026", *b"an example key, never use it!!!!")
}

/// Reads `examples/pipeline.yaml` and validates it, as the host does at every start.
fn load_pipeline() -> Result<Pipeline, Box<dyn Error>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/pipeline.yaml");
    let spec: PipelineSpec = serde_saphyr::from_str(&std::fs::read_to_string(path)?)?;
    Ok(spec.validate()?)
}

/// A toy host: training names the artifact after the attempt; evaluation measures 0.86.
struct ToyHost;

impl Trainer for ToyHost {
    type Error = OutcomeError;
    fn train(&mut self, attempt: u32, feedback: &[Finding]) -> Result<Artifact, OutcomeError> {
        println!(
            "  host: training attempt {attempt} ({} findings of feedback)",
            feedback.len()
        );
        Artifact::new(
            format!("sha256:fraud-{attempt}"),
            Metrics::new([("train_loss", 0.21)])?,
        )
    }
}

impl Evaluator for ToyHost {
    type Error = OutcomeError;
    fn evaluate(&mut self, step: &str, artifact: &Digest) -> Result<Metrics, OutcomeError> {
        println!("  host: evaluating {artifact} for step `{step}`");
        Metrics::new([("accuracy", 0.86)])
    }
}

impl Deployer for ToyHost {
    type Error = Infallible;
    fn deploy(&mut self, model: &Model<Approved>) -> Result<Receipt, Infallible> {
        let digest = model.stage().submission().digest();
        println!("  host: deploying {digest}");
        Ok(Receipt::new(format!("prod/{}@{digest}", model.name())))
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    // The host's clock: here, seconds counted from a fixed start.
    let mut clock = 1_764_190_800;
    let mut now = move || {
        clock += 60;
        Timestamp::from_unix_secs(clock)
    };
    let checkpoint_file = std::env::temp_dir().join("modelgate-pipeline-yaml-checkpoint.json");

    // Process 1: drive until the run must wait for people, then save it.
    {
        let pipeline = load_pipeline()?;
        let model = Model::new("fraud-detector", "2026.11")?;
        let mut run = Run::start(pipeline, model, "mlbot", now())?;
        println!("process 1: driving");
        let paused = run.drive(&mut ToyHost, &mut now)?;
        println!("process 1: {paused}");
        let stored = StoredModel::from(&run).sealed_by(&sealing_key())?;
        std::fs::write(&checkpoint_file, serde_json::to_string_pretty(&stored)?)?;
        println!(
            "process 1: saved the run to {} and exits",
            checkpoint_file.display()
        );
    }

    // Process 2, days later: restore against the host's own pipeline file, record votes, finish.
    let stored: StoredModel = serde_json::from_str(&std::fs::read_to_string(&checkpoint_file)?)?;
    let mut run = Run::restore(stored, load_pipeline()?, &sealing_key())?;
    println!("process 2: restored; {}", run.poll(now())?);
    let Action::AwaitApproval { artifact, .. } = run.poll(now())? else {
        return Err("the restored run should wait for approval".into());
    };
    let artifact = artifact.to_string();
    run.record_vote(
        Review::approve("mlbot", artifact.as_str(), now()).with_comment("my own model"),
    )?;
    println!(
        "process 2: mlbot (the submitter) approves; {}",
        run.poll(now())?
    );
    run.record_vote(Review::approve("carol", artifact.as_str(), now()).with_role("team_lead"))?;
    println!("process 2: carol (team_lead) approves");
    let done = run.drive(&mut ToyHost, &mut now)?;
    println!("process 2: {done}");
    std::fs::remove_file(&checkpoint_file)?;

    // What a user sees for a single approver written as a string.
    let broken = "steps:\n  - { name: train_model, type: training }\n  - name: approve_model\n    type: approval\n    inputs:\n      approvers: 'bob'\n";
    let spec: PipelineSpec = serde_saphyr::from_str(broken)?;
    if let Err(errors) = spec.validate() {
        println!("\nwith `approvers: 'bob'`:\n{errors}");
    }
    Ok(())
}
