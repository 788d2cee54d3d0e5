//! A decision is held to the policy in force when it was made (issue 18, from an attacker's
//! review): `registry verify --spec old --spec-from <t> new` refuses a model or a run decided
//! by the older policy after `new` came in force; a run in an environment given a registered
//! policy (`--policy env=<fp>`) is held to that policy, not its pipeline's; `check` refuses a
//! spec that approves without any vote.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use modelgate::*;

const SECRET: [u8; 32] = *b"0123456789abcdef0123456789abcdef";
const OLD: &str = r#"{"steps": [
  {"name": "approve", "type": "approval", "inputs": {"users": ["bob"], "required": 1}}
]}"#;
const NEW: &str = r#"{"steps": [
  {"name": "approve", "type": "approval", "inputs": {"users": ["bob", "carol"], "required": 2}}
]}"#;
/// The new version is in force from 1,000 s.
const FROM: &str = "1970-01-01T00:16:40Z";

fn t(s: u64) -> Timestamp {
    Timestamp::from_unix_secs(s)
}

fn dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("modelgate-attack18-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let hex: String = SECRET.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(
        dir.join("key.json"),
        format!(r#"{{"key_id": "ci-key", "hmac_sha256": "{hex}"}}"#),
    )
    .unwrap();
    std::fs::write(dir.join("old.json"), OLD).unwrap();
    std::fs::write(dir.join("new.json"), NEW).unwrap();
    dir
}

fn out(dir: &Path, args: &[&str]) -> (i32, String) {
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

fn pipeline(spec: &str) -> Pipeline {
    serde_json::from_str::<PipelineSpec>(spec)
        .unwrap()
        .validate()
        .unwrap()
}

fn write_registry(dir: &Path, registry: &Registry) {
    let key = HmacSealer::new("ci-key", SECRET);
    let stored = registry.sealed_by(&key).unwrap();
    std::fs::write(
        dir.join("registry.json"),
        serde_json::to_string(&stored).unwrap(),
    )
    .unwrap();
}

fn verify_with_versions(dir: &Path) -> (i32, String) {
    out(
        dir,
        &[
            "registry",
            "verify",
            "registry.json",
            "--key",
            "key.json",
            "--spec",
            "old.json",
            "--spec-from",
            FROM,
            "new.json",
        ],
    )
}

/// Control: a plain model decided at 5,000 s by the old policy is refused (the book's version
/// in force then is the new one).
#[test]
fn a_model_decided_by_the_old_policy_after_the_new_came_in_force_is_refused() {
    let dir = dir("versions-model");
    let old = pipeline(OLD).policy();
    let outcome = TrainingOutcome::new("sha256:1", Metrics::default()).unwrap();
    let mut m = Model::new("churn", "1")
        .unwrap()
        .submit(outcome, "alice", t(5_000))
        .unwrap();
    m.record(Review::approve("bob", "sha256:1", t(5_001)))
        .unwrap();
    let m = m
        .decide(&old, &DecisionContext::at(t(5_002)))
        .unwrap()
        .approved()
        .unwrap();
    let mut registry = Registry::new("churn").unwrap();
    registry.put(m).unwrap();
    write_registry(&dir, &registry);
    let (code, text) = verify_with_versions(&dir);
    assert_eq!(code, 1, "{text}");
}

/// The host keeps running the old pipeline after the new version came in force (a run started
/// at 5,000 s, one approval, approved at 5,003 s): refused.
#[test]
fn a_run_of_the_old_pipeline_decided_after_the_new_came_in_force_is_refused() {
    let dir = dir("versions-run");
    let mut run = Run::start(
        pipeline(OLD),
        Model::new("churn", "1").unwrap(),
        "alice",
        t(5_000),
    )
    .unwrap();
    run.handle_artifact(
        Artifact::new("sha256:1", Metrics::default()).unwrap(),
        t(5_001),
    )
    .unwrap();
    run.record_vote(Review::approve("bob", "sha256:1", t(5_002)))
        .unwrap();
    let action = run.poll(t(5_003)).unwrap();
    assert_eq!(run.status(), Status::Approved, "{action}");
    let mut registry = Registry::new("churn").unwrap();
    registry.put(run.into_model()).unwrap();
    write_registry(&dir, &registry);
    // Without the new version it verifies, as it should.
    let (code, text) = out(
        &dir,
        &[
            "registry",
            "verify",
            "registry.json",
            "--key",
            "key.json",
            "--spec",
            "old.json",
        ],
    );
    assert_eq!(code, 0, "{text}");
    // With the new version in force from 1,000 s, a decision at 5,003 s by the old policy.
    let (code, text) = verify_with_versions(&dir);
    assert_eq!(
        code, 1,
        "a decision at 5,003 s by the old policy passed though the new one is in force from \
         1,000 s:\n{text}"
    );
}

/// A host's binary with a stricter policy registered for the environment (`--policy
/// default=<fp>`, two approvals from bob and carol) refuses a registry whose member is a run
/// of the spec's pipeline approved by bob alone: the run was decided by another policy than
/// the one the environment is held to.
#[test]
fn registry_verify_with_a_registered_policy_holds_a_run_to_it() {
    let dir = dir("registered-run");
    let strict = Quorum::new(2).eligible_ids(["bob", "carol"]);
    let fp = strict.fingerprint().to_string();
    let cli = modelgate_cli::Cli::new().policy(strict).unwrap();
    let mut run = Run::start(
        pipeline(OLD),
        Model::new("churn", "1").unwrap(),
        "alice",
        t(10),
    )
    .unwrap();
    run.handle_artifact(
        Artifact::new("sha256:1", Metrics::default()).unwrap(),
        t(11),
    )
    .unwrap();
    run.record_vote(Review::approve("bob", "sha256:1", t(12)))
        .unwrap();
    let _ = run.poll(t(13)).unwrap();
    assert_eq!(run.status(), Status::Approved);
    let mut registry = Registry::new("churn").unwrap();
    registry.put(run.into_model()).unwrap();
    write_registry(&dir, &registry);
    let registry = dir.join("registry.json");
    let key = dir.join("key.json");
    let spec = dir.join("old.json");
    let policy = format!("default={fp}");
    let exit = cli.run_from([
        "bank-verify",
        "registry",
        "verify",
        registry.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--spec",
        spec.to_str().unwrap(),
        "--policy",
        &policy,
    ]);
    assert_eq!(
        exit,
        modelgate_cli::Exit::Refused,
        "one approval passed a registry verify pinned to a two-approval policy"
    );
}

/// `modelgate check` refuses a spec whose policy approves every model without a vote
/// (`policy: {all: []}`), as it refuses a quorum of 0.
#[test]
fn check_refuses_a_spec_that_approves_without_any_vote() {
    let dir = dir("vacuous-all");
    std::fs::write(
        dir.join("vacuous.yaml"),
        "steps:
  - name: approve
    type: approval
    inputs:
      policy: {all: []}
",
    )
    .unwrap();
    std::fs::write(
        dir.join("zero.yaml"),
        "steps:
  - name: approve
    type: approval
    inputs:
      policy: {quorum: {required: 0}}
",
    )
    .unwrap();
    let (zero, text) = out(&dir, &["check", "zero.yaml"]);
    assert_eq!(zero, 1, "{text}");
    let (code, text) = out(&dir, &["check", "vacuous.yaml"]);
    assert_eq!(
        code, 1,
        "`all: []` approves everything, and check passed it:\n{text}"
    );
}
