//! The [`Policy`] trait, its blanket implementations, combinators and the built-in rules.

mod approvers;
mod borrowed;
mod champion;
mod combinators;
mod conditional;
mod context;
mod decimal;
mod duties;
pub(crate) mod fingerprint;
mod fingerprinted;
mod lint;
mod message;
mod metric;
mod promotion;
mod rule;
mod rule_form;
#[cfg(feature = "signed-votes")]
mod signed_votes;
mod token;
mod verdict;
mod versions;

use std::rc::Rc;
use std::sync::Arc;

use crate::value::Timestamp;
use crate::value::hash::Fingerprint;

pub use approvers::{Fresh, Quorum, RequiredRole, Veto};
pub use borrowed::{ContextError, Subject};
pub use champion::{Direction, NoRegression, Tolerance};
pub use combinators::{All, Any, FnPolicy, Not, Policies, all, any, from_fn, not};
pub use conditional::{Automatic, Unset, When, when};
pub use context::ReviewContext;
pub(crate) use context::Scope;
pub use duties::{DistinctRoles, Excluding};
pub use fingerprint::Structure;
pub use fingerprinted::Fingerprinted;
pub use lint::Lint;
pub use metric::{Comparison, MetricGate};
pub use promotion::{OnlineMetric, Soak};
pub use rule::Rule;
#[cfg(feature = "signed-votes")]
pub use signed_votes::SignedVotes;
pub use verdict::{Finding, FindingValue, Verdict, VerdictKind};
pub use versions::Versions;

/// Decides whether a submitted model may go on: pure, deterministic, no I/O.
///
/// A policy looks only at the [`ReviewContext`] (time included, as the host gave it) and
/// explains its [`Verdict`] with findings. Votes are evidence; the policy decides.
///
/// Two ways to ask: [`evaluate`](Self::evaluate) gives the verdict with its findings (what
/// [`Model::decide`](crate::Model::decide) records); [`judge`](Self::judge) gives only the
/// verdict's kind and, for every built-in rule and combinator, does not allocate. A custom policy
/// need only write `evaluate`; if it writes `judge` too, the two must agree (the law checker of
/// the `proptest` feature checks that).
///
/// Policies compose by value: `&P`, `Box<P>`, `Rc<P>`, `Arc<P>` and `Box<dyn Policy>` are
/// policies; a tuple of policies is "all of them"; [`PolicyExt`] adds `and`, `or`, `not`; see
/// also [`all`], [`any`], [`not`], [`when`] and [`from_fn`]. The trait is object-safe.
///
/// ```
/// use modelgate::{MetricGate, Policy, PolicyExt, Quorum};
/// let policy = MetricGate::at_least("accuracy", 0.90).and(Quorum::new(2));
/// assert_eq!(policy.name(), "all(accuracy at least 0.9, 2 approvals)");
/// let boxed: Box<dyn Policy> = Box::new(policy);
/// # let _ = boxed;
/// ```
pub trait Policy {
    /// Evaluates the submission in `ctx`: the verdict with the findings that explain it.
    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict;

    /// The kind of verdict [`evaluate`](Self::evaluate) would give, without explaining it.
    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        self.evaluate(ctx).kind()
    }

    /// A short human-readable name, kept in the decision record. A restore decides a recorded
    /// decision again only with a policy of the same name (see
    /// [`ReplayError::OtherPolicy`](crate::trail::ReplayError::OtherPolicy)), so two different
    /// policies must not share one: the built-ins write a metric name, id or role bare when it
    /// is one plain word and quoted otherwise (`"team lead"`), so that no name can pass for a
    /// policy's structure.
    fn name(&self) -> String {
        String::from("custom policy")
    }

    /// Adds the problems this policy has on its own, before it sees any model (see
    /// [`PolicyExt::lints`]). Rules that can never be satisfied report here.
    fn lint(&self, lints: &mut Vec<Lint>) {
        let _ = lints;
    }

    /// This policy as data, if it is one: every built-in rule and combinator answers with its
    /// [`Rule`] (a combinator only when all of its parts do); a custom policy (a closure, a
    /// type of the host's) answers `None`, the default. The rule is what a spec writes and
    /// what [`PolicyExt::fingerprint`] hashes.
    fn rule(&self) -> Option<Rule> {
        None
    }

    /// The policy that decides at `now` and is recorded as the decision's (its name and
    /// fingerprint), if it is not this one: a policy that changes over time
    /// ([`Versions`]) answers with the version in force; every other policy, `None` (itself).
    fn in_force(&self, now: Timestamp) -> Option<&dyn Policy> {
        let _ = now;
        None
    }

    /// Writes this policy's canonical structure, which its
    /// [fingerprint](PolicyExt::fingerprint) hashes. The default writes its
    /// [`rule`](Self::rule), or, for a policy that is not data, a custom leaf known by its
    /// [`name`](Self::name); the combinators write their parts', so that a policy in part
    /// custom is still told apart by its structure. A host's policy leaves it alone.
    fn structure(&self, out: &mut Structure<'_>) {
        fingerprint::default_structure(self, out);
    }

    /// This policy's [fingerprint](PolicyExt::fingerprint), if it keeps one computed once
    /// ([`Fingerprinted`] does), so that recording or replaying a decision does not hash its
    /// structure again; `None`, the default, has it hashed from
    /// [`structure`](Self::structure) each time. When it answers, it must answer the
    /// structure's fingerprint (the law checker of the `proptest` feature checks that).
    fn kept_fingerprint(&self) -> Option<Fingerprint> {
        None
    }
}

