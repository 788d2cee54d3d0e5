//! The deploy gate: an envelope, the trusted keys and the expected artifact in; the verified
//! approval out.

use super::digest::ArtifactDigest;
use super::dsse::{Envelope, Verifier};
use super::error::{VerifyError, shown};
use super::statement::{Approval, ApprovedBy, Deployment, Predicate, StatementIn, subject_name};
use super::{
    PAYLOAD_TYPE, PREDICATE_PREFIX, PREDICATE_TYPE, PREDICATE_TYPES_OUTDATED, STATEMENT_TYPE,
};
use crate::event::{Fingerprint, Head};
use crate::model::Status;
use crate::policy::{Finding, VerdictKind};
use crate::value::{Metrics, Timestamp};

/// What the deploy gate expects of an attestation: the model it is about to deploy (its name,
/// and its version if the gate pins one), its artifact, the environment it deploys to, and when.
///
/// Strict by default: only an *approval* (an approved model's attestation) of that model and
/// artifact for that environment passes, never one dated after the gate's time
/// ([`VerifyError::BeforeDecision`], [`VerifyError::BeforeDeployment`]), and only if it has not lapsed by then
/// ([`VerifyError::Lapsed`]). An attestation of a deployed model is refused
/// ([`VerifyError::Deployed`]) unless the gate re-verifies a running deployment and says so
/// ([`accepting_running_deployment`](Self::accepting_running_deployment)). Options only
/// loosen: none makes the gate stricter than this, none is needed for it to be strict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    name: String,
    version: Option<String>,
    digest: ArtifactDigest,
    environment: String,
    at: Timestamp,
    running_deployment: bool,
    policy: Option<Fingerprint>,
    signers: usize,
}

impl Expected {
    /// An approval of the model `name` (any version, unless [`version`](Self::version) pins
    /// one) with the artifact `digest` for the environment `environment` (each compared
    /// exactly), to be deployed at `at` (the gate's clock: the library never reads one).
    ///
    /// The name is required: an approval of the same artifact as another model (a sandbox
    /// approved by a looser policy) is not an approval of the model the gate deploys.
    pub fn deploying(
        name: impl Into<String>,
        digest: ArtifactDigest,
        environment: impl Into<String>,
        at: Timestamp,
    ) -> Self {
        Self {
            name: name.into(),
            version: None,
            digest,
            environment: environment.into(),
            at,
            running_deployment: false,
            policy: None,
            signers: 1,
        }
    }

    /// The same expectation, accepting only an approval decided by the policy with this
    /// [fingerprint](crate::PolicyExt::fingerprint) (what `modelgate check` prints for a
    /// spec): an approval by any other policy, or by one recorded without a fingerprint, is
    /// refused with [`VerifyError::OtherPolicy`].
    #[must_use]
    pub fn policy(mut self, fingerprint: Fingerprint) -> Self {
        self.policy = Some(fingerprint);
        self
    }

    /// The same expectation, passing only an envelope signed by at least `threshold` of the
    /// trusted keys (distinct keys, each signature and its copies counted for one key): else
    /// [`VerifyError::TooFewSigners`]. Without it, one trusted key's signature suffices; a
    /// threshold of 0 is taken as 1. One key given under two ids counts once, however many
    /// different signatures its holder makes: a key that verifies a signature another key
    /// counted with is that key again.
    #[must_use]
    pub fn signers(mut self, threshold: usize) -> Self {
        self.signers = threshold.max(1);
        self
    }

    /// How many trusted keys must have signed the envelope.
    pub fn expected_signers(&self) -> usize {
        self.signers
    }

    /// The policy fingerprint the approval must carry, if one is pinned.
    pub fn expected_policy(&self) -> Option<Fingerprint> {
        self.policy
    }

