//! Why a registry's stored members are not the members its sealed index holds.

use modelgate::Head;
use modelgate::trail::SealError;

use crate::ModelKey;

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
            Self::Seal { .. } | Self::Unreadable { .. } | Self::Moved { .. } => None,
        }
    }
}
