//! Validation of the short texts a host hands in: names, versions, ids, roles, digests.

use std::fmt;

/// The longest text accepted for a name, version, id, role or digest, in bytes.
pub const MAX_LEN: usize = 256;

/// What is wrong with a piece of text.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TextProblem {
    /// The text is empty.
    Empty,
    /// The text contains a control character (such as a newline).
    ControlCharacter,
    /// The text is longer than 256 bytes.
    TooLong {
        /// The length found, in bytes.
        len: usize,
    },
}

/// A name, version, id, role or digest that is empty, holds a control character or is too long.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} {value}{problem}")]
pub struct TextError {
    field: &'static str,
    value: Shown,
    problem: TextProblem,
}

impl TextError {
    /// The field that was refused, e.g. `name` or `reviewer`.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What is wrong with it.
    pub fn problem(&self) -> &TextProblem {
        &self.problem
    }
}

impl fmt::Display for TextProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("must not be empty"),
            Self::ControlCharacter => f.write_str("must not contain control characters"),
            Self::TooLong { len } => {
                write!(f, "is {len} bytes long; at most {MAX_LEN} are allowed")
            }
        }
    }
}

/// The refused value as shown in a message: escaped, shortened, in backticks.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Shown(String);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return Ok(());
        }
        let escaped: String = self
            .0
            .chars()
            .flat_map(char::escape_debug)
            .take(40)
            .collect();
        let more = if self
            .0
            .chars()
            .flat_map(char::escape_debug)
            .nth(40)
            .is_some()
        {
            "…"
        } else {
            ""
        };
        write!(f, "`{escaped}{more}` ")
    }
}

/// Checks one field: non-empty, no control characters, at most [`MAX_LEN`] bytes.
pub(crate) fn check(field: &'static str, value: &str) -> Result<(), TextError> {
    let problem = if value.is_empty() {
        TextProblem::Empty
    } else if value.chars().any(char::is_control) {
        TextProblem::ControlCharacter
    } else if value.len() > MAX_LEN {
        TextProblem::TooLong { len: value.len() }
    } else {
        return Ok(());
    };
    Err(TextError {
        field,
        value: Shown(value.to_owned()),
        problem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_text_and_refuses_the_rest() {
        assert!(check("name", "fraud-detector").is_ok());
        assert!(check("name", &"x".repeat(MAX_LEN)).is_ok());
        assert_eq!(
            check("name", "").map_err(|e| e.problem),
            Err(TextProblem::Empty)
        );
        assert_eq!(
            check("name", "a\nb").map_err(|e| e.problem),
            Err(TextProblem::ControlCharacter)
        );
        assert_eq!(
            check("name", &"x".repeat(MAX_LEN + 1)).map_err(|e| e.problem),
            Err(TextProblem::TooLong { len: MAX_LEN + 1 })
        );
    }
}
