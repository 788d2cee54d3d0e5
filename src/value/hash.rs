//! The 32-byte hashes of the chain: a trail's [`Head`] and a pipeline's [`Fingerprint`]. How
//! they are computed is the event layer's (`Head::of_header`, `Head::of_event`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::hex;

/// The head of a hash-chained trail: SHA-256 over the canonical encoding of its last event (or of
/// the model's header, for a trail without events). Like a git commit id, it names one exact
/// state: two trails with the same head hold the same header and events.
///
/// Stored and displayed as 64 lowercase hex digits.
///
/// The canonical encoding (independent of JSON, YAML or any serde format, so that every format
/// verifies the same) is documented in the crate docs, section "The stored form", with test
/// vectors.
///
/// ```
/// use modelgate::{Head, Model};
/// let model = Model::new("churn", "1")?;
/// assert_eq!(model.head(), Head::of_header("churn", "1", model.environment()));
/// let text = model.head().to_string();
/// assert_eq!(text.len(), 64);
/// assert_eq!(text.parse::<Head>(), Ok(model.head()));
/// # Ok::<(), modelgate::value::TextError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Head([u8; 32]);

/// A fingerprint: SHA-256 over a canonical encoding, the identity of what it encodes. Of a
/// policy ([`PolicyExt::fingerprint`](crate::PolicyExt::fingerprint): its rule's structure; two
/// policies with one fingerprint decide alike), or of a validated pipeline
/// ([`Pipeline::fingerprint`](crate::Pipeline::fingerprint): steps, their order, gates,
/// approvers, required approvals, automatic approval, `on_reject`, `max_attempts`; two pipelines
/// with one fingerprint run the same way). Written and read as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint([u8; 32]);

/// A node of an append-only log's Merkle tree (RFC 9162 hashing), its root included: the
/// SHA-256 of `0x00` and a leaf's bytes for a leaf, of `0x01` and two child hashes for an inner
/// node. How it is computed is the log's ([`crate::log`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TreeHash([u8; 32]);

/// A 64-digit hex text that is not a hash.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected 64 lowercase hex digits, found `{}`", super::text::esc(.0))]
pub struct ParseHashError(String);

macro_rules! hash_type {
    ($t:ident) => {
        impl $t {
            /// The hash from its 32 bytes.
            pub const fn from_bytes(bytes: [u8; 32]) -> Self {
                Self(bytes)
            }

            /// The hash's 32 bytes.
            pub const fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                hex::write(f, &self.0)
            }
        }

        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}(", stringify!($t))?;
                hex::write(f, &self.0)?;
                f.write_str(")")
            }
        }

        impl FromStr for $t {
            type Err = ParseHashError;

            fn from_str(s: &str) -> Result<Self, ParseHashError> {
                hex::parse32(s)
                    .map(Self)
                    .ok_or_else(|| ParseHashError(s.chars().take(80).collect()))
            }
        }

        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

hash_type!(Head);
hash_type!(Fingerprint);
hash_type!(TreeHash);
