//! The tree itself: every node hash kept by level, so that appending is O(1) amortized and the
//! root, an inclusion proof or a consistency proof at any size the log has had is O(log n).

use std::sync::OnceLock;

use super::error::ProofError;
use super::hash::{empty_root, node_hash, split};
use super::path::{self, Source};
use super::proof::{ConsistencyProof, InclusionProof, TreeHead};
use super::stored::NodeId;
use crate::value::hash::TreeHash;

/// An append-only Merkle tree (RFC 9162), sans I/O: it appends leaf hashes and proves.
///
/// Level 0 holds the leaf hashes; level `k` the hash of every complete subtree of `2^k` leaves,
/// in order. A store keeps the same nodes in its tables; this is the math over them.
///
/// ```
/// use modelgate::log::{Tree, leaf_hash};
/// let mut tree = Tree::new();
/// for entry in [b"a", b"b", b"c"] {
///     tree.append(leaf_hash(entry));
/// }
/// let proof = tree.prove_inclusion(1, 3)?;
/// proof.verify(&leaf_hash(b"b"), &tree.head())?;
/// let held = tree.head_at(2)?;
/// tree.prove_consistency(2, 3)?.verify(&held, &tree.head())?;
/// # Ok::<(), modelgate::log::ProofError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Tree {
    levels: Vec<Vec<TreeHash>>,
    /// At the current size, the hash of every incomplete subtree along the right edge, by its
    /// first leaf: computed once per size (O(log n) hashes), so that the root and proofs at the
    /// current size only look nodes up.
    edge: OnceLock<Vec<(u64, TreeHash)>>,
}

impl PartialEq for Tree {
    fn eq(&self, other: &Self) -> bool {
        self.levels == other.levels
    }
}

impl Eq for Tree {}

impl Tree {
    /// The empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many leaves it holds.
    pub fn size(&self) -> u64 {
        self.levels
            .first()
            .map_or(0, |leaves| u64::try_from(leaves.len()).unwrap_or(u64::MAX))
    }

    /// Appends a leaf's hash (see [`leaf_hash`](super::leaf_hash)) and returns its index.
    /// O(1) amortized: each complete subtree it closes is hashed once.
    pub fn append(&mut self, leaf: TreeHash) -> u64 {
        self.edge = OnceLock::new();
        let index = self.size();
        let mut node = leaf;
        let mut level = 0;
        loop {
            if self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            let Some(row) = self.levels.get_mut(level) else {
                break;
            };
            row.push(node);
            // A node at an odd position closes its parent's subtree.
            if row.len() % 2 == 1 {
                break;
            }
            let (Some(left), Some(right)) = (row.get(row.len() - 2), row.last()) else {
                break;
            };
            node = node_hash(left, right);
            level += 1;
        }
        index
    }

    /// The root now.
    pub fn root(&self) -> TreeHash {
        self.hash(0, self.size()).unwrap_or_else(|_| empty_root())
    }

    /// The head now: the size and the root.
    pub fn head(&self) -> TreeHead {
        TreeHead::new(self.size(), self.root())
    }

    /// The head when the tree had `size` leaves.
    ///
    /// # Errors
    ///
    /// [`ProofError::SizeBeyondTree`] if the tree never had `size` leaves.
    pub fn head_at(&self, size: u64) -> Result<TreeHead, ProofError> {
        path::head_at(self, size)
    }

    /// The audit path of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1),
    /// from the leaf's sibling up. O(log n).
    ///
    /// # Errors
    ///
    /// [`ProofError::SizeBeyondTree`] if the tree never had `size` leaves;
    /// [`ProofError::IndexBeyondSize`] if `index` is not below `size`.
    pub fn prove_inclusion(&self, index: u64, size: u64) -> Result<InclusionProof, ProofError> {
        path::inclusion(self, index, size)
    }

