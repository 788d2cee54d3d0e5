//! The log of heads: its proofs hold for what it holds and for nothing else, at every size it
//! has had; checkpoints and signed notes refuse what was not signed as it reads.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use modelgate::log::{
    ConsistencyProof, InclusionProof, Leaf, ProofError, Tree, TreeHash, TreeHead, empty_root,
    leaf_hash, node_hash,
};
use modelgate::{Head, Timestamp};
use proptest::prelude::*;

/// RFC 9162 §2.1.1, written as the RFC writes it: MTH(D[n]).
fn mth(leaves: &[TreeHash]) -> TreeHash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = n.next_power_of_two() / 2;
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

/// RFC 9162 §2.1.3.1: PATH(m, D[n]).
fn path(m: usize, leaves: &[TreeHash]) -> Vec<TreeHash> {
    let n = leaves.len();
    if n <= 1 {
        return vec![];
    }
    let k = n.next_power_of_two() / 2;
    if m < k {
        let mut p = path(m, &leaves[..k]);
        p.push(mth(&leaves[k..]));
        p
    } else {
        let mut p = path(m - k, &leaves[k..]);
        p.push(mth(&leaves[..k]));
        p
    }
}

/// RFC 9162 §2.1.4.1: SUBPROOF(m, D[n], b).
fn subproof(m: usize, leaves: &[TreeHash], whole: bool) -> Vec<TreeHash> {
    let n = leaves.len();
    if m == n {
        return if whole { vec![] } else { vec![mth(leaves)] };
    }
    let k = n.next_power_of_two() / 2;
    if m <= k {
        let mut p = subproof(m, &leaves[..k], whole);
        p.push(mth(&leaves[k..]));
        p
    } else {
        let mut p = subproof(m - k, &leaves[k..], false);
        p.push(mth(&leaves[..k]));
        p
    }
}

fn leaves(n: usize) -> Vec<TreeHash> {
    (0..n)
        .map(|i| leaf_hash(format!("leaf {i}").as_bytes()))
        .collect()
}

fn tree_of(leaves: &[TreeHash]) -> Tree {
    let mut tree = Tree::new();
    for (i, leaf) in leaves.iter().enumerate() {
        assert_eq!(tree.append(*leaf), i as u64);
    }
    tree
}

#[test]
fn roots_and_proofs_are_rfc_9162_at_every_size_the_log_has_had() {
    let all = leaves(70);
    let tree = tree_of(&all);
    for n in 0..=all.len() {
        let root = mth(&all[..n]);
        let head = tree.head_at(n as u64).unwrap();
        assert_eq!(head.root(), root, "root at {n}");
        for m in 0..n {
            let proof = tree.prove_inclusion(m as u64, n as u64).unwrap();
            assert_eq!(
                proof.path(),
                path(m, &all[..n]).as_slice(),
                "path {m} of {n}"
            );
            proof.verify(&all[m], &head).unwrap();
        }
        for old in 1..=n {
            let proof = tree.prove_consistency(old as u64, n as u64).unwrap();
            let expected = if old == n {
                vec![]
            } else {
                subproof(old, &all[..n], true)
            };
            assert_eq!(proof.path(), expected.as_slice(), "consistency {old} → {n}");
            let held = TreeHead::new(old as u64, mth(&all[..old]));
            proof.verify(&held, &head).unwrap();
        }
    }
    assert_eq!(tree.root(), mth(&all));
}

#[test]
fn a_proof_of_a_size_the_log_never_had_is_refused() {
    let tree = tree_of(&leaves(5));
    assert_eq!(
        tree.prove_inclusion(0, 6),
        Err(ProofError::SizeBeyondTree { size: 6, have: 5 })
    );
    assert_eq!(
        tree.prove_inclusion(5, 5),
        Err(ProofError::IndexBeyondSize { index: 5, size: 5 })
    );
    assert_eq!(
        tree.prove_consistency(4, 3),
        Err(ProofError::SizesOutOfOrder { old: 4, new: 3 })
    );
    assert_eq!(
        tree.head_at(6),
        Err(ProofError::SizeBeyondTree { size: 6, have: 5 })
    );
}

