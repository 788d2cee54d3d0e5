//! The new user's bank gate of issue 18, end to end: the policy is a spec (`examples/bank.yaml`),
//! the host decides with the same policy built in code, and the auditor verifies the registry
//! against the spec (`registry verify --spec`) and the deploy gate pins the policy by the
//! fingerprint `check` prints (`attest verify --policy`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use modelgate::attest::Ed25519Signer;
use modelgate::*;

const DIGEST: &str = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
const SECRET: [u8; 32] = *b"0123456789abcdef0123456789abcdef";
const HOUR: u64 = 3600;

const STAGING: &str = "environment: staging
steps:
  - name: approve
    type: approval
    inputs:
      roles: ['model_validator']
      gates: [{ metric: accuracy, at_least: 0.90 }]
";

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

/// The bank's policy, built in code as its host would: the rule the spec states.
fn bank_in_code() -> impl Policy {
    let roles = ["model_validator", "risk_officer"];
    let window = Duration::from_secs(72 * HOUR);
    (
        all([
            MetricGate::at_least("accuracy", 0.90),
            MetricGate::at_least("auc", 0.85),
        ]),
        Soak::at_least(Duration::from_secs(48 * HOUR)),
        Fresh::within(window, Veto::new().eligible_roles(roles)),
        Fresh::within(
            window,
            (
                Quorum::new(2).eligible_roles(roles),
                RequiredRole::new("risk_officer"),
            ),
        ),
    )
}

