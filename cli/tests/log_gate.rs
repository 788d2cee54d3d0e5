//! Revocation the gate sees: with `--checkpoint`, `modelgate attest verify` passes only an
//! approval whose head is its trail's latest in the host's log as of a checkpoint signed by
//! the log's key; and `modelgate log` signs checkpoints and makes and checks the proofs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use modelgate::attest::Ed25519Signer;
use modelgate::log::{HeadProof, Leaf, NoteSigner};
use modelgate::{
    DecisionContext, Environment, Head, MetricGate, Metrics, Model, Timestamp, TrainingOutcome,
};

const DIGEST: &str = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

fn t(s: u64) -> Timestamp {
    Timestamp::from_unix_secs(s)
}

/// Standard base64, for the signer key file.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A note key pair as Go writes them: (signer text, verifier text).
fn note_key(name: &str, seed: u8) -> (String, String) {
    let vkey = NoteSigner::new(name, [seed; 32])
        .unwrap()
        .verifier()
        .to_text();
    let hash = vkey.split('+').nth(1).unwrap().to_owned();
    let mut key = vec![1u8];
    key.extend_from_slice(&[seed; 32]);
    (format!("PRIVATE+KEY+{name}+{hash}+{}", base64(&key)), vkey)
}

fn leaf(name: &str, version: &str, environment: &str, head: Head, revision: u64) -> Leaf {
    Leaf::new(name, version, environment, head, revision, t(revision))
}

