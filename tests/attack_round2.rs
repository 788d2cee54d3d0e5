//! Round-2 attacks (independent review): each `f*` test asserts a promise of the README that an
//! attacker broke (it failed before the fix named in its comment); each `refused_*` test an
//! attack that was refused from the start. Run one with
//! `cargo test --all-features --test attack_round2 <name>`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_arguments
)]

use std::time::Duration;

use modelgate::registry::{PolicyBook, RegistryError};
use modelgate::*;

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

fn key() -> HmacSealer {
    HmacSealer::new("attack-key", *b"0123456789abcdef0123456789abcdef")
}

fn outcome(version: &str, accuracy: f64) -> TrainingOutcome {
    TrainingOutcome::new(
        format!("sha256:{version}"),
        Metrics::new([("accuracy", accuracy)]).unwrap(),
    )
    .unwrap()
}

fn submitted(env: &Environment, version: &str, accuracy: f64, at: u64) -> Model<Submitted> {
    Model::new("churn", version)
        .unwrap()
        .in_environment(env.clone())
        .submit(outcome(version, accuracy), "alice", t(at))
        .unwrap()
}

/// Decides `version` through the registry (the champion it sees is the registry's) and deploys it.
fn decide_and_deploy<P: Policy>(
    registry: &mut Registry,
    env: &Environment,
    version: &str,
    accuracy: f64,
    policy: &P,
    submit_at: u64,
    decide_at: u64,
    deploy_at: u64,
) {
    registry
        .put(submitted(env, version, accuracy, submit_at))
        .unwrap();
    let verdict = registry.decide(env, version, policy, t(decide_at)).unwrap();
    assert!(verdict.is_approved(), "{verdict}");
    let AnyModel::Approved(approved) = registry.take(env, version).unwrap() else {
        panic!("not approved")
    };
    registry
        .deploy(
            approved,
            Receipt::new(format!("r/{version}")),
            "ci",
            t(deploy_at),
        )
        .unwrap();
}

fn no_regression() -> NoRegression {
    NoRegression::higher_is_better("accuracy")
}

// ---------------------------------------------------------------------------------------------
// F1. An approval decided before the current deployment began is deployed over it: the new
// version was never compared with the champion it replaces. Honest, increasing times; every
// move through the registry; the stored registry restores.
// ---------------------------------------------------------------------------------------------
#[test]
fn f1_stale_approval_deployed_over_a_better_champion_without_comparison() {
    let env = Environment::default();
    let policy = no_regression();
    let mut registry = Registry::new("churn").unwrap();

    // v2 (accuracy 0.80) is submitted and approved while nothing is deployed: no champion.
    registry.put(submitted(&env, "2", 0.80, 10)).unwrap();
    assert!(
        registry
            .decide(&env, "2", &policy, t(11))
            .unwrap()
            .is_approved()
    );

    // v1 (accuracy 0.95) is approved and deployed afterwards: it is now the champion.
    decide_and_deploy(&mut registry, &env, "1", 0.95, &policy, 20, 21, 22);
    assert_eq!(
        registry.champion(&env).and_then(|m| m.get("accuracy")),
        Some(0.95)
    );

    // The same metrics decided now, against the current champion, are rejected:
    let fresh = submitted(&env, "2b", 0.80, 30)
        .decide(&policy, &registry.decision_context(&env, t(30)))
        .unwrap();
    assert!(
        !fresh.verdict().is_approved(),
        "a decision now rejects v2's metrics"
    );

    // v2's stale approval (decided with no champion) replaces the better v1.
    let AnyModel::Approved(v2) = registry.take(&env, "2").unwrap() else {
        unreachable!()
    };
    let deployed = registry.deploy(v2, Receipt::new("r/2"), "ci", t(31));
    let restores = registry
        .sealed_by(&key())
        .unwrap()
        .restore(&key(), &PolicyBook::new().with("default", no_regression()))
        .is_ok();
    assert!(restores, "(the stored registry restores: nothing notices)");

    assert!(
        deployed.is_err(),
        "the registry deployed accuracy 0.80 over the champion's 0.95 on an approval that never \
         saw that champion"
    );
}

