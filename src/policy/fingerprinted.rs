//! A policy with its name and fingerprint computed once, for a host that decides many times.

use super::{Lint, Policy, ReviewContext, Rule, Structure, Verdict, VerdictKind, fingerprint};
use crate::value::Timestamp;
use crate::value::hash::Fingerprint;

/// A policy with its [name](Policy::name) and [fingerprint](super::PolicyExt::fingerprint)
/// computed once, when it is wrapped: every decision records both, and a composite policy's
/// name is formatted, and its fingerprint hashed, from its whole structure. A host that
/// decides many times with one policy (a service, a store restoring trails) wraps it once; it
/// decides, is named and is fingerprinted exactly as the policy it wraps.
///
/// ```
/// use modelgate::policy::Fingerprinted;
/// use modelgate::{MetricGate, Policy, PolicyExt, Quorum};
/// let policy = MetricGate::at_least("accuracy", 0.9).and(Quorum::new(2));
/// let kept = Fingerprinted::new(policy.clone());
/// assert_eq!(kept.name(), policy.name());
/// assert_eq!(kept.fingerprint(), policy.fingerprint());
/// assert_eq!(kept.kept_fingerprint(), Some(policy.fingerprint()));
/// ```
///
/// A policy that changes over time ([`Versions`](super::Versions)) is recorded by the version
/// in force at each decision, which is not the one wrapped: wrap the versions' policies one by
/// one to keep theirs.
#[derive(Clone, Debug)]
pub struct Fingerprinted<P> {
    policy: P,
    name: String,
    fingerprint: Fingerprint,
}

impl<P: Policy> Fingerprinted<P> {
    /// `policy`, with its name and fingerprint computed now.
    pub fn new(policy: P) -> Self {
        Self {
            name: policy.name(),
            fingerprint: fingerprint::of(&policy),
            policy,
        }
    }

    /// The policy wrapped.
    pub fn get_ref(&self) -> &P {
        &self.policy
    }

    /// The policy wrapped, unwrapped.
    pub fn into_inner(self) -> P {
        self.policy
    }
}

impl<P: Policy> Policy for Fingerprinted<P> {
    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        self.policy.evaluate(ctx)
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        self.policy.judge(ctx)
    }

    fn name(&self) -> String {
        self.name.clone()
    }

    fn lint(&self, lints: &mut Vec<Lint>) {
        self.policy.lint(lints);
    }

    fn rule(&self) -> Option<Rule> {
        self.policy.rule()
    }

    fn in_force(&self, now: Timestamp) -> Option<&dyn Policy> {
        self.policy.in_force(now)
    }

    fn structure(&self, out: &mut Structure<'_>) {
        self.policy.structure(out);
    }

    fn kept_fingerprint(&self) -> Option<Fingerprint> {
        Some(self.fingerprint)
    }
}
