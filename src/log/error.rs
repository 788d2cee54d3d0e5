//! Why a proof, a checkpoint or a note was refused.

use crate::value::text::esc;

/// A proof could not be made or does not hold.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// A proof asked of a tree size the log never had.
    #[error("the log has {have} leaves; it never had {size}")]
    SizeBeyondTree {
        /// The size asked for.
        size: u64,
        /// The log's size.
        have: u64,
    },
    /// A leaf index at or past the tree's size.
    #[error("leaf {index} is not in a tree of {size} leaves")]
    IndexBeyondSize {
        /// The leaf's index.
        index: u64,
        /// The tree's size.
        size: u64,
    },
    /// An older tree larger than the newer one.
    #[error("a tree of {old} leaves cannot be extended to {new}")]
    SizesOutOfOrder {
        /// The older size.
        old: u64,
        /// The newer size.
        new: u64,
    },
    /// A consistency proof from a tree without leaves (as Go's `tlog.CheckTree`, the crate
    /// neither makes nor checks one: every tree extends the empty one, so it proves nothing).
    #[error("a consistency proof needs trees of at least one leaf")]
    EmptyTree,
    /// A proof with more or fewer hashes than its sizes need.
    #[error("the {proof} proof has {found} hashes, not as many as its sizes need")]
    PathLength {
        /// `inclusion` or `consistency`.
        proof: &'static str,
        /// The hashes it has.
        found: usize,
    },
    /// A proof for a tree of another size than the checkpoint's.
    #[error("the proof is for a tree of {proof} leaves, the checkpoint's has {checkpoint}")]
    OtherSize {
        /// The size the proof is for.
        proof: u64,
        /// The checkpoint's size.
        checkpoint: u64,
    },
    /// A head proof whose leaf is not the approval's: another model, version, environment or
    /// head.
    #[error("the proof's leaf has another {field} than the approval")]
    OtherLeaf {
        /// `name`, `version`, `environment` or `head`.
        field: &'static str,
    },
    /// A later leaf of a head proof moved the approved trail on: the approval was replaced
    /// (revoked, retired, vetoed, redeployed) as of the checkpoint.
    #[error("the trail moved on after the approved head: leaf {index} is its head `{head}`")]
    Replaced {
        /// The later leaf's index.
        index: u64,
        /// The head it reached.
        head: crate::event::Head,
    },
    /// The proof does not lead to the root (or roots) it should.
    #[error("the proof does not lead to the checkpoint's root")]
    RootMismatch,
}

/// A checkpoint or signed note that cannot be read, or whose signatures do not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// The note is malformed (the C2SP signed-note format): `what` says where.
    #[error("malformed note: {what}")]
    Malformed {
        /// What is wrong.
        what: &'static str,
    },
    /// The note's text is not a checkpoint (the C2SP tlog-checkpoint format).
    #[error("malformed checkpoint: {what}")]
    Checkpoint {
        /// What is wrong.
        what: &'static str,
    },
    /// A checkpoint of another log than the one expected.
    #[error("the checkpoint is for log `{}`, not `{}`", esc(.found), esc(.expected))]
    Origin {
        /// The origin expected.
        expected: String,
        /// The checkpoint's origin.
        found: String,
    },
    /// A signature by a trusted key (by name and key hash) does not verify.
    #[error("the signature of `{}` does not verify", esc(.name))]
    BadSignature {
        /// The key's name.
        name: String,
    },
    /// No signature by a trusted key.
    #[error("no signature by a trusted key")]
    Unverified,
    /// Two trusted keys with one name and key hash: which one signed is ambiguous.
    #[error("two trusted keys are named `{}` with one key hash", esc(.name))]
    AmbiguousKey {
        /// The keys' name.
        name: String,
    },
    /// Signed by witnesses, but fewer than required.
    #[error("{found} of the witnesses signed; {required} are required")]
    Witnesses {
        /// Verified witness signatures.
        found: usize,
        /// Required.
        required: usize,
    },
    /// A note that already carries the most signatures a reader accepts.
    #[error("the note already carries 100 signatures")]
    Full,
    /// A verifier or signer key that cannot be read.
    #[error("invalid note key: {what}")]
    Key {
        /// What is wrong.
        what: &'static str,
    },
}