    /// Also accepts the attestation of a deployed model, for a gate that re-verifies a
    /// deployment already running (a node that restarts the version it serves): only while
    /// `at` is within the validity the signer gave the deployment
    /// ([`Deployment::valid_until`]), else [`VerifyError::DeploymentExpired`]. Approvals still
    /// pass as without it.
    ///
    /// A deployment attestation says the version *was* deployed; it says nothing of a later
    /// rollback or retirement. Its validity bounds how long that can go unnoticed: a gate that
    /// must know now asks the [`Registry`](crate::Registry) whether the version is current.
    #[must_use]
    pub fn accepting_running_deployment(mut self) -> Self {
        self.running_deployment = true;
        self
    }

    /// Only the model's version `version` passes (compared exactly); without it, any version
    /// of the named model does.
    #[must_use]
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// The expected model's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The expected model's version, if the gate pins one.
    pub fn expected_version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The expected artifact's digest.
    pub fn digest(&self) -> &ArtifactDigest {
        &self.digest
    }

    /// The expected environment.
    pub fn environment(&self) -> &str {
        &self.environment
    }

    /// The gate's time.
    pub fn at(&self) -> Timestamp {
        self.at
    }

    /// Whether a running deployment's attestation passes (within its validity).
    pub fn accepts_running_deployment(&self) -> bool {
        self.running_deployment
    }
}

/// An approval read from an envelope that a trusted key signed, about the expected artifact
/// and environment.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifiedApproval {
    digest: ArtifactDigest,
    predicate: Predicate,
    signed_by: Vec<String>,
}

impl VerifiedApproval {
    /// The approved artifact's digest (the subject's).
    pub fn digest(&self) -> &ArtifactDigest {
        &self.digest
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.predicate.model.name
    }

    /// The model's version.
    pub fn version(&self) -> &str {
        &self.predicate.model.version
    }

    /// The environment the approval is for.
    pub fn environment(&self) -> &str {
        &self.predicate.environment
    }

    /// [`Status::Deployed`] if the attestation carries a deployment, else
    /// [`Status::Approved`].
    pub fn status(&self) -> Status {
        match self.predicate.deployment {
            Some(_) => Status::Deployed,
            None => Status::Approved,
        }
    }

    /// Who submitted the artifact.
    pub fn submitter(&self) -> &str {
        &self.predicate.submission.submitter
    }

    /// The attempt, counting from 1.
    pub fn attempt(&self) -> u32 {
        self.predicate.submission.attempt
    }

    /// When it was submitted.
    pub fn submitted_at(&self) -> Timestamp {
        self.predicate.submission.submitted_at.0
    }

    /// The submitted metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.predicate.submission.metrics
    }

    /// The name of the policy that decided.
    pub fn policy(&self) -> &str {
        &self.predicate.decision.policy.name
    }

    /// The [fingerprint](crate::PolicyExt::fingerprint) of the policy that decided (its
    /// identity; `None` for a decision recorded before policies had fingerprints). A gate pins
    /// it with [`Expected::policy`].
    pub fn policy_fingerprint(&self) -> Option<Fingerprint> {
        self.predicate.decision.policy.fingerprint
    }

    /// The fingerprint of the pipeline whose policy decided, if the model was a run's.
    pub fn pipeline_fingerprint(&self) -> Option<Fingerprint> {
        self.predicate.decision.policy.pipeline
    }

    /// When the approval lapses undeployed (its environment's approval window), if it does.
    pub fn valid_until(&self) -> Option<Timestamp> {
        self.predicate.decision.valid_until
    }

    /// When the policy decided.
    pub fn decided_at(&self) -> Timestamp {
        self.predicate.decision.decided_at.0
    }

    /// The findings that explain the verdict.
    pub fn findings(&self) -> &[Finding] {
        &self.predicate.decision.findings
    }

    /// The champion's metrics the policy saw, if any.
    pub fn champion(&self) -> Option<&Metrics> {
        self.predicate.decision.champion.as_ref()
    }

    /// The head of the event that began the round of review decided, if the attestation
    /// carries signed approvals (what each names as its round).
    pub fn round(&self) -> Option<crate::event::Head> {
        self.predicate.decision.round
    }

    /// How the approval was given: the automatic rule, or the counted approvals.
    pub fn approved_by(&self) -> &ApprovedBy {
        &self.predicate.approval
    }

    /// The counted approvals (empty for an automatic approval).
    pub fn approvals(&self) -> &[Approval] {
        match &self.predicate.approval {
            ApprovedBy::Reviewed { approvals } => approvals,
            ApprovedBy::Automatic { .. } => &[],
        }
    }

    /// The head of the model's trail when it was attested.
    pub fn head(&self) -> Head {
        self.predicate.trail.head
    }

    /// The number of events of the model's trail when it was attested.
    pub fn revision(&self) -> u64 {
        self.predicate.trail.revision
    }

    /// The deployment, if the model was deployed when it was attested (only with
    /// [`Expected::accepting_running_deployment`]).
    pub fn deployment(&self) -> Option<&Deployment> {
        self.predicate.deployment.as_ref()
    }

    /// The ids of the trusted keys whose signatures verified.
    pub fn signed_by(&self) -> &[String] {
        &self.signed_by
    }
}

