//! An append-only log of every head a host's trails reach, so that a rollback, a deletion or a
//! store wiped and refilled is visible to whoever holds an earlier checkpoint.
//!
//! The log is a Merkle tree with RFC 9162 (Certificate Transparency v2) hashing, sans I/O: a
//! [`Tree`] appends [`Leaf`] hashes and proves inclusion ([`InclusionProof`]) and consistency
//! ([`ConsistencyProof`]) at any size it has had, each in O(log n). With the `log` feature, a
//! [`Checkpoint`] (C2SP `tlog-checkpoint`) states a size and root as a signed note (C2SP
//! `signed-note`, Ed25519, as Go's `golang.org/x/mod/sumdb/note` writes it), which witnesses
//! can cosign. CI checks checkpoints, notes and proofs against Go's reference implementation
//! (`golang.org/x/mod/sumdb/note` and `…/tlog`), both ways.
//!
//! Why not a crate for the math: the Merkle crates that implement these formats
//! (`tlog_tiles`, `ct-merkle`) bring a second major version of `sha2` and `ed25519-dalek`, and
//! `url`/ICU, into an I/O-free core whose hashing is this one file's three functions; the
//! interop check against Go's reference is what keeps them honest.

#[cfg(feature = "log")]
mod checkpoint;
mod error;
mod hash;
mod head_proof;
mod leaf;
#[cfg(feature = "log")]
mod note;
mod path;
mod proof;
mod stored;
mod tree;

pub use crate::value::hash::TreeHash;
#[cfg(feature = "log")]
pub use checkpoint::Checkpoint;
pub use error::{NoteError, ProofError};
pub use hash::{empty_root, leaf_hash, node_hash};
pub use head_proof::HeadProof;
pub use leaf::Leaf;
#[cfg(feature = "log")]
pub use note::{Note, NoteSigner, NoteVerifier, sign_note};
pub use proof::{ConsistencyProof, InclusionProof, TreeHead};
pub use stored::{
    NodeId, StoredTree, appended_nodes, nodes_for_append, nodes_for_consistency,
    nodes_for_frontier, nodes_for_head, nodes_for_inclusion,
};
pub use tree::Tree;
