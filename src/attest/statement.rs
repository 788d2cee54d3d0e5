//! The in-toto Statement v1 of an approved or deployed model, and the approval predicate.

use std::time::Duration;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use super::digest::ArtifactDigest;
use super::dsse::{Envelope, Signer};
use super::error::{AttestError, SignError};
use super::rfc3339::Rfc3339;
use super::{PAYLOAD_TYPE, PREDICATE_TYPE, STATEMENT_TYPE};
use crate::event::{EventKind, Fingerprint, Head};
use crate::model::{Approved, Decision, Deployed, Model, Stage, Submission};
use crate::policy::{Finding, VerdictKind};
use crate::value::{Metrics, Timestamp, VoteSignature};

/// An in-toto Statement v1 about one approved (or deployed) artifact, as JSON bytes: made by
/// [`Model::attestation`](crate::Model::attestation), signed into an [`Envelope`] by
/// [`sign`](Self::sign). Its schema is in the [module docs](super).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    json: Vec<u8>,
    digest: ArtifactDigest,
}

impl Statement {
    /// The statement's JSON: the payload an envelope carries and its signatures sign.
    pub fn to_json(&self) -> &[u8] {
        &self.json
    }

    /// The subject: the approved artifact's digest.
    pub fn digest(&self) -> &ArtifactDigest {
        &self.digest
    }

    /// The statement in an unsigned DSSE envelope (payload type
    /// `application/vnd.in-toto+json`), for hosts that sign its [`Envelope::pae`] themselves.
    pub fn envelope(&self) -> Envelope {
        Envelope::new(PAYLOAD_TYPE, self.json.clone())
    }

    /// The statement in a DSSE envelope signed by `signer`.
    ///
    /// # Errors
    ///
    /// [`SignError`] if the signer fails.
    pub fn sign(&self, signer: &(impl Signer + ?Sized)) -> Result<Envelope, SignError> {
        let mut envelope = self.envelope();
        envelope.sign(signer)?;
        Ok(envelope)
    }
}

/// The statement as written: the subject first, then the predicate.
#[derive(Serialize)]
struct StatementOut<'a> {
    #[serde(rename = "_type")]
    statement_type: &'a str,
    subject: [SubjectOut<'a>; 1],
    #[serde(rename = "predicateType")]
    predicate_type: &'a str,
    predicate: &'a Predicate,
}

#[derive(Serialize)]
struct SubjectOut<'a> {
    name: String,
    digest: DigestSetOut<'a>,
}

struct DigestSetOut<'a>(&'a ArtifactDigest);

impl Serialize for DigestSetOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(self.0.algorithm().name(), self.0.hex())?;
        map.end()
    }
}

/// The statement as read: unknown fields are ignored (in-toto's parsing rules), a field given
/// twice is refused; the predicate is kept as its raw text until its type is known.
#[derive(Deserialize)]
pub(crate) struct StatementIn<'a> {
    #[serde(rename = "_type")]
    pub(crate) statement_type: String,
    pub(crate) subject: Vec<SubjectIn>,
    #[serde(rename = "predicateType")]
    pub(crate) predicate_type: String,
    #[serde(borrow, default)]
    pub(crate) predicate: Option<&'a RawValue>,
}

#[derive(Deserialize)]
pub(crate) struct SubjectIn {
    #[serde(default)]
    pub(crate) name: String,
    pub(crate) digest: DigestSet,
}

/// A subject's digests, algorithm to hex, in document order; an algorithm given twice is
/// refused.
pub(crate) struct DigestSet(pub(crate) Vec<(String, String)>);

