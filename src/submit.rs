//! Submitting a trained model for review, first time or after retraining.

use crate::audit::EventKind;
use crate::error::TransitionError;
use crate::model::Model;
use crate::outcome::TrainingOutcome;
use crate::review::CountedVotes;
use crate::stage::{Retraining, Stage, Submission, Submitted, Untrained};
use crate::text::{self, TextError};
use crate::time::{self, TimeWentBackwards, Timestamp};

/// Stages a model can be submitted from: [`Untrained`] and [`Retraining`]. Sealed.
pub trait Trainable: Stage {
    /// The attempt number the next submission gets.
    #[doc(hidden)]
    fn next_attempt(&self) -> u32;
}

impl Trainable for Untrained {
    fn next_attempt(&self) -> u32 {
        1
    }
}

impl Trainable for Retraining {
    fn next_attempt(&self) -> u32 {
        self.attempts.saturating_add(1)
    }
}

/// A submission was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// The submitter's id is empty, holds a control character or is too long.
    #[error("invalid submitter: {0}")]
    Submitter(TextError),
    /// The time is earlier than the model's last event.
    #[error(transparent)]
    TimeWentBackwards(#[from] TimeWentBackwards),
}

impl<S: Trainable> Model<S> {
    /// Submits the training `outcome` for review, by `submitter`, at `at`.
    ///
    /// The outcome's metrics are already checked (finite, named); the submitter's id is checked
    /// here, and `at` must not be earlier than the last event. On failure the model comes back
    /// unchanged inside the error.
    ///
    /// ```
    /// # use modelgate::*;
    /// let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.82)])?)?;
    /// let model = Model::new("churn", "1")?.submit(outcome, "alice", Timestamp::from_unix_secs(10))?;
    /// assert_eq!(model.stage().submission().attempt(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn submit(
        self,
        outcome: TrainingOutcome,
        submitter: impl Into<String>,
        at: Timestamp,
    ) -> Result<Model<Submitted>, TransitionError<Model<S>, SubmitError>> {
        let submitter = submitter.into();
        if let Err(e) = check(self.last_at(), &submitter, at) {
            return Err(TransitionError::new(self, e));
        }
        let attempt = self.stage.next_attempt();
        let event = EventKind::Submitted {
            outcome: outcome.clone(),
            submitter: submitter.clone(),
            attempt,
        };
        let stage = Submitted::new(Submission::new(outcome, submitter, attempt, at));
        Ok(self.split().0.advance(at, event, stage))
    }
}

/// The checks of a submission, shared with replay.
pub(crate) fn check(
    last: Option<Timestamp>,
    submitter: &str,
    at: Timestamp,
) -> Result<(), SubmitError> {
    text::check("submitter", submitter).map_err(SubmitError::Submitter)?;
    time::check_not_before(last, at)?;
    Ok(())
}

impl Submitted {
    /// A fresh submission, without votes.
    pub(crate) fn new(submission: Submission) -> Self {
        Self {
            submission,
            votes: CountedVotes::new(),
        }
    }
}
