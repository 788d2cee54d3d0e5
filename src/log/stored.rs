//! The tree as a store keeps it: the hash of every complete subtree, by level and index (as Go's
//! `tlog` "stored hashes"), written once when its last leaf is appended and never changed. Sans
//! I/O: these functions say which stored hashes an append or a proof needs, and compute from
//! them, so that a store reads O(log n) rows for a checkpoint or a proof, and writes O(1)
//! amortized (at most 64) per leaf.
//!
//! ```
//! use std::collections::BTreeMap;
//! use modelgate::log::{StoredTree, Tree, appended_nodes, leaf_hash, nodes_for_append};
//!
//! let (mut table, mut tree) = (BTreeMap::new(), Tree::new());
//! for (index, entry) in (0u64..).zip([b"a", b"b", b"c"]) {
//!     let leaf = leaf_hash(entry);
//!     let siblings: BTreeMap<_, _> = nodes_for_append(index)
//!         .into_iter()
//!         .filter_map(|id| table.get(&id).map(|h| (id, *h)))
//!         .collect();
//!     table.extend(appended_nodes(index, leaf, &siblings)?);
//!     tree.append(leaf);
//! }
//! let stored = StoredTree::new(3, table);
//! assert_eq!(stored.head_at(3)?, tree.head());
//! assert_eq!(stored.prove_inclusion(1, 3)?, tree.prove_inclusion(1, 3)?);
//! # Ok::<(), modelgate::log::ProofError>(())
//! ```

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use super::error::ProofError;
use super::hash::{empty_root, node_hash, split};
use super::path::{self, Source};
use super::proof::{ConsistencyProof, InclusionProof, TreeHead};
use crate::value::hash::TreeHash;

/// A stored hash's place: the complete subtree of `2^level` leaves from leaf `index << level`
/// (level 0 holds the leaf hashes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId {
    level: u32,
    index: u64,
}

impl NodeId {
    /// The subtree of `2^level` leaves from leaf `index << level`.
    pub fn new(level: u32, index: u64) -> Self {
        Self { level, index }
    }

    /// Its level: `log2` of its width.
    pub fn level(&self) -> u32 {
        self.level
    }

    /// Its index among the subtrees of its level.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The complete subtree `lo..lo + width`, or none if that range is not one.
    fn of_range(lo: u64, width: u64) -> Option<Self> {
        (width.is_power_of_two() && lo.is_multiple_of(width)).then(|| Self {
            level: width.trailing_zeros(),
            index: lo >> width.trailing_zeros(),
        })
    }
}

/// The hash of `lo..hi` from complete subtrees only: O(log n) of them.
fn range_hash(
    lo: u64,
    hi: u64,
    node: &impl Fn(NodeId) -> Result<TreeHash, ProofError>,
) -> Result<TreeHash, ProofError> {
    let width = hi.saturating_sub(lo);
    if width == 0 {
        return Ok(empty_root());
    }
    if let Some(id) = NodeId::of_range(lo, width) {
        return node(id);
    }
    let k = split(width);
    Ok(node_hash(
        &range_hash(lo, lo + k, node)?,
        &range_hash(lo + k, hi, node)?,
    ))
}

/// The stored hashes of a log of `size` leaves that a store has read: enough of them to
/// answer the question they were read for (see the `nodes_for_*` functions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredTree {
    size: u64,
    nodes: BTreeMap<NodeId, TreeHash>,
}

impl StoredTree {
    /// The log of `size` leaves, by the stored hashes read of it.
    pub fn new(size: u64, nodes: BTreeMap<NodeId, TreeHash>) -> Self {
        Self { size, nodes }
    }

    /// The head of its first `size` leaves.
    ///
    /// # Errors
    ///
    /// [`ProofError::SizeBeyondTree`] if the log is shorter, or a hash it needs was not read
    /// (see [`nodes_for_head`]).
    pub fn head_at(&self, size: u64) -> Result<TreeHead, ProofError> {
        path::head_at(self, size)
    }

    /// As [`Tree::prove_inclusion`](super::Tree::prove_inclusion).
    ///
    /// # Errors
    ///
    /// As [`Tree::prove_inclusion`](super::Tree::prove_inclusion); a hash not read (see
    /// [`nodes_for_inclusion`]) is [`ProofError::SizeBeyondTree`].
    pub fn prove_inclusion(&self, index: u64, size: u64) -> Result<InclusionProof, ProofError> {
        path::inclusion(self, index, size)
    }

    /// As [`Tree::prove_consistency`](super::Tree::prove_consistency).
    ///
    /// # Errors
    ///
    /// As [`Tree::prove_consistency`](super::Tree::prove_consistency); a hash not read (see
    /// [`nodes_for_consistency`]) is [`ProofError::SizeBeyondTree`].
    pub fn prove_consistency(&self, old: u64, new: u64) -> Result<ConsistencyProof, ProofError> {
        path::consistency(self, old, new)
    }

