//! Plays a downstream user: a custom policy written against the public API only, checked with
//! the `proptest` feature's strategies and law checker, as a host would in its own CI.
#![cfg(feature = "proptest")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use modelgate::policy::FindingValue;
use modelgate::testing::{Laws, Scenario, decider, pipeline_spec, scenario, stored_model};
use modelgate::{
    Finding, MetricGate, Policy, PolicyExt, ReviewContext, Verdict, VerdictKind, Vote, not,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestError, TestRunner};

/// A host's own rule: latency must not exceed the champion's by more than 10 % (missing latency
/// rejects), then two approvals from anyone but the submitter.
struct SafeRollout;

impl Policy for SafeRollout {
    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        let Some(latency) = ctx.metric("latency_p99_ms") else {
            let f = Finding::new(
                VerdictKind::Reject,
                "safe_rollout",
                "latency_p99_ms",
                "latency is missing",
            );
            return Verdict::new(VerdictKind::Reject, vec![f]);
        };
        let limit = ctx
            .champion()
            .and_then(|c| c.get("latency_p99_ms"))
            .map_or(f64::INFINITY, |c| c * 1.1);
        if latency > limit {
            let f = Finding::new(
                VerdictKind::Reject,
                "safe_rollout",
                "latency_p99_ms",
                format!("{latency} > {limit}"),
            )
            .with_observed(FindingValue::Number(latency));
            return Verdict::new(VerdictKind::Reject, vec![f]);
        }
        let approvals = ctx
            .votes()
            .filter(|r| r.vote() == Vote::Approve && r.reviewer() != ctx.submitter())
            .count();
        let kind = if approvals >= 2 {
            VerdictKind::Approve
        } else {
            VerdictKind::Pending
        };
        let f = Finding::new(
            kind,
            "safe_rollout",
            "approvals",
            format!("{approvals} of 2 approvals"),
        );
        Verdict::new(kind, vec![f])
    }

    fn name(&self) -> String {
        "safe rollout".into()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_hosts_policy_obeys_the_laws(s in scenario()) {
        Laws::new(&SafeRollout).monotone().check(&s)?;
        Laws::new(&SafeRollout.and(MetricGate::at_least("accuracy", 0.9))).monotone().check(&s)?;
    }

    #[test]
    fn generated_specs_validate_and_their_policies_obey_the_laws(spec in pipeline_spec(), s in scenario()) {
        let pipeline = spec.validate().map_err(|e| TestCaseError::fail(e.to_string()))?;
        Laws::new(&pipeline.policy()).check(&s)?;
    }

    #[test]
    fn generated_models_of_every_stage_round_trip(stored in stored_model()) {
        let json = serde_json::to_string(&stored).unwrap();
        let back: modelgate::StoredModel = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &stored);
        prop_assert!(back.restore_unsealed(&decider()).is_ok());
    }
}

/// Runs the law checker over generated scenarios and returns the law a policy broke, if any.
fn broken_law(policy: &dyn Policy, monotone: bool) -> Option<&'static str> {
    let mut runner = TestRunner::new(Config {
        cases: 512,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&scenario(), |s: Scenario| {
        let laws = Laws::new(policy);
        let laws = if monotone { laws.monotone() } else { laws };
        laws.check(&s).map_err(|v| TestCaseError::fail(v.law()))
    });
    match result {
        Err(TestError::Fail(reason, _)) => Some(match reason.message() {
            "fails closed on missing metrics" => "fails closed on missing metrics",
            "fails closed on missing evidence" => "fails closed on missing evidence",
            "judge agrees with evaluate" => "judge agrees with evaluate",
            "monotone in approvals" => "monotone in approvals",
            "every verdict has findings" => "every verdict has findings",
            "a kept fingerprint is its structure's" => "a kept fingerprint is its structure's",
            other => panic!("unexpected law: {other}"),
        }),
        Err(e) => panic!("{e}"),
        Ok(()) => None,
    }
}

#[test]
fn the_promotion_rules_obey_the_laws_and_their_negation_fails_open() {
    use modelgate::policy::{OnlineMetric, Soak};
    let two_days = std::time::Duration::from_secs(2 * 86_400);
    let rules: Vec<Box<dyn Policy>> = vec![
        Box::new(Soak::at_least(two_days)),
        Box::new(OnlineMetric::at_most("loss", 0.5)),
        Box::new(OnlineMetric::above("precision", 0.9)),
        Box::new(Soak::at_least(two_days).and(OnlineMetric::at_least("recall", 0.9))),
    ];
    for rule in &rules {
        assert_eq!(broken_law(rule.as_ref(), true), None, "{}", rule.name());
    }
    assert_eq!(
        broken_law(&not(Soak::at_least(two_days)), false),
        Some("fails closed on missing evidence")
    );
    assert_eq!(
        broken_law(&not(OnlineMetric::at_most("loss", 0.5)), false),
        Some("fails closed on missing evidence")
    );
}

#[test]
fn the_checker_catches_a_policy_that_fails_open() {
    // `not` of a gate approves when the metric is missing.
    assert_eq!(
        broken_law(&not(MetricGate::at_least("accuracy", 0.9)), false),
        Some("fails closed on missing metrics")
    );
}