#[test]
fn an_inclusion_proof_holds_for_its_leaf_only() {
    let all = leaves(13);
    let tree = tree_of(&all);
    let root = tree.head();
    for m in 0..13u64 {
        let proof = tree.prove_inclusion(m, 13).unwrap();
        // Another leaf, another index, another size, another root: each refused.
        let other = all[((m + 1) % 13) as usize];
        assert_eq!(proof.verify(&other, &root), Err(ProofError::RootMismatch));
        let moved = InclusionProof::new((m + 1) % 13, 13, proof.path().to_vec());
        assert!(moved.verify(&all[m as usize], &root).is_err(), "moved {m}");
        // (The size is bound to the root by the checkpoint that states both: see
        // `Checkpoint::verify_inclusion`.)
        // A path cut short or grown refuses before it hashes to a root.
        let mut short = proof.path().to_vec();
        short.pop();
        assert!(
            InclusionProof::new(m, 13, short)
                .verify(&all[m as usize], &root)
                .is_err()
        );
        let mut long = proof.path().to_vec();
        long.push(root.root());
        assert!(
            InclusionProof::new(m, 13, long)
                .verify(&all[m as usize], &root)
                .is_err()
        );
        // An inner node is not a leaf (RFC 9162's 0x00/0x01 prefixes): the bytes of two
        // children, logged as one leaf's data, do not hash to their parent.
        if m % 2 == 0 && m < 12 {
            let node = node_hash(&all[m as usize], &proof.path()[0]);
            let lifted = InclusionProof::new(m / 2, 7, proof.path()[1..].to_vec());
            let up = TreeHead::new(7, root.root());
            assert!(lifted.verify(&node, &up).is_ok(), "the tree one level up");
            let data = [
                &all[m as usize].as_bytes()[..],
                &proof.path()[0].as_bytes()[..],
            ]
            .concat();
            assert_eq!(
                lifted.verify(&leaf_hash(&data), &up),
                Err(ProofError::RootMismatch)
            );
        }
    }
}

#[test]
fn a_proof_counts_only_against_a_trusted_heads_size() {
    // Leaf 2 of a 3-leaf tree has the same path as "leaf 1 of 2": the size a proof states
    // about itself never counts, only the trusted head's.
    let all = leaves(4);
    let tree = tree_of(&all[..3]);
    let proof = tree.prove_inclusion(2, 3).unwrap();
    let restated = InclusionProof::new(1, 2, proof.path().to_vec());
    assert_eq!(
        restated.verify(&all[2], &tree.head()),
        Err(ProofError::OtherSize {
            proof: 2,
            checkpoint: 3
        })
    );
    // An inner node is no leaf of a smaller tree under the same root.
    let four = tree_of(&all);
    let node = node_hash(&all[0], &all[1]);
    let lifted = InclusionProof::new(0, 2, vec![node_hash(&all[2], &all[3])]);
    assert!(lifted.verify(&node, &four.head()).is_err());
    // A consistency proof of equal sizes names the trusted sizes too.
    let same = ConsistencyProof::new(2, 2, vec![]);
    assert!(same.verify(&tree.head(), &tree.head()).is_err());
    // As Go's `tlog.CheckTree`: no consistency from an empty tree, made or checked.
    assert_eq!(tree.prove_consistency(0, 3), Err(ProofError::EmptyTree));
    let empty = TreeHead::new(0, leaf_hash(b"not the empty root"));
    assert_eq!(
        ConsistencyProof::new(0, 3, vec![]).verify(&empty, &tree.head()),
        Err(ProofError::EmptyTree)
    );
}

