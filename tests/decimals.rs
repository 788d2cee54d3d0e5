//! Decimal boundaries are inclusive as written: gates, absolute and relative tolerances compare
//! the numbers people write (here, every 3-decimal pair in [0, 1], and random 4-decimal points)
//! exactly as the decimals they are, although `f64` cannot hold most of them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use modelgate::policy::Comparison;
use modelgate::value::CountedVotes;
use modelgate::{
    Metrics, NoRegression, Policy, ReviewContext, Timestamp, TrainingOutcome, VerdictKind,
};
use proptest::prelude::*;

/// `k / 10^places`, parsed from its decimal text as a host reading a config would.
fn decimal(k: i64, places: u32) -> f64 {
    let text = format!(
        "{}.{:0width$}",
        k / 10i64.pow(places),
        k % 10i64.pow(places),
        width = places as usize
    );
    text.parse().unwrap()
}

#[test]
fn every_3_decimal_gate_boundary_is_exact() {
    for t in 0..=1000 {
        let threshold = decimal(t, 3);
        for v in 0..=1000 {
            let value = decimal(v, 3);
            assert_eq!(
                Comparison::AtLeast.holds(value, threshold),
                v >= t,
                "{value} ≥ {threshold}"
            );
            assert_eq!(Comparison::AtMost.holds(value, threshold), v <= t);
            assert_eq!(Comparison::Above.holds(value, threshold), v > t);
            assert_eq!(Comparison::Below.holds(value, threshold), v < t);
        }
    }
    // And values a host computed rather than wrote.
    assert!(Comparison::AtMost.holds(0.1 + 0.2, 0.3));
    assert!(!Comparison::Above.holds(0.1 + 0.2, 0.3));
}

fn judge(rule: &NoRegression, candidate: f64, champion: f64) -> VerdictKind {
    let outcome =
        TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", candidate)]).unwrap()).unwrap();
    let champion = Metrics::new([("accuracy", champion)]).unwrap();
    let votes = CountedVotes::new();
    let ctx = ReviewContext::new(&outcome, &votes, "alice", 1, Timestamp::from_unix_secs(1))
        .with_champion(&champion);
    let kind = rule.judge(&ctx);
    assert_eq!(kind, rule.evaluate(&ctx).kind());
    kind
}

#[test]
fn the_reported_boundary_case() {
    let rule = NoRegression::higher_is_better("accuracy").absolute(0.1);
    assert_eq!(judge(&rule, 0.7, 0.8), VerdictKind::Approve);
    assert_eq!(judge(&rule, 0.6, 0.7), VerdictKind::Approve);
    assert_eq!(judge(&rule, 0.6999, 0.8), VerdictKind::Reject);
    let outcome =
        TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.69)]).unwrap()).unwrap();
    let champion = Metrics::new([("accuracy", 0.8)]).unwrap();
    let votes = CountedVotes::new();
    let ctx = ReviewContext::new(&outcome, &votes, "alice", 1, Timestamp::from_unix_secs(1))
        .with_champion(&champion);
    assert_eq!(
        rule.evaluate(&ctx).to_string(),
        "reject: accuracy 0.69 regresses beyond the champion's 0.8 (limit 0.7)"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20_000, ..ProptestConfig::default() })]

    /// Every 4-decimal candidate, champion and tolerance in [0, 1], both directions, absolute
    /// and relative: the rule decides as exact decimal arithmetic does.
    #[test]
    fn no_regression_decides_as_exact_decimals(
        v in 0..=10_000i64,
        c in 0..=10_000i64,
        t in 0..=10_000i64,
        higher in any::<bool>(),
        relative in any::<bool>(),
    ) {
        let (value, champion, tolerance) = (decimal(v, 4), decimal(c, 4), decimal(t, 4));
        let base = if higher {
            NoRegression::higher_is_better("accuracy")
        } else {
            NoRegression::lower_is_better("accuracy")
        };
        let rule = if relative { base.relative(tolerance) } else { base.absolute(tolerance) };
        // In units of 10^-8: slack is t (absolute) or c·t (relative, c ≥ 0 here).
        let (v8, c8) = (v * 10_000, c * 10_000);
        let slack8 = if relative { c * t } else { t * 10_000 };
        let exact = if higher { v8 >= c8 - slack8 } else { v8 <= c8 + slack8 };
        let expected = if exact { VerdictKind::Approve } else { VerdictKind::Reject };
        prop_assert_eq!(judge(&rule, value, champion), expected, "{} vs {} ± {}", value, champion, tolerance);
    }
}
