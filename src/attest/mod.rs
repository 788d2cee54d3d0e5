//! Approvals that travel (feature `attest`): an approved or deployed model exported as a signed
//! [in-toto Statement v1](https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md)
//! in a [DSSE](https://github.com/secure-systems-lab/dsse) envelope, and [`verify`], the deploy
//! gate that checks one with the public key alone.
//!
//! ```
//! use modelgate::*;
//! use modelgate::attest::{self, Ed25519Signer, Expected, VerifyError};
//! # let t = Timestamp::from_unix_secs;
//! let digest = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
//! let outcome = TrainingOutcome::new(digest, Metrics::new([("accuracy", 0.95)])?)?;
//! let mut model = Model::new("fraud-detector", "2")?.submit(outcome, "alice", t(100))?;
//! model.record(Review::approve("bob", digest, t(110)).with_role("team_lead"))?;
//! let model = model.decide(&Quorum::new(1), &DecisionContext::at(t(120)))?.approved()?;
//!
//! let signer = Ed25519Signer::from_seed([42; 32]); // in production: behind a KMS (`Signer`)
//! let envelope = model.attest(&signer)?.to_json();
//!
//! // The deploy gate holds the public key, the model and the digest of the artifact it is about
//! // to ship, the environment it ships to, and the time (an approval whose environment's window
//! // has passed is refused).
//! let keys = [signer.public_key()];
//! let expected = Expected::deploying("fraud-detector", digest.parse()?, "default", t(130));
//! let approval = attest::verify(envelope.as_bytes(), &keys, &expected)?;
//! assert_eq!(approval.approvals()[0].reviewer(), "bob");
//! assert_eq!(approval.head(), model.head());
//!
//! // Another model (or version, if the gate pins one) is refused, and so are another artifact
//! // and another environment.
//! let gate = |name: &str, digest: &str, env: &str| -> Result<_, Box<dyn std::error::Error>> {
//!     Ok(Expected::deploying(name, digest.parse()?, env, t(130)))
//! };
//! let err = attest::verify(envelope.as_bytes(), &keys, &gate("sandbox", digest, "default")?);
//! assert!(matches!(err, Err(VerifyError::WrongModel { .. })));
//! let err = attest::verify(envelope.as_bytes(), &keys, &gate("fraud-detector", digest, "default")?.version("1"));
//! assert!(matches!(err, Err(VerifyError::WrongModel { .. })));
//! let other = "sha256:fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9";
//! let err = attest::verify(envelope.as_bytes(), &keys, &gate("fraud-detector", other, "default")?);
//! assert!(matches!(err, Err(VerifyError::WrongDigest { .. })));
//! let err = attest::verify(envelope.as_bytes(), &keys, &gate("fraud-detector", digest, "production")?);
//! assert!(matches!(err, Err(VerifyError::WrongEnvironment { .. })));
//!
//! // A deployed model's attestation is not an approval to deploy: the gate refuses it unless it
//! // re-verifies a running deployment, and says so; then only within the validity the host gave.
//! let deployed = model.mark_deployed(Receipt::new("prod/fraud-detector@2"), "deploy-bot", t(140))?;
//! let envelope = deployed.attest(&signer, std::time::Duration::from_secs(3600))?.to_json();
//! let err = attest::verify(envelope.as_bytes(), &keys, &expected);
//! assert!(matches!(err, Err(VerifyError::Deployed { .. })));
//! let restart = Expected::deploying("fraud-detector", digest.parse()?, "default", t(600)).accepting_running_deployment();
//! assert_eq!(attest::verify(envelope.as_bytes(), &keys, &restart)?.status(), Status::Deployed);
//! let next_day = Expected::deploying("fraud-detector", digest.parse()?, "default", t(86_400)).accepting_running_deployment();
//! let err = attest::verify(envelope.as_bytes(), &keys, &next_day);
//! assert!(matches!(err, Err(VerifyError::DeploymentExpired { .. })));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The envelope
//!
//! DSSE's JSON envelope, `payloadType` `application/vnd.in-toto+json`, the payload the
//! statement's JSON in base64, and one signature per key: `{"keyid": "…", "sig": "<base64>"}`
//! over DSSE's pre-authentication encoding ([`pae`]) of the payload type and the payload.
//! Signatures are Ed25519 ([`Ed25519Signer`], checked strictly by [`Ed25519PublicKey`]) or
//! whatever a host's [`Signer`] and [`Verifier`] (a KMS, an HSM) agree on.
//!
//! **Key ids.** The `keyid` modelgate writes for an Ed25519 key is, unless the host names its
//! keys (`with_key_id("release-2026")`), the lowercase hex SHA-256 of its 32 raw public-key
//! bytes. A `keyid` is a hint and not signed (DSSE), and other tools compute theirs their own way
//! (securesystemslib: the SHA-256 of its JSON key record), so the verifier does not rely on it:
//! **every trusted key is tried on every signature** (an envelope carries at most
//! [`MAX_SIGNATURES`]), and a signature counts when a trusted key verifies it, whatever id it
//! names. The bare public key is enough to verify an envelope signed by any DSSE tool.
//!
//! **Reading.** As DSSE asks: unknown envelope fields are ignored, an unset `keyid` is empty,
//! base64 may be standard or URL-safe, padded or not (but canonical, without whitespace). Also:
//! a key given twice in any JSON object is refused, and so is an envelope with two signatures
//! naming one key (other implementations keep only one of them, so which one counted would
//! depend on the reader), and one with more than [`MAX_SIGNATURES`] signatures. Signatures no
//! trusted key verifies are ignored.
//!
//! # The statement
//!
//! ```json
//! {
//!   "_type": "https://in-toto.io/Statement/v1",
//!   "subject": [{"name": "fraud-detector@2", "digest": {"sha256": "2c26b4…"}}],
//!   "predicateType": "https://modelgate.dev/attestation/approval/v3",
//!   "predicate": { … }
//! }
//! ```
//!
//! One subject: the artifact, named `name@version` after the model, its digest the model's
//! artifact digest `algorithm:hex` split at the colon. Supported algorithms: `sha256`, `sha384`,
//! `sha512`, with exactly 64, 96 or 128 lowercase hex digits; any other digest cannot be
//! attested ([`AttestError::Digest`]). Unknown statement fields are ignored (in-toto's parsing
//! rules).
//!
//! # The predicate `https://modelgate.dev/attestation/approval/v3`
//!
//! ```json
//! {
//!   "model": {"name": "fraud-detector", "version": "2"},
//!   "environment": "default",
//!   "submission": {"submitter": "alice", "attempt": 1,
//!                  "submitted_at": "1970-01-01T00:01:40Z", "metrics": {"accuracy": 0.95}},
//!   "decision": {
//!     "policy": {"name": "1 approval", "fingerprint": "<64 hex, optional>",
//!                "pipeline": "<64 hex, optional>"},
//!     "decided_at": "1970-01-01T00:02:00Z",
//!     "verdict": "approve",
//!     "findings": [{"kind": "approve", "rule": "quorum", "subject": "approvals",
//!                   "observed": {"count": 1}, "required": {"count": 1},
//!                   "message": "1 of 1 approvals"}],
//!     "champion": {"accuracy": 0.93},
//!     "valid_until": "1970-01-31T00:02:00Z"
//!   },
//!   "approval": {"reviewed": {"approvals": [
//!     {"reviewer": "bob", "roles": ["team_lead"], "at": "1970-01-01T00:01:50Z"}]}},
//!   "trail": {"head": "<64 hex>", "revision": 3},
//!   "deployment": {"receipt": "prod/fraud-detector@2", "by": "deploy-bot",
//!                  "at": "1970-01-01T00:02:20Z", "valid_until": "1970-01-01T01:02:20Z"}
//! }
//! ```
//!
//! | field | meaning |
//! | --- | --- |
//! | `model` | the model's name and version (the subject's name is `name@version`) |
//! | `environment` | the environment the approval is for (the model's, see [`Environment`](crate::Environment); `default` for a model that names none) |
//! | `submission` | who submitted the artifact, which attempt, when, with which metrics |
//! | `decision.policy` | the deciding policy's name; `fingerprint`, the policy's fingerprint ([`PolicyExt::fingerprint`](crate::PolicyExt::fingerprint): its identity, recorded with the decision; absent for a decision recorded before policies had fingerprints); `pipeline`, present when the model was driven by a pipeline run, that validated pipeline's fingerprint (its canonical encoding's SHA-256) |
//! | `decision.decided_at`, `verdict` | when it decided; always `approve` |
//! | `decision.findings` | the verdict's findings as the trail stores them: `kind`, `rule`, `subject`, `observed` and `required` (`"missing"`, `{"number": x}`, `{"count": n}` or `{"text": "…"}`), `message` |
//! | `decision.champion` | the champion's metrics the policy saw, if any |
//! | `decision.valid_until` | when the approval lapses undeployed (the decision time plus the environment's approval window), if the environment has a window |
//! | `decision.round` | only when an approval is signed: the head of the event that began the round of review decided, which each signed vote names |
//! | `approval` | `{"automatic": {"rule": "…"}}` for an automatic approval, else `{"reviewed": {"approvals": […]}}`: the approving votes on record at the decision (the submitter's own excluded), with reviewer, roles (the signer's word) and time; a signed approval also carries its `comment` and its reviewer's `signature` (`{"ed25519": …}` or `{"sshsig": …}`), which a gate checks against a roster without trusting the attestation's signer (`VerifiedApproval::signed_approvals`, feature `signed-votes`) |
//! | `trail` | the head of the model's hash-chained trail and its number of events when attested: the stored trail with this head is the full evidence |
//! | `deployment` | only for a deployed model: the host's receipt, who deployed it, when, and `valid_until`: the deployment time plus the validity the host gave when it attested ([`Model::attestation`](crate::Model) of a `Model<Deployed>`), after which a gate re-verifying the running deployment refuses it |
//!
//! Times are RFC 3339 in UTC (`2026-11-27T08:41:00Z`, with `.mmm` when they have
//! milliseconds), read back only in that form. Metric values are JSON numbers. **Unknown
//! predicate fields are refused** (the predicate opts out of in-toto's "ignore unknown fields"
//! rule): a new field is a new version, which this version refuses with
//! [`VerifyError::PredicateVersion`].
//!
//! **Versions.** `v2` added `deployment.valid_until` (required when there is a deployment);
//! `v3` made `decision.policy.fingerprint` the policy's (in `v2` it was a run's pipeline's,
//! now `decision.policy.pipeline`).
//! `v1` and `v2` envelopes are refused with [`VerifyError::PredicateOutdated`], approvals included: a
//! `v1` deployment would pass forever, a `v2` fingerprint names a pipeline, not the policy, and
//! one verifier reads one version. Export them again.
//!
//! # Verifying
//!
//! [`verify`] checks, in this order, and refuses with a [`VerifyError`] variant for each: the
//! envelope's JSON, the payload type, the base64, the signatures (at least one verifies with a
//! trusted key; a signature naming a trusted key that does not verify is reported), then the
//! statement (read from the verified bytes only), its `_type`, the predicate type and version,
//! the predicate, the subject, and what the gate expects ([`Expected`]): the artifact digest,
//! the environment (required), and the status at the gate's time.
//!
//! **Strict by default.** The gate accepts an *approval* (of a model approved and not yet
//! deployed) that has not lapsed: an environment with an approval window writes
//! `decision.valid_until`, and the gate refuses the approval after it
//! ([`VerifyError::Lapsed`]). The attestation of a *deployed* model is refused
//! ([`VerifyError::Deployed`]): it records a deployment that happened, not a permission to
//! deploy. A gate that re-verifies a deployment already running (a restart) says so with
//! [`Expected::accepting_running_deployment`], and then accepts it only until the
//! `deployment.valid_until` its signer set ([`VerifyError::DeploymentExpired`]). Options only
//! loosen the gate.
//!
//! An attestation cannot be withdrawn once signed: an approval revoked later
//! ([`Model::revoke`](crate::Model::revoke)) still verifies until it lapses, and a deployment
//! rolled back or retired still verifies, for a gate that accepts running deployments, until its
//! validity ends. Give environments an approval window and deployments a short validity; a gate
//! that must know the present asks the [`Registry`](crate::Registry).

