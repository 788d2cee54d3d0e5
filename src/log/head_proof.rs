//! That an approved head is still its trail's latest as of a checkpoint: the proof a deploy
//! gate checks to see a revocation.
//!
//! An inclusion proof shows that a leaf is in the log; it cannot show that no later leaf is
//! about the same trail. A [`HeadProof`] carries the approved leaf, the hashes of the complete
//! subtrees left of it (its frontier: one per bit set in its index, at most 64), and every leaf
//! after it up to the checkpoint's size. The verifier recomputes the checkpoint's root from
//! them, so it has seen each later leaf, and refuses if one of them is about the same model,
//! version and environment: the trail moved on (revoked, retired, redeployed, vetoed) after the
//! head that was approved. Its size grows only with the changes logged since the approval.
//!
//! Stored as `{"index": …, "leaf": {…}, "frontier": ["<64 hex>", …], "later": [{…}, …]}`.

use serde::{Deserialize, Serialize};

use super::error::ProofError;
use super::hash::node_hash;
use super::leaf::Leaf;
use super::proof::TreeHead;
use super::tree::Tree;
use crate::event::Head;
use crate::value::hash::TreeHash;

/// That `leaf` is at `index` of the log and that no leaf after it, up to the size of the
/// checkpoint it is checked against, is about the same trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadProof {
    index: u64,
    leaf: Leaf,
    frontier: Vec<TreeHash>,
    later: Vec<Leaf>,
}

impl HeadProof {
    /// A proof from its parts, as read from elsewhere (checked only by
    /// [`verify`](Self::verify)).
    pub fn new(index: u64, leaf: Leaf, frontier: Vec<TreeHash>, later: Vec<Leaf>) -> Self {
        Self {
            index,
            leaf,
            frontier,
            later,
        }
    }

    /// The proof for the leaf at `index` of `tree`, whose leaves after it are `later` (the
    /// caller's copy of them; [`verify`](Self::verify) is what checks they are the tree's).
    ///
    /// # Errors
    ///
    /// [`ProofError::IndexBeyondSize`] if `tree` has no leaf `index`.
    pub fn prove(
        tree: &Tree,
        index: u64,
        leaf: Leaf,
        later: Vec<Leaf>,
    ) -> Result<Self, ProofError> {
        let frontier = tree.frontier(index)?;
        Ok(Self::new(index, leaf, frontier, later))
    }

    /// The approved leaf's index.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The approved leaf.
    pub fn leaf(&self) -> &Leaf {
        &self.leaf
    }

    /// The leaves after it.
    pub fn later(&self) -> &[Leaf] {
        &self.later
    }

    /// The size of the tree the proof is for: the leaf, those before it, those after.
    pub fn size(&self) -> u64 {
        let later = u64::try_from(self.later.len()).unwrap_or(u64::MAX);
        self.index.saturating_add(1).saturating_add(later)
    }

    /// Checks that the trail `name` `version` in `environment` is at `head` as of the tree
    /// whose trusted head (e.g. a checkpoint's) is `tree`: the proof's leaf is that trail at
    /// that head, the proof leads to the tree's root, and no later leaf is about that trail.
    ///
    /// # Errors
    ///
    /// [`ProofError::OtherLeaf`] naming the field in which the proof's leaf is not the
    /// approval's; [`ProofError::OtherSize`] if the proof is for another size than the tree's;
    /// [`ProofError::PathLength`] for a frontier of the wrong length;
    /// [`ProofError::RootMismatch`] if the leaves do not lead to the tree's root;
    /// [`ProofError::Replaced`] naming the later leaf that moved the trail on.
    pub fn verify(
        &self,
        tree: &TreeHead,
        (name, version, environment): (&str, &str, &str),
        head: Head,
    ) -> Result<(), ProofError> {
        let leaf = &self.leaf;
        for (field, ok) in [
            ("name", leaf.name() == name),
            ("version", leaf.version() == version),
            ("environment", leaf.environment() == environment),
            ("head", leaf.head() == head),
        ] {
            if !ok {
                return Err(ProofError::OtherLeaf { field });
            }
        }
        if self.size() != tree.size() {
            return Err(ProofError::OtherSize {
                proof: self.size(),
                checkpoint: tree.size(),
            });
        }
        if self.frontier.len() != self.index.count_ones() as usize {
            return Err(ProofError::PathLength {
                proof: "head",
                found: self.frontier.len(),
            });
        }
        if self.root() != tree.root() {
            return Err(ProofError::RootMismatch);
        }
        // Only now, when each later leaf is known to be the tree's.
        let later = self.index.saturating_add(1);
        for (offset, other) in (0u64..).zip(&self.later) {
            if other.is_same_trail(leaf) {
                return Err(ProofError::Replaced {
                    index: later.saturating_add(offset),
                    head: other.head(),
                });
            }
        }
        Ok(())
    }

    /// The root of the tree of the frontier's subtrees, the leaf and the later leaves: the
    /// complete subtrees of the tree's size, merged as they close, then folded from the right.
    fn root(&self) -> TreeHash {
        // (width, hash) of complete subtrees, widest first.
        let mut stack: Vec<(u64, TreeHash)> = Vec::with_capacity(65);
        let mut widths = (0..64u32)
            .rev()
            .map(|bit| 1u64 << bit)
            .filter(|w| self.index & w != 0);
        for hash in &self.frontier {
            stack.push((widths.next().unwrap_or(0), *hash));
        }
        for leaf in std::iter::once(&self.leaf).chain(&self.later) {
            let mut node = (1, leaf.hash());
            while let Some(&(width, left)) = stack.last() {
                if width != node.0 {
                    break;
                }
                stack.pop();
                node = (width.saturating_mul(2), node_hash(&left, &node.1));
            }
            stack.push(node);
        }
        let mut nodes = stack.into_iter().rev().map(|(_, hash)| hash);
        let first = nodes.next().unwrap_or_else(super::hash::empty_root);
        nodes.fold(first, |right, left| node_hash(&left, &right))
    }
}
