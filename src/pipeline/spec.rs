//! The declarative pipeline spec and its validation into a runnable [`Pipeline`].

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::raw::Raw;
use super::spec_error::{SpecError, SpecErrors, SpecProblem};
use super::{Pipeline, Step, StepKind};
use crate::policy::{Comparison, MetricGate};
use crate::value::{Environment, text};

/// A pipeline as its users write it, in YAML, JSON or any self-describing serde format.
///
/// ```yaml
/// environment: staging      # or { name: production, approval_validity_hours: 720 }; default `default`
/// steps:
///   - name: train_model
///     type: training
///   - name: evaluate
///     type: test
///     inputs:
///       gates: [{ metric: accuracy, at_least: 0.80 }]
///   - name: approve_model
///     type: approval
///     inputs:
///       approvers: ['alice', 'team_lead']   # user ids or roles; must be a list
///       required: 1                         # default 1
///       veto: true                          # an approver's reject rejects; default true
///       auto_approve: { metric: accuracy, above: 0.90 }
///       gates: [{ metric: latency_p99_ms, at_most: 50 }]
///       soak_hours: 48                      # promotion: deployed in the previous environment
///       online: [{ metric: error_rate, at_most: 0.02 }]  # promotion: metrics observed there
///       max_attempts: 3                     # with on_reject: retrain; default 3
///     on_reject: retrain                    # or fail_pipeline (the default)
///   - name: deploy
///     type: deploy
/// ```
///
/// The environment is the one the approval and deploy steps are for: a pipeline per environment,
/// whose runs take models of that environment only. The training step is optional: without one, the run starts by asking the host for the artifact
/// to review (a model trained elsewhere), and `on_reject: retrain` is an error.
///
/// Deserializing keeps the document as written (a key given twice in a map is refused, in any
/// format); [`validate`](Self::validate) checks it and reports every problem at once, each with
/// its step and path.
///
/// ```
/// use modelgate::PipelineSpec;
/// let spec: PipelineSpec = serde_json::from_str(r#"{"steps": [
///     {"name": "train", "type": "training"},
///     {"name": "approve", "type": "approval", "inputs": {"approvers": "bob"}}
/// ]}"#)?;
/// let errors = spec.validate().unwrap_err();
/// assert_eq!(errors.to_string(), "invalid pipeline spec (1 problem):\n  - step `approve` at \
///     `steps[1].inputs.approvers`: `approvers` must be a list of user ids or roles: write \
///     `approvers: ['bob']`");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PipelineSpec(Raw);

const TOP_KEYS: &[&str] = &["environment", "steps"];
const ENVIRONMENT_KEYS: &[&str] = &["name", "approval_validity_hours"];
const STEP_KEYS: &[&str] = &["name", "type", "inputs", "on_reject"];
const TEST_KEYS: &[&str] = &["gates"];
const CONDITION_KEYS: &[&str] = &["metric", "at_least", "at_most", "above", "below"];

impl PipelineSpec {
    /// A spec from a document already read (for the `proptest` strategies).
    #[cfg(feature = "proptest")]
    pub(crate) fn from_raw(raw: Raw) -> Self {
        Self(raw)
    }

    /// Checks the spec and builds the runnable pipeline. Linear in the size of the document.
    ///
    /// # Errors
    ///
    /// [`SpecErrors`]: every problem found, each with its step and path.
    pub fn validate(&self) -> Result<Pipeline, SpecErrors> {
        let mut v = Validator { errors: Vec::new() };
        if let Some((steps, environment)) = v.document(&self.0) {
            v.unique_names(&steps);
            v.order(&steps);
            if let (true, Some(environment)) = (v.errors.is_empty(), environment) {
                return Ok(Pipeline::new(
                    steps.into_iter().filter_map(|s| s.step).collect(),
                    environment,
                ));
            }
        }
        Err(SpecErrors(v.errors))
    }
}

pub(super) struct Validator {
    errors: Vec<SpecError>,
}

/// The type a step declares, known even when its contents have problems.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Declared {
    Training,
    Test,
    Approval,
    Deploy,
}

/// One step as read: its name and declared type where readable, and the step itself if it has
/// no problems of its own.
pub(super) struct StepRead<'r> {
    pub(super) name: Option<&'r str>,
    pub(super) declared: Option<Declared>,
    pub(super) step: Option<Step>,
}

