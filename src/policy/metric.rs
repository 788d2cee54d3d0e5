//! Metric gates: a metric at least, at most, above or below a threshold.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use super::decimal;
use super::message::Message;
use super::token::token;
use super::{Finding, FindingValue, Lint, Policy, ReviewContext, Rule, Verdict, VerdictKind};
use crate::value::name::Name;

/// How a metric is compared with its threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// `value >= threshold`
    AtLeast,
    /// `value <= threshold`
    AtMost,
    /// `value > threshold`
    Above,
    /// `value < threshold`
    Below,
}

impl Comparison {
    /// Whether `value` passes against `threshold` (false for NaN, which never enters metrics).
    ///
    /// Boundaries are decimals as written: a value within rounding of the threshold (8 units in
    /// the last place) counts as equal to it, so `0.1 + 0.2` is at most `0.3`, and is not above
    /// it.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        let scale = value.abs().max(threshold.abs());
        match self {
            Self::AtLeast => decimal::at_least(value, threshold, scale),
            Self::AtMost => decimal::at_most(value, threshold, scale),
            Self::Above => !decimal::at_most(value, threshold, scale),
            Self::Below => !decimal::at_least(value, threshold, scale),
        }
    }

    pub(crate) fn rule(self) -> &'static str {
        match self {
            Self::AtLeast => "metric_at_least",
            Self::AtMost => "metric_at_most",
            Self::Above => "metric_above",
            Self::Below => "metric_below",
        }
    }

    /// What a failing value is, e.g. "is below the minimum".
    pub(crate) fn failure(self) -> &'static str {
        match self {
            Self::AtLeast => "is below the minimum",
            Self::AtMost => "is above the maximum",
            Self::Above => "is not above",
            Self::Below => "is not below",
        }
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AtLeast => "at least",
            Self::AtMost => "at most",
            Self::Above => "above",
            Self::Below => "below",
        })
    }
}

/// A gate on one metric: at least, at most, strictly above or strictly below a threshold.
///
/// Fails closed: a missing metric rejects, with a finding that names it. Serializes as
/// `{"metric": "accuracy", "op": "at_least", "threshold": 0.9}`; a non-finite threshold is
/// refused when read.
///
/// ```
/// use modelgate::{MetricGate, Policy, PolicyExt};
/// let gate = MetricGate::at_least("accuracy", 0.90);
/// assert_eq!(gate.name(), "accuracy at least 0.9");
/// // Metrics known to lie in [0, 1] are checked for thresholds nothing can meet:
/// assert_eq!(MetricGate::above("accuracy", 1.0).lints()[0].message(),
///     "can never pass: `accuracy` is at most 1");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricGate {
    metric: Name,
    op: Comparison,
    #[serde(deserialize_with = "finite")]
    threshold: f64,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "finite_range"
    )]
    range: Option<(f64, f64)>,
}

fn finite_range<'de, D: Deserializer<'de>>(d: D) -> Result<Option<(f64, f64)>, D::Error> {
    let range = Option::<(f64, f64)>::deserialize(d)?;
    match range {
        Some((min, max)) if !(min.is_finite() && max.is_finite()) => Err(serde::de::Error::custom(
            format!("range [{min}, {max}] is not two finite numbers"),
        )),
        Some((min, max)) if min > max => Err(serde::de::Error::custom(format!(
            "range [{min}, {max}] is empty: its minimum is above its maximum"
        ))),
        other => Ok(other),
    }
}

fn finite<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let x = f64::deserialize(d)?;
    if x.is_finite() {
        Ok(x)
    } else {
        Err(serde::de::Error::custom(format!(
            "threshold {x} is not a finite number"
        )))
    }
}

/// Metrics whose values are known to lie in `[0, 1]`.
const UNIT_METRICS: [&str; 8] = [
    "accuracy",
    "precision",
    "recall",
    "f1",
    "auc",
    "roc_auc",
    "pr_auc",
    "balanced_accuracy",
];

impl MetricGate {
    /// A gate on `metric` with comparison `op` against `threshold`.
    pub fn new(metric: impl AsRef<str>, op: Comparison, threshold: f64) -> Self {
        Self {
            metric: Name::new(metric.as_ref()),
            op,
            threshold,
            range: None,
        }
    }

