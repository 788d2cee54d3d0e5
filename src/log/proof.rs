//! Inclusion and consistency proofs, and their verification (RFC 9162 §2.1.3.2, §2.1.4.2):
//! what a holder of a checkpoint checks without the log.

use serde::{Deserialize, Serialize};

use super::error::ProofError;
use super::hash::node_hash;
use crate::value::hash::TreeHash;

/// The most hashes a proof of a tree of up to 2⁶⁴ leaves needs; a longer path is refused before
/// any hashing.
const MAX_PATH: usize = 64;

/// A tree's size and root (RFC 9162's tree head): what a checkpoint states, and what a proof is
/// checked against. A proof states sizes too; only the sizes of a head the verifier trusts count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeHead {
    size: u64,
    root: TreeHash,
}

impl TreeHead {
    /// The head of a tree of `size` leaves whose root is `root`.
    pub fn new(size: u64, root: TreeHash) -> Self {
        Self { size, root }
    }

    /// How many leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Their root.
    pub fn root(&self) -> TreeHash {
        self.root
    }
}

/// A proof's size against the trusted head's.
fn same_size(proof: u64, head: &TreeHead) -> Result<(), ProofError> {
    match proof == head.size {
        true => Ok(()),
        false => Err(ProofError::OtherSize {
            proof,
            checkpoint: head.size,
        }),
    }
}

/// That leaf `index` is in the tree of `size` leaves: the audit path from the leaf's sibling up.
///
/// Stored as `{"index": …, "size": …, "path": ["<64 hex digits>", …]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    index: u64,
    size: u64,
    path: Vec<TreeHash>,
}

impl InclusionProof {
    /// A proof from its parts, as read from elsewhere (checked only by
    /// [`verify`](Self::verify)).
    pub fn new(index: u64, size: u64, path: Vec<TreeHash>) -> Self {
        Self { index, size, path }
    }

    /// The leaf's index.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The size of the tree it is proved in.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The audit path, from the leaf's sibling up.
    pub fn path(&self) -> &[TreeHash] {
        &self.path
    }

    /// Checks that `leaf` (a [`leaf_hash`](super::leaf_hash)) is at this index of the tree
    /// whose trusted head is `head` (its size and root, e.g. from a checkpoint), as Go's
    /// `tlog.CheckRecord` does.
    ///
    /// # Errors
    ///
    /// [`ProofError::OtherSize`] if the proof is for another size than the head's;
    /// [`ProofError::IndexBeyondSize`], [`ProofError::PathLength`] for a path of the wrong
    /// length, [`ProofError::RootMismatch`] if the path does not lead to the head's root.
    pub fn verify(&self, leaf: &TreeHash, head: &TreeHead) -> Result<(), ProofError> {
        same_size(self.size, head)?;
        let root = &head.root;
        let (index, size) = (self.index, self.size);
        if index >= size {
            return Err(ProofError::IndexBeyondSize { index, size });
        }
        if self.path.len() > MAX_PATH {
            return Err(self.path_length());
        }
        let (mut f, mut s, mut r) = (index, size - 1, *leaf);
        for p in &self.path {
            if s == 0 {
                return Err(self.path_length());
            }
            if f & 1 == 1 || f == s {
                r = node_hash(p, &r);
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            } else {
                r = node_hash(&r, p);
            }
            f >>= 1;
            s >>= 1;
        }
        if s != 0 {
            return Err(self.path_length());
        }
        if r != *root {
            return Err(ProofError::RootMismatch);
        }
        Ok(())
    }

    fn path_length(&self) -> ProofError {
        ProofError::PathLength {
            proof: "inclusion",
            found: self.path.len(),
        }
    }
}

/// That the tree of `new` leaves extends the tree of `old` leaves: nothing in it was changed,
/// removed or reordered, only appended.
///
/// Stored as `{"old_size": …, "new_size": …, "path": ["<64 hex digits>", …]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    old_size: u64,
    new_size: u64,
    path: Vec<TreeHash>,
}

impl ConsistencyProof {
    /// A proof from its parts, as read from elsewhere (checked only by
    /// [`verify`](Self::verify)).
    pub fn new(old_size: u64, new_size: u64, path: Vec<TreeHash>) -> Self {
        Self {
            old_size,
            new_size,
            path,
        }
    }

    /// The size of the older tree.
    pub fn old_size(&self) -> u64 {
        self.old_size
    }

    /// The size of the newer tree.
    pub fn new_size(&self) -> u64 {
        self.new_size
    }

    /// The proof's hashes, from the bottom up.
    pub fn path(&self) -> &[TreeHash] {
        &self.path
    }

    /// Checks that the tree whose trusted head is `new` extends the one whose trusted head is
    /// `old` (their sizes and roots, e.g. from two checkpoints), as Go's `tlog.CheckTree` does:
    /// both trees have at least one leaf.
    ///
    /// # Errors
    ///
    /// [`ProofError::OtherSize`] if the proof is for other sizes than the heads';
    /// [`ProofError::EmptyTree`], [`ProofError::SizesOutOfOrder`], [`ProofError::PathLength`]
    /// for a path of the wrong length, [`ProofError::RootMismatch`] if the path does not lead to
    /// both roots (for equal sizes: if the roots differ).
    pub fn verify(&self, old: &TreeHead, new: &TreeHead) -> Result<(), ProofError> {
        same_size(self.old_size, old)?;
        same_size(self.new_size, new)?;
        let (old_root, new_root) = (&old.root, &new.root);
        let (old, new) = (self.old_size, self.new_size);
        if old == 0 {
            return Err(ProofError::EmptyTree);
        }
        if old > new {
            return Err(ProofError::SizesOutOfOrder { old, new });
        }
        if old == new {
            // A tree extends itself only.
            if !self.path.is_empty() {
                return Err(self.path_length());
            }
            return match old_root == new_root {
                true => Ok(()),
                false => Err(ProofError::RootMismatch),
            };
        }
        if self.path.len() > MAX_PATH {
            return Err(self.path_length());
        }
        // An old tree of a power-of-two size is a node of the new one: its root starts the path.
        let mut path = self.path.iter();
        let first = if old.is_power_of_two() {
            *old_root
        } else {
            *path.next().ok_or_else(|| self.path_length())?
        };
        let (mut f, mut s) = (old - 1, new - 1);
        while f & 1 == 1 {
            f >>= 1;
            s >>= 1;
        }
        let (mut fr, mut sr) = (first, first);
        for c in path {
            if s == 0 {
                return Err(self.path_length());
            }
            if f & 1 == 1 || f == s {
                fr = node_hash(c, &fr);
                sr = node_hash(c, &sr);
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            } else {
                sr = node_hash(&sr, c);
            }
            f >>= 1;
            s >>= 1;
        }
        if s != 0 {
            return Err(self.path_length());
        }
        if fr != *old_root || sr != *new_root {
            return Err(ProofError::RootMismatch);
        }
        Ok(())
    }

    fn path_length(&self) -> ProofError {
        ProofError::PathLength {
            proof: "consistency",
            found: self.path.len(),
        }
    }
}
