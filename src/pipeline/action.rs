//! What a run and its host say to each other: the next action the run asks for, and the
//! artifact the host hands in.

use std::fmt;

use crate::event::RunOutcome;
use crate::policy::{Finding, Verdict};
use crate::value::{Digest, Metrics, OutcomeError, TrainingOutcome};

/// The artifact to review: its digest, the metrics known when it was trained, notes. Trained by
/// the pipeline's training step, or trained elsewhere and handed in when the pipeline has none.
///
/// A [`TrainingOutcome`] by another name: what the host hands in when the run asks for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Artifact(TrainingOutcome);

impl Artifact {
    /// The artifact with this digest and training-time metrics (evaluation adds more).
    ///
    /// # Errors
    ///
    /// [`OutcomeError::Digest`] if the digest is not a valid identifier.
    pub fn new(digest: impl AsRef<str>, metrics: Metrics) -> Result<Self, OutcomeError> {
        TrainingOutcome::new(digest, metrics).map(Self)
    }

    pub(crate) fn from_parts(digest: Digest, metrics: Metrics, notes: String) -> Self {
        Self(TrainingOutcome::from_parts(digest, metrics, notes))
    }

    /// The same, with notes.
    #[must_use]
    pub fn with_notes(self, notes: impl Into<String>) -> Self {
        Self(self.0.with_notes(notes))
    }

    /// The artifact's digest.
    pub fn digest(&self) -> &Digest {
        self.0.digest()
    }

    /// Its digest, metrics and notes.
    pub(super) fn into_parts(self) -> (Digest, Metrics, String) {
        self.0.into_parts()
    }
}

/// What the host must do next.
///
/// Deliberately exhaustive: a host matches every action, so that a new one in a later version
/// is a compile error, not an action silently ignored by a wildcard arm.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Train (attempt 1), or retrain with the last rejection's findings as feedback; then call
    /// [`Run::handle_artifact`](super::Run::handle_artifact).
    Train {
        /// The attempt, from 1.
        attempt: u32,
        /// The findings of the last rejection; empty on the first attempt.
        feedback: Vec<Finding>,
    },
    /// The pipeline has no training step: hand in the artifact to review (a model trained
    /// elsewhere) with [`Run::handle_artifact`](super::Run::handle_artifact).
    ProvideArtifact,
    /// Evaluate the artifact for the test step `step`, then call [`Run::handle_evaluated`](super::Run::handle_evaluated).
    Evaluate {
        /// The test step.
        step: String,
        /// The artifact to evaluate.
        artifact: Digest,
    },
    /// Wait for votes ([`Run::record_vote`](super::Run::record_vote)) and poll again; store the run now.
    AwaitApproval {
        /// The approval step.
        step: String,
        /// Who may approve (user ids or roles).
        approvers: Vec<String>,
        /// How many approvals are required.
        required: usize,
        /// The artifact the votes must name.
        artifact: Digest,
        /// The policy's current verdict (pending), explaining what is missing.
        verdict: Verdict,
    },
    /// Deploy the approved artifact, then call [`Run::handle_deployed`](super::Run::handle_deployed) (or
    /// [`Run::handle_deploy_failed`](super::Run::handle_deploy_failed)).
    Deploy {
        /// The artifact to deploy.
        artifact: Digest,
    },
    /// The run is over; [`Run::finished`](super::Run::finished) has the model.
    Finished {
        /// How it ended.
        outcome: RunOutcome,
        /// Attempts made.
        attempts: u32,
    },
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Train { attempt, feedback } if feedback.is_empty() => {
                write!(f, "train (attempt {attempt})")
            }
            Self::Train { attempt, feedback } => {
                let feedback: Vec<String> = feedback.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "retrain (attempt {attempt}; feedback: {})",
                    feedback.join("; ")
                )
            }
            Self::ProvideArtifact => f.write_str("provide the artifact to review"),
            Self::Evaluate { step, artifact } => {
                write!(f, "evaluate `{artifact}` for step `{step}`")
            }
            Self::AwaitApproval {
                step,
                approvers,
                required,
                verdict,
                ..
            } => write!(
                f,
                "await approval at step `{step}` ({required} of {}): {verdict}",
                approvers.join(", ")
            ),
            Self::Deploy { artifact } => write!(f, "deploy `{artifact}`"),
            Self::Finished { outcome, attempts } => {
                let how = match outcome {
                    RunOutcome::Deployed => "deployed",
                    RunOutcome::Approved => "approved",
                    RunOutcome::Failed => "failed",
                };
                write!(f, "finished: {how} after {attempts} attempt(s)")
            }
        }
    }
}