// ---------------------------------------------------------------------------------------------
// F2. The champion check trusts the decision's claimed time. A member submitted before the
// current deployment is taken out at real time 100, decided "at" 15 with the champion of then
// (0.80) instead of the current one (0.95), put back and deployed: accepted live, and the
// stored registry restores.
// ---------------------------------------------------------------------------------------------
#[test]
fn f2_backdated_decision_with_stale_champion_is_accepted_and_restores() {
    let env = Environment::default();
    let policy = no_regression();
    let mut registry = Registry::new("churn").unwrap();
    registry.put(submitted(&env, "3", 0.85, 5)).unwrap();
    decide_and_deploy(&mut registry, &env, "1", 0.80, &policy, 6, 7, 10);
    decide_and_deploy(&mut registry, &env, "2", 0.95, &policy, 11, 12, 20);
    let stale = registry.history(&env)[0].clone(); // v1: 10 .. 20
    assert_eq!(stale.version, "1");

    // "Now" is 100. v3 is decided with a time of 15, when v1 (0.80) was the champion.
    let AnyModel::Submitted(v3) = registry.take(&env, "3").unwrap() else {
        unreachable!()
    };
    let old_champion = Metrics::new([("accuracy", 0.80)]).unwrap();
    let approved = v3
        .decide(
            &policy,
            &DecisionContext::at(t(15)).with_champion(old_champion),
        )
        .unwrap()
        .approved()
        .unwrap();
    let put = registry.put(approved);
    let deployed = match put {
        Ok(()) => {
            let AnyModel::Approved(v3) = registry.take(&env, "3").unwrap() else {
                unreachable!()
            };
            registry
                .deploy(v3, Receipt::new("r/3"), "ci", t(100))
                .is_ok()
        }
        Err(_) => false,
    };
    let restored = registry
        .sealed_by(&key())
        .unwrap()
        .restore(&key(), &PolicyBook::new().with("default", no_regression()))
        .is_ok();
    assert!(
        !(deployed && restored),
        "accuracy 0.85 replaced the champion's 0.95 on a decision that saw a stale champion \
         (deployed live: {deployed}; stored registry restores: {restored})"
    );
}

// ---------------------------------------------------------------------------------------------
// F3. Moves the live registry accepts leave it in a state its own restore refuses: the stored
// registry can never be restored (every member, every environment locked out).
// ---------------------------------------------------------------------------------------------

/// (a) `Registry::decide` at a time before the current deployment began: it hands the current
/// champion to a decision dated before that champion existed.
#[test]
fn f3a_registry_decide_at_an_earlier_time_bricks_the_stored_registry() {
    let env = Environment::default();
    let policy = MetricGate::at_least("accuracy", 0.5);
    let mut registry = Registry::new("churn").unwrap();
    registry.put(submitted(&env, "2", 0.90, 1)).unwrap();
    decide_and_deploy(&mut registry, &env, "1", 0.95, &policy, 2, 3, 10);
    // A clock 5 s behind on the deciding host: 5 is after v2's last event, before v1's deploy.
    // Fixed: the registry's clock refuses a move dated before the environment's latest.
    let refused = registry.decide(&env, "2", &policy, t(5)).unwrap_err();
    assert!(
        matches!(refused, RegistryError::BeforeClock { .. }),
        "{refused}"
    );

    let stored = registry.sealed_by(&key()).unwrap();
    let restored = stored.restore(&key(), &PolicyBook::new().with("default", policy));
    assert!(
        restored.is_ok(),
        "a registry built only with registry moves does not restore: {}",
        restored
            .err()
            .map(|r| r.error().to_string())
            .unwrap_or_default()
    );
}

