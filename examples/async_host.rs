//! An async host: a tokio program with async training, evaluation and deployment drives the
//! sans-I/O run itself (no hooks), while reviewers' votes arrive on a channel from another task.
//!
//! Run it with `cargo run --example async_host`.

use std::error::Error;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use modelgate::{
    Action, Artifact, Digest, Metrics, Model, PipelineSpec, Receipt, Review, Run, Timestamp,
};
use tokio::sync::mpsc;

/// The host's clock: the crate never reads one, the host does.
fn now() -> Timestamp {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_unix_millis(u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX))
}

async fn train(attempt: u32) -> Result<Artifact, Box<dyn Error>> {
    tokio::time::sleep(Duration::from_millis(20)).await; // a remote training job
    Ok(Artifact::new(
        format!("sha256:async-{attempt}"),
        Metrics::default(),
    )?)
}

async fn evaluate(attempt: u32) -> Result<Metrics, Box<dyn Error>> {
    tokio::time::sleep(Duration::from_millis(10)).await; // a remote evaluation job
    let accuracy = if attempt == 1 { 0.75 } else { 0.87 }; // the retrained model is better
    Ok(Metrics::new([("accuracy", accuracy)])?)
}

async fn deploy(artifact: &Digest) -> Result<Receipt, Box<dyn Error>> {
    tokio::time::sleep(Duration::from_millis(10)).await; // a rollout
    Ok(Receipt::new(format!("k8s/fraud-detector@{artifact}")))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let spec: PipelineSpec = serde_json::from_str(
        r#"{"steps": [
            {"name": "train", "type": "training"},
            {"name": "evaluate", "type": "test", "inputs": {"gates": [{"metric": "accuracy", "at_least": 0.8}]}},
            {"name": "approve", "type": "approval", "on_reject": "retrain",
             "inputs": {"approvers": ["bob", "carol", "ml_reviewer"], "required": 2}},
            {"name": "deploy", "type": "deploy"}
        ]}"#,
    )?;
    let model = Model::new("fraud-detector", "async")?;
    let mut run = Run::start(spec.validate()?, model, "mlbot", now())?;

    // Reviewers vote from elsewhere (a web handler, a chat bot …): here, a task on a channel.
    let (votes_tx, mut votes) = mpsc::channel::<Review>(8);
    let mut reviewers_started = false;

    loop {
        match run.poll(now())? {
            Action::ProvideArtifact => return Err("this pipeline trains its own artifacts".into()),
            Action::Train { attempt, feedback } => {
                let feedback: Vec<String> = feedback.iter().map(ToString::to_string).collect();
                println!(
                    "train attempt {attempt}; feedback: [{}]",
                    feedback.join("; ")
                );
                let trained = train(attempt).await?;
                run.handle_artifact(trained, now())?;
            }
            Action::Evaluate { step, artifact } => {
                println!("evaluate {artifact} for `{step}`");
                let attempt = artifact
                    .as_str()
                    .rsplit('-')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1);
                let metrics = evaluate(attempt).await?;
                run.handle_evaluated(&step, metrics, now())?;
            }
            Action::AwaitApproval {
                artifact, verdict, ..
            } => {
                println!("waiting for approval: {verdict}");
                if !reviewers_started {
                    reviewers_started = true;
                    let tx = votes_tx.clone();
                    let artifact = artifact.to_string();
                    tokio::spawn(async move {
                        for who in ["bob", "carol"] {
                            tokio::time::sleep(Duration::from_millis(30)).await;
                            let vote = Review::approve(who, artifact.as_str(), now())
                                .with_role("ml_reviewer");
                            if tx.send(vote).await.is_err() {
                                return;
                            }
                        }
                    });
                }
                let Some(vote) = votes.recv().await else {
                    return Err("the reviewers went away".into());
                };
                println!("vote from {}", vote.reviewer());
                run.record_vote(vote)?;
            }
            Action::Deploy { artifact } => {
                println!("deploy {artifact}");
                let receipt = deploy(&artifact).await?;
                run.handle_deployed(receipt, now())?;
            }
            done @ Action::Finished { .. } => {
                println!("{done}");
                return Ok(());
            }
        }
    }
}
