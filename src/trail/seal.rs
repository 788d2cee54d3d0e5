//! Seals: the host's MAC or signature over a trail's head, with a key id.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::event::Head;
use crate::value::Timestamp;
use crate::value::text::{self, esc};

/// The host's MAC or signature over a trail's [`Head`] (over [`Head::seal_message`]), and the id
/// of the key that made it.
///
/// A seal has no algorithm field: the verifier knows each key id's algorithm, so a stored record
/// cannot choose a weaker one. Stored as `{"key_id": "…", "value": "<hex>"}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Seal {
    key_id: String,
    value: Vec<u8>,
}

impl Seal {
    /// A seal made by the key `key_id` (an identifier, checked when the record is restored),
    /// with the MAC or signature `value`. For hosts that seal with a KMS or HSM, or
    /// asynchronously: sign [`Head::seal_message`] and wrap the result here.
    pub fn new(key_id: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        Self {
            key_id: key_id.into(),
            value: value.into(),
        }
    }

    /// The id of the key that made the seal.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The MAC or signature bytes.
    pub fn value(&self) -> &[u8] {
        &self.value
    }
}

impl fmt::Debug for Seal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Seal({}, ", self.key_id)?;
        for b in &self.value {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SealForm {
    key_id: String,
    value: String,
}

impl Serialize for Seal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let value = self.value.iter().map(|b| format!("{b:02x}")).collect();
        SealForm {
            key_id: self.key_id.clone(),
            value,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Seal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let form = SealForm::deserialize(d)?;
        let value = hex_bytes(&form.value).ok_or_else(|| {
            serde::de::Error::custom("seal `value` must be an even number of lowercase hex digits")
        })?;
        Ok(Seal::new(form.key_id, value))
    }
}

/// Lowercase hex digits, two per byte; nothing else (no signs, no uppercase).
pub(crate) fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    digits
        .chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => Some((nibble(*hi)? << 4) | nibble(*lo)?),
            _ => None,
        })
        .collect()
}

/// A seal could not be made or does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// No trusted key has this id.
    #[error("seal key `{}` is not trusted", esc(.key_id))]
    UnknownKey {
        /// The key id the seal names.
        key_id: String,
    },
    /// The seal is not this key's seal over this head: the trail was changed, truncated or
    /// extended after sealing, or the seal was made with another key of the same id.
    #[error(
        "the seal by key `{}` does not match the head `{head}`: the record changed after it was sealed, or the key given for that id is not the one that sealed it",
        esc(.key_id)
    )]
    Mismatch {
        /// The key id the seal names.
        key_id: String,
        /// The head the seal was checked against.
        head: Head,
    },
    /// The key id itself is not a valid identifier.
    #[error("invalid seal: {0}")]
    KeyId(text::TextError),
    /// The host's sealer (a KMS, an HSM …) failed.
    #[error("sealing failed: {}", esc(.0))]
    Host(String),
    /// The seal verifies, but under a key of a [`Keyring`](super::Keyring) retired before the
    /// record's last event (or, with no time to hold it to, retired at all).
    #[error(
        "the seal by key `{}` verifies, but the key {}{}: seal it again under a current key (`modelgate reseal`)",
        esc(.key_id),
        retired.map_or_else(|| String::from("is in use"), |r| format!("was retired at {r}")),
        at.map_or_else(|| String::from(", and this record has no time to hold it to"), |at| format!(", and this record's last event is at {at}"))
    )]
    KeyNotValid {
        /// The key id the seal names.
        key_id: String,
        /// The time of the record's last event, if it has one.
        at: Option<Timestamp>,
        /// When the key retired.
        retired: Option<Timestamp>,
    },
}

/// Makes seals: the host's key, behind a KMS or HSM or in memory.
///
/// Built in: [`HmacSealer`](crate::HmacSealer) (feature `hmac`) and
/// [`Ed25519Sealer`](crate::Ed25519Sealer) (feature `ed25519`). An async host can also sign
/// [`Head::seal_message`] itself and build the [`Seal`] with [`Seal::new`].
pub trait Sealer {
    /// Seals `head`.
    ///
    /// # Errors
    ///
    /// [`SealError::Host`] when the key's backend fails.
    fn seal(&self, head: &Head) -> Result<Seal, SealError>;
}

/// Checks seals against the keys the host trusts.
///
/// A slice or `Vec` of verifiers trusts every key in it (key rotation); `&V` and `Box<V>`
/// forward.
pub trait SealVerifier {
    /// Checks that `seal` is a trusted key's seal over `head`.
    ///
    /// # Errors
    ///
    /// [`SealError::UnknownKey`] if no trusted key has the seal's key id;
    /// [`SealError::Mismatch`] if the seal does not verify.
    fn verify(&self, head: &Head, seal: &Seal) -> Result<(), SealError>;

    /// As [`verify`](Self::verify), for a record whose last event is at `at`: a verifier whose
    /// keys have validity periods (a [`Keyring`](super::Keyring)) checks that the key sealed in
    /// its time. By default, the same as `verify`.
    ///
    /// # Errors
    ///
    /// As [`verify`](Self::verify); [`SealError::KeyNotValid`] for a key not valid at `at`.
    fn verify_at(&self, head: &Head, seal: &Seal, at: Timestamp) -> Result<(), SealError> {
        let _ = at;
        self.verify(head, seal)
    }
}

impl<V: SealVerifier + ?Sized> SealVerifier for &V {
    fn verify(&self, head: &Head, seal: &Seal) -> Result<(), SealError> {
        (**self).verify(head, seal)
    }

    fn verify_at(&self, head: &Head, seal: &Seal, at: Timestamp) -> Result<(), SealError> {
        (**self).verify_at(head, seal, at)
    }
}

impl<V: SealVerifier + ?Sized> SealVerifier for Box<V> {
    fn verify(&self, head: &Head, seal: &Seal) -> Result<(), SealError> {
        (**self).verify(head, seal)
    }

    fn verify_at(&self, head: &Head, seal: &Seal, at: Timestamp) -> Result<(), SealError> {
        (**self).verify_at(head, seal, at)
    }
}

impl<S: Sealer + ?Sized> Sealer for &S {
    fn seal(&self, head: &Head) -> Result<Seal, SealError> {
        (**self).seal(head)
    }
}

impl<V: SealVerifier> SealVerifier for [V] {
    fn verify(&self, head: &Head, seal: &Seal) -> Result<(), SealError> {
        first_of(self, seal, |v| v.verify(head, seal))
    }

    fn verify_at(&self, head: &Head, seal: &Seal, at: Timestamp) -> Result<(), SealError> {
        first_of(self, seal, |v| v.verify_at(head, seal, at))
    }
}

/// The first of `verifiers` whose `check` passes; else the last error other than an unknown key.
fn first_of<V>(
    verifiers: &[V],
    seal: &Seal,
    check: impl Fn(&V) -> Result<(), SealError>,
) -> Result<(), SealError> {
    let mut error = SealError::UnknownKey {
        key_id: seal.key_id.clone(),
    };
    for verifier in verifiers {
        match check(verifier) {
            Ok(()) => return Ok(()),
            Err(SealError::UnknownKey { .. }) => {}
            Err(e) => error = e,
        }
    }
    Err(error)
}

impl<V: SealVerifier> SealVerifier for Vec<V> {
    fn verify(&self, head: &Head, seal: &Seal) -> Result<(), SealError> {
        self.as_slice().verify(head, seal)
    }

    fn verify_at(&self, head: &Head, seal: &Seal, at: Timestamp) -> Result<(), SealError> {
        self.as_slice().verify_at(head, seal, at)
    }
}
