//! Storage: [`AnyModel`] round-trips through serde; restoring a typed model from it is checked.

use serde::{Deserialize, Serialize};

use crate::audit::Event;
use crate::decision::DecisionData;
use crate::deploy::Receipt;
use crate::error::TransitionError;
use crate::model::{Model, Trail};
use crate::policy::{Finding, Policy, ReviewContext, VerdictKind};
use crate::replay::{self, AnyStage, TrailError};
use crate::review::CountedVotes;
use crate::stage::{
    Approved, Deployed, Rejected, Retraining, Stage, Status, Submission, Submitted, Untrained,
};
use crate::text::{self, TextError};
use crate::time::Timestamp;

/// The version of the stored format that this version of modelgate writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// A model of any stage, for storage: serialize it with any serde format, deserialize it, and
/// [`restore`](Self::restore) a typed model from it.
///
/// The stored form carries `format_version`, the model's name and version, the stage's data
/// under a stage tag, and the audit trail; unknown fields are refused. Deserializing checks
/// only the shape: the content is checked when it is restored, so that stored data cannot forge
/// an approval.
///
/// Metric values must come back bit for bit, or a re-checked gate can flip at its boundary: with
/// `serde_json`, enable its `float_roundtrip` feature (its default parser can be off by one ulp).
///
/// ```
/// # use modelgate::*;
/// # let t = Timestamp::from_unix_secs;
/// # let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.93)])?)?;
/// let model = Model::new("churn", "1")?.submit(outcome, "alice", t(10))?;
/// let json = serde_json::to_string(&AnyModel::from(&model))?;
///
/// // … days later, in another process:
/// let stored: AnyModel = serde_json::from_str(&json)?;
/// let policy = MetricGate::at_least("accuracy", 0.9);
/// let Restored::Submitted(restored) = stored.restore(&policy)? else { unreachable!() };
/// assert_eq!(restored, model);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AnyModel(Record);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    format_version: u32,
    name: String,
    version: String,
    stage: StageData,
    history: Vec<Event>,
}

/// A stage's data in the stored form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum StageData {
    Untrained {},
    Submitted {
        submission: Submission,
        votes: CountedVotes,
    },
    Approved {
        submission: Submission,
        decision: DecisionData,
    },
    Rejected {
        submission: Submission,
        decision: DecisionData,
    },
    Retraining {
        feedback: Vec<Finding>,
        attempts: u32,
    },
    Deployed {
        submission: Submission,
        decision: DecisionData,
        receipt: Receipt,
        deployed_at: Timestamp,
    },
}

impl StageData {
    fn status(&self) -> Status {
        match self {
            Self::Untrained {} => Status::Untrained,
            Self::Submitted { .. } => Status::Submitted,
            Self::Approved { .. } => Status::Approved,
            Self::Rejected { .. } => Status::Rejected,
            Self::Retraining { .. } => Status::Retraining,
            Self::Deployed { .. } => Status::Deployed,
        }
    }
}

impl<S: Stage> From<&Model<S>> for AnyModel {
    fn from(model: &Model<S>) -> Self {
        Self(Record {
            format_version: FORMAT_VERSION,
            name: model.name.clone(),
            version: model.version.clone(),
            stage: model.stage.to_data(),
            history: model.history.clone(),
        })
    }
}

impl<S: Stage> From<Model<S>> for AnyModel {
    fn from(model: Model<S>) -> Self {
        Self::from(&model)
    }
}

/// A typed model restored from an [`AnyModel`], in whichever stage it was stored.
#[derive(Debug, PartialEq)]
pub enum Restored {
    /// An untrained model.
    Untrained(Model<Untrained>),
    /// A submitted model.
    Submitted(Model<Submitted>),
    /// An approved model whose decision was checked (or restored unchecked).
    Approved(Model<Approved>),
    /// A rejected model.
    Rejected(Model<Rejected>),
    /// A model in retraining.
    Retraining(Model<Retraining>),
    /// A deployed model whose decision was checked (or restored unchecked).
    Deployed(Model<Deployed>),
}

impl Restored {
    /// The restored model's status.
    pub fn status(&self) -> Status {
        match self {
            Self::Untrained(_) => Status::Untrained,
            Self::Submitted(_) => Status::Submitted,
            Self::Approved(_) => Status::Approved,
            Self::Rejected(_) => Status::Rejected,
            Self::Retraining(_) => Status::Retraining,
            Self::Deployed(_) => Status::Deployed,
        }
    }
}

impl From<&Restored> for AnyModel {
    fn from(model: &Restored) -> Self {
        match model {
            Restored::Untrained(m) => m.into(),
            Restored::Submitted(m) => m.into(),
            Restored::Approved(m) => m.into(),
            Restored::Rejected(m) => m.into(),
            Restored::Retraining(m) => m.into(),
            Restored::Deployed(m) => m.into(),
        }
    }
}

impl From<Restored> for AnyModel {
    fn from(model: Restored) -> Self {
        Self::from(&model)
    }
}