#[test]
fn the_checker_catches_a_judge_that_disagrees() {
    struct Liar;
    impl Policy for Liar {
        fn evaluate(&self, _: &ReviewContext<'_>) -> Verdict {
            Verdict::new(
                VerdictKind::Pending,
                vec![Finding::new(VerdictKind::Pending, "liar", "x", "pending")],
            )
        }
        fn judge(&self, _: &ReviewContext<'_>) -> VerdictKind {
            VerdictKind::Approve
        }
    }
    assert_eq!(broken_law(&Liar, false), Some("judge agrees with evaluate"));
}

/// A host's policy may keep its fingerprint to spare hashing it at every decision; one that
/// keeps another policy's (here a looser one's) would record a false identity, and the checker
/// says so. Wrapped in `Fingerprinted`, the same rule keeps its own.
#[test]
fn the_checker_catches_a_kept_fingerprint_that_is_not_the_policys() {
    use modelgate::Fingerprint;
    use modelgate::policy::Fingerprinted;
    struct Impostor;
    impl Policy for Impostor {
        fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
            MetricGate::at_least("accuracy", 0.9).evaluate(ctx)
        }
        fn name(&self) -> String {
            "impostor".into()
        }
        fn kept_fingerprint(&self) -> Option<Fingerprint> {
            Some(MetricGate::at_least("accuracy", 0.5).fingerprint())
        }
    }
    assert_eq!(
        broken_law(&Impostor, false),
        Some("a kept fingerprint is its structure's")
    );
    let violation = Laws::new(&Impostor).check(&fixed_scenario()).unwrap_err();
    assert!(
        violation
            .to_string()
            .starts_with("policy breaks the law `a kept fingerprint is its structure's`: keeps ")
    );
    let honest = Fingerprinted::new(MetricGate::at_least("accuracy", 0.9));
    assert_eq!(broken_law(&honest, true), None);
}

#[test]
fn the_checker_catches_a_policy_that_is_not_monotone() {
    // Approves only while nobody has approved yet.
    let contrarian = modelgate::from_fn("contrarian", |ctx| {
        let none = ctx.votes().all(|r| r.vote() == Vote::Reject);
        let kind = if none {
            VerdictKind::Approve
        } else {
            VerdictKind::Pending
        };
        Verdict::new(
            kind,
            vec![Finding::new(kind, "contrarian", "votes", "contrary")],
        )
    });
    assert_eq!(broken_law(&contrarian, true), Some("monotone in approvals"));
    assert_eq!(broken_law(&contrarian, false), None);
}

/// One hand-made scenario: accuracy 0.95, no votes, submitted by alice.
fn fixed_scenario() -> Scenario {
    use modelgate::value::CountedVotes;
    use modelgate::{Metrics, Timestamp, TrainingOutcome};
    let metrics = Metrics::new([("accuracy", 0.95)]).unwrap();
    Scenario {
        outcome: TrainingOutcome::new("sha256:fixed", metrics).unwrap(),
        votes: CountedVotes::new(),
        submitter: "alice".into(),
        attempt: 1,
        champion: None,
        promotion: None,
        now: Timestamp::from_unix_secs(1_000),
    }
}

#[test]
fn law_violation_messages() {
    use std::cell::Cell;
    let s = fixed_scenario();
    let silent = modelgate::from_fn("silent", |_| Verdict::new(VerdictKind::Pending, vec![]));
    struct Silent;
    impl Policy for Silent {
        fn evaluate(&self, _: &ReviewContext<'_>) -> Verdict {
            Verdict::new(VerdictKind::Pending, vec![])
        }
    }
    struct Flip(Cell<bool>);
    impl Policy for Flip {
        fn evaluate(&self, _: &ReviewContext<'_>) -> Verdict {
            let kind = if self.0.replace(!self.0.get()) {
                VerdictKind::Approve
            } else {
                VerdictKind::Reject
            };
            Verdict::new(
                kind,
                vec![Finding::new(kind, "flip", "coin", "heads or tails")],
            )
        }
    }
    let needs_no_one = modelgate::from_fn("needs no one", |ctx| {
        let kind = if ctx.votes().count() == 0 {
            VerdictKind::Approve
        } else {
            VerdictKind::Pending
        };
        Verdict::new(
            kind,
            vec![Finding::new(kind, "alone", "votes", "nobody voted")],
        )
    });
    let violations = [
        Laws::new(&not(MetricGate::at_least("accuracy", 0.9))).check(&s),
        Laws::new(&Silent).check(&s),
        Laws::new(&Flip(Cell::new(false))).check(&s),
        Laws::new(&needs_no_one).monotone().check(&s),
    ];
    // `from_fn` adds a finding to a closure's bare verdict, so `silent` obeys the laws.
    assert!(Laws::new(&silent).check(&s).is_ok());
    let lines: Vec<String> = violations
        .iter()
        .map(|v| v.as_ref().unwrap_err().to_string())
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn the_checker_passes_the_built_ins() {
    use modelgate::{NoRegression, Quorum, RequiredRole, when};
    let policy = (
        MetricGate::at_least("accuracy", 0.9),
        NoRegression::lower_is_better("latency_p99_ms").relative(0.1),
        when(MetricGate::above("accuracy", 0.97))
            .approve_automatically()
            .otherwise((
                Quorum::new(2).eligible_roles(["team_lead", "ml_reviewer"]),
                RequiredRole::new("team_lead"),
            )),
    );
    assert_eq!(broken_law(&policy, true), None);
}
