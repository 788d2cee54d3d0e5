//! Votes their reviewers sign (feature `signed-votes`): a vote that no single service, key or
//! database can fabricate.
//!
//! A reviewer signs a [`VoteStatement`], the canonical bytes of their vote (the model, version
//! and environment, the round of review it is for, their id, approve or reject, the artifact's
//! digest, their time, their comment), with their own Ed25519 key, on their own machine: either
//! as a raw Ed25519 signature ([`VoteSignature::sign_ed25519`]) or with OpenSSH
//! (`ssh-keygen -Y sign -f ~/.ssh/id_ed25519 -n modelgate-vote vote.bin`, the `sshsig` format git
//! uses for SSH-signed commits; [`VoteSignature::sign_ssh`] makes the same). Either verifies
//! against the reviewer's [`ReviewerKey`], written as an OpenSSH public key line or as 64 hex
//! digits ([`VoteSignature::verify`]).
//!
//! What a signature does not say is the reviewer's roles: a [`Roster`] binds people to keys and
//! roles, with validity periods (a rotated key, a person who left). It is itself evidence: each
//! [`RosterVersion`] names the one before by hash and is signed by a quorum of its admins, from
//! a first version whose hash the host pins, so no service, key or database
//! row outside that quorum can add a key for "rita" or give her a role.
//! [`VerifiedRoster::signer`] says who signed a vote and with which roles, or why it does not
//! count ([`VoteFinding`]). [`Roster::verify`] takes the first version's hash and the latest
//! version's hash the holder verified before, so a roster cut back to an earlier version (a
//! rotation or a removal undone) is refused; [`Roster::verify_first_time`], for a roster read
//! the first time, takes the first alone. Admins sign a version's
//! [`to_bytes`](RosterVersion::to_bytes) with their seed ([`RosterVersion::sign`]) or elsewhere
//! (`ssh-keygen -Y sign -n modelgate-roster`, [`RosterVersion::add_signature`]); as JSON
//! (`roster.json`) a roster is the array of its versions, oldest first, each with its
//! `number`, `previous`, `admins`, `threshold`, `members` (`id`, `key`, `roles`, `from`,
//! `until`) and `signatures` (`key`, `signature`: `{"ed25519": "<base64>"}` or
//! `{"sshsig": "<armored>"}`).
//!
//! `ssh-keygen -Y sign` does not overwrite an existing `vote.bin.sig` (it asks, and without a
//! terminal keeps the old one and still exits 0): remove the old signature file before signing
//! a new vote.
//!
//! ```
//! use modelgate::signed::{ReviewerKey, VoteSignature, VoteStatement};
//! use modelgate::{Head, Review, Timestamp};
//!
//! let round = Head::from_bytes([1; 32]); // the head of the event that began the round
//! let review = Review::approve("rita", "sha256:9f2c", Timestamp::from_unix_secs(100));
//! let statement = VoteStatement::new("churn", "4", "production", round, &review);
//!
//! let seed = [7; 32]; // rita's private key, on rita's machine
//! let signature = VoteSignature::sign_ed25519(&statement, &seed);
//! let key = ReviewerKey::from_seed(&seed); // what the roster holds for rita
//! assert!(signature.verify(&statement, &key).is_ok());
//!
//! // Another vote does not verify under rita's signature.
//! let reject = Review::reject("rita", "sha256:9f2c", Timestamp::from_unix_secs(100));
//! let other = VoteStatement::new("churn", "4", "production", round, &reject);
//! assert!(signature.verify(&other, &key).is_err());
//! ```
//!
//! The statement's grammar (the canonical encoding's primitives, as in [`crate::event`]):
//!
//! ```text
//! vote statement = text "modelgate.vote", u32 format_version (1), text name, text version,
//!                  text environment, hash round, text reviewer, u8 vote (0 approve, 1 reject),
//!                  text digest, u64 at (ms, the reviewer's own time), text comment
//! ```
//!
//! Only `ssh-ed25519` keys sign votes: one key type for both forms, so a roster holds one kind
//! of key; the SSH signature may hash with SHA-512 (`ssh-keygen`'s default) or SHA-256.

mod error;
mod key;
mod roster;
mod signature;
mod statement;

pub use crate::value::VoteSignature;
pub use error::{KeyError, RosterError, SignatureError, VoteFinding};
pub use key::ReviewerKey;
pub use roster::{AdminSignature, Member, Roster, RosterVersion, VerifiedRoster};
pub use signature::{NAMESPACE, ROSTER_NAMESPACE};
pub use statement::{FORMAT_VERSION, VoteStatement};
