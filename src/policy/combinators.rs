//! Combinators: all of, any of, not, or; tuples; closures.

use super::{Finding, Lint, Policy, ReviewContext, Verdict, VerdictKind};

/// All of the policies: the lowest verdict wins (deny overrides); `all([])` approves.
///
/// Built by [`all`]; a tuple of policies is the same for policies of different types.
#[derive(Clone, Debug, PartialEq)]
pub struct All<P>(Vec<P>);

/// Any of the policies: the highest verdict wins; `any([])` rejects. Built by [`any`].
#[derive(Clone, Debug, PartialEq)]
pub struct Any<P>(Vec<P>);

/// The policy with approve and reject swapped; pending stays. Built by [`not`].
#[derive(Clone, Debug, PartialEq)]
pub struct Not<P>(P);

/// Either of two policies: the higher verdict wins. Built by [`PolicyExt::or`](crate::PolicyExt::or).
#[derive(Clone, Debug, PartialEq)]
pub struct Or<A, B>(A, B);

impl<A, B> Or<A, B> {
    pub(crate) fn new(a: A, b: B) -> Self {
        Self(a, b)
    }
}

/// All of `policies`: the lowest verdict wins; the findings of the parts that gave it are kept.
pub fn all<P: Policy>(policies: impl IntoIterator<Item = P>) -> All<P> {
    All(policies.into_iter().collect())
}

/// Any of `policies`: the highest verdict wins; the findings of the parts that gave it are kept.
pub fn any<P: Policy>(policies: impl IntoIterator<Item = P>) -> Any<P> {
    Any(policies.into_iter().collect())
}

/// `policy` with approve and reject swapped; pending stays; the findings are kept.
pub fn not<P: Policy>(policy: P) -> Not<P> {
    Not(policy)
}

fn names<'a>(parts: impl Iterator<Item = &'a dyn Policy>) -> String {
    parts.map(|p| p.name()).collect::<Vec<_>>().join(", ")
}

impl<P: Policy> Policy for All<P> {
    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        Verdict::all(self.0.iter().map(|p| p.evaluate(ctx)))
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        lowest(self.0.iter().map(|p| p.judge(ctx)))
    }

    fn name(&self) -> String {
        format!("all({})", names(self.0.iter().map(|p| p as &dyn Policy)))
    }

    fn lint(&self, lints: &mut Vec<Lint>) {
        self.0.iter().for_each(|p| p.lint(lints));
    }
}

impl<P: Policy> Policy for Any<P> {
    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        Verdict::any(self.0.iter().map(|p| p.evaluate(ctx)))
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        highest(self.0.iter().map(|p| p.judge(ctx)))
    }

    fn name(&self) -> String {
        format!("any({})", names(self.0.iter().map(|p| p as &dyn Policy)))
    }

    fn lint(&self, lints: &mut Vec<Lint>) {
        if self.0.is_empty() {
            lints.push(Lint::new(
                self.name(),
                "rejects everything: it has no alternatives",
            ));
        }
        self.0.iter().for_each(|p| p.lint(lints));
    }
}

impl<P: Policy> Policy for Not<P> {
    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        self.0.evaluate(ctx).negate()
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        self.0.judge(ctx).negate()
    }

    fn name(&self) -> String {
        format!("not({})", self.0.name())
    }

    fn lint(&self, lints: &mut Vec<Lint>) {
        self.0.lint(lints);
    }
}

impl<A: Policy, B: Policy> Policy for Or<A, B> {
    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        Verdict::any([self.0.evaluate(ctx), self.1.evaluate(ctx)])
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        highest(
            [&self.0 as &dyn Policy, &self.1]
                .into_iter()
                .map(|p| p.judge(ctx)),
        )
    }

    fn name(&self) -> String {
        format!(
            "any({})",
            names([&self.0 as &dyn Policy, &self.1].into_iter())
        )
    }

    fn lint(&self, lints: &mut Vec<Lint>) {
        self.0.lint(lints);
        self.1.lint(lints);
    }
}

/// The lowest kind; stops at the first reject (nothing is lower).
fn lowest(kinds: impl Iterator<Item = VerdictKind>) -> VerdictKind {
    let mut low = VerdictKind::Approve;
    for kind in kinds {
        low = low.min(kind);
        if low == VerdictKind::Reject {
            break;
        }
    }
    low
}

/// The highest kind; stops at the first approve (nothing is higher).
fn highest(kinds: impl Iterator<Item = VerdictKind>) -> VerdictKind {
    let mut high = VerdictKind::Reject;
    for kind in kinds {
        high = high.max(kind);
        if high == VerdictKind::Approve {
            break;
        }
    }
    high
}

macro_rules! all_of_tuple {
    ($($p:ident),*) => {
        /// All of the policies: the lowest verdict wins (deny overrides); `()` approves.
        impl<$($p: Policy),*> Policy for ($($p,)*) {
            #[allow(non_snake_case, unused_variables)]
            fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
                let ($($p,)*) = self;
                Verdict::all([$($p.evaluate(ctx)),*])
            }

            #[allow(non_snake_case)]
            fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
                let ($($p,)*) = self;
                let parts: &[&dyn Policy] = &[$($p),*];
                lowest(parts.iter().map(|p| p.judge(ctx)))
            }

            #[allow(non_snake_case)]
            fn name(&self) -> String {
                let ($($p,)*) = self;
                format!("all({})", names([$($p as &dyn Policy),*].into_iter()))
            }

            #[allow(non_snake_case, unused_variables)]
            fn lint(&self, lints: &mut Vec<Lint>) {
                let ($($p,)*) = self;
                $($p.lint(lints);)*
            }
        }
    };
}

all_of_tuple!();
all_of_tuple!(A);
all_of_tuple!(A, B);
all_of_tuple!(A, B, C);
all_of_tuple!(A, B, C, D);
all_of_tuple!(A, B, C, D, E);
all_of_tuple!(A, B, C, D, E, F);
all_of_tuple!(A, B, C, D, E, F, G);
all_of_tuple!(A, B, C, D, E, F, G, H);

/// A closure as a policy, with a name. Built by [`from_fn`].
#[derive(Clone)]
pub struct FnPolicy<F> {
    name: String,
    f: F,
}

impl<F> std::fmt::Debug for FnPolicy<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FnPolicy")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A closure as a policy. It must be pure and deterministic like any policy.
///
/// ```
/// use modelgate::{Finding, Verdict, VerdictKind, from_fn};
/// let first_attempt_only = from_fn("first attempt only", |ctx| {
///     let kind = if ctx.attempt() == 1 { VerdictKind::Approve } else { VerdictKind::Reject };
///     Verdict::new(kind, vec![Finding::new(kind, "first_attempt", "attempt", format!("attempt {}", ctx.attempt()))])
/// });
/// # let _ = first_attempt_only;
/// ```
pub fn from_fn<F>(name: impl Into<String>, f: F) -> FnPolicy<F>
where
    F: Fn(&ReviewContext<'_>) -> Verdict,
{
    FnPolicy {
        name: name.into(),
        f,
    }
}

impl<F> Policy for FnPolicy<F>
where
    F: Fn(&ReviewContext<'_>) -> Verdict,
{
    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        let verdict = (self.f)(ctx);
        if verdict.findings().is_empty() {
            let kind = verdict.kind();
            let finding = Finding::new(
                kind,
                "custom",
                self.name.as_str(),
                format!("{}: {kind}", self.name),
            );
            return verdict.with_findings([finding]);
        }
        verdict
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}
