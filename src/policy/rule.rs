//! A policy as data: [`Rule`], one value for every built-in rule and combinator.
//!
//! Every built-in policy answers [`Policy::rule`] with its `Rule`, so a policy built in code can
//! be written as a spec (`Rule`'s serde form) and read back, and two policies with the same rule
//! have the same [fingerprint](Rule::fingerprint) and decide the same way.

use super::{
    All, Any, Automatic, DistinctRoles, Excluding, Fresh, Lint, MetricGate, NoRegression, Not,
    OnlineMetric, Policy, Quorum, RequiredRole, ReviewContext, Soak, Verdict, VerdictKind, Veto,
    When,
};

/// A policy as data: a built-in rule, or a combinator over rules.
///
/// It is a [`Policy`] (it decides as the rule it holds) and the answer of [`Policy::rule`] for
/// every built-in. Its serde form is what a pipeline spec writes under `policy:` (see
/// [`Pipeline`](crate::Pipeline)): one key naming the rule, e.g.
///
/// ```
/// use modelgate::{MetricGate, Policy, PolicyExt, Quorum, RequiredRole};
/// use modelgate::policy::Rule;
/// let in_code = (
///     Quorum::new(2).eligible_roles(["model_validator", "risk_officer"]),
///     RequiredRole::new("risk_officer"),
///     MetricGate::at_least("accuracy", 0.90),
/// );
/// let rule = in_code.rule().expect("built-in rules are data");
/// let written = serde_json::to_string(&rule)?;
/// assert_eq!(written, r#"{"all":[{"quorum":{"required":2,"roles":["model_validator","risk_officer"]}},{"required_role":"risk_officer"},{"gate":{"metric":"accuracy","at_least":0.9}}]}"#);
/// let read: Rule = serde_json::from_str(&written)?;
/// assert_eq!(read.fingerprint(), in_code.fingerprint());
/// assert_eq!(read.name(), in_code.name());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Rule {
    /// All of the rules ([`all`](super::all)).
    All(All<Vec<Rule>>),
    /// Any of the rules ([`any`](super::any)).
    Any(Any<Vec<Rule>>),
    /// The rule with approve and reject swapped ([`not`](super::not)).
    Not(Box<Not<Rule>>),
    /// A metric gate.
    Gate(MetricGate),
    /// A quorum of approvals.
    Quorum(Quorum),
    /// An approval from a role.
    RequiredRole(RequiredRole),
    /// Approvals from different roles, one person for one role (separation of duties).
    DistinctRoles(DistinctRoles),
    /// A rule not counting the votes of some roles' holders (separation of duties).
    Excluding(Box<Excluding<Rule>>),
    /// A veto.
    Veto(Veto),
    /// A rule counting only recent votes.
    Fresh(Box<Fresh<Rule>>),
    /// No regression against the champion.
    NoRegression(NoRegression),
    /// A soak in the previous environment.
    Soak(Soak),
    /// A metric observed online in the previous environment.
    Online(OnlineMetric),
    /// `when(condition).then(a).otherwise(b)`.
    When(Box<When<Rule, Rule, Rule>>),
    /// `when(condition).approve_automatically().otherwise(b)`.
    AutoApprove(Box<When<Rule, Automatic, Rule>>),
}

/// Calls `$body` with `$p` bound to the policy the rule holds.
macro_rules! each_rule {
    ($rule:expr, $p:ident => $body:expr) => {
        match $rule {
            Rule::All($p) => $body,
            Rule::Any($p) => $body,
            Rule::Not($p) => $body,
            Rule::Gate($p) => $body,
            Rule::Quorum($p) => $body,
            Rule::RequiredRole($p) => $body,
            Rule::DistinctRoles($p) => $body,
            Rule::Excluding($p) => $body,
            Rule::Veto($p) => $body,
            Rule::Fresh($p) => $body,
            Rule::NoRegression($p) => $body,
            Rule::Soak($p) => $body,
            Rule::Online($p) => $body,
            Rule::When($p) => $body,
            Rule::AutoApprove($p) => $body,
        }
    };
}

impl Policy for Rule {
    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        each_rule!(self, p => p.evaluate(ctx))
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        each_rule!(self, p => p.judge(ctx))
    }

    fn name(&self) -> String {
        each_rule!(self, p => p.name())
    }

    fn lint(&self, lints: &mut Vec<Lint>) {
        each_rule!(self, p => p.lint(lints))
    }

    fn rule(&self) -> Option<Rule> {
        Some(self.clone())
    }
}

macro_rules! from_policy {
    ($($variant:ident($t:ty)),* $(,)?) => {$(
        impl From<$t> for Rule {
            fn from(p: $t) -> Self {
                Rule::$variant(p.into())
            }
        }
    )*};
}

from_policy!(
    All(All<Vec<Rule>>),
    Any(Any<Vec<Rule>>),
    Not(Not<Rule>),
    Gate(MetricGate),
    Quorum(Quorum),
    RequiredRole(RequiredRole),
    DistinctRoles(DistinctRoles),
    Excluding(Excluding<Rule>),
    Veto(Veto),
    Fresh(Fresh<Rule>),
    NoRegression(NoRegression),
    Soak(Soak),
    Online(OnlineMetric),
    When(When<Rule, Rule, Rule>),
    AutoApprove(When<Rule, Automatic, Rule>),
);