    /// Passes when `metric` is at least `min`.
    pub fn at_least(metric: impl AsRef<str>, min: f64) -> Self {
        Self::new(metric, Comparison::AtLeast, min)
    }

    /// Passes when `metric` is at most `max`.
    pub fn at_most(metric: impl AsRef<str>, max: f64) -> Self {
        Self::new(metric, Comparison::AtMost, max)
    }

    /// Passes when `metric` is strictly above `threshold`.
    pub fn above(metric: impl AsRef<str>, threshold: f64) -> Self {
        Self::new(metric, Comparison::Above, threshold)
    }

    /// Passes when `metric` is strictly below `threshold`.
    pub fn below(metric: impl AsRef<str>, threshold: f64) -> Self {
        Self::new(metric, Comparison::Below, threshold)
    }

    /// The same gate, declaring that the metric's values lie in `[min, max]` so that
    /// [`lints`](crate::PolicyExt::lints) can report a threshold nothing can meet. Metrics named
    /// accuracy, precision, recall, f1, auc, roc_auc, pr_auc and balanced_accuracy are known to
    /// lie in `[0, 1]` without this.
    #[must_use]
    pub fn within(mut self, min: f64, max: f64) -> Self {
        self.range = Some((min, max));
        self
    }

    /// The metric's name.
    pub fn metric(&self) -> &str {
        self.metric.as_str()
    }

    /// The comparison.
    pub fn comparison(&self) -> Comparison {
        self.op
    }

    /// The threshold.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The range of values the metric can take, as given by [`within`](Self::within) (`None`
    /// if none was given; the lints assume `[0, 1]` for the common ratio metrics).
    pub fn given_range(&self) -> Option<(f64, f64)> {
        self.range
    }

    fn range(&self) -> Option<(f64, f64)> {
        self.range.or_else(|| {
            UNIT_METRICS
                .contains(&self.metric.as_str())
                .then_some((0.0, 1.0))
        })
    }
}

impl MetricGate {
    /// The verdict on `value` (the metric as found, or missing): fails closed.
    pub(crate) fn kind_for(&self, value: Option<f64>) -> VerdictKind {
        match value {
            Some(v) if self.op.holds(v, self.threshold) => VerdictKind::Approve,
            _ => VerdictKind::Reject,
        }
    }

    /// The explained verdict on `value`, its message naming the metric as `shown`.
    pub(crate) fn verdict_for(
        &self,
        value: Option<f64>,
        rule: &'static str,
        shown: Name,
    ) -> Verdict {
        let (op, t) = (self.op, self.threshold);
        let kind = self.kind_for(value);
        let message = Message::Gate {
            metric: shown,
            value,
            op,
            threshold: t,
            passed: kind == VerdictKind::Approve,
        };
        let finding = Finding::built(kind, rule, self.metric.clone(), message)
            .with_observed(value.map_or(FindingValue::Missing, FindingValue::Number))
            .with_required(FindingValue::Number(t));
        Verdict::new(kind, vec![finding])
    }

    pub(crate) fn metric_name(&self) -> &Name {
        &self.metric
    }
}

impl Policy for MetricGate {
    fn rule(&self) -> Option<Rule> {
        Some(Rule::from(self.clone()))
    }

    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        let value = ctx.metric_named(&self.metric);
        self.verdict_for(value, self.op.rule(), self.metric.clone())
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        self.kind_for(ctx.metric_named(&self.metric))
    }

    fn name(&self) -> String {
        format!(
            "{} {} {}",
            token(self.metric.as_str()),
            self.op,
            self.threshold
        )
    }

    fn lint(&self, lints: &mut Vec<Lint>) {
        let (metric, t) = (&self.metric, self.threshold);
        if !t.is_finite() {
            lints.push(Lint::new(
                self.name(),
                format!("threshold {t} is not a finite number"),
            ));
            return;
        }
        let Some((min, max)) = self.range() else {
            return;
        };
        let never = match self.op {
            Comparison::AtLeast => t > max,
            Comparison::Above => t >= max,
            Comparison::AtMost => t < min,
            Comparison::Below => t <= min,
        };
        if never {
            let bound = match self.op {
                Comparison::AtLeast | Comparison::Above => format!("at most {max}"),
                Comparison::AtMost | Comparison::Below => format!("at least {min}"),
            };
            lints.push(Lint::new(
                self.name(),
                format!("can never pass: `{metric}` is {bound}"),
            ));
        }
    }
}
