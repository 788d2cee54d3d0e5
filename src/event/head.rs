//! The hash chain: the head of a trail, and the fingerprint of a pipeline.

use sha2::{Digest as _, Sha256};

use super::Event;
use super::canonical;
use crate::value::Environment;
pub use crate::value::hash::{Fingerprint, Head, ParseHashError};

impl Head {
    /// The head of a trail without events: the hash of the header of the model `name`,
    /// `version` in `environment`, in the current stored format.
    pub fn of_header(name: &str, version: &str, environment: &Environment) -> Self {
        let mut hasher = Sha256::new();
        canonical::encode_header(&mut hasher, name, version, environment);
        Self::from_bytes(hasher.finalize().into())
    }

    /// The head of a stored registry's index: its name and each member's environment, version
    /// and head, ordered by environment, then version. Sealing it binds the members together,
    /// so that no member can be swapped for an older sealed copy of itself.
    pub fn of_registry(name: &str, members: &[(&str, &str, Head)]) -> Self {
        let mut hasher = Sha256::new();
        canonical::encode_registry(&mut hasher, name, members);
        Self::from_bytes(hasher.finalize().into())
    }

    /// The hash of `event`, its `prev` included.
    pub fn of_event(event: &Event) -> Self {
        let mut hasher = Sha256::new();
        canonical::encode_event(&mut hasher, event);
        Self::from_bytes(hasher.finalize().into())
    }

    /// The bytes a seal signs or MACs: the ASCII label `modelgate.seal`, length-prefixed like
    /// every text of the canonical encoding, then the head's 32 bytes (54 bytes in all).
    ///
    /// ```
    /// # use modelgate::Head;
    /// let head = Head::from_bytes([0xab; 32]);
    /// let message = head.seal_message();
    /// assert_eq!(&message[..22], b"\0\0\0\0\0\0\0\x0emodelgate.seal");
    /// assert_eq!(&message[22..], &[0xab; 32]);
    /// ```
    pub fn seal_message(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(54);
        canonical::label(&mut out, "modelgate.seal");
        out.extend_from_slice(self.as_bytes());
        out
    }
}
