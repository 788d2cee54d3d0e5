//! HMAC-SHA256 seals (feature `hmac`): one shared secret seals and verifies.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::seal::{Seal, SealError, SealVerifier, Sealer};
use crate::event::Head;

/// An HMAC-SHA256 key with its id: seals heads and verifies their seals.
///
/// For a host whose writers and readers share a secret (one service, its database). The secret
/// is at least 32 bytes (the strength of SHA-256), random: [`new`](Self::new) takes exactly 32,
/// [`from_slice`](Self::from_slice) refuses fewer. `Debug` does not show it.
///
/// ```
/// use modelgate::{HmacSealer, Model, SealVerifier, Sealer};
/// let key = HmacSealer::new("db-2026", *b"0123456789abcdef0123456789abcdef");
/// let head = Model::new("churn", "1")?.head();
/// let seal = key.seal(&head)?;
/// assert_eq!(seal.key_id(), "db-2026");
/// assert!(key.verify(&head, &seal).is_ok());
///
/// // A secret read from a file or a vault is checked.
/// let short = HmacSealer::from_slice("db-2026", b"hunter2");
/// assert_eq!(short.unwrap_err().len(), 7);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct HmacSealer {
    key_id: String,
    secret: Vec<u8>,
}

/// An HMAC-SHA256 secret shorter than 32 bytes: weaker than the MAC, refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("an HMAC-SHA256 secret must be at least {MIN_SECRET_LEN} bytes, this one has {len}")]
pub struct ShortHmacSecret {
    len: usize,
}

impl ShortHmacSecret {
    /// The length of the secret that was refused, in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the refused secret was empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The shortest HMAC-SHA256 secret [`HmacSealer`] takes, in bytes: SHA-256's output size.
pub const MIN_SECRET_LEN: usize = 32;

impl HmacSealer {
    /// The key `key_id` with this 32-byte secret.
    pub fn new(key_id: impl Into<String>, secret: [u8; 32]) -> Self {
        Self {
            key_id: key_id.into(),
            secret: secret.to_vec(),
        }
    }

    /// The key `key_id` with this secret, of at least 32 bytes (longer is fine: HMAC hashes a
    /// secret longer than SHA-256's block).
    ///
    /// # Errors
    ///
    /// [`ShortHmacSecret`], with its length, if the secret has fewer than 32 bytes.
    pub fn from_slice(key_id: impl Into<String>, secret: &[u8]) -> Result<Self, ShortHmacSecret> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(ShortHmacSecret { len: secret.len() });
        }
        Ok(Self {
            key_id: key_id.into(),
            secret: secret.to_vec(),
        })
    }

    /// The key's id.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    fn mac(&self, head: &Head) -> Result<Hmac<Sha256>, SealError> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret)
            .map_err(|e| SealError::Host(e.to_string()))?;
        mac.update(&head.seal_message());
        Ok(mac)
    }
}

impl fmt::Debug for HmacSealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HmacSealer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl Sealer for HmacSealer {
    fn seal(&self, head: &Head) -> Result<Seal, SealError> {
        let tag = self.mac(head)?.finalize().into_bytes();
        Ok(Seal::new(self.key_id.clone(), tag.to_vec()))
    }
}

impl SealVerifier for HmacSealer {
    fn verify(&self, head: &Head, seal: &Seal) -> Result<(), SealError> {
        if seal.key_id() != self.key_id {
            return Err(SealError::UnknownKey {
                key_id: seal.key_id().to_owned(),
            });
        }
        // Constant-time comparison.
        self.mac(head)?
            .verify_slice(seal.value())
            .map_err(|_| SealError::Mismatch {
                key_id: self.key_id.clone(),
                head: *head,
            })
    }
}
