//! Submitting a trained model for review, first time or after retraining.

use super::Model;
use super::stage::{Retraining, Stage, Submission, Submitted, Untrained};
use crate::event::EventKind;
use crate::value::text::{self, TextError};
use crate::value::{CountedVotes, Refused, TimeWentBackwards, Timestamp, TrainingOutcome};

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
    /// The submitter's id is refused.
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
    /// here.
    ///
    /// # Errors
    ///
    /// [`SubmitError`] for an invalid submitter id or a time earlier than the last event; the
    /// model and the outcome come back unchanged inside the [`Refused`].
    ///
    /// ```
    /// # use modelgate::*;
    /// let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.82)])?)?;
    /// let model = Model::new("churn", "1")?.submit(outcome, "alice", Timestamp::from_unix_secs(10))?;
    /// assert_eq!(model.stage().submission().attempt(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[allow(clippy::result_large_err, clippy::type_complexity)] // the error hands back the model and the outcome
    pub fn submit(
        self,
        outcome: TrainingOutcome,
        submitter: &str,
        at: Timestamp,
    ) -> Result<Model<Submitted>, Refused<(Model<S>, TrainingOutcome), SubmitError>> {
        if let Err(e) = text::check("submitter", submitter) {
            return Err(Refused::new((self, outcome), SubmitError::Submitter(e)));
        }
        if let Err(e) = self.trail.check_time(at) {
            return Err(Refused::new((self, outcome), e.into()));
        }
        Ok(self.submit_checked(outcome, submitter.to_owned(), at))
    }

    /// [`submit`](Self::submit) after its checks (a valid submitter, a time not earlier than
    /// the last event), which the caller made.
    pub(crate) fn submit_checked(
        self,
        outcome: TrainingOutcome,
        submitter: String,
        at: Timestamp,
    ) -> Model<Submitted> {
        let attempt = self.stage.next_attempt();
        let event = EventKind::Submitted {
            outcome: outcome.clone(),
            submitter: submitter.clone(),
            attempt,
        };
        let stage = Submitted {
            submission: Submission::new(outcome, submitter, attempt, at),
            votes: CountedVotes::new(),
        };
        self.trail.advance(at, event, stage)
    }
}
