//! Rows back into the stored registry they stand for: built from the columns that carry the
//! record (headers, events, seals), then rendered again and compared row by row, so that no
//! column an auditor reads can say anything else than the record.

use std::time::Duration;

use super::error::ExportError;
use super::row::{Record, Row, rows};
use crate::event::{Event, EventKind, FORMAT_VERSION, Head};
use crate::model::Trail;
use crate::registry::StoredRegistry;
use crate::trail::{Seal, StoredModel, hex_bytes};
use crate::value::{Environment, Timestamp};

/// `rows`, each with its line, back into the stored registry, checked to render as exactly
/// these rows.
pub(super) fn registry(rows_read: Vec<(u64, Row)>) -> Result<StoredRegistry, ExportError> {
    let mut lines = rows_read.iter().peekable();
    let (line, first) = lines.next().ok_or(ExportError::NoRegistry)?;
    if first.record != Record::Registry {
        return Err(ExportError::NoRegistry);
    }
    match first.format {
        Some(FORMAT_VERSION) => {}
        Some(found) => return Err(ExportError::Format { line: *line, found }),
        None => return Err(column(*line, "format", "the stored format (a number)", "")),
    }
    let seal = seal(*line, first)?;
    let mut members = Vec::new();
    while let Some((line, row)) = lines.next() {
        if row.record != Record::Member {
            return Err(ExportError::Layout {
                line: *line,
                expected: "a member's row (each member's events follow its row)",
            });
        }
        let mut events = Vec::new();
        while let Some((event_line, event_row)) = lines.next_if(|(_, r)| r.record == Record::Event)
        {
            if (&event_row.environment, &event_row.version) != (&row.environment, &row.version) {
                return Err(ExportError::Layout {
                    line: *event_line,
                    expected: "an event of the member above (each member's events follow its row)",
                });
            }
            events.push(event(*event_line, event_row)?);
        }
        members.push(member(*line, &first.registry, row, events)?);
    }
    let stored = StoredRegistry::from_parts(first.registry.clone(), members, seal);
    compare(&stored, &rows_read)?;
    Ok(stored)
}

fn column(line: u64, column: &'static str, expected: &'static str, found: &str) -> ExportError {
    ExportError::Column {
        line,
        column,
        expected,
        found: found.to_owned(),
    }
}

fn seal(line: u64, row: &Row) -> Result<Option<Seal>, ExportError> {
    if row.seal_key_id.is_empty() && row.seal.is_empty() {
        return Ok(None);
    }
    if row.seal_key_id.is_empty() {
        return Err(column(
            line,
            "seal_key_id",
            "the id of the key that made the seal",
            "",
        ));
    }
    let bytes = hex_bytes(&row.seal)
        .filter(|bytes| !bytes.is_empty())
        .ok_or_else(|| column(line, "seal", "the seal's bytes in lowercase hex", &row.seal))?;
    Ok(Some(Seal::new(row.seal_key_id.clone(), bytes)))
}

fn event(line: u64, row: &Row) -> Result<Event, ExportError> {
    let seq = row
        .seq
        .ok_or_else(|| column(line, "seq", "the event's sequence number", ""))?;
    let at: Timestamp = row
        .at
        .parse()
        .map_err(|_| column(line, "at", "a time in RFC 3339, UTC", &row.at))?;
    let prev: Head = row
        .prev
        .parse()
        .map_err(|_| column(line, "prev", "a head: 64 lowercase hex digits", &row.prev))?;
    let kind: EventKind = serde_json::from_str(&row.event).map_err(|_| {
        column(
            line,
            "event",
            "an event in its stored JSON form",
            &row.event,
        )
    })?;
    Ok(Event::from_parts(seq, at, prev, kind))
}

fn member(
    line: u64,
    name: &str,
    row: &Row,
    events: Vec<Event>,
) -> Result<StoredModel, ExportError> {
    if let Some(found) = row.format {
        return Err(ExportError::Format { line, found });
    }
    let mut environment = Environment::new(&row.environment).map_err(|_| {
        column(
            line,
            "environment",
            "an environment's name",
            &row.environment,
        )
    })?;
    if let Some(ms) = row.approval_validity_ms {
        environment = environment.with_approval_validity(Duration::from_millis(ms));
    }
    let trail =
        Trail::from_parts(name, row.version.clone(), environment, events).map_err(|refused| {
            ExportError::Chain {
                line,
                environment: row.environment.clone(),
                version: row.version.clone(),
                error: Box::new(refused.into_error()),
            }
        })?;
    Ok(StoredModel::new(trail, seal(line, row)?))
}

/// Checks that `stored` renders as exactly `read`, naming the first row and column that does
/// not.
fn compare(stored: &StoredRegistry, read: &[(u64, Row)]) -> Result<(), ExportError> {
    let rendered = rows(stored);
    for (at, (line, row)) in read.iter().enumerate() {
        let difference = match rendered.get(at) {
            Some(recorded) => row.first_difference(recorded),
            None => Some(("record", format!("{:?}", row.record), String::new())),
        };
        if let Some((column, found, recorded)) = difference {
            return Err(ExportError::Differs {
                line: *line,
                column,
                found,
                recorded,
            });
        }
    }
    Ok(())
}
