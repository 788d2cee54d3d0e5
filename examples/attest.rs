//! Approvals that travel: approve a model, write its signed attestation to a file, then play
//! the deploy gate in "another process": verify the file against the artifact's digest with the
//! public key alone, and refuse a tampered envelope and another artifact.
//!
//! `cargo run --features attest --example attest [-- DIR]` writes into DIR (default: a folder in
//! the system's temporary directory) `approval.dsse.json` (the envelope), `signer.pub.pem` (the
//! public key) and `digest.txt` (the artifact's digest), which `scripts/dsse_interop.py` and the
//! CLI (`modelgate attest verify`) read.

use std::error::Error;
use std::path::PathBuf;

use modelgate::attest::{self, Ed25519PublicKey, Ed25519Signer, Expected, VerifyError};
use modelgate::{DecisionContext, MetricGate, Metrics, Model, PolicyExt, Quorum, Review};
use modelgate::{Timestamp, TrainingOutcome};

/// When the gate deploys: a minute after the approval.
const DEPLOY_AT: u64 = 1_360;

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("modelgate-attest-example"));
    std::fs::create_dir_all(&dir)?;
    let t = Timestamp::from_unix_secs;

    // The host: train, submit, review, decide. The digest is the SHA-256 of the artifact's bytes.
    let digest = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
    let outcome = TrainingOutcome::new(digest, Metrics::new([("accuracy", 0.94)])?)?;
    let mut model = Model::new("fraud-detector", "2026.11")?.submit(outcome, "alice", t(1_000))?;
    model.record(Review::approve("bob", digest, t(1_100)).with_role("team_lead"))?;
    model.record(Review::approve("carol", digest, t(1_200)))?;
    let policy = MetricGate::at_least("accuracy", 0.9).and(Quorum::new(2));
    let model = model
        .decide(&policy, &DecisionContext::at(t(1_300)))?
        .approved()?;

    // Sign the approval (in production the key lives in a KMS behind `attest::Signer`) and
    // hand the envelope and the public key over.
    let signer = Ed25519Signer::from_seed(*b"example seed, never use it again");
    let envelope_file = dir.join("approval.dsse.json");
    std::fs::write(&envelope_file, model.attest(&signer)?.to_json())?;
    std::fs::write(dir.join("signer.pub.pem"), signer.public_key().to_pem())?;
    std::fs::write(dir.join("digest.txt"), format!("{digest}\n"))?;
    println!("wrote {}", envelope_file.display());

    // The deploy gate: it has the public key, the envelope and the artifact it is about to ship.
    let key = Ed25519PublicKey::parse(&std::fs::read_to_string(dir.join("signer.pub.pem"))?)?;
    let keys = [key];
    let envelope = std::fs::read(&envelope_file)?;
    // It deploys to `default` now (here, a minute after the approval); an approval for another
    // environment, a lapsed one or a deployed model's attestation would be refused.
    let expected = Expected::deploying("fraud-detector", digest.parse()?, "default", t(DEPLOY_AT))
        .version("2026.11");
    let approval = attest::verify(&envelope, &keys, &expected)?;
    let reviewers: Vec<&str> = approval.approvals().iter().map(|a| a.reviewer()).collect();
    println!(
        "deploy gate: {} {} approved by `{}` at {} ({}), trail head {}",
        approval.name(),
        approval.version(),
        approval.policy(),
        approval.decided_at(),
        reviewers.join(", "),
        approval.head()
    );

    // A tampered envelope: the approval moved to another artifact, the signature kept.
    let other = "sha256:fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9";
    let forged = String::from_utf8(envelope.clone())?;
    let original = attest::Envelope::from_json(&envelope)?;
    let payload = String::from_utf8(original.payload().to_vec())?
        .replace(&digest["sha256:".len()..], &other["sha256:".len()..]);
    let mut tampered = attest::Envelope::new(attest::PAYLOAD_TYPE, payload);
    for s in original.signatures() {
        tampered.push_signature(s.clone());
    }
    let refused = attest::verify(
        tampered.to_json().as_bytes(),
        &keys,
        &Expected::deploying("fraud-detector", other.parse()?, "default", t(DEPLOY_AT)),
    );
    match refused {
        Err(e @ VerifyError::BadSignature { .. }) => {
            println!("deploy gate: tampered envelope refused: {e}")
        }
        other => return Err(format!("the tampered envelope was not refused: {other:?}").into()),
    }

    // The genuine envelope, presented for another artifact.
    match attest::verify(
        forged.as_bytes(),
        &keys,
        &Expected::deploying("fraud-detector", other.parse()?, "default", t(DEPLOY_AT)),
    ) {
        Err(e @ VerifyError::WrongDigest { .. }) => {
            println!("deploy gate: another artifact refused: {e}")
        }
        other => return Err(format!("another artifact was not refused: {other:?}").into()),
    }
    Ok(())
}
