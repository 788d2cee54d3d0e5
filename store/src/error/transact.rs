//! Why a retried change to a registry ([`Store::transact`](crate::Store::transact)) did not land.

use super::{LoadRegistryError, SaveRegistryError};

/// A change to a registry through [`Store::transact`](crate::Store::transact) did not land:
/// nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransactError<E> {
    /// The registry as stored could not be loaded (a registry not stored yet is not an error:
    /// the change starts from an empty one).
    #[error(transparent)]
    Load(LoadRegistryError),
    /// The change refused: its own error, from its last run.
    #[error("registry `{name}`: the change was refused: {error}")]
    Refused {
        /// The registry's name.
        name: String,
        /// What the change returned.
        error: E,
    },
    /// Another writer saved the registry first, every time it was tried.
    #[error(
        "registry `{name}`: other writers saved it first {attempts} times in a row; the change was not saved"
    )]
    Contended {
        /// The registry's name.
        name: String,
        /// How many times the save met a conflict.
        attempts: u32,
    },
    /// Saving failed for another reason than a conflict.
    #[error(transparent)]
    Save(SaveRegistryError),
}
