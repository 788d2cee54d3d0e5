//! What is wrong with a pipeline spec: every problem, each with its step and path.

use std::fmt;

use crate::value::TextError;
use crate::value::text::esc;

/// For a list of names by its key: what one entry is called, what the list holds, and what one
/// entry is.
fn names(key: &str) -> (&'static str, &'static str, &'static str) {
    match key {
        "users" => ("user", "user ids", "user id"),
        "roles" => ("role", "roles", "role"),
        "required_roles" => ("required role", "roles", "role"),
        _ => ("approver", "user ids or roles", "user id or role"),
    }
}

/// One problem in a pipeline spec.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecProblem {
    /// A required key is missing.
    #[error("`{key}` is missing")]
    Missing {
        /// The key.
        key: &'static str,
    },
    /// A value has the wrong type.
    #[error("must be {expected}, found {found}")]
    WrongType {
        /// What was expected, e.g. "a list".
        expected: &'static str,
        /// What was found.
        found: &'static str,
    },
    /// A list of names (`approvers`, `users`, `roles`, `required_roles`) was given as one
    /// string: the step would never pause for the people meant.
    #[error(
        "`{key}` must be a list of {}: write `{key}: ['{}']`",
        names(.key).1,
        esc(.single)
    )]
    ApproversNotAList {
        /// The key of the list.
        key: &'static str,
        /// The string that was given.
        single: String,
    },
    /// A key that this place does not take.
    #[error("unknown key `{}`; {allowed}", esc(.key))]
    UnknownKey {
        /// The key found.
        key: String,
        /// What is allowed here, in words.
        allowed: String,
    },
    /// A step type that does not exist.
    #[error(
        "unknown step type `{}`; expected one of `training`, `test`, `approval`, `deploy`",
        esc(.found)
    )]
    UnknownStepType {
        /// The type found.
        found: String,
    },
    /// An `on_reject` that does not exist.
    #[error("unknown on_reject `{}`; expected `retrain` or `fail_pipeline`", esc(.found))]
    UnknownOnReject {
        /// The value found.
        found: String,
    },
    /// Two steps have the same name.
    #[error("step name `{}` is already used by step {first}", esc(.name))]
    DuplicateName {
        /// The name.
        name: String,
        /// The position (from 1) of the first step with that name.
        first: usize,
    },
    /// An approver is listed twice.
    #[error("{} `{}` is listed twice", names(.key).0, esc(.name))]
    DuplicateApprover {
        /// The key of the list.
        key: &'static str,
        /// The approver.
        name: String,
    },
    /// Two approvers of one list are one identity: their names look alike (one confusable
    /// skeleton, UTS #39), so they would count as one approver.
    #[error(
        "{}s `{}` and `{}` look alike (one confusable skeleton), so they are one {0}; \
         list each {0} once",
        names(.key).0,
        esc(.first),
        esc(.second)
    )]
    LookAlikeApprovers {
        /// The key of the list.
        key: &'static str,
        /// The earlier entry.
        first: String,
        /// The later entry, which looks like the earlier.
        second: String,
    },
    /// A list of names is empty.
    #[error("the {} list is empty; name at least one {}", names(.key).0, names(.key).2)]
    EmptyApprovers {
        /// The key of the list.
        key: &'static str,
    },
    /// More approvals are required than approvers are named.
    #[error("requires {required} approvals but names only {approvers} approvers")]
    RequiredTooLarge {
        /// Approvals required.
        required: i128,
        /// Approvers named.
        approvers: usize,
    },
    /// A count that must be at least 1 is not.
    #[error("must be at least 1, found {found}")]
    NotPositive {
        /// The value found.
        found: i128,
    },
    /// A whole number too large for what it counts.
    #[error("must be at most {max}, found {found}")]
    TooLarge {
        /// The value found.
        found: i128,
        /// The largest value allowed.
        max: i128,
    },
    /// `on_reject: retrain` in a pipeline without a training step.
    #[error(
        "`on_reject: retrain` needs a training step to go back to; add one, or use `fail_pipeline`"
    )]
    RetrainWithoutTraining,
    /// A threshold that is NaN or infinite.
    #[error("threshold {value} is not a finite number")]
    NonFinite {
        /// The value found.
        value: f64,
    },
    /// A metric condition without exactly one comparison.
    #[error("a metric condition needs exactly one of `at_least`, `at_most`, `above`, `below`")]
    Comparison,
    /// An approval step with neither approvers nor automatic approval would never approve.
    #[error(
        "an approval step needs approvers (`users`, `roles`, `approvers`, `required_roles` or \
         `policy`) or `auto_approve` in its inputs"
    )]
    NoApprovers,
    /// A rule of `policy:` is not a map with one key naming a rule.
    #[error("a rule is a map with one key, one of {rules}; found {}", esc(.found))]
    NotARule {
        /// The names a rule can take.
        rules: &'static str,
        /// What was found.
        found: String,
    },
    /// A text that is not one of the words the key takes.
    #[error("must be {expected}, found `{}`", esc(.found))]
    NotOneOf {
        /// The words the key takes.
        expected: &'static str,
        /// The text found.
        found: String,
    },
    /// Rules nested deeper than a document may.
    #[error("rules nest at most {max} deep")]
    TooDeep {
        /// The deepest nesting read.
        max: usize,
    },
    /// A whole number below zero.
    #[error("must be zero or more, found {found}")]
    Negative {
        /// The value found.
        found: i128,
    },
    /// A duration with none of its units.
    #[error("a duration needs `hours`, `minutes`, `seconds` or `nanoseconds`")]
    NoDuration,
    /// A duration too long to hold.
    #[error("the duration is too long")]
    DurationTooLong,
    /// A range whose minimum is above its maximum.
    #[error("the range [{min}, {max}] is empty: its minimum is above its maximum")]
    EmptyRange {
        /// The minimum.
        min: f64,
        /// The maximum.
        max: f64,
    },
    /// `no_regression` with both tolerances.
    #[error("give one tolerance: `absolute` or `relative`, not both")]
    TwoTolerances,
    /// A negative tolerance.
    #[error("a tolerance must be zero or more, found {value}")]
    NegativeTolerance {
        /// The value found.
        value: f64,
    },
    /// The older `approvers:` list beside `users:` or `roles:`: one step names its approvers
    /// one way.
    #[error(
        "`approvers` matches each name as a user id and as a role; it cannot stand beside \
         `users` or `roles`: move its names into those"
    )]
    ApproversBesideUsersOrRoles,
    /// A deploy step before any approval step.
    #[error("a deploy step must come after the approval step")]
    DeployBeforeApproval,
    /// A step in a place the pipeline order does not allow.
    #[error("a {kind} step must come {rule}")]
    Order {
        /// The step type.
        kind: &'static str,
        /// Where it must come.
        rule: &'static str,
    },
    /// A step type the pipeline needs is missing.
    #[error("the pipeline has no {kind} step")]
    MissingStep {
        /// The step type.
        kind: &'static str,
    },
    /// More than one step of a type that must be unique.
    #[error("only one {kind} step is supported; step {first} is one already")]
    TooMany {
        /// The step type.
        kind: &'static str,
        /// The position (from 1) of the first one.
        first: usize,
    },
    /// A key that only some steps take.
    #[error("`{key}` applies only to {applies_to}")]
    NotApplicable {
        /// The key.
        key: &'static str,
        /// Where it applies.
        applies_to: &'static str,
    },
    /// An invalid name or approver.
    #[error("{0}")]
    Text(TextError),
}

