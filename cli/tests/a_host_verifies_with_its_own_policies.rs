//! A host whose policy has a closure builds its own verify binary with the `modelgate-cli`
//! library: its policy is registered by fingerprint, and `verify` / `registry verify` decide
//! again with it when `--policy` names it; the `modelgate` binary, which has none registered,
//! refuses to guess.
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
/// The environment's spec: its name and approval window; its own policy is not the host's.
const SPEC: &str = "environment: production
steps:
  - name: approve
    type: approval
    inputs:
      users: ['bob', 'carol']
      gates: [{ metric: accuracy, at_least: 0.90 }]
";

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

/// The host's in-house check: a closure no spec can say.
fn in_house() -> impl Policy + Send + Sync + 'static {
    from_fn("in-house risk score below 0.2", |ctx| {
        let low = ctx.metrics().get("risk_score").is_some_and(|s| s < 0.2);
        let kind = if low {
            VerdictKind::Approve
        } else {
            VerdictKind::Reject
        };
        Verdict::new(kind, Vec::new())
    })
}

/// The host's policy: two approvals, accuracy at least 0.9, and its in-house check.
fn bank(quorum: usize) -> impl Policy + Send + Sync + 'static {
    (
        MetricGate::at_least("accuracy", 0.9),
        Quorum::new(quorum),
        in_house(),
    )
}

fn production() -> Environment {
    Environment::new("production").unwrap()
}

/// Version 1 in production, approved by bob and carol under `policy`.
fn approved(policy: &impl Policy) -> Model<Approved> {
    let metrics = Metrics::new([("accuracy", 0.93), ("risk_score", 0.1)]).unwrap();
    let mut model = Model::new("churn", "1")
        .unwrap()
        .in_environment(production())
        .submit(
            TrainingOutcome::new(DIGEST, metrics).unwrap(),
            "alice",
            t(1_000),
        )
        .unwrap();
    model
        .record(Review::approve("bob", DIGEST, t(1_001)))
        .unwrap();
    model
        .record(Review::approve("carol", DIGEST, t(1_002)))
        .unwrap();
    model
        .decide(policy, &DecisionContext::at(t(1_003)))
        .unwrap()
        .approved()
        .unwrap()
}

