//! Why the log of heads could not be read, proved or signed, and why a held checkpoint refused
//! the store.

use modelgate::Head;
use modelgate::log::{NoteError, ProofError};

use crate::ModelKey;
use crate::error::{DatabaseError, LoadError, LoadRegistryError};

/// The log of heads could not be read, proved or signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// A log row is not a leaf: a gap in the indexes, a head that is not 64 hex digits, a
    /// negative number.
    #[error("log leaf {index}: {what}")]
    BadRow {
        /// The row's index (or the index expected there).
        index: u64,
        /// What is wrong.
        what: &'static str,
    },
    /// A pending leaf (`modelgate_log_pending`, a write's leaf not yet sequenced) is not a
    /// leaf: a head that is not 64 hex digits, a negative number.
    #[error("pending log leaf of `{key}`: {what}")]
    BadPending {
        /// The model the row names.
        key: ModelKey,
        /// What is wrong.
        what: &'static str,
    },
    /// A pending leaf goes back: its trail is at an older revision than its last leaf (or at
    /// another head at the same revision) — put back and written again. Nothing is sequenced,
    /// so no checkpoint is signed over it; the leaves wait until the store is repaired.
    #[error(
        "model `{key}` has a leaf at revision {pending} waiting to be logged, but the log has it at revision {logged}: its trail was put back and written again; no checkpoint is signed over it"
    )]
    WentBack {
        /// The model's key.
        key: ModelKey,
        /// The revision of its last leaf.
        logged: u64,
        /// The revision of the leaf that goes back.
        pending: u64,
    },
    /// A stored tree hash of the log (`modelgate_log_nodes`) is missing or not a hash.
    #[error("log tree hash at level {level}, index {index}: {what}")]
    BadNode {
        /// The subtree's level (`log2` of its width).
        level: u32,
        /// Its index in its level.
        index: u64,
        /// What is wrong.
        what: &'static str,
    },
    /// The log's stored tree hashes do not lead to the root its leaves do: a row of either was
    /// changed by hand.
    #[error("the log's stored tree hashes disagree with its {size} leaves")]
    NodesDisagree {
        /// The log's size.
        size: u64,
    },
    /// The log has no leaf of this model (before the size asked for).
    #[error("model `{key}` is not in the log")]
    NotLogged {
        /// The model's key.
        key: ModelKey,
    },
    /// A proof asked of sizes the log cannot prove.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// The checkpoint could not be made or signed (an origin with a control character, say).
    #[error("cannot sign the checkpoint: {0}")]
    Note(#[from] NoteError),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] DatabaseError),
}

/// A checkpoint held outside the store (by an auditor, a witness, the CI system) refused what
/// the store holds: the rows were changed without a key the store cannot reach. Nothing is
/// returned or repaired.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnchorError {
    /// The log is shorter than the held checkpoint: leaves were deleted, or the store wiped.
    #[error(
        "the log has {have} leaves, fewer than the {held} of the held checkpoint: it was truncated or wiped"
    )]
    Truncated {
        /// The held checkpoint's size.
        held: u64,
        /// The log's size.
        have: u64,
    },
    /// The log's first leaves do not lead to the held checkpoint's root: the log is not a
    /// consistent extension of it (rewritten, or wiped and refilled).
    #[error(
        "the log's first {held} leaves are not those of the held checkpoint: it was rewritten, or wiped and refilled"
    )]
    Forked {
        /// The held checkpoint's size.
        held: u64,
    },
    /// The model is stored at an older head than the latest the log holds for it.
    #[error(
        "model `{key}` is stored at revision {stored} but the log has it at revision {logged}: it was rolled back"
    )]
    RolledBack {
        /// The model's key.
        key: ModelKey,
        /// The revision of its latest leaf.
        logged: u64,
        /// The stored revision.
        stored: u64,
    },
    /// The model is stored at a head the log does not hold for it at that revision (a trail
    /// forged from an older head and resealed, or a model the log never saw).
    #[error("model `{key}` is stored at head `{stored}`, which the log does not hold for it")]
    NotLogged {
        /// The model's key.
        key: ModelKey,
        /// The stored head.
        stored: Head,
    },
    /// A head the log holds for the model is not on its stored trail: the trail was replaced
    /// by another that does not pass through it.
    #[error(
        "model `{key}`: the log has it at head `{logged}` at revision {revision}, which its stored trail does not pass through"
    )]
    OffTrail {
        /// The model's key.
        key: ModelKey,
        /// The logged head.
        logged: Head,
        /// Its revision.
        revision: u64,
    },
    /// The log holds two heads of the model at one revision: its trail was forked there and
    /// the fork logged after the first.
    #[error(
        "model `{key}`: the log has two heads at revision {revision}, `{first}` then `{second}`: its trail was forked and logged again"
    )]
    TwoHeads {
        /// The model's key.
        key: ModelKey,
        /// The revision.
        revision: u64,
        /// The head logged first.
        first: Head,
        /// The head logged after it.
        second: Head,
    },
    /// The log holds the model; the store does not.
    #[error("model `{key}` is in the log but not stored: it was deleted")]
    Deleted {
        /// The model's key.
        key: ModelKey,
    },
    /// The model was written while it was being checked: load it again.
    #[error("model `{key}` moved on while it was checked: load it again")]
    Moved {
        /// The model's key.
        key: ModelKey,
    },
    /// The log could not be read.
    #[error(transparent)]
    Log(#[from] LogError),
    /// The model did not load.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The registry did not load.
    #[error(transparent)]
    LoadRegistry(#[from] LoadRegistryError),
}