/// A stored model was refused on restore.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RestoreError {
    /// The record was written in a format this version does not read.
    #[error(
        "stored format version {found} is not supported; this version of modelgate reads format {FORMAT_VERSION}"
    )]
    Format {
        /// The format version found.
        found: u32,
    },
    /// The stored name or version is invalid.
    #[error("stored model is invalid: {0}")]
    Identity(TextError),
    /// The audit trail is not one the transitions could have written.
    #[error("stored audit trail does not replay: {0}")]
    Trail(TrailError),
    /// The stored status is not the one the audit trail replays to.
    #[error(
        "stored status `{stored}` does not match the audit trail, which replays to `{replayed}`"
    )]
    Status {
        /// The status the record claims.
        stored: Status,
        /// The status the trail replays to.
        replayed: Status,
    },
    /// The stored stage data disagree with what the audit trail says.
    #[error("stored data of the {status} model disagree with its audit trail")]
    StageData {
        /// The status of the record.
        status: Status,
    },
    /// The policy given to [`AnyModel::restore`] does not approve on the recorded evidence.
    #[error("the recorded approval is not upheld by policy `{policy}`: {verdict}")]
    NotUpheld {
        /// The name of the policy given.
        policy: String,
        /// Its verdict on the recorded evidence, in one line.
        verdict: String,
    },
}

impl AnyModel {
    /// The status the record claims (checked only by a restore).
    pub fn status(&self) -> Status {
        self.0.stage.status()
    }

    /// The stored model's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The stored model's version.
    pub fn version(&self) -> &str {
        &self.0.version
    }

    /// The stored revision (the number of events; see [`Model::revision`]).
    pub fn revision(&self) -> u64 {
        u64::try_from(self.0.history.len()).unwrap_or(u64::MAX)
    }

    /// The stored audit trail.
    pub fn history(&self) -> &[Event] {
        &self.0.history
    }

    /// Restores the typed model, checking everything:
    ///
    /// - the format version is [`FORMAT_VERSION`], the name and version are valid;
    /// - the audit trail replays (the same checks as the live transitions) to the stored status;
    /// - the stored stage data are exactly what the trail says;
    /// - for an approved or deployed model, `policy` approves again on the recorded evidence
    ///   (submission, counted votes, champion metrics, decision time).
    ///
    /// On refusal the record comes back inside the error.
    pub fn restore<P: Policy + ?Sized>(
        self,
        policy: &P,
    ) -> Result<Restored, TransitionError<AnyModel, RestoreError>> {
        self.rebuild(Some(policy))
    }

    /// Restores the typed model with every check of [`restore`](Self::restore) but the policy's:
    /// an approved or deployed model comes back on the strength of the stored decision alone.
    /// Use it only for records your own process wrote to storage you trust.
    pub fn restore_unchecked(self) -> Result<Restored, TransitionError<AnyModel, RestoreError>> {
        self.rebuild::<()>(None)
    }

    fn rebuild<P: Policy + ?Sized>(
        self,
        policy: Option<&P>,
    ) -> Result<Restored, TransitionError<AnyModel, RestoreError>> {
        let stage = match self.check(policy) {
            Ok(stage) => stage,
            Err(e) => return Err(TransitionError::new(self, e)),
        };
        let Record {
            name,
            version,
            history,
            ..
        } = self.0;
        let trail = Trail::new(name, version, history);
        Ok(match stage {
            AnyStage::Untrained(s) => Restored::Untrained(trail.into_model(s)),
            AnyStage::Submitted(s) => Restored::Submitted(trail.into_model(s)),
            AnyStage::Approved(s) => Restored::Approved(trail.into_model(s)),
            AnyStage::Rejected(s) => Restored::Rejected(trail.into_model(s)),
            AnyStage::Retraining(s) => Restored::Retraining(trail.into_model(s)),
            AnyStage::Deployed(s) => Restored::Deployed(trail.into_model(s)),
        })
    }

    fn check<P: Policy + ?Sized>(&self, policy: Option<&P>) -> Result<AnyStage, RestoreError> {
        let record = &self.0;
        if record.format_version != FORMAT_VERSION {
            return Err(RestoreError::Format {
                found: record.format_version,
            });
        }
        text::check("name", &record.name).map_err(RestoreError::Identity)?;
        text::check("version", &record.version).map_err(RestoreError::Identity)?;
        let stage = replay::replay(&record.history).map_err(RestoreError::Trail)?;
        let (stored, replayed) = (record.stage.status(), stage.status());
        if stored != replayed {
            return Err(RestoreError::Status { stored, replayed });
        }
        if stage.to_data() != record.stage {
            return Err(RestoreError::StageData { status: stored });
        }
        if let Some(policy) = policy {
            match &stage {
                AnyStage::Approved(s) => uphold(policy, &s.review_context())?,
                AnyStage::Deployed(s) => uphold(policy, &s.approved().review_context())?,
                _ => {}
            }
        }
        Ok(stage)
    }
}

/// Refuses unless `policy` approves on `ctx`.
fn uphold<P: Policy + ?Sized>(policy: &P, ctx: &ReviewContext<'_>) -> Result<(), RestoreError> {
    let verdict = policy.evaluate(ctx);
    if verdict.kind() == VerdictKind::Approve {
        Ok(())
    } else {
        Err(RestoreError::NotUpheld {
            policy: policy.name(),
            verdict: verdict.to_string(),
        })
    }
}
