//! Recording a reviewer's vote on a submitted model.

use super::Model;
use super::stage::Submitted;
use crate::event::EventKind;
use crate::value::hash::Head;
use crate::value::text::{self, TextError, esc};
use crate::value::{CLOCK_SKEW, Refused, Review, Timestamp};

/// A vote was refused; the model is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The reviewer's id is refused.
    #[error("invalid reviewer: {0}")]
    Reviewer(TextError),
    /// One of the reviewer's roles is refused.
    #[error("invalid role of reviewer `{}`: {error}", esc(.reviewer))]
    Role {
        /// The reviewer.
        reviewer: String,
        /// What is wrong with the role.
        error: TextError,
    },
    /// The vote's comment is longer than free text may be.
    #[error("invalid vote by `{}`: {error}", esc(.reviewer))]
    Comment {
        /// The reviewer.
        reviewer: String,
        /// What is wrong with the comment.
        error: TextError,
    },
    /// The vote is for another artifact than the one submitted.
    #[error(
        "vote by `{}` is for artifact `{}`, but the submitted artifact is `{}`",
        esc(.reviewer),
        esc(.found),
        esc(.expected)
    )]
    WrongDigest {
        /// The reviewer.
        reviewer: String,
        /// The submitted artifact's digest.
        expected: String,
        /// The digest the vote names.
        found: String,
    },
    /// The vote was cast (by its reviewer's clock) more than [`CLOCK_SKEW`] before this round
    /// of review began (the submission, or the reopening that started the votes again): it
    /// was for another round.
    #[error(
        "vote by `{}` was cast at `{at}`, more than a minute before this round of review began at `{since}`: it belongs to an earlier round (cast it again, or check the reviewer's clock)",
        esc(.reviewer)
    )]
    BeforeRound {
        /// The reviewer.
        reviewer: String,
        /// The vote's own time.
        at: Timestamp,
        /// When the round began.
        since: Timestamp,
    },
}

impl Model<Submitted> {
    /// Records `review` in the audit trail; it becomes its reviewer's counted vote, replacing
    /// their earlier one. Recording a vote never approves anything: call
    /// [`decide`](Self::decide).
    ///
    /// Unlike the transitions, `record` borrows the model: a vote does not change its stage, so
    /// the model stays where it is and a refused vote leaves it untouched. What comes back on
    /// refusal is what the call took: the review.
    ///
    /// # Time
    ///
    /// A vote keeps the time its reviewer gave it ([`Review::at`], by the reviewer's clock): the
    /// vote window counts it by that time, and of a reviewer's votes the one they cast last (by
    /// that time) counts, whatever order they arrive in. The `voted` event that records it is
    /// at the same time, or at the last event's if that is later: the order of a trail is the
    /// order its events were recorded, so a reviewer whose clock runs behind the host's, or
    /// behind another reviewer's whose vote was recorded first, loses no vote. A vote cast more
    /// than [`CLOCK_SKEW`] (a minute) before its round of review began (the submission, or a
    /// reopening: [`Submitted::since`](crate::Submitted::since)) is refused: it was for another
    /// round; within that minute it is taken as cast by a clock behind the submitter's.
    /// (Every other transition is refused a time earlier than the last event: its time is the
    /// host's.)
    ///
    /// # Errors
    ///
    /// [`RecordError`] for an invalid reviewer id or role, a comment or signature longer than
    /// [`MAX_TEXT_LEN`](crate::value::MAX_TEXT_LEN), a vote for another artifact digest
    /// than the submitted one, or one cast more than [`CLOCK_SKEW`] before the round began; the
    /// review comes back
    /// inside the [`Refused`].
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
    /// let review = err.into_input(); // carol's vote, to correct and record again
    /// assert_eq!(review.reviewer(), "carol");
    /// assert_eq!(model.stage().votes().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record(&mut self, review: Review) -> Result<(), Refused<Review, RecordError>> {
        if let Err(e) = self.check(&review) {
            return Err(Refused::new(review, e));
        }
        self.trail.push(
            self.trail.not_before_last(review.at()),
            EventKind::Voted {
                review: review.clone(),
            },
        );
        self.stage.votes.count(review);
        Ok(())
    }

    /// The head of the event that began this round of review (the submission, or the
    /// reopening that started the votes again): what a signed vote names as its round, so that
    /// a signature for one round does not count in another.
    pub fn round(&self) -> Head {
        self.stage.round
    }

    /// What `review`'s reviewer signs to cast it as a signed vote on this model, in this round
    /// (feature `signed-votes`; see [`crate::signed`]).
    #[cfg(feature = "signed-votes")]
    pub fn vote_statement(&self, review: &Review) -> crate::signed::VoteStatement {
        crate::signed::VoteStatement::new(
            self.name(),
            self.version(),
            self.environment().name(),
            self.round(),
            review,
        )
    }

    fn check(&self, review: &Review) -> Result<(), RecordError> {
        text::check("reviewer", review.reviewer()).map_err(RecordError::Reviewer)?;
        for role in review.roles() {
            text::check("role", role).map_err(|error| RecordError::Role {
                reviewer: review.reviewer().to_owned(),
                error,
            })?;
        }
        text::check_free("comment", review.comment()).map_err(|error| RecordError::Comment {
            reviewer: review.reviewer().to_owned(),
            error,
        })?;
        let expected = self.stage.submission.digest().as_str();
        if review.digest() != expected {
            return Err(RecordError::WrongDigest {
                reviewer: review.reviewer().to_owned(),
                expected: expected.to_owned(),
                found: review.digest().to_owned(),
            });
        }
        if review.at() < self.stage.since.saturating_sub(CLOCK_SKEW) {
            return Err(RecordError::BeforeRound {
                reviewer: review.reviewer().to_owned(),
                at: review.at(),
                since: self.stage.since,
            });
        }
        Ok(())
    }
}