macro_rules! forward_policy {
    ($($ptr:ty),*) => {$(
        impl<P: Policy + ?Sized> Policy for $ptr {
            fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
                (**self).evaluate(ctx)
            }

            fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
                (**self).judge(ctx)
            }

            fn name(&self) -> String {
                (**self).name()
            }

            fn lint(&self, lints: &mut Vec<Lint>) {
                (**self).lint(lints)
            }

            fn rule(&self) -> Option<Rule> {
                (**self).rule()
            }

            fn in_force(&self, now: Timestamp) -> Option<&dyn Policy> {
                (**self).in_force(now)
            }

            fn structure(&self, out: &mut Structure<'_>) {
                (**self).structure(out)
            }

            fn kept_fingerprint(&self) -> Option<Fingerprint> {
                (**self).kept_fingerprint()
            }
        }
    )*};
}

forward_policy!(&P, Box<P>, Rc<P>, Arc<P>);

/// Composition methods for every policy.
///
/// ```
/// use modelgate::{MetricGate, PolicyExt, Quorum, Veto};
/// let gate = MetricGate::at_least("accuracy", 0.9).and(MetricGate::at_most("latency_p99_ms", 50.0));
/// let reviewed = Quorum::new(2).and(Veto::new());
/// let policy = gate.and(reviewed);
/// assert!(policy.lints().is_empty());
/// assert_eq!(Quorum::new(3).eligible_ids(["a", "b"]).lints()[0].to_string(),
///     "`3 approvals from a or b`: needs 3 approvers but only 2 are eligible");
/// ```
pub trait PolicyExt: Policy + Sized {
    /// Both this and `other` ("all of"; the same as the tuple `(self, other)`).
    fn and<B: Policy>(self, other: B) -> (Self, B) {
        (self, other)
    }

    /// This or `other`: the higher verdict wins (the same as `any` of the two).
    fn or<B: Policy>(self, other: B) -> Any<(Self, B)> {
        Any::pair(self, other)
    }

    /// Approve and reject swapped; pending stays. Beware: `not` of a metric gate approves when
    /// the metric is missing.
    fn not(self) -> Not<Self> {
        not(self)
    }

    /// The problems this policy has before it sees any model, e.g. a quorum larger than its
    /// eligible approvers or a threshold no value of its metric can meet; and, as a whole, one
    /// that approves a submission with no votes and no metrics (`all: []`, `not: {any: []}`):
    /// it gates nothing.
    fn lints(&self) -> Vec<Lint> {
        let mut lints = Vec::new();
        self.lint(&mut lints);
        if approves_anything(self) {
            lints.push(Lint::new(
                self.name(),
                "approves a submission with no votes and no metrics: it gates nothing",
            ));
        }
        lints
    }

    /// The policy's identity: SHA-256 over the canonical structure of its [`rule`](Policy::rule)
    /// (see [`Rule::fingerprint`]), the same whether it was built in code or read from a spec.
    /// A part that is not data (a closure, a host's type) is a leaf known only by its name
    /// (tag 14 of the grammar, never a built-in's), the rest by its structure: give each custom
    /// policy a name of its own, since two closures of one name share a fingerprint.
    ///
    /// ```
    /// use modelgate::{MetricGate, PolicyExt, Quorum};
    /// let a = Quorum::new(2).eligible_roles(["risk_officer"]).and(MetricGate::at_least("auc", 0.85));
    /// let b = Quorum::new(2).eligible_roles(["risk_officer"]).and(MetricGate::at_least("auc", 0.85));
    /// assert_eq!(a.fingerprint(), b.fingerprint());
    /// assert_ne!(a.fingerprint(), Quorum::new(2).eligible_ids(["risk_officer"]).fingerprint());
    /// ```
    fn fingerprint(&self) -> Fingerprint {
        fingerprint::of(self)
    }
}

impl<P: Policy> PolicyExt for P {}

/// The fingerprint of a policy behind a reference, as [`PolicyExt::fingerprint`].
pub(crate) fn fingerprint_of<P: Policy + ?Sized>(policy: &P) -> Fingerprint {
    fingerprint::of(policy)
}

/// Whether `policy` approves a submission with no metrics and no votes, at the epoch.
fn approves_anything<P: Policy + ?Sized>(policy: &P) -> bool {
    const NOTHING: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    let Ok(outcome) = crate::value::TrainingOutcome::new(NOTHING, crate::value::Metrics::default())
    else {
        return false;
    };
    let votes = crate::value::CountedVotes::default();
    let ctx = ReviewContext::new(&outcome, &votes, "", 1, Timestamp::from_unix_secs(0));
    policy.judge(&ctx) == VerdictKind::Approve
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Object-safety guard: this stops compiling if `Policy` loses object safety.
    #[test]
    fn policy_is_object_safe() {
        let policies: Vec<Box<dyn Policy>> = vec![
            Box::new(Quorum::new(1)),
            Box::new(()),
            Box::new(Veto::new()),
        ];
        assert_eq!(all(policies).name(), "all(1 approval, all(), no veto)");
    }
}
