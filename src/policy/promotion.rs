//! Rules on the evidence a promoted version brings from its previous environment: how long it
//! ran there, and how its online metrics looked.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::message::{Message, human};
use super::metric::{Comparison, MetricGate};
use super::{Finding, FindingValue, Lint, Policy, ReviewContext, Rule, Verdict, VerdictKind};
use crate::value::name::Name;

/// Approves a promoted version that had been deployed in its previous environment for at least
/// `duration` when it was promoted ("soaked in staging for 48 h"): from the evidence's
/// `deployed_at` to its `observed_at`, which a [`Registry`](crate::Registry) checks against the
/// previous environment's trail. Rejects a shorter soak (the evidence never grows: once soaked,
/// retrain the rejected model and promote into it again, which keeps its trail) and a
/// submission that brings no evidence (fails closed).
///
/// ```
/// use std::time::Duration;
/// use modelgate::Policy;
/// use modelgate::policy::Soak;
/// let soak = Soak::at_least(Duration::from_secs(48 * 3600));
/// assert_eq!(soak.name(), "soaked at least 48h");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Soak {
    duration: Duration,
}

impl Soak {
    /// At least `duration` in the previous environment.
    pub fn at_least(duration: Duration) -> Self {
        Self { duration }
    }

    /// The least time in the previous environment.
    pub fn duration(&self) -> Duration {
        self.duration
    }
}

/// A soak in the unit pipelines write it in, hours (`soak_hours: 48` reads `48h`, never
/// `2d`), exact to the millisecond: `48h`, `50h 12m`, `1h 0m 30s`, `7m`, `1500ms`.
fn hours(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, sec, ms) = (s / 3_600, s % 3_600 / 60, s % 60, d.subsec_millis());
    if h == 0 {
        return human(d);
    }
    let mut out = format!("{h}h");
    if (m, sec, ms) != (0, 0, 0) {
        out.push_str(&format!(" {m}m"));
    }
    if (sec, ms) != (0, 0) {
        out.push_str(&format!(" {sec}s"));
    }
    if ms != 0 {
        out.push_str(&format!(" {ms}ms"));
    }
    out
}

/// How long a version ran, in hours and whole minutes (`71h 59m`); under a minute, exact.
fn observed_hours(d: Duration) -> String {
    match d.as_secs() {
        s if s >= 60 => hours(Duration::from_secs(s - s % 60)),
        _ => hours(d),
    }
}

impl Policy for Soak {
    fn rule(&self) -> Option<Rule> {
        Some(Rule::from(self.clone()))
    }

    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        let kind = self.judge(ctx);
        let required = hours(self.duration);
        let (message, observed) = match ctx.promotion() {
            None => (
                format!(
                    "no evidence from a previous environment; a soak of {required} is required"
                ),
                FindingValue::Missing,
            ),
            Some(p) => {
                let ran = p.observed_at().saturating_since(p.deployed_at());
                let message = if kind == VerdictKind::Approve {
                    format!(
                        "deployed in {} for {} when promoted, at least {required}",
                        p.from(),
                        observed_hours(ran)
                    )
                } else {
                    format!(
                        "deployed in {} for {} when promoted, short of {required}; once it has \
                         soaked, retrain this model and promote into it again",
                        p.from(),
                        observed_hours(ran)
                    )
                };
                (message, FindingValue::Text(observed_hours(ran)))
            }
        };
        let finding = Finding::built(kind, "soak", Name::new("soak"), Message::Text(message))
            .with_observed(observed)
            .with_required(FindingValue::Text(required));
        Verdict::new(kind, vec![finding])
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        match ctx.promotion() {
            None => VerdictKind::Reject,
            Some(p) if p.observed_at().saturating_since(p.deployed_at()) >= self.duration => {
                VerdictKind::Approve
            }
            Some(_) => VerdictKind::Reject,
        }
    }

    fn name(&self) -> String {
        format!("soaked at least {}", hours(self.duration))
    }
}

