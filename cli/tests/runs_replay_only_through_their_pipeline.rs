//! A run's trail replays only through its pipeline in the CLI: `verify --spec` and `registry
//! verify --spec` refuse a run that finished `failed` (fail_pipeline) and was then retrained and
//! approved outside the run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use modelgate::{
    Artifact, DecisionContext, HmacSealer, Metrics, Model, PipelineSpec, Review, Run, StoredModel,
    Timestamp, TrainingOutcome,
};

const SECRET: [u8; 32] = *b"0123456789abcdef0123456789abcdef";
const SPEC: &str = r#"{"steps": [
  {"name": "approve", "type": "approval", "on_reject": "fail_pipeline", "inputs": {"approvers": ["bob"]}}
]}"#;

fn t(s: u64) -> Timestamp {
    Timestamp::from_unix_secs(s)
}

fn out(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let o = Command::cargo_bin("modelgate")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.code().unwrap_or(-1), text)
}

#[test]
fn verify_refuses_a_failed_run_retrained_outside() {
    let dir = std::env::temp_dir().join("modelgate-attack17-cli");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("spec.json"), SPEC).unwrap();
    let hex: String = SECRET.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(
        dir.join("key.json"),
        format!(r#"{{"key_id": "ci-key", "hmac_sha256": "{hex}"}}"#),
    )
    .unwrap();
    let key = HmacSealer::new("ci-key", SECRET);
    let spec: PipelineSpec = serde_json::from_str(SPEC).unwrap();
    let p = spec.validate().unwrap();
    let mut run = Run::start(p.clone(), Model::new("churn", "1").unwrap(), "alice", t(0)).unwrap();
    run.handle_artifact(
        Artifact::new("sha256:1", Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap(),
        t(1),
    )
    .unwrap();
    run.record_vote(Review::reject("bob", "sha256:1", t(2)))
        .unwrap();
    let _ = run.poll(t(3)).unwrap();
    let run = run.into_model();
    // The live model refuses a retraining once its run finished; whoever holds the seal key can
    // still write one: the same steps on a model that never ran, chained onto the run's events.
    let outcome =
        |d: &str| TrainingOutcome::new(d, Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap();
    let mut m = Model::new("churn", "1")
        .unwrap()
        .submit(outcome("sha256:1"), "alice", t(1))
        .unwrap();
    m.record(Review::reject("bob", "sha256:1", t(2))).unwrap();
    let m = m
        .decide(&p.policy(), &DecisionContext::at(t(3)))
        .unwrap()
        .rejected()
        .unwrap();
    let m = m.retrain("mallory", t(10)).unwrap();
    let mut m = m.submit(outcome("sha256:2"), "mallory", t(11)).unwrap();
    m.record(Review::approve("bob", "sha256:2", t(12))).unwrap();
    let m = m
        .decide(&p.policy(), &DecisionContext::at(t(13)))
        .unwrap()
        .approved()
        .unwrap();
    let env = modelgate::Environment::default();
    let mut prev = modelgate::Head::of_header("churn", "1", &env);
    let mut events = Vec::new();
    for (seq, e) in (1u64..).zip(run.history().iter().chain(m.history().get(3..).unwrap())) {
        let e = modelgate::Event::from_parts(seq, e.at(), prev, e.kind().clone());
        prev = e.hash();
        events.push(e);
    }
    let trail = modelgate::Trail::from_parts("churn", "1", env, events).unwrap();
    let stored = StoredModel::new(trail, None).sealed_by(&key).unwrap();
    std::fs::write(
        dir.join("run.json"),
        serde_json::to_string(&stored).unwrap(),
    )
    .unwrap();
    let registry: modelgate::registry::StoredRegistry = serde_json::from_value(serde_json::json!({
        "format_version": modelgate::event::FORMAT_VERSION,
        "name": "churn",
        "members": [stored],
    }))
    .unwrap();
    let index_seal = modelgate::Sealer::seal(&key, &registry.index()).unwrap();
    let stored = registry.with_seal(index_seal);
    std::fs::write(
        dir.join("registry.json"),
        serde_json::to_string(&stored).unwrap(),
    )
    .unwrap();

    let (code, text) = out(
        &dir,
        &[
            "verify",
            "run.json",
            "--key",
            "key.json",
            "--spec",
            "spec.json",
        ],
    );
    let (rcode, rtext) = out(
        &dir,
        &[
            "registry",
            "verify",
            "registry.json",
            "--key",
            "key.json",
            "--spec",
            "spec.json",
        ],
    );
    let (scode, stext) = out(
        &dir,
        &[
            "show",
            "run.json",
            "--key",
            "key.json",
            "--spec",
            "spec.json",
        ],
    );
    assert_eq!(code, 1, "verify --spec: {text}");
    assert!(text.contains("the run is finished"), "{text}");
    assert_eq!(rcode, 1, "registry verify --spec: {rtext}");
    assert!(rtext.contains("the run is finished"), "{rtext}");
    assert_eq!(scode, 1, "show --spec: {stext}");
    assert!(stext.contains("status:   unknown"), "{stext}");
}
