//! What is wrong with a pipeline spec: every problem, each with its step and path.

use std::fmt;

use crate::value::TextError;
use crate::value::text::esc;

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
    /// `approvers` was given as one string: the step would never pause for the people meant.
    #[error(
        "`approvers` must be a list of user ids or roles: write `approvers: ['{}']`",
        esc(.single)
    )]
    ApproversNotAList {
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
    #[error("approver `{}` is listed twice", esc(.name))]
    DuplicateApprover {
        /// The approver.
        name: String,
    },
    /// Two approvers of one list are one identity: their names look alike (one confusable
    /// skeleton, UTS #39), so they would count as one approver.
    #[error(
        "approvers `{}` and `{}` look alike (one confusable skeleton), so they are one approver; \
         list each approver once",
        esc(.first),
        esc(.second)
    )]
    LookAlikeApprovers {
        /// The earlier entry.
        first: String,
        /// The later entry, which looks like the earlier.
        second: String,
    },
    /// The approver list is empty.
    #[error("the approver list is empty; name at least one user id or role")]
    EmptyApprovers,
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
    #[error("an approval step needs `approvers` or `auto_approve` in its inputs")]
    NoApprovers,
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
