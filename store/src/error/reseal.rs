//! Why a store could not be sealed again under the host's new key
//! ([`Store::reseal`](crate::Store::reseal)).

use modelgate::trail::SealError;

use super::{DatabaseError, LoadError, MembershipError};
use crate::ModelKey;

/// A store was not sealed again: nothing was written, and every row keeps its old seal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResealError {
    /// A model's stored record does not verify (its rows, its chain, or its seal under the
    /// keys the store was opened with, at the time of its last event): it is not sealed
    /// again, and neither is anything else.
    #[error("not resealed: {0}")]
    Model(#[source] Box<LoadError>),
    /// A model's approvers (a reviewer's queue) are not sealed by a key valid when the model
    /// was created, or their seal does not read.
    #[error("not resealed: model `{key}`: the approvers' seal does not verify: {error}")]
    Approvers {
        /// The model's key.
        key: ModelKey,
        /// Why.
        error: SealError,
    },
    /// A seal is stored in a form that does not read.
    #[error("not resealed: the seal of {what} does not read: {}", .error.escape_debug())]
    Unreadable {
        /// Which row.
        what: String,
        /// Why.
        error: String,
    },
    /// A registry's sealed index does not read or verify (at the time of its latest member's
    /// last event), or names a member that is not stored.
    #[error("not resealed: {0}")]
    Registry(#[source] MembershipError),
    /// The host's sealer could not seal under the new key.
    #[error("not resealed: the sealer failed: {0}")]
    Seal(#[source] SealError),
    /// A row moved while the store was being verified (a write sealed it meanwhile): run
    /// again.
    #[error("not resealed: {what} was written while the store was being resealed; run again")]
    Conflict {
        /// Which row (`model \`churn\` 4 in production`, `registry \`churn\``…).
        what: String,
    },
    /// The database failed.
    #[error("not resealed: {0}")]
    Database(#[from] DatabaseError),
}
