//! Why a store operation failed: one error enum per operation.

use modelgate::model::RecordError;
use modelgate::trail::SealError;
use modelgate::{Head, RestoreError, RunError, Status};

use crate::ModelKey;

mod log;
mod membership;
mod registry;
mod reseal;
mod transact;

pub use log::{AnchorError, LogError};
pub use membership::{AdoptRegistryError, MembershipError};
pub use registry::{LoadRegistryError, SaveRegistryError};
pub use reseal::ResealError;
pub use transact::TransactError;

/// The database failed (connection, I/O, a constraint the store did not expect …). The
/// operation had no effect: every write is one transaction.
#[derive(Debug, thiserror::Error)]
#[error("database error: {0}")]
pub struct DatabaseError(#[from] pub(crate) sqlx::Error);

impl DatabaseError {
    /// The database client's error.
    pub fn source_error(&self) -> &sqlx::Error {
        &self.0
    }
}

/// A store could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The URL names no backend this build has.
    #[error(
        "unsupported database url `{}`: expected `sqlite:…` (feature `sqlite`) or `postgres://…` (feature `postgres`)",
        .url.escape_debug()
    )]
    UnsupportedUrl {
        /// The URL, without its password.
        url: String,
    },
    /// The database was written by a newer version of this crate: its schema is newer than
    /// the newest this version knows. Nothing was changed.
    #[error(
        "the database schema is at version {found}, newer than version {supported} that this version of modelgate-store knows; upgrade modelgate-store"
    )]
    NewerSchema {
        /// The schema version found.
        found: i64,
        /// The newest schema version this crate knows.
        supported: i64,
    },
    /// The log's tree hashes could not be backfilled from its leaves (a row that is no leaf).
    #[error("cannot backfill the log's tree hashes: {0}")]
    Backfill(#[source] LogError),
    /// Connecting or migrating failed.
    #[error(transparent)]
    Database(#[from] DatabaseError),
}

/// A model could not be created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CreateError {
    /// A model with this key is already stored; nothing was written.
    #[error("model `{key}` is already stored")]
    Exists {
        /// The model's key.
        key: ModelKey,
    },
    /// The host's sealer failed; nothing was written.
    #[error("model `{key}`: {error}")]
    Seal {
        /// The model's key.
        key: ModelKey,
        /// The sealer's error.
        error: SealError,
    },
    /// An event could not be encoded; nothing was written.
    #[error("model `{key}`: event {seq} cannot be encoded: {}", .error.escape_debug())]
    Encode {
        /// The model's key.
        key: ModelKey,
        /// The event's sequence number.
        seq: u64,
        /// Why.
        error: String,
    },
    /// A value of the model's header is larger than the database's 64-bit integers hold (an
    /// approval window of more than 292 million years: leave the window out for one that never
    /// lapses). Stored as another value, the trail would never load again; nothing was written.
    #[error(
        "model `{key}`: {field} {value} is larger than the database stores (at most {})",
        i64::MAX
    )]
    OutOfRange {
        /// The model's key.
        key: ModelKey,
        /// The field (`approval_validity_ms`).
        field: &'static str,
        /// Its value.
        value: u64,
    },
    /// The database failed; nothing was written.
    #[error("model `{key}`: {error}")]
    Database {
        /// The model's key.
        key: ModelKey,
        /// The database's error.
        error: DatabaseError,
    },
}

