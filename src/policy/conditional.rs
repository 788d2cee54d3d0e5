//! Conditional policies: `when(condition).then(a).otherwise(b)`, and automatic approval.

use super::{Lint, Policy, ReviewContext, Verdict, VerdictKind};

/// The first step of [`when`]: a condition waiting for its branches.
#[derive(Clone, Debug, PartialEq)]
pub struct When<C>(C);

/// The second step of [`when`]: a condition and its `then` branch, waiting for `otherwise`.
#[derive(Clone, Debug, PartialEq)]
pub struct WhenThen<C, A>(C, A);

/// `then` when the condition approves, else `otherwise`. Built by [`when`].
///
/// The condition's findings are kept beside the branch's, so the verdict says which branch was
/// taken and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Conditional<C, A, B> {
    condition: C,
    then: A,
    otherwise: B,
}

/// Approves automatically when the condition approves, else defers to `otherwise` (typically
/// manual approval). The decision record names the condition as the automatic rule.
#[derive(Clone, Debug, PartialEq)]
pub struct AutoApprove<C, B> {
    condition: C,
    otherwise: B,
}

/// A policy that depends on a condition, itself a policy that holds when it approves.
///
/// ```
/// use modelgate::{MetricGate, Policy, Quorum, when};
/// // The seed's rule: accuracy above 0.90 approves automatically, else manual approval.
/// let policy = when(MetricGate::above("accuracy", 0.90))
///     .approve_automatically()
///     .otherwise(Quorum::new(1));
/// assert_eq!(policy.name(), "when accuracy above 0.9 approve automatically, otherwise 1 approval");
/// ```
pub fn when<C: Policy>(condition: C) -> When<C> {
    When(condition)
}

impl<C: Policy> When<C> {
    /// The policy to apply when the condition holds.
    pub fn then<A: Policy>(self, then: A) -> WhenThen<C, A> {
        WhenThen(self.0, then)
    }

    /// Approve automatically when the condition holds.
    pub fn approve_automatically(self) -> WhenThen<C, Automatic> {
        WhenThen(self.0, Automatic(()))
    }
}

/// The `then` branch of [`When::approve_automatically`]; not a policy on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Automatic(());

impl<C: Policy, A: Policy> WhenThen<C, A> {
    /// The policy to apply when the condition does not hold.
    pub fn otherwise<B: Policy>(self, otherwise: B) -> Conditional<C, A, B> {
        Conditional {
            condition: self.0,
            then: self.1,
            otherwise,
        }
    }
}

impl<C: Policy> WhenThen<C, Automatic> {
    /// The policy to apply when the condition does not hold.
    pub fn otherwise<B: Policy>(self, otherwise: B) -> AutoApprove<C, B> {
        AutoApprove {
            condition: self.0,
            otherwise,
        }
    }
}

impl<C: Policy, A: Policy, B: Policy> Policy for Conditional<C, A, B> {
    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        let condition = self.condition.evaluate(ctx);
        let branch = if condition.is_approved() {
            &self.then as &dyn Policy
        } else {
            &self.otherwise
        };
        branch
            .evaluate(ctx)
            .with_findings(condition.findings().iter().cloned())
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        if self.condition.judge(ctx) == VerdictKind::Approve {
            self.then.judge(ctx)
        } else {
            self.otherwise.judge(ctx)
        }
    }

    fn name(&self) -> String {
        let (c, a, b) = (
            self.condition.name(),
            self.then.name(),
            self.otherwise.name(),
        );
        format!("when {c} then {a}, otherwise {b}")
    }

    fn lint(&self, lints: &mut Vec<Lint>) {
        self.condition.lint(lints);
        self.then.lint(lints);
        self.otherwise.lint(lints);
    }
}

impl<C: Policy, B: Policy> Policy for AutoApprove<C, B> {
    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        let condition = self.condition.evaluate(ctx);
        if condition.is_approved() {
            return Verdict::automatic(self.condition.name(), condition.findings().to_vec());
        }
        self.otherwise
            .evaluate(ctx)
            .with_findings(condition.findings().iter().cloned())
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        match self.condition.judge(ctx) {
            VerdictKind::Approve => VerdictKind::Approve,
            _ => self.otherwise.judge(ctx),
        }
    }

    fn name(&self) -> String {
        let (c, b) = (self.condition.name(), self.otherwise.name());
        format!("when {c} approve automatically, otherwise {b}")
    }

    fn lint(&self, lints: &mut Vec<Lint>) {
        self.condition.lint(lints);
        self.otherwise.lint(lints);
    }
}