/// Where a value is: the step's name (if known) and the path. The path is only written out
/// when a problem is reported, so that validating a valid document allocates nothing for it.
#[derive(Clone, Copy)]
pub(super) struct At<'a> {
    pub(super) step: Option<&'a str>,
    pub(super) path: Path<'a>,
}

/// A path in the document, built from its parent by reference.
#[derive(Clone, Copy)]
pub(super) enum Path<'a> {
    Root(&'static str),
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Root(name) => f.write_str(name),
            Self::Key(parent, key) => write!(f, "{parent}.{key}"),
            Self::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

impl<'a> At<'a> {
    pub(super) fn root(name: &'static str) -> At<'static> {
        At {
            step: None,
            path: Path::Root(name),
        }
    }

    pub(super) fn key<'b>(&'b self, key: &'b str) -> At<'b>
    where
        'a: 'b,
    {
        At {
            step: self.step,
            path: Path::Key(&self.path, key),
        }
    }

    pub(super) fn index<'b>(&'b self, i: usize) -> At<'b>
    where
        'a: 'b,
    {
        At {
            step: self.step,
            path: Path::Index(&self.path, i),
        }
    }

    /// The same place, in the step named `step`.
    pub(super) fn named<'b>(&'b self, step: Option<&'b str>) -> At<'b>
    where
        'a: 'b,
    {
        At {
            step,
            path: self.path,
        }
    }
}

pub(super) fn get<'r>(entries: &'r [(String, Raw)], key: &str) -> Option<&'r Raw> {
    entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn allowed(keys: &[&str]) -> String {
    if keys.is_empty() {
        return String::from("this step takes no inputs");
    }
    let keys: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
    format!("expected one of {}", keys.join(", "))
}

impl Validator {
    /// A validator that has found nothing yet.
    pub(super) fn new() -> Self {
        Self { errors: Vec::new() }
    }

    /// Every problem found.
    pub(super) fn into_errors(self) -> SpecErrors {
        SpecErrors(self.errors)
    }

    /// How many problems were found so far.
    pub(super) fn problems(&self) -> usize {
        self.errors.len()
    }

    pub(super) fn push(&mut self, at: &At<'_>, problem: SpecProblem) {
        self.errors.push(SpecError::new(
            at.step.map(str::to_owned),
            at.path.to_string(),
            problem,
        ));
    }

    pub(super) fn wrong(&mut self, at: &At<'_>, expected: &'static str, found: &Raw) {
        self.push(
            at,
            SpecProblem::WrongType {
                expected,
                found: found.kind(),
            },
        );
    }

