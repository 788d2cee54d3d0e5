//! Why a run refused an input or a time.

use crate::model::{ActionError, RecordError};
use crate::value::TimeWentBackwards;
use crate::value::text::{TextError, esc};

/// An input the run refused; the run is unchanged.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The input does not fit where the run stands.
    #[error("the run is waiting for {waiting_for}, not for {input}")]
    NotExpected {
        /// What was handed in.
        input: &'static str,
        /// What the run waits for.
        waiting_for: &'static str,
    },
    /// An evaluation for another step than the one the run waits for.
    #[error(
        "the run is waiting for the evaluation of step `{}`, not `{}`",
        esc(.expected),
        esc(.found)
    )]
    WrongStep {
        /// The step the run waits for.
        expected: String,
        /// The step named.
        found: String,
    },
    /// The run's submitter is refused.
    #[error("invalid submitter: {0}")]
    Submitter(TextError),
    /// The vote was refused.
    #[error("{0}")]
    Vote(RecordError),
    /// The model refused the host's action (a receipt or error text that is too long, a lapsed
    /// approval).
    #[error("{0}")]
    Action(ActionError),
    /// The time is earlier than the model's last event.
    #[error(transparent)]
    TimeWentBackwards(#[from] TimeWentBackwards),
    /// The model is for another environment than the pipeline.
    #[error(
        "the model is for environment `{}`, the pipeline for `{}`: make it with \
         `Model::in_environment` or run the pipeline of its environment",
        esc(.model),
        esc(.pipeline)
    )]
    WrongEnvironment {
        /// The model's environment.
        model: String,
        /// The pipeline's environment.
        pipeline: String,
    },
}
