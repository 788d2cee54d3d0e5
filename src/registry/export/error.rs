//! Why an export was not read back.

use crate::model::ChainError;
use crate::value::text::esc;

/// An export did not read back into the stored registry it claims to be; nothing was returned.
/// Every variant names the line (counting from 1, the CSV header included) and, where one is at
/// fault, the column.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The text is empty, or holds no registry row first.
    #[error(
        "the export holds no registry row on its first line; an export starts with the registry's row"
    )]
    NoRegistry,
    /// A line does not read as a row of this export's columns.
    #[error("line {line}: not a row of a modelgate export: {}", esc(.error))]
    Unreadable {
        /// The line.
        line: u64,
        /// What the reader said.
        error: String,
    },
    /// A row is not where it may be: the registry's row first and only there, each member's
    /// row before its events, its events in order.
    #[error("line {line}: {expected}")]
    Layout {
        /// The line.
        line: u64,
        /// What was expected there.
        expected: &'static str,
    },
    /// A column's value does not read as what the column holds.
    #[error("line {line}, column `{column}`: expected {expected}, found `{}`", esc(.found))]
    Column {
        /// The line.
        line: u64,
        /// The column.
        column: &'static str,
        /// What the column holds.
        expected: &'static str,
        /// What was found.
        found: String,
    },
    /// The registry's format is not the one this crate reads.
    #[error(
        "line {line}: the export's format is {found}; this version of modelgate reads format {}",
        crate::event::FORMAT_VERSION
    )]
    Format {
        /// The line.
        line: u64,
        /// The format found.
        found: u32,
    },
    /// A member's events do not chain from its header.
    #[error("line {line}: the events of version `{}` in `{}` do not chain: {error}", esc(.version), esc(.environment))]
    Chain {
        /// The line of the member's row.
        line: u64,
        /// The member's environment.
        environment: String,
        /// The member's version.
        version: String,
        /// Where the chain breaks.
        error: Box<ChainError>,
    },
    /// A row says something other than the record it stands for: a column edited after the
    /// export (an actor, a time, a verdict …), a row added or removed.
    #[error(
        "line {line}, column `{column}`: the row says `{}`, the record `{}` (edited after the export)",
        esc(.found),
        esc(.recorded)
    )]
    Differs {
        /// The line.
        line: u64,
        /// The first column that differs.
        column: &'static str,
        /// What the cell holds (as read: in CSV, as spelled in the file).
        found: String,
        /// What the record puts there.
        recorded: String,
    },
}
