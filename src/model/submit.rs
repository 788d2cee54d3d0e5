//! Submitting a trained model for review, first time or after retraining.

use super::Model;
use super::stage::{Retraining, Stage, Submission, Submitted, Untrained};
use crate::event::EventKind;
use crate::value::text::{self, TextError};
use crate::value::{
    CountedVotes, Promotion, Refused, TimeWentBackwards, Timestamp, TrainingOutcome,
};

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
    /// The outcome's notes are longer than free text may be.
    #[error("invalid outcome: {0}")]
    Notes(TextError),
    /// The time is earlier than the model's last event.
    #[error(transparent)]
    TimeWentBackwards(#[from] TimeWentBackwards),
    /// A promotion's evidence that [`Model::promote`] cannot record.
    #[error("the promotion's evidence is impossible: {why}")]
    Promotion {
        /// What is impossible about it.
        why: &'static str,
    },
}

impl<S: Trainable> Model<S> {
    /// Submits the training `outcome` for review, by `submitter`, at `at`.
    ///
    /// The outcome's metrics are already checked (finite, named); the submitter's id is checked
    /// here.
    ///
    /// # Errors
    ///
    /// [`SubmitError`] for an invalid submitter id, notes longer than
    /// [`MAX_TEXT_LEN`](crate::value::MAX_TEXT_LEN) bytes, or a time earlier than the last event; the
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
        self.submit_with(outcome, None, submitter, at)
    }

    /// [`submit`](Self::submit), with the evidence of a promotion if there is one (what a
    /// restore replays).
    #[allow(clippy::result_large_err, clippy::type_complexity)]
    pub(crate) fn submit_with(
        self,
        outcome: TrainingOutcome,
        promotion: Option<Promotion>,
        submitter: &str,
        at: Timestamp,
    ) -> Result<Model<Submitted>, Refused<(Model<S>, TrainingOutcome), SubmitError>> {
        if let Err(e) = check(&self, submitter, at) {
            return Err(Refused::new((self, outcome), e));
        }
        if let Err(e) = text::check_free("notes", outcome.notes()) {
            return Err(Refused::new((self, outcome), SubmitError::Notes(e)));
        }
        if let Some(p) = &promotion
            && let Err(why) = super::promote::check_evidence(self.environment().name(), p, at)
        {
            return Err(Refused::new(
                (self, outcome),
                SubmitError::Promotion { why },
            ));
        }
        Ok(self.submit_checked(outcome, submitter.to_owned(), at, promotion))
    }

    /// [`submit`](Self::submit) after its checks (a valid submitter, a time not earlier than
    /// the last event), which the caller made; with the evidence of a promotion, if any.
    pub(crate) fn submit_checked(
        self,
        outcome: TrainingOutcome,
        submitter: String,
        at: Timestamp,
        promotion: Option<Promotion>,
    ) -> Model<Submitted> {
        let attempt = self.stage.next_attempt();
        let event = EventKind::Submitted {
            outcome: outcome.clone(),
            submitter: submitter.clone(),
            attempt,
            promotion: promotion.clone(),
        };
        let model = (
            self.name().to_owned(),
            self.version().to_owned(),
            self.environment().name().to_owned(),
        );
        let mut trail = self.trail;
        trail.push(at, event);
        let stage = Submitted {
            submission: Submission::new(model, outcome, submitter, attempt, at, promotion),
            votes: CountedVotes::new(),
            since: at,
            round: trail.head(),
        };
        Model { trail, stage }
    }
}

/// The checks of a submission.
pub(crate) fn check<S: Stage>(
    model: &Model<S>,
    submitter: &str,
    at: Timestamp,
) -> Result<(), SubmitError> {
    text::check("submitter", submitter).map_err(SubmitError::Submitter)?;
    model.trail.check_time(at)?;
    Ok(())
}