impl<'de> Deserialize<'de> for DigestSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DigestSet;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of digest algorithms to hex digests")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DigestSet, A::Error> {
                let mut out: Vec<(String, String)> = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    if out.iter().any(|(seen, _)| *seen == k) {
                        return Err(de::Error::custom(format_args!(
                            "duplicate digest algorithm `{}`",
                            super::error::shown(&k)
                        )));
                    }
                    out.push((k, v));
                }
                Ok(DigestSet(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// The approval predicate, `https://modelgate.dev/attestation/approval/v3`. Unknown fields
/// are refused: a new field is a new version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Predicate {
    pub(crate) model: ModelRef,
    pub(crate) environment: String,
    pub(crate) submission: SubmissionRef,
    pub(crate) decision: DecisionRef,
    pub(crate) approval: ApprovedBy,
    pub(crate) trail: TrailRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) deployment: Option<Deployment>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModelRef {
    pub(crate) name: String,
    pub(crate) version: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubmissionRef {
    pub(crate) submitter: String,
    pub(crate) attempt: u32,
    pub(crate) submitted_at: Rfc3339,
    pub(crate) metrics: Metrics,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DecisionRef {
    pub(crate) policy: PolicyRef,
    pub(crate) decided_at: Rfc3339,
    pub(crate) verdict: VerdictKind,
    pub(crate) findings: Vec<Finding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) champion: Option<Metrics>,
    /// When the approval lapses undeployed (the environment's approval window), if it does.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "optional_time"
    )]
    pub(crate) valid_until: Option<Timestamp>,
    /// The head of the event that began the round of review decided: what a signed approval
    /// names as its round. Given when an approval is signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) round: Option<Head>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicyRef {
    pub(crate) name: String,
    /// The policy's fingerprint, as its decision recorded it (none for a decision recorded
    /// before policies had fingerprints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) fingerprint: Option<Fingerprint>,
    /// The fingerprint of the pipeline whose policy decided, if the model is a run's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pipeline: Option<Fingerprint>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TrailRef {
    pub(crate) head: Head,
    pub(crate) revision: u64,
}

/// How an approval was given: automatically by a rule, or by the reviewers whose approvals
/// counted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum ApprovedBy {
    /// A rule approved without reviewers (e.g. `accuracy above 0.97`).
    Automatic {
        /// The rule, as the decision record names it.
        rule: String,
    },
    /// Reviewers approved; these are the approving votes on record at the decision (the
    /// submitter's own excluded), as the signer recorded them: a gate that does not take the
    /// signer's word recounts them by a roster.
    Reviewed {
        /// The approvals, in the order the reviewers first voted.
        approvals: Vec<Approval>,
    },
}

/// One approval on record: who, with which roles (the signer's word), when; and, if its
/// reviewer signed it, the comment and the signature, so that a gate can check it against a
/// roster without trusting the attestation's signer (feature `signed-votes`: `VerifiedApproval::signed_approvals`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    reviewer: String,
    roles: Vec<String>,
    #[serde(with = "rfc3339_field")]
    at: Timestamp,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    comment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signature: Option<VoteSignature>,
}

impl Approval {
    /// The reviewer's id.
    pub fn reviewer(&self) -> &str {
        &self.reviewer
    }

    /// The reviewer's roles, as the host authenticated them.
    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    /// When the reviewer approved.
    pub fn at(&self) -> Timestamp {
        self.at
    }

    /// The reviewer's comment, if the approval is signed (it is part of what they signed).
    pub fn comment(&self) -> &str {
        &self.comment
    }

    /// The reviewer's signature over their vote, if they signed it.
    pub fn signature(&self) -> Option<&VoteSignature> {
        self.signature.as_ref()
    }
}

/// The host's deployment of an approved model: its receipt, who, when, and until when the
/// signer vouches for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    receipt: String,
    by: String,
    #[serde(with = "rfc3339_field")]
    at: Timestamp,
    #[serde(with = "rfc3339_field")]
    valid_until: Timestamp,
}

impl Deployment {
    /// The host's receipt.
    pub fn receipt(&self) -> &str {
        &self.receipt
    }

    /// Who deployed it.
    pub fn by(&self) -> &str {
        &self.by
    }

    /// When.
    pub fn at(&self) -> Timestamp {
        self.at
    }