    /// The proof that the tree of `new` leaves extends the tree of `old` leaves (RFC 9162
    /// §2.1.4.1), from the bottom up. O(log n).
    ///
    /// # Errors
    ///
    /// [`ProofError::SizeBeyondTree`] if the tree never had `new` leaves;
    /// [`ProofError::EmptyTree`] if `old` is 0; [`ProofError::SizesOutOfOrder`] if `old` is
    /// larger than `new`.
    pub fn prove_consistency(&self, old: u64, new: u64) -> Result<ConsistencyProof, ProofError> {
        path::consistency(self, old, new)
    }

    /// The hashes of the complete subtrees that cover the leaves before `index`, widest
    /// first: one per bit set in `index` (what a [`HeadProof`](super::HeadProof) carries).
    ///
    /// # Errors
    ///
    /// [`ProofError::IndexBeyondSize`] if the tree has no leaf `index`.
    pub fn frontier(&self, index: u64) -> Result<Vec<TreeHash>, ProofError> {
        path::frontier(self, index)
    }

    /// Every stored hash, as a store keeps it: the complete subtree of `2^level` leaves from
    /// leaf `index << level`, for each level and index.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, TreeHash)> + '_ {
        (0u32..).zip(&self.levels).flat_map(|(level, row)| {
            (0u64..)
                .zip(row)
                .map(move |(index, hash)| (NodeId::new(level, index), *hash))
        })
    }
}

impl Source for Tree {
    fn size(&self) -> u64 {
        Tree::size(self)
    }

    /// The hash of the leaves `lo..hi` (`lo` aligned as RFC 9162's recursion leaves it): a
    /// stored node if the range is a complete subtree; on the current right edge, the cached
    /// hash; else its complete left part and the rest. At most one incomplete range per level:
    /// O(log n).
    fn hash(&self, lo: u64, hi: u64) -> Result<TreeHash, ProofError> {
        let width = hi - lo;
        if width == 0 {
            return Ok(empty_root());
        }
        if width.is_power_of_two() && lo.is_multiple_of(width) {
            return self.node(lo, width);
        }
        if hi == self.size()
            && let Some((_, hash)) = self.edge().iter().find(|(start, _)| *start == lo)
        {
            return Ok(*hash);
        }
        let k = split(width);
        Ok(node_hash(&self.hash(lo, lo + k)?, &self.hash(lo + k, hi)?))
    }
}

impl Tree {
    /// The stored hash of the complete subtree of `width` leaves from `lo`.
    fn node(&self, lo: u64, width: u64) -> Result<TreeHash, ProofError> {
        let level = width.trailing_zeros() as usize;
        let at = usize::try_from(lo >> level).unwrap_or(usize::MAX);
        self.levels
            .get(level)
            .and_then(|row| row.get(at))
            .copied()
            .ok_or(ProofError::SizeBeyondTree {
                size: lo.saturating_add(width),
                have: self.size(),
            })
    }

    /// The incomplete subtrees `lo..size` along the right edge, with their hashes, computed
    /// from the deepest up the first time they are asked for at this size.
    fn edge(&self) -> &[(u64, TreeHash)] {
        self.edge.get_or_init(|| {
            let n = self.size();
            // Where each incomplete range starts, and the complete left part it splits off.
            let mut starts = Vec::new();
            let mut lo = 0;
            while n - lo > 1 && !(n - lo).is_power_of_two() {
                let k = split(n - lo);
                starts.push((lo, k));
                lo += k;
            }
            let mut edge = Vec::with_capacity(starts.len());
            let mut right = match n - lo {
                0 => return edge,
                width => match self.node(lo, width) {
                    Ok(hash) => hash,
                    Err(_) => return edge,
                },
            };
            for (lo, k) in starts.into_iter().rev() {
                let Ok(left) = self.node(lo, k) else {
                    return Vec::new();
                };
                right = node_hash(&left, &right);
                edge.push((lo, right));
            }
            edge
        })
    }
}
