//! A reviewer's public key: [`ReviewerKey`].

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ssh_key::PublicKey;
use ssh_key::public::{Ed25519PublicKey, KeyData};

use super::error::KeyError;
use crate::value::hex;

/// A reviewer's Ed25519 public key: what a roster holds for a person, and what their votes'
/// signatures (raw Ed25519 or OpenSSH `sshsig`) verify against. Read from an OpenSSH public key
/// line (`ssh-ed25519 AAAA… rita@laptop`, what `~/.ssh/id_ed25519.pub` holds) or 64 hex digits;
/// shown and serialized as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReviewerKey([u8; 32]);

impl ReviewerKey {
    /// The key from its 32 bytes.
    ///
    /// # Errors
    ///
    /// [`KeyError::NotEd25519`] if they are not an Ed25519 public key; [`KeyError::Weak`] for
    /// a small-order key, under which one fixed signature verifies for every message.
    pub fn from_bytes(bytes: [u8; 32]) -> Result<Self, KeyError> {
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::NotEd25519)?;
        if key.is_weak() {
            return Err(KeyError::Weak);
        }
        Ok(Self(bytes))
    }

    /// The public key of the private key whose 32-byte secret seed is `seed`.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(SigningKey::from_bytes(seed).verifying_key().to_bytes())
    }

    /// The key from an OpenSSH public key line: `ssh-ed25519 <base64> [comment]`.
    ///
    /// # Errors
    ///
    /// [`KeyError::Format`] for a line that is not an OpenSSH public key
    /// ([`KeyError::PrivateKey`] for a private key's file);
    /// [`KeyError::Unsupported`] for a key of another type; [`KeyError::NotEd25519`],
    /// [`KeyError::Weak`] as [`from_bytes`](Self::from_bytes).
    pub fn from_openssh(line: &str) -> Result<Self, KeyError> {
        let key = PublicKey::from_openssh(line.trim()).map_err(|_| format_error(line))?;
        Self::from_key_data(key.key_data())
    }

    /// The key in OpenSSH's public key format, `ssh-ed25519 <base64>` (for an `allowed_signers`
    /// file of `ssh-keygen -Y verify`).
    pub fn to_openssh(&self) -> String {
        PublicKey::new(KeyData::Ed25519(Ed25519PublicKey(self.0)), "")
            .to_openssh()
            .unwrap_or_default()
    }

    /// The key's fingerprint as OpenSSH shows it (`ssh-keygen -l`, `SHA256:<base64>`), to match
    /// it with an SSH user's key.
    pub fn ssh_fingerprint(&self) -> String {
        PublicKey::new(KeyData::Ed25519(Ed25519PublicKey(self.0)), "")
            .fingerprint(ssh_key::HashAlg::Sha256)
            .to_string()
    }

    /// The key's 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub(super) fn from_key_data(data: &KeyData) -> Result<Self, KeyError> {
        match data.ed25519() {
            Some(key) => Self::from_bytes(key.0),
            None => Err(KeyError::Unsupported {
                algorithm: data.algorithm().as_str().to_owned(),
            }),
        }
    }

    pub(super) fn verifying_key(&self) -> Option<VerifyingKey> {
        VerifyingKey::from_bytes(&self.0).ok()
    }
}

fn format_error(text: &str) -> KeyError {
    if text.contains("PRIVATE KEY-----") {
        return KeyError::PrivateKey;
    }
    KeyError::Format {
        text: text.chars().take(80).collect(),
    }
}

impl FromStr for ReviewerKey {
    type Err = KeyError;

    /// An OpenSSH public key line, or 64 hex digits.
    fn from_str(s: &str) -> Result<Self, KeyError> {
        match hex::parse32(s) {
            Some(bytes) => Self::from_bytes(bytes),
            None if s.trim_start().starts_with("ssh-") => Self::from_openssh(s),
            None => Err(format_error(s)),
        }
    }
}

impl fmt::Display for ReviewerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        hex::write(f, &self.0)
    }
}

impl fmt::Debug for ReviewerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReviewerKey(")?;
        hex::write(f, &self.0)?;
        f.write_str(")")
    }
}

impl Serialize for ReviewerKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ReviewerKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
