//! Problems a policy has before it ever sees a model: rules that can never be satisfied.

use std::fmt;

use crate::value::text::Escaped;

/// A problem found in a policy by [`PolicyExt::lints`](crate::PolicyExt::lints): a rule that can
/// never be satisfied, or a threshold that is not a number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lint {
    rule: String,
    message: String,
}

impl Lint {
    /// A problem in the rule named `rule`.
    pub fn new(rule: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            rule: rule.into(),
            message: message.into(),
        }
    }

    /// The name of the rule with the problem.
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Lint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", Escaped(&self.rule), Escaped(&self.message))
    }
}
