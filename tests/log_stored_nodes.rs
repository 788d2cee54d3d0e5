//! The stored hashes a store keeps of the log: appending writes exactly the tree's
//! complete-subtree hashes, and a head, an inclusion or a consistency proof or a frontier
//! computed from only the O(log n) stored hashes the core says it needs equals the in-memory
//! tree's.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;

use modelgate::log::{
    NodeId, ProofError, StoredTree, Tree, TreeHash, appended_nodes, leaf_hash, nodes_for_append,
    nodes_for_consistency, nodes_for_frontier, nodes_for_head, nodes_for_inclusion,
};
use proptest::prelude::*;

/// A log of `n` leaves kept both ways: the table a store writes, and the core's tree.
fn both(n: u64) -> (BTreeMap<NodeId, TreeHash>, Tree) {
    let (mut table, mut tree) = (BTreeMap::new(), Tree::new());
    for index in 0..n {
        let leaf = leaf_hash(&index.to_be_bytes());
        let siblings: BTreeMap<_, _> = nodes_for_append(index)
            .into_iter()
            .map(|id| (id, table[&id]))
            .collect();
        table.extend(appended_nodes(index, leaf, &siblings).unwrap());
        tree.append(leaf);
    }
    (table, tree)
}

/// Only the stored hashes `ids`, as a store reads them.
fn read(table: &BTreeMap<NodeId, TreeHash>, size: u64, ids: &[NodeId]) -> StoredTree {
    StoredTree::new(size, ids.iter().map(|id| (*id, table[id])).collect())
}

/// The most stored hashes a question about a tree of `n` leaves may read: O(log n).
fn log_bound(n: u64) -> usize {
    2 * (64 - n.leading_zeros() as usize) + 2
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn appending_writes_exactly_the_trees_complete_subtree_hashes(n in 0u64..300) {
        let (table, tree) = both(n);
        let expected: BTreeMap<_, _> = tree.nodes().collect();
        prop_assert_eq!(table, expected);
    }

    #[test]
    fn proofs_from_the_stored_hashes_they_need_equal_the_trees(
        n in 1u64..300,
        a in any::<u64>(),
        b in any::<u64>(),
    ) {
        let (table, tree) = both(n);
        let size = 1 + b % n;
        let index = a % size;
        let old = 1 + a % size;

        let ids = nodes_for_head(size).unwrap();
        prop_assert!(ids.len() <= log_bound(n));
        prop_assert_eq!(read(&table, n, &ids).head_at(size).unwrap(), tree.head_at(size).unwrap());

        let ids = nodes_for_inclusion(index, size).unwrap();
        prop_assert!(ids.len() <= log_bound(n));
        prop_assert_eq!(
            read(&table, n, &ids).prove_inclusion(index, size).unwrap(),
            tree.prove_inclusion(index, size).unwrap()
        );

        let ids = nodes_for_consistency(old, size).unwrap();
        prop_assert!(ids.len() <= log_bound(n));
        prop_assert_eq!(
            read(&table, n, &ids).prove_consistency(old, size).unwrap(),
            tree.prove_consistency(old, size).unwrap()
        );

        let ids = nodes_for_frontier(index).unwrap();
        prop_assert!(ids.len() <= 64);
        prop_assert_eq!(read(&table, n, &ids).frontier(index).unwrap(), tree.frontier(index).unwrap());
    }

    #[test]
    fn a_stored_tree_refuses_what_the_tree_refuses(n in 1u64..100, a in any::<u64>()) {
        let (table, tree) = both(n);
        let stored = StoredTree::new(n, table);
        let past = n + 1 + a % 10;
        prop_assert_eq!(stored.head_at(past), tree.head_at(past));
        prop_assert_eq!(stored.prove_inclusion(n, n), tree.prove_inclusion(n, n));
        prop_assert_eq!(stored.prove_consistency(0, n), tree.prove_consistency(0, n));
        prop_assert_eq!(stored.prove_consistency(n, past), tree.prove_consistency(n, past));
    }
}

#[test]
fn a_proof_needing_a_hash_that_was_not_read_is_refused_not_guessed() {
    let (table, _) = both(7);
    let mut ids = nodes_for_head(7).unwrap();
    ids.pop();
    assert!(matches!(
        read(&table, 7, &ids).head_at(7),
        Err(ProofError::SizeBeyondTree { .. })
    ));
}

#[test]
fn an_append_without_the_siblings_it_closes_is_refused() {
    // Leaf 3 closes the subtrees 2..4 and 0..4: it needs leaf 2 and the node over 0..2.
    assert_eq!(nodes_for_append(3), [NodeId::new(0, 2), NodeId::new(1, 0)]);
    assert!(nodes_for_append(4).is_empty());
    assert!(matches!(
        appended_nodes(3, leaf_hash(b"d"), &BTreeMap::new()),
        Err(ProofError::SizeBeyondTree { .. })
    ));
}
