//! Conditional policies: `when(condition).then(a).otherwise(b)`, and automatic approval.

use super::{Lint, Policy, ReviewContext, Rule, Verdict, VerdictKind};

/// A policy that depends on a condition (itself a policy, which holds when it approves): `then`
/// when the condition holds, else `otherwise`. Built by [`when`]; one type for every form:
///
/// - `when(c).then(a).otherwise(b)`: `When<C, A, B>`;
/// - `when(c).approve_automatically().otherwise(b)`: `When<C, Automatic, B>`, which approves
///   automatically when the condition holds, and the decision record names the condition as the
///   automatic rule.
///
/// Until both branches are given, it is not a policy (its branches are [`Unset`]).
///
/// ```
/// use modelgate::{MetricGate, Policy, Quorum, when};
/// // The seed's rule: accuracy above 0.90 approves automatically, else manual approval.
/// let policy = when(MetricGate::above("accuracy", 0.90))
///     .approve_automatically()
///     .otherwise(Quorum::new(1));
/// assert_eq!(policy.name(), "when accuracy above 0.9 approve automatically, otherwise 1 approval");
/// ```
///
/// The condition's findings are kept beside the branch's, so the verdict says which branch was
/// taken and why.
#[derive(Clone, Debug, PartialEq)]
pub struct When<C, T = Unset, O = Unset> {
    condition: C,
    then: T,
    otherwise: O,
}

/// A branch of [`When`] not given yet. Not a policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unset(());

/// The `then` branch of [`When::approve_automatically`]. Not a policy on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Automatic(());

/// A policy that depends on `condition`; give its branches with [`When::then`] or
/// [`When::approve_automatically`], then [`When::otherwise`].
pub fn when<C: Policy>(condition: C) -> When<C> {
    When {
        condition,
        then: Unset(()),
        otherwise: Unset(()),
    }
}

impl<C, T, O> When<C, T, O> {
    /// The condition.
    pub fn condition(&self) -> &C {
        &self.condition
    }

    /// The branch taken when the condition holds ([`Automatic`] for automatic approval).
    pub fn then_branch(&self) -> &T {
        &self.then
    }

    /// The branch taken when it does not.
    pub fn otherwise_branch(&self) -> &O {
        &self.otherwise
    }
}

impl<C: Policy> When<C> {
    /// The policy to apply when the condition holds.
    pub fn then<A: Policy>(self, then: A) -> When<C, A> {
        When {
            condition: self.condition,
            then,
            otherwise: Unset(()),
        }
    }

    /// Approve automatically when the condition holds.
    pub fn approve_automatically(self) -> When<C, Automatic> {
        When {
            condition: self.condition,
            then: Automatic(()),
            otherwise: Unset(()),
        }
    }
}

impl<C: Policy, A> When<C, A> {
    /// The policy to apply when the condition does not hold.
    pub fn otherwise<B: Policy>(self, otherwise: B) -> When<C, A, B> {
        When {
            condition: self.condition,
            then: self.then,
            otherwise,
        }
    }
}

impl<C: Policy, A: Policy, B: Policy> Policy for When<C, A, B> {
    fn rule(&self) -> Option<Rule> {
        let (condition, then, otherwise) = (
            self.condition.rule()?,
            self.then.rule()?,
            self.otherwise.rule()?,
        );
        Some(Rule::from(When {
            condition,
            then,
            otherwise,
        }))
    }

    fn structure(&self, out: &mut super::Structure<'_>) {
        let parts: [&dyn Policy; 3] = [&self.condition, &self.then, &self.otherwise];
        super::fingerprint::combinator(out, 12, &parts, false);
    }

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

impl<C: Policy, B: Policy> Policy for When<C, Automatic, B> {
    fn rule(&self) -> Option<Rule> {
        let (condition, otherwise) = (self.condition.rule()?, self.otherwise.rule()?);
        Some(Rule::from(When {
            condition,
            then: self.then,
            otherwise,
        }))
    }

    fn structure(&self, out: &mut super::Structure<'_>) {
        let parts: [&dyn Policy; 2] = [&self.condition, &self.otherwise];
        super::fingerprint::combinator(out, 13, &parts, false);
    }

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
