//! Revocation the gate sees: a head proof passes only for the latest head of its trail as of
//! the checkpoint, and only with every later leaf as the log holds it (none dropped, edited,
//! reordered or added).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use modelgate::log::{HeadProof, Leaf, ProofError, Tree, TreeHash};
use modelgate::{Head, Timestamp};
use proptest::prelude::*;

const TRAILS: [(&str, &str, &str); 3] = [
    ("churn", "1", "prod"),
    ("churn", "1", "staging"),
    ("churn", "2", "prod"),
];

fn leaf(trail: usize, n: u8) -> Leaf {
    let (name, version, environment) = TRAILS[trail];
    Leaf::new(
        name,
        version,
        environment,
        Head::from_bytes([n; 32]),
        u64::from(n),
        Timestamp::from_unix_secs(u64::from(n)),
    )
}

fn log(trails: &[usize]) -> (Tree, Vec<Leaf>) {
    let leaves: Vec<Leaf> = (0u8..).zip(trails).map(|(n, t)| leaf(*t, n)).collect();
    let mut tree = Tree::new();
    for l in &leaves {
        tree.append(l.hash());
    }
    (tree, leaves)
}

fn prove(tree: &Tree, leaves: &[Leaf], index: usize) -> HeadProof {
    HeadProof::prove(
        tree,
        index as u64,
        leaves[index].clone(),
        leaves[index + 1..].to_vec(),
    )
    .unwrap()
}

fn check(proof: &HeadProof, tree: &Tree, l: &Leaf) -> Result<(), ProofError> {
    proof.verify(
        &tree.head(),
        (l.name(), l.version(), l.environment()),
        l.head(),
    )
}

proptest! {
    #[test]
    fn a_head_proof_passes_exactly_when_no_later_leaf_is_of_its_trail(
        trails in prop::collection::vec(0usize..3, 1..70),
        pick in any::<prop::sample::Index>(),
    ) {
        let (tree, leaves) = log(&trails);
        let index = pick.index(leaves.len());
        let proof = prove(&tree, &leaves, index);
        let replaced = (index + 1..leaves.len()).find(|&j| trails[j] == trails[index]);
        match replaced {
            None => prop_assert_eq!(check(&proof, &tree, &leaves[index]), Ok(())),
            Some(j) => prop_assert_eq!(
                check(&proof, &tree, &leaves[index]),
                Err(ProofError::Replaced { index: j as u64, head: leaves[j].head() })
            ),
        }
    }

    #[test]
    fn a_head_proof_with_its_later_leaves_changed_never_passes(
        trails in prop::collection::vec(0usize..3, 2..70),
        pick in any::<prop::sample::Index>(),
        which in any::<prop::sample::Index>(),
        how in 0usize..4,
    ) {
        let (tree, leaves) = log(&trails);
        let index = pick.index(leaves.len() - 1);
        let mut later = leaves[index + 1..].to_vec();
        let at = which.index(later.len());
        match how {
            // Dropped: the revoking leaf hidden.
            0 => { later.remove(at); }
            // Edited to another trail.
            1 => {
                let l = &later[at];
                later[at] = Leaf::new("other", l.version(), l.environment(), l.head(), l.revision(), l.at());
            }
            // Reordered (a no-op when both are one leaf).
            2 => {
                if later.len() < 2 || later[0] == later[later.len() - 1] { return Ok(()); }
                let last = later.len() - 1;
                later.swap(0, last);
            }
            // One added.
            _ => later.push(leaf(0, 200)),
        }
        let proof = HeadProof::new(index as u64, leaves[index].clone(), tree.frontier(index as u64).unwrap(), later);
        prop_assert!(check(&proof, &tree, &leaves[index]).is_err());
    }

    #[test]
    fn a_head_proof_with_its_frontier_changed_never_passes(
        trails in prop::collection::vec(0usize..3, 2..70),
        pick in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
    ) {
        let (tree, leaves) = log(&trails);
        let index = pick.index(leaves.len() - 1) + 1;
        let mut frontier = tree.frontier(index as u64).unwrap();
        let at = flip.index(frontier.len());
        let mut bytes = *frontier[at].as_bytes();
        bytes[0] ^= 1;
        frontier[at] = TreeHash::from_bytes(bytes);
        let proof = HeadProof::new(index as u64, leaves[index].clone(), frontier, leaves[index + 1..].to_vec());
        prop_assert_eq!(check(&proof, &tree, &leaves[index]), Err(ProofError::RootMismatch));
    }
}

#[test]
fn a_head_proof_of_another_trail_or_head_is_refused_naming_the_field() {
    let (tree, leaves) = log(&[0, 1, 2]);
    let proof = prove(&tree, &leaves, 2);
    let l = &leaves[2];
    let head = tree.head();
    let other = Head::from_bytes([9; 32]);
    for (field, result) in [
        (
            "name",
            proof.verify(&head, ("other", l.version(), l.environment()), l.head()),
        ),
        (
            "version",
            proof.verify(&head, (l.name(), "9", l.environment()), l.head()),
        ),
        (
            "environment",
            proof.verify(&head, (l.name(), l.version(), "dev"), l.head()),
        ),
        (
            "head",
            proof.verify(&head, (l.name(), l.version(), l.environment()), other),
        ),
    ] {
        assert_eq!(result, Err(ProofError::OtherLeaf { field }));
    }
}

#[test]
fn a_head_proof_for_another_size_or_with_a_short_frontier_is_refused() {
    let (tree, leaves) = log(&[0, 1, 2, 0, 1]);
    let proof = prove(&tree, &leaves, 3);
    let l = &leaves[3];
    let trail = (l.name(), l.version(), l.environment());
    assert_eq!(
        proof.verify(&tree.head_at(4).unwrap(), trail, l.head()),
        Err(ProofError::OtherSize {
            proof: 5,
            checkpoint: 4
        })
    );
    let short = HeadProof::new(3, l.clone(), vec![], leaves[4..].to_vec());
    assert_eq!(
        short.verify(&tree.head(), trail, l.head()),
        Err(ProofError::PathLength {
            proof: "head",
            found: 0
        })
    );
}

#[test]
fn head_proof_messages_and_format() {
    let (tree, leaves) = log(&[0, 1, 0]);
    let replaced = prove(&tree, &leaves, 0);
    let l = &leaves[0];
    let err = check(&replaced, &tree, l).unwrap_err();
    let messages = [
        err.to_string(),
        ProofError::OtherLeaf { field: "head" }.to_string(),
        ProofError::PathLength {
            proof: "head",
            found: 3,
        }
        .to_string(),
    ];
    insta::assert_snapshot!("head_proof_messages", messages.join("\n"));
    insta::assert_snapshot!(
        "head_proof_format",
        serde_json::to_string_pretty(&prove(&tree, &leaves, 1)).unwrap()
    );
    // Read back as written; unknown fields refused.
    let json = serde_json::to_string(&replaced).unwrap();
    assert_eq!(serde_json::from_str::<HeadProof>(&json).unwrap(), replaced);
    let extra = json.replacen('{', "{\"size\":3,", 1);
    assert!(serde_json::from_str::<HeadProof>(&extra).is_err());
}