/// A fresh directory for `test` holding the host's seal key as `key.json`.
fn with_key(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("modelgate-cli-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let hex: String = SECRET.iter().map(|b| format!("{b:02x}")).collect();
    let key = format!(r#"{{"key_id": "ci-key", "hmac_sha256": "{hex}"}}"#);
    std::fs::write(dir.join("key.json"), key).unwrap();
    dir
}

fn modelgate(dir: &Path, args: &[&str]) -> (i32, String, String) {
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

/// Version 1 shipped in staging at 1,000 s, promoted to production after 49 h, approved there by
/// a model validator and a risk officer under the policy built in code: the registry, and the
/// approval's envelope signed by `signer`.
fn registry(signer: &Ed25519Signer) -> (Registry, String) {
    let staging = Environment::new("staging").unwrap();
    let production = Environment::new("production").unwrap();
    let metrics = || Metrics::new([("accuracy", 0.93), ("auc", 0.9)]).unwrap();
    let staging_policy = serde_saphyr::from_str::<PipelineSpec>(STAGING)
        .unwrap()
        .validate()
        .unwrap()
        .policy();
    let mut registry = Registry::new("churn").unwrap();
    let model = Model::new("churn", "1")
        .unwrap()
        .in_environment(staging.clone())
        .submit(
            TrainingOutcome::new(DIGEST, metrics()).unwrap(),
            "alice",
            t(1_000),
        )
        .unwrap();
    registry.put(model).unwrap();
    registry
        .record(
            &staging,
            "1",
            Review::approve("vic", DIGEST, t(1_001)).with_role("model_validator"),
        )
        .unwrap();
    assert!(
        registry
            .decide(&staging, "1", &staging_policy, t(1_002))
            .unwrap()
            .is_approved()
    );
    let Ok(AnyModel::Approved(approved)) = registry.take(&staging, "1") else {
        panic!("approved in staging");
    };
    registry
        .deploy(approved, Receipt::new("staging/churn@1"), "ci", t(1_003))
        .unwrap();
    let soaked = 1_003 + 49 * HOUR;
    let promoted = registry
        .current(&staging)
        .unwrap()
        .promote(
            Model::new("churn", "1")
                .unwrap()
                .in_environment(production.clone()),
            Metrics::default(),
            "alice",
            t(soaked),
        )
        .unwrap();
    registry.put(promoted).unwrap();
    for (who, role, at) in [("vic", "model_validator", 1), ("rita", "risk_officer", 2)] {
        let review = Review::approve(who, DIGEST, t(soaked + at)).with_role(role);
        registry.record(&production, "1", review).unwrap();
    }
    let verdict = registry
        .decide(&production, "1", &bank_in_code(), t(soaked + 3))
        .unwrap();
    assert!(verdict.is_approved(), "{verdict}");
    let Some(AnyModel::Approved(approved)) = registry.get(&production, "1") else {
        panic!("approved in production");
    };
    let envelope = approved.attest(signer).unwrap().to_json();
    (registry, envelope)
}

#[test]
fn the_banks_gate_as_a_spec_is_verified_by_the_spec_and_pinned_by_its_fingerprint() {
    let dir = with_key("banks-gate");
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    write("bank.yaml", include_str!("../../examples/bank.yaml"));
    write("staging.yaml", STAGING);
    let signer = Ed25519Signer::from_seed([5; 32]);
    let (registry, envelope) = registry(&signer);
    let stored = registry
        .sealed_by(&HmacSealer::new("ci-key", SECRET))
        .unwrap();
    write("registry.json", &serde_json::to_string(&stored).unwrap());
    write("signer.pub.pem", &signer.public_key().to_pem());
    write("approval.dsse.json", &envelope);

    // `check`: the spec is valid, with no warning, and its fingerprint is the code's.
    let (code, out, err) = modelgate(&dir, &["--format", "json", "check", "bank.yaml"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let fingerprint = report["files"][0]["policy_fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(fingerprint, bank_in_code().fingerprint().to_string());
    assert_eq!(report["files"][0]["warnings"], serde_json::json!([]));

    // The auditor: every decision decided again by its environment's spec.
    let (code, out, err) = modelgate(
        &dir,
        &[
            "registry",
            "verify",
            "registry.json",
            "--key",
            "key.json",
            "--spec",
            "staging.yaml",
            "--spec",
            "bank.yaml",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");

    // The deploy gate, pinned to the bank's policy.
    let at = (1_003 + 49 * HOUR + 10).to_string();
    let gate = |policy: &str| {
        modelgate(
            &dir,
            &[
                "attest",
                "verify",
                "--trust-signer-approvals",
                "approval.dsse.json",
                "--key",
                "signer.pub.pem",
                "--name",
                "churn",
                "--digest",
                DIGEST,
                "--environment",
                "production",
                "--at",
                &at,
                "--policy",
                policy,
            ],
        )
    };
    let (code, out, err) = gate(&fingerprint);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("policy:   {fingerprint}")), "{out}");
    // The staging spec's policy is another policy: the production gate pinned to it refuses.
    let (_, staging, _) = modelgate(&dir, &["--format", "json", "check", "staging.yaml"]);
    let staging: serde_json::Value = serde_json::from_str(&staging).unwrap();
    let (code, _, err) = gate(staging["files"][0]["policy_fingerprint"].as_str().unwrap());
    assert_eq!(code, 1, "{err}");
}

/// A policy that changes over time is a versioned book: `registry verify` decides each decision
/// again by the version in force when it was made (`--spec-from`), so decisions under the
/// earlier version stay verifiable and a later one is held to the stricter rule.
#[test]
fn a_stricter_policy_from_a_date_on_verifies_each_decision_by_the_version_in_force() {
    let dir = with_key("versioned-book");
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    let stricter = STAGING.replace(
        "roles: ['model_validator']",
        "roles: ['model_validator']\n      required: 2",
    );
    write("v1.yaml", STAGING);
    write("v2.yaml", &stricter);
    let policy = |spec: &str| {
        serde_saphyr::from_str::<PipelineSpec>(spec)
            .unwrap()
            .validate()
            .unwrap()
            .policy()
    };
    let staging = Environment::new("staging").unwrap();
    let metrics = || Metrics::new([("accuracy", 0.93)]).unwrap();
    let mut registry = Registry::new("churn").unwrap();
    // Version 1 under v1 at 1,000 s (one approval); version 2 under v2 at 6,000 s (two).
    for (version, at, reviewers, spec) in [
        ("1", 1_000, &["vic"][..], STAGING),
        ("2", 6_000, &["vic", "val"][..], stricter.as_str()),
    ] {
        let model = Model::new("churn", version)
            .unwrap()
            .in_environment(staging.clone())
            .submit(
                TrainingOutcome::new(DIGEST, metrics()).unwrap(),
                "alice",
                t(at),
            )
            .unwrap();
        registry.put(model).unwrap();
        for who in reviewers {
            let review = Review::approve(*who, DIGEST, t(at + 1)).with_role("model_validator");
            registry.record(&staging, version, review).unwrap();
        }
        assert!(
            registry
                .decide(&staging, version, &policy(spec), t(at + 2))
                .unwrap()
                .is_approved()
        );
        let Ok(AnyModel::Approved(approved)) = registry.take(&staging, version) else {
            panic!("approved");
        };
        let receipt = Receipt::new(format!("staging/churn@{version}"));
        registry.deploy(approved, receipt, "ci", t(at + 3)).unwrap();
    }
    let stored = registry
        .sealed_by(&HmacSealer::new("ci-key", SECRET))
        .unwrap();
    write("registry.json", &serde_json::to_string(&stored).unwrap());
    let verify = |extra: &[&str]| {
        let mut args = vec!["registry", "verify", "registry.json", "--key", "key.json"];
        args.extend_from_slice(extra);
        modelgate(&dir, &args)
    };
    // One policy for all time refuses the decision made under the other.
    let (code, _, err) = verify(&["--spec", "v1.yaml"]);
    assert_eq!(code, 1, "{err}");
    let (code, _, err) = verify(&["--spec", "v2.yaml"]);
    assert_eq!(code, 1, "{err}");
    // The book: v1, then v2 from 5,000 s on.
    let from = t(5_000).to_string();
    let (code, out, err) = verify(&["--spec", "v1.yaml", "--spec-from", &from, "v2.yaml"]);
    assert_eq!(code, 0, "{out}{err}");
    // The stricter version in force too early (before version 1's decision) refuses it.
    let early = t(500).to_string();
    let (code, _, err) = verify(&["--spec", "v1.yaml", "--spec-from", &early, "v2.yaml"]);
    assert_eq!(code, 1, "{err}");
    // A time that is not RFC 3339 is a usage error.
    let (code, _, err) = verify(&["--spec", "v1.yaml", "--spec-from", "yesterday", "v2.yaml"]);
    assert_eq!(code, 2, "{err}");
}
