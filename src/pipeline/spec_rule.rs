//! Reading a [`Rule`] in its written form (`policy/rule_form.rs` has the grammar): every
//! problem with its path, as for the rest of a spec. Also `Rule`'s `Deserialize`.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::raw::Raw;
use super::spec::{At, Validator, get};
use super::spec_error::SpecProblem;
use crate::policy::{
    DistinctRoles, Excluding, Fresh, MetricGate, NoRegression, OnlineMetric, Quorum, RequiredRole,
    Rule, Soak, Veto, all, any, not, when,
};
use crate::value::text;

/// The names a rule's one key can take.
const RULES: &str = "`all`, `any`, `not`, `gate`, `online`, `quorum`, `required_role`, \
                     `distinct_roles`, `excluding`, `veto`, `fresh`, `soak`, `no_regression` or \
                     `when`";

const GATE_KEYS: &[&str] = &["metric", "at_least", "at_most", "above", "below", "range"];
const QUORUM_KEYS: &[&str] = &["required", "users", "roles"];
const VETO_KEYS: &[&str] = &["users", "roles"];
const DISTINCT_ROLES_KEYS: &[&str] = &["required", "roles"];
const EXCLUDING_KEYS: &[&str] = &["roles", "rule"];
const DURATION_KEYS: &[&str] = &["hours", "minutes", "seconds", "nanoseconds"];
const FRESH_KEYS: &[&str] = &["hours", "minutes", "seconds", "nanoseconds", "rule"];
const NO_REGRESSION_KEYS: &[&str] = &["metric", "direction", "absolute", "relative"];
const WHEN_KEYS: &[&str] = &["condition", "then", "otherwise"];

/// How deep rules may nest: deeper documents are refused rather than read by recursion
/// without end.
const MAX_DEPTH: usize = 32;

impl Validator {
    /// The rule at `at`; `None` if any problem was reported.
    pub(super) fn rule(&mut self, at: &At<'_>, raw: &Raw) -> Option<Rule> {
        self.rule_at(at, raw, 0)
    }