mod digest;
mod dsse;
mod error;
mod rfc3339;
#[cfg(feature = "signed-votes")]
mod signed;
mod statement;
mod verify;

pub use digest::{Algorithm, ArtifactDigest, DigestError};
pub use dsse::{Ed25519PublicKey, Ed25519Signer, Envelope, Signature, Signer, Verifier, pae};
pub use error::{AttestError, KeyError, SignError, VerifyError};
#[cfg(feature = "signed-votes")]
pub use signed::{SignedApprovalError, SignedApprovals, SignedApprover};
pub use statement::{Approval, ApprovedBy, Deployment, Statement};
pub use verify::{Expected, VerifiedApproval, verify};

/// The statement's `_type`: in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";

/// The `predicateType` of an approval, version 3 (the version this crate writes and reads):
/// its decision names the policy by fingerprint.
pub const PREDICATE_TYPE: &str = "https://modelgate.dev/attestation/approval/v3";

/// Older versions, refused with [`VerifyError::PredicateOutdated`]: version 1, whose
/// deployments carry no validity, and version 2, whose `policy.fingerprint` was a run's
/// pipeline's, not the policy's.
const PREDICATE_TYPES_OUTDATED: [&str; 2] = [
    "https://modelgate.dev/attestation/approval/v1",
    "https://modelgate.dev/attestation/approval/v2",
];

/// The most signatures an envelope may carry: every trusted key is tried on every signature.
pub const MAX_SIGNATURES: usize = 16;

/// What every version of the approval predicate's type starts with.
const PREDICATE_PREFIX: &str = "https://modelgate.dev/attestation/approval/";

/// The DSSE `payloadType` of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
