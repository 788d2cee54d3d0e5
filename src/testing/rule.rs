//! Policies as data: random [`Rule`]s built in code from every built-in rule and combinator.

use std::time::Duration;

use proptest::prelude::*;

use super::{METRICS, REVIEWERS, ROLES, metric_value};
use crate::policy::{
    Comparison, DistinctRoles, Excluding, Fresh, MetricGate, NoRegression, OnlineMetric, Quorum,
    RequiredRole, Rule, Soak, Veto, all, not, when,
};

fn comparison() -> impl Strategy<Value = Comparison> {
    prop::sample::select(vec![
        Comparison::AtLeast,
        Comparison::AtMost,
        Comparison::Above,
        Comparison::Below,
    ])
}

fn gate() -> impl Strategy<Value = MetricGate> {
    (
        prop::sample::select(METRICS.to_vec()),
        comparison(),
        metric_value(),
        prop::option::of((0.0..1.0f64, 1.0..300.0f64)),
    )
        .prop_map(|(metric, op, threshold, range)| {
            let gate = MetricGate::new(metric, op, threshold);
            match range {
                Some((min, max)) => gate.within(min, max),
                None => gate,
            }
        })
}

/// A duration as code writes one: whole hours, minutes, seconds, or with a fraction of a second.
fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (1..200u64).prop_map(|h| Duration::from_secs(h * 3600)),
        (1..10_000u64).prop_map(|m| Duration::from_secs(m * 60)),
        (0..10_000_000u64).prop_map(Duration::from_secs),
        (0..10_000u64, 1..1_000_000_000u32).prop_map(|(s, n)| Duration::new(s, n)),
    ]
}

fn names(from: &'static [&'static str]) -> impl Strategy<Value = Vec<&'static str>> {
    prop::sample::subsequence(from.to_vec(), 0..=from.len()).prop_shuffle()
}

/// One built-in rule that is not a combinator.
fn leaf() -> impl Strategy<Value = Rule> {
    prop_oneof![
        gate().prop_map(Rule::from),
        gate().prop_map(|g| Rule::from(OnlineMetric::from(g))),
        (0..5usize, names(&REVIEWERS), names(&ROLES)).prop_map(|(n, ids, roles)| {
            Rule::from(Quorum::new(n).eligible_ids(ids).eligible_roles(roles))
        }),
        prop::sample::select(ROLES.to_vec()).prop_map(|r| Rule::from(RequiredRole::new(r))),
        (0..4usize, names(&ROLES)).prop_map(|(n, roles)| Rule::from(DistinctRoles::new(n, roles))),
        (names(&REVIEWERS), names(&ROLES)).prop_map(|(ids, roles)| Rule::from(
            Veto::new().eligible_ids(ids).eligible_roles(roles)
        )),
        (
            prop::sample::select(METRICS.to_vec()),
            proptest::arbitrary::any::<bool>(),
            proptest::arbitrary::any::<bool>(),
            0.0..0.2f64
        )
            .prop_map(|(metric, higher, absolute, t)| {
                let rule = if higher {
                    NoRegression::higher_is_better(metric)
                } else {
                    NoRegression::lower_is_better(metric)
                };
                Rule::from(if absolute {
                    rule.absolute(t)
                } else {
                    rule.relative(t)
                })
            }),
        duration().prop_map(|d| Rule::from(Soak::at_least(d))),
    ]
}

/// A rule built in code, as deep as four combinators: every built-in rule (gates, online gates,
/// quorums, required roles, vetoes, no regression, soaks) under `all`, `any`, `not`, vote
/// windows and both forms of `when`, over [`REVIEWERS`], [`ROLES`] and [`METRICS`].
///
/// ```
/// use modelgate::PolicyExt;
/// use modelgate::policy::Rule;
/// use modelgate::testing::rule;
/// use proptest::prelude::*;
///
/// proptest! {
///     fn a_rule_reads_back_as_itself(r in rule()) {
///         let back: Rule = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
///         prop_assert_eq!(back.fingerprint(), r.fingerprint());
///     }
/// }
/// a_rule_reads_back_as_itself();
/// ```
pub fn rule() -> impl Strategy<Value = Rule> {
    leaf().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|r| Rule::from(all(r))),
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|r| Rule::from(crate::policy::any(r))),
            inner.clone().prop_map(|r| Rule::from(not(r))),
            (duration(), inner.clone()).prop_map(|(d, r)| Rule::from(Fresh::within(d, r))),
            // An exclusion of no role excludes nobody (linted; a spec's `excluding` requires
            // its roles): only exclusions of some roles.
            (
                prop::sample::subsequence(ROLES.to_vec(), 1..=ROLES.len()).prop_shuffle(),
                inner.clone()
            )
                .prop_map(|(roles, r)| Rule::from(Excluding::roles(roles, r))),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| Rule::from(when(c).then(a).otherwise(b))),
            (inner.clone(), inner)
                .prop_map(|(c, b)| Rule::from(when(c).approve_automatically().otherwise(b))),
        ]
    })
}
