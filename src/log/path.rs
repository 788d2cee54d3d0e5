//! The proof algorithms of RFC 9162 (§2.1.3.1, §2.1.4.1), over any source of subtree hashes:
//! the in-memory [`Tree`](super::Tree), or the complete-subtree hashes a store keeps
//! ([`StoredTree`](super::StoredTree)). Written once, so both prove the same.

use super::error::ProofError;
use super::hash::split;
use super::proof::{ConsistencyProof, InclusionProof, TreeHead};
use crate::value::hash::TreeHash;

/// Where the algorithms read hashes from.
pub(crate) trait Source {
    /// How many leaves the source holds: the largest size it can prove at.
    fn size(&self) -> u64;

    /// The hash of the leaves `lo..hi`, `lo` aligned as RFC 9162's recursion leaves it.
    fn hash(&self, lo: u64, hi: u64) -> Result<TreeHash, ProofError>;
}

fn check_size(source: &impl Source, size: u64) -> Result<(), ProofError> {
    match source.size() {
        have if size <= have => Ok(()),
        have => Err(ProofError::SizeBeyondTree { size, have }),
    }
}

/// The head of the first `size` leaves.
pub(crate) fn head_at(source: &impl Source, size: u64) -> Result<TreeHead, ProofError> {
    check_size(source, size)?;
    Ok(TreeHead::new(size, source.hash(0, size)?))
}

/// The audit path of leaf `index` in the tree of `size` leaves, from the leaf's sibling up.
pub(crate) fn inclusion(
    source: &impl Source,
    index: u64,
    size: u64,
) -> Result<InclusionProof, ProofError> {
    check_size(source, size)?;
    if index >= size {
        return Err(ProofError::IndexBeyondSize { index, size });
    }
    let (mut lo, mut hi, mut path) = (0, size, Vec::new());
    while hi - lo > 1 {
        let k = split(hi - lo);
        if index < lo + k {
            path.push(source.hash(lo + k, hi)?);
            hi = lo + k;
        } else {
            path.push(source.hash(lo, lo + k)?);
            lo += k;
        }
    }
    path.reverse();
    Ok(InclusionProof::new(index, size, path))
}

/// The proof that the tree of `new` leaves extends the tree of `old` leaves, bottom up.
pub(crate) fn consistency(
    source: &impl Source,
    old: u64,
    new: u64,
) -> Result<ConsistencyProof, ProofError> {
    check_size(source, new)?;
    if old == 0 {
        return Err(ProofError::EmptyTree);
    }
    if old > new {
        return Err(ProofError::SizesOutOfOrder { old, new });
    }
    let mut path = Vec::new();
    if old < new {
        // SUBPROOF(m, D[lo..hi], whole), unrolled: m counts from `lo`.
        let (mut lo, mut hi, mut m, mut whole) = (0, new, old, true);
        while m != hi - lo {
            let k = split(hi - lo);
            if m <= k {
                path.push(source.hash(lo + k, hi)?);
                hi = lo + k;
            } else {
                path.push(source.hash(lo, lo + k)?);
                lo += k;
                m -= k;
                whole = false;
            }
        }
        if !whole {
            path.push(source.hash(lo, hi)?);
        }
        path.reverse();
    }
    Ok(ConsistencyProof::new(old, new, path))
}

/// The hashes of the complete subtrees that cover the leaves before `index`, widest first.
pub(crate) fn frontier(source: &impl Source, index: u64) -> Result<Vec<TreeHash>, ProofError> {
    if index >= source.size() {
        return Err(ProofError::IndexBeyondSize {
            index,
            size: source.size(),
        });
    }
    let mut lo = 0;
    let mut out = Vec::new();
    for bit in (0..64u32).rev() {
        let width = 1u64 << bit;
        if index & width != 0 {
            out.push(source.hash(lo, lo + width)?);
            lo += width;
        }
    }
    Ok(out)
}