/// (b) A deployment dated before a decision that was made (through the registry) with no
/// champion: the decision becomes "with the wrong champion" after the fact.
#[test]
fn f3b_deploy_dated_before_an_earlier_decision_bricks_the_stored_registry() {
    let env = Environment::default();
    let policy = MetricGate::at_least("accuracy", 0.5);
    let mut registry = Registry::new("churn").unwrap();
    registry.put(submitted(&env, "2", 0.90, 10)).unwrap();
    registry.decide(&env, "2", &policy, t(50)).unwrap(); // nothing deployed: no champion
    // v1 submitted at 1 (before the decision at 50): refused by the registry's clock (fixed).
    let refused = registry
        .put(submitted(&env, "1", 0.95, 1))
        .unwrap_err()
        .into_error();
    assert!(
        matches!(refused, RegistryError::BeforeClock { .. }),
        "{refused}"
    );

    let restored = registry
        .sealed_by(&key())
        .unwrap()
        .restore(&key(), &PolicyBook::new().with("default", policy));
    assert!(
        restored.is_ok(),
        "a registry built only with registry moves does not restore: {}",
        restored
            .err()
            .map(|r| r.error().to_string())
            .unwrap_or_default()
    );
}

/// (c) A soak faked live: staging v1 is promoted with evidence "observed at 48 h"; the registry
/// accepts it, then accepts v2 superseding v1 in staging at 1 h. Production approves v1 on a
/// 48 h soak the staging trail contradicts and deploys it; only a restore notices, and then
/// nothing restores.
#[test]
fn f3c_soak_faked_live_then_stored_registry_bricked() {
    let staging = Environment::new("staging").unwrap();
    let production = Environment::new("production").unwrap();
    let gate = MetricGate::at_least("accuracy", 0.5);
    let soak = policy::Soak::at_least(Duration::from_secs(48 * 3600));
    let mut registry = Registry::new("churn").unwrap();
    decide_and_deploy(&mut registry, &staging, "1", 0.95, &gate, 0, 1, 2);

    // Promote at 48 h (+2 s) while v1 is staging's current deployment.
    let promoted = registry
        .current(&staging)
        .unwrap()
        .promote(
            Model::new("churn", "1")
                .unwrap()
                .in_environment(production.clone()),
            Metrics::new([("error_rate", 0.01)]).unwrap(),
            "alice",
            t(48 * 3600 + 2),
        )
        .unwrap();
    registry.put(promoted).unwrap();

    // Staging moves on at 1 h: v1 would be superseded long before the "observation". Fixed:
    // the promotion advanced staging's clock to its observation, so the backdated move is
    // refused.
    let refused = registry
        .put(submitted(&staging, "2", 0.96, 3))
        .unwrap_err()
        .into_error();
    assert!(
        matches!(refused, RegistryError::BeforeClock { .. }),
        "{refused}"
    );

    // Production approves on the soak and deploys.
    let soaked = registry
        .decide(&production, "1", &soak, t(48 * 3600 + 3))
        .unwrap();
    assert!(soaked.is_approved());
    let AnyModel::Approved(v1) = registry.take(&production, "1").unwrap() else {
        unreachable!()
    };
    let deployed = registry.deploy(v1, Receipt::new("prod/1"), "ci", t(48 * 3600 + 4));

    let restored = registry.sealed_by(&key()).unwrap().restore(
        &key(),
        &PolicyBook::new()
            .with("staging", gate)
            .with("production", soak),
    );
    assert!(
        deployed.is_err() || restored.is_ok(),
        "deployed to production on a 48 h soak of a deployment that ran 1 h; the stored \
         registry is refused: {}",
        restored
            .err()
            .map(|r| r.error().to_string())
            .unwrap_or_default()
    );
}

