//! Ed25519 seals (feature `ed25519`): a private key seals, its public key verifies.

use std::fmt;

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

use super::seal::{Seal, SealError, SealVerifier, Sealer};
use crate::event::Head;

/// An Ed25519 private key with its id: seals heads (and verifies its own seals).
///
/// For hosts whose readers must not be able to seal: give them an [`Ed25519Verifier`] with the
/// public key only. `Debug` does not show the key.
///
/// ```
/// use modelgate::{Ed25519Sealer, Model, SealVerifier, Sealer};
/// let sealer = Ed25519Sealer::from_seed("release-2026", [7; 32]);
/// let verifier = sealer.verifier();
/// let head = Model::new("churn", "1")?.head();
/// let seal = sealer.seal(&head)?;
/// assert!(verifier.verify(&head, &seal).is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Ed25519Sealer {
    key_id: String,
    key: SigningKey,
}

/// An Ed25519 public key with its id: verifies seals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ed25519Verifier {
    key_id: String,
    key: VerifyingKey,
}

/// A public key that is not a valid Ed25519 point.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the public key of `{key_id}` is not a valid Ed25519 key")]
pub struct InvalidPublicKey {
    key_id: String,
}

impl Ed25519Sealer {
    /// The key `key_id` from its 32-byte secret seed.
    pub fn from_seed(key_id: impl Into<String>, seed: [u8; 32]) -> Self {
        Self {
            key_id: key_id.into(),
            key: SigningKey::from_bytes(&seed),
        }
    }

    /// The key's id.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The public key's 32 bytes.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// The verifier of this key's seals.
    pub fn verifier(&self) -> Ed25519Verifier {
        Ed25519Verifier {
            key_id: self.key_id.clone(),
            key: self.key.verifying_key(),
        }
    }
}

impl fmt::Debug for Ed25519Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ed25519Sealer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl Ed25519Verifier {
    /// The public key `key_id` from its 32 bytes.
    ///
    /// # Errors
    ///
    /// [`InvalidPublicKey`] if the bytes are not a valid Ed25519 public key.
    pub fn from_public_key(
        key_id: impl Into<String>,
        public_key: [u8; 32],
    ) -> Result<Self, InvalidPublicKey> {
        let key_id = key_id.into();
        match VerifyingKey::from_bytes(&public_key) {
            Ok(key) => Ok(Self { key_id, key }),
            Err(_) => Err(InvalidPublicKey { key_id }),
        }
    }

    /// The key's id.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }
}

impl Sealer for Ed25519Sealer {
    fn seal(&self, head: &Head) -> Result<Seal, SealError> {
        let signature = self.key.sign(&head.seal_message());
        Ok(Seal::new(
            self.key_id.clone(),
            signature.to_bytes().to_vec(),
        ))
    }
}

impl SealVerifier for Ed25519Sealer {
    fn verify(&self, head: &Head, seal: &Seal) -> Result<(), SealError> {
        self.verifier().verify(head, seal)
    }
}

impl SealVerifier for Ed25519Verifier {
    fn verify(&self, head: &Head, seal: &Seal) -> Result<(), SealError> {
        if seal.key_id() != self.key_id {
            return Err(SealError::UnknownKey {
                key_id: seal.key_id().to_owned(),
            });
        }
        let mismatch = || SealError::Mismatch {
            key_id: self.key_id.clone(),
            head: *head,
        };
        let signature = Signature::from_slice(seal.value()).map_err(|_| mismatch())?;
        self.key
            .verify_strict(&head.seal_message(), &signature)
            .map_err(|_| mismatch())
    }
}
