//! Attestations (feature `attest`): the DSSE specification's vector, the statement and envelope
//! pinned, and every way an envelope can be forged or misused, each refused with its own error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use common::approved_by_the_gate;
use modelgate::attest::{
    self, ApprovedBy, ArtifactDigest, AttestError, Ed25519PublicKey, Ed25519Signer, Envelope,
    Expected, PAYLOAD_TYPE, Signature, VerifiedApproval, VerifyError,
};
use modelgate::{
    Approved, DecisionContext, Deployed, Environment, MetricGate, Metrics, Model, PolicyExt,
    Quorum, Receipt, Review, Status, Timestamp, TrainingOutcome, when,
};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

/// `sha256:` and the SHA-256 of `content`: an artifact's digest.
fn digest_of(content: &str) -> String {
    let hex: String = Sha256::digest(content.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

fn a() -> String {
    digest_of("model A weights")
}

fn b() -> String {
    digest_of("model B weights")
}

fn signer() -> Ed25519Signer {
    Ed25519Signer::from_seed([1; 32])
}

fn intruder() -> Ed25519Signer {
    Ed25519Signer::from_seed([2; 32])
}

fn trusted() -> Vec<Ed25519PublicKey> {
    vec![signer().public_key()]
}

/// `name` approved by bob (team lead) and carol, the submitter alice's own vote not counted.
fn approved(name: &str, digest: &str) -> Model<Approved> {
    let outcome = TrainingOutcome::new(
        digest,
        Metrics::new([("accuracy", 0.94), ("latency_p99_ms", 41.5)]).unwrap(),
    )
    .unwrap();
    let mut m = Model::new(name, "2026.11")
        .unwrap()
        .submit(outcome, "alice", t(1_764_000_000))
        .unwrap();
    m.record(Review::approve("alice", digest, t(1_764_000_060)))
        .unwrap();
    m.record(Review::approve("bob", digest, t(1_764_000_120)).with_role("team_lead"))
        .unwrap();
    m.record(Review::approve("carol", digest, t(1_764_000_180)).with_role("ml_reviewer"))
        .unwrap();
    let policy = MetricGate::at_least("accuracy", 0.9).and(Quorum::new(2));
    let ctx = DecisionContext::at(t(1_764_000_240))
        .with_champion(Metrics::new([("accuracy", 0.93)]).unwrap());
    m.decide(&policy, &ctx).unwrap().approved().unwrap()
}

fn deployed() -> Model<Deployed> {
    approved("fraud-detector", &a())
        .mark_deployed(
            Receipt::new("prod/fraud-detector@2026.11"),
            "deploy-bot",
            Timestamp::from_unix_millis(1_764_000_300_250),
        )
        .unwrap()
}

fn envelope_a() -> String {
    approved("fraud-detector", &a())
        .attest(&signer())
        .unwrap()
        .to_json()
}

/// The gate's expectation: `digest`, deployed a little after the test models were approved.
fn expect(digest: &str) -> Expected {
    Expected::deploying(
        "fraud-detector",
        digest.parse().unwrap(),
        "default",
        t(1_764_000_300),
    )
}

/// The validity the tests give deployment attestations: an hour after the deployment.
const HOUR: std::time::Duration = std::time::Duration::from_secs(3_600);

fn verify(json: &str, digest: &str) -> Result<VerifiedApproval, VerifyError> {
    attest::verify(json.as_bytes(), &trusted(), &expect(digest))
}

/// The statement inside an envelope, as JSON.
fn statement_of(envelope: &str) -> Value {
    let env = Envelope::from_json(envelope.as_bytes()).unwrap();
    serde_json::from_slice(env.payload()).unwrap()
}

/// An envelope of `payload` (any bytes) of type `payload_type`, signed by `by`.
fn signed(payload_type: &str, payload: &[u8], by: &Ed25519Signer) -> String {
    let mut env = Envelope::new(payload_type, payload);
    env.sign(by).unwrap();
    env.to_json()
}

/// The statement of model A, edited by `edit`, signed again by the trusted key: what a
/// compromised or confused signer, not an intruder, could produce.
fn resigned(edit: impl FnOnce(&mut Value)) -> String {
    let mut statement = statement_of(&envelope_a());
    edit(&mut statement);
    signed(PAYLOAD_TYPE, statement.to_string().as_bytes(), &signer())
}

fn field(envelope: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut json: Value = serde_json::from_str(envelope).unwrap();
    edit(&mut json);
    json.to_string()
}

fn pretty(bytes: &[u8]) -> String {
    serde_json::to_string_pretty(&serde_json::from_slice::<Value>(bytes).unwrap()).unwrap()
}

// ---------------------------------------------------------------------------------------------
// DSSE's own vector, and what is signed.

#[test]
fn pae_is_the_dsse_specs_example() {
    assert_eq!(
        attest::pae("http://example.com/HelloWorld", b"hello world"),
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    );
    assert_eq!(attest::pae("", b""), b"DSSEv1 0  0 ");
    // Lengths are bytes, not characters.
    assert_eq!(
        attest::pae("t", "é".as_bytes()),
        "DSSEv1 1 t 2 é".as_bytes()
    );
}

#[test]
fn the_dsse_specs_example_envelope_reads_as_the_spec_says() {
    // From protocol.md: signed with ECDSA P-256, which this crate does not verify; its payload,
    // type and signature bytes must read back as the spec gives them.
    let json = r#"{"payload": "aGVsbG8gd29ybGQ=",
 "payloadType": "http://example.com/HelloWorld",
 "signatures": [{"sig": "A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA=="}]}"#;
    let env = Envelope::from_json(json.as_bytes()).unwrap();
    assert_eq!(env.payload(), b"hello world");
    assert_eq!(
        env.pae(),
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    );
    assert_eq!(env.signatures()[0].key_id(), "");
    assert_eq!(env.signatures()[0].sig().len(), 64);
}

#[test]
fn the_signature_is_ed25519_over_the_pae() {
    let env = Envelope::from_json(envelope_a().as_bytes()).unwrap();
    let sig = ed25519_dalek::Signature::from_slice(env.signatures()[0].sig()).unwrap();
    let key = ed25519_dalek::VerifyingKey::from_bytes(&signer().public_key().to_bytes()).unwrap();
    key.verify_strict(&attest::pae(PAYLOAD_TYPE, env.payload()), &sig)
        .unwrap();
}

#[test]
fn key_ids_are_the_sha256_of_the_public_key() {
    let key = signer().public_key();
    let hex: String = Sha256::digest(key.to_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(attest::Verifier::key_id(&key), hex);
    let env = Envelope::from_json(envelope_a().as_bytes()).unwrap();
    assert_eq!(env.signatures()[0].key_id(), hex);
    // PEM and hex read back to the same key and id.
    assert_eq!(Ed25519PublicKey::parse(&key.to_pem()).unwrap(), key);
    let hex_key: String = key.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(Ed25519PublicKey::parse(&hex_key).unwrap(), key);
    insta::assert_snapshot!("public_key_pem", key.to_pem());
}

// ---------------------------------------------------------------------------------------------
// The statement and the envelope, pinned.

#[test]
fn statement_of_an_approved_model() {
    let statement = approved("fraud-detector", &a()).attestation().unwrap();
    insta::assert_snapshot!("statement_approved", pretty(statement.to_json()));
}

#[test]
fn statement_of_a_deployed_model() {
    let statement = deployed().attestation(HOUR).unwrap();
    insta::assert_snapshot!("statement_deployed", pretty(statement.to_json()));
}

#[test]
fn statement_of_an_automatic_approval() {
    let digest = a();
    let outcome =
        TrainingOutcome::new(&digest, Metrics::new([("accuracy", 0.99)]).unwrap()).unwrap();
    let m = Model::new("churn", "7")
        .unwrap()
        .submit(outcome, "alice", t(10))
        .unwrap();
    let policy = when(MetricGate::above("accuracy", 0.97))
        .approve_automatically()
        .otherwise(Quorum::new(2));
    let m = m
        .decide(&policy, &DecisionContext::at(t(11)))
        .unwrap()
        .approved()
        .unwrap();
    let statement = m.attestation().unwrap();
    insta::assert_snapshot!("statement_automatic", pretty(statement.to_json()));
    let gate = Expected::deploying("churn", digest.parse().unwrap(), "default", t(11));
    let json = m.attest(&signer()).unwrap().to_json();
    let approval = attest::verify(json.as_bytes(), &trusted(), &gate).unwrap();
    assert!(
        matches!(approval.approved_by(), ApprovedBy::Automatic { rule } if rule == "accuracy above 0.97")
    );
    assert!(approval.approvals().is_empty());
}

#[test]
fn envelope_of_an_approved_model() {
    // Ed25519 is deterministic: the whole envelope is pinned, signature included.
    insta::assert_snapshot!("envelope_approved", envelope_a());
}

#[test]
fn a_run_records_its_pipeline_and_policy_fingerprints() {
    let digest = a();
    let spec: modelgate::PipelineSpec = serde_json::from_value(json!({"steps": [
        {"name": "approve", "type": "approval", "inputs": {"approvers": ["bob"]}}
    ]}))
    .unwrap();
    let pipeline = spec.validate().unwrap();
    let fingerprint = pipeline.fingerprint();
    let policy = modelgate::PolicyExt::fingerprint(&pipeline.policy());
    let mut run =
        modelgate::Run::start(pipeline, Model::new("churn", "1").unwrap(), "alice", t(1)).unwrap();
    let _ = run.poll(t(2)).unwrap();
    run.handle_artifact(
        modelgate::Artifact::new(&digest, Metrics::new([("accuracy", 0.9)]).unwrap()).unwrap(),
        t(3),
    )
    .unwrap();
    let _ = run.poll(t(4)).unwrap();
    run.record_vote(Review::approve("bob", &digest, t(5)))
        .unwrap();
    let _ = run.poll(t(6)).unwrap();
    let modelgate::AnyModel::Approved(model) = run.into_model() else {
        panic!("expected an approved model");
    };
    let gate = Expected::deploying("churn", digest.parse().unwrap(), "default", t(6));
    let json = model.attest(&signer()).unwrap().to_json();
    let approval = attest::verify(json.as_bytes(), &trusted(), &gate).unwrap();
    assert_eq!(approval.pipeline_fingerprint(), Some(fingerprint));
    assert_eq!(approval.policy_fingerprint(), Some(policy));
}

// ---------------------------------------------------------------------------------------------
// The deploy gate accepts what it should.

#[test]
fn an_approval_verifies_and_says_everything() {
    let model = approved("fraud-detector", &a());
    let approval = verify(&model.attest(&signer()).unwrap().to_json(), &a()).unwrap();
    assert_eq!(approval.digest().to_string(), a());
    assert_eq!(
        (approval.name(), approval.version()),
        ("fraud-detector", "2026.11")
    );
    assert_eq!(approval.environment(), "default");
    assert_eq!(approval.status(), Status::Approved);
    assert_eq!(approval.submitter(), "alice");
    assert_eq!(approval.attempt(), 1);
    assert_eq!(approval.submitted_at(), t(1_764_000_000));
    assert_eq!(approval.metrics(), model.stage().submission().metrics());
    assert_eq!(approval.policy(), model.stage().decision().policy());
    assert_eq!(
        approval.policy_fingerprint(),
        model.stage().decision().policy_fingerprint()
    );
    assert!(approval.policy_fingerprint().is_some());
    assert_eq!(approval.pipeline_fingerprint(), None);
    assert_eq!(approval.decided_at(), t(1_764_000_240));
    assert_eq!(
        approval.findings(),
        model.stage().decision().verdict().findings()
    );
    assert_eq!(approval.champion(), model.stage().decision().champion());
    let reviewers: Vec<_> = approval
        .approvals()
        .iter()
        .map(|a| (a.reviewer(), a.roles().to_vec(), a.at()))
        .collect();
    assert_eq!(
        reviewers,
        [
            ("bob", vec![String::from("team_lead")], t(1_764_000_120)),
            ("carol", vec![String::from("ml_reviewer")], t(1_764_000_180)),
        ]
    );
    assert_eq!(approval.head(), model.head());
    assert_eq!(approval.revision(), model.revision());
    assert_eq!(approval.deployment(), None);
    assert_eq!(approval.signed_by(), [attest::Verifier::key_id(&signer())]);
}

#[test]
fn a_running_deployment_verifies_with_its_receipt_when_the_gate_says_so() {
    let model = deployed();
    let json = model.attest(&signer(), HOUR).unwrap().to_json();
    // A second after the deployment (at 1_764_000_300.250): not before it.
    let gate = Expected::deploying(
        "fraud-detector",
        a().parse().unwrap(),
        "default",
        t(1_764_000_301),
    )
    .accepting_running_deployment();
    let approval = attest::verify(json.as_bytes(), &trusted(), &gate).unwrap();
    assert_eq!(approval.status(), Status::Deployed);
    let deployment = approval.deployment().unwrap();
    assert_eq!(deployment.receipt(), "prod/fraud-detector@2026.11");
    assert_eq!(deployment.by(), "deploy-bot");
    assert_eq!(
        deployment.at(),
        Timestamp::from_unix_millis(1_764_000_300_250)
    );
    assert_eq!(
        deployment.valid_until(),
        Timestamp::from_unix_millis(1_764_003_900_250)
    );
    assert_eq!(approval.head(), model.head());
    // Without saying so, the gate refuses it: a deployment is not an approval to deploy.
    let err = verify(&json, &a()).unwrap_err();
    assert!(matches!(err, VerifyError::Deployed { .. }), "{err}");
}

#[test]
fn the_expected_environment_is_required_and_compared_exactly() {
    let json = envelope_a();
    assert!(verify(&json, &a()).is_ok());
    for other in ["production", "Default", "default ", ""] {
        let gate = Expected::deploying(
            "fraud-detector",
            a().parse().unwrap(),
            other,
            t(1_764_000_300),
        );
        let err = attest::verify(json.as_bytes(), &trusted(), &gate).unwrap_err();
        assert!(
            matches!(err, VerifyError::WrongEnvironment { .. }),
            "{other}"
        );
    }
}

/// A model approved in `production`, whose approvals are valid for one day.
fn approved_in_production() -> Model<Approved> {
    let production = Environment::new("production")
        .unwrap()
        .with_approval_validity(std::time::Duration::from_secs(86_400));
    approved_by_the_gate(production, "7", &a(), 1_000, 1_001)
}

#[test]
fn an_approval_says_its_environment_and_a_staging_gate_refuses_it() {
    let json = approved_in_production()
        .attest(&signer())
        .unwrap()
        .to_json();
    // Deployed within the day the approval is valid.
    let gate = Expected::deploying("churn", a().parse().unwrap(), "production", t(2_000));
    let approval = attest::verify(json.as_bytes(), &trusted(), &gate).unwrap();
    assert_eq!(approval.environment(), "production");
    let staging = Expected::deploying("churn", a().parse().unwrap(), "staging", t(2_000));
    let refused = attest::verify(json.as_bytes(), &trusted(), &staging).unwrap_err();
    assert!(matches!(refused, VerifyError::WrongEnvironment { .. }));
}

#[test]
fn an_approval_that_lapsed_undeployed_is_refused_at_the_gate() {
    let model = approved_in_production();
    let json = model.attest(&signer()).unwrap().to_json();
    let gate = |at| {
        let expected = Expected::deploying("churn", a().parse().unwrap(), "production", t(at));
        attest::verify(json.as_bytes(), &trusted(), &expected)
    };
    let approval = gate(1_001 + 86_400).unwrap();
    assert_eq!(approval.valid_until(), Some(t(1_001 + 86_400)));
    let lapsed = gate(1_002 + 86_400).unwrap_err();
    assert!(matches!(lapsed, VerifyError::Lapsed { .. }));
    insta::assert_snapshot!("lapsed", lapsed);
    // A deployment's attestation does not pass a gate that ships a new deployment, and passes
    // a gate re-verifying the running deployment only within the validity its signer gave.
    let deployed = model
        .mark_deployed(Receipt::new("prod/7"), "ci", t(2_000))
        .unwrap();
    let json = deployed.attest(&signer(), HOUR).unwrap().to_json();
    let at = |secs| Expected::deploying("churn", a().parse().unwrap(), "production", t(secs));
    let err = attest::verify(json.as_bytes(), &trusted(), &at(2_001)).unwrap_err();
    assert!(matches!(err, VerifyError::Deployed { .. }), "{err}");
    let running = |secs| at(secs).accepting_running_deployment();
    assert!(attest::verify(json.as_bytes(), &trusted(), &running(2_000 + 3_600)).is_ok());
    let err = attest::verify(json.as_bytes(), &trusted(), &running(2_001 + 3_600)).unwrap_err();
    assert!(
        matches!(err, VerifyError::DeploymentExpired { .. }),
        "{err}"
    );
    let err = attest::verify(json.as_bytes(), &trusted(), &running(10_000_000)).unwrap_err();
    assert!(
        matches!(err, VerifyError::DeploymentExpired { .. }),
        "{err}"
    );
}

#[test]
fn signatures_are_matched_by_key_whatever_key_id_they_name() {
    let named = signer().with_key_id("release-2026");
    let json = approved("fraud-detector", &a())
        .attest(&named)
        .unwrap()
        .to_json();
    let keys = [named.public_key()];
    let approval = attest::verify(json.as_bytes(), &keys, &expect(&a())).unwrap();
    assert_eq!(approval.signed_by(), ["release-2026"]);
    // The bare public key (its default id) verifies it too: the key id is only a hint.
    let approval = attest::verify(json.as_bytes(), &trusted(), &expect(&a())).unwrap();
    assert_eq!(approval.signed_by(), [attest::Verifier::key_id(&signer())]);
    // Whatever the signature names, even nothing or another trusted key's id.
    for named in [
        "",
        "some-other-tool-id",
        attest::Verifier::key_id(&intruder()),
    ] {
        let json = field(&envelope_a(), |e| {
            e["signatures"][0]["keyid"] = json!(named)
        });
        let keys = [intruder().public_key(), signer().public_key()];
        let approval = attest::verify(json.as_bytes(), &keys, &expect(&a())).unwrap();
        assert_eq!(
            approval.signed_by(),
            [attest::Verifier::key_id(&signer())],
            "{named}"
        );
    }
}

#[test]
fn extra_signatures_by_other_keys_are_ignored() {
    let mut env = Envelope::from_json(envelope_a().as_bytes()).unwrap();
    env.sign(&intruder()).unwrap();
    env.push_signature(Signature::new("", vec![0; 64]));
    let approval = verify(&env.to_json(), &a()).unwrap();
    assert_eq!(approval.signed_by(), [attest::Verifier::key_id(&signer())]);
}

#[test]
fn two_trusted_keys_both_count() {
    let mut env = Envelope::from_json(envelope_a().as_bytes()).unwrap();
    env.sign(&intruder()).unwrap();
    let keys = [signer().public_key(), intruder().public_key()];
    let approval = attest::verify(env.to_json().as_bytes(), &keys, &expect(&a())).unwrap();
    assert_eq!(approval.signed_by().len(), 2);
}

#[test]
fn base64_may_be_standard_or_url_safe_padded_or_not() {
    // DSSE: "Signers may use either, and verifiers MUST accept either." The signature is over
    // the decoded bytes, so every spelling is the same approval.
    let original = verify(&envelope_a(), &a()).unwrap();
    let env = Envelope::from_json(envelope_a().as_bytes()).unwrap();
    let sig = env.signatures()[0].sig().to_vec();
    let key_id = env.signatures()[0].key_id().to_owned();
    for (name, encode) in [
        (
            "standard, unpadded",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(env.payload()),
        ),
        ("url-safe, padded", URL_SAFE.encode(env.payload())),
        ("url-safe, unpadded", URL_SAFE_NO_PAD.encode(env.payload())),
    ] {
        let json = json!({"payload": encode, "payloadType": PAYLOAD_TYPE,
            "signatures": [{"keyid": key_id, "sig": URL_SAFE_NO_PAD.encode(&sig)}]});
        assert_eq!(verify(&json.to_string(), &a()).unwrap(), original, "{name}");
    }
}

#[test]
fn unknown_envelope_and_statement_fields_are_ignored() {
    let json = field(&envelope_a(), |e| e["comment"] = json!("added later"));
    assert!(verify(&json, &a()).is_ok());
    let json = resigned(|s| s["extension"] = json!({"org.example": 1}));
    assert!(verify(&json, &a()).is_ok());
}

// ---------------------------------------------------------------------------------------------
// Attacks: each refused with its own error. Their messages are pinned together below.

/// Every refusal, by name, with the error it gives.
fn refusals() -> Vec<(&'static str, VerifyError)> {
    let env = envelope_a();
    let sig = Envelope::from_json(env.as_bytes()).unwrap().signatures()[0].clone();
    let payload = Envelope::from_json(env.as_bytes())
        .unwrap()
        .payload()
        .to_vec();
    let err = |json: &str| verify(json, &a()).unwrap_err();
    let for_b = approved("fraud-detector", &b()).attest(&signer()).unwrap();

    vec![
        ("not json", err("{\"payload\": ")),
        (
            "not an envelope",
            err(r#"{"payload": "e30=", "payloadType": "x"}"#),
        ),
        (
            "envelope with a key given twice",
            err(&env.replacen("{", r#"{"payloadType":"application/vnd.in-toto+json","#, 1)),
        ),
        (
            "payload type swapped",
            err(&field(&env, |e| {
                e["payloadType"] = json!("application/json")
            })),
        ),
        (
            "payload type swapped and signed by the trusted key",
            err(&signed("application/json", &payload, &signer())),
        ),
        (
            "payload not base64",
            err(&field(&env, |e| e["payload"] = json!("not base64!"))),
        ),
        (
            "payload base64 with whitespace",
            err(&field(&env, |e| {
                let p = e["payload"].as_str().unwrap().to_owned();
                e["payload"] = json!(format!("{}\n{}", &p[..8], &p[8..]));
            })),
        ),
        (
            "payload base64 mixing the standard and url-safe alphabets",
            err(&field(&env, |e| {
                e["payload"] =
                    json!(format!("{}-_", STANDARD.encode(b"{\"a\":1}")).replace('=', "+"))
            })),
        ),
        (
            "payload base64 with stray bits",
            err(&field(&env, |e| e["payload"] = json!("e31="))),
        ),
        (
            "signature not base64",
            err(&field(&env, |e| e["signatures"][0]["sig"] = json!("%%%"))),
        ),
        (
            "signature duplicated",
            err(&field(&env, |e| {
                let s = e["signatures"][0].clone();
                e["signatures"].as_array_mut().unwrap().push(s);
            })),
        ),
        ("signed by an untrusted key", {
            let json = approved("fraud-detector", &a())
                .attest(&intruder())
                .unwrap()
                .to_json();
            err(&json)
        }),
        ("signed by an untrusted key under the trusted key's id", {
            let impostor = intruder().with_key_id(sig.key_id());
            let json = approved("fraud-detector", &a())
                .attest(&impostor)
                .unwrap()
                .to_json();
            err(&json)
        }),
        (
            "no signature",
            err(&field(&env, |e| e["signatures"] = json!([]))),
        ),
        (
            "tampered payload: the subject's digest edited to another artifact's",
            err(&field(&env, |e| {
                let mut s: Value = serde_json::from_slice(&payload).unwrap();
                s["subject"][0]["digest"]["sha256"] = json!(b()["sha256:".len()..]);
                e["payload"] = json!(STANDARD.encode(s.to_string()));
            })),
        ),
        (
            "tampered payload: every copy of the model's name edited consistently",
            err(&field(&env, |e| {
                let text = String::from_utf8(payload.clone()).unwrap();
                e["payload"] =
                    json!(STANDARD.encode(text.replace("fraud-detector", "credit-limit")));
            })),
        ),
        ("valid signature over another payload", {
            let mut other = Envelope::new(PAYLOAD_TYPE, payload.clone());
            other.push_signature(for_b.signatures()[0].clone());
            err(&other.to_json())
        }),
        (
            "payload not json",
            err(&signed(PAYLOAD_TYPE, b"approved!", &signer())),
        ),
        (
            "statement type changed",
            err(&resigned(|s| {
                s["_type"] = json!("https://in-toto.io/Statement/v0.1")
            })),
        ),
        (
            "predicate type changed",
            err(&resigned(|s| {
                s["predicateType"] = json!("https://slsa.dev/provenance/v1")
            })),
        ),
        (
            "predicate version unknown",
            err(&resigned(|s| {
                s["predicateType"] = json!("https://modelgate.dev/attestation/approval/v4")
            })),
        ),
        (
            "predicate version 2, which does not name its policy by fingerprint",
            err(&resigned(|s| {
                s["predicateType"] = json!("https://modelgate.dev/attestation/approval/v2")
            })),
        ),
        (
            "predicate version 1, whose deployments never expire",
            err(&resigned(|s| {
                s["predicateType"] = json!("https://modelgate.dev/attestation/approval/v1")
            })),
        ),
        ("more signatures than a verifier tries", {
            let mut many = Envelope::from_json(env.as_bytes()).unwrap();
            for i in 0..attest::MAX_SIGNATURES {
                many.push_signature(Signature::new(format!("k{i}"), vec![0; 64]));
            }
            err(&many.to_json())
        }),
        ("statement with a key given twice", {
            let text = String::from_utf8(payload.clone()).unwrap().replacen(
                "\"predicateType\"",
                "\"predicateType\":\"https://slsa.dev/provenance/v1\",\"predicateType\"",
                1,
            );
            err(&signed(PAYLOAD_TYPE, text.as_bytes(), &signer()))
        }),
        ("subject digest with an algorithm given twice", {
            let hex = &a()["sha256:".len()..];
            let text = String::from_utf8(payload.clone()).unwrap().replacen(
                &format!("{{\"sha256\":\"{hex}\"}}"),
                &format!(
                    "{{\"sha256\":\"{hex}\",\"sha256\":\"{}\"}}",
                    &b()["sha256:".len()..]
                ),
                1,
            );
            err(&signed(PAYLOAD_TYPE, text.as_bytes(), &signer()))
        }),
        ("predicate with a key given twice", {
            let text = String::from_utf8(payload.clone()).unwrap().replacen(
                "\"environment\":\"default\"",
                "\"environment\":\"default\",\"environment\":\"production\"",
                1,
            );
            err(&signed(PAYLOAD_TYPE, text.as_bytes(), &signer()))
        }),
        (
            "predicate with an unknown field",
            err(&resigned(|s| s["predicate"]["override"] = json!(true))),
        ),
        (
            "predicate missing",
            err(&resigned(|s| {
                s.as_object_mut().unwrap().remove("predicate");
            })),
        ),
        (
            "predicate time not in RFC 3339",
            err(&resigned(|s| {
                s["predicate"]["decision"]["decided_at"] = json!(1_764_000_240)
            })),
        ),
        (
            "verdict not approve",
            err(&resigned(|s| {
                s["predicate"]["decision"]["verdict"] = json!("reject")
            })),
        ),
        (
            "two subjects",
            err(&resigned(|s| {
                let extra = json!({"name": "x", "digest": {"sha256": &b()["sha256:".len()..]}});
                s["subject"].as_array_mut().unwrap().push(extra);
            })),
        ),
        (
            "subject that is not the predicate's model",
            err(&resigned(|s| {
                s["subject"][0]["name"] = json!("credit-limit@1")
            })),
        ),
        ("another artifact", verify(&env, &b()).unwrap_err()),
        (
            "an envelope for model A replayed for artifact B",
            verify(&env, &digest_of("model A weights, retrained")).unwrap_err(),
        ),
        (
            "another algorithm than the subject's",
            verify(&env, &format!("sha512:{}", "ab".repeat(64))).unwrap_err(),
        ),
        (
            "another environment",
            attest::verify(
                env.as_bytes(),
                &trusted(),
                &Expected::deploying(
                    "fraud-detector",
                    a().parse().unwrap(),
                    "production",
                    t(1_764_000_300),
                ),
            )
            .unwrap_err(),
        ),
        (
            "a deployed model's attestation at a gate shipping a new deployment",
            err(&deployed().attest(&signer(), HOUR).unwrap().to_json()),
        ),
        (
            "a running deployment's attestation past its validity",
            attest::verify(
                deployed()
                    .attest(&signer(), HOUR)
                    .unwrap()
                    .to_json()
                    .as_bytes(),
                &trusted(),
                &Expected::deploying(
                    "fraud-detector",
                    a().parse().unwrap(),
                    "default",
                    t(1_764_003_901),
                )
                .accepting_running_deployment(),
            )
            .unwrap_err(),
        ),
    ]
}

/// Whether an error is of the expected variant.
type Is = fn(&VerifyError) -> bool;

#[test]
fn every_refusal_has_its_own_typed_error() {
    use VerifyError as E;
    let expected: &[(&str, Is)] = &[
        ("not json", |e| matches!(e, E::Envelope(_))),
        ("not an envelope", |e| matches!(e, E::Envelope(_))),
        ("envelope with a key given twice", |e| {
            matches!(e, E::Envelope(_))
        }),
        ("payload type swapped", |e| {
            matches!(e, E::PayloadType { .. })
        }),
        ("payload type swapped and signed by the trusted key", |e| {
            matches!(e, E::PayloadType { .. })
        }),
        ("payload not base64", |e| matches!(e, E::Base64 { .. })),
        ("payload base64 with whitespace", |e| {
            matches!(e, E::Base64 { .. })
        }),
        (
            "payload base64 mixing the standard and url-safe alphabets",
            |e| matches!(e, E::Base64 { .. }),
        ),
        ("payload base64 with stray bits", |e| {
            matches!(e, E::Base64 { .. })
        }),
        ("signature not base64", |e| matches!(e, E::Base64 { .. })),
        ("signature duplicated", |e| {
            matches!(e, E::DuplicateKeyId { .. })
        }),
        ("signed by an untrusted key", |e| {
            matches!(e, E::Untrusted { .. })
        }),
        (
            "signed by an untrusted key under the trusted key's id",
            |e| matches!(e, E::BadSignature { .. }),
        ),
        ("no signature", |e| matches!(e, E::Untrusted { .. })),
        (
            "tampered payload: the subject's digest edited to another artifact's",
            |e| matches!(e, E::BadSignature { .. }),
        ),
        (
            "tampered payload: every copy of the model's name edited consistently",
            |e| matches!(e, E::BadSignature { .. }),
        ),
        ("valid signature over another payload", |e| {
            matches!(e, E::BadSignature { .. })
        }),
        ("payload not json", |e| matches!(e, E::Statement(_))),
        ("statement type changed", |e| {
            matches!(e, E::StatementType { .. })
        }),
        ("predicate type changed", |e| {
            matches!(e, E::PredicateType { .. })
        }),
        ("predicate version unknown", |e| {
            matches!(e, E::PredicateVersion { .. })
        }),
        (
            "predicate version 2, which does not name its policy by fingerprint",
            |e| matches!(e, E::PredicateOutdated { .. }),
        ),
        ("predicate version 1, whose deployments never expire", |e| {
            matches!(e, E::PredicateOutdated { .. })
        }),
        ("more signatures than a verifier tries", |e| {
            matches!(e, E::TooManySignatures { .. })
        }),
        ("statement with a key given twice", |e| {
            matches!(e, E::Statement(_))
        }),
        ("subject digest with an algorithm given twice", |e| {
            matches!(e, E::Statement(_))
        }),
        ("predicate with a key given twice", |e| {
            matches!(e, E::Predicate(_))
        }),
        ("predicate with an unknown field", |e| {
            matches!(e, E::Predicate(_))
        }),
        ("predicate missing", |e| matches!(e, E::Predicate(_))),
        ("predicate time not in RFC 3339", |e| {
            matches!(e, E::Predicate(_))
        }),
        ("verdict not approve", |e| matches!(e, E::Predicate(_))),
        ("two subjects", |e| matches!(e, E::Subject(_))),
        ("subject that is not the predicate's model", |e| {
            matches!(e, E::Subject(_))
        }),
        ("another artifact", |e| matches!(e, E::WrongDigest { .. })),
        ("an envelope for model A replayed for artifact B", |e| {
            matches!(e, E::WrongDigest { .. })
        }),
        ("another algorithm than the subject's", |e| {
            matches!(e, E::WrongDigest { .. })
        }),
        ("another environment", |e| {
            matches!(e, E::WrongEnvironment { .. })
        }),
        (
            "a deployed model's attestation at a gate shipping a new deployment",
            |e| matches!(e, E::Deployed { .. }),
        ),
        (
            "a running deployment's attestation past its validity",
            |e| matches!(e, E::DeploymentExpired { .. }),
        ),
    ];
    let refusals = refusals();
    assert_eq!(refusals.len(), expected.len());
    for ((name, err), (want, is)) in refusals.iter().zip(expected) {
        assert_eq!(name, want);
        assert!(is(err), "{name}: {err:?}");
    }
}

#[test]
fn refusal_messages() {
    let text: String = refusals()
        .iter()
        .map(|(name, e)| format!("{name}:\n  {e}\n"))
        .collect();
    insta::assert_snapshot!("refusal_messages", text);
}

#[test]
fn digests_that_cannot_be_subjects_are_refused_when_attesting() {
    let mut text = String::new();
    for digest in [
        "sha256:7d1e",
        "md5:9e107d9d372bb6826bd81d3542a419d6",
        "7d1e",
        &a().to_uppercase().replace("SHA256", "sha256"),
        &format!("sha512:{}", "a".repeat(64)),
    ] {
        let err = approved("m", digest).attestation().unwrap_err();
        assert!(matches!(err, AttestError::Digest(_)), "{err:?}");
        text.push_str(&format!("{err}\n"));
    }
    insta::assert_snapshot!("attest_digest_errors", text);
    assert!(ArtifactDigest::parse(&format!("sha384:{}", "0".repeat(96))).is_ok());
}

#[test]
fn a_time_past_9999_cannot_be_attested() {
    let digest = a();
    let outcome =
        TrainingOutcome::new(&digest, Metrics::new([("accuracy", 0.99)]).unwrap()).unwrap();
    let late = Timestamp::from_unix_millis(253_402_300_800_000);
    let m = Model::new("m", "1")
        .unwrap()
        .submit(outcome, "alice", late)
        .unwrap()
        .decide(
            &MetricGate::at_least("accuracy", 0.9),
            &DecisionContext::at(late),
        )
        .unwrap()
        .approved()
        .unwrap();
    let err = m.attestation().unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot attest: time `10000-01-01T00:00:00Z` is past the year 9999 and has no RFC 3339 form"
    );
}

#[test]
fn a_failing_host_signer_is_reported() {
    struct Kms;
    impl attest::Signer for Kms {
        fn key_id(&self) -> &str {
            "kms-key"
        }
        fn sign(&self, _: &[u8]) -> Result<Vec<u8>, attest::SignError> {
            Err(attest::SignError(String::from("kms unreachable\n")))
        }
    }
    let err = approved("m", &a()).attest(&Kms).unwrap_err();
    assert_eq!(err.to_string(), "signing failed: kms unreachable\\u{a}");
}

#[test]
fn keys_that_are_not_ed25519_are_refused() {
    let text = [
        "",
        "abcd",
        &"zz".repeat(32),
        &format!("01{}", "00".repeat(31)),
        &format!("02{}", "00".repeat(31)),
        "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----",
    ]
    .iter()
    .map(|k| Ed25519PublicKey::parse(k).unwrap_err().to_string())
    .collect::<Vec<_>>()
    .join("\n");
    insta::assert_snapshot!("key_errors", text);
}

#[test]
fn host_text_in_messages_is_escaped_and_cut() {
    let env = field(&envelope_a(), |e| {
        e["payloadType"] = json!(format!("evil\n\u{202e}{}", "x".repeat(200)))
    });
    let msg = verify(&env, &a()).unwrap_err().to_string();
    assert!(!msg.contains('\n') && !msg.contains('\u{202e}'), "{msg}");
    assert!(msg.len() < 200, "{msg}");
}
