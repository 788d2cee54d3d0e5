//! Why a reviewer's key or signature is refused.

use super::key::ReviewerKey;
use crate::value::text::esc;

/// A reviewer's public key that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Neither an OpenSSH public key line nor 64 hex digits.
    #[error("expected `ssh-ed25519 <base64> [comment]` or 64 hex digits, found `{}`", esc(.text))]
    Format {
        /// The text, cut at 80 characters.
        text: String,
    },
    /// An OpenSSH key of another type.
    #[error("the key is {algorithm}: only ssh-ed25519 keys sign votes")]
    Unsupported {
        /// The key's type, as OpenSSH names it.
        algorithm: String,
    },
    /// 32 bytes that are not an Ed25519 public key.
    #[error("the key's 32 bytes are not an Ed25519 public key")]
    NotEd25519,
}

/// A vote's signature that does not verify, or a key that cannot sign.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The signature is not over this statement by this key: the vote (any of its fields), the
    /// round or the model is not the one signed, or another key signed it.
    #[error(
        "the signature does not verify: this vote, round and model were not signed with this key"
    )]
    Mismatch,
    /// The SSH signature carries another key than the reviewer's.
    #[error("the SSH signature was made with key {found}, not the reviewer's key {expected}")]
    OtherKey {
        /// The reviewer's key.
        expected: ReviewerKey,
        /// The key in the signature.
        found: ReviewerKey,
    },
    /// The SSH signature was made for another namespace (`ssh-keygen -Y sign -n`).
    #[error("the SSH signature is for namespace `{}`, not `modelgate-vote`", esc(.found))]
    Namespace {
        /// Its namespace.
        found: String,
    },
    /// The SSH signature's key is of another type.
    #[error("the SSH signature's key is {algorithm}: only ssh-ed25519 keys sign votes")]
    UnsupportedKey {
        /// The key's type, as OpenSSH names it.
        algorithm: String,
    },
    /// Not an armored SSH signature (`-----BEGIN SSH SIGNATURE-----`).
    #[error("the SSH signature cannot be read: {}", esc(.why))]
    Armor {
        /// Why.
        why: String,
    },
    /// The private key given to sign with is not an unencrypted OpenSSH `ssh-ed25519` key.
    #[error("the private key cannot sign votes: {}", esc(.why))]
    PrivateKey {
        /// Why.
        why: String,
    },
}