#[test]
fn a_rolled_back_or_rewritten_log_is_not_consistent_with_a_held_checkpoint() {
    let all = leaves(20);
    let tree = tree_of(&all);
    let held = tree.head_at(12).unwrap();
    // The honest log extends what was held.
    tree.prove_consistency(12, 20)
        .unwrap()
        .verify(&held, &tree.head())
        .unwrap();
    // A log whose leaf 7 was rewritten (a head put back), then refilled to the same size.
    let mut forged = all.clone();
    forged[7] = leaf_hash(b"an older sealed head");
    let forged_tree = tree_of(&forged);
    let proof = forged_tree.prove_consistency(12, 20).unwrap();
    assert_eq!(
        proof.verify(&held, &forged_tree.head()),
        Err(ProofError::RootMismatch)
    );
    // A log wiped and refilled with fewer leaves than were held cannot even be asked.
    let wiped = tree_of(&all[..5]);
    assert!(wiped.prove_consistency(12, 5).is_err());
    // The same size with another root is not the tree held.
    let same = ConsistencyProof::new(12, 12, vec![]);
    assert_eq!(
        same.verify(&held, &forged_tree.head_at(12).unwrap()),
        Err(ProofError::RootMismatch)
    );
    assert!(same.verify(&held, &held).is_ok());
}

#[test]
fn a_leaf_names_its_trail_head_revision_and_time_in_canonical_bytes() {
    let head: Head = "11".repeat(32).parse().unwrap();
    let leaf = Leaf::new(
        "churn",
        "1",
        "production",
        head,
        4,
        Timestamp::from_unix_millis(5),
    );
    let hex: String = leaf.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
    insta::assert_snapshot!(hex);
    insta::assert_snapshot!(leaf.hash().to_string());
    let json = serde_json::to_string(&leaf).unwrap();
    insta::assert_snapshot!(json);
    assert_eq!(serde_json::from_str::<Leaf>(&json).unwrap(), leaf);
    // Every field is in the hash: another revision, head, time or environment is another leaf.
    for other in [
        Leaf::new(
            "churn",
            "1",
            "production",
            head,
            5,
            Timestamp::from_unix_millis(5),
        ),
        Leaf::new(
            "churn",
            "1",
            "staging",
            head,
            4,
            Timestamp::from_unix_millis(5),
        ),
        Leaf::new(
            "churn",
            "1",
            "production",
            head,
            4,
            Timestamp::from_unix_millis(6),
        ),
        Leaf::new(
            "churn",
            "2",
            "production",
            head,
            4,
            Timestamp::from_unix_millis(5),
        ),
        Leaf::new(
            "churn",
            "1",
            "production",
            "22".repeat(32).parse().unwrap(),
            4,
            Timestamp::from_unix_millis(5),
        ),
        // Text boundaries are length-prefixed: moving bytes between fields moves the hash.
        Leaf::new(
            "churn1",
            "",
            "production",
            head,
            4,
            Timestamp::from_unix_millis(5),
        ),
    ] {
        assert_ne!(other.hash(), leaf.hash(), "{other:?}");
    }
}

