//! A registry's whole record for an auditor, in JSON Lines or CSV, and read back.
//!
//! One row per line: the registry's (its sealed index: name, index head, format, seal), then
//! each member's (environment, version, approval window, head, seal), each followed by its
//! events': who, when, what, what came of it, the policy that decided and its fingerprint, the
//! chain (`prev`, `hash`) and the event itself in its stored JSON form. The same columns in
//! both formats, in this order:
//!
//! `record, registry, environment, version, seq, at, who, action, detail, policy,
//! fingerprint, prev, hash, event, approval_validity_ms, format, seal_key_id, seal`
//!
//! An auditor filters, sorts and reads the columns; [`read_json_lines`] and [`read_csv`] take
//! an export back into the [`StoredRegistry`] it came from, and refuse it, naming the line and
//! column, unless every row is exactly what that record renders: an actor, a time or a verdict
//! edited in its column (where no replay looks) is refused as surely as an edited event. What
//! they return is as trusted as a stored registry read from JSON: nothing until
//! [`StoredRegistry::restore`] verifies the seals and decides every decision again.
//!
//! In CSV, a text cell that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`,
//! `@`, a tab or a carriage return) is written with a leading `'`, as is one that starts with
//! `'`; the reader takes that `'` off, and refuses a cell that is not spelled as the writer
//! spells it: a formula cell without its guard, a guard where none belongs, a number as `+2`
//! or `02`. JSON Lines holds the text as it is (escaped in
//! `who`, `detail` and `policy`, as the audit lines show host text).
//!
//! ```
//! # use modelgate::*;
//! # use modelgate::registry::{PolicyBook, Registry, export};
//! # let t = Timestamp::from_unix_secs;
//! # let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.93)])?)?;
//! let key = HmacSealer::new("db-2026", *b"0123456789abcdef0123456789abcdef");
//! let mut registry = Registry::new("churn")?;
//! registry.put(Model::new("churn", "1")?.submit(outcome, "alice", t(10))?)?;
//! let stored = registry.sealed_by(&key)?;
//!
//! let csv = export::csv(&stored);
//! assert!(csv.starts_with("record,registry,environment,version,seq,at,who,action"));
//!
//! // The auditor, elsewhere: read it back, then restore it with the host's key and policies.
//! let back = export::read_csv(&csv)?;
//! assert_eq!(back, stored);
//! let book = PolicyBook::new().with("default", MetricGate::at_least("accuracy", 0.9));
//! let restored = back.restore(&key, &book)?;
//! assert_eq!(restored.members().count(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod read;
mod row;

pub use error::ExportError;

use row::{Row, rows};

use crate::registry::StoredRegistry;

/// The export's formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// One JSON object per line.
    JsonLines,
    /// RFC 4180 CSV with a header row.
    Csv,
}

impl Format {
    /// The export of `stored` in this format.
    pub fn write(self, stored: &StoredRegistry) -> String {
        match self {
            Self::JsonLines => json_lines(stored),
            Self::Csv => csv(stored),
        }
    }

    /// The stored registry an export in this format stands for.
    ///
    /// # Errors
    ///
    /// As [`read_json_lines`] and [`read_csv`].
    pub fn read(self, text: &str) -> Result<StoredRegistry, ExportError> {
        match self {
            Self::JsonLines => read_json_lines(text),
            Self::Csv => read_csv(text),
        }
    }
}

