//! Metric gates: a metric at least or at most a threshold.

use super::{Finding, Policy, ReviewContext, Value, Verdict, VerdictKind};

/// A gate on one metric: at least or at most a threshold.
///
/// Fails closed: a missing metric rejects, with a finding that names it.
///
/// ```
/// use modelgate::{MetricGate, Policy};
/// let gate = MetricGate::at_least("accuracy", 0.90);
/// assert_eq!(gate.name(), "accuracy at least 0.9");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct MetricGate {
    metric: String,
    bound: Bound,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Bound {
    AtLeast(f64),
    AtMost(f64),
}

impl MetricGate {
    /// Passes when `metric` is at least `min`.
    pub fn at_least(metric: impl Into<String>, min: f64) -> Self {
        Self {
            metric: metric.into(),
            bound: Bound::AtLeast(min),
        }
    }

    /// Passes when `metric` is at most `max`.
    pub fn at_most(metric: impl Into<String>, max: f64) -> Self {
        Self {
            metric: metric.into(),
            bound: Bound::AtMost(max),
        }
    }

    /// The metric's name.
    pub fn metric(&self) -> &str {
        &self.metric
    }

    fn parts(&self) -> (&'static str, &'static str, f64) {
        match self.bound {
            Bound::AtLeast(t) => ("metric_at_least", "at least", t),
            Bound::AtMost(t) => ("metric_at_most", "at most", t),
        }
    }
}

impl Policy for MetricGate {
    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        let (rule, relation, threshold) = self.parts();
        let metric = &self.metric;
        let (kind, message) = match (ctx.metric(metric), self.bound) {
            (None, _) => (
                VerdictKind::Reject,
                format!("{metric} is missing; it must be {relation} {threshold}"),
            ),
            (Some(v), Bound::AtLeast(t)) if v >= t => (
                VerdictKind::Approve,
                format!("{metric} {v} is at least {t}"),
            ),
            (Some(v), Bound::AtLeast(t)) => (
                VerdictKind::Reject,
                format!("{metric} {v} is below the minimum {t}"),
            ),
            (Some(v), Bound::AtMost(t)) if v <= t => {
                (VerdictKind::Approve, format!("{metric} {v} is at most {t}"))
            }
            (Some(v), Bound::AtMost(t)) => (
                VerdictKind::Reject,
                format!("{metric} {v} is above the maximum {t}"),
            ),
        };
        let observed = ctx.metric(metric).map_or(Value::Missing, Value::Number);
        let finding = Finding::new(kind, rule, metric.as_str(), message)
            .with_observed(observed)
            .with_required(Value::Number(threshold));
        Verdict::new(kind, vec![finding])
    }

    fn name(&self) -> String {
        let (_, relation, threshold) = self.parts();
        format!("{} {relation} {threshold}", self.metric)
    }
}