/// One problem in a pipeline spec, with the step it is in (if any) and its path.
#[derive(Clone, Debug, PartialEq)]
pub struct SpecError {
    step: Option<String>,
    path: String,
    problem: SpecProblem,
}

impl SpecError {
    pub(crate) fn new(step: Option<String>, path: String, problem: SpecProblem) -> Self {
        Self {
            step,
            path,
            problem,
        }
    }

    /// The name of the step the problem is in, if it is in a named step.
    pub fn step(&self) -> Option<&str> {
        self.step.as_deref()
    }

    /// Where in the document, e.g. `steps[2].inputs.approvers`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong.
    pub fn problem(&self) -> &SpecProblem {
        &self.problem
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.step {
            Some(step) => write!(f, "step `{step}` at `{}`: {}", self.path, self.problem),
            None => write!(f, "at `{}`: {}", self.path, self.problem),
        }
    }
}

impl std::error::Error for SpecError {}

/// Every problem found in a pipeline spec (never empty).
#[derive(Clone, Debug, PartialEq)]
pub struct SpecErrors(pub(crate) Vec<SpecError>);

impl SpecErrors {
    /// The problems, in document order.
    pub fn errors(&self) -> &[SpecError] {
        &self.0
    }
}

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "invalid pipeline spec ({n} problem{}):",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.0 {
            write!(f, "\n  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecErrors {}