/// Verifies a DSSE envelope (its JSON) as the approval of the expected artifact, signed by one
/// of `keys`.
///
/// A signature counts if it verifies with a trusted key over DSSE's [`pae`](super::pae) of the
/// payload type and the payload, whatever its `keyid` says (a hint that other DSSE tools compute
/// their own way): every trusted key is tried on every signature, and an envelope has at most
/// [`MAX_SIGNATURES`](super::MAX_SIGNATURES). Signatures that no trusted key verifies are
/// ignored (an envelope may carry several). Only the payload bytes that were verified are read.
///
/// ```
/// use modelgate::*;
/// use modelgate::attest::{self, Ed25519Signer, Expected};
/// # let t = Timestamp::from_unix_secs;
/// let digest = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
/// let outcome = TrainingOutcome::new(digest, Metrics::new([("accuracy", 0.95)])?)?;
/// let model = Model::new("churn", "1")?.submit(outcome, "alice", t(10))?;
/// let model = model.decide(&MetricGate::at_least("accuracy", 0.9), &DecisionContext::at(t(11)))?
///     .approved()?;
///
/// let signer = Ed25519Signer::from_seed([7; 32]);
/// let json = model.attest(&signer)?.to_json();
///
/// // At deploy time, with the public key only:
/// let keys = [signer.public_key()];
/// let expected = Expected::deploying("churn", digest.parse()?, "default", t(60)).version("1");
/// let approval = attest::verify(json.as_bytes(), &keys, &expected)?;
/// assert_eq!(approval.name(), "churn");
/// assert_eq!(approval.policy(), "accuracy at least 0.9");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`VerifyError`], a variant for each way the envelope can be wrong (see its docs for the order
/// of the checks): not a JSON envelope, not base64, another payload type, two signatures naming
/// one key, too many signatures, no signature by a trusted key, a trusted key's signature that
/// does not verify, fewer trusted signers than [`Expected::signers`], not an in-toto Statement v1, another predicate type, an earlier or unknown
/// version, an invalid predicate or subject, another model (name, or version if pinned), another
/// artifact, another environment, a gate time before the decision (or the deployment), an
/// approval lapsed by the deployment time, a deployed model's attestation (unless
/// [`Expected::accepting_running_deployment`]) or one past its validity.
pub fn verify<V: Verifier>(
    envelope: &[u8],
    keys: &[V],
    expected: &Expected,
) -> Result<VerifiedApproval, VerifyError> {
    let envelope = Envelope::from_json(envelope)?;
    if envelope.payload_type() != PAYLOAD_TYPE {
        return Err(VerifyError::PayloadType {
            found: envelope.payload_type().to_owned(),
        });
    }
    let signed_by = envelope.check(keys)?;
    if signed_by.len() < expected.signers {
        return Err(VerifyError::TooFewSigners {
            need: expected.signers,
            signed_by,
        });
    }
    read(envelope.payload(), signed_by, expected)
}

