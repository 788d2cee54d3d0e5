//! A vote signed by its reviewer verifies only as what was signed: the same model, version,
//! environment, round, reviewer, vote, artifact, time and comment, under the reviewer's key, in
//! the votes' namespace. Both forms (raw Ed25519 and OpenSSH `sshsig`) against one key.
//! (`ssh-keygen` itself is checked both ways in `tests/sshsig_interop.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use modelgate::signed::{
    KeyError, NAMESPACE, ReviewerKey, SignatureError, VoteSignature, VoteStatement,
};
use modelgate::{Head, Metrics, Model, Review, Timestamp, TrainingOutcome};
use proptest::prelude::*;

const RITA: &str = include_str!("fixtures/sshsig/rita");
const RITA_PUB: &str = include_str!("fixtures/sshsig/rita.pub");
const ENCRYPTED: &str = include_str!("fixtures/sshsig/encrypted");
const RSA: &str = include_str!("fixtures/sshsig/rsa");
const RSA_PUB: &str = include_str!("fixtures/sshsig/rsa.pub");
const ECDSA_SIG: &str = include_str!("fixtures/sshsig/ecdsa.sig");

fn t(s: u64) -> Timestamp {
    Timestamp::from_unix_secs(s)
}

fn statement(review: &Review) -> VoteStatement {
    VoteStatement::new(
        "churn",
        "4",
        "production",
        Head::from_bytes([1; 32]),
        review,
    )
}

fn approve() -> Review {
    Review::approve("rita", "sha256:9f2c", t(100)).with_comment("looks good")
}

fn rita() -> ReviewerKey {
    RITA_PUB.parse().unwrap()
}

/// Every field of the statement, changed one at a time.
fn variants() -> Vec<(&'static str, VoteStatement)> {
    let round = Head::from_bytes([1; 32]);
    let review = approve();
    let at = |name, version, environment, round| {
        VoteStatement::new(name, version, environment, round, &review)
    };
    vec![
        ("name", at("churm", "4", "production", round)),
        ("version", at("churn", "5", "production", round)),
        ("environment", at("churn", "4", "staging", round)),
        (
            "round",
            at("churn", "4", "production", Head::from_bytes([2; 32])),
        ),
        (
            "reviewer",
            statement(&Review::approve("rito", "sha256:9f2c", t(100)).with_comment("looks good")),
        ),
        (
            "vote",
            statement(&Review::reject("rita", "sha256:9f2c", t(100)).with_comment("looks good")),
        ),
        (
            "digest",
            statement(&Review::approve("rita", "sha256:9f2d", t(100)).with_comment("looks good")),
        ),
        (
            "time",
            statement(&Review::approve("rita", "sha256:9f2c", t(101)).with_comment("looks good")),
        ),
        (
            "comment",
            statement(&Review::approve("rita", "sha256:9f2c", t(100)).with_comment("looks bad")),
        ),
    ]
}

#[test]
fn the_statement_bytes_are_the_published_grammar() {
    let bytes = statement(&approve()).to_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    insta::assert_snapshot!("vote_statement_bytes", hex);
    // The roles a reviewer claims are not signed: the roster gives them.
    let with_role = statement(&approve().with_role("risk_officer")).to_bytes();
    assert_eq!(with_role, bytes);
}

