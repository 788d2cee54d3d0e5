//! One row of an export, and the rows of a stored registry: the columns an auditor reads, each
//! derived from the stored record.

use serde::{Deserialize, Serialize};

use crate::event::{Event, EventKind, FORMAT_VERSION};
use crate::registry::StoredRegistry;
use crate::trail::{Seal, StoredModel};

/// What a row is: the registry (its sealed index), a member (its header and seal), or one of a
/// member's events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Record {
    Registry,
    Member,
    Event,
}

/// One row, the same columns in JSON Lines and CSV (in this order). Columns a row's record does
/// not have are empty.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Row {
    pub(super) record: Record,
    /// The registry's name (every row).
    pub(super) registry: String,
    pub(super) environment: String,
    pub(super) version: String,
    pub(super) seq: Option<u64>,
    /// RFC 3339, UTC.
    pub(super) at: String,
    /// Who: the actor, as the audit line shows it.
    pub(super) who: String,
    /// What: the event's action.
    pub(super) action: String,
    /// What came of it (the vote and comment, the verdict …), escaped.
    pub(super) detail: String,
    /// The policy that decided (a decision's row).
    pub(super) policy: String,
    /// That policy's fingerprint, when recorded.
    pub(super) fingerprint: String,
    pub(super) prev: String,
    /// An event's hash; a member's head; the registry's index head.
    pub(super) hash: String,
    /// The event's kind in the stored JSON form: what an export is read back from.
    pub(super) event: String,
    pub(super) approval_validity_ms: Option<u64>,
    /// The stored format (the registry's row).
    pub(super) format: Option<u32>,
    pub(super) seal_key_id: String,
    /// The seal's bytes, lowercase hex.
    pub(super) seal: String,
}

impl Row {
    fn empty(record: Record, registry: &str) -> Self {
        Self {
            record,
            registry: registry.to_owned(),
            environment: String::new(),
            version: String::new(),
            seq: None,
            at: String::new(),
            who: String::new(),
            action: String::new(),
            detail: String::new(),
            policy: String::new(),
            fingerprint: String::new(),
            prev: String::new(),
            hash: String::new(),
            event: String::new(),
            approval_validity_ms: None,
            format: None,
            seal_key_id: String::new(),
            seal: String::new(),
        }
    }

    /// The row's cells, named by column, as text (an empty number is empty).
    fn cells(&self) -> [(&'static str, String); 18] {
        let number = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
        let record = match self.record {
            Record::Registry => "registry",
            Record::Member => "member",
            Record::Event => "event",
        };
        [
            ("record", record.to_owned()),
            ("registry", self.registry.clone()),
            ("environment", self.environment.clone()),
            ("version", self.version.clone()),
            ("seq", number(self.seq)),
            ("at", self.at.clone()),
            ("who", self.who.clone()),
            ("action", self.action.clone()),
            ("detail", self.detail.clone()),
            ("policy", self.policy.clone()),
            ("fingerprint", self.fingerprint.clone()),
            ("prev", self.prev.clone()),
            ("hash", self.hash.clone()),
            ("event", self.event.clone()),
            ("approval_validity_ms", number(self.approval_validity_ms)),
            ("format", number(self.format.map(u64::from))),
            ("seal_key_id", self.seal_key_id.clone()),
            ("seal", self.seal.clone()),
        ]
    }

    /// The first column in which `self` and `recorded` differ, if any, with what each holds.
    pub(super) fn first_difference(
        &self,
        recorded: &Self,
    ) -> Option<(&'static str, String, String)> {
        self.cells()
            .into_iter()
            .zip(recorded.cells())
            .find(|((_, found), (_, expected))| found != expected)
            .map(|((column, found), (_, expected))| (column, found, expected))
    }

    /// Every text column, to guard or unguard for spreadsheets.
    pub(super) fn texts_mut(&mut self) -> [&mut String; 14] {
        [
            &mut self.registry,
            &mut self.environment,
            &mut self.version,
            &mut self.at,
            &mut self.who,
            &mut self.action,
            &mut self.detail,
            &mut self.policy,
            &mut self.fingerprint,
            &mut self.prev,
            &mut self.hash,
            &mut self.event,
            &mut self.seal_key_id,
            &mut self.seal,
        ]
    }
}

/// The rows of `stored`: the registry's, then each member's and its events', in the stored
/// order.
pub(super) fn rows(stored: &StoredRegistry) -> Vec<Row> {
    let name = stored.name();
    let mut out = Vec::with_capacity(
        1 + stored
            .members()
            .iter()
            .map(|m| 1 + m.events().len())
            .sum::<usize>(),
    );
    let mut registry = Row::empty(Record::Registry, name);
    registry.hash = stored.index().to_string();
    registry.format = Some(stored.format_version());
    seal_columns(&mut registry, stored.seal());
    out.push(registry);
    for member in stored.members() {
        out.push(member_row(name, member));
        for event in member.events() {
            out.push(event_row(name, member, event));
        }
    }
    out
}

fn seal_columns(row: &mut Row, seal: Option<&Seal>) {
    if let Some(seal) = seal {
        row.seal_key_id = seal.key_id().to_owned();
        row.seal = seal.value().iter().map(|b| format!("{b:02x}")).collect();
    }
}

fn member_row(name: &str, member: &StoredModel) -> Row {
    let mut row = Row::empty(Record::Member, name);
    row.environment = member.environment().name().to_owned();
    row.version = member.version().to_owned();
    row.approval_validity_ms = member
        .environment()
        .approval_validity()
        .map(|w| u64::try_from(w.as_millis()).unwrap_or(u64::MAX));
    row.hash = member.head().to_string();
    // A member of another format is refused on the way back (its format is the registry's).
    if member.format_version() != FORMAT_VERSION {
        row.format = Some(member.format_version());
    }
    seal_columns(&mut row, member.seal());
    row
}

fn event_row(name: &str, member: &StoredModel, event: &Event) -> Row {
    let mut row = Row::empty(Record::Event, name);
    row.environment = member.environment().name().to_owned();
    row.version = member.version().to_owned();
    row.seq = Some(event.seq());
    row.at = event.at().to_string();
    row.who = event.actor().to_string();
    row.action = event.action().to_owned();
    row.detail = event.detail();
    if let EventKind::Decided {
        policy,
        fingerprint,
        ..
    } = event.kind()
    {
        row.policy = crate::value::text::esc(policy).to_string();
        row.fingerprint = fingerprint
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
    }
    row.prev = event.prev().to_string();
    row.hash = event.hash().to_string();
    // An event kind always serializes (string keys, numbers, strings); were it ever not to,
    // the empty column would not read back, and the export would be refused, not trusted.
    row.event = serde_json::to_string(event.kind()).unwrap_or_default();
    row
}
