//! The deploy gate is strict by default: an approval passes only for the artifact and the
//! environment the gate names, only if it has not lapsed, and a deployed model's attestation
//! only when the gate re-verifies a running deployment, within the validity its signer set.
//! The gate names the model it deploys: an approval of the same artifact as another model does
//! not pass, and a gate time before the attested decision (or deployment) is refused, so a
//! clock set back revives nothing. Every forgery below edits every copy consistently, and none
//! passes the default gate.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::approved_by_the_gate;
use std::time::Duration;

use modelgate::attest::{
    self, Ed25519PublicKey, Ed25519Signer, Envelope, Expected, PAYLOAD_TYPE, VerifyError,
};
use modelgate::{
    Approved, DecisionContext, Deployed, Environment, MetricGate, Metrics, Model, Receipt,
    Timestamp, TrainingOutcome,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const DIGEST: &str = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
const DAY: u64 = 86_400;

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

fn signer() -> Ed25519Signer {
    Ed25519Signer::from_seed([11; 32])
}

fn keys() -> [Ed25519PublicKey; 1] {
    [signer().public_key()]
}

/// Approved at t(10) in `env`, whose approvals are valid for a day.
fn approved(env: &str) -> Model<Approved> {
    let env = Environment::new(env)
        .unwrap()
        .with_approval_validity(Duration::from_secs(DAY));
    approved_by_the_gate(env, "3", DIGEST, 1, 10)
}

/// Deployed to production at t(20).
fn deployed() -> Model<Deployed> {
    approved("production")
        .mark_deployed(Receipt::new("prod/churn@3"), "deploy-bot", t(20))
        .unwrap()
}

fn gate(env: &str, at: u64) -> Expected {
    Expected::deploying("churn", DIGEST.parse().unwrap(), env, t(at))
}

fn verify(json: &str, expected: &Expected) -> Result<attest::VerifiedApproval, VerifyError> {
    attest::verify(json.as_bytes(), &keys(), expected)
}

fn statement(json: &str) -> Value {
    let env = Envelope::from_json(json.as_bytes()).unwrap();
    serde_json::from_slice(env.payload()).unwrap()
}

fn sign(statement: &Value, by: &Ed25519Signer) -> String {
    let mut env = Envelope::new(PAYLOAD_TYPE, statement.to_string().into_bytes());
    env.sign(by).unwrap();
    env.to_json()
}

/// The envelope's statement edited, the original signature kept.
fn edited_keeping_signature(json: &str, edit: impl FnOnce(&mut Value)) -> String {
    let original = Envelope::from_json(json.as_bytes()).unwrap();
    let mut s = statement(json);
    edit(&mut s);
    let mut env = Envelope::new(PAYLOAD_TYPE, s.to_string().into_bytes());
    for sig in original.signatures() {
        env.push_signature(sig.clone());
    }
    env.to_json()
}

fn production_approval() -> String {
    approved("production").attest(&signer()).unwrap().to_json()
}

fn production_deployment() -> String {
    deployed()
        .attest(&signer(), Duration::from_secs(DAY))
        .unwrap()
        .to_json()
}

#[test]
fn a_fresh_approval_for_the_gates_artifact_and_environment_passes() {
    let approval = verify(&production_approval(), &gate("production", 100)).unwrap();
    assert_eq!(approval.environment(), "production");
}

#[test]
fn a_staging_approval_replayed_for_production_is_refused() {
    let staging = approved("staging").attest(&signer()).unwrap().to_json();
    let err = verify(&staging, &gate("production", 100)).unwrap_err();
    assert!(matches!(err, VerifyError::WrongEnvironment { .. }), "{err}");
}

#[test]
fn an_approval_past_its_window_is_refused() {
    let err = verify(&production_approval(), &gate("production", 10 + DAY + 1)).unwrap_err();
    assert!(matches!(err, VerifyError::Lapsed { .. }), "{err}");
}

#[test]
fn a_deployed_attestation_is_refused_without_the_running_deployment_option() {
    let err = verify(&production_deployment(), &gate("production", 21)).unwrap_err();
    assert!(matches!(err, VerifyError::Deployed { .. }), "{err}");
}

#[test]
fn a_running_deployment_passes_only_within_the_validity_its_signer_set() {
    let json = production_deployment();
    let running = |at| gate("production", at).accepting_running_deployment();
    assert!(verify(&json, &running(20 + DAY)).is_ok());
    let err = verify(&json, &running(20 + DAY + 1)).unwrap_err();
    assert!(
        matches!(err, VerifyError::DeploymentExpired { .. }),
        "{err}"
    );
    // The option loosens only the status: another environment is still refused.
    let err = verify(&json, &gate("staging", 21).accepting_running_deployment()).unwrap_err();
    assert!(matches!(err, VerifyError::WrongEnvironment { .. }), "{err}");
}

#[test]
fn the_running_deployment_option_still_refuses_a_lapsed_approval() {
    let gate = gate("production", 10 + DAY + 1).accepting_running_deployment();
    let err = verify(&production_approval(), &gate).unwrap_err();
    assert!(matches!(err, VerifyError::Lapsed { .. }), "{err}");
}

#[test]
fn a_forgery_resigned_by_an_untrusted_key_is_refused() {
    let intruder = Ed25519Signer::from_seed([66; 32]);
    let mut s = statement(&production_approval());
    s["predicate"]["environment"] = json!("production");
    let err = verify(&sign(&s, &intruder), &gate("production", 100)).unwrap_err();
    assert!(matches!(err, VerifyError::Untrusted { .. }), "{err}");
    // Even naming the trusted key's id.
    let impostor = intruder.with_key_id(attest::Verifier::key_id(&signer()).to_owned());
    let err = verify(&sign(&s, &impostor), &gate("production", 100)).unwrap_err();
    assert!(matches!(err, VerifyError::BadSignature { .. }), "{err}");
}

#[test]
fn editing_the_environment_status_or_validity_breaks_the_signature() {
    let edits: Vec<(&str, String)> = vec![
        (
            "staging approval relabelled production",
            edited_keeping_signature(
                &approved("staging").attest(&signer()).unwrap().to_json(),
                |s| s["predicate"]["environment"] = json!("production"),
            ),
        ),
        (
            "approval window extended",
            edited_keeping_signature(&production_approval(), |s| {
                s["predicate"]["decision"]["valid_until"] = json!("9999-01-01T00:00:00Z")
            }),
        ),
        (
            "approval window removed",
            edited_keeping_signature(&production_approval(), |s| {
                s["predicate"]["decision"]
                    .as_object_mut()
                    .unwrap()
                    .remove("valid_until");
            }),
        ),
        (
            "deployment stripped to pass as an approval",
            edited_keeping_signature(&production_deployment(), |s| {
                s["predicate"].as_object_mut().unwrap().remove("deployment");
            }),
        ),
        (
            "deployment validity extended",
            edited_keeping_signature(&production_deployment(), |s| {
                s["predicate"]["deployment"]["valid_until"] = json!("9999-01-01T00:00:00Z")
            }),
        ),
    ];
    for (name, json) in edits {
        for expected in [
            gate("production", 100),
            gate("production", 100).accepting_running_deployment(),
        ] {
            let err = verify(&json, &expected).unwrap_err();
            assert!(
                matches!(err, VerifyError::BadSignature { .. }),
                "{name}: {err}"
            );
        }
    }
}

#[test]
fn a_deployment_without_a_validity_is_refused_even_signed_by_the_trusted_key() {
    // What a confused signer could produce: a v2 deployment whose validity is missing.
    let mut s = statement(&production_deployment());
    s["predicate"]["deployment"]
        .as_object_mut()
        .unwrap()
        .remove("valid_until");
    let running = gate("production", 21).accepting_running_deployment();
    let err = verify(&sign(&s, &signer()), &running).unwrap_err();
    assert!(matches!(err, VerifyError::Predicate(_)), "{err}");
}

#[test]
fn an_old_v1_envelope_is_refused_by_name_even_signed_by_the_trusted_key() {
    // A v1 deployment, as version 0.1 wrote it: no validity. Refused, approval or deployment.
    for json in [production_deployment(), production_approval()] {
        let mut s = statement(&json);
        s["predicateType"] = json!("https://modelgate.dev/attestation/approval/v1");
        if let Some(d) = s["predicate"]["deployment"].as_object_mut() {
            d.remove("valid_until");
        }
        for expected in [
            gate("production", 21),
            gate("production", 21).accepting_running_deployment(),
        ] {
            let err = verify(&sign(&s, &signer()), &expected).unwrap_err();
            assert!(
                matches!(err, VerifyError::PredicateOutdated { .. }),
                "{err}"
            );
        }
    }
}

#[test]
fn a_deployment_validity_past_9999_cannot_be_attested() {
    let err = deployed().attestation(Duration::MAX).unwrap_err();
    assert!(matches!(err, attest::AttestError::Time(_)), "{err}");
}

#[test]
fn refusal_messages_of_the_strict_gate() {
    let running = gate("production", 20 + DAY + 1).accepting_running_deployment();
    let mut v1 = statement(&production_approval());
    v1["predicateType"] = json!("https://modelgate.dev/attestation/approval/v1");
    let text = [
        verify(&production_deployment(), &gate("production", 21)).unwrap_err(),
        verify(&production_deployment(), &running).unwrap_err(),
        verify(&production_approval(), &gate("staging", 100)).unwrap_err(),
        verify(&production_approval(), &gate("production", 10 + DAY + 1)).unwrap_err(),
        verify(&sign(&v1, &signer()), &gate("production", 21)).unwrap_err(),
    ]
    .iter()
    .map(|e| format!("{e}\n"))
    .collect::<String>();
    insta::assert_snapshot!("strict_gate_refusals", text);
}

proptest! {
    /// Whatever the gate's time and options, a deployed model's attestation passes only with
    /// the option and only up to its validity; an approval passes only up to its window.
    #[test]
    fn the_gate_accepts_exactly_within_the_validity(
        at in 0u64..3 * DAY,
        validity in 0u64..2 * DAY,
        running in any::<bool>(),
    ) {
        let deployment = deployed()
            .attest(&signer(), Duration::from_secs(validity))
            .unwrap()
            .to_json();
        let mut expected = gate("production", at);
        if running {
            expected = expected.accepting_running_deployment();
        }
        let ok = verify(&deployment, &expected).is_ok();
        prop_assert_eq!(ok, running && (20..=20 + validity).contains(&at));
        let approval_ok = verify(&production_approval(), &expected).is_ok();
        prop_assert_eq!(approval_ok, (10..=10 + DAY).contains(&at));
    }

    /// An approval never passes for an environment other than its own.
    #[test]
    fn an_approval_passes_only_for_its_own_environment(env in "[a-z]{1,12}") {
        let json = production_approval();
        prop_assert_eq!(verify(&json, &gate(&env, 100)).is_ok(), env == "production");
    }

    /// An approval never passes for a model other than its own, nor for a pinned version other
    /// than its own.
    #[test]
    fn an_approval_passes_only_for_its_own_model(
        name in "[a-z]{1,8}",
        version in proptest::option::of("[0-9]{1,2}"),
    ) {
        let mut expected = Expected::deploying(name.as_str(), DIGEST.parse().unwrap(), "production", t(100));
        if let Some(v) = &version {
            expected = expected.version(v.as_str());
        }
        let ok = verify(&production_approval(), &expected).is_ok();
        prop_assert_eq!(ok, name == "churn" && version.as_deref().is_none_or(|v| v == "3"));
    }

    /// An Ed25519 public key in hex reads only `[0-9a-fA-F]`: any other character (a sign,
    /// whitespace inside, a letter past `f`) is a format error, never another key.
    #[test]
    fn a_hex_public_key_reads_only_hex_digits(
        at in 0usize..64,
        bad in prop::sample::select(vec!['+', '-', ' ', 'g', 'G', 'x', '_', '\u{0660}']),
    ) {
        let hex: String = signer().public_key().to_bytes().iter().map(|b| format!("{b:02x}")).collect();
        let forged: String = hex
            .chars()
            .enumerate()
            .map(|(i, c)| if i == at { bad } else { c })
            .collect();
        prop_assert_eq!(Ed25519PublicKey::parse(&forged).unwrap_err(), attest::KeyError::Format);
    }
}

/// `sandbox@0` approved in production by `accuracy at least 0`, for the same artifact as
/// `churn@3`.
fn sandbox_approval() -> String {
    let env = Environment::new("production")
        .unwrap()
        .with_approval_validity(Duration::from_secs(DAY));
    let outcome = TrainingOutcome::new(DIGEST, Metrics::new([("accuracy", 0.1)]).unwrap()).unwrap();
    Model::new("sandbox", "0")
        .unwrap()
        .in_environment(env)
        .submit(outcome, "mallory", t(1))
        .unwrap()
        .decide(
            &MetricGate::at_least("accuracy", 0.0),
            &DecisionContext::at(t(10)),
        )
        .unwrap()
        .approved()
        .unwrap()
        .attest(&signer())
        .unwrap()
        .to_json()
}

#[test]
fn an_approval_of_the_same_artifact_as_another_model_is_refused() {
    let sandbox = sandbox_approval();
    let err = verify(&sandbox, &gate("production", 100)).unwrap_err();
    assert_eq!(
        err,
        VerifyError::WrongModel {
            expected: "churn".into(),
            found: "sandbox@0".into(),
        }
    );
    // The gate that deploys the sandbox takes it: the name is compared, nothing else changed.
    let sandbox_gate =
        Expected::deploying("sandbox", DIGEST.parse().unwrap(), "production", t(100));
    assert!(verify(&sandbox, &sandbox_gate).is_ok());
}

#[test]
fn a_sandbox_approval_renamed_consistently_breaks_the_signature() {
    // The model renamed in the predicate and in the subject, so that they still agree.
    let forged = edited_keeping_signature(&sandbox_approval(), |s| {
        s["predicate"]["model"]["name"] = json!("churn");
        s["predicate"]["model"]["version"] = json!("3");
        s["subject"][0]["name"] = json!("churn@3");
    });
    let err = verify(&forged, &gate("production", 100)).unwrap_err();
    assert!(matches!(err, VerifyError::BadSignature { .. }), "{err}");
}

#[test]
fn a_pinned_version_refuses_an_approval_of_another_version() {
    let json = production_approval();
    assert!(verify(&json, &gate("production", 100).version("3")).is_ok());
    let err = verify(&json, &gate("production", 100).version("4")).unwrap_err();
    assert_eq!(
        err,
        VerifyError::WrongModel {
            expected: "churn@4".into(),
            found: "churn@3".into(),
        }
    );
    let expected = gate("production", 100).version("4");
    assert_eq!(
        (expected.name(), expected.expected_version()),
        ("churn", Some("4"))
    );
}

#[test]
fn a_gate_time_before_the_decision_is_refused_so_it_cannot_revive_a_lapsed_approval() {
    let json = production_approval();
    for at in [0, 9] {
        let err = verify(&json, &gate("production", at)).unwrap_err();
        assert_eq!(
            err,
            VerifyError::BeforeDecision {
                decided_at: t(10),
                at: t(at),
            }
        );
    }
    assert!(verify(&json, &gate("production", 10)).is_ok());
}

#[test]
fn a_gate_time_before_the_deployment_is_refused_so_it_cannot_revive_an_expired_one() {
    let json = production_deployment();
    let running = |at| gate("production", at).accepting_running_deployment();
    let err = verify(&json, &running(15)).unwrap_err();
    assert_eq!(
        err,
        VerifyError::BeforeDeployment {
            deployed_at: t(20),
            at: t(15),
        }
    );
    // Before the decision too: that check comes first.
    assert!(matches!(
        verify(&json, &running(0)),
        Err(VerifyError::BeforeDecision { .. })
    ));
    assert!(verify(&json, &running(20)).is_ok());
}

#[test]
fn a_hex_public_key_with_a_plus_sign_is_not_read_as_a_digit() {
    // A key whose first byte is below 16: `+7` once read as 0x07, the same key.
    let key = (0u8..=255)
        .map(|seed| Ed25519Signer::from_seed([seed; 32]).public_key())
        .find(|k| k.to_bytes()[0] < 16)
        .unwrap();
    let hex: String = key.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(Ed25519PublicKey::parse(&hex).unwrap(), key);
    let signed = format!("+{}", &hex[1..]);
    assert_eq!(
        Ed25519PublicKey::parse(&signed).unwrap_err(),
        attest::KeyError::Format
    );
}

#[test]
fn refusal_messages_of_the_model_and_the_clock() {
    let text = [
        verify(&sandbox_approval(), &gate("production", 100)).unwrap_err(),
        verify(
            &production_approval(),
            &gate("production", 100).version("4"),
        )
        .unwrap_err(),
        verify(&production_approval(), &gate("production", 0)).unwrap_err(),
        verify(
            &production_deployment(),
            &gate("production", 15).accepting_running_deployment(),
        )
        .unwrap_err(),
    ]
    .iter()
    .map(|e| format!("{e}\n"))
    .collect::<String>();
    insta::assert_snapshot!("model_and_clock_refusals", text);
}

// ---------------------------------------------------------------------------------------------
// F4 (feature `attest`). A *deployed* model's attestation never lapsed, whatever the
// environment's approval window: `Expected::at` was ignored once the predicate carried a
// deployment. A version deployed in production and then retired for cause still passed the
// production gate a year later. Fixed: the default gate refuses a deployed model's attestation,
// and a gate re-verifying a running deployment accepts it only within the validity its signer
// set (`deployment.valid_until`).
// ---------------------------------------------------------------------------------------------
#[test]
fn a_deployed_attestation_does_not_pass_the_gate_a_year_after_retire_for_cause() {
    use modelgate::attest::{self, Ed25519Signer, Expected};
    let day = 86_400;
    let production = Environment::new("production")
        .unwrap()
        .with_approval_validity(Duration::from_secs(day));
    let digest = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
    let model = approved_by_the_gate(production, "1", digest, 0, 1)
        .mark_deployed(Receipt::new("prod/1"), "ci", t(2))
        .unwrap();
    let signer = Ed25519Signer::from_seed([9; 32]);
    let envelope = model
        .attest(&signer, Duration::from_secs(day))
        .unwrap()
        .to_json();
    let retired = model.retire("leaks PII", true, "security", t(3)).unwrap();
    assert!(retired.stage().for_cause());

    let a_year_later = t(365 * day);
    let expected =
        Expected::deploying("churn", digest.parse().unwrap(), "production", a_year_later);
    let keys = [signer.public_key()];
    let refused = attest::verify(envelope.as_bytes(), &keys, &expected).unwrap_err();
    assert!(
        matches!(refused, attest::VerifyError::Deployed { .. }),
        "{refused}"
    );
    let running = expected.accepting_running_deployment();
    let refused = attest::verify(envelope.as_bytes(), &keys, &running).unwrap_err();
    assert!(
        matches!(refused, attest::VerifyError::DeploymentExpired { .. }),
        "{refused}"
    );
}