/// Reads the verified payload.
fn read(
    payload: &[u8],
    signed_by: Vec<String>,
    expected: &Expected,
) -> Result<VerifiedApproval, VerifyError> {
    let statement: StatementIn<'_> =
        serde_json::from_slice(payload).map_err(|e| VerifyError::Statement(e.to_string()))?;
    if statement.statement_type != STATEMENT_TYPE {
        return Err(VerifyError::StatementType {
            found: statement.statement_type,
        });
    }
    if statement.predicate_type != PREDICATE_TYPE {
        let found = statement.predicate_type;
        return Err(if PREDICATE_TYPES_OUTDATED.contains(&found.as_str()) {
            VerifyError::PredicateOutdated { found }
        } else if found.starts_with(PREDICATE_PREFIX) {
            VerifyError::PredicateVersion { found }
        } else {
            VerifyError::PredicateType { found }
        });
    }
    let raw = statement
        .predicate
        .ok_or_else(|| VerifyError::Predicate(String::from("it is missing")))?;
    let predicate: Predicate =
        serde_json::from_str(raw.get()).map_err(|e| VerifyError::Predicate(e.to_string()))?;
    if predicate.decision.verdict != VerdictKind::Approve {
        return Err(VerifyError::Predicate(format!(
            "the verdict is `{}`, not `approve`",
            predicate.decision.verdict
        )));
    }
    let [subject] = statement.subject.as_slice() else {
        return Err(VerifyError::Subject(format!(
            "an approval has one subject, this statement has {}",
            statement.subject.len()
        )));
    };
    let model = subject_name(&predicate.model.name, &predicate.model.version);
    if subject.name != model {
        return Err(VerifyError::Subject(format!(
            "the subject `{}` is not the predicate's model `{}`",
            shown(&subject.name),
            shown(&model)
        )));
    }
    let attested = &predicate.model;
    if attested.name != expected.name
        || expected
            .version
            .as_ref()
            .is_some_and(|v| *v != attested.version)
    {
        return Err(VerifyError::WrongModel {
            expected: match &expected.version {
                Some(version) => subject_name(&expected.name, version),
                None => expected.name.clone(),
            },
            found: subject_name(&attested.name, &attested.version),
        });
    }
    let algorithm = expected.digest.algorithm().name();
    let found = subject.digest.0.iter().find(|(a, _)| a == algorithm);
    if found.is_none_or(|(_, hex)| hex != expected.digest.hex()) {
        let found = subject
            .digest
            .0
            .iter()
            .map(|(a, hex)| format!("{a}:{hex}"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(VerifyError::WrongDigest {
            expected: expected.digest.clone(),
            found,
        });
    }
    if let Some(pinned) = expected.policy
        && predicate.decision.policy.fingerprint != Some(pinned)
    {
        return Err(VerifyError::OtherPolicy {
            expected: pinned,
            found: predicate.decision.policy.fingerprint,
            name: predicate.decision.policy.name,
        });
    }
    if expected.environment != predicate.environment {
        return Err(VerifyError::WrongEnvironment {
            expected: expected.environment.clone(),
            found: predicate.environment,
        });
    }
    let decided_at = predicate.decision.decided_at.0;
    if expected.at < decided_at {
        return Err(VerifyError::BeforeDecision {
            decided_at,
            at: expected.at,
        });
    }
    match &predicate.deployment {
        None => {
            if let Some(valid_until) = predicate.decision.valid_until
                && expected.at > valid_until
            {
                return Err(VerifyError::Lapsed {
                    valid_until,
                    at: expected.at,
                });
            }
        }
        Some(deployment) if !expected.running_deployment => {
            return Err(VerifyError::Deployed {
                deployed_at: deployment.at(),
            });
        }
        Some(deployment) => {
            if expected.at < deployment.at() {
                return Err(VerifyError::BeforeDeployment {
                    deployed_at: deployment.at(),
                    at: expected.at,
                });
            }
            if expected.at > deployment.valid_until() {
                return Err(VerifyError::DeploymentExpired {
                    valid_until: deployment.valid_until(),
                    at: expected.at,
                });
            }
        }
    }
    Ok(VerifiedApproval {
        digest: expected.digest.clone(),
        predicate,
        signed_by,
    })
}
