//! One reviewer's vote on one artifact.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// Approve or reject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vote {
    /// The reviewer approves the artifact.
    Approve,
    /// The reviewer rejects the artifact.
    Reject,
}

impl fmt::Display for Vote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
        })
    }
}

/// One reviewer's vote: who (with the roles the host authenticated), approve or reject, on which
/// artifact digest, when, and why.
///
/// A review is evidence, not a decision: recording it never approves anything by itself; the
/// [`Policy`](crate::Policy) decides when [`Model::decide`](crate::Model::decide) is called.
/// It is checked when it is recorded (see [`Model::record`](crate::Model::record)).
///
/// ```
/// use modelgate::{Review, Timestamp, Vote};
/// let review = Review::approve("bob", "sha256:9f2c", Timestamp::from_unix_secs(100))
///     .with_role("team_lead")
///     .with_comment("checked the confusion matrix");
/// assert_eq!(review.vote(), Vote::Approve);
/// assert!(review.has_role("team_lead"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    reviewer: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    roles: Vec<String>,
    vote: Vote,
    digest: String,
    at: Timestamp,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    comment: String,
}

impl Review {
    /// A vote by `reviewer` on the artifact `digest` at time `at`.
    pub fn new(
        reviewer: impl Into<String>,
        vote: Vote,
        digest: impl Into<String>,
        at: Timestamp,
    ) -> Self {
        Self {
            reviewer: reviewer.into(),
            roles: Vec::new(),
            vote,
            digest: digest.into(),
            at,
            comment: String::new(),
        }
    }

    /// An approving vote.
    pub fn approve(reviewer: impl Into<String>, digest: impl Into<String>, at: Timestamp) -> Self {
        Self::new(reviewer, Vote::Approve, digest, at)
    }

    /// A rejecting vote.
    pub fn reject(reviewer: impl Into<String>, digest: impl Into<String>, at: Timestamp) -> Self {
        Self::new(reviewer, Vote::Reject, digest, at)
    }

    /// The same review with one more role, as the host authenticated it.
    #[must_use]
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.roles.push(role.into());
        self
    }

    /// The same review with a comment.
    #[must_use]
    pub fn with_comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = comment.into();
        self
    }

    /// The reviewer's id.
    pub fn reviewer(&self) -> &str {
        &self.reviewer
    }

    /// The reviewer's roles.
    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    /// Whether the reviewer has `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Approve or reject.
    pub fn vote(&self) -> Vote {
        self.vote
    }

    /// The artifact digest the vote refers to.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// When the vote was cast.
    pub fn at(&self) -> Timestamp {
        self.at
    }

    /// The comment; empty if none was given.
    pub fn comment(&self) -> &str {
        &self.comment
    }
}
