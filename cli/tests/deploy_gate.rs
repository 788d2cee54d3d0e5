//! `modelgate attest verify` is a deploy gate strict by default: `--name` and `--environment`
//! are required (exit 2 without them), and only a fresh approval of the named model and
//! artifact for that environment, never dated after the gate's time (`--at`),
//! signed by a trusted key, exits 0. A deployed model's attestation passes only with
//! `--accept-running-deployment`, and only within the validity its signer set. Every refusal
//! exits 1 with its reason on stderr.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use modelgate::attest::{Ed25519Signer, Envelope};
use modelgate::{
    DecisionContext, Environment, MetricGate, Metrics, Model, Receipt, Timestamp, TrainingOutcome,
};

const DIGEST: &str = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
const OTHER: &str = "sha256:fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9";
const DAY: u64 = 86_400;

/// Approved at t(10) in `env` (approvals valid a day): the envelope's JSON. With `deploy`, the
/// model deployed at t(20) and attested for a day after that.
fn envelope(env: &str, deploy: bool) -> String {
    let t = Timestamp::from_unix_secs;
    let env = Environment::new(env)
        .unwrap()
        .with_approval_validity(Duration::from_secs(DAY));
    let outcome =
        TrainingOutcome::new(DIGEST, Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap();
    let model = Model::new("churn", "3")
        .unwrap()
        .in_environment(env)
        .submit(outcome, "alice", t(1))
        .unwrap()
        .decide(
            &MetricGate::at_least("accuracy", 0.9),
            &DecisionContext::at(t(10)),
        )
        .unwrap()
        .approved()
        .unwrap();
    let signer = Ed25519Signer::from_seed([21; 32]);
    if !deploy {
        return model.attest(&signer).unwrap().to_json();
    }
    model
        .mark_deployed(Receipt::new("prod/churn@3"), "deploy-bot", t(20))
        .unwrap()
        .attest(&signer, Duration::from_secs(DAY))
        .unwrap()
        .to_json()
}

/// `sandbox@0`, approved in production by `accuracy at least 0`, for the same artifact.
fn sandbox() -> String {
    let t = Timestamp::from_unix_secs;
    let outcome = TrainingOutcome::new(DIGEST, Metrics::new([("accuracy", 0.1)]).unwrap()).unwrap();
    Model::new("sandbox", "0")
        .unwrap()
        .in_environment(Environment::new("production").unwrap())
        .submit(outcome, "mallory", t(1))
        .unwrap()
        .decide(
            &MetricGate::at_least("accuracy", 0.0),
            &DecisionContext::at(t(10)),
        )
        .unwrap()
        .approved()
        .unwrap()
        .attest(&Ed25519Signer::from_seed([21; 32]))
        .unwrap()
        .to_json()
}

fn fixtures(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("modelgate-cli-gate-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    write("production.dsse.json", &envelope("production", false));
    write("staging.dsse.json", &envelope("staging", false));
    write("deployed.dsse.json", &envelope("production", true));
    write("sandbox.dsse.json", &sandbox());
    // The payload relabelled from staging to production, the signature kept.
    let staging = Envelope::from_json(envelope("staging", false).as_bytes()).unwrap();
    let payload = String::from_utf8(staging.payload().to_vec())
        .unwrap()
        .replace(
            "\"environment\":\"staging\"",
            "\"environment\":\"production\"",
        );
    let mut tampered = Envelope::new(staging.payload_type(), payload.into_bytes());
    for s in staging.signatures() {
        tampered.push_signature(s.clone());
    }
    write("tampered.dsse.json", &tampered.to_json());
    write(
        "signer.pub.pem",
        &Ed25519Signer::from_seed([21; 32]).public_key().to_pem(),
    );
    write(
        "intruder.pub.pem",
        &Ed25519Signer::from_seed([22; 32]).public_key().to_pem(),
    );
    dir
}

/// Runs `modelgate attest verify` with `args` (and `--any-policy` unless they pin one): the
/// exit code and stderr.
fn gate(dir: &Path, args: &[&str]) -> (i32, String) {
    let any = (!args.contains(&"--policy")).then_some("--any-policy");
    let out = Command::cargo_bin("modelgate")
        .unwrap()
        .current_dir(dir)
        .args([
            "attest",
            "verify",
            "--trust-signer-approvals",
            "--name",
            "churn",
        ])
        .args(any)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The usual gate: `envelope` for `DIGEST`, trusted key, production, at t(`at`).
fn production(dir: &Path, envelope: &str, at: u64, extra: &[&str]) -> (i32, String) {
    let at = at.to_string();
    let mut args = vec![
        envelope,
        "--key",
        "signer.pub.pem",
        "--digest",
        DIGEST,
        "--environment",
        "production",
        "--at",
        &at,
    ];
    args.extend_from_slice(extra);
    gate(dir, &args)
}

#[test]
fn a_fresh_approval_for_the_artifact_and_environment_exits_0() {
    let dir = fixtures("fresh");
    let (code, stderr) = production(&dir, "production.dsse.json", 100, &[]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn the_environment_is_required_exit_2() {
    let dir = fixtures("no-env");
    let (code, stderr) = gate(
        &dir,
        &[
            "production.dsse.json",
            "--key",
            "signer.pub.pem",
            "--digest",
            DIGEST,
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--environment"), "{stderr}");
}

#[test]
fn a_staging_approval_is_refused_by_the_production_gate_exit_1() {
    let dir = fixtures("wrong-env");
    let (code, stderr) = production(&dir, "staging.dsse.json", 100, &[]);
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("wrong_environment", stderr);
}

#[test]
fn a_lapsed_approval_is_refused_exit_1_even_with_the_running_deployment_flag() {
    let dir = fixtures("lapsed");
    let late = 10 + DAY + 1;
    let (code, stderr) = production(&dir, "production.dsse.json", late, &[]);
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("lapsed", stderr);
    let flag = ["--accept-running-deployment"];
    let (code, stderr) = production(&dir, "production.dsse.json", late, &flag);
    assert_eq!(code, 1, "{stderr}");
}

#[test]
fn a_deployed_attestation_is_refused_without_the_flag_exit_1() {
    let dir = fixtures("deployed");
    let (code, stderr) = production(&dir, "deployed.dsse.json", 21, &[]);
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("deployed_without_flag", stderr);
}

#[test]
fn a_running_deployment_passes_with_the_flag_only_within_its_validity() {
    let dir = fixtures("running");
    let flag = ["--accept-running-deployment"];
    let (code, stderr) = production(&dir, "deployed.dsse.json", 20 + DAY, &flag);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = production(&dir, "deployed.dsse.json", 20 + DAY + 1, &flag);
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("deployed_past_validity", stderr);
}

#[test]
fn another_artifact_is_refused_exit_1() {
    let dir = fixtures("digest");
    let (code, stderr) = gate(
        &dir,
        &[
            "production.dsse.json",
            "--key",
            "signer.pub.pem",
            "--digest",
            OTHER,
            "--environment",
            "production",
            "--at",
            "100",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("wrong_digest", stderr);
}

#[test]
fn an_untrusted_key_is_refused_exit_1() {
    let dir = fixtures("untrusted");
    let (code, stderr) = gate(
        &dir,
        &[
            "production.dsse.json",
            "--key",
            "intruder.pub.pem",
            "--digest",
            DIGEST,
            "--environment",
            "production",
            "--at",
            "100",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("no signature is by a trusted key"),
        "{stderr}"
    );
}

#[test]
fn a_tampered_payload_is_refused_exit_1() {
    let dir = fixtures("tampered");
    let (code, stderr) = production(&dir, "tampered.dsse.json", 100, &[]);
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("tampered_payload", stderr);
}

/// Runs `modelgate` with `args` as given (no `--name` added): exit code, stdout, stderr.
fn raw(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("modelgate")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_model_name_is_required_exit_2() {
    let dir = fixtures("no-name");
    let (code, _, stderr) = raw(
        &dir,
        &[
            "attest",
            "verify",
            "--trust-signer-approvals",
            "--any-policy",
            "production.dsse.json",
            "--key",
            "signer.pub.pem",
            "--digest",
            DIGEST,
            "--environment",
            "production",
            "--at",
            "100",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--name"), "{stderr}");
}

#[test]
fn an_approval_of_the_same_artifact_as_another_model_is_refused_exit_1() {
    let dir = fixtures("other-model");
    let (code, stderr) = production(&dir, "sandbox.dsse.json", 100, &[]);
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("wrong_model", stderr);
}

#[test]
fn a_pinned_version_refuses_another_version_exit_1() {
    let dir = fixtures("version");
    let (code, stderr) = production(&dir, "production.dsse.json", 100, &["--version", "3"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = production(&dir, "production.dsse.json", 100, &["--version", "4"]);
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("wrong_version", stderr);
}

#[test]
fn a_gate_time_before_the_attestation_revives_nothing_exit_1() {
    let dir = fixtures("early");
    let (code, stderr) = production(&dir, "production.dsse.json", 0, &[]);
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("before_decision", stderr);
    let flag = ["--accept-running-deployment"];
    let (code, stderr) = production(&dir, "deployed.dsse.json", 15, &flag);
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("before_deployment", stderr);
}

#[test]
fn a_key_id_with_several_keys_is_a_usage_error_exit_2() {
    let dir = fixtures("key-id");
    let two = ["--key", "intruder.pub.pem", "--key-id", "release-2026"];
    let (code, stderr) = production(&dir, "production.dsse.json", 100, &two);
    assert_eq!(code, 2, "{stderr}");
    insta::assert_snapshot!("key_id_with_several_keys", stderr);
    let (code, stderr) = production(
        &dir,
        "production.dsse.json",
        100,
        &["--key-id", "release-2026"],
    );
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_metric_gate_approval_says_the_policy_approved_it_with_no_reviewers() {
    let dir = fixtures("by-policy");
    let (code, stdout, stderr) = raw(
        &dir,
        &[
            "attest",
            "verify",
            "--trust-signer-approvals",
            "--any-policy",
            "production.dsse.json",
            "--name",
            "churn",
            "--key",
            "signer.pub.pem",
            "--key-id",
            "release-2026",
            "--digest",
            DIGEST,
            "--environment",
            "production",
            "--at",
            "100",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("verified_by_policy", stdout);
}

/// `--policy` pins the deciding policy by the fingerprint `modelgate check` prints: the policy
/// that decided passes, another policy is refused (exit 1), and a text that is not a
/// fingerprint is a usage error (exit 2).
#[test]
fn a_pinned_policy_refuses_an_approval_by_another_policy_exit_1() {
    use modelgate::PolicyExt as _;
    let dir = fixtures("pinned-policy");
    let deciding = MetricGate::at_least("accuracy", 0.9)
        .fingerprint()
        .to_string();
    let (code, stderr) = production(&dir, "production.dsse.json", 100, &["--policy", &deciding]);
    assert_eq!(code, 0, "{stderr}");
    let other = MetricGate::at_least("accuracy", 0.95)
        .fingerprint()
        .to_string();
    let (code, stderr) = production(&dir, "production.dsse.json", 100, &["--policy", &other]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!("not by the policy with fingerprint {other}")),
        "{stderr}"
    );
    let (code, stderr) = production(&dir, "production.dsse.json", 100, &["--policy", "accuracy"]);
    assert_eq!(code, 2, "{stderr}");
}

/// The gate does not guess which policy an approval needs: without `--policy` (or the explicit
/// `--any-policy`) it is a usage error, and the two do not go together.
#[test]
fn the_gate_refuses_to_run_without_a_policy_pin() {
    let dir = fixtures("no-pin");
    let args = [
        "attest",
        "verify",
        "--trust-signer-approvals",
        "production.dsse.json",
        "--name",
        "churn",
        "--key",
        "signer.pub.pem",
        "--digest",
        DIGEST,
        "--environment",
        "production",
        "--at",
        "100",
    ];
    let (code, _, stderr) = raw(&dir, &args);
    assert_eq!(code, 2, "{stderr}");
    insta::assert_snapshot!("no_policy_pin", stderr);
    let fingerprint =
        modelgate::PolicyExt::fingerprint(&MetricGate::at_least("accuracy", 0.9)).to_string();
    let both = [&args[..], &["--policy", &fingerprint, "--any-policy"]].concat();
    let (code, _, stderr) = raw(&dir, &both);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}

/// `--threshold t`: t distinct trusted keys must have signed the envelope (the service's and a
/// release manager's, say); one key given twice is a usage error, not two signers.
#[test]
fn an_envelope_needs_its_threshold_of_trusted_signers() {
    let dir = fixtures("threshold");
    let mut both = Envelope::from_json(envelope("production", false).as_bytes()).unwrap();
    both.sign(&Ed25519Signer::from_seed([22; 32])).unwrap();
    std::fs::write(dir.join("both.dsse.json"), both.to_json()).unwrap();
    let two_keys = ["--key", "intruder.pub.pem", "--threshold", "2"];
    let (code, stderr) = production(&dir, "both.dsse.json", 100, &two_keys);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = production(&dir, "production.dsse.json", 100, &two_keys);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("1 trusted key(s)"), "{stderr}");
    let (code, stderr) = production(
        &dir,
        "production.dsse.json",
        100,
        &["--key", "signer.pub.pem", "--threshold", "2"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("given twice"), "{stderr}");
    let (code, stderr) = production(&dir, "production.dsse.json", 100, &["--threshold", "0"]);
    assert_eq!(code, 2, "{stderr}");
}
