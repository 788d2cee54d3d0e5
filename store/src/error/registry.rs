//! Why a registry could not be loaded or saved.

use modelgate::Head;
use modelgate::registry::RestoreRegistryError;
use modelgate::trail::SealError;

use super::{DatabaseError, LoadError, MembershipError};
use crate::ModelKey;

/// A registry could not be loaded: it has no member stored, a member's rows do not verify, or
/// the members do not make a registry. Nothing is returned, changed or repaired.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadRegistryError {
    /// No member of a registry of this name is stored (runs and models stored one by one are
    /// not members).
    #[error("no registry `{}` is stored", .name.escape_debug())]
    NotFound {
        /// The registry's name.
        name: String,
    },
    /// A member's rows do not verify (the error names it): an event row missing, the trail
    /// shorter or longer than the head, another head, an unreadable row, a chain or seal that
    /// does not verify.
    #[error("registry `{}`: {error}", .error.key().name().escape_debug())]
    Member {
        /// Why, naming the member.
        error: LoadError,
    },
    /// Members of the registry are stored, but no sealed index of them: the index row was
    /// deleted, or the registry was saved before schema version 2 (adopt it once with
    /// [`Store::adopt_unindexed_registry`](crate::Store::adopt_unindexed_registry), which
    /// trusts the stored rows: only for the one-time upgrade of a registry you know is intact).
    #[error("registry `{}`: members are stored but no sealed index of them", .name.escape_debug())]
    Unindexed {
        /// The registry's name.
        name: String,
    },
    /// No member and no index of the registry are stored, but rows of its models are, without
    /// their models row (event rows, or leaves of the log of heads): a registry deleted in part.
    /// [`Store::load_registry_or_new`](crate::Store::load_registry_or_new) refuses to start it
    /// afresh over them.
    #[error(
        "registry `{}`: no member and no index are stored, but {rows} rows of its models remain without their models row (deleted in part?); not started afresh",
        .name.escape_debug()
    )]
    Remnants {
        /// The registry's name.
        name: String,
        /// How many such rows (event rows and log leaves).
        rows: u64,
    },
    /// The stored members are not those the sealed index holds (the error names the member):
    /// one deleted, re-kinded, added, or put back to an older sealed copy of itself; or the
    /// index does not verify.
    #[error(transparent)]
    Membership(MembershipError),
    /// The members do not restore as a registry ([`modelgate::Registry::restore_members`]):
    /// a member does not replay under its environment's policy, the book has no policy for an
    /// environment, or the books disagree across members (two current deployments in one
    /// environment, a replacement that is not a member, a decision made with another champion,
    /// a promotion without its deployment …). The core's error names the member where there is
    /// one.
    #[error("registry `{}`: {error}", .name.escape_debug())]
    Refused {
        /// The registry's name.
        name: String,
        /// The core's error (boxed: it is large, and rare).
        error: Box<RestoreRegistryError>,
    },
    /// The database failed.
    #[error("registry `{}`: {error}", .name.escape_debug())]
    Database {
        /// The registry's name.
        name: String,
        /// The database's error.
        error: DatabaseError,
    },
}

/// A registry could not be saved. Nothing was written: the save is one transaction over all
/// members.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SaveRegistryError {
    /// Compare-and-swap failed for this member: the stored trail (its head and revision) is not
    /// where the registry's member passed. Another writer saved or appended to it since the
    /// registry was loaded, or the registry's member is another trail of the same key (a
    /// registry built anew over a stored one). Load the registry again, redo, save again.
    #[error(
        "member `{key}` changed: the stored trail is at `{head}` (revision {revision}), which the registry's member does not continue; load the registry again"
    )]
    Conflict {
        /// The member's key.
        key: ModelKey,
        /// The stored head.
        head: Head,
        /// The stored revision (the number of events).
        revision: u64,
    },
    /// A member of this registry is stored that the registry does not hold: another writer
    /// added it since the registry was loaded (or it was taken out and not put back). Saving
    /// without it could leave books that disagree; load the registry again.
    #[error(
        "member `{key}` is stored but not in the registry: it was added since the registry was loaded, or taken out and not put back; load the registry again"
    )]
    Missing {
        /// The stored member's key.
        key: ModelKey,
    },
    /// The member's key holds a run or a model stored one by one, not a registry member.
    #[error(
        "member `{key}`: the store holds a {} under this key, not a registry member",
        .kind.escape_debug()
    )]
    NotAMember {
        /// The member's key.
        key: ModelKey,
        /// What the store holds there (`run`, `model`).
        kind: String,
    },
    /// The stored head is not a head: the models row was edited.
    #[error("member `{key}`: the stored head `{}` is not a hash", .head.escape_debug())]
    BadStoredHead {
        /// The member's key.
        key: ModelKey,
        /// The stored text.
        head: String,
    },
    /// The host's sealer failed.
    #[error("member `{key}`: {error}")]
    Seal {
        /// The member's key.
        key: ModelKey,
        /// The sealer's error.
        error: SealError,
    },
    /// An event could not be encoded.
    #[error("member `{key}`: event {seq} cannot be encoded: {}", .error.escape_debug())]
    Encode {
        /// The member's key.
        key: ModelKey,
        /// The event's sequence number.
        seq: u64,
        /// Why.
        error: String,
    },
    /// A value of the member's header is larger than the database stores (see
    /// [`CreateError::OutOfRange`](super::CreateError::OutOfRange)).
    #[error(
        "member `{key}`: {field} {value} is larger than the database stores (at most {})",
        i64::MAX
    )]
    OutOfRange {
        /// The member's key.
        key: ModelKey,
        /// The field (`approval_validity_ms`).
        field: &'static str,
        /// Its value.
        value: u64,
    },
    /// The stored members are not those the sealed index holds (the error names the member):
    /// the rows were changed without the key. Nothing is written over them.
    #[error(transparent)]
    Membership(MembershipError),
    /// The host's sealer failed to seal the registry's index.
    #[error("registry `{}`: {error}", .name.escape_debug())]
    IndexSeal {
        /// The registry's name.
        name: String,
        /// The sealer's error.
        error: SealError,
    },
    /// The database failed.
    #[error("registry `{}`: {error}", .name.escape_debug())]
    Database {
        /// The registry's name.
        name: String,
        /// The database's error.
        error: DatabaseError,
    },
}

impl SaveRegistryError {
    /// The key of the member the error is about, if it is about one.
    pub fn key(&self) -> Option<&ModelKey> {
        match self {
            Self::Conflict { key, .. }
            | Self::Missing { key }
            | Self::NotAMember { key, .. }
            | Self::BadStoredHead { key, .. }
            | Self::Seal { key, .. }
            | Self::Encode { key, .. }
            | Self::OutOfRange { key, .. } => Some(key),
            Self::Membership(error) => error.key(),
            Self::IndexSeal { .. } | Self::Database { .. } => None,
        }
    }
}
