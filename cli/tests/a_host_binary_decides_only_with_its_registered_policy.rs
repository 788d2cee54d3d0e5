//! A host's own verify binary decides only with the registered policy (a
//! separation-of-duties policy in code), an unregistered or misspelled pin is an error, and the
//! deploy gate needs its pin.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::path::{Path, PathBuf};

use modelgate::*;
use modelgate_cli::{Cli, Exit};

const DIGEST: &str = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
const SECRET: [u8; 32] = *b"0123456789abcdef0123456789abcdef";
const SPEC: &str = "environment: production
steps:
  - name: approve
    type: approval
    inputs:
      users: ['bob', 'carol']
";

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

/// Two approvals, not counting the fraud team's, and a host's closure.
fn independent() -> impl Policy + Send + Sync + 'static {
    Excluding::roles(
        ["fraud_ml"],
        (
            Quorum::new(2),
            from_fn("host check", |_| {
                Verdict::new(VerdictKind::Approve, Vec::new())
            }),
        ),
    )
}

/// The same without the exclusion.
fn counting_everyone() -> impl Policy + Send + Sync + 'static {
    (
        Quorum::new(2),
        from_fn("host check", |_| {
            Verdict::new(VerdictKind::Approve, Vec::new())
        }),
    )
}

/// bob (fraud_ml) and carol approve; decided by `policy`.
fn files(test: &str, policy: &impl Policy) -> Option<PathBuf> {
    let dir = std::env::temp_dir().join(format!("modelgate-host-binary-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let hex: String = SECRET.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(
        dir.join("key.json"),
        format!(r#"{{"key_id": "ci-key", "hmac_sha256": "{hex}"}}"#),
    )
    .unwrap();
    std::fs::write(dir.join("production.yaml"), SPEC).unwrap();
    let mut model = Model::new("churn", "1")
        .unwrap()
        .in_environment(Environment::new("production").unwrap())
        .submit(
            TrainingOutcome::new(DIGEST, Metrics::new([("accuracy", 0.93)]).unwrap()).unwrap(),
            "alice",
            t(1_000),
        )
        .unwrap();
    model
        .record(Review::approve("bob", DIGEST, t(1_001)).with_role("fraud_ml"))
        .unwrap();
    model
        .record(Review::approve("carol", DIGEST, t(1_002)))
        .unwrap();
    let approved = model
        .decide(policy, &DecisionContext::at(t(1_003)))
        .unwrap()
        .approved()
        .ok()?;
    let sealer = HmacSealer::new("ci-key", SECRET);
    let stored = StoredModel::from(&approved).sealed_by(&sealer).unwrap();
    std::fs::write(
        dir.join("model.json"),
        serde_json::to_string(&stored).unwrap(),
    )
    .unwrap();
    let mut registry = Registry::new("churn").unwrap();
    registry.put(approved).unwrap();
    let stored = registry.sealed_by(&sealer).unwrap();
    std::fs::write(
        dir.join("registry.json"),
        serde_json::to_string(&stored).unwrap(),
    )
    .unwrap();
    Some(dir)
}

fn run(cli: &Cli, dir: &Path, args: &[&str]) -> Exit {
    let path = |a: &&str| {
        if a.ends_with(".json") || a.ends_with(".yaml") {
            dir.join(a).display().to_string()
        } else {
            (*a).to_owned()
        }
    };
    cli.run_from(std::iter::once("bank-verify".to_owned()).chain(args.iter().map(path)))
}

#[test]
fn a_host_binary_decides_only_with_the_registered_exclusion() {
    // The exclusion itself refuses bob's approval: no approval to record.
    assert!(files("excluded", &independent()).is_none());
    // Decided counting bob: the host binary with the exclusion registered refuses it,
    // whether or not the looser policy is registered too.
    let dir = files("counting", &counting_everyone()).unwrap();
    let strict = independent().fingerprint().to_string();
    let loose = counting_everyone().fingerprint().to_string();
    assert_ne!(strict, loose);
    let host = Cli::new().policy(independent()).unwrap();
    let verify = |fp: &str| {
        vec![
            "verify",
            "model.json",
            "--key",
            "key.json",
            "--spec",
            "production.yaml",
            "--policy",
        ]
        .into_iter()
        .chain([fp])
        .map(str::to_owned)
        .collect::<Vec<_>>()
    };
    let args = verify(&strict);
    assert_eq!(
        run(
            &host,
            &dir,
            &args.iter().map(String::as_str).collect::<Vec<_>>()
        ),
        Exit::Refused
    );
    let registry = |pin: &str| {
        vec![
            "registry".to_owned(),
            "verify".to_owned(),
            "registry.json".to_owned(),
            "--key".to_owned(),
            "key.json".to_owned(),
            "--spec".to_owned(),
            "production.yaml".to_owned(),
            "--policy".to_owned(),
            pin.to_owned(),
        ]
    };
    let args = registry(&format!("production={strict}"));
    assert_eq!(
        run(
            &host,
            &dir,
            &args.iter().map(String::as_str).collect::<Vec<_>>()
        ),
        Exit::Refused
    );
    // The loose one unregistered: an error, not a verification by something else.
    let args = verify(&loose);
    assert_eq!(
        run(
            &host,
            &dir,
            &args.iter().map(String::as_str).collect::<Vec<_>>()
        ),
        Exit::Error
    );
    let args = registry(&format!("production={loose}"));
    assert_eq!(
        run(
            &host,
            &dir,
            &args.iter().map(String::as_str).collect::<Vec<_>>()
        ),
        Exit::Error
    );
    // Misspelled environments and fingerprints are errors.
    for pin in [
        format!("Production={strict}"),
        format!("PRODUCTION={strict}"),
        format!(" production={strict}"),
        format!("production ={strict}"),
        format!("production= {strict}"),
        format!("production={}", &strict[..63]),
        format!("production={strict}0"),
        format!("production=sha256:{strict}"),
        "production=".to_owned(),
        format!("={strict}"),
    ] {
        let args = registry(&pin);
        assert_eq!(
            run(
                &host,
                &dir,
                &args.iter().map(String::as_str).collect::<Vec<_>>()
            ),
            Exit::Error,
            "{pin}"
        );
    }
    // With the looser one registered too and named, it verifies: the record says so.
    let both = Cli::new()
        .policy(independent())
        .unwrap()
        .policy(counting_everyone())
        .unwrap();
    let args = verify(&loose);
    assert_eq!(
        run(
            &both,
            &dir,
            &args.iter().map(String::as_str).collect::<Vec<_>>()
        ),
        Exit::Ok
    );
    // An exclusion of the same roles in another order, or a spelling of one identity, is
    // registered only once if it is the same policy.
    let again = Cli::new()
        .policy(Excluding::roles(["a", "b"], Quorum::new(1)))
        .unwrap()
        .policy(Excluding::roles(["b", "a"], Quorum::new(1)));
    assert!(again.is_err());
}

#[test]
fn the_deploy_gate_needs_its_pin() {
    let base = [
        "bank-verify",
        "attest",
        "verify",
        "--trust-signer-approvals",
        "/nonexistent/envelope.json",
        "--key",
        "/nonexistent/k",
        "--name",
        "churn",
        "--digest",
        DIGEST,
        "--environment",
        "production",
    ];
    let fp = Quorum::new(1).fingerprint().to_string();
    let cli = Cli::new().policy(Quorum::new(1)).unwrap();
    for extra in [
        vec![],
        vec!["--policy", &fp, "--any-policy"],
        vec!["--policy", ""],
        vec!["--policy=", "--any-policy"],
        vec!["--policy", &fp[..63]],
        vec!["--any-policy", "--any-policy"],
        vec!["--policy", &fp, "--policy", &fp],
        vec!["--any-policy=false"],
        vec!["--any-policy=true"],
    ] {
        let args: Vec<&str> = base.iter().copied().chain(extra.iter().copied()).collect();
        assert_eq!(cli.run_from(&args), Exit::Error, "{extra:?}");
    }
}