/// A gate on a metric the host observed online in the previous environment (an error rate, a
/// latency, a business metric), as a promoted version brings it: at least, at most, above,
/// below, decimal boundaries inclusive as written. Fails closed: without evidence from a
/// previous environment, or without the metric in it, it rejects.
///
/// ```
/// use modelgate::Policy;
/// use modelgate::policy::OnlineMetric;
/// let rule = OnlineMetric::at_most("error_rate", 0.02);
/// assert_eq!(rule.name(), "online error_rate at most 0.02");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OnlineMetric(MetricGate);

/// The gate on the online metric, its range included.
impl From<MetricGate> for OnlineMetric {
    fn from(gate: MetricGate) -> Self {
        Self(gate)
    }
}

impl OnlineMetric {
    /// The online `metric` with comparison `op` against `threshold`.
    pub fn new(metric: impl AsRef<str>, op: Comparison, threshold: f64) -> Self {
        Self(MetricGate::new(metric, op, threshold))
    }

    /// Passes when the online `metric` is at least `min`.
    pub fn at_least(metric: impl AsRef<str>, min: f64) -> Self {
        Self::new(metric, Comparison::AtLeast, min)
    }

    /// Passes when the online `metric` is at most `max`.
    pub fn at_most(metric: impl AsRef<str>, max: f64) -> Self {
        Self::new(metric, Comparison::AtMost, max)
    }

    /// Passes when the online `metric` is strictly above `threshold`.
    pub fn above(metric: impl AsRef<str>, threshold: f64) -> Self {
        Self::new(metric, Comparison::Above, threshold)
    }

    /// Passes when the online `metric` is strictly below `threshold`.
    pub fn below(metric: impl AsRef<str>, threshold: f64) -> Self {
        Self::new(metric, Comparison::Below, threshold)
    }

    /// The gate on the online metric.
    pub fn gate(&self) -> &MetricGate {
        &self.0
    }

    fn value(&self, ctx: &ReviewContext<'_>) -> Option<f64> {
        ctx.promotion()
            .and_then(|p| p.online().get(self.0.metric_name().as_str()))
    }
}

impl Policy for OnlineMetric {
    fn rule(&self) -> Option<Rule> {
        Some(Rule::from(self.clone()))
    }

    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        let shown = Name::new(&format!("online {}", self.0.metric()));
        let rule = match self.0.comparison() {
            Comparison::AtLeast => "online_at_least",
            Comparison::AtMost => "online_at_most",
            Comparison::Above => "online_above",
            Comparison::Below => "online_below",
        };
        self.0.verdict_for(self.value(ctx), rule, shown)
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        self.0.kind_for(self.value(ctx))
    }

    fn name(&self) -> String {
        format!("online {}", self.0.name())
    }

    fn lint(&self, lints: &mut Vec<Lint>) {
        self.0.lint(lints);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_soak_speaks_in_hours_as_pipelines_write_it_exact_to_the_millisecond() {
        let h = |s: u64| hours(Duration::from_secs(s));
        assert_eq!(h(48 * 3600), "48h");
        assert_eq!(h(7 * 24 * 3600), "168h");
        assert_eq!(h(50 * 3600 + 12 * 60), "50h 12m");
        assert_eq!(h(3600 + 30), "1h 0m 30s");
        assert_eq!(hours(Duration::from_millis(3_600_001)), "1h 0m 0s 1ms");
        assert_eq!(h(7 * 60), "7m");
        assert_eq!(h(0), "0s");
        // Two soaks that differ are never named alike.
        assert_ne!(h(48 * 3600), h(48 * 3600 + 1));
        assert_eq!(
            observed_hours(Duration::from_secs(72 * 3600 - 2)),
            "71h 59m"
        );
        assert_eq!(observed_hours(Duration::from_secs(40)), "40s");
    }
}
