//! The checks a decision from the host's own data makes: what [`Model::record`] and
//! [`TrainingOutcome::new`] check of the inputs they keep.
//!
//! [`Model::record`]: crate::Model::record
//! [`TrainingOutcome::new`]: crate::TrainingOutcome::new

use crate::value::text::{self, TextError, esc};
use crate::value::{Ballots, OutcomeError};

/// The host's data for a decision ([`ReviewContext::borrowed`](super::ReviewContext::borrowed))
/// is refused: each variant names the field, and for a vote its place in the host's votes.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ContextError {
    /// The artifact digest is refused.
    #[error("invalid artifact digest: {0}")]
    Digest(TextError),
    /// The metrics (or the champion's) are refused.
    #[error("invalid metrics: {0}")]
    Metrics(OutcomeError),
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
    #[error("vote {index}: invalid vote by `{}`: {error}", esc(.reviewer))]
    Comment {
        /// The vote's place in the host's votes, counting from 0.
        index: usize,
        /// The reviewer.
        reviewer: String,
        /// What is wrong with the comment.
        error: TextError,
    },
}

/// Checks `digest` and every vote as recording them would (ids, roles and comments; a
/// ballot read from a [`Review`](crate::Review) was checked when it was recorded, or is checked
/// again here all the same). Linear in the votes and their roles; allocates nothing unless it
/// refuses.
pub(super) fn check(digest: &str, votes: &dyn Ballots) -> Result<(), ContextError> {
    text::check_digest("digest", digest).map_err(ContextError::Digest)?;
    for index in 0..votes.len() {
        let Some(ballot) = votes.get(index) else {
            continue;
        };
        let reviewer = ballot.reviewer();
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