// ---------------------------------------------------------------------------------------------
// F4 (feature `attest`). A *deployed* model's attestation never lapsed, whatever the
// environment's approval window: `Expected::at` was ignored once the predicate carried a
// deployment. A version deployed in production and then retired for cause still passed the
// production gate a year later. Fixed: the default gate refuses a deployed model's attestation,
// and a gate re-verifying a running deployment accepts it only within the validity its signer
// set (`deployment.valid_until`).
// ---------------------------------------------------------------------------------------------
#[cfg(feature = "attest")]
#[test]
fn f4_a_deployed_attestation_no_longer_passes_the_gate_a_year_after_retire_for_cause() {
    use modelgate::attest::{self, Ed25519Signer, Expected};
    let day = 86_400;
    let production = Environment::new("production")
        .unwrap()
        .with_approval_validity(Duration::from_secs(day));
    let digest = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
    let outcome =
        TrainingOutcome::new(digest, Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap();
    let model = Model::new("churn", "1")
        .unwrap()
        .in_environment(production)
        .submit(outcome, "alice", t(0))
        .unwrap()
        .decide(
            &MetricGate::at_least("accuracy", 0.9),
            &DecisionContext::at(t(1)),
        )
        .unwrap()
        .approved()
        .unwrap()
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

// ---------------------------------------------------------------------------------------------
// F5. Error messages that carry attacker text unescaped (forged log lines).
// ---------------------------------------------------------------------------------------------

/// `Head`/`Fingerprint` parse errors quote the input raw; they surface through every
/// deserialization of a stored model, run or registry (`prev`, `deployment`, `pipeline`).
#[test]
fn f5a_hash_parse_error_quotes_attacker_text_raw() {
    let forged = "x\n#2 1970-01-01T00:00:11Z bob voted: approve on sha256:1";
    let direct = forged.parse::<Head>().unwrap_err().to_string();
    let json = format!(
        r#"{{"format_version":2,"name":"churn","version":"1","environment":{{"name":"default"}},
        "events":[{{"seq":1,"at":1,"prev":{},"event":{{"retraining":{{"by":"x"}}}}}}]}}"#,
        serde_json::to_string(forged).unwrap()
    );
    let via_serde = serde_json::from_str::<StoredModel>(&json)
        .unwrap_err()
        .to_string();
    assert!(
        !direct.contains('\n') && !via_serde.contains('\n'),
        "a forged audit line in an error message:\n---\n{direct}\n---\n{via_serde}\n---"
    );
}

