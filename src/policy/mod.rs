//! The [`Policy`] trait, its blanket implementations, and the built-in rules.

mod context;
mod metric;
mod quorum;
mod verdict;

use std::rc::Rc;
use std::sync::Arc;

pub use context::ReviewContext;
pub use metric::MetricGate;
pub use quorum::Quorum;
pub use verdict::{Finding, Value, Verdict, VerdictKind};

/// Decides whether a submitted model may go on: pure, deterministic, no I/O.
///
/// A policy looks only at the [`ReviewContext`] (time included, as the host gave it) and
/// explains its [`Verdict`] with findings. Votes are evidence; the policy decides.
///
/// Policies compose by value: `&P`, `Box<P>`, `Rc<P>`, `Arc<P>` and `Box<dyn Policy>` are
/// policies, and a tuple of policies is the policy "all of them" (the lowest verdict wins).
/// The trait is object-safe.
///
/// ```
/// use modelgate::{MetricGate, Policy, Quorum};
/// let policy = (MetricGate::at_least("accuracy", 0.90), Quorum::new(2));
/// assert_eq!(policy.name(), "accuracy at least 0.9 and 2 approvals");
/// let boxed: Box<dyn Policy> = Box::new(policy);
/// # let _ = boxed;
/// ```
pub trait Policy {
    /// Evaluates the submission in `ctx`.
    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict;

    /// A short human-readable name, kept in the decision record.
    fn name(&self) -> String {
        String::from("custom policy")
    }
}

macro_rules! forward_policy {
    ($($ptr:ty),*) => {$(
        impl<P: Policy + ?Sized> Policy for $ptr {
            fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
                (**self).evaluate(ctx)
            }

            fn name(&self) -> String {
                (**self).name()
            }
        }
    )*};
}

forward_policy!(&P, Box<P>, Rc<P>, Arc<P>);

macro_rules! all_of_tuple {
    ($($p:ident),+) => {
        /// All of the policies: the lowest verdict wins (deny overrides).
        impl<$($p: Policy),+> Policy for ($($p,)+) {
            #[allow(non_snake_case)]
            fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
                let ($($p,)+) = self;
                Verdict::all([$($p.evaluate(ctx)),+])
            }

            #[allow(non_snake_case)]
            fn name(&self) -> String {
                let ($($p,)+) = self;
                [$($p.name()),+].join(" and ")
            }
        }
    };
}

all_of_tuple!(A);
all_of_tuple!(A, B);
all_of_tuple!(A, B, C);
all_of_tuple!(A, B, C, D);
all_of_tuple!(A, B, C, D, E);
all_of_tuple!(A, B, C, D, E, F);
all_of_tuple!(A, B, C, D, E, F, G);
all_of_tuple!(A, B, C, D, E, F, G, H);

/// The empty tuple approves: "all of nothing" holds.
impl Policy for () {
    fn evaluate(&self, _ctx: &ReviewContext<'_>) -> Verdict {
        Verdict::new(
            VerdictKind::Approve,
            vec![Finding::new(
                VerdictKind::Approve,
                "all",
                "rules",
                "no rules to satisfy",
            )],
        )
    }

    fn name(&self) -> String {
        String::from("no rules")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Object-safety guard: this stops compiling if `Policy` loses object safety.
    #[test]
    fn policy_is_object_safe() {
        let policies: Vec<Box<dyn Policy>> = vec![Box::new(Quorum::new(1)), Box::new(())];
        assert_eq!(policies.len(), 2);
    }
}
