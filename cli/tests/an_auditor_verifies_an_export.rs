//! `modelgate registry export` writes a registry's whole record for an auditor (JSON Lines or
//! CSV) only when its seals verify; `registry verify` and `registry show` read an export back,
//! and refuse one whose rows say anything the record does not, naming the line and column.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use modelgate::*;

const SECRET: [u8; 32] = *b"0123456789abcdef0123456789abcdef";
const SPEC: &str = r#"{"environment": "production", "steps": [{"name": "approve",
  "type": "approval", "inputs": {"users": ["bob", "carol"],
  "gates": [{"metric": "accuracy", "at_least": 0.90}]}}]}"#;

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

/// A directory with the key, the spec and `registry.json`: version 1 approved by bob and
/// carol under the spec's policy.
fn files(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("modelgate-cli-export-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let hex: String = SECRET.iter().map(|b| format!("{b:02x}")).collect();
    let key = format!(r#"{{"key_id": "ci-key", "hmac_sha256": "{hex}"}}"#);
    std::fs::write(dir.join("key.json"), key).unwrap();
    let other = format!(
        r#"{{"key_id": "ci-key", "hmac_sha256": "{}"}}"#,
        "ab".repeat(32)
    );
    std::fs::write(dir.join("other-key.json"), other).unwrap();
    std::fs::write(dir.join("production.json"), SPEC).unwrap();
    let pipeline = serde_json::from_str::<PipelineSpec>(SPEC)
        .unwrap()
        .validate()
        .unwrap();
    let digest = "sha256:1";
    let metrics = Metrics::new([("accuracy", 0.93)]).unwrap();
    let mut model = Model::new("churn", "1")
        .unwrap()
        .in_environment(pipeline.environment().clone())
        .submit(
            TrainingOutcome::new(digest, metrics).unwrap(),
            "alice",
            t(10),
        )
        .unwrap();
    for who in ["bob", "carol"] {
        model.record(Review::approve(who, digest, t(11))).unwrap();
    }
    let decided = model
        .decide(&pipeline.policy(), &DecisionContext::at(t(12)))
        .unwrap();
    let mut registry = Registry::new("churn").unwrap();
    registry.put(decided.approved().unwrap()).unwrap();
    let stored = registry
        .sealed_by(&HmacSealer::new("ci-key", SECRET))
        .unwrap();
    std::fs::write(
        dir.join("registry.json"),
        serde_json::to_string(&stored).unwrap(),
    )
    .unwrap();
    dir
}

fn modelgate(dir: &Path, args: &[&str]) -> Output {
    Command::cargo_bin("modelgate")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn export(dir: &Path, to: &str, key: &str) -> Output {
    modelgate(
        dir,
        &[
            "registry",
            "export",
            "registry.json",
            "--key",
            key,
            "--to",
            to,
        ],
    )
}

fn verify(dir: &Path, file: &str) -> Output {
    modelgate(
        dir,
        &[
            "registry",
            "verify",
            file,
            "--key",
            "key.json",
            "--spec",
            "production.json",
        ],
    )
}

#[test]
fn an_export_verifies_back_in_both_formats() {
    let dir = files("both");
    for (to, file) in [("jsonl", "churn.jsonl"), ("csv", "churn.csv")] {
        let out = export(&dir, to, "key.json");
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        std::fs::write(dir.join(file), &out.stdout).unwrap();
        let verified = verify(&dir, file);
        assert_eq!(verified.status.code(), Some(0), "{verified:?}");
        let shown = modelgate(&dir, &["registry", "show", file]);
        assert_eq!(shown.status.code(), Some(0), "{shown:?}");
    }
}

#[test]
fn no_export_without_the_key_that_sealed_it() {
    let dir = files("key");
    let out = export(&dir, "csv", "other-key.json");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    insta::assert_snapshot!(
        "export_refused_other_key",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_edited_row_is_refused_naming_line_and_column() {
    let dir = files("edited");
    let out = export(&dir, "csv", "key.json");
    let text = String::from_utf8(out.stdout).unwrap();
    // The auditor's copy says carol's vote was dave's.
    let forged = text.replacen(",carol,voted,", ",dave,voted,", 1);
    assert_ne!(forged, text);
    std::fs::write(dir.join("forged.csv"), forged).unwrap();
    let refused = verify(&dir, "forged.csv");
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    insta::assert_snapshot!(
        "export_edited_row",
        String::from_utf8_lossy(&refused.stderr).replace(&dir.display().to_string(), "<dir>")
    );
}