    /// Until when the attestation vouches for the deployment: the deployment time plus the
    /// validity the host gave when it attested the deployed model. A gate re-verifying a
    /// running deployment refuses it after that.
    pub fn valid_until(&self) -> Timestamp {
        self.valid_until
    }
}

/// A [`Timestamp`] field written as RFC 3339 (checked to be writable before serializing).
mod rfc3339_field {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Rfc3339;
    use crate::value::Timestamp;

    pub(super) fn serialize<S: Serializer>(at: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        Rfc3339(*at).serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        Rfc3339::deserialize(d).map(|t| t.0)
    }
}

/// An optional time as RFC 3339.
mod optional_time {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Rfc3339;
    use crate::value::Timestamp;

    #[allow(clippy::ref_option)] // serde's `with` passes a reference to the field
    pub(super) fn serialize<S: Serializer>(
        at: &Option<Timestamp>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match at.map(Rfc3339::of) {
            None => s.serialize_none(),
            Some(Some(t)) => t.serialize(s),
            Some(None) => Err(serde::ser::Error::custom("a time past the year 9999")),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Timestamp>, D::Error> {
        Option::<Rfc3339>::deserialize(d).map(|t| t.map(|t| t.0))
    }
}

fn time(at: Timestamp) -> Result<Rfc3339, AttestError> {
    Rfc3339::of(at).ok_or(AttestError::Time(at))
}

/// What a statement says of a model, whatever its stage.
struct Parts<'a> {
    submission: &'a Submission,
    decision: &'a Decision,
    valid_until: Option<Timestamp>,
    approvals: Vec<Approval>,
    deployment: Option<Deployment>,
}

fn statement<S: Stage>(model: &Model<S>, parts: Parts<'_>) -> Result<Statement, AttestError> {
    let Parts {
        submission,
        decision,
        valid_until,
        approvals,
        deployment,
    } = parts;
    if let Some(at) = valid_until {
        time(at)?;
    }
    let digest = ArtifactDigest::parse(submission.digest().as_str())?;
    // The pipeline whose policy decided, if the model is a run's: the last run before the
    // decision.
    let pipeline = model.history().iter().rev().find_map(|e| match e.kind() {
        EventKind::RunStarted { pipeline, .. } => Some(*pipeline),
        _ => None,
    });
    let signed = approvals.iter().any(|a| a.signature.is_some());
    let approval = match decision.automatic_rule() {
        Some(rule) => ApprovedBy::Automatic {
            rule: rule.to_owned(),
        },
        None => ApprovedBy::Reviewed { approvals },
    };
    let predicate = Predicate {
        model: ModelRef {
            name: model.name().to_owned(),
            version: model.version().to_owned(),
        },
        environment: model.environment().name().to_owned(),
        submission: SubmissionRef {
            submitter: submission.submitter().to_owned(),
            attempt: submission.attempt(),
            submitted_at: time(submission.submitted_at())?,
            metrics: submission.metrics().clone(),
        },
        decision: DecisionRef {
            policy: PolicyRef {
                name: decision.policy().to_owned(),
                fingerprint: decision.policy_fingerprint(),
                pipeline,
            },
            decided_at: time(decision.decided_at())?,
            verdict: decision.verdict().kind(),
            findings: decision.verdict().findings().to_vec(),
            champion: decision.champion().cloned(),
            valid_until,
            round: signed.then(|| decision.round()),
        },
        approval,
        trail: TrailRef {
            head: model.head(),
            revision: model.revision(),
        },
        deployment,
    };
    let out = StatementOut {
        statement_type: STATEMENT_TYPE,
        subject: [SubjectOut {
            name: subject_name(model.name(), model.version()),
            digest: DigestSetOut(&digest),
        }],
        predicate_type: PREDICATE_TYPE,
        predicate: &predicate,
    };
    let json = serde_json::to_vec(&out).map_err(|e| AttestError::Json(e.to_string()))?;
    Ok(Statement { json, digest })
}

/// The subject's name: the model's name and version, `name@version`.
pub(crate) fn subject_name(name: &str, version: &str) -> String {
    format!("{name}@{version}")
}

fn approvals(approved: &Approved) -> Result<Vec<Approval>, AttestError> {
    approved
        .approvals()
        .map(|r| {
            time(r.at())?;
            let signature = r.signature().cloned();
            Ok(Approval {
                reviewer: r.reviewer().to_owned(),
                roles: r.roles().map(str::to_owned).collect(),
                at: r.at(),
                comment: match signature {
                    Some(_) => r.comment().to_owned(),
                    None => String::new(),
                },
                signature,
            })
        })
        .collect()
}

impl Model<Approved> {
    /// The approval as an in-toto Statement v1 (feature `attest`): the artifact as subject, the
    /// predicate `https://modelgate.dev/attestation/approval/v3` (see [`attest`](crate::attest)).
    ///
    /// # Errors
    ///
    /// [`AttestError::Digest`] if the artifact digest is not `algorithm:hex` of a supported
    /// algorithm; [`AttestError::Time`] for a time past the year 9999.
    pub fn attestation(&self) -> Result<Statement, AttestError> {
        let parts = Parts {
            submission: self.stage().submission(),
            decision: self.stage().decision(),
            valid_until: self.lapses_at(),
            approvals: approvals(self.stage())?,
            deployment: None,
        };
        statement(self, parts)
    }