/// The export of `stored` in JSON Lines: one object per row, each line ending in `\n`.
pub fn json_lines(stored: &StoredRegistry) -> String {
    let mut out = String::new();
    for row in rows(stored) {
        // A row of strings, numbers and empties always serializes.
        out.push_str(&serde_json::to_string(&row).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// The stored registry a JSON Lines export stands for (see the [module](self)).
///
/// # Errors
///
/// [`ExportError`] naming the line (and column) of a row that does not read
/// ([`Unreadable`](ExportError::Unreadable), [`Column`](ExportError::Column)), is out of place
/// ([`NoRegistry`](ExportError::NoRegistry), [`Layout`](ExportError::Layout)), whose member's
/// events do not chain ([`Chain`](ExportError::Chain)), of another
/// [`Format`](ExportError::Format), or that [`Differs`](ExportError::Differs) from what the
/// record renders. Blank lines are not rows; a last line without `\n` is.
pub fn read_json_lines(text: &str) -> Result<StoredRegistry, ExportError> {
    let mut read = Vec::new();
    for (at, line) in text.lines().enumerate() {
        let line_no = u64::try_from(at).unwrap_or(u64::MAX).saturating_add(1);
        if line.trim().is_empty() {
            continue;
        }
        let row: Row = serde_json::from_str(line).map_err(|e| ExportError::Unreadable {
            line: line_no,
            error: e.to_string(),
        })?;
        read.push((line_no, row));
    }
    read::registry(read)
}

/// The characters a spreadsheet takes as the start of a formula (OWASP's list), and the quote
/// that escapes them.
const FORMULA: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The export of `stored` in CSV: a header row, then one row per line (`\n`), fields quoted
/// where they hold a comma, a quote or a line break (RFC 4180), formula-like cells guarded (see
/// the [module](self)).
pub fn csv(stored: &StoredRegistry) -> String {
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for mut row in rows(stored) {
        for text in row.texts_mut() {
            if text.starts_with(FORMULA) || text.starts_with('\'') {
                text.insert(0, '\'');
            }
        }
        // Writing to a `Vec` fails only on rows of unequal length, which one struct cannot be.
        let _ = writer.serialize(&row);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// The stored registry a CSV export stands for (see the [module](self)): the header row must
/// name this export's columns, in order.
///
/// Every cell must be the one [`csv()`] writes for the record it reads (its text, its formula
/// guard, its number's one spelling); the layout around the cells is CSV's, not the writer's:
/// a file re-saved with `\r\n` line ends, a byte-order mark, blank lines or other quoting
/// reads as the same record. Compare the bytes with [`csv()`]'s output where the file itself
/// must be the one written.
///
/// # Errors
///
/// As [`read_json_lines`]; a header of other columns is
/// [`Unreadable`](ExportError::Unreadable) on line 1.
pub fn read_csv(text: &str) -> Result<StoredRegistry, ExportError> {
    let cells = csv_records(text)?;
    let mut read = Vec::with_capacity(cells.len());
    for (line, record) in &cells {
        let mut row: Row =
            record
                .deserialize(Some(&header()))
                .map_err(|e| ExportError::Unreadable {
                    line: *line,
                    error: e.to_string(),
                })?;
        for text in row.texts_mut() {
            if text.starts_with('\'') {
                text.remove(0);
            }
        }
        read.push((*line, row));
    }
    let stored = read::registry(read)?;
    // The rows say what the record says; the cells must also be the ones it writes: a guard
    // where (and only where) a spreadsheet would run the cell, numbers in their one spelling.
    let written = csv_records(&csv(&stored))?;
    for ((line, cells), (_, expected)) in cells.iter().zip(&written) {
        if let Some(at) = (0..COLUMNS.len()).find(|&i| cells.get(i) != expected.get(i)) {
            return Err(ExportError::Differs {
                line: *line,
                column: COLUMNS.get(at).copied().unwrap_or("record"),
                found: cells.get(at).unwrap_or_default().to_owned(),
                recorded: expected.get(at).unwrap_or_default().to_owned(),
            });
        }
    }
    Ok(stored)
}

fn header() -> ::csv::StringRecord {
    ::csv::StringRecord::from(COLUMNS.to_vec())
}

/// The records of a CSV export after its header, each with its line.
fn csv_records(text: &str) -> Result<Vec<(u64, ::csv::StringRecord)>, ExportError> {
    let mut reader = ::csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| ExportError::Unreadable {
        line: 1,
        error: e.to_string(),
    })?;
    if *headers != header() {
        return Err(ExportError::Unreadable {
            line: 1,
            error: format!("the header row must be `{}`", COLUMNS.join(",")),
        });
    }
    reader
        .records()
        .map(|record| {
            let record = record.map_err(|e| ExportError::Unreadable {
                line: e.position().map_or(0, ::csv::Position::line),
                error: e.to_string(),
            })?;
            Ok((record.position().map_or(0, ::csv::Position::line), record))
        })
        .collect()
}

/// The columns, in order.
const COLUMNS: [&str; 18] = [
    "record",
    "registry",
    "environment",
    "version",
    "seq",
    "at",
    "who",
    "action",
    "detail",
    "policy",
    "fingerprint",
    "prev",
    "hash",
    "event",
    "approval_validity_ms",
    "format",
    "seal_key_id",
    "seal",
];
