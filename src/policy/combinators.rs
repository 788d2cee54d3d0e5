//! Combinators: all of, any of, not, or; tuples; closures.

use super::fingerprint::{self, Structure};
use super::{Finding, Lint, Policy, ReviewContext, Rule, Verdict, VerdictKind};

/// All of the policies: the lowest verdict wins (deny overrides); `all([])` approves.
///
/// Built by [`all`] over a list (`All<Vec<P>>`); a tuple of policies is the same for policies of
/// different types.
#[derive(Clone, Debug, PartialEq)]
pub struct All<S>(S);

/// Any of the policies: the highest verdict wins; `any([])` rejects. Built by [`any`] over a list
/// (`Any<Vec<P>>`) or by [`PolicyExt::or`](crate::PolicyExt::or) over two (`Any<(A, B)>`).
#[derive(Clone, Debug, PartialEq)]
pub struct Any<S>(S);

/// The policy with approve and reject swapped; pending stays. Built by [`not`].
#[derive(Clone, Debug, PartialEq)]
pub struct Not<P>(P);

/// A list of policies that [`All`] and [`Any`] combine: a `Vec` of one type, or a pair of two.
pub trait Policies {
    /// Calls `f` on each policy in order, until it returns `false`.
    fn each(&self, f: &mut dyn FnMut(&dyn Policy) -> bool);
}

impl<P: Policy> Policies for Vec<P> {
    fn each(&self, f: &mut dyn FnMut(&dyn Policy) -> bool) {
        for p in self {
            if !f(p) {
                return;
            }
        }
    }
}

impl<A: Policy, B: Policy> Policies for (A, B) {
    fn each(&self, f: &mut dyn FnMut(&dyn Policy) -> bool) {
        let _ = f(&self.0) && f(&self.1);
    }
}

impl<S> All<S> {
    /// The policies, all of which must approve.
    pub fn parts(&self) -> &S {
        &self.0
    }
}

impl<S> Any<S> {
    /// The policies, one of which must approve.
    pub fn parts(&self) -> &S {
        &self.0
    }
}

impl<P> Not<P> {
    /// The policy whose verdict is swapped.
    pub fn inner(&self) -> &P {
        &self.0
    }
}

impl<A, B> Any<(A, B)> {
    pub(crate) fn pair(a: A, b: B) -> Self {
        Self((a, b))
    }
}

/// All of `policies`: the lowest verdict wins; the findings of the parts that gave it are kept.
pub fn all<P: Policy>(policies: impl IntoIterator<Item = P>) -> All<Vec<P>> {
    All(policies.into_iter().collect())
}

/// Any of `policies`: the highest verdict wins; the findings of the parts that gave it are kept.
pub fn any<P: Policy>(policies: impl IntoIterator<Item = P>) -> Any<Vec<P>> {
    Any(policies.into_iter().collect())
}

/// `policy` with approve and reject swapped; pending stays; the findings are kept.
pub fn not<P: Policy>(policy: P) -> Not<P> {
    Not(policy)
}

fn names(set: &dyn Policies) -> String {
    let mut out = Vec::new();
    set.each(&mut |p| {
        out.push(p.name());
        true
    });
    out.join(", ")
}

fn verdicts(set: &dyn Policies, ctx: &ReviewContext<'_>) -> Vec<Verdict> {
    let mut out = Vec::new();
    set.each(&mut |p| {
        out.push(p.evaluate(ctx));
        true
    });
    out
}

fn lint_all(set: &dyn Policies, lints: &mut Vec<Lint>) {
    set.each(&mut |p| {
        p.lint(lints);
        true
    });
}

/// The structure of `all` (tag 1) or `any` (tag 2) of the set: the tag, then the list of its
/// parts' structures.
fn structure_of(set: &dyn Policies, tag: u8, out: &mut Structure<'_>) {
    let mut n = 0usize;
    set.each(&mut |_| {
        n += 1;
        true
    });
    fingerprint::list_head(out, tag, n);
    set.each(&mut |p| {
        p.structure(out);
        true
    });
}

/// The rules of the set, if every part is one.
fn rules(set: &dyn Policies) -> Option<Vec<Rule>> {
    let mut out = Some(Vec::new());
    set.each(&mut |p| match (p.rule(), out.as_mut()) {
        (Some(rule), Some(rules)) => {
            rules.push(rule);
            true
        }
        _ => {
            out = None;
            false
        }
    });
    out
}

fn is_empty(set: &dyn Policies) -> bool {
    let mut empty = true;
    set.each(&mut |_| {
        empty = false;
        false
    });
    empty
}

impl<S: Policies> Policy for All<S> {
    fn rule(&self) -> Option<Rule> {
        rules(&self.0).map(|r| Rule::from(all(r)))
    }

    fn structure(&self, out: &mut Structure<'_>) {
        structure_of(&self.0, 1, out);
    }

    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        Verdict::all(verdicts(&self.0, ctx))
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        let mut low = VerdictKind::Approve;
        self.0.each(&mut |p| {
            low = low.min(p.judge(ctx));
            low != VerdictKind::Reject
        });
        low
    }

    fn name(&self) -> String {
        format!("all({})", names(&self.0))
    }

    fn lint(&self, lints: &mut Vec<Lint>) {
        lint_all(&self.0, lints);
    }
}

impl<S: Policies> Policy for Any<S> {
    fn rule(&self) -> Option<Rule> {
        rules(&self.0).map(|r| Rule::from(any(r)))
    }

    fn structure(&self, out: &mut Structure<'_>) {
        structure_of(&self.0, 2, out);
    }

    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        Verdict::any(verdicts(&self.0, ctx))
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        let mut high = VerdictKind::Reject;
        self.0.each(&mut |p| {
            high = high.max(p.judge(ctx));
            high != VerdictKind::Approve
        });
        high
    }

    fn name(&self) -> String {
        format!("any({})", names(&self.0))
    }

    fn lint(&self, lints: &mut Vec<Lint>) {
        if is_empty(&self.0) {
            lints.push(Lint::new(
                self.name(),
                "rejects everything: it has no alternatives",
            ));
        }
        lint_all(&self.0, lints);
    }
}

impl<P: Policy> Policy for Not<P> {
    fn rule(&self) -> Option<Rule> {
        self.0.rule().map(|r| Rule::from(not(r)))
    }

    fn structure(&self, out: &mut Structure<'_>) {
        fingerprint::combinator(out, 3, &[&self.0], false);
    }

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
                let parts: &[&dyn Policy] = &[$($p),*];
                let names: Vec<String> = parts.iter().map(|p| p.name()).collect();
                format!("all({})", names.join(", "))
            }

            #[allow(non_snake_case, unused_variables)]
            fn lint(&self, lints: &mut Vec<Lint>) {
                let ($($p,)*) = self;
                $($p.lint(lints);)*
            }

            #[allow(non_snake_case)]
            fn structure(&self, out: &mut Structure<'_>) {
                let ($($p,)*) = self;
                let parts: &[&dyn Policy] = &[$($p),*];
                fingerprint::combinator(out, 1, parts, true);
            }

            #[allow(non_snake_case)]
            fn rule(&self) -> Option<Rule> {
                let ($($p,)*) = self;
                let parts: &[&dyn Policy] = &[$($p),*];
                parts.iter().map(|p| p.rule()).collect::<Option<Vec<_>>>().map(|r| Rule::from(all(r)))
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
