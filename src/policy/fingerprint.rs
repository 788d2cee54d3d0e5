//! A policy's identity: SHA-256 over the canonical encoding of its [`Rule`].
//!
//! ```text
//! policy   = text "modelgate.policy", rule
//! rule     = u8 tag, data
//!   1 all            list<rule>
//!   2 any            list<rule>
//!   3 not            rule
//!   4 gate           gate
//!   5 quorum         u64 required, eligible
//!   6 required_role  text role
//!   7 veto           eligible
//!   8 fresh          duration window, rule
//!   9 no_regression  text metric, u8 direction (0 higher, 1 lower is better),
//!                    u8 tolerance (0 absolute, 1 relative), f64 tolerance
//!  10 soak           duration
//!  11 online         gate
//!  12 when           rule condition, rule then, rule otherwise
//!  13 auto_approve   rule condition, rule otherwise
//!  14 custom         text name (a policy that is not data: a closure, a host's type; known
//!                    only by its name, so give each its own)
//!  15 versions       rule first, list<(u64 from (ms), rule)> (a policy that changes over time)
//!  16 distinct_roles u64 required, list<text> roles (in byte order: a set)
//!  17 excluding      list<text> roles (in byte order: a set), rule
//!  18 signed_votes   hash roster (the hash of the roster version votes are counted by), rule
//! gate     = text metric, u8 op (0 at_least, 1 at_most, 2 above, 3 below), f64 threshold,
//!            option<(f64 min, f64 max)> range
//! eligible = list<text> ids, list<text> roles, each in byte order (a set: the order written
//!            does not change a decision)
//! duration = u64 seconds, u32 nanoseconds
//! ```
//!
//! Display names are not in it: a policy's name describes it, its fingerprint identifies it.

use std::time::Duration;

use super::{Comparison, Direction, MetricGate, Policy, Rule, Tolerance};
use crate::value::canonical::{self, Sink};
use crate::value::hash::Fingerprint;

impl Rule {
    /// The rule's fingerprint: SHA-256 over its canonical structure. Two rules with the same
    /// fingerprint decide every submission the same way; names, the order of ids and roles in
    /// a list, and how the rule was written (spec or code) do not change it.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(|out| {
            canonical::label(out, "modelgate.policy");
            rule(out, self);
        })
    }
}

/// The fingerprint of `policy`: SHA-256 over its structure ([`Policy::structure`]): its
/// [`Rule`]'s, with each part that is not data (a closure, a host's type) a custom leaf known by
/// its name, so that a policy in part custom is still told apart by all the rest.
/// The fingerprint a policy keeps ([`Policy::kept_fingerprint`]) is taken as it is.
pub(crate) fn of<P: Policy + ?Sized>(policy: &P) -> Fingerprint {
    policy
        .kept_fingerprint()
        .unwrap_or_else(|| of_structure(policy))
}

/// The fingerprint of `policy`'s structure, hashed now (whatever the policy keeps).
pub(crate) fn of_structure<P: Policy + ?Sized>(policy: &P) -> Fingerprint {
    Fingerprint::of(|out| {
        canonical::label(out, "modelgate.policy");
        policy.structure(&mut Structure(out));
    })
}

/// Where a policy writes its canonical structure, for its fingerprint (see
/// [`Policy::structure`]). Only the crate makes one.
pub struct Structure<'a>(&'a mut dyn Sink);

impl std::fmt::Debug for Structure<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Structure")
    }
}

/// What [`Policy::structure`] writes by default: the policy's rule, or a custom leaf.
pub(crate) fn default_structure<P: Policy + ?Sized>(policy: &P, out: &mut Structure<'_>) {
    match policy.rule() {
        Some(r) => rule(out.0, &r),
        None => {
            canonical::u8(out.0, 14);
            canonical::text(out.0, &policy.name());
        }
    }
}

/// A combinator's structure: its tag, then its parts' (a list for `all` and `any`).
pub(crate) fn combinator(out: &mut Structure<'_>, tag: u8, parts: &[&dyn Policy], list: bool) {
    canonical::u8(out.0, tag);
    if list {
        canonical::u64(out.0, u64::try_from(parts.len()).unwrap_or(u64::MAX));
    }
    for part in parts {
        part.structure(out);
    }
}

/// The head of a list combinator's structure: its tag and the number of its parts.
pub(crate) fn list_head(out: &mut Structure<'_>, tag: u8, n: usize) {
    canonical::u8(out.0, tag);
    canonical::u64(out.0, u64::try_from(n).unwrap_or(u64::MAX));
}

/// A vote window's structure: tag 8, the window, the inner policy's.
pub(crate) fn fresh(out: &mut Structure<'_>, window: Duration, inner: &dyn Policy) {
    canonical::u8(out.0, 8);
    duration(out.0, window);
    inner.structure(out);
}

/// An exclusion's structure: tag 17, the excluded roles, then the inner policy's.
pub(crate) fn excluding(out: &mut Structure<'_>, roles: &[String], inner: &dyn Policy) {
    canonical::u8(out.0, 17);
    sorted(out.0, roles);
    inner.structure(out);
}

