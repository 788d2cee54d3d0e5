//! Champion comparison: no regression against the model in production.

use serde::{Deserialize, Serialize};

use super::decimal;
use super::message::Message;
use super::token::token;
use super::{Finding, FindingValue, Lint, Policy, ReviewContext, Rule, Verdict, VerdictKind};
use crate::value::name::Name;

/// Which way a metric improves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Higher values are better (accuracy, recall …).
    HigherIsBetter,
    /// Lower values are better (latency, loss …).
    LowerIsBetter,
}

/// How much worse than the champion a candidate may be. Read from a config, it must be a
/// finite number, zero or more.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "ToleranceForm")]
pub enum Tolerance {
    /// At most this much worse, in the metric's unit.
    Absolute(f64),
    /// At most this fraction of the champion's value worse (0.01 is 1 %).
    Relative(f64),
}

/// The stored form of [`Tolerance`], checked when read.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ToleranceForm {
    Absolute(f64),
    Relative(f64),
}

impl TryFrom<ToleranceForm> for Tolerance {
    type Error = String;

    fn try_from(form: ToleranceForm) -> Result<Self, String> {
        let (tolerance, t) = match form {
            ToleranceForm::Absolute(t) => (Tolerance::Absolute(t), t),
            ToleranceForm::Relative(t) => (Tolerance::Relative(t), t),
        };
        if t.is_finite() && t >= 0.0 {
            Ok(tolerance)
        } else {
            Err(format!(
                "tolerance {t} must be a finite number, zero or more"
            ))
        }
    }
}

/// The candidate's metric is no worse than the champion's, within a tolerance.
///
/// With `HigherIsBetter` it passes when `candidate >= champion - slack`; with `LowerIsBetter`
/// when `candidate <= champion + slack`; `slack` is the absolute tolerance, or the relative one
/// times `|champion|`. The boundary is inclusive as written in decimals: candidate 0.7 against
/// champion 0.8 with tolerance 0.1 passes, though `0.8 - 0.1` is `0.7000000000000001` in `f64`
/// (numbers within 8 units in the last place of the largest of them count as equal). A missing candidate metric rejects. Without champion metrics in the
/// context (or without this metric in them) it passes, with a finding that says so.
///
/// ```
/// use modelgate::{NoRegression, Policy};
/// let rule = NoRegression::higher_is_better("accuracy").absolute(0.005);
/// assert_eq!(rule.name(), "accuracy no worse than the champion's by more than 0.005");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoRegression {
    metric: Name,
    direction: Direction,
    tolerance: Tolerance,
}

impl NoRegression {
    /// No regression on `metric`, where higher is better; no tolerance until one is set.
    pub fn higher_is_better(metric: impl AsRef<str>) -> Self {
        Self {
            metric: Name::new(metric.as_ref()),
            direction: Direction::HigherIsBetter,
            tolerance: Tolerance::Absolute(0.0),
        }
    }

    /// No regression on `metric`, where lower is better; no tolerance until one is set.
    pub fn lower_is_better(metric: impl AsRef<str>) -> Self {
        Self {
            metric: Name::new(metric.as_ref()),
            direction: Direction::LowerIsBetter,
            tolerance: Tolerance::Absolute(0.0),
        }
    }

    /// The same rule, allowing the candidate to be up to `slack` worse (in the metric's unit).
    #[must_use]
    pub fn absolute(mut self, slack: f64) -> Self {
        self.tolerance = Tolerance::Absolute(slack);
        self
    }

    /// The same rule, allowing the candidate to be up to `fraction` of the champion's value worse.
    #[must_use]
    pub fn relative(mut self, fraction: f64) -> Self {
        self.tolerance = Tolerance::Relative(fraction);
        self
    }

    /// The metric compared.
    pub fn metric(&self) -> &str {
        self.metric.as_str()
    }

    /// Which way is better.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// How much worse than the champion the candidate may be.
    pub fn tolerance(&self) -> Tolerance {
        self.tolerance
    }

    /// The worst acceptable candidate value against `champion`.
    fn bound(&self, champion: f64) -> f64 {
        let slack = match self.tolerance {
            Tolerance::Absolute(s) => s,
            Tolerance::Relative(r) => champion.abs() * r,
        };
        match self.direction {
            Direction::HigherIsBetter => champion - slack,
            Direction::LowerIsBetter => champion + slack,
        }
    }

    fn passes(&self, value: f64, champion: f64) -> bool {
        let bound = self.bound(champion);
        let scale = value
            .abs()
            .max(champion.abs())
            .max((champion - bound).abs());
        match self.direction {
            Direction::HigherIsBetter => decimal::at_least(value, bound, scale),
            Direction::LowerIsBetter => decimal::at_most(value, bound, scale),
        }
    }

    fn observe(&self, ctx: &ReviewContext<'_>) -> (VerdictKind, Option<f64>, Option<f64>) {
        let value = ctx.metric_named(&self.metric);
        let champion = ctx.champion_named(&self.metric);
        let kind = match (value, champion) {
            (None, _) => VerdictKind::Reject,
            (Some(_), None) => VerdictKind::Approve,
            (Some(v), Some(c)) if self.passes(v, c) => VerdictKind::Approve,
            (Some(_), Some(_)) => VerdictKind::Reject,
        };
        (kind, value, champion)
    }
}

impl Policy for NoRegression {
    fn rule(&self) -> Option<Rule> {
        Some(Rule::from(self.clone()))
    }

    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        let (kind, value, champion) = self.observe(ctx);
        let limit = champion.map(|c| decimal::shown(self.bound(c)));
        let message = Message::Regression {
            metric: self.metric.clone(),
            value,
            champion,
            limit: limit.unwrap_or_default(),
            passed: kind == VerdictKind::Approve,
        };
        let required = limit.map_or(FindingValue::Missing, FindingValue::Number);
        let finding = Finding::built(kind, "no_regression", self.metric.clone(), message)
            .with_observed(value.map_or(FindingValue::Missing, FindingValue::Number))
            .with_required(required);
        Verdict::new(kind, vec![finding])
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        self.observe(ctx).0
    }

    fn name(&self) -> String {
        let by = match self.tolerance {
            Tolerance::Absolute(s) => format!("{s}"),
            Tolerance::Relative(r) => format!("{}%", r * 100.0),
        };
        format!(
            "{} no worse than the champion's by more than {by}",
            token(self.metric.as_str())
        )
    }

    fn lint(&self, lints: &mut Vec<Lint>) {
        let t = match self.tolerance {
            Tolerance::Absolute(t) | Tolerance::Relative(t) => t,
        };
        if !t.is_finite() || t < 0.0 {
            lints.push(Lint::new(
                self.name(),
                format!("tolerance {t} must be a finite number, zero or more"),
            ));
        }
    }
}
