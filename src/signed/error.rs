//! Why a reviewer's key or signature is refused.

use super::key::ReviewerKey;
use crate::value::Timestamp;
use crate::value::hash::Head;
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
    /// A private key where a public key was expected.
    #[error("this is a private key: give the reviewer's public key (the `.pub` file's line)")]
    PrivateKey,
    /// An OpenSSH key of another type.
    #[error("the key is {algorithm}: only ssh-ed25519 keys sign votes")]
    Unsupported {
        /// The key's type, as OpenSSH names it.
        algorithm: String,
    },
    /// 32 bytes that are not an Ed25519 public key.
    #[error("the key's 32 bytes are not an Ed25519 public key")]
    NotEd25519,
    /// A weak (small-order) Ed25519 key: one fixed signature verifies for every message under
    /// it, so it proves nobody signed anything.
    #[error("the key is a weak (small-order) Ed25519 key: any signature verifies under it")]
    Weak,
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
    #[error(
        "the SSH signature was made with key {found} ({}), not the reviewer's key {expected} ({})",
        .found.ssh_fingerprint(),
        .expected.ssh_fingerprint()
    )]
    OtherKey {
        /// The reviewer's key.
        expected: ReviewerKey,
        /// The key in the signature.
        found: ReviewerKey,
    },
    /// The SSH signature was made for another namespace (`ssh-keygen -Y sign -n`).
    #[error("the SSH signature is for namespace `{}`, not `{expected}`", esc(.found))]
    Namespace {
        /// Its namespace.
        found: String,
        /// The namespace it must be for: [`NAMESPACE`](super::NAMESPACE) for a vote,
        /// [`ROSTER_NAMESPACE`](super::ROSTER_NAMESPACE) for a roster version.
        expected: &'static str,
    },
    /// The SSH signature's key is of another type.
    #[error("the SSH signature's key is {algorithm}: only ssh-ed25519 keys sign votes")]
    UnsupportedKey {
        /// The key's type, as OpenSSH names it.
        algorithm: String,
    },
    /// A raw Ed25519 signature that is not 64 bytes in standard base64.
    #[error("the Ed25519 signature cannot be read: {}", esc(.why))]
    Encoding {
        /// Why.
        why: String,
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

/// A roster that does not verify from its pinned first version: nothing in it counts.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RosterError {
    /// The roster has no version.
    #[error("the roster has no version")]
    Empty,
    /// The first version is not the one pinned (or is not a first version).
    #[error("the roster's first version is {found}, not the pinned {pinned}")]
    NotPinned {
        /// The hash the host pinned.
        pinned: Head,
        /// The first version's hash.
        found: Head,
    },
    /// A version does not follow the one before (its number, or the hash it names).
    #[error("roster version {number} does not follow the version before it (number or hash)")]
    OutOfSequence {
        /// The version's number.
        number: u64,
    },
    /// Too few admins of the version before signed this one.
    #[error(
        "roster version {number} has {have} valid admin signature(s), {need} needed (by the version before's admins; the first version's own)"
    )]
    Unsigned {
        /// The version's number.
        number: u64,
        /// Distinct admins whose signatures verify.
        have: usize,
        /// The threshold of the version before.
        need: usize,
    },
    /// A threshold of 0, or above the number of admins.
    #[error(
        "roster version {number} has threshold {threshold} for {admins} admin(s): expected 1 to {admins}"
    )]
    Threshold {
        /// The version's number.
        number: u64,
        /// Its threshold.
        threshold: u32,
        /// How many admins it has.
        admins: usize,
    },
    /// An admin listed twice.
    #[error("roster version {number} lists admin {key} twice")]
    DuplicateAdmin {
        /// The version's number.
        number: u64,
        /// The key.
        key: ReviewerKey,
    },
    /// The roster does not reach a version its holder already verified: it was cut back, and
    /// a later version's rotations and removals would be undone.
    #[error(
        "the roster has no version {held}, which its holder verified before: it was cut back (or the hash held is not of this roster)"
    )]
    Truncated {
        /// The hash of the version held.
        held: Head,
    },
    /// A member whose id or role is refused, or whose validity ends before it begins.
    #[error("roster version {number}, member `{}`: {}", esc(.id), esc(.why))]
    Member {
        /// The version's number.
        number: u64,
        /// The member's id.
        id: String,
        /// What is wrong.
        why: String,
    },
    /// One key held by two people.
    #[error("roster version {number} gives key {key} to both `{}` and `{}`", esc(&.ids.0), esc(&.ids.1))]
    SharedKey {
        /// The version's number.
        number: u64,
        /// The key.
        key: ReviewerKey,
        /// The two ids.
        ids: (String, String),
    },
}

/// Why a signed vote does not count against a roster.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VoteFinding {
    /// The roster has no member of the vote's reviewer id.
    #[error("`{}` is not in the roster", esc(.reviewer))]
    NotInRoster {
        /// The reviewer.
        reviewer: String,
    },
    /// None of the reviewer's keys is valid at the vote's own time and when it is counted.
    #[error("no key of `{}` in the roster is valid at the vote's time {at} and when it is counted, {counted}", esc(.reviewer))]
    KeyNotValid {
        /// The reviewer.
        reviewer: String,
        /// The vote's own time.
        at: Timestamp,
        /// When it is counted: the time of its event in the trail, or a decision's.
        counted: Timestamp,
    },
    /// A key of the reviewer's signed the vote, but it is not valid at the vote's time or when
    /// it is counted (rotated out, or not yet valid, or its holder left).
    #[error(
        "the vote of `{}` is signed with their key {key} ({}), valid from {from}{}, not at the vote's time {at} and when it is counted, {counted}",
        esc(.reviewer),
        .key.ssh_fingerprint(),
        .until.map(|u| format!(" until {u}")).unwrap_or_default()
    )]
    KeyOutOfValidity {
        /// The reviewer.
        reviewer: String,
        /// The key that signed.
        key: ReviewerKey,
        /// Its validity's start.
        from: Timestamp,
        /// Its validity's end, if any.
        until: Option<Timestamp>,
        /// The vote's own time.
        at: Timestamp,
        /// When it is counted: the time of its event in the trail, or a decision's.
        counted: Timestamp,
    },
    /// The signature does not verify with any valid key of the reviewer's.
    #[error("the vote of `{}` does not count: {error}", esc(.reviewer))]
    Signature {
        /// The reviewer.
        reviewer: String,
        /// Why (with the last key tried).
        error: SignatureError,
    },
}
