//! A run saved between two calls, to be restored in another process days later.

use serde::{Deserialize, Serialize};

use super::run::Phase;
use super::{Pipeline, Run};
use crate::persist::{AnyModel, RestoreError};
use crate::policy::Policy;
use crate::stage::Status;
use crate::text::{self, TextError};

/// The version of the checkpoint format this version of modelgate writes and reads.
const CHECKPOINT_VERSION: u32 = 1;

/// A run, saved: serialize it with any serde format; [`Run::restore`] checks it against the
/// pipeline the host passes (never one read from the checkpoint itself).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    format_version: u32,
    pipeline: String,
    submitter: String,
    phase: Phase,
    model: AnyModel,
}

/// A checkpoint was refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// Written in a format this version does not read.
    #[error(
        "checkpoint format version {found} is not supported; this version of modelgate reads format {CHECKPOINT_VERSION}"
    )]
    Format {
        /// The version found.
        found: u32,
    },
    /// Saved for another pipeline than the one given.
    #[error("the checkpoint was saved for pipeline `{stored}`, not for `{given}`")]
    Pipeline {
        /// The pipeline the checkpoint names.
        stored: String,
        /// The pipeline given to restore it.
        given: String,
    },
    /// The submitter is invalid.
    #[error("invalid submitter in the checkpoint: {0}")]
    Submitter(TextError),
    /// The model inside does not restore (checked against the pipeline's policy).
    #[error("the checkpoint's model does not restore: {0}")]
    Model(RestoreError),
    /// The run's phase does not fit its model's stage.
    #[error("the checkpoint's run waits for {waiting_for}, which a {status} model cannot")]
    Phase {
        /// What the run waits for.
        waiting_for: &'static str,
        /// The model's status.
        status: Status,
    },
}

/// The pipeline as a checkpoint names it: its steps and its policy.
fn fingerprint(pipeline: &Pipeline) -> String {
    let steps: Vec<&str> = pipeline.steps().iter().map(|s| s.name()).collect();
    format!("{} | {}", steps.join(" > "), pipeline.policy().name())
}

impl Run {
    /// Saves the run.
    pub fn checkpoint(&self) -> Checkpoint {
        let model = AnyModel::from(&self.model);
        Checkpoint {
            format_version: CHECKPOINT_VERSION,
            pipeline: fingerprint(&self.pipeline),
            submitter: self.submitter.clone(),
            phase: self.phase.clone(),
            model,
        }
    }

    /// Restores a saved run of `pipeline`: the checkpoint must name the same pipeline, its model
    /// must restore under the pipeline's policy (an approval is re-checked), and the run's phase
    /// must fit the model's stage.
    pub fn restore(checkpoint: Checkpoint, pipeline: Pipeline) -> Result<Run, CheckpointError> {
        if checkpoint.format_version != CHECKPOINT_VERSION {
            return Err(CheckpointError::Format {
                found: checkpoint.format_version,
            });
        }
        let given = fingerprint(&pipeline);
        if checkpoint.pipeline != given {
            return Err(CheckpointError::Pipeline {
                stored: checkpoint.pipeline,
                given,
            });
        }
        text::check("submitter", &checkpoint.submitter).map_err(CheckpointError::Submitter)?;
        let policy = pipeline.policy();
        let model = checkpoint
            .model
            .restore(&policy)
            .map_err(|e| CheckpointError::Model(e.into_error()))?;
        let phase = checkpoint.phase;
        let tests = pipeline.tests().count();
        let fits = phase.holds(model.status())
            && !matches!(&phase, Phase::Evaluate { test, .. } if *test >= tests);
        if !fits {
            return Err(CheckpointError::Phase {
                waiting_for: phase.waiting_for(),
                status: model.status(),
            });
        }
        Ok(Run {
            pipeline,
            policy,
            submitter: checkpoint.submitter,
            phase,
            model,
        })
    }
}