    /// The entries of a map, with unknown keys reported; `None` (reported) if not a map.
    pub(super) fn map<'r>(
        &mut self,
        at: &At<'_>,
        raw: &'r Raw,
        keys: &[&str],
    ) -> Option<&'r [(String, Raw)]> {
        let Raw::Map(entries) = raw else {
            self.wrong(at, "a map", raw);
            return None;
        };
        self.keys(at, entries, keys);
        Some(entries)
    }

    /// Reports the keys of `entries` that are not among `keys`.
    pub(super) fn keys(&mut self, at: &At<'_>, entries: &[(String, Raw)], keys: &[&str]) {
        for (key, _) in entries {
            if !keys.contains(&key.as_str()) {
                self.push(
                    &at.key(key),
                    SpecProblem::UnknownKey {
                        key: key.clone(),
                        allowed: allowed(keys),
                    },
                );
            }
        }
    }

    /// The steps as read (problems reported), and the environment (`None` if reported);
    /// `None` if there is no list of steps at all.
    #[allow(clippy::type_complexity)]
    fn document<'r>(&mut self, raw: &'r Raw) -> Option<(Vec<StepRead<'r>>, Option<Environment>)> {
        let root = At::root("spec");
        let entries = self.map(&root, raw, TOP_KEYS)?;
        let environment = self.environment(get(entries, "environment"));
        let at = At::root("steps");
        match get(entries, "steps") {
            None => {
                self.push(&root, SpecProblem::Missing { key: "steps" });
                None
            }
            Some(Raw::List(items)) => Some((
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.step(&at.index(i), item))
                    .collect(),
                environment,
            )),
            Some(other) => {
                self.wrong(&at, "a list of steps", other);
                None
            }
        }
    }

    /// `environment: production`, or `{name: production, approval_validity_hours: 720}`;
    /// the default environment when absent. `None` if reported.
    fn environment(&mut self, raw: Option<&Raw>) -> Option<Environment> {
        let at = At::root("environment");
        let named = |v: &mut Self, at: &At<'_>, name: &str| match Environment::new(name) {
            Ok(environment) => Some(environment),
            Err(e) => {
                v.push(at, SpecProblem::Text(e));
                None
            }
        };
        match raw {
            None | Some(Raw::Null) => Some(Environment::default()),
            Some(Raw::Str(name)) => named(self, &at, name),
            Some(Raw::Map(_)) => {
                let entries = self.map(&at, raw?, ENVIRONMENT_KEYS)?;
                let environment = match get(entries, "name") {
                    Some(Raw::Str(name)) => named(self, &at.key("name"), name),
                    Some(other) => {
                        self.wrong(&at.key("name"), "a string", other);
                        None
                    }
                    None => {
                        self.push(&at, SpecProblem::Missing { key: "name" });
                        None
                    }
                };
                let hours_at = at.key("approval_validity_hours");
                let validity = match get(entries, "approval_validity_hours") {
                    None | Some(Raw::Null) => Some(None),
                    // Up to about 114 years, so that the window fits in milliseconds.
                    Some(raw) => self.positive(&hours_at, raw, 1_000_000).map(Some),
                };
                match (environment, validity) {
                    (Some(environment), Some(None)) => Some(environment),
                    (Some(environment), Some(Some(hours))) => {
                        let hours = u64::try_from(hours).unwrap_or(u64::MAX);
                        Some(environment.with_approval_validity(Duration::from_secs(hours * 3600)))
                    }
                    _ => None,
                }
            }
            Some(other) => {
                self.wrong(
                    &at,
                    "an environment name or `{name, approval_validity_hours}`",
                    other,
                );
                None
            }
        }
    }

    fn step<'r>(&mut self, at: &At<'_>, raw: &'r Raw) -> StepRead<'r> {
        let Some(entries) = self.map(at, raw, STEP_KEYS) else {
            return StepRead {
                name: None,
                declared: None,
                step: None,
            };
        };
        let name = self.text(at, entries, "name");
        let at = at.named(name);
        let inputs: &[(String, Raw)] = match get(entries, "inputs") {
            None | Some(Raw::Null) => &[],
            Some(Raw::Map(inputs)) => inputs,
            Some(other) => {
                self.wrong(&at.key("inputs"), "a map", other);
                &[]
            }
        };
        let inputs_at = at.key("inputs");
        let on_reject = get(entries, "on_reject");
        let declared = match get(entries, "type") {
            Some(Raw::Str(t)) => match t.as_str() {
                "training" => Some(Declared::Training),
                "test" => Some(Declared::Test),
                "approval" => Some(Declared::Approval),
                "deploy" => Some(Declared::Deploy),
                _ => None,
            },
            _ => None,
        };
        let kind = match get(entries, "type") {
            Some(Raw::Str(t)) => match t.as_str() {
                "training" | "deploy" => {
                    self.keys(&inputs_at, inputs, &[]);
                    self.not_applicable(&at, on_reject, "on_reject", "approval steps");
                    Some(if t == "training" {
                        StepKind::Training
                    } else {
                        StepKind::Deploy
                    })
                }
                "test" => {
                    self.keys(&inputs_at, inputs, TEST_KEYS);
                    self.not_applicable(&at, on_reject, "on_reject", "approval steps");
                    let gates = self.gates(&inputs_at.key("gates"), get(inputs, "gates"));
                    Some(StepKind::Test { gates })
                }
                "approval" => self
                    .approval(&at, inputs, on_reject)
                    .map(|a| StepKind::Approval(Box::new(a))),
                other => {
                    self.push(
                        &at.key("type"),
                        SpecProblem::UnknownStepType {
                            found: other.to_owned(),
                        },
                    );
                    None
                }
            },
            Some(other) => {
                self.wrong(&at.key("type"), "a string", other);
                None
            }
            None => {
                self.push(&at, SpecProblem::Missing { key: "type" });
                None
            }
        };
        let step = match (name, kind) {
            (Some(name), Some(kind)) => Some(Step {
                name: name.to_owned(),
                kind,
            }),
            _ => None,
        };
        StepRead {
            name,
            declared,
            step,
        }
    }

    /// The required text under `key` of `entries`, checked like any name; `None` if reported.
    pub(super) fn text<'r>(
        &mut self,
        at: &At<'_>,
        entries: &'r [(String, Raw)],
        key: &'static str,
    ) -> Option<&'r str> {
        match get(entries, key) {
            Some(Raw::Str(value)) => match text::check(key, value) {
                Ok(()) => Some(value.as_str()),
                Err(e) => {
                    self.push(&at.key(key), SpecProblem::Text(e));
                    None
                }
            },
            Some(other) => {
                self.wrong(&at.key(key), "a string", other);
                None
            }
            None => {
                self.push(at, SpecProblem::Missing { key });
                None
            }
        }
    }

    pub(super) fn not_applicable(
        &mut self,
        at: &At<'_>,
        value: Option<&Raw>,
        key: &'static str,
        applies_to: &'static str,
    ) {
        if value.is_some() {
            self.push(&at.key(key), SpecProblem::NotApplicable { key, applies_to });
        }
    }

    /// A whole number from 1 to `max`.
    pub(super) fn positive(&mut self, at: &At<'_>, raw: &Raw, max: i128) -> Option<i128> {
        match raw {
            Raw::Int(n) if (1..=max).contains(n) => Some(*n),
            Raw::Int(n) if *n >= 1 => {
                self.push(at, SpecProblem::TooLarge { found: *n, max });
                None
            }
            Raw::Int(n) => {
                self.push(at, SpecProblem::NotPositive { found: *n });
                None
            }
            other => {
                self.wrong(at, "a whole number", other);
                None
            }
        }
    }

    /// A list of metric conditions at `at` (`gates`, `online`).
    pub(super) fn gates(&mut self, at: &At<'_>, raw: Option<&Raw>) -> Vec<MetricGate> {
        match raw {
            None | Some(Raw::Null) => Vec::new(),
            Some(Raw::List(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| self.condition(&at.index(i), item))
                .collect(),
            Some(other) => {
                self.wrong(at, "a list of metric conditions", other);
                Vec::new()
            }
        }
    }

    /// `{metric: accuracy, above: 0.9}` and the like.
    pub(super) fn condition(&mut self, at: &At<'_>, raw: &Raw) -> Option<MetricGate> {
        let entries = self.map(at, raw, CONDITION_KEYS)?;
        self.comparison(at, entries)
    }

    /// The metric and its one comparison of a condition's `entries`.
    pub(super) fn comparison(
        &mut self,
        at: &At<'_>,
        entries: &[(String, Raw)],
    ) -> Option<MetricGate> {
        let metric = self.text(at, entries, "metric").map(str::to_owned);
        let ops = [
            ("at_least", Comparison::AtLeast),
            ("at_most", Comparison::AtMost),
            ("above", Comparison::Above),
            ("below", Comparison::Below),
        ];
        let given: Vec<(&str, Comparison, &Raw)> = ops
            .iter()
            .filter_map(|(k, op)| get(entries, k).map(|v| (*k, *op, v)))
            .collect();
        let [(key, op, value)] = given.as_slice() else {
            self.push(at, SpecProblem::Comparison);
            return None;
        };
        let threshold = self.number(&at.key(key), value);
        Some(MetricGate::new(metric?, *op, threshold?))
    }

    /// A finite number.
    pub(super) fn number(&mut self, at: &At<'_>, raw: &Raw) -> Option<f64> {
        match raw {
            Raw::Float(x) if x.is_finite() => Some(*x),
            Raw::Float(x) => {
                self.push(at, SpecProblem::NonFinite { value: *x });
                None
            }
            // An integer a 64-bit float cannot keep exactly would be rounded, perhaps to a
            // looser threshold than the one written: refused.
            Raw::Int(n) if n.unsigned_abs() <= 1 << 53 => Some(*n as f64),
            Raw::Int(_) => {
                self.wrong(
                    at,
                    "a number a 64-bit float keeps exactly (an integer of at most 2^53)",
                    raw,
                );
                None
            }
            other => {
                self.wrong(at, "a number", other);
                None
            }
        }
    }
}
