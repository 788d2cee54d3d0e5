//! Why a registry's stored members are not the members its sealed index holds.

use modelgate::Head;
use modelgate::trail::SealError;

use crate::ModelKey;
use crate::error::{DatabaseError, LoadRegistryError};

/// A registry's members as stored disagree with its sealed index (`modelgate_registries`):
/// the rows were changed without the host's key. Refused by [`Store::load_registry`], and by
/// [`Store::save_registry`] and [`Store::append`] (to a member), which write nothing over it;
/// nothing is repaired.
///
/// [`Store::load_registry`]: crate::Store::load_registry
/// [`Store::save_registry`]: crate::Store::save_registry
/// [`Store::append`]: crate::Store::append
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MembershipError {
    /// The index holds this member, and no row of its key is stored (deleted, or renamed).
    #[error("member `{key}` is in the registry's sealed index but not stored")]
    Missing {
        /// The member's key.
        key: ModelKey,
    },
    /// The index holds this member, and its key's row is stored as another kind.
    #[error(
        "member `{key}` is in the registry's sealed index but stored as a {}, not as a member",
        .kind.escape_debug()
    )]
    Rekinded {
        /// The member's key.
        key: ModelKey,
        /// What the row's `kind` says (`model`, `run` …).
        kind: String,
    },
    /// A member is stored that the index does not hold (added, or re-kinded from a model).
    #[error("member `{key}` is stored but not in the registry's sealed index")]
    Extra {
        /// The stored member's key.
        key: ModelKey,
    },
    /// The member is stored at another head than the index holds: its rows were put back to
    /// an older sealed copy of itself (or moved on without the index).
    #[error(
        "member `{key}` is stored at head `{}`, not at head `{indexed}` that the registry's sealed index holds",
        .head.escape_debug()
    )]
    Stale {
        /// The member's key.
        key: ModelKey,
        /// The head its models row holds.
        head: String,
        /// The head the index holds.
        indexed: Head,
    },
    /// The index's seal does not verify with the host's key (or was made with no trusted key).
    #[error("registry `{}`: the sealed index does not verify: {error}", .name.escape_debug())]
    Seal {
        /// The registry's name.
        name: String,
        /// The verifier's error.
        error: SealError,
    },
    /// The index row cannot be read.
    #[error("registry `{}`: the stored index cannot be read: {}", .name.escape_debug(), .error.escape_debug())]
    Unreadable {
        /// The registry's name.
        name: String,
        /// Why.
        error: String,
    },
    /// Members of the registry are stored, but no sealed index of them: the index row was
    /// deleted, or the registry was saved before schema version 2. Nothing is written over
    /// members no sealed index vouches for; a genuine pre-v2 registry is adopted once with
    /// [`Store::adopt_unindexed_registry`](crate::Store::adopt_unindexed_registry).
    #[error("registry `{}`: members are stored but no sealed index of them", .name.escape_debug())]
    Unindexed {
        /// The registry's name.
        name: String,
    },
    /// Another writer moved the index between the read and the write (a write that holds the
    /// registry's locks never sees this).
    #[error("registry `{}`: the sealed index changed during the write; load the registry again", .name.escape_debug())]
    Moved {
        /// The registry's name.
        name: String,
    },
}

impl MembershipError {
    /// The member the error names, if it names one.
    pub fn key(&self) -> Option<&ModelKey> {
        match self {
            Self::Missing { key }
            | Self::Rekinded { key, .. }
            | Self::Extra { key }
            | Self::Stale { key, .. } => Some(key),
            Self::Seal { .. }
            | Self::Unreadable { .. }
            | Self::Unindexed { .. }
            | Self::Moved { .. } => None,
        }
    }
}

/// A registry stored without a sealed index could not be adopted by
/// [`Store::adopt_unindexed_registry`](crate::Store::adopt_unindexed_registry). Nothing was
/// written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdoptRegistryError {
    /// The registry already has a sealed index: there is nothing to adopt (load it instead).
    #[error("registry `{}`: already has a sealed index, nothing to adopt", .name.escape_debug())]
    Indexed {
        /// The registry's name.
        name: String,
    },
    /// The stored members do not load as a registry (none stored, a member's rows that do not
    /// check, members that do not restore under the book).
    #[error(transparent)]
    Load(LoadRegistryError),
    /// The members' rows changed between the read and the write (another writer): load and
    /// adopt again.
    #[error(transparent)]
    Membership(MembershipError),
    /// The host's sealer failed to seal the index.
    #[error("registry `{}`: {error}", .name.escape_debug())]
    Seal {
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