    fn rule_at(&mut self, at: &At<'_>, raw: &Raw, depth: usize) -> Option<Rule> {
        if depth > MAX_DEPTH {
            self.push(at, SpecProblem::TooDeep { max: MAX_DEPTH });
            return None;
        }
        let (name, body) = match raw {
            Raw::Map(entries) if let [(name, body)] = entries.as_slice() => (name.as_str(), body),
            other => {
                let found = match other {
                    Raw::Map(entries) => {
                        let keys: Vec<String> =
                            entries.iter().map(|(k, _)| format!("`{k}`")).collect();
                        format!("a map with {} keys ({})", entries.len(), keys.join(", "))
                    }
                    Raw::Str(s) => format!("the string `{s}`"),
                    other => other.kind().to_owned(),
                };
                self.push(
                    at,
                    SpecProblem::NotARule {
                        rules: RULES,
                        found,
                    },
                );
                return None;
            }
        };
        let at = at.key(name);
        let at = &at;
        let depth = depth + 1;
        match name {
            "all" | "any" => {
                let Raw::List(items) = body else {
                    self.wrong(at, "a list of rules", body);
                    return None;
                };
                let before = self.problems();
                let rules: Vec<Rule> = items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, item)| self.rule_at(&at.index(i), item, depth))
                    .collect();
                (self.problems() == before).then(|| match name {
                    "all" => Rule::from(all(rules)),
                    _ => Rule::from(any(rules)),
                })
            }
            "not" => self.rule_at(at, body, depth).map(|r| Rule::from(not(r))),
            "gate" => self.gate(at, body).map(Rule::from),
            "online" => self
                .gate(at, body)
                .map(|g| Rule::from(OnlineMetric::from(g))),
            "quorum" => {
                let entries = self.map(at, body, QUORUM_KEYS)?;
                let required = match get(entries, "required") {
                    None => {
                        self.push(at, SpecProblem::Missing { key: "required" });
                        None
                    }
                    Some(raw) => self.whole(&at.key("required"), raw),
                };
                let users = self.names(&at.key("users"), get(entries, "users"), "users");
                let roles = self.names(&at.key("roles"), get(entries, "roles"), "roles");
                let required = usize::try_from(required?).ok()?;
                Some(Rule::from(
                    Quorum::new(required)
                        .eligible_ids(users?)
                        .eligible_roles(roles?),
                ))
            }
            "distinct_roles" => {
                let entries = self.map(at, body, DISTINCT_ROLES_KEYS)?;
                let required = match get(entries, "required") {
                    None => {
                        self.push(at, SpecProblem::Missing { key: "required" });
                        None
                    }
                    Some(raw) => self.whole(&at.key("required"), raw),
                };
                let roles = self.names(&at.key("roles"), get(entries, "roles"), "roles");
                let required = usize::try_from(required?).ok()?;
                Some(Rule::from(DistinctRoles::new(required, roles?)))
            }
            "excluding" => {
                let entries = self.map(at, body, EXCLUDING_KEYS)?;
                // Without its roles an exclusion excludes nobody: the key is required.
                let roles = match get(entries, "roles") {
                    Some(raw) => self.names(&at.key("roles"), Some(raw), "roles"),
                    None => {
                        self.push(at, SpecProblem::Missing { key: "roles" });
                        None
                    }
                };
                let inner = match get(entries, "rule") {
                    Some(raw) => self.rule_at(&at.key("rule"), raw, depth),
                    None => {
                        self.push(at, SpecProblem::Missing { key: "rule" });
                        None
                    }
                };
                Some(Rule::from(Excluding::roles(roles?, inner?)))
            }
            "veto" => {
                let entries = self.map(at, body, VETO_KEYS)?;
                let users = self.names(&at.key("users"), get(entries, "users"), "users");
                let roles = self.names(&at.key("roles"), get(entries, "roles"), "roles");
                Some(Rule::from(
                    Veto::new().eligible_ids(users?).eligible_roles(roles?),
                ))
            }
            "required_role" => match body {
                Raw::Str(role) => match text::check("role", role) {
                    Ok(()) => Some(Rule::from(RequiredRole::new(role))),
                    Err(e) => {
                        self.push(at, SpecProblem::Text(e));
                        None
                    }
                },
                other => {
                    self.wrong(at, "a role", other);
                    None
                }
            },
            "soak" => {
                let entries = self.map(at, body, DURATION_KEYS)?;
                self.duration(at, entries)
                    .map(|d| Rule::from(Soak::at_least(d)))
            }
            "fresh" => {
                let entries = self.map(at, body, FRESH_KEYS)?;
                let window = self.duration(at, entries);
                let inner = match get(entries, "rule") {
                    Some(raw) => self.rule_at(&at.key("rule"), raw, depth),
                    None => {
                        self.push(at, SpecProblem::Missing { key: "rule" });
                        None
                    }
                };
                Some(Rule::from(Fresh::within(window?, inner?)))
            }
            "no_regression" => self.no_regression(at, body),
            "when" => {
                let entries = self.map(at, body, WHEN_KEYS)?;
                let part = |v: &mut Self, key: &'static str| match get(entries, key) {
                    Some(raw) => v.rule_at(&at.key(key), raw, depth),
                    None => {
                        v.push(at, SpecProblem::Missing { key });
                        None
                    }
                };
                let condition = part(self, "condition");
                let otherwise = part(self, "otherwise");
                match get(entries, "then") {
                    Some(Raw::Str(s)) if s == "approve_automatically" => Some(Rule::from(
                        when(condition?)
                            .approve_automatically()
                            .otherwise(otherwise?),
                    )),
                    Some(Raw::Str(s)) => {
                        let problem = SpecProblem::NotOneOf {
                            expected: "a rule or `approve_automatically`",
                            found: s.clone(),
                        };
                        self.push(&at.key("then"), problem);
                        None
                    }
                    _ => {
                        let then = part(self, "then");
                        Some(Rule::from(
                            when(condition?).then(then?).otherwise(otherwise?),
                        ))
                    }
                }
            }
            unknown => {
                let found = format!("the key `{unknown}`");
                self.push(
                    at,
                    SpecProblem::NotARule {
                        rules: RULES,
                        found,
                    },
                );
                None
            }
        }
    }

    /// A whole number, zero or more.
    fn whole(&mut self, at: &At<'_>, raw: &Raw) -> Option<u64> {
        match raw {
            Raw::Int(n) => match u64::try_from(*n) {
                Ok(n) => Some(n),
                Err(_) if *n < 0 => {
                    self.push(at, SpecProblem::Negative { found: *n });
                    None
                }
                Err(_) => {
                    self.push(
                        at,
                        SpecProblem::TooLarge {
                            found: *n,
                            max: u64::MAX.into(),
                        },
                    );
                    None
                }
            },
            other => {
                self.wrong(at, "a whole number", other);
                None
            }
        }
    }

    /// A duration: one or more of `hours`, `minutes`, `seconds`, `nanoseconds` (added up).
    fn duration(&mut self, at: &At<'_>, entries: &[(String, Raw)]) -> Option<Duration> {
        let units = [("hours", 3600u64), ("minutes", 60), ("seconds", 1)];
        let mut total = Duration::ZERO;
        let mut given = false;
        let before = self.problems();
        for (key, secs) in units {
            if let Some(raw) = get(entries, key) {
                given = true;
                let n = self.whole(&at.key(key), raw)?;
                let add = n.checked_mul(secs).map(Duration::from_secs);
                match add.and_then(|d| total.checked_add(d)) {
                    Some(t) => total = t,
                    None => self.push(&at.key(key), SpecProblem::DurationTooLong),
                }
            }
        }
        if let Some(raw) = get(entries, "nanoseconds") {
            given = true;
            let n = self.whole(&at.key("nanoseconds"), raw)?;
            match total.checked_add(Duration::from_nanos(n)) {
                Some(t) => total = t,
                None => self.push(&at.key("nanoseconds"), SpecProblem::DurationTooLong),
            }
        }
        if !given {
            self.push(at, SpecProblem::NoDuration);
        }
        (self.problems() == before).then_some(total)
    }

    /// `{metric: accuracy, at_least: 0.9}`, with an optional `range: [min, max]`.
    fn gate(&mut self, at: &At<'_>, raw: &Raw) -> Option<MetricGate> {
        let entries = self.map(at, raw, GATE_KEYS)?;
        let gate = self.comparison(at, entries);
        match get(entries, "range") {
            None => gate,
            Some(Raw::List(bounds)) => match bounds.as_slice() {
                [min, max] => {
                    let min = self.number(&at.key("range").index(0), min);
                    let max = self.number(&at.key("range").index(1), max);
                    let (min, max) = (min?, max?);
                    if min > max {
                        self.push(&at.key("range"), SpecProblem::EmptyRange { min, max });
                        return None;
                    }
                    gate.map(|g| g.within(min, max))
                }
                _ => {
                    self.wrong(
                        &at.key("range"),
                        "a list of two numbers `[min, max]`",
                        &Raw::List(bounds.clone()),
                    );
                    None
                }
            },
            Some(other) => {
                self.wrong(
                    &at.key("range"),
                    "a list of two numbers `[min, max]`",
                    other,
                );
                None
            }
        }
    }

    fn no_regression(&mut self, at: &At<'_>, raw: &Raw) -> Option<Rule> {
        let entries = self.map(at, raw, NO_REGRESSION_KEYS)?;
        let metric = self.text(at, entries, "metric").map(str::to_owned);
        let rule = match get(entries, "direction") {
            Some(Raw::Str(d)) if d == "higher_is_better" => {
                metric.map(NoRegression::higher_is_better)
            }
            Some(Raw::Str(d)) if d == "lower_is_better" => {
                metric.map(NoRegression::lower_is_better)
            }
            Some(Raw::Str(other)) => {
                let problem = SpecProblem::NotOneOf {
                    expected: "`higher_is_better` or `lower_is_better`",
                    found: other.clone(),
                };
                self.push(&at.key("direction"), problem);
                None
            }
            Some(other) => {
                self.wrong(
                    &at.key("direction"),
                    "`higher_is_better` or `lower_is_better`",
                    other,
                );
                None
            }
            None => {
                self.push(at, SpecProblem::Missing { key: "direction" });
                None
            }
        };
        let tolerance = match (get(entries, "absolute"), get(entries, "relative")) {
            (Some(_), Some(_)) => {
                self.push(at, SpecProblem::TwoTolerances);
                None
            }
            (None, None) => Some((true, 0.0)),
            (Some(raw), None) => self.tolerance(&at.key("absolute"), raw).map(|t| (true, t)),
            (None, Some(raw)) => self.tolerance(&at.key("relative"), raw).map(|t| (false, t)),
        };
        let (absolute, t) = tolerance?;
        let rule = rule?;
        Some(Rule::from(if absolute {
            rule.absolute(t)
        } else {
            rule.relative(t)
        }))
    }

    fn tolerance(&mut self, at: &At<'_>, raw: &Raw) -> Option<f64> {
        let t = self.number(at, raw)?;
        if t >= 0.0 {
            Some(t)
        } else {
            self.push(at, SpecProblem::NegativeTolerance { value: t });
            None
        }
    }
}

/// Reads a rule in its written form from any self-describing format; every problem is in the
/// error, each with its path under `policy`.
impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Raw::deserialize(d)?;
        let mut v = Validator::new();
        let rule = v.rule(&At::root("policy"), &raw);
        let errors = v.into_errors();
        match rule {
            Some(rule) if errors.errors().is_empty() => Ok(rule),
            _ => {
                let problems: Vec<String> = errors
                    .errors()
                    .iter()
                    .map(|e| format!("`{}`: {}", e.path(), e.problem()))
                    .collect();
                Err(serde::de::Error::custom(format!(
                    "invalid policy: {}",
                    problems.join("; ")
                )))
            }
        }
    }
}
