//! The checks a decision from the host's own data makes: what [`Model::record`] and
//! [`TrainingOutcome::new`] check of the inputs they keep.
//!
//! [`Model::record`]: crate::Model::record
//! [`TrainingOutcome::new`]: crate::TrainingOutcome::new

use crate::value::text::{self, TextError, esc};
use crate::value::{Ballots, CLOCK_SKEW, OutcomeError, Timestamp};

/// The host's data for a decision ([`ReviewContext::borrowed`](super::ReviewContext::borrowed))
/// is refused: each variant names the field, and for a vote its place in the host's votes.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ContextError {
    /// The artifact digest is refused.
    #[error("invalid artifact digest: {0}")]
    Digest(TextError),
    /// The metrics (or the champion's) are refused: what [`MetricsView::borrowed`] returns,
    /// converted by `?` where a host checks both at once (the call that refused says whose
    /// metrics they were: map its error where the host must tell them apart).
    ///
    /// [`MetricsView::borrowed`]: crate::value::MetricsView::borrowed
    #[error("invalid metrics: {0}")]
    Metrics(#[from] OutcomeError),
    /// The submitter's id is refused.
    #[error("invalid submitter: {0}")]
    Submitter(TextError),
    /// The attempt is 0: attempts count from 1.
    #[error("attempt 0: attempts count from 1")]
    Attempt,
    /// The host's votes say they hold more votes than they give: a vote that is not there
    /// would not be counted, so nothing is decided.
    #[error("vote {index}: missing (the host's votes say there are {len})")]
    MissingVote {
        /// The first place with no vote, counting from 0.
        index: usize,
        /// How many votes the host's votes say they hold.
        len: usize,
    },
    /// The decision's time is before its round of review began: a model refuses to decide
    /// before its submission (or reopening).
    #[error("the decision's time {now} is before its round of review began at {since}")]
    DecidedBeforeRound {
        /// When the round began.
        since: Timestamp,
        /// The decision's time.
        now: Timestamp,
    },
    /// A vote was cast more than [`CLOCK_SKEW`] before its round of review began: it belongs to
    /// an earlier round, and a model refuses to record it.
    #[error(
        "vote {index}: cast by `{}` at {at}, more than a minute before this round of review began at {since}: it belongs to an earlier round (cast it again, or check the reviewer's clock)",
        esc(.reviewer)
    )]
    BeforeRound {
        /// The vote's place in the host's votes, counting from 0.
        index: usize,
        /// The reviewer.
        reviewer: String,
        /// When the vote was cast.
        at: Timestamp,
        /// When the round began.
        since: Timestamp,
    },
    /// A vote read from a recorded [`Review`](crate::Review) is on another artifact: a model
    /// refuses to record it.
    #[error("vote {index}: by `{}` on artifact `{}`, not on `{}`", esc(.reviewer), esc(.digest), esc(.expected))]
    WrongDigest {
        /// The vote's place in the host's votes, counting from 0.
        index: usize,
        /// The reviewer.
        reviewer: String,
        /// The artifact the vote is on.
        digest: String,
        /// The artifact being decided.
        expected: String,
    },
    /// A vote was cast after the decision's time: a model refuses to decide before its last
    /// event, so this decision could not be recorded.
    #[error("vote {index}: cast by `{}` at {at}, after the decision's time {now}", esc(.reviewer))]
    AfterNow {
        /// The vote's place in the host's votes, counting from 0.
        index: usize,
        /// The reviewer.
        reviewer: String,
        /// When the vote was cast.
        at: Timestamp,
        /// The decision's time.
        now: Timestamp,
    },
    /// A vote's reviewer id is refused.
    #[error("vote {index}: invalid reviewer: {error}")]
    Reviewer {
        /// The vote's place in the host's votes, counting from 0.
        index: usize,
        /// What is wrong with the id.
        error: TextError,
    },
    /// One of a vote's roles is refused.
    #[error("vote {index}: invalid role of reviewer `{}`: {error}", esc(.reviewer))]
    Role {
        /// The vote's place in the host's votes, counting from 0.
        index: usize,
        /// The reviewer.
        reviewer: String,
        /// What is wrong with the role.
        error: TextError,
    },
    /// A vote's comment is longer than free text may be.
    #[error("vote {index}: by `{}`: {error}", esc(.reviewer))]
    Comment {
        /// The vote's place in the host's votes, counting from 0.
        index: usize,
        /// The reviewer.
        reviewer: String,
        /// What is wrong with the comment.
        error: TextError,
    },
}