#[test]
fn an_ed25519_signature_verifies_only_what_was_signed() {
    let seed = [7; 32];
    let key = ReviewerKey::from_seed(&seed);
    let signature = VoteSignature::sign_ed25519(&statement(&approve()), &seed);
    signature.verify(&statement(&approve()), &key).unwrap();
    for (field, changed) in variants() {
        assert_eq!(
            signature.verify(&changed, &key),
            Err(SignatureError::Mismatch),
            "{field}"
        );
    }
    let mallory = ReviewerKey::from_seed(&[8; 32]);
    assert_eq!(
        signature.verify(&statement(&approve()), &mallory),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn an_ssh_signature_verifies_only_what_was_signed() {
    let signature = VoteSignature::sign_ssh(&statement(&approve()), RITA).unwrap();
    signature.verify(&statement(&approve()), &rita()).unwrap();
    assert_eq!(signature.signer(), Some(rita()));
    for (field, changed) in variants() {
        assert_eq!(
            signature.verify(&changed, &rita()),
            Err(SignatureError::Mismatch),
            "{field}"
        );
    }
}

#[test]
fn an_ssh_signature_by_another_key_names_both_keys() {
    let signature = VoteSignature::sign_ssh(&statement(&approve()), RITA).unwrap();
    let mallory = ReviewerKey::from_seed(&[8; 32]);
    let err = signature
        .verify(&statement(&approve()), &mallory)
        .unwrap_err();
    assert_eq!(
        err,
        SignatureError::OtherKey {
            expected: mallory,
            found: rita()
        }
    );
}

#[test]
fn a_raw_signature_resigned_as_ssh_by_another_key_does_not_count_for_rita() {
    // Mallory has rita's vote statement and signs it with his own key, in both forms.
    let mallory_seed = [8; 32];
    let raw = VoteSignature::sign_ed25519(&statement(&approve()), &mallory_seed);
    assert!(raw.verify(&statement(&approve()), &rita()).is_err());
}

#[test]
fn keys_of_other_types_and_encrypted_keys_are_refused_by_name() {
    let err = RSA_PUB.parse::<ReviewerKey>().unwrap_err();
    assert!(matches!(err, KeyError::Unsupported { .. }), "{err}");
    let err = VoteSignature::sign_ssh(&statement(&approve()), RSA).unwrap_err();
    assert!(matches!(err, SignatureError::PrivateKey { .. }), "{err}");
    let err = VoteSignature::sign_ssh(&statement(&approve()), ENCRYPTED).unwrap_err();
    assert!(matches!(err, SignatureError::PrivateKey { .. }), "{err}");
    let ecdsa = VoteSignature::sshsig(ECDSA_SIG.to_owned()).unwrap();
    let err = ecdsa.verify(&statement(&approve()), &rita()).unwrap_err();
    assert!(
        matches!(err, SignatureError::UnsupportedKey { .. }),
        "{err}"
    );
    let err = VoteSignature::sshsig("-----BEGIN SSH SIGNATURE-----\nAAAA\n")
        .unwrap()
        .verify(&statement(&approve()), &rita())
        .unwrap_err();
    assert!(matches!(err, SignatureError::Armor { .. }), "{err}");
    let messages = [
        RSA_PUB.parse::<ReviewerKey>().unwrap_err().to_string(),
        "ssh-ed25519 !!!"
            .parse::<ReviewerKey>()
            .unwrap_err()
            .to_string(),
        "rita".parse::<ReviewerKey>().unwrap_err().to_string(),
        RITA.parse::<ReviewerKey>().unwrap_err().to_string(),
        VoteSignature::sign_ssh(&statement(&approve()), ENCRYPTED)
            .unwrap_err()
            .to_string(),
        ecdsa
            .verify(&statement(&approve()), &rita())
            .unwrap_err()
            .to_string(),
        SignatureError::Namespace {
            found: "git".into(),
            expected: NAMESPACE,
        }
        .to_string(),
        VoteSignature::sign_ed25519(&statement(&approve()), &[8; 32])
            .verify(&statement(&approve()), &rita())
            .unwrap_err()
            .to_string(),
        VoteSignature::sign_ssh(&statement(&approve()), RITA)
            .unwrap()
            .verify(&statement(&approve()), &ReviewerKey::from_seed(&[8; 32]))
            .unwrap_err()
            .to_string(),
        VoteSignature::sshsig("-----BEGIN SSH SIGNATURE-----\nAAAA\n")
            .unwrap()
            .verify(&statement(&approve()), &rita())
            .unwrap_err()
            .to_string(),
    ];
    insta::assert_snapshot!("signed_vote_errors", messages.join("\n"));
}

#[test]
fn a_key_reads_from_openssh_or_hex_and_serializes_as_hex() {
    let key = rita();
    assert_eq!(key.to_string().parse::<ReviewerKey>(), Ok(key));
    assert_eq!(ReviewerKey::from_openssh(&key.to_openssh()), Ok(key));
    assert!(RITA_PUB.starts_with(&key.to_openssh()));
    let json = serde_json::to_string(&key).unwrap();
    assert_eq!(serde_json::from_str::<ReviewerKey>(&json).unwrap(), key);
}

#[test]
fn signatures_serialize_in_both_forms() {
    let raw = VoteSignature::sign_ed25519(&statement(&approve()), &[7; 32]);
    let ssh = VoteSignature::sign_ssh(&statement(&approve()), RITA).unwrap();
    for signature in [raw, ssh] {
        let json = serde_json::to_string(&signature).unwrap();
        assert_eq!(
            serde_json::from_str::<VoteSignature>(&json).unwrap(),
            signature
        );
    }
    let raw = serde_json::to_string(&VoteSignature::sign_ed25519(
        &statement(&approve()),
        &[7; 32],
    ))
    .unwrap();
    insta::assert_snapshot!("ed25519_vote_signature_json", raw);
    assert!(serde_json::from_str::<VoteSignature>(r#"{"ed25519":"AAAA"}"#).is_err());
}

#[test]
fn a_models_statement_names_its_round() {
    let outcome =
        TrainingOutcome::new("sha256:9f2c", Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap();
    let model = Model::new("churn", "4")
        .unwrap()
        .submit(outcome, "alice", t(10))
        .unwrap();
    let review = Review::approve("rita", "sha256:9f2c", t(20));
    let statement = model.vote_statement(&review);
    assert_eq!(statement.round(), model.round());
    assert_eq!(
        Some(model.round()),
        model.trail().events().first().map(|e| e.hash())
    );
    assert_eq!(statement.environment(), "default");
    assert_eq!(
        (statement.name(), statement.version(), statement.reviewer()),
        ("churn", "4", "rita")
    );
}

fn field() -> impl Strategy<Value = String> {
    "[a-z0-9:._-]{1,12}"
}

proptest! {
    /// A signature over one statement never verifies another: any two statements that differ
    /// in any field have different bytes.
    #[test]
    fn different_votes_have_different_bytes(
        a in (field(), field(), field(), any::<[u8; 32]>(), field(), any::<bool>(), field(), any::<u32>(), ".{0,8}"),
        b in (field(), field(), field(), any::<[u8; 32]>(), field(), any::<bool>(), field(), any::<u32>(), ".{0,8}"),
    ) {
        let make = |(name, version, environment, round, reviewer, approve, digest, at, comment): &(String, String, String, [u8; 32], String, bool, String, u32, String)| {
            let review = match approve {
                true => Review::approve(reviewer, digest, Timestamp::from_unix_millis(u64::from(*at))),
                false => Review::reject(reviewer, digest, Timestamp::from_unix_millis(u64::from(*at))),
            }
            .with_comment(comment.clone());
            VoteStatement::new(name, version, environment, Head::from_bytes(*round), &review)
        };
        let (x, y) = (make(&a), make(&b));
        prop_assert_eq!(x == y, x.to_bytes() == y.to_bytes());
        let signature = VoteSignature::sign_ed25519(&x, &[7; 32]);
        let key = ReviewerKey::from_seed(&[7; 32]);
        prop_assert_eq!(signature.verify(&y, &key).is_ok(), x == y);
    }
}