#[test]
fn proofs_are_stored_as_documented() {
    let tree = tree_of(&leaves(3));
    let inclusion = serde_json::to_string(&tree.prove_inclusion(2, 3).unwrap()).unwrap();
    insta::assert_snapshot!(inclusion);
    let consistency = serde_json::to_string(&tree.prove_consistency(2, 3).unwrap()).unwrap();
    insta::assert_snapshot!(consistency);
    assert!(
        serde_json::from_str::<InclusionProof>(r#"{"index":0,"size":1,"path":[],"x":1}"#).is_err()
    );
}

#[test]
fn every_proof_error_says_what_is_wrong() {
    let errors = [
        ProofError::SizeBeyondTree { size: 6, have: 5 },
        ProofError::IndexBeyondSize { index: 5, size: 5 },
        ProofError::SizesOutOfOrder { old: 4, new: 3 },
        ProofError::PathLength {
            proof: "inclusion",
            found: 65,
        },
        ProofError::OtherSize {
            proof: 3,
            checkpoint: 4,
        },
        ProofError::RootMismatch,
        ProofError::EmptyTree,
    ];
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(text.join("\n"));
}

proptest! {
    #[test]
    fn any_proof_verifies_exactly_its_own_leaf_and_sizes(n in 1usize..200, m in 0usize..200, old in 0usize..200) {
        let m = m % n;
        let old = old % n + 1;
        let all = leaves(n);
        let tree = tree_of(&all);
        let root = tree.head();
        prop_assert_eq!(root.root(), mth(&all));
        let proof = tree.prove_inclusion(m as u64, n as u64).unwrap();
        prop_assert!(proof.verify(&all[m], &root).is_ok());
        let expected = path(m, &all);
        prop_assert_eq!(proof.path(), expected.as_slice());
        for (i, leaf) in all.iter().enumerate() {
            if *leaf != all[m] {
                prop_assert!(proof.verify(leaf, &root).is_err(), "leaf {} passed for {}", i, m);
            }
        }
        let consistency = tree.prove_consistency(old as u64, n as u64).unwrap();
        let held = TreeHead::new(old as u64, mth(&all[..old]));
        prop_assert!(consistency.verify(&held, &root).is_ok());
        if old < n {
            // Any single hash of the proof changed: refused.
            for i in 0..consistency.path().len() {
                let mut p = consistency.path().to_vec();
                p[i] = leaf_hash(b"forged");
                let forged = ConsistencyProof::new(old as u64, n as u64, p);
                prop_assert!(forged.verify(&held, &root).is_err());
            }
        }
    }
}

/// Checkpoints and signed notes (feature `log`).
#[cfg(feature = "log")]
mod checkpoints {
    use super::*;
    use modelgate::log::{Checkpoint, Note, NoteError, NoteSigner, NoteVerifier, sign_note};

    const ORIGIN: &str = "bank.example/heads";

    fn signer(seed: u8) -> NoteSigner {
        NoteSigner::new(ORIGIN, [seed; 32]).unwrap()
    }

    fn signed(size: u64) -> (Tree, String) {
        let tree = tree_of(&leaves(size as usize));
        let cp = Checkpoint::new(ORIGIN, size, tree.root()).unwrap();
        (tree, cp.sign(&signer(1)).unwrap())
    }

    #[test]
    fn a_checkpoint_is_a_c2sp_signed_note_and_reads_back() {
        let (tree, note) = signed(3);
        insta::assert_snapshot!(note);
        let cp = Checkpoint::open(&note, ORIGIN, &signer(1).verifier()).unwrap();
        assert_eq!(cp.head(), tree.head());
        let vkey = signer(1).verifier().to_text();
        insta::assert_snapshot!(vkey);
        assert_eq!(
            NoteVerifier::from_text(&vkey).unwrap(),
            signer(1).verifier()
        );
    }

    #[test]
    fn a_checkpoint_edited_after_signing_or_signed_by_another_key_is_refused() {
        let (tree, note) = signed(5);
        let trusted = signer(1).verifier();
        // Another size, another root: the signature no longer verifies.
        let resized = note.replacen("\n5\n", "\n4\n", 1);
        assert_eq!(
            Checkpoint::open(&resized, ORIGIN, &trusted),
            Err(NoteError::BadSignature {
                name: ORIGIN.into()
            })
        );
        // Re-signed by a key the holder does not trust: no trusted signature at all.
        let other = Checkpoint::new(ORIGIN, 4, tree.head_at(4).unwrap().root()).unwrap();
        let forged = other.sign(&signer(2)).unwrap();
        assert_eq!(
            Checkpoint::open(&forged, ORIGIN, &trusted),
            Err(NoteError::Unverified)
        );
        // A checkpoint of another log, signed by the right key.
        let elsewhere = Checkpoint::new("other.example/log", 5, tree.root()).unwrap();
        assert!(matches!(
            Checkpoint::open(&elsewhere.sign(&signer(1)).unwrap(), ORIGIN, &trusted),
            Err(NoteError::Origin { .. })
        ));
    }

    #[test]
    fn a_checkpoint_binds_a_proof_to_its_size() {
        let (tree, note) = signed(13);
        let cp = Checkpoint::open(&note, ORIGIN, &signer(1).verifier()).unwrap();
        let all = leaves(13);
        let proof = tree.prove_inclusion(3, 13).unwrap();
        cp.verify_inclusion(&all[3], &proof).unwrap();
        let resized = InclusionProof::new(3, 12, proof.path().to_vec());
        assert_eq!(
            cp.verify_inclusion(&all[3], &resized),
            Err(ProofError::OtherSize {
                proof: 12,
                checkpoint: 13
            })
        );
        let held = Checkpoint::new(ORIGIN, 8, tree.head_at(8).unwrap().root()).unwrap();
        cp.verify_extends(&held, &tree.prove_consistency(8, 13).unwrap())
            .unwrap();
        assert!(matches!(
            cp.verify_extends(&held, &tree.prove_consistency(7, 13).unwrap()),
            Err(ProofError::OtherSize { .. })
        ));
    }

    #[test]
    fn a_witness_cosigns_and_unknown_signatures_pass_through() {
        let (_, note) = signed(2);
        let witness = NoteSigner::new("witness.example", [9; 32]).unwrap();
        let mut opened = Note::open(&note, &[signer(1).verifier()]).unwrap();
        opened.cosign(&witness).unwrap();
        opened.cosign(&witness).unwrap(); // once only
        opened.cosign(&signer(1)).unwrap(); // the operator's line replaced, not repeated
        let text = opened.to_text();
        assert_eq!(text.matches('\u{2014}').count(), 2);
        let both = Note::open(&text, &[signer(1).verifier(), witness.verifier()]).unwrap();
        assert_eq!(both.verified_by().count(), 2);
        // The operator's key alone still opens it, the witness's line kept.
        let mine = Note::open(&text, &[signer(1).verifier()]).unwrap();
        assert_eq!(mine.to_text(), text);
    }

    #[test]
    fn a_line_planted_under_a_witness_name_cannot_block_its_cosignature() {
        let (_, note) = signed(2);
        let witness = NoteSigner::new("witness.example", [9; 32]).unwrap();
        let hash = witness.verifier().key_hash().to_be_bytes();
        let junk: Vec<u8> = hash.iter().copied().chain([0u8; 64]).collect();
        use base64::Engine as _;
        let planted = format!(
            "{note}\u{2014} witness.example {}\n",
            base64::engine::general_purpose::STANDARD.encode(junk)
        );
        let mut opened = Note::open(&planted, &[signer(1).verifier()]).unwrap();
        opened.cosign(&witness).unwrap();
        let both = Note::open(
            &opened.to_text(),
            &[signer(1).verifier(), witness.verifier()],
        );
        assert_eq!(both.unwrap().verified_by().count(), 2);
    }

    #[test]
    fn a_cosignature_never_pushes_a_note_past_what_readers_accept() {
        let (_, note) = signed(2);
        let body = format!("{}\n", note.split_once("\n\n").unwrap().0);
        let mut text = note.clone();
        for i in 0..99u8 {
            let other = NoteSigner::new(format!("w{i}"), [i; 32]).unwrap();
            let signed = sign_note(&body, &[&other]).unwrap();
            text.push_str(signed.rsplit_once("\n\n").unwrap().1);
        }
        let mut full = Note::open(&text, &[signer(1).verifier()]).unwrap();
        let witness = NoteSigner::new("witness.example", [200; 32]).unwrap();
        assert_eq!(full.cosign(&witness), Err(NoteError::Full));
        assert!(Note::open(&full.to_text(), &[signer(1).verifier()]).is_ok());
    }

    #[test]
    fn a_checkpoint_opens_only_with_the_logs_own_signature() {
        let tree = tree_of(&leaves(9));
        let cp = Checkpoint::new(ORIGIN, 9, tree.root()).unwrap();
        let witness = NoteSigner::new("witness.example", [9; 32]).unwrap();
        // Signed by a witness alone: the log never stated it.
        let by_witness = cp.sign(&witness).unwrap();
        assert_eq!(
            Checkpoint::open_witnessed(
                &by_witness,
                ORIGIN,
                &signer(1).verifier(),
                &[witness.verifier()],
                1
            ),
            Err(NoteError::Unverified)
        );
        // Signed by the log, cosigned by the witness: opens, and a quorum of witnesses counts.
        let mut note = Note::open(&cp.sign(&signer(1)).unwrap(), &[signer(1).verifier()]).unwrap();
        assert_eq!(
            Checkpoint::open_witnessed(
                &note.to_text(),
                ORIGIN,
                &signer(1).verifier(),
                &[witness.verifier()],
                1
            ),
            Err(NoteError::Witnesses {
                found: 0,
                required: 1
            })
        );
        note.cosign(&witness).unwrap();
        let opened = Checkpoint::open_witnessed(
            &note.to_text(),
            ORIGIN,
            &signer(1).verifier(),
            &[witness.verifier()],
            1,
        );
        assert_eq!(opened.unwrap().head(), tree.head());
        // One key trusted twice is ambiguous, as in Go.
        assert!(matches!(
            Note::open(
                &note.to_text(),
                &[signer(1).verifier(), signer(1).verifier()]
            ),
            Err(NoteError::AmbiguousKey { .. })
        ));
    }

    #[test]
    fn notes_read_as_gos_note_open_reads_them() {
        let (_, note) = signed(2);
        let trusted = signer(1).verifier();
        // An ASCII control character anywhere (a signature line too) is refused; DEL is not.
        let ctl = note.replacen(
            "\u{2014} bank.example/heads",
            "\u{2014} bank.example/heads\u{1}",
            1,
        );
        assert!(matches!(
            Note::open(&ctl, std::slice::from_ref(&trusted)),
            Err(NoteError::Malformed { .. })
        ));
        let del = sign_note(
            "bank.example/heads\n2\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nx\u{7f}\n",
            &[&signer(1)],
        )
        .unwrap();
        assert!(Note::open(&del, std::slice::from_ref(&trusted)).is_ok());
        // A blank line inside the text is text (the signatures follow the last one).
        let blank = sign_note("a\n\nb\n", &[&signer(1)]).unwrap();
        assert_eq!(
            Note::open(&blank, std::slice::from_ref(&trusted))
                .unwrap()
                .text(),
            "a\n\nb\n"
        );
        // Sizes past 2^63 - 1 are not sizes Go reads.
        let big = sign_note("bank.example/heads\n9223372036854775808\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", &[&signer(1)]).unwrap();
        assert!(matches!(
            Checkpoint::open(&big, ORIGIN, &trusted),
            Err(NoteError::Checkpoint { .. })
        ));
        // A verifier key with a newline inside its base64, as Go's decoder skips it.
        let vkey = trusted.to_text();
        let split = format!("{}\r\n{}", &vkey[..vkey.len() - 8], &vkey[vkey.len() - 8..]);
        assert_eq!(NoteVerifier::from_text(&split).unwrap(), trusted);
    }

    #[test]
    fn malformed_notes_checkpoints_and_keys_say_what_is_wrong() {
        let (_, note) = signed(2);
        let trusted = signer(1).verifier();
        let cases = [
            note.replace("\n\n", "\n"),
            note.trim_end().to_owned(),
            note.replace('\u{2014}', "-"),
            format!("x\r\n{note}"),
            format!("\n{note}"),
            sign_note("bank\n02\nAAAA\n", &[&signer(1)]).unwrap(),
            sign_note("bank\n2\nnot base64\n", &[&signer(1)]).unwrap(),
            sign_note("bank\n2\n", &[&signer(1)]).unwrap(),
        ];
        let mut out: Vec<String> = cases
            .iter()
            .map(|c| {
                Checkpoint::open(c, "bank", &trusted)
                    .unwrap_err()
                    .to_string()
            })
            .collect();
        for key in [
            "name+00000000+AQ==",
            "name",
            "na me+01234567+AQ==",
            "name+0123456+AQ==",
            "name+01234567+!!",
            "name+01234567+Ag==",
        ] {
            out.push(NoteVerifier::from_text(key).unwrap_err().to_string());
        }
        // A key hash that is not the name's and key's: its first digit changed.
        let mut bytes = signer(1).verifier().to_text().into_bytes();
        let at = ORIGIN.len() + 1;
        bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
        let wrong_hash = String::from_utf8(bytes).unwrap();
        out.push(
            NoteVerifier::from_text(&wrong_hash)
                .unwrap_err()
                .to_string(),
        );
        out.push(
            sign_note("no newline", &[&signer(1)])
                .unwrap_err()
                .to_string(),
        );
        out.push(NoteSigner::new("", [0; 32]).unwrap_err().to_string());
        insta::assert_snapshot!(out.join("\n"));
    }
}