    /// As [`Tree::frontier`](super::Tree::frontier).
    ///
    /// # Errors
    ///
    /// As [`Tree::frontier`](super::Tree::frontier); a hash not read (see
    /// [`nodes_for_frontier`]) is [`ProofError::SizeBeyondTree`].
    pub fn frontier(&self, index: u64) -> Result<Vec<TreeHash>, ProofError> {
        path::frontier(self, index)
    }
}

impl Source for StoredTree {
    fn size(&self) -> u64 {
        self.size
    }

    fn hash(&self, lo: u64, hi: u64) -> Result<TreeHash, ProofError> {
        range_hash(lo, hi, &|id: NodeId| {
            self.nodes
                .get(&id)
                .copied()
                .ok_or(ProofError::SizeBeyondTree {
                    size: (id.index.saturating_add(1)).saturating_mul(1 << id.level.min(63)),
                    have: self.size,
                })
        })
    }
}

/// A source that answers every hash with zeros and notes which stored hashes were asked for:
/// the algorithms' reads do not depend on the hashes' values, so this is exactly what a proof
/// from a [`StoredTree`] reads.
struct Recorder {
    size: u64,
    asked: RefCell<BTreeSet<NodeId>>,
}

impl Recorder {
    fn run<T>(
        size: u64,
        f: impl FnOnce(&Self) -> Result<T, ProofError>,
    ) -> Result<Vec<NodeId>, ProofError> {
        let recorder = Self {
            size,
            asked: RefCell::new(BTreeSet::new()),
        };
        f(&recorder)?;
        Ok(recorder.asked.into_inner().into_iter().collect())
    }
}

impl Source for Recorder {
    fn size(&self) -> u64 {
        self.size
    }

    fn hash(&self, lo: u64, hi: u64) -> Result<TreeHash, ProofError> {
        range_hash(lo, hi, &|id| {
            self.asked.borrow_mut().insert(id);
            Ok(TreeHash::from_bytes([0; 32]))
        })
    }
}

/// The stored hashes the head of the first `size` leaves is computed from: one per bit set in
/// `size`.
///
/// # Errors
///
/// None today for any `size`; kept fallible as the other `nodes_for_*`.
pub fn nodes_for_head(size: u64) -> Result<Vec<NodeId>, ProofError> {
    Recorder::run(size, |r| path::head_at(r, size))
}

/// The stored hashes an inclusion proof of leaf `index` in the tree of `size` leaves needs.
///
/// # Errors
///
/// [`ProofError::IndexBeyondSize`] if `index` is not below `size`.
pub fn nodes_for_inclusion(index: u64, size: u64) -> Result<Vec<NodeId>, ProofError> {
    Recorder::run(size, |r| path::inclusion(r, index, size))
}

/// The stored hashes a consistency proof from `old` to `new` leaves needs.
///
/// # Errors
///
/// [`ProofError::EmptyTree`] if `old` is 0; [`ProofError::SizesOutOfOrder`] if `old` is
/// larger than `new`.
pub fn nodes_for_consistency(old: u64, new: u64) -> Result<Vec<NodeId>, ProofError> {
    Recorder::run(new, |r| path::consistency(r, old, new))
}

/// The stored hashes of the frontier of leaf `index` (what a
/// [`HeadProof`](super::HeadProof) carries): one per bit set in `index`.
///
/// # Errors
///
/// None today for any `index`; kept fallible as the other `nodes_for_*`.
pub fn nodes_for_frontier(index: u64) -> Result<Vec<NodeId>, ProofError> {
    Recorder::run(index.saturating_add(1), |r| path::frontier(r, index))
}

/// The stored hashes appending leaf `index` reads: the left sibling of each subtree the leaf
/// closes (one per trailing 1 bit of `index`).
pub fn nodes_for_append(index: u64) -> Vec<NodeId> {
    (0..index.trailing_ones())
        .map(|level| NodeId::new(level, (index >> level) - 1))
        .collect()
}

/// The stored hashes that appending the leaf hash `leaf` at `index` writes: the leaf, and each
/// complete subtree it closes, from `siblings` (as read by [`nodes_for_append`]).
///
/// # Errors
///
/// [`ProofError::SizeBeyondTree`] if a sibling is missing from `siblings`.
pub fn appended_nodes(
    index: u64,
    leaf: TreeHash,
    siblings: &BTreeMap<NodeId, TreeHash>,
) -> Result<Vec<(NodeId, TreeHash)>, ProofError> {
    let mut out = vec![(NodeId::new(0, index), leaf)];
    let mut node = leaf;
    for sibling in nodes_for_append(index) {
        let left = siblings.get(&sibling).ok_or(ProofError::SizeBeyondTree {
            size: index,
            have: sibling.index << sibling.level.min(63),
        })?;
        node = node_hash(left, &node);
        out.push((NodeId::new(sibling.level + 1, sibling.index >> 1), node));
    }
    Ok(out)
}