/// A signed-votes policy's structure: tag 18, the roster version's hash, the inner policy's.
#[cfg(feature = "signed-votes")]
pub(crate) fn signed_votes(
    out: &mut Structure<'_>,
    roster: crate::value::hash::Head,
    inner: &dyn Policy,
) {
    canonical::u8(out.0, 18);
    out.0.put(roster.as_bytes());
    inner.structure(out);
}

/// A book of versions' structure: tag 15, the first, then each later one with its time.
pub(crate) fn versions(
    out: &mut Structure<'_>,
    first: &dyn Policy,
    later: &[(crate::value::Timestamp, &dyn Policy)],
) {
    canonical::u8(out.0, 15);
    first.structure(out);
    canonical::u64(out.0, u64::try_from(later.len()).unwrap_or(u64::MAX));
    for (from, policy) in later {
        canonical::u64(out.0, from.as_unix_millis());
        policy.structure(out);
    }
}

fn rule(out: &mut dyn Sink, r: &Rule) {
    match r {
        Rule::All(all) => {
            canonical::u8(out, 1);
            canonical::list(out, all.parts(), rule);
        }
        Rule::Any(any) => {
            canonical::u8(out, 2);
            canonical::list(out, any.parts(), rule);
        }
        Rule::Not(not) => {
            canonical::u8(out, 3);
            rule(out, not.inner());
        }
        Rule::Gate(g) => {
            canonical::u8(out, 4);
            gate(out, g);
        }
        Rule::Quorum(q) => {
            canonical::u8(out, 5);
            canonical::u64(out, u64::try_from(q.required()).unwrap_or(u64::MAX));
            eligible(out, q.ids(), q.roles());
        }
        Rule::RequiredRole(r) => {
            canonical::u8(out, 6);
            canonical::text(out, r.role());
        }
        Rule::DistinctRoles(d) => {
            canonical::u8(out, 16);
            canonical::u64(out, u64::try_from(d.required()).unwrap_or(u64::MAX));
            sorted(out, d.roles());
        }
        Rule::Excluding(e) => {
            canonical::u8(out, 17);
            sorted(out, e.excluded());
            rule(out, e.inner());
        }
        Rule::Veto(v) => {
            canonical::u8(out, 7);
            eligible(out, v.ids(), v.roles());
        }
        Rule::Fresh(f) => {
            canonical::u8(out, 8);
            duration(out, f.window());
            rule(out, f.inner());
        }
        Rule::NoRegression(n) => {
            canonical::u8(out, 9);
            canonical::text(out, n.metric());
            canonical::u8(out, u8::from(n.direction() == Direction::LowerIsBetter));
            let (kind, t) = match n.tolerance() {
                Tolerance::Absolute(t) => (0, t),
                Tolerance::Relative(t) => (1, t),
            };
            canonical::u8(out, kind);
            canonical::f64(out, t);
        }
        Rule::Soak(s) => {
            canonical::u8(out, 10);
            duration(out, s.duration());
        }
        Rule::Online(o) => {
            canonical::u8(out, 11);
            gate(out, o.gate());
        }
        Rule::When(w) => {
            canonical::u8(out, 12);
            rule(out, w.condition());
            rule(out, w.then_branch());
            rule(out, w.otherwise_branch());
        }
        Rule::AutoApprove(w) => {
            canonical::u8(out, 13);
            rule(out, w.condition());
            rule(out, w.otherwise_branch());
        }
    }
}

/// A comparison's tag, in the policy's and the pipeline's grammars alike.
pub(crate) fn comparison(op: Comparison) -> u8 {
    match op {
        Comparison::AtLeast => 0,
        Comparison::AtMost => 1,
        Comparison::Above => 2,
        Comparison::Below => 3,
    }
}

fn gate(out: &mut dyn Sink, g: &MetricGate) {
    canonical::text(out, g.metric());
    canonical::u8(out, comparison(g.comparison()));
    canonical::f64(out, g.threshold());
    canonical::option(out, g.given_range().as_ref(), |out, (min, max)| {
        canonical::f64(out, *min);
        canonical::f64(out, *max);
    });
}

fn eligible(out: &mut dyn Sink, ids: &[String], roles: &[String]) {
    for names in [ids, roles] {
        sorted(out, names);
    }
}

/// A set of names: in byte order.
fn sorted(out: &mut dyn Sink, names: &[String]) {
    let mut sorted: Vec<&String> = names.iter().collect();
    sorted.sort();
    canonical::list(out, &sorted, |out, name| canonical::text(out, name));
}

fn duration(out: &mut dyn Sink, d: Duration) {
    canonical::u64(out, d.as_secs());
    canonical::u32(out, d.subsec_nanos());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{PolicyExt, Quorum, from_fn};

    #[test]
    fn the_order_of_ids_does_not_change_a_fingerprint_but_a_role_for_an_id_does() {
        let a = Quorum::new(1).eligible_ids(["alice", "bob"]);
        let b = Quorum::new(1).eligible_ids(["bob", "alice"]);
        let c = Quorum::new(1).eligible_roles(["alice", "bob"]);
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
    }

    #[test]
    fn a_custom_policy_is_never_a_built_in() {
        let custom = from_fn(Quorum::new(1).name(), |_| unreachable!());
        assert_ne!(custom.fingerprint(), Quorum::new(1).fingerprint());
    }
}
