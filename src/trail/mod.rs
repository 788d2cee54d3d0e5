//! The stored form: a model's (or a run's) header and hash-chained events, sealed by the host;
//! restoring it verifies the chain and the seal and replays the events through the live
//! transitions.

pub(crate) mod compare;
#[cfg(feature = "ed25519")]
mod ed25519;
mod error;
#[cfg(feature = "hmac")]
mod hmac;
mod keyring;
pub(crate) mod replay;
pub(crate) mod restore;
mod resume;
mod seal;
mod stored;

#[cfg(feature = "ed25519")]
pub use ed25519::{Ed25519Sealer, Ed25519Verifier, InvalidPublicKey};
pub use error::{PipelineRule, ReplayError, RestoreError};
#[cfg(feature = "hmac")]
pub use hmac::{HmacSealer, MIN_SECRET_LEN, ShortHmacSecret};
pub use keyring::Keyring;
pub use resume::Unresumed;
#[cfg(feature = "export")]
pub(crate) use seal::hex_bytes;
pub use seal::{Seal, SealError, SealVerifier, Sealer};
pub use stored::StoredModel;
