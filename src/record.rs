//! Recording a reviewer's vote on a submitted model.

use crate::audit::EventKind;
use crate::model::{self, Model};
use crate::review::Review;
use crate::stage::Submitted;
use crate::text::{self, TextError};
use crate::time::{self, TimeWentBackwards, Timestamp};

/// A vote was refused; the model is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The reviewer's id is empty, holds a control character or is too long.
    #[error("invalid reviewer: {0}")]
    Reviewer(TextError),
    /// One of the reviewer's roles is empty, holds a control character or is too long.
    #[error("invalid role of reviewer `{reviewer}`: {error}")]
    Role {
        /// The reviewer.
        reviewer: String,
        /// What is wrong with the role.
        error: TextError,
    },
    /// The vote is for another artifact than the one submitted.
    #[error(
        "vote by `{reviewer}` is for artifact `{found}`, but the submitted artifact is `{expected}`"
    )]
    WrongDigest {
        /// The reviewer.
        reviewer: String,
        /// The submitted artifact's digest.
        expected: String,
        /// The digest the vote names.
        found: String,
    },
    /// The vote's time is earlier than the model's last event.
    #[error(transparent)]
    TimeWentBackwards(#[from] TimeWentBackwards),
}

impl Model<Submitted> {
    /// Records `review` in the audit trail; it becomes its reviewer's counted vote, replacing
    /// their earlier one.
    ///
    /// Refused, leaving the model unchanged: an invalid reviewer id or role, a vote for another
    /// artifact digest than the submitted one, a time earlier than the last event. Recording a
    /// vote never approves anything: call [`decide`](Self::decide).
    ///
    /// ```
    /// # use modelgate::*;
    /// # let t = Timestamp::from_unix_secs;
    /// # let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.93)])?)?;
    /// let mut model = Model::new("churn", "1")?.submit(outcome, "alice", t(10))?;
    /// model.record(Review::approve("bob", "sha256:1", t(11)))?;
    /// let err = model.record(Review::approve("carol", "sha256:0", t(12))).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "vote by `carol` is for artifact `sha256:0`, but the submitted artifact is `sha256:1`",
    /// );
    /// assert_eq!(model.stage().votes().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record(&mut self, review: Review) -> Result<(), RecordError> {
        check(self.last_at(), &self.stage, &review)?;
        model::push(
            &mut self.history,
            review.at(),
            EventKind::Voted {
                review: review.clone(),
            },
        );
        self.stage.votes.count(review);
        Ok(())
    }
}

/// The checks of a vote, shared with replay.
pub(crate) fn check(
    last: Option<Timestamp>,
    stage: &Submitted,
    review: &Review,
) -> Result<(), RecordError> {
    text::check("reviewer", review.reviewer()).map_err(RecordError::Reviewer)?;
    for role in review.roles() {
        text::check("role", role).map_err(|error| RecordError::Role {
            reviewer: review.reviewer().to_owned(),
            error,
        })?;
    }
    let expected = stage.submission().outcome().digest().as_str();
    if review.digest() != expected {
        return Err(RecordError::WrongDigest {
            reviewer: review.reviewer().to_owned(),
            expected: expected.to_owned(),
            found: review.digest().to_owned(),
        });
    }
    time::check_not_before(last, review.at())?;
    Ok(())
}