/// The approved model's envelope, and the log's leaves up to its approval and one after.
fn fixtures(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("modelgate-cli-log-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    let outcome =
        TrainingOutcome::new(DIGEST, Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap();
    let submitted = Model::new("churn", "3")
        .unwrap()
        .in_environment(Environment::new("production").unwrap())
        .submit(outcome, "alice", t(1))
        .unwrap();
    let submitted_head = submitted.head();
    let approved = submitted
        .decide(
            &MetricGate::at_least("accuracy", 0.9),
            &DecisionContext::at(t(10)),
        )
        .unwrap()
        .approved()
        .unwrap();
    let signer = Ed25519Signer::from_seed([21; 32]);
    write(
        "approval.dsse.json",
        &approved.attest(&signer).unwrap().to_json(),
    );
    write("signer.pub.pem", &signer.public_key().to_pem());
    let before = vec![
        leaf("fraud", "1", "production", Head::from_bytes([1; 32]), 1),
        leaf("churn", "3", "production", submitted_head, 1),
        leaf(
            "churn",
            "3",
            "production",
            approved.head(),
            approved.revision(),
        ),
        leaf("churn", "3", "staging", Head::from_bytes([2; 32]), 1),
    ];
    let mut revoked = before.clone();
    revoked.push(leaf(
        "churn",
        "3",
        "production",
        Head::from_bytes([3; 32]),
        3,
    ));
    let mut rewritten = revoked.clone();
    rewritten[0] = leaf("fraud", "1", "production", Head::from_bytes([9; 32]), 1);
    write(
        "approved.log.json",
        &serde_json::to_string(&before).unwrap(),
    );
    write(
        "revoked.log.json",
        &serde_json::to_string(&revoked).unwrap(),
    );
    write(
        "rewritten.log.json",
        &serde_json::to_string(&rewritten).unwrap(),
    );
    let (skey, vkey) = note_key("bank.example/models", 7);
    write("log.skey", &skey);
    write("log.vkey", &vkey);
    let (skey, _) = note_key("bank.example/models", 8);
    write("intruder.skey", &skey);
    dir
}

/// Runs `modelgate` in `dir`: the exit code, stdout and stderr.
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

/// `modelgate log checkpoint` of `log` with `key`, written to `out`.
fn checkpoint(dir: &Path, log: &str, key: &str, out: &str) {
    let (code, stdout, stderr) = run(dir, &["log", "checkpoint", log, "--signer-key", key]);
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(dir.join(out), stdout).unwrap();
}

/// `modelgate log prove` of churn 3 in production, written to `out`.
fn prove(dir: &Path, log: &str, cp: &str, out: &str) {
    let (code, stdout, stderr) = run(
        dir,
        &[
            "log",
            "prove",
            log,
            "--checkpoint",
            cp,
            "--log-key",
            "log.vkey",
            "--name",
            "churn",
            "--version",
            "3",
            "--environment",
            "production",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(dir.join(out), stdout).unwrap();
}

/// The gate with the log: exit code and stderr.
fn gate(dir: &Path, cp: &str, proof: &str) -> (i32, String) {
    let (code, _, stderr) = run(
        dir,
        &[
            "attest",
            "verify",
            "--trust-signer-approvals",
            "--any-policy",
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
            "100",
            "--checkpoint",
            cp,
            "--proof",
            proof,
            "--log-key",
            "log.vkey",
        ],
    );
    (code, stderr)
}

#[test]
fn an_approval_still_current_in_the_log_passes_the_gate() {
    let dir = fixtures("current");
    checkpoint(&dir, "approved.log.json", "log.skey", "cp.txt");
    prove(&dir, "approved.log.json", "cp.txt", "proof.json");
    let (code, stderr) = gate(&dir, "cp.txt", "proof.json");
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn an_approval_revoked_before_the_checkpoint_is_refused() {
    let dir = fixtures("revoked");
    checkpoint(&dir, "revoked.log.json", "log.skey", "cp.txt");
    // The store's proof is of the trail's latest head: not the approved one.
    prove(&dir, "revoked.log.json", "cp.txt", "latest.json");
    let (code, stderr) = gate(&dir, "cp.txt", "latest.json");
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("revoked_latest", stderr);
    // A proof of the approved leaf, honest about what follows: the later head is named.
    let log: Vec<Leaf> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("revoked.log.json")).unwrap())
            .unwrap();
    let mut tree = modelgate::log::Tree::new();
    for l in &log {
        tree.append(l.hash());
    }
    let honest = HeadProof::prove(&tree, 2, log[2].clone(), log[3..].to_vec()).unwrap();
    std::fs::write(
        dir.join("honest.json"),
        serde_json::to_string(&honest).unwrap(),
    )
    .unwrap();
    let (code, stderr) = gate(&dir, "cp.txt", "honest.json");
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("revoked_named", stderr);
    // The revoking leaf dropped: the proof is of a smaller tree.
    let dropped = HeadProof::prove(&tree, 2, log[2].clone(), log[3..4].to_vec()).unwrap();
    std::fs::write(
        dir.join("dropped.json"),
        serde_json::to_string(&dropped).unwrap(),
    )
    .unwrap();
    let (code, stderr) = gate(&dir, "cp.txt", "dropped.json");
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("revoked_dropped", stderr);
    // The revoking leaf relabelled as another trail: the root no longer matches.
    let mut later = log[3..].to_vec();
    let l = &later[1];
    later[1] = Leaf::new("churn", "3", "staging", l.head(), l.revision(), l.at());
    let relabelled = HeadProof::prove(&tree, 2, log[2].clone(), later).unwrap();
    std::fs::write(
        dir.join("relabelled.json"),
        serde_json::to_string(&relabelled).unwrap(),
    )
    .unwrap();
    let (code, stderr) = gate(&dir, "cp.txt", "relabelled.json");
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("revoked_relabelled", stderr);
}

#[test]
fn an_approval_proved_against_an_older_checkpoint_is_refused_with_the_newer() {
    let dir = fixtures("stale");
    checkpoint(&dir, "approved.log.json", "log.skey", "old.txt");
    prove(&dir, "approved.log.json", "old.txt", "old.json");
    checkpoint(&dir, "revoked.log.json", "log.skey", "new.txt");
    let (code, stderr) = gate(&dir, "new.txt", "old.json");
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("stale_proof", stderr);
}

#[test]
fn a_checkpoint_not_signed_by_the_log_key_is_refused() {
    let dir = fixtures("intruder");
    checkpoint(&dir, "approved.log.json", "intruder.skey", "cp.txt");
    let (code, _, stderr) = run(
        &dir,
        &[
            "log",
            "prove",
            "approved.log.json",
            "--checkpoint",
            "cp.txt",
            "--log-key",
            "log.vkey",
            "--name",
            "churn",
            "--version",
            "3",
            "--environment",
            "production",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    // The intruder's checkpoint and a proof that fits it: the gate still refuses.
    checkpoint(&dir, "approved.log.json", "log.skey", "real.txt");
    prove(&dir, "approved.log.json", "real.txt", "proof.json");
    let (code, stderr) = gate(&dir, "cp.txt", "proof.json");
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("intruder_checkpoint", stderr);
}

#[test]
fn the_gate_with_a_checkpoint_needs_the_proof_and_the_key() {
    let dir = fixtures("usage");
    checkpoint(&dir, "approved.log.json", "log.skey", "cp.txt");
    let (code, _, stderr) = run(
        &dir,
        &[
            "attest",
            "verify",
            "--trust-signer-approvals",
            "--any-policy",
            "approval.dsse.json",
            "--key",
            "signer.pub.pem",
            "--name",
            "churn",
            "--digest",
            DIGEST,
            "--environment",
            "production",
            "--checkpoint",
            "cp.txt",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    // A proof file that is not a proof: exit 2, naming the file.
    std::fs::write(dir.join("garbage.json"), "{\"index\": 1}").unwrap();
    let (code, stderr) = gate(&dir, "cp.txt", "garbage.json");
    assert_eq!(code, 2, "{stderr}");
    insta::assert_snapshot!("unreadable_proof", stderr);
}

#[test]
fn a_log_that_extends_the_held_checkpoint_verifies_and_a_rewritten_one_does_not() {
    let dir = fixtures("consistency");
    checkpoint(&dir, "approved.log.json", "log.skey", "old.txt");
    checkpoint(&dir, "revoked.log.json", "log.skey", "new.txt");
    let (code, stdout, stderr) = run(
        &dir,
        &[
            "log",
            "prove",
            "revoked.log.json",
            "--checkpoint",
            "new.txt",
            "--log-key",
            "log.vkey",
            "--old",
            "old.txt",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(dir.join("consistency.json"), stdout).unwrap();
    let verify = |new: &str| {
        run(
            &dir,
            &[
                "log",
                "verify-consistency",
                "--old",
                "old.txt",
                "--new",
                new,
                "--proof",
                "consistency.json",
                "--log-key",
                "log.vkey",
            ],
        )
    };
    let (code, stdout, stderr) = verify("new.txt");
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("consistent", stdout);
    // The log rewritten before the old checkpoint, and signed again by the log's key.
    checkpoint(&dir, "rewritten.log.json", "log.skey", "rewritten.txt");
    let (code, _, stderr) = run(
        &dir,
        &[
            "log",
            "prove",
            "rewritten.log.json",
            "--checkpoint",
            "rewritten.txt",
            "--log-key",
            "log.vkey",
            "--old",
            "old.txt",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("rewritten_prove", stderr);
    let (code, _, stderr) = verify("rewritten.txt");
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!("rewritten_verify", stderr);
}
