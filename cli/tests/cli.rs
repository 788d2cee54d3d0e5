//! The `modelgate` binary run end to end: every command, human and JSON output, exit codes, with
//! snapshots of stdout and stderr.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::path::PathBuf;

use assert_cmd::Command;
use modelgate::attest::Ed25519Signer;
use modelgate::{
    Artifact, DecisionContext, HmacSealer, MetricGate, Metrics, Model, PipelineSpec, PolicyExt,
    Quorum, Receipt, Review, Run, StoredModel, Timestamp, TrainingOutcome,
};

const DIGEST: &str = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
const OTHER: &str = "sha256:fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9";
const SECRET: [u8; 32] = *b"0123456789abcdef0123456789abcdef";

const GOOD_YAML: &str = "steps:
  - name: train_model
    type: training
  - name: evaluate
    type: test
    inputs:
      gates: [{ metric: accuracy, at_least: 0.80 }]
  - name: approve_model
    type: approval
    inputs:
      approvers: ['bob', 'team_lead']
      required: 1
    on_reject: retrain
  - name: deploy
    type: deploy
";

const BAD_YAML: &str = "steps:
  - name: train_model
    type: training
  - name: evaluate
    type: test
    inputs:
      gates: [{ metric: accuracy, at_least: 0.80, extra: 1 }]
  - name: approve_model
    type: approval
    inputs:
      approvers: 'bob'
    on_reject: sometimes
  - name: deploy
    type: deploy
    colour: blue
";

const BAD_JSON: &str = r#"{"steps": [
  {"name": "train", "type": "training"},
  {"name": "train", "type": "approval", "inputs": {"approvers": [], "required": 0}},
  {"name": "ship", "type": "deploy", "inputs": {"target": "prod"}}
]}
"#;

const RUN_SPEC: &str = "steps:
  - name: approve
    type: approval
    inputs:
      approvers: ['bob']
  - name: deploy
    type: deploy
";

