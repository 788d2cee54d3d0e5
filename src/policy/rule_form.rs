//! The written form of a [`Rule`]: what a spec writes under `policy:`, and what its serde form is.
//!
//! ```yaml
//! all:                                    # also any: [...], not: {...}
//!   - quorum: {required: 2, users: [alice], roles: [risk_officer]}
//!   - required_role: risk_officer
//!   - distinct_roles: {required: 2, roles: [model_validator, risk_officer]}  # one person, one role
//!   - excluding: {roles: [fraud_ml], rule: {quorum: {required: 2}}}  # not the team's own votes
//!   - veto: {roles: [risk_officer]}       # veto: {} lets anyone veto
//!   - gate: {metric: accuracy, at_least: 0.9, range: [0, 1]}
//!   - online: {metric: error_rate, at_most: 0.02}
//!   - no_regression: {metric: auc, direction: higher_is_better, absolute: 0.01}
//!   - soak: {hours: 48}                   # durations: hours, minutes, seconds, nanoseconds
//!   - fresh: {hours: 72, rule: {quorum: {required: 1}}}
//!   - when: {condition: {gate: {...}}, then: approve_automatically, otherwise: {...}}
//! ```
//!
//! It is read by the spec's validator (`pipeline/spec_rule.rs`), which reports every problem
//! with its path.

use std::time::Duration;

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::{Comparison, MetricGate, Rule, Tolerance};

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        match self {
            Rule::All(all) => map.serialize_entry("all", all.parts())?,
            Rule::Any(any) => map.serialize_entry("any", any.parts())?,
            Rule::Not(not) => map.serialize_entry("not", not.inner())?,
            Rule::Gate(g) => map.serialize_entry("gate", &Gate(g))?,
            Rule::Online(o) => map.serialize_entry("online", &Gate(o.gate()))?,
            Rule::Quorum(q) => map.serialize_entry(
                "quorum",
                &Fields(&[
                    ("required", Field::Count(q.required())),
                    ("users", Field::Names(q.ids())),
                    ("roles", Field::Names(q.roles())),
                ]),
            )?,
            Rule::RequiredRole(r) => map.serialize_entry("required_role", r.role())?,
            Rule::DistinctRoles(d) => map.serialize_entry(
                "distinct_roles",
                &Fields(&[
                    ("required", Field::Count(d.required())),
                    ("roles", Field::Names(d.roles())),
                ]),
            )?,
            Rule::Veto(v) => map.serialize_entry(
                "veto",
                &Fields(&[
                    ("users", Field::Names(v.ids())),
                    ("roles", Field::Names(v.roles())),
                ]),
            )?,
            Rule::Excluding(e) => map.serialize_entry(
                "excluding",
                &Fields(&[
                    ("roles", Field::Names(e.excluded())),
                    ("rule", Field::Rule(e.inner())),
                ]),
            )?,
            Rule::Fresh(f) => {
                let mut fields = duration(f.window());
                fields.push(("rule", Field::Rule(f.inner())));
                map.serialize_entry("fresh", &Fields(&fields))?;
            }
            Rule::Soak(soak) => map.serialize_entry("soak", &Fields(&duration(soak.duration())))?,
            Rule::NoRegression(n) => {
                let (key, t) = match n.tolerance() {
                    Tolerance::Absolute(t) => ("absolute", t),
                    Tolerance::Relative(t) => ("relative", t),
                };
                let direction = match n.direction() {
                    super::Direction::HigherIsBetter => "higher_is_better",
                    super::Direction::LowerIsBetter => "lower_is_better",
                };
                map.serialize_entry(
                    "no_regression",
                    &Fields(&[
                        ("metric", Field::Text(n.metric())),
                        ("direction", Field::Text(direction)),
                        (key, Field::Number(t)),
                    ]),
                )?;
            }
            Rule::When(w) => map.serialize_entry(
                "when",
                &Fields(&[
                    ("condition", Field::Rule(w.condition())),
                    ("then", Field::Rule(w.then_branch())),
                    ("otherwise", Field::Rule(w.otherwise_branch())),
                ]),
            )?,
            Rule::AutoApprove(w) => map.serialize_entry(
                "when",
                &Fields(&[
                    ("condition", Field::Rule(w.condition())),
                    ("then", Field::Text("approve_automatically")),
                    ("otherwise", Field::Rule(w.otherwise_branch())),
                ]),
            )?,
        }
        map.end()
    }
}

/// One value of a rule's map.
enum Field<'a> {
    Count(usize),
    Whole(u64),
    Nanos(u32),
    Number(f64),
    Text(&'a str),
    /// A list of names, left out when empty.
    Names(&'a [String]),
    Rule(&'a Rule),
}

/// A rule's map, in order; empty lists left out.
struct Fields<'a>(&'a [(&'static str, Field<'a>)]);

impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let kept = || {
            self.0
                .iter()
                .filter(|(_, f)| !matches!(f, Field::Names(n) if n.is_empty()))
        };
        let mut map = s.serialize_map(Some(kept().count()))?;
        for (key, field) in kept() {
            match field {
                Field::Count(n) => map.serialize_entry(key, n)?,
                Field::Whole(n) => map.serialize_entry(key, n)?,
                Field::Nanos(n) => map.serialize_entry(key, n)?,
                Field::Number(x) => map.serialize_entry(key, x)?,
                Field::Text(t) => map.serialize_entry(key, t)?,
                Field::Names(n) => map.serialize_entry(key, n)?,
                Field::Rule(r) => map.serialize_entry(key, r)?,
            }
        }
        map.end()
    }
}

/// A duration in the largest unit that holds it exactly: `hours`, `minutes` or `seconds`, and
/// `nanoseconds` for a fraction of a second.
fn duration(d: Duration) -> Vec<(&'static str, Field<'static>)> {
    let (secs, nanos) = (d.as_secs(), d.subsec_nanos());
    let mut out = Vec::new();
    if secs != 0 || nanos == 0 {
        out.push(match secs {
            s if s % 3600 == 0 && nanos == 0 => ("hours", Field::Whole(s / 3600)),
            s if s % 60 == 0 && nanos == 0 => ("minutes", Field::Whole(s / 60)),
            s => ("seconds", Field::Whole(s)),
        });
    }
    if nanos != 0 {
        out.push(("nanoseconds", Field::Nanos(nanos)));
    }
    out
}

/// A metric gate as a spec writes a condition: `{metric, at_least: 0.9}`, with its range if
/// one was given.
struct Gate<'a>(&'a MetricGate);

impl Serialize for Gate<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let g = self.0;
        let op = match g.comparison() {
            Comparison::AtLeast => "at_least",
            Comparison::AtMost => "at_most",
            Comparison::Above => "above",
            Comparison::Below => "below",
        };
        let range = g.given_range();
        let mut map = s.serialize_map(Some(2 + usize::from(range.is_some())))?;
        map.serialize_entry("metric", g.metric())?;
        map.serialize_entry(op, &g.threshold())?;
        if let Some((min, max)) = range {
            map.serialize_entry("range", &[min, max])?;
        }
        map.end()
    }
}
