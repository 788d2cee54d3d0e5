//! A policy that changes over time: [`Versions`], a book of policies each in force from a time.

use super::{Lint, Policy, ReviewContext, Verdict, VerdictKind};
use crate::value::Timestamp;

/// A policy that changes over time: the first version in force from the beginning, each later
/// one from its time on (a decision at that time or later). It decides as the version in force
/// at the decision's time, and a decision records that version's name and fingerprint (see
/// [`Policy::in_force`]), so decisions made under an earlier version replay under it, and a
/// record decided before the book existed replays as it was.
///
/// ```
/// use modelgate::{MetricGate, Policy, PolicyExt, Quorum, Timestamp};
/// use modelgate::policy::Versions;
/// let t = Timestamp::from_unix_secs;
/// let before = MetricGate::at_least("accuracy", 0.9).and(Quorum::new(1));
/// let after = MetricGate::at_least("accuracy", 0.9).and(Quorum::new(2));
/// let book = Versions::new(before.clone()).from(t(1_000), after.clone());
/// assert_eq!(book.in_force(t(999)).unwrap().fingerprint(), before.fingerprint());
/// assert_eq!(book.in_force(t(1_000)).unwrap().fingerprint(), after.fingerprint());
/// ```
pub struct Versions {
    first: Box<dyn Policy + Send + Sync>,
    /// Later versions by the time they come in force, in order.
    later: Vec<(Timestamp, Box<dyn Policy + Send + Sync>)>,
}

impl std::fmt::Debug for Versions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Versions").field(&self.name()).finish()
    }
}

impl Versions {
    /// A book whose first version, `first`, is in force from the beginning.
    pub fn new(first: impl Policy + Send + Sync + 'static) -> Self {
        Self {
            first: Box::new(first),
            later: Vec::new(),
        }
    }

    /// The same book, with `policy` in force from `at` on (for decisions at `at` or later),
    /// until a later version's time. Versions are kept in order of their times, whatever the
    /// order they are given in; of two given for one time, the later given is in force.
    #[must_use]
    pub fn from(mut self, at: Timestamp, policy: impl Policy + Send + Sync + 'static) -> Self {
        let i = self.later.partition_point(|(from, _)| *from <= at);
        self.later.insert(i, (at, Box::new(policy)));
        self
    }

    /// The version in force at `now`.
    pub fn at(&self, now: Timestamp) -> &(dyn Policy + Send + Sync) {
        self.later
            .iter()
            .rev()
            .find(|(from, _)| *from <= now)
            .map_or(self.first.as_ref(), |(_, p)| p.as_ref())
    }
}

impl Policy for Versions {
    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        self.at(ctx.now()).evaluate(ctx)
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        self.at(ctx.now()).judge(ctx)
    }

    fn name(&self) -> String {
        let mut out = format!("versions: {}", self.first.name());
        for (from, policy) in &self.later {
            out.push_str(&format!("; from {from}: {}", policy.name()));
        }
        out
    }

    fn lint(&self, lints: &mut Vec<Lint>) {
        self.first.lint(lints);
        for (_, policy) in &self.later {
            policy.lint(lints);
        }
    }

    fn structure(&self, out: &mut super::Structure<'_>) {
        let later: Vec<(Timestamp, &dyn Policy)> = self
            .later
            .iter()
            .map(|(from, p)| (*from, p.as_ref() as &dyn Policy))
            .collect();
        super::fingerprint::versions(out, self.first.as_ref(), &later);
    }

    fn in_force(&self, now: Timestamp) -> Option<&dyn Policy> {
        let version = self.at(now);
        Some(version.in_force(now).unwrap_or(version))
    }
}