/// A fresh folder with the fixtures, for one test.
fn fixtures(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("modelgate-cli-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    write("good.yaml", GOOD_YAML);
    write(
        "good.json",
        r#"{"steps": [{"name": "approve", "type": "approval", "inputs": {"approvers": ["bob"]}}]}"#,
    );
    write("bad.yaml", BAD_YAML);
    write("bad.json", BAD_JSON);
    write("syntax.yaml", "steps:\n  - name: a\n    type: [training\n");
    write("syntax.json", "{\"steps\": [}\n");
    write("run.yaml", RUN_SPEC);

    let t = Timestamp::from_unix_secs;
    let key = HmacSealer::new("ci-key", SECRET);
    write(
        "key.json",
        &format!(
            r#"{{"key_id": "ci-key", "hmac_sha256": "{}"}}"#,
            hex(&SECRET)
        ),
    );
    write(
        "other-key.json",
        &format!(
            r#"{{"key_id": "ci-key", "hmac_sha256": "{}"}}"#,
            hex(&[7; 32])
        ),
    );
    write(
        "bad-key.json",
        r#"{"key_id": "ci-key", "hmac_sha256": "zz"}"#,
    );

    // A model approved by hand, sealed.
    let outcome =
        TrainingOutcome::new(DIGEST, Metrics::new([("accuracy", 0.94)]).unwrap()).unwrap();
    let mut model = Model::new("fraud-detector", "2026.11")
        .unwrap()
        .submit(outcome, "alice", t(1_000))
        .unwrap();
    model
        .record(
            Review::approve("bob", DIGEST, t(1_100))
                .with_role("team_lead")
                .with_comment("ok\n#9 forged line"),
        )
        .unwrap();
    let policy = MetricGate::at_least("accuracy", 0.9).and(Quorum::new(1));
    let model = model
        .decide(&policy, &DecisionContext::at(t(1_200)))
        .unwrap()
        .approved()
        .unwrap();
    let stored = StoredModel::from(&model).sealed_by(&key).unwrap();
    write(
        "approved.json",
        &serde_json::to_string_pretty(&stored).unwrap(),
    );
    let tampered = serde_json::to_string_pretty(&stored)
        .unwrap()
        .replace("0.94", "0.99");
    write("tampered.json", &tampered);

    // A run of run.yaml, deployed, sealed.
    let spec: PipelineSpec = serde_saphyr::from_str(RUN_SPEC).unwrap();
    let mut run = Run::start(
        spec.validate().unwrap(),
        Model::new("churn", "7").unwrap(),
        "alice",
        t(1),
    )
    .unwrap();
    run.poll(t(2)).unwrap();
    run.handle_artifact(
        Artifact::new(DIGEST, Metrics::new([("auc", 0.91)]).unwrap()).unwrap(),
        t(3),
    )
    .unwrap();
    run.poll(t(4)).unwrap();
    run.record_vote(Review::approve("bob", DIGEST, t(5)))
        .unwrap();
    run.poll(t(6)).unwrap();
    run.handle_deployed(Receipt::new("prod/churn@7"), t(7))
        .unwrap();
    let stored = StoredModel::from(&run.into_model())
        .sealed_by(&key)
        .unwrap();
    write("run.json", &serde_json::to_string_pretty(&stored).unwrap());

    // The approved model's attestation, and keys.
    let signer = Ed25519Signer::from_seed([5; 32]);
    write(
        "approval.dsse.json",
        &model.attest(&signer).unwrap().to_json(),
    );
    write("signer.pub.pem", &signer.public_key().to_pem());
    write("signer.pub.hex", &hex(&signer.public_key().to_bytes()));
    write(
        "intruder.pub.pem",
        &Ed25519Signer::from_seed([6; 32]).public_key().to_pem(),
    );
    write("not-a-key.pem", "hello");
    let mut forged: serde_json::Value =
        serde_json::from_str(&model.attest(&signer).unwrap().to_json()).unwrap();
    forged["payload"] = serde_json::Value::from(base64_of(
        &String::from_utf8(model.attestation().unwrap().to_json().to_vec())
            .unwrap()
            .replace("\"bob\"", "\"mallory\""),
    ));
    write("forged.dsse.json", &forged.to_string());
    dir
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn base64_of(text: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Runs `modelgate args` in `dir`: the exit code, stdout and stderr, for a snapshot.
fn run(dir: &PathBuf, args: &[&str]) -> String {
    let out = Command::cargo_bin("modelgate")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    format!(
        "$ modelgate {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn code(dir: &PathBuf, args: &[&str]) -> i32 {
    Command::cargo_bin("modelgate")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
        .status
        .code()
        .unwrap_or(-1)
}

#[test]
fn check() {
    let dir = fixtures("check");
    assert_eq!(code(&dir, &["check", "good.yaml", "good.json"]), 0);
    insta::assert_snapshot!("check_ok", run(&dir, &["check", "good.yaml", "good.json"]));
    assert_eq!(code(&dir, &["check", "good.yaml", "bad.yaml"]), 1);
    insta::assert_snapshot!(
        "check_bad_yaml",
        run(&dir, &["check", "good.yaml", "bad.yaml"])
    );
    insta::assert_snapshot!("check_bad_json", run(&dir, &["check", "bad.json"]));
    insta::assert_snapshot!(
        "check_syntax",
        run(&dir, &["check", "syntax.yaml", "syntax.json"])
    );
    insta::assert_snapshot!(
        "check_json_format",
        run(
            &dir,
            &[
                "--format",
                "json",
                "check",
                "good.json",
                "bad.yaml",
                "bad.json",
                "syntax.json"
            ]
        )
    );
    // A spec in the newer keys: its policy, its fingerprint, no warnings.
    std::fs::write(
        dir.join("bank.yaml"),
        include_str!("../../examples/bank.yaml"),
    )
    .unwrap();
    assert_eq!(code(&dir, &["check", "bank.yaml"]), 0);
    insta::assert_snapshot!("check_bank", run(&dir, &["check", "bank.yaml"]));
    // The environment a pipeline is for: named, with an approval window, or wrong.
    std::fs::write(
        dir.join("production.yaml"),
        "environment: { name: production, approval_validity_hours: 720 }\nsteps:\n  - name: approve\n    type: approval\n    inputs: { approvers: [bob] }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("bad-environment.yaml"),
        "environment:\n  name: \"prod\\u200Bduction\"\n  approval_validity_hours: 0\nsteps:\n  - name: approve\n    type: approval\n    inputs: { approvers: [bob] }\n",
    )
    .unwrap();
    assert_eq!(code(&dir, &["check", "production.yaml"]), 0);
    assert_eq!(code(&dir, &["check", "bad-environment.yaml"]), 1);
    insta::assert_snapshot!(
        "check_environment",
        run(&dir, &["check", "bad-environment.yaml"])
    );
    assert_eq!(code(&dir, &["check", "missing.yaml"]), 2);
    insta::assert_snapshot!("check_missing_file", run(&dir, &["check", "missing.yaml"]));
    assert_eq!(code(&dir, &["check"]), 2);
}

#[test]
fn show() {
    let dir = fixtures("show");
    insta::assert_snapshot!("show", run(&dir, &["show", "approved.json"]));
    insta::assert_snapshot!(
        "show_with_key",
        run(
            &dir,
            &[
                "show", "run.json", "--key", "key.json", "--spec", "run.yaml"
            ]
        )
    );
    // A run replays only through its pipeline: without the spec, its status is unknown.
    insta::assert_snapshot!(
        "show_run_without_its_spec",
        run(&dir, &["show", "run.json", "--key", "key.json"])
    );
    insta::assert_snapshot!(
        "show_json",
        run(&dir, &["--format", "json", "show", "approved.json"])
    );
    assert_eq!(code(&dir, &["show", "tampered.json"]), 1);
    insta::assert_snapshot!("show_tampered", run(&dir, &["show", "tampered.json"]));
    assert_eq!(
        code(&dir, &["show", "approved.json", "--key", "other-key.json"]),
        1
    );
}

#[test]
fn verify() {
    let dir = fixtures("verify");
    assert_eq!(
        code(
            &dir,
            &[
                "verify",
                "approved.json",
                "--key",
                "key.json",
                "--trust-decisions"
            ]
        ),
        0
    );
    insta::assert_snapshot!(
        "verify_trusting_decisions",
        run(
            &dir,
            &[
                "verify",
                "approved.json",
                "--key",
                "key.json",
                "--trust-decisions"
            ]
        )
    );
    insta::assert_snapshot!(
        "verify_run_with_spec",
        run(
            &dir,
            &[
                "verify", "run.json", "--key", "key.json", "--spec", "run.yaml"
            ]
        )
    );
    // A spec for another environment than the model's: refused, whatever its policy says.
    std::fs::write(dir.join("staging.yaml"), STAGING_SPEC).unwrap();
    let args = [
        "verify",
        "approved.json",
        "--key",
        "key.json",
        "--spec",
        "staging.yaml",
    ];
    assert_eq!(code(&dir, &args), 1);
    insta::assert_snapshot!("verify_model_for_another_environment", run(&dir, &args));
    // The hand-made model was decided by a policy in code, not by this spec's: refused.
    insta::assert_snapshot!(
        "verify_model_with_another_policy",
        run(
            &dir,
            &[
                "verify",
                "approved.json",
                "--key",
                "key.json",
                "--spec",
                "run.yaml"
            ]
        )
    );
    // Replayed under another pipeline, the run is refused.
    insta::assert_snapshot!(
        "verify_run_with_another_spec",
        run(
            &dir,
            &[
                "verify",
                "run.json",
                "--key",
                "key.json",
                "--spec",
                "good.yaml"
            ]
        )
    );
    insta::assert_snapshot!(
        "verify_wrong_key",
        run(
            &dir,
            &[
                "verify",
                "approved.json",
                "--key",
                "other-key.json",
                "--trust-decisions"
            ]
        )
    );
    insta::assert_snapshot!(
        "verify_tampered",
        run(
            &dir,
            &[
                "verify",
                "tampered.json",
                "--key",
                "key.json",
                "--trust-decisions"
            ]
        )
    );
    insta::assert_snapshot!(
        "verify_json",
        run(
            &dir,
            &[
                "--format",
                "json",
                "verify",
                "tampered.json",
                "--key",
                "key.json",
                "--spec",
                "run.yaml"
            ]
        )
    );
    insta::assert_snapshot!(
        "verify_bad_key_file",
        run(
            &dir,
            &[
                "verify",
                "approved.json",
                "--key",
                "bad-key.json",
                "--trust-decisions"
            ]
        )
    );
    insta::assert_snapshot!(
        "verify_invalid_spec",
        run(
            &dir,
            &[
                "verify",
                "approved.json",
                "--key",
                "key.json",
                "--spec",
                "bad.yaml"
            ]
        )
    );
    assert_eq!(
        code(&dir, &["verify", "approved.json", "--key", "key.json"]),
        2
    );
}

#[test]
fn attest_verify() {
    let dir = fixtures("attest");
    // The environment is required (cli/tests/deploy_gate.rs): `default` unless a test names one.
    let gate = |extra: &[&str]| {
        let mut args = vec![
            "attest",
            "verify",
            "--trust-signer-approvals",
            "--any-policy",
            "--name",
            "fraud-detector",
        ];
        args.extend_from_slice(extra);
        if !extra.contains(&"--environment") {
            args.extend_from_slice(&["--environment", "default"]);
        }
        run(&dir, &args)
    };
    assert_eq!(
        code(
            &dir,
            &[
                "attest",
                "verify",
                "--trust-signer-approvals",
                "--any-policy",
                "--name",
                "fraud-detector",
                "approval.dsse.json",
                "--key",
                "signer.pub.pem",
                "--digest",
                DIGEST,
                "--environment",
                "default"
            ]
        ),
        0
    );
    insta::assert_snapshot!(
        "attest_verify_ok",
        gate(&[
            "approval.dsse.json",
            "--key",
            "signer.pub.pem",
            "--digest",
            DIGEST,
            "--environment",
            "default"
        ])
    );
    insta::assert_snapshot!(
        "attest_verify_hex_key_json",
        run(
            &dir,
            &[
                "--format",
                "json",
                "attest",
                "verify",
                "--trust-signer-approvals",
                "--any-policy",
                "--name",
                "fraud-detector",
                "approval.dsse.json",
                "--key",
                "signer.pub.hex",
                "--digest",
                DIGEST,
                "--environment",
                "default"
            ]
        )
    );
    insta::assert_snapshot!(
        "attest_verify_other_artifact",
        gate(&[
            "approval.dsse.json",
            "--key",
            "signer.pub.pem",
            "--digest",
            OTHER
        ])
    );
    insta::assert_snapshot!(
        "attest_verify_forged",
        gate(&[
            "forged.dsse.json",
            "--key",
            "signer.pub.pem",
            "--digest",
            DIGEST
        ])
    );
    insta::assert_snapshot!(
        "attest_verify_untrusted",
        gate(&[
            "approval.dsse.json",
            "--key",
            "intruder.pub.pem",
            "--digest",
            DIGEST
        ])
    );
    insta::assert_snapshot!(
        "attest_verify_environment",
        gate(&[
            "approval.dsse.json",
            "--key",
            "signer.pub.pem",
            "--digest",
            DIGEST,
            "--environment",
            "production"
        ])
    );
    insta::assert_snapshot!(
        "attest_verify_json_refused",
        run(
            &dir,
            &[
                "--format",
                "json",
                "attest",
                "verify",
                "--trust-signer-approvals",
                "--any-policy",
                "--name",
                "fraud-detector",
                "approval.dsse.json",
                "--key",
                "signer.pub.pem",
                "--digest",
                OTHER,
                "--environment",
                "default"
            ]
        )
    );
    insta::assert_snapshot!(
        "attest_verify_bad_digest",
        gate(&[
            "approval.dsse.json",
            "--key",
            "signer.pub.pem",
            "--digest",
            "sha256:7d1e"
        ])
    );
    insta::assert_snapshot!(
        "attest_verify_not_a_key",
        gate(&[
            "approval.dsse.json",
            "--key",
            "not-a-key.pem",
            "--digest",
            DIGEST
        ])
    );
    insta::assert_snapshot!(
        "attest_verify_missing_envelope",
        gate(&[
            "missing.dsse.json",
            "--key",
            "signer.pub.pem",
            "--digest",
            DIGEST
        ])
    );
}

const STAGING_SPEC: &str = "environment: staging
steps:
  - name: evaluate
    type: test
    inputs:
      gates: [{ metric: accuracy, at_least: 0.80 }]
  - name: approve
    type: approval
    inputs: { approvers: ['bob'] }
  - name: deploy
    type: deploy
";

const PRODUCTION_SPEC: &str = "environment: production
steps:
  - name: approve
    type: approval
    inputs: { approvers: ['bob'] }
  - name: deploy
    type: deploy
";

/// Production as a stricter host would have it: the recorded approvals are not upheld.
const STRICT_PRODUCTION_SPEC: &str = "environment: production
steps:
  - name: evaluate
    type: test
    inputs:
      gates: [{ metric: accuracy, at_least: 0.99 }]
  - name: approve
    type: approval
    inputs: { approvers: ['bob'] }
  - name: deploy
    type: deploy
";

/// A stored registry of `churn`: versions 1 and 2 deployed to staging in turn (2 supersedes 1),
/// version 1 deployed to production; sealed with the CI key. Also its specs, and copies with a
/// member left out and with a member's trail tampered with.
fn registry_fixtures(test: &str) -> PathBuf {
    use modelgate::{Environment, Registry};

    let dir = fixtures(test);
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    write("staging.yaml", STAGING_SPEC);
    write("production.yaml", PRODUCTION_SPEC);
    write("strict-production.yaml", STRICT_PRODUCTION_SPEC);
    write("staging-again.yaml", STAGING_SPEC);
    write(
        "production-7d.yaml",
        &PRODUCTION_SPEC.replace(
            "environment: production",
            "environment: { name: production, approval_validity_hours: 168 }",
        ),
    );
    // The staging policy, in a pipeline that trains first: another pipeline, the same policy.
    write(
        "staging-trains.yaml",
        &STAGING_SPEC.replace("steps:\n", "steps:\n  - name: train\n    type: training\n"),
    );

    let t = Timestamp::from_unix_secs;
    let policy_of = |spec: &str| {
        serde_saphyr::from_str::<PipelineSpec>(spec)
            .unwrap()
            .validate()
            .unwrap()
            .policy()
    };
    let mut registry = Registry::new("churn").unwrap();
    let ship = |registry: &mut Registry, env: &str, spec: &str, version: &str, at: u64| {
        let environment = Environment::new(env).unwrap();
        let outcome =
            TrainingOutcome::new(DIGEST, Metrics::new([("accuracy", 0.94)]).unwrap()).unwrap();
        let mut model = Model::new("churn", version)
            .unwrap()
            .in_environment(environment.clone())
            .submit(outcome, "alice", t(at))
            .unwrap();
        model
            .record(Review::approve("bob", DIGEST, t(at + 1)))
            .unwrap();
        registry.put(model).unwrap();
        let verdict = registry
            .decide(&environment, version, &policy_of(spec), t(at + 2))
            .unwrap();
        assert!(verdict.is_approved(), "{verdict}");
        let Ok(modelgate::AnyModel::Approved(approved)) = registry.take(&environment, version)
        else {
            panic!("approved")
        };
        registry
            .deploy(
                approved,
                Receipt::new(format!("{env}/churn@{version}")),
                "ci",
                t(at + 3),
            )
            .unwrap();
    };
    ship(&mut registry, "staging", STAGING_SPEC, "1", 100);
    ship(&mut registry, "production", PRODUCTION_SPEC, "1", 200);
    ship(&mut registry, "staging", STAGING_SPEC, "2", 300);

    let key = HmacSealer::new("ci-key", SECRET);
    let stored = registry.sealed_by(&key).unwrap();
    let json = serde_json::to_string_pretty(&stored).unwrap();
    write("registry.json", &json);
    write("run-registry.json", &run_registry(&key));
    write("tampered-registry.json", &json.replacen("0.94", "0.99", 1));
    let mut dropped: serde_json::Value = serde_json::from_str(&json).unwrap();
    dropped["members"].as_array_mut().unwrap().remove(0);
    write("dropped-registry.json", &dropped.to_string());
    dir
}

/// A stored registry whose one member is a run of the staging spec that deployed itself.
fn run_registry(key: &HmacSealer) -> String {
    use modelgate::{Environment, Sealer};
    let t = Timestamp::from_unix_secs;
    let spec: PipelineSpec = serde_saphyr::from_str(STAGING_SPEC).unwrap();
    let staging = Environment::new("staging").unwrap();
    let model = Model::new("churn", "7").unwrap().in_environment(staging);
    let mut run = Run::start(spec.validate().unwrap(), model, "alice", t(1)).unwrap();
    let metrics = || Metrics::new([("accuracy", 0.94)]).unwrap();
    run.poll(t(2)).unwrap();
    run.handle_artifact(Artifact::new(DIGEST, metrics()).unwrap(), t(3))
        .unwrap();
    run.poll(t(4)).unwrap();
    run.handle_evaluated("evaluate", metrics(), t(5)).unwrap();
    run.poll(t(6)).unwrap();
    run.record_vote(Review::approve("bob", DIGEST, t(7)))
        .unwrap();
    run.poll(t(8)).unwrap();
    run.handle_deployed(Receipt::new("staging/churn@7"), t(9))
        .unwrap();
    let member = StoredModel::from(&run.into_model()).sealed_by(key).unwrap();
    let stored: modelgate::registry::StoredRegistry = serde_json::from_value(
        serde_json::json!({"format_version": 2, "name": "churn", "members": [member]}),
    )
    .unwrap();
    let seal = key.seal(&stored.index()).unwrap();
    serde_json::to_string_pretty(&stored.with_seal(seal)).unwrap()
}

#[test]
fn registry() {
    let dir = registry_fixtures("registry");
    insta::assert_snapshot!(
        "registry_show",
        run(&dir, &["registry", "show", "registry.json"])
    );
    insta::assert_snapshot!(
        "registry_show_with_key_json",
        run(
            &dir,
            &[
                "--format",
                "json",
                "registry",
                "show",
                "registry.json",
                "--key",
                "key.json"
            ]
        )
    );
    let verify = |file: &str, key: &str, specs: &[&str]| {
        let mut args = vec!["registry", "verify", file, "--key", key];
        for spec in specs {
            args.extend(["--spec", spec]);
        }
        (code(&dir, &args), run(&dir, &args))
    };
    let both = ["staging.yaml", "production.yaml"];
    let (status, out) = verify("registry.json", "key.json", &both);
    assert_eq!(status, 0, "{out}");
    insta::assert_snapshot!("registry_verify", out);

    // The index binds the members: one left out is refused, and so is one tampered with.
    let (status, out) = verify("dropped-registry.json", "key.json", &both);
    assert_eq!(status, 1, "{out}");
    insta::assert_snapshot!("registry_verify_dropped", out);
    let (status, out) = verify("tampered-registry.json", "key.json", &both);
    assert_eq!(status, 1, "{out}");
    insta::assert_snapshot!("registry_verify_tampered", out);
    assert_eq!(
        code(&dir, &["registry", "show", "tampered-registry.json"]),
        1
    );
    assert_eq!(
        code(
            &dir,
            &[
                "registry",
                "show",
                "registry.json",
                "--key",
                "other-key.json"
            ]
        ),
        1
    );
    // Another key; a stricter production policy.
    let (status, out) = verify("registry.json", "other-key.json", &both);
    assert_eq!(status, 1, "{out}");
    insta::assert_snapshot!("registry_verify_wrong_key", out);
    let (status, out) = verify(
        "registry.json",
        "key.json",
        &["staging.yaml", "strict-production.yaml"],
    );
    assert_eq!(status, 1, "{out}");
    insta::assert_snapshot!("registry_verify_stricter_policy", out);
    // A spec that describes production with an approval window its members do not have.
    let (status, out) = verify(
        "registry.json",
        "key.json",
        &["staging.yaml", "production-7d.yaml"],
    );
    assert_eq!(status, 1, "{out}");
    insta::assert_snapshot!("registry_verify_other_window", out);
    // A run member is checked as a run of its environment's pipeline, as `verify` checks one.
    let (status, out) = verify("run-registry.json", "key.json", &["staging.yaml"]);
    assert_eq!(status, 0, "{out}");
    let (status, out) = verify("run-registry.json", "key.json", &["staging-trains.yaml"]);
    assert_eq!(status, 1, "{out}");
    insta::assert_snapshot!("registry_verify_run_of_another_pipeline", out);
    // Usage: an environment without a spec; two specs for one environment; a stored model is
    // not a registry.
    let (status, out) = verify("registry.json", "key.json", &["staging.yaml"]);
    assert_eq!(status, 2, "{out}");
    insta::assert_snapshot!("registry_verify_no_spec", out);
    let (status, out) = verify(
        "registry.json",
        "key.json",
        &["staging.yaml", "staging-again.yaml"],
    );
    assert_eq!(status, 2, "{out}");
    insta::assert_snapshot!("registry_verify_two_specs", out);
    let (status, out) = verify("approved.json", "key.json", &both);
    assert_eq!(status, 2, "{out}");
    insta::assert_snapshot!("registry_verify_not_a_registry", out);
}

/// Secure by default: a valid spec whose policy can never pass (a lint) fails `check` unless
/// `--allow-lints`, which prints the lint as a warning.
#[test]
fn check_refuses_a_policy_that_can_never_pass_unless_allowed() {
    let dir = fixtures("check-lints");
    std::fs::write(
        dir.join("never.yaml"),
        "steps:\n  - name: approve\n    type: approval\n    inputs:\n      roles: ['risk_officer']\n      gates: [{ metric: auc, at_least: 1.5 }]\n",
    )
    .unwrap();
    assert_eq!(code(&dir, &["check", "never.yaml"]), 1);
    let refused = run(&dir, &["--format", "json", "check", "never.yaml"]);
    assert!(refused.contains("can never pass"), "{refused}");
    assert!(refused.contains("--allow-lints"), "{refused}");
    assert_eq!(code(&dir, &["check", "never.yaml", "--allow-lints"]), 0);
    let allowed = run(&dir, &["check", "never.yaml", "--allow-lints"]);
    assert!(
        allowed.contains("warning: `auc at least 1.5`: can never pass"),
        "{allowed}"
    );
}