/// Events could not be appended; nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppendError {
    /// No model with this key is stored.
    #[error("model `{key}` is not stored")]
    NotFound {
        /// The model's key.
        key: ModelKey,
    },
    /// Compare-and-swap failed: another writer appended since the caller read the model. Load
    /// it again (its head is `head`), redo the change and append again.
    #[error(
        "model `{key}` changed: expected head `{expected}`, but it is at `{head}` (revision {revision})"
    )]
    Conflict {
        /// The model's key.
        key: ModelKey,
        /// The head the caller expected.
        expected: Head,
        /// The stored head now.
        head: Head,
        /// The stored revision now (the number of events).
        revision: u64,
    },
    /// The trail handed in does not pass through the expected head: it is not a continuation
    /// of the state the caller read.
    #[error("model `{key}`: the trail does not continue from head `{expected}`")]
    NotAContinuation {
        /// The model's key.
        key: ModelKey,
        /// The head the caller expected.
        expected: Head,
    },
    /// The trail handed in has no event after the expected head.
    #[error("model `{key}`: nothing to append after head `{expected}`")]
    NothingToAppend {
        /// The model's key.
        key: ModelKey,
        /// The head the caller expected.
        expected: Head,
    },
    /// The stored head is not a head: the models row was edited.
    #[error("model `{key}`: the stored head `{}` is not a hash", .head.escape_debug())]
    BadStoredHead {
        /// The model's key.
        key: ModelKey,
        /// The stored text.
        head: String,
    },
    /// The host's sealer failed.
    #[error("model `{key}`: {error}")]
    Seal {
        /// The model's key.
        key: ModelKey,
        /// The sealer's error.
        error: SealError,
    },
    /// An event could not be encoded.
    #[error("model `{key}`: event {seq} cannot be encoded: {}", .error.escape_debug())]
    Encode {
        /// The model's key.
        key: ModelKey,
        /// The event's sequence number.
        seq: u64,
        /// Why.
        error: String,
    },
    /// The model is a registry member, and its registry's members as stored disagree with the
    /// sealed index (the rows were changed without the key): nothing is written over them.
    #[error("model `{key}`: {error}")]
    Membership {
        /// The model's key.
        key: ModelKey,
        /// How the members disagree with the index.
        error: MembershipError,
    },
    /// The database failed.
    #[error("model `{key}`: {error}")]
    Database {
        /// The model's key.
        key: ModelKey,
        /// The database's error.
        error: DatabaseError,
    },
}

/// A stored model could not be loaded: it is missing, or its rows do not verify. A record that
/// does not verify is never returned, and nothing is deleted or rewritten to "repair" it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// No model with this key is stored.
    #[error("model `{key}` is not stored")]
    NotFound {
        /// The model's key.
        key: ModelKey,
    },
    /// An event row is missing from the middle of the trail (a row was deleted).
    #[error("model `{key}`: event {seq} is missing from the stored trail")]
    MissingEvent {
        /// The model's key.
        key: ModelKey,
        /// The sequence number of the first missing event.
        seq: u64,
    },
    /// The trail ends before the stored head: its last events are missing (the events table
    /// was rolled back, or its last rows deleted).
    #[error(
        "model `{key}`: the stored trail ends at event {found}, but the model is at revision {revision}"
    )]
    TrailTooShort {
        /// The model's key.
        key: ModelKey,
        /// The revision the models row records.
        revision: u64,
        /// The number of events stored.
        found: u64,
    },
    /// The trail goes on past the stored head: the models row points at an older state (it
    /// was rolled back).
    #[error(
        "model `{key}`: the stored trail has {found} events, but the model is at revision {revision}: its head was rolled back"
    )]
    TrailTooLong {
        /// The model's key.
        key: ModelKey,
        /// The revision the models row records.
        revision: u64,
        /// The number of events stored.
        found: u64,
    },
    /// The stored events end at another head than the models row records: an event was
    /// changed, or the row's head was.
    #[error(
        "model `{key}`: the stored events end at `{trail}`, but the model's head is `{}`",
        .head.escape_debug()
    )]
    HeadMismatch {
        /// The model's key.
        key: ModelKey,
        /// The head the models row records.
        head: String,
        /// The head of the stored events.
        trail: Head,
    },
    /// A stored row cannot be read as what it should hold.
    #[error("model `{key}`: stored {what} cannot be read: {}", .error.escape_debug())]
    Unreadable {
        /// The model's key.
        key: ModelKey,
        /// What (`event 3`, `seal` …).
        what: String,
        /// Why.
        error: String,
    },
    /// The stored trail does not verify or replay: its chain, its seal (a trail edited and
    /// re-chained by someone without the key), or a transition (or the pipeline) refuses it.
    #[error("model `{key}`: {error}")]
    Refused {
        /// The model's key.
        key: ModelKey,
        /// The core's error (boxed: it is large, and rare).
        error: Box<RestoreError>,
    },
    /// The database failed.
    #[error("model `{key}`: {error}")]
    Database {
        /// The model's key.
        key: ModelKey,
        /// The database's error.
        error: DatabaseError,
    },
}

