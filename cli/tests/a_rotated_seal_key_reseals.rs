//! The host's sealing key rotates: a key file says when its key retired (`retired_at`), a record sealed by a retired key verifies for its time and not
//! past it, and `modelgate reseal` seals a model or a registry again under the new key, writing
//! the old seals to an evidence file; a record whose seal does not verify is not resealed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use modelgate::{
    DecisionContext, HmacSealer, MetricGate, Metrics, Model, Registry, Review, StoredModel,
    Timestamp, TrainingOutcome,
};

const OLD: [u8; 32] = *b"0123456789abcdef0123456789abcdef";
const NEW: [u8; 32] = *b"fedcba9876543210fedcba9876543210";
const DIGEST: &str = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

fn t(s: u64) -> Timestamp {
    Timestamp::from_unix_secs(s)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The old key retired at 100 s (1970-01-01T00:01:40Z), the new one in use.
fn dir(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("reseal-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: String| std::fs::write(dir.join(name), text).unwrap();
    write(
        "old.json",
        format!(
            r#"{{"key_id": "db-2025", "hmac_sha256": "{}", "retired_at": "1970-01-01T00:01:40Z"}}"#,
            hex(&OLD)
        ),
    );
    write(
        "new.json",
        format!(r#"{{"key_id": "db-2026", "hmac_sha256": "{}"}}"#, hex(&NEW)),
    );
    write(
        "new.pub.json",
        r#"{"key_id": "db-2026", "ed25519_public_key": "0000000000000000000000000000000000000000000000000000000000000000"}"#.to_owned(),
    );
    dir
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
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

/// Approved at 30 (or, with `late`, a vote recorded at 200 after it was submitted).
fn model(late: bool) -> StoredModel {
    let outcome =
        TrainingOutcome::new(DIGEST, Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap();
    let mut submitted = Model::new("churn", "1")
        .unwrap()
        .submit(outcome, "alice", t(10))
        .unwrap();
    if late {
        submitted
            .record(Review::approve("bob", DIGEST, t(200)))
            .unwrap();
        return StoredModel::from(&submitted);
    }
    let approved = submitted
        .decide(
            &MetricGate::at_least("accuracy", 0.9),
            &DecisionContext::at(t(30)),
        )
        .unwrap()
        .approved()
        .unwrap();
    StoredModel::from(&approved)
}

fn write_sealed(dir: &Path, file: &str, stored: StoredModel, key: [u8; 32], id: &str) {
    let sealed = stored.sealed_by(&HmacSealer::new(id, key)).unwrap();
    std::fs::write(dir.join(file), serde_json::to_string(&sealed).unwrap()).unwrap();
}

fn verify(dir: &Path, file: &str, keys: &[&str]) -> (i32, String) {
    let mut args = vec!["verify", file, "--trust-decisions"];
    for k in keys {
        args.extend(["--key", k]);
    }
    let (code, _, stderr) = run(dir, &args);
    (code, stderr)
}

#[test]
fn a_retired_key_verifies_for_its_time_and_not_past_it() {
    let dir = dir("time");
    write_sealed(&dir, "before.json", model(false), OLD, "db-2025");
    write_sealed(&dir, "after.json", model(true), OLD, "db-2025");
    let (code, stderr) = verify(&dir, "before.json", &["old.json", "new.json"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = verify(&dir, "after.json", &["old.json", "new.json"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("was retired at 1970-01-01T00:01:40Z"),
        "{stderr}"
    );
}

#[test]
fn reseal_seals_again_under_the_new_key_and_keeps_the_old_seal() {
    let dir = dir("model");
    write_sealed(&dir, "stored.json", model(true), OLD, "db-2025");
    // Before it reseals, the record must verify: the late trail under the retired key does
    // not, so a key in use then must verify it (here, the old key without its end).
    let (code, _, stderr) = run(
        &dir,
        &[
            "reseal",
            "stored.json",
            "--key",
            "old.json",
            "--to",
            "new.json",
            "--evidence",
            "ev.json",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(!dir.join("ev.json").exists());
    write_sealed(&dir, "stored.json", model(false), OLD, "db-2025");
    let (code, stdout, stderr) = run(
        &dir,
        &[
            "reseal",
            "stored.json",
            "--key",
            "old.json",
            "--to",
            "new.json",
            "--evidence",
            "ev.json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(dir.join("resealed.json"), &stdout).unwrap();
    // The new key alone verifies it; the head did not move.
    let (code, stderr) = verify(&dir, "resealed.json", &["new.json"]);
    assert_eq!(code, 0, "{stderr}");
    let before: StoredModel =
        serde_json::from_str(&std::fs::read_to_string(dir.join("stored.json")).unwrap()).unwrap();
    let after: StoredModel = serde_json::from_str(&stdout).unwrap();
    assert_eq!(before.head(), after.head());
    assert_eq!(before.events(), after.events());
    // The evidence holds the old seal, over that head.
    let evidence: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("ev.json")).unwrap()).unwrap();
    let old = &evidence["old_seals"][0];
    assert_eq!(old["head"], before.head().to_string());
    assert_eq!(
        old["seal"],
        serde_json::to_value(before.seal().unwrap()).unwrap()
    );
}

#[test]
fn reseal_refuses_a_forged_record_and_a_key_that_cannot_seal() {
    let dir = dir("refused");
    // Sealed by a key nobody trusts.
    write_sealed(&dir, "forged.json", model(false), [7; 32], "db-2025");
    let (code, _, stderr) = run(
        &dir,
        &[
            "reseal",
            "forged.json",
            "--key",
            "old.json",
            "--to",
            "new.json",
            "--evidence",
            "ev.json",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(!dir.join("ev.json").exists());
    write_sealed(&dir, "stored.json", model(false), OLD, "db-2025");
    let (code, _, stderr) = run(
        &dir,
        &[
            "reseal",
            "stored.json",
            "--key",
            "old.json",
            "--to",
            "new.pub.json",
            "--evidence",
            "ev.json",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot make one"), "{stderr}");
    // The evidence file is required: old seals are never dropped silently.
    let (code, _, stderr) = run(
        &dir,
        &[
            "reseal",
            "stored.json",
            "--key",
            "old.json",
            "--to",
            "new.json",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn reseal_seals_a_registry_member_by_member_and_its_index() {
    let dir = dir("registry");
    let outcome =
        TrainingOutcome::new(DIGEST, Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap();
    let mut registry = Registry::new("churn").unwrap();
    registry
        .put(
            Model::new("churn", "1")
                .unwrap()
                .submit(outcome, "alice", t(10))
                .unwrap(),
        )
        .unwrap();
    let stored = registry
        .sealed_by(&HmacSealer::new("db-2025", OLD))
        .unwrap();
    std::fs::write(
        dir.join("registry.json"),
        serde_json::to_string(&stored).unwrap(),
    )
    .unwrap();
    let (code, stdout, stderr) = run(
        &dir,
        &[
            "reseal",
            "registry.json",
            "--key",
            "old.json",
            "--to",
            "new.json",
            "--evidence",
            "ev.json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(dir.join("resealed.json"), &stdout).unwrap();
    let (code, _, stderr) = run(
        &dir,
        &["registry", "show", "resealed.json", "--key", "new.json"],
    );
    assert_eq!(code, 0, "{stderr}");
    let evidence = std::fs::read_to_string(dir.join("ev.json")).unwrap();
    assert!(evidence.contains("member churn 1 in default"), "{evidence}");
    assert!(evidence.contains("index of churn"), "{evidence}");
}
