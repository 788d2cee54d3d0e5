//! What can go wrong when an approval is exported, signed or verified.

use std::fmt;

use super::digest::{ArtifactDigest, DigestError};
use crate::value::Timestamp;
use crate::value::hash::Fingerprint;
use crate::value::text::Escaped;

/// A value from an envelope, shown in a message: escaped and cut after 80 characters.
pub(crate) fn shown(text: &str) -> Shown<'_> {
    Shown(text, 80)
}

/// A parser's message (which may quote the envelope): escaped and cut after 300 characters.
fn message(text: &str) -> Shown<'_> {
    Shown(text, 300)
}

/// See [`shown`].
pub(crate) struct Shown<'a>(&'a str, usize);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.char_indices().nth(self.1) {
            Some((end, _)) => write!(f, "{}…", Escaped(self.0.get(..end).unwrap_or_default())),
            None => Escaped(self.0).fmt(f),
        }
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        return String::from("none");
    }
    let shown: Vec<String> = items.iter().map(|k| format!("`{}`", shown(k))).collect();
    shown.join(", ")
}

/// The host's signer (a KMS, an HSM …) failed; its message says why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", message(.0))]
pub struct SignError(pub String);

/// A model could not be exported as a signed attestation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttestError {
    /// The model's artifact digest is not `algorithm:hex` of a supported algorithm, so it
    /// cannot be an in-toto subject.
    #[error("cannot attest: {0}")]
    Digest(#[from] DigestError),
    /// A time of the trail is past what RFC 3339 can write (the year 9999).
    #[error("cannot attest: time `{0}` is past the year 9999 and has no RFC 3339 form")]
    Time(Timestamp),
    /// The signer failed.
    #[error("signing failed: {0}")]
    Sign(#[from] SignError),
    /// The statement could not be written as JSON.
    #[error("cannot attest: the statement could not be written: {}", message(.0))]
    Json(String),
}

/// A key that cannot be read: not 32 bytes of a valid Ed25519 public key, in hex or PEM.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is neither 64 hex digits nor a PEM `PUBLIC KEY` block of an Ed25519 key.
    #[error(
        "not an Ed25519 public key: expected 64 hex digits or a PEM `PUBLIC KEY` block \
         (SubjectPublicKeyInfo, as `openssl pkey -pubout` writes it)"
    )]
    Format,
    /// The 32 bytes are not a valid Ed25519 point, or one of small order.
    #[error("the 32 bytes are not a valid Ed25519 public key (or one of small order)")]
    Invalid,
}