impl LoadError {
    /// The key of the model that could not be loaded.
    pub fn key(&self) -> &ModelKey {
        match self {
            Self::NotFound { key }
            | Self::MissingEvent { key, .. }
            | Self::TrailTooShort { key, .. }
            | Self::TrailTooLong { key, .. }
            | Self::HeadMismatch { key, .. }
            | Self::Unreadable { key, .. }
            | Self::Refused { key, .. }
            | Self::Database { key, .. } => key,
        }
    }
}

/// A vote could not be recorded; nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VoteError {
    /// The model could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The model is not waiting for votes.
    #[error("model `{key}` is {status}, not waiting for votes")]
    NotSubmitted {
        /// The model's key.
        key: ModelKey,
        /// Its status.
        status: Status,
    },
    /// The model refused the vote.
    #[error("model `{key}`: {error}")]
    Refused {
        /// The model's key.
        key: ModelKey,
        /// Why (boxed: it is large).
        error: Box<RecordError>,
    },
    /// The run refused the vote.
    #[error("run `{key}`: {error}")]
    RunRefused {
        /// The run's key.
        key: ModelKey,
        /// Why (boxed: it is large).
        error: Box<RunError>,
    },
    /// Other writers got there first every time, `attempts` times in a row.
    #[error(
        "model `{key}`: other writers changed it {attempts} times in a row; the vote was not recorded"
    )]
    Contended {
        /// The model's key.
        key: ModelKey,
        /// How many times compare-and-swap failed.
        attempts: u32,
    },
    /// Appending the vote failed for another reason than a conflict.
    #[error(transparent)]
    Append(AppendError),
}

/// A query failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// A models row holds a value that is not what the column should hold.
    #[error("model `{key}`: stored {column} `{}` cannot be read", .value.escape_debug())]
    Unreadable {
        /// The model's key.
        key: ModelKey,
        /// The column.
        column: &'static str,
        /// The stored text.
        value: String,
    },
    /// A model's approvers rows are stored without a seal (set by hand, or before schema
    /// version 2): a reviewer's queue does not route by them. Set them again with
    /// [`Store::set_approvers`](crate::Store::set_approvers).
    #[error("model `{key}`: its approvers are stored without a seal; set them again")]
    UnsealedApprovers {
        /// The model's key.
        key: ModelKey,
    },
    /// A model's approvers rows are not the set the host sealed: rows were added, deleted or
    /// edited, or copied from another model, without the key.
    #[error("model `{key}`: the stored approvers do not verify: {error}")]
    ForgedApprovers {
        /// The model's key.
        key: ModelKey,
        /// The verifier's error.
        error: SealError,
    },
    /// A model a reviewer's queue would list has a stored trail that does not verify (the
    /// error names it): it is not routed to anyone.
    #[error(transparent)]
    Trail {
        /// Why, naming the model.
        error: Box<LoadError>,
    },
    /// A listed model's row says something its verified trail does not (a column edited
    /// without the key): nothing is listed.
    #[error(
        "model `{key}`: its row's `{column}` says `{}`, its verified trail `{}`; the row was changed without the key",
        .row.escape_debug(),
        .trail.escape_debug()
    )]
    Disagrees {
        /// The model's key.
        key: ModelKey,
        /// The column.
        column: &'static str,
        /// What the column holds.
        row: String,
        /// What the trail says.
        trail: String,
    },
    /// A listed registry's sealed index does not verify (the error names it): nothing is
    /// listed.
    #[error(transparent)]
    Membership(MembershipError),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] DatabaseError),
}

/// The approvers of a model could not be set; nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApproversError {
    /// No model with this key is stored.
    #[error("model `{key}` is not stored")]
    NotFound {
        /// The model's key.
        key: ModelKey,
    },
    /// The host's sealer failed.
    #[error("model `{key}`: {error}")]
    Seal {
        /// The model's key.
        key: ModelKey,
        /// The sealer's error.
        error: SealError,
    },
    /// The database failed.
    #[error("model `{key}`: {error}")]
    Database {
        /// The model's key.
        key: ModelKey,
        /// The database's error.
        error: DatabaseError,
    },
}