/// A fresh directory for `test` with the host's seal key, the spec, the stored model decided by
/// `policy` (`model.json`) and a registry holding it (`registry.json`).
fn files(test: &str, policy: &impl Policy) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("modelgate-cli-host-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let hex: String = SECRET.iter().map(|b| format!("{b:02x}")).collect();
    let key = format!(r#"{{"key_id": "ci-key", "hmac_sha256": "{hex}"}}"#);
    std::fs::write(dir.join("key.json"), key).unwrap();
    std::fs::write(dir.join("production.yaml"), SPEC).unwrap();
    let sealer = HmacSealer::new("ci-key", SECRET);
    let model = approved(policy);
    let stored = StoredModel::from(&model).sealed_by(&sealer).unwrap();
    std::fs::write(
        dir.join("model.json"),
        serde_json::to_string(&stored).unwrap(),
    )
    .unwrap();
    let mut registry = Registry::new("churn").unwrap();
    registry.put(model).unwrap();
    let stored = registry.sealed_by(&sealer).unwrap();
    std::fs::write(
        dir.join("registry.json"),
        serde_json::to_string(&stored).unwrap(),
    )
    .unwrap();
    dir
}

fn run(cli: &Cli, dir: &Path, args: &[&str]) -> Exit {
    let path = |a: &&str| {
        if a.ends_with(".json") || a.ends_with(".yaml") {
            dir.join(a).display().to_string()
        } else {
            (*a).to_owned()
        }
    };
    cli.run_from(std::iter::once("modelgate".to_owned()).chain(args.iter().map(path)))
}

fn verify(fingerprint: Option<&str>) -> Vec<&str> {
    let mut args = vec![
        "verify",
        "model.json",
        "--key",
        "key.json",
        "--spec",
        "production.yaml",
    ];
    args.extend(fingerprint.into_iter().flat_map(|fp| ["--policy", fp]));
    args
}

#[test]
fn a_host_binary_verifies_what_its_closure_decided() {
    let dir = files("verifies", &bank(2));
    let fingerprint = bank(2).fingerprint().to_string();
    let host = Cli::new().policy(bank(2)).unwrap();
    assert_eq!(run(&host, &dir, &verify(Some(&fingerprint))), Exit::Ok);
    // Without `--policy`, the spec's policy decides again, and it is not the one that decided.
    assert_eq!(run(&host, &dir, &verify(None)), Exit::Refused);
    // The `modelgate` binary has no policy registered: it names the fingerprint, not a guess.
    assert_eq!(
        run(&Cli::new(), &dir, &verify(Some(&fingerprint))),
        Exit::Error
    );
    // `--policy` goes with a spec, which gives the environment.
    let without_spec = [
        "verify",
        "model.json",
        "--key",
        "key.json",
        "--trust-decisions",
        "--policy",
        &fingerprint,
    ];
    assert_eq!(run(&host, &dir, &without_spec), Exit::Error);
}

#[test]
fn a_decision_by_a_looser_policy_is_refused_by_the_registered_one() {
    // The same closure with one approval instead of two: another structure, another
    // fingerprint; the registered policy would approve too, and the record is still refused:
    // a decision is held to the policy that made it.
    let dir = files("looser", &bank(1));
    let host = Cli::new().policy(bank(2)).unwrap();
    let strict = bank(2).fingerprint().to_string();
    assert_eq!(run(&host, &dir, &verify(Some(&strict))), Exit::Refused);
    // Registering the looser policy too does not help unless the verifier names it.
    let host = host.policy(bank(1)).unwrap();
    assert_eq!(run(&host, &dir, &verify(Some(&strict))), Exit::Refused);
    let loose = bank(1).fingerprint().to_string();
    assert_eq!(run(&host, &dir, &verify(Some(&loose))), Exit::Ok);
}

#[test]
fn two_policies_with_one_fingerprint_are_not_both_registered() {
    // A closure is known by its name: a looser one of the same name has the same fingerprint,
    // and the second registration is refused, handing back the command line and the policy.
    let looser = from_fn("in-house risk score below 0.2", |_| {
        Verdict::new(VerdictKind::Approve, Vec::new())
    });
    let e = Cli::new()
        .policy(in_house())
        .unwrap()
        .policy(looser)
        .unwrap_err();
    assert_eq!(e.fingerprint(), in_house().fingerprint());
    insta::assert_snapshot!(e.to_string());
    let (cli, refused) = e.into_parts();
    assert_eq!(
        cli.fingerprints().collect::<Vec<_>>(),
        [in_house().fingerprint()]
    );
    assert_eq!(refused.name(), "in-house risk score below 0.2");
}

#[test]
fn registry_verify_decides_an_environment_by_its_registered_policy() {
    let dir = files("registry", &bank(2));
    let fingerprint = bank(2).fingerprint().to_string();
    let host = Cli::new().policy(bank(2)).unwrap();
    let args = |policy: Option<String>| {
        let mut args = vec![
            "registry".to_owned(),
            "verify".to_owned(),
            "registry.json".to_owned(),
            "--key".to_owned(),
            "key.json".to_owned(),
            "--spec".to_owned(),
            "production.yaml".to_owned(),
        ];
        args.extend(policy.into_iter().flat_map(|p| ["--policy".to_owned(), p]));
        args
    };
    let exit = |policy: Option<String>| {
        let args = args(policy);
        run(
            &host,
            &dir,
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    };
    assert_eq!(exit(Some(format!("production={fingerprint}"))), Exit::Ok);
    assert_eq!(exit(None), Exit::Refused);
    // An environment no spec is for, a fingerprint not registered, no `=`: usage errors.
    assert_eq!(exit(Some(format!("staging={fingerprint}"))), Exit::Error);
    let other = Quorum::new(3).fingerprint();
    assert_eq!(exit(Some(format!("production={other}"))), Exit::Error);
    assert_eq!(exit(Some(fingerprint.clone())), Exit::Error);
    // Two for one environment.
    let both = args(Some(format!("production={fingerprint}")))
        .into_iter()
        .chain(["--policy".to_owned(), format!("production={fingerprint}")])
        .collect::<Vec<_>>();
    assert_eq!(
        run(
            &host,
            &dir,
            &both.iter().map(String::as_str).collect::<Vec<_>>()
        ),
        Exit::Error
    );
}

#[test]
fn a_run_is_decided_by_its_pipeline_not_a_registered_policy() {
    let dir = files("run", &bank(2));
    let spec: PipelineSpec = serde_saphyr::from_str(SPEC).unwrap();
    let pipeline = spec.validate().unwrap();
    let mut run_ = Run::start(
        pipeline,
        Model::new("churn", "1")
            .unwrap()
            .in_environment(production()),
        "alice",
        t(0),
    )
    .unwrap();
    let metrics = Metrics::new([("accuracy", 0.95), ("risk_score", 0.1)]).unwrap();
    run_.handle_artifact(Artifact::new(DIGEST, metrics).unwrap(), t(1))
        .unwrap();
    let stored = StoredModel::from(&run_.into_model())
        .sealed_by(&HmacSealer::new("ci-key", SECRET))
        .unwrap();
    std::fs::write(
        dir.join("model.json"),
        serde_json::to_string(&stored).unwrap(),
    )
    .unwrap();
    let fingerprint = bank(2).fingerprint().to_string();
    let host = Cli::new().policy(bank(2)).unwrap();
    assert_eq!(run(&host, &dir, &verify(None)), Exit::Ok);
    assert_eq!(run(&host, &dir, &verify(Some(&fingerprint))), Exit::Error);
}

/// The `modelgate` binary itself, as CI calls it.
fn modelgate(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = assert_cmd::Command::cargo_bin("modelgate")
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
fn the_modelgate_binary_has_no_policy_registered_and_says_where_to_register_one() {
    let dir = files("binary", &bank(2));
    let fingerprint = bank(2).fingerprint().to_string();
    let (code, stdout, _) = modelgate(&dir, &["policies"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("policies_none", stdout);
    let (code, _, stderr) = modelgate(&dir, &verify(Some(&fingerprint)));
    assert_eq!(code, 2);
    insta::assert_snapshot!(
        "unknown_policy",
        stderr.replace(&fingerprint, "<fingerprint>")
    );
    let args = [
        "registry",
        "verify",
        "registry.json",
        "--key",
        "key.json",
        "--spec",
        "production.yaml",
        "--policy",
    ];
    let (code, _, stderr) = modelgate(&dir, &[&args[..], &["staging=00"]].concat());
    assert_eq!(code, 2);
    insta::assert_snapshot!("a_policy_fingerprint_too_short", stderr);
}

#[test]
fn the_policies_command_lists_what_is_registered() {
    let host = Cli::new().policy(bank(2)).unwrap();
    assert_eq!(host.run_from(["modelgate", "policies"]), Exit::Ok);
    assert_eq!(
        host.run_from(["modelgate", "--format", "json", "policies"]),
        Exit::Ok
    );
    assert_eq!(host.run_from(["modelgate", "--help"]), Exit::Ok);
    assert_eq!(
        host.run_from(["modelgate", "policies", "extra"]),
        Exit::Error
    );
}