/// An envelope is refused: each way it can be wrong has its own variant.
///
/// The checks run in this order, so that nothing of the payload is read before a trusted key's
/// signature over it verified: the envelope's JSON, its payload type, the base64 of its payload
/// and signatures, the signatures, then the statement, its types, its predicate, and last what
/// the caller expects (the model, the artifact digest, the environment, a gate time not before
/// the decision, an approval not lapsed, or a running deployment, not before it was deployed,
/// within its validity).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Not a DSSE JSON envelope: not JSON, a required field missing or of the wrong type, a key
    /// given twice.
    #[error("not a DSSE envelope: {}", message(.0))]
    Envelope(String),
    /// The payload type is not in-toto's.
    #[error("payload type `{}` is not `application/vnd.in-toto+json`", shown(.found))]
    PayloadType {
        /// The payload type found.
        found: String,
    },
    /// The payload or a signature is not base64 (standard or URL-safe, padded or not).
    #[error("`{field}` is not base64 (standard or URL-safe alphabet, canonical, no whitespace)")]
    Base64 {
        /// `payload` or `signatures[i].sig`.
        field: String,
    },
    /// Two signatures name the same key: other implementations keep only one of them, so
    /// which one counts would depend on the reader.
    #[error("two signatures name the key `{}`", shown(.key_id))]
    DuplicateKeyId {
        /// The key id.
        key_id: String,
    },
    /// The envelope has more signatures than a verifier tries (every trusted key is tried on
    /// every signature, so their number is bounded).
    #[error("the envelope has {count} signatures, more than the {max} a verifier tries")]
    TooManySignatures {
        /// The number of signatures.
        count: usize,
        /// The most a verifier tries.
        max: usize,
    },
    /// No trusted key verifies a signature (and none names a trusted key).
    #[error(
        "no signature is by a trusted key (the envelope names {}; trusted: {})",
        list(.found),
        list(.trusted)
    )]
    Untrusted {
        /// The key ids the envelope's signatures name.
        found: Vec<String>,
        /// The trusted key ids.
        trusted: Vec<String>,
    },
    /// Fewer trusted keys signed the envelope than the gate requires ([`Expected::signers`](super::Expected::signers)).
    #[error(
        "the envelope is signed by {} trusted key(s) ({}), {need} needed",
        .signed_by.len(),
        list(.signed_by)
    )]
    TooFewSigners {
        /// The trusted keys that signed, by id.
        signed_by: Vec<String>,
        /// How many must have.
        need: usize,
    },
    /// A signature names a trusted key but does not verify, and no trusted key verifies any
    /// signature: it was made over another payload or payload type, or by another key under
    /// that id.
    #[error("the signature by trusted key `{}` does not verify over this payload", shown(.key_id))]
    BadSignature {
        /// The key id.
        key_id: String,
    },
    /// The signed payload is not an in-toto statement: not JSON, a required field missing, a
    /// key given twice.
    #[error("the payload is not an in-toto statement: {}", message(.0))]
    Statement(String),
    /// The statement is not an in-toto Statement v1.
    #[error("statement type `{}` is not `https://in-toto.io/Statement/v1`", shown(.found))]
    StatementType {
        /// The `_type` found.
        found: String,
    },
    /// The predicate is not a modelgate approval.
    #[error(
        "predicate type `{}` is not `https://modelgate.dev/attestation/approval/v3`",
        shown(.found)
    )]
    PredicateType {
        /// The `predicateType` found.
        found: String,
    },
    /// A modelgate approval of a version this verifier does not know.
    #[error(
        "predicate type `{}` is a version of the modelgate approval this verifier does not \
         know; it reads `v3`",
        shown(.found)
    )]
    PredicateVersion {
        /// The `predicateType` found.
        found: String,
    },
    /// A modelgate approval of an older version: version 1, whose deployments carry no
    /// validity (refused, so that no signed deployment passes forever), or version 2, which
    /// does not name the deciding policy by fingerprint. Export the attestation again.
    #[error(
        "predicate type `{}` is an older version of the modelgate approval (version 1's \
         deployments never expire; version 2 does not name its policy by fingerprint); it is no \
         longer accepted: export the attestation again (`v3`)",
        shown(.found)
    )]
    PredicateOutdated {
        /// The `predicateType` found.
        found: String,
    },
    /// The predicate does not follow the approval schema (see the [module docs](super)).
    #[error("the approval predicate is invalid: {}", message(.0))]
    Predicate(String),
    /// The statement does not have exactly one subject, or it is not the predicate's model.
    #[error("the subject is invalid: {}", message(.0))]
    Subject(String),
    /// The attestation is of another model: another name, or another version than the one
    /// the gate pins.
    #[error("the attestation is for model `{}`, not `{}`", shown(.found), shown(.expected))]
    WrongModel {
        /// The model the caller expects: its name, or `name@version` if it pins the version.
        expected: String,
        /// The predicate's model, `name@version`.
        found: String,
    },
    /// The attestation is for another artifact.
    #[error("the attestation is for artifact `{}`, not `{expected}`", shown(.found))]
    WrongDigest {
        /// The digest the caller expects.
        expected: ArtifactDigest,
        /// The subject's digest of that algorithm, or the subject's digests.
        found: String,
    },
    /// The approval was decided by another policy than the one the gate pins.
    #[error(
        "the approval was decided by policy `{}` with fingerprint {}, not by the policy with fingerprint {expected}",
        shown(.name),
        .found.map_or_else(|| String::from("none (decided before policies had fingerprints)"), |f| f.to_string())
    )]
    OtherPolicy {
        /// The fingerprint the gate pins.
        expected: Fingerprint,
        /// The approval's policy fingerprint, if it has one.
        found: Option<Fingerprint>,
        /// The approval's policy name.
        name: String,
    },
    /// The approval is for another environment.
    #[error("the approval is for environment `{}`, not `{}`", shown(.found), shown(.expected))]
    WrongEnvironment {
        /// The environment the caller expects.
        expected: String,
        /// The predicate's environment.
        found: String,
    },
    /// The gate's time is before the attested decision: a clock set back cannot revive an
    /// approval that lapsed.
    #[error(
        "the gate's time `{at}` is before the decision at {decided_at}; a gate time earlier than \
         the attestation is refused"
    )]
    BeforeDecision {
        /// When the policy decided.
        decided_at: Timestamp,
        /// The gate's time.
        at: Timestamp,
    },
    /// The gate's time is before the attested deployment: a clock set back cannot revive a
    /// running deployment's attestation past its validity.
    #[error(
        "the gate's time `{at}` is before the deployment at {deployed_at}; a gate time earlier \
         than the attestation is refused"
    )]
    BeforeDeployment {
        /// When the model was deployed.
        deployed_at: Timestamp,
        /// The gate's time.
        at: Timestamp,
    },
    /// The approval, not yet deployed, lapsed before the expected deployment time: its
    /// environment's approval window passed. Reopen the model for a fresh decision.
    #[error(
        "the approval lapsed at {valid_until}, before `{at}`; reopen the model for a fresh decision"
    )]
    Lapsed {
        /// When it lapsed.
        valid_until: Timestamp,
        /// The expected deployment time.
        at: Timestamp,
    },
    /// The attestation is of a deployed model, not an approval to deploy, and the gate did not
    /// say it re-verifies a running deployment
    /// ([`Expected::accepting_running_deployment`](super::Expected::accepting_running_deployment)).
    #[error(
        "the attestation records a deployment at {deployed_at}, not an approval to deploy; only \
         a gate that re-verifies a running deployment accepts it, and says so"
    )]
    Deployed {
        /// When the model was deployed.
        deployed_at: Timestamp,
    },
    /// The attestation of a deployed model is past the validity its signer gave it.
    #[error(
        "the deployment attestation was valid until {valid_until}, before `{at}`; ask whether \
         the version is still deployed and attest it again"
    )]
    DeploymentExpired {
        /// Until when the signer vouched for the deployment.
        valid_until: Timestamp,
        /// The gate's time.
        at: Timestamp,
    },
}