/// A pipeline spec with a key given twice: the error quotes the key raw (newline, ESC).
#[test]
fn f5b_pipeline_spec_duplicate_key_error_quotes_attacker_text_raw() {
    let key = "x\n  \u{d7} pipeline.json: 0 problems\u{1b}[2J";
    let json = format!(
        r#"{{"steps": [], {k}: 1, {k}: 2}}"#,
        k = serde_json::to_string(key).unwrap()
    );
    let message = serde_json::from_str::<PipelineSpec>(&json)
        .unwrap_err()
        .to_string();
    assert!(
        !message.contains('\n') && !message.contains('\u{1b}'),
        "raw control characters in the error: {message:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// F6. `Registry::retire` of a member that was never deployed answers `InService` ("… is
// submitted; it stays in the registry"), the opposite of what is wrong; its docs promise
// `RegistryError::Refused`.
// ---------------------------------------------------------------------------------------------
#[test]
fn f6_retire_of_a_never_deployed_member_reports_it_in_service() {
    let env = Environment::default();
    let mut registry = Registry::new("churn").unwrap();
    registry.put(submitted(&env, "1", 0.9, 0)).unwrap();
    let error = registry
        .retire(&env, "1", "obsolete", false, "ops", t(1))
        .unwrap_err();
    assert!(
        !matches!(error, RegistryError::InService { .. }),
        "misleading refusal: {error}"
    );
}

// ---------------------------------------------------------------------------------------------
// Refused as promised (these pass): envelope and statement tricks against `attest::verify`.
// ---------------------------------------------------------------------------------------------
#[cfg(feature = "attest")]
mod refused_attest {
    use super::*;
    use modelgate::attest::{self, Ed25519Signer, Envelope, Expected, PAYLOAD_TYPE};

    const D: &str = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

    fn signer() -> Ed25519Signer {
        Ed25519Signer::from_seed([5; 32])
    }

    fn statement_json(env: &str) -> String {
        let env = Environment::new(env).unwrap();
        let outcome = TrainingOutcome::new(D, Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap();
        let m = Model::new("churn", "1")
            .unwrap()
            .in_environment(env)
            .submit(outcome, "alice", t(0))
            .unwrap()
            .decide(
                &MetricGate::at_least("accuracy", 0.9),
                &DecisionContext::at(t(1)),
            )
            .unwrap()
            .approved()
            .unwrap();
        String::from_utf8(m.attestation().unwrap().to_json().to_vec()).unwrap()
    }

    fn signed(payload_type: &str, payload: &str) -> String {
        let mut e = Envelope::new(payload_type, payload.as_bytes().to_vec());
        e.sign(&signer()).unwrap();
        e.to_json()
    }

    fn verify(
        json: &str,
        expected: &Expected,
    ) -> Result<attest::VerifiedApproval, attest::VerifyError> {
        attest::verify(json.as_bytes(), &[signer().public_key()], expected)
    }

    fn exp() -> Expected {
        exp_in("production")
    }

    fn exp_in(env: &str) -> Expected {
        Expected::deploying("churn", D.parse().unwrap(), env, t(1))
    }

    #[test]
    fn baseline_accepted() {
        verify(
            &signed(PAYLOAD_TYPE, &statement_json("production")),
            &exp_in("production"),
        )
        .unwrap();
    }

    #[test]
    fn payload_type_swapped_after_signing() {
        let json = signed(PAYLOAD_TYPE, &statement_json("production"));
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let mut v = v;
        v["payloadType"] = "application/vnd.in-toto+json ".into();
        assert!(verify(&v.to_string(), &exp()).is_err());
        // And a signature made over another type, relabelled as in-toto: PAE binds the type.
        let other = signed("application/json", &statement_json("production"));
        let mut v: serde_json::Value = serde_json::from_str(&other).unwrap();
        v["payloadType"] = PAYLOAD_TYPE.into();
        assert!(verify(&v.to_string(), &exp()).is_err());
    }

    #[test]
    fn duplicate_payload_key_in_envelope() {
        use base64::Engine as _;
        let json = signed(PAYLOAD_TYPE, &statement_json("production"));
        let evil = base64::engine::general_purpose::STANDARD.encode(statement_json("staging"));
        let dup = json.replacen("{", &format!("{{\"payload\":\"{evil}\","), 1);
        assert!(verify(&dup, &exp()).is_err());
    }

    #[test]
    fn two_signatures_naming_one_key() {
        let json = signed(PAYLOAD_TYPE, &statement_json("production"));
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let s = v["signatures"][0].clone();
        v["signatures"].as_array_mut().unwrap().push(s);
        assert!(verify(&v.to_string(), &exp()).is_err());
    }

    #[test]
    fn statement_ambiguities_signed_by_another_producer() {
        let good = statement_json("production");
        let v: serde_json::Value = serde_json::from_str(&good).unwrap();
        // Duplicate `predicate` (second spelled with a JSON escape).
        let mut staging: serde_json::Value =
            serde_json::from_str(&statement_json("staging")).unwrap();
        let dup = good.trim_end_matches('}').to_owned()
            + ",\"pr\\u0065dicate\":"
            + &staging["predicate"].take().to_string()
            + "}";
        assert!(verify(&signed(PAYLOAD_TYPE, &dup), &exp()).is_err());
        // Two subjects.
        let mut two = v.clone();
        let s = two["subject"][0].clone();
        two["subject"].as_array_mut().unwrap().push(s);
        assert!(verify(&signed(PAYLOAD_TYPE, &two.to_string()), &exp()).is_err());
        // Predicate v2 / v1 with a suffix.
        for pt in [
            "https://modelgate.dev/attestation/approval/v3",
            "https://modelgate.dev/attestation/approval/v1",
            "https://modelgate.dev/attestation/approval/v2/",
            "https://modelgate.dev/attestation/approval/v1/",
            "https://modelgate.dev/attestation/approval/V1",
        ] {
            let mut p = v.clone();
            p["predicateType"] = pt.into();
            assert!(
                verify(&signed(PAYLOAD_TYPE, &p.to_string()), &exp()).is_err(),
                "{pt}"
            );
        }
        // Uppercase hex in the subject; the algorithm named in upper case.
        let mut up = v.clone();
        let hex = D.split_once(':').unwrap().1;
        up["subject"][0]["digest"] = serde_json::json!({"sha256": hex.to_uppercase()});
        assert!(verify(&signed(PAYLOAD_TYPE, &up.to_string()), &exp()).is_err());
        let mut alg = v.clone();
        alg["subject"][0]["digest"] = serde_json::json!({"SHA256": hex});
        assert!(verify(&signed(PAYLOAD_TYPE, &alg.to_string()), &exp()).is_err());
        // Duplicate metric inside the predicate; unknown predicate field.
        let dm = good.replacen(
            "\"metrics\":{\"accuracy\":0.95}",
            "\"metrics\":{\"accuracy\":0.95,\"accuracy\":0.1}",
            1,
        );
        assert_ne!(dm, good);
        assert!(verify(&signed(PAYLOAD_TYPE, &dm), &exp()).is_err());
        let mut unk = v.clone();
        unk["predicate"]["override"] = true.into();
        assert!(verify(&signed(PAYLOAD_TYPE, &unk.to_string()), &exp()).is_err());
        // A rejected verdict relabelled.
        let mut rej = v.clone();
        rej["predicate"]["decision"]["verdict"] = "reject".into();
        assert!(verify(&signed(PAYLOAD_TYPE, &rej.to_string()), &exp()).is_err());
    }

    #[test]
    fn environment_look_alikes_and_case() {
        let json = signed(PAYLOAD_TYPE, &statement_json("staging"));
        for env in [
            "production",
            "Staging",
            "staging ",
            "staging\u{200b}",
            "ѕtaging",
        ] {
            assert!(verify(&json, &exp_in(env)).is_err(), "{env:?}");
        }
    }

    #[test]
    fn lapsed_approval_refused_with_at() {
        let prod = Environment::new("production")
            .unwrap()
            .with_approval_validity(Duration::from_secs(60));
        let outcome = TrainingOutcome::new(D, Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap();
        let m = Model::new("churn", "1")
            .unwrap()
            .in_environment(prod)
            .submit(outcome, "alice", t(0))
            .unwrap()
            .decide(
                &MetricGate::at_least("accuracy", 0.9),
                &DecisionContext::at(t(1)),
            )
            .unwrap()
            .approved()
            .unwrap();
        let json = m.attest(&signer()).unwrap().to_json();
        let at = |s| Expected::deploying("churn", D.parse().unwrap(), "production", t(s));
        assert!(verify(&json, &at(61)).is_ok());
        assert!(verify(&json, &at(62)).is_err());
    }
}

// ---------------------------------------------------------------------------------------------
// Refused as promised (these pass): registry moves and stored-registry forgeries.
// ---------------------------------------------------------------------------------------------
mod refused_registry {
    use super::*;

    fn gate() -> MetricGate {
        MetricGate::at_least("accuracy", 0.5)
    }

    fn two_versions() -> Registry {
        let env = Environment::default();
        let mut r = Registry::new("churn").unwrap();
        decide_and_deploy(&mut r, &env, "1", 0.9, &gate(), 0, 1, 2);
        decide_and_deploy(&mut r, &env, "2", 0.95, &gate(), 3, 4, 5);
        r
    }

    fn book() -> PolicyBook {
        PolicyBook::new().with("default", gate())
    }

    #[test]
    fn deployed_outside_then_put() {
        let env = Environment::default();
        let mut r = two_versions();
        r.put(submitted(&env, "3", 0.9, 6)).unwrap();
        let AnyModel::Submitted(m) = r.take(&env, "3").unwrap() else {
            unreachable!()
        };
        let ctx = r.decision_context(&env, t(7));
        let d = m
            .decide(&gate(), &ctx)
            .unwrap()
            .approved()
            .unwrap()
            .mark_deployed(Receipt::new("x"), "ci", t(8))
            .unwrap();
        assert!(matches!(
            r.put(d).unwrap_err().error(),
            RegistryError::MovedOutside { .. }
        ));
    }

    #[test]
    fn fake_champion_and_no_champion() {
        let env = Environment::default();
        let mut r = two_versions();
        for champion in [Some(Metrics::new([("accuracy", 0.1)]).unwrap()), None] {
            let m = submitted(&env, "3", 0.9, 6);
            let ctx = DecisionContext::at(t(7));
            let ctx = match champion {
                Some(c) => ctx.with_champion(c),
                None => ctx,
            };
            let d = m.decide(&gate(), &ctx).unwrap().approved().unwrap();
            assert!(matches!(
                r.put(d).unwrap_err().error(),
                RegistryError::OtherChampion { .. }
            ));
        }
    }

    #[test]
    fn promotion_from_a_deployment_outside_the_registry() {
        let staging = Environment::new("staging").unwrap();
        let prod = Environment::new("production").unwrap();
        let mut r = Registry::new("churn").unwrap();
        r.put(submitted(&staging, "1", 0.9, 0)).unwrap();
        let AnyModel::Submitted(m) = r.take(&staging, "1").unwrap() else {
            unreachable!()
        };
        let outside = m
            .decide(&gate(), &r.decision_context(&staging, t(1)))
            .unwrap()
            .approved()
            .unwrap()
            .mark_deployed(Receipt::new("x"), "ci", t(2))
            .unwrap();
        let p = outside
            .promote(
                Model::new("churn", "1").unwrap().in_environment(prod),
                Metrics::default(),
                "alice",
                t(3),
            )
            .unwrap();
        assert!(matches!(
            r.put(p).unwrap_err().error(),
            RegistryError::UnknownDeployment { .. }
        ));
    }

    #[test]
    fn rollback_to_retired_for_cause() {
        let env = Environment::default();
        let mut r = two_versions();
        r.retire(&env, "1", "bias", true, "ops", t(6)).unwrap();
        assert!(matches!(
            r.roll_back(&env, &gate(), "x", "ops", t(7)),
            Err(RegistryError::RetiredTarget { .. })
        ));
        assert_eq!(r.current(&env).unwrap().version(), "2");
    }

    #[test]
    fn stored_registry_member_swapped_dropped_reordered_or_mixed() {
        let k = key();
        let old = two_versions().sealed_by(&k).unwrap();
        let mut later = two_versions();
        later
            .retire(&Environment::default(), "1", "bias", true, "ops", t(6))
            .unwrap();
        let new = later.sealed_by(&k).unwrap();
        let mut v: serde_json::Value = serde_json::to_value(&new).unwrap();
        // Swap the retired member for its older sealed copy.
        v["members"][0] = serde_json::to_value(&old.members()[0]).unwrap();
        let swapped: registry::StoredRegistry = serde_json::from_value(v.clone()).unwrap();
        assert!(swapped.restore(&k, &book()).is_err());
        // Drop a member.
        let mut dropped = serde_json::to_value(&new).unwrap();
        dropped["members"].as_array_mut().unwrap().remove(0);
        assert!(
            serde_json::from_value::<registry::StoredRegistry>(dropped)
                .unwrap()
                .restore(&k, &book())
                .is_err()
        );
        // Reorder.
        let mut re = serde_json::to_value(&new).unwrap();
        re["members"].as_array_mut().unwrap().reverse();
        assert!(
            serde_json::from_value::<registry::StoredRegistry>(re)
                .unwrap()
                .restore(&k, &book())
                .is_err()
        );
        // Old index seal with new members.
        let mut mixed = serde_json::to_value(&new).unwrap();
        mixed["seal"] = serde_json::to_value(old.seal().unwrap()).unwrap();
        assert!(
            serde_json::from_value::<registry::StoredRegistry>(mixed)
                .unwrap()
                .restore(&k, &book())
                .is_err()
        );
        // The whole older registry restores (documented: keep the latest index head).
        assert!(old.restore(&k, &book()).is_ok());
    }

    #[test]
    fn member_moved_to_another_environment_or_window_widened() {
        let k = key();
        let stored = two_versions().sealed_by(&k).unwrap();
        for env in [
            serde_json::json!({"name": "production"}),
            serde_json::json!({"name": "default", "approval_validity_ms": 1}),
        ] {
            let mut v = serde_json::to_value(&stored).unwrap();
            v["members"][0]["environment"] = env;
            let s: registry::StoredRegistry = serde_json::from_value(v).unwrap();
            assert!(
                s.restore(
                    &k,
                    &PolicyBook::new()
                        .with("default", gate())
                        .with("production", gate())
                )
                .is_err()
            );
        }
    }
}