/// What a decision from the host's own data is about: the artifact, who submitted it, when its
/// round of review began (the submission, or the latest reopening) and the attempt (1 unless
/// set). Checked, with the votes, by [`ReviewContext::borrowed`](super::ReviewContext::borrowed).
///
/// ```
/// use modelgate::Timestamp; use modelgate::policy::Subject;
/// let subject = Subject::new("sha256:9f2c", "alice", Timestamp::from_unix_secs(0)).with_attempt(2);
/// assert_eq!(subject.attempt(), 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subject<'a> {
    digest: &'a str,
    submitter: &'a str,
    since: Timestamp,
    attempt: u32,
}

impl<'a> Subject<'a> {
    /// The artifact `digest` submitted by `submitter`, its round of review begun at `since`;
    /// the first attempt.
    pub fn new(digest: &'a str, submitter: &'a str, since: Timestamp) -> Self {
        Self {
            digest,
            submitter,
            since,
            attempt: 1,
        }
    }

    /// The same subject at attempt `attempt` (counting from 1).
    #[must_use]
    pub fn with_attempt(mut self, attempt: u32) -> Self {
        self.attempt = attempt;
        self
    }

    /// The artifact's digest.
    pub fn digest(&self) -> &'a str {
        self.digest
    }

    /// Who submitted it.
    pub fn submitter(&self) -> &'a str {
        self.submitter
    }

    /// When its round of review began.
    pub fn since(&self) -> Timestamp {
        self.since
    }

    /// The attempt, counting from 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }
}

/// Checks the subject and every vote as submitting and recording them would (the digest, the
/// submitter, the attempt; each vote's id, roles and comment, and its time not after `now`; a
/// ballot read from a [`Review`](crate::Review) was checked when it was recorded, and is
/// checked again here all the same). Linear in the votes and their roles; allocates nothing
/// unless it refuses.
pub(super) fn check(
    subject: &Subject<'_>,
    votes: &dyn Ballots,
    now: Timestamp,
) -> Result<(), ContextError> {
    text::check_digest("digest", subject.digest).map_err(ContextError::Digest)?;
    text::check("submitter", subject.submitter).map_err(ContextError::Submitter)?;
    if subject.attempt == 0 {
        return Err(ContextError::Attempt);
    }
    if now < subject.since {
        return Err(ContextError::DecidedBeforeRound {
            since: subject.since,
            now,
        });
    }
    let earliest = subject.since.saturating_sub(CLOCK_SKEW);
    let len = votes.len();
    for index in 0..len {
        let Some(ballot) = votes.get(index) else {
            return Err(ContextError::MissingVote { index, len });
        };
        let reviewer = ballot.reviewer();
        if ballot.at() > now {
            return Err(ContextError::AfterNow {
                index,
                reviewer: reviewer.to_owned(),
                at: ballot.at(),
                now,
            });
        }
        if ballot.at() < earliest {
            return Err(ContextError::BeforeRound {
                index,
                reviewer: reviewer.to_owned(),
                at: ballot.at(),
                since: subject.since,
            });
        }
        if let Some(review) = ballot.review()
            && review.digest() != subject.digest
        {
            return Err(ContextError::WrongDigest {
                index,
                reviewer: reviewer.to_owned(),
                digest: review.digest().to_owned(),
                expected: subject.digest.to_owned(),
            });
        }
        text::check("reviewer", reviewer)
            .map_err(|error| ContextError::Reviewer { index, error })?;
        for role in ballot.roles() {
            text::check("role", role).map_err(|error| ContextError::Role {
                index,
                reviewer: reviewer.to_owned(),
                error,
            })?;
        }
        text::check_free("comment", ballot.comment()).map_err(|error| ContextError::Comment {
            index,
            reviewer: reviewer.to_owned(),
            error,
        })?;
    }
    Ok(())
}
