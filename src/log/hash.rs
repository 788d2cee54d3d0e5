//! RFC 9162 §2.1.1 hashing: a leaf is hashed with the prefix `0x00`, an inner node with `0x01`,
//! so that no leaf can pass for a node.

use sha2::{Digest, Sha256};

use crate::value::hash::TreeHash;

/// The hash of a leaf's bytes: `SHA-256(0x00 || leaf)`.
pub fn leaf_hash(leaf: &[u8]) -> TreeHash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(leaf);
    TreeHash::from_bytes(h.finalize().into())
}

/// The hash of an inner node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &TreeHash, right: &TreeHash) -> TreeHash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left.as_bytes());
    h.update(right.as_bytes());
    TreeHash::from_bytes(h.finalize().into())
}

/// The root of the empty tree: `SHA-256()` of nothing.
pub fn empty_root() -> TreeHash {
    TreeHash::from_bytes(Sha256::new().finalize().into())
}

/// The largest power of two strictly below `n`: where RFC 9162 splits a tree of `n` ≥ 2
/// leaves (0 for a smaller one, which has no split).
pub(crate) fn split(n: u64) -> u64 {
    match n.saturating_sub(1) {
        0 => 0,
        m => 1 << (63 - m.leading_zeros()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_splits_at_the_largest_power_of_two_below_its_size() {
        for (n, k) in [
            (0, 0),
            (1, 0),
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 4),
            (8, 4),
            (9, 8),
            (1 << 40, 1 << 39),
        ] {
            assert_eq!(split(n), k, "{n}");
        }
    }

    #[test]
    fn rfc_9162_vectors_for_the_empty_tree_and_a_leaf() {
        // SHA-256 of nothing, and of the single byte 0x00 (the empty leaf).
        assert_eq!(
            empty_root().to_string(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            leaf_hash(b"").to_string(),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }
}