    /// The approval as a signed attestation: [`attestation`](Self::attestation) in a DSSE
    /// envelope signed by `signer` (feature `attest`).
    ///
    /// # Errors
    ///
    /// [`AttestError`] as for [`attestation`](Self::attestation), or
    /// [`AttestError::Sign`] if the signer fails.
    pub fn attest(&self, signer: &(impl Signer + ?Sized)) -> Result<Envelope, AttestError> {
        Ok(self.attestation()?.sign(signer)?)
    }
}

impl Model<Deployed> {
    /// The approval and the deployment as an in-toto Statement v1 (feature `attest`): as for
    /// an approved model, with the deployment's receipt, vouched for `valid_for` after the
    /// deployment time (`deployment.valid_until`). A deploy gate refuses it unless it
    /// re-verifies a running deployment
    /// ([`Expected::accepting_running_deployment`](crate::attest::Expected::accepting_running_deployment)),
    /// and then only until `valid_until`: choose a validity as short as the gate can re-attest,
    /// since the attestation cannot be withdrawn after a rollback or a retirement.
    ///
    /// # Errors
    ///
    /// [`AttestError::Digest`] if the artifact digest is not `algorithm:hex` of a supported
    /// algorithm; [`AttestError::Time`] for a time past the year 9999 (the validity's end
    /// included).
    pub fn attestation(&self, valid_for: Duration) -> Result<Statement, AttestError> {
        let stage = self.stage();
        let deployment = Deployment {
            receipt: stage.receipt().as_str().to_owned(),
            by: stage.deployed_by().to_owned(),
            at: time(stage.deployed_at())?.0,
            valid_until: time(stage.deployed_at().saturating_add(valid_for))?.0,
        };
        let parts = Parts {
            submission: stage.submission(),
            decision: stage.decision(),
            valid_until: self
                .environment()
                .approval_validity()
                .map(|w| stage.decision().decided_at().saturating_add(w)),
            approvals: approvals(stage.approved())?,
            deployment: Some(deployment),
        };
        statement(self, parts)
    }

    /// The approval and the deployment, vouched for `valid_for` after the deployment, as a
    /// signed attestation (feature `attest`); see [`attestation`](Self::attestation).
    ///
    /// # Errors
    ///
    /// [`AttestError`] as for [`attestation`](Self::attestation), or
    /// [`AttestError::Sign`] if the signer fails.
    pub fn attest(
        &self,
        signer: &(impl Signer + ?Sized),
        valid_for: Duration,
    ) -> Result<Envelope, AttestError> {
        Ok(self.attestation(valid_for)?.sign(signer)?)
    }
}
