//! One reviewer's vote on one artifact.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::time::Timestamp;

/// Approve or reject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

/// The counted votes: at most one per reviewer, the latest, in the order reviewers first voted.
///
/// [`Model::record`](crate::Model::record) keeps one of these; build one directly to test a
/// policy. Every vote, superseded or not, stays in the model's audit trail. Counting a vote takes
/// constant time (reviewers are indexed), so counting `n` votes is linear in `n`.
///
/// ```
/// use modelgate::{CountedVotes, Review, Timestamp, Vote};
/// let t = Timestamp::from_unix_secs;
/// let votes: CountedVotes = [
///     Review::approve("bob", "sha256:1", t(1)),
///     Review::approve("carol", "sha256:1", t(2)),
///     Review::reject("bob", "sha256:1", t(3)),
/// ].into_iter().collect();
/// assert_eq!(votes.len(), 2);
/// let first = votes.iter().next().map(Review::vote);
/// assert_eq!(first, Some(Vote::Reject)); // bob's latest, in bob's place
/// for review in &votes {
///     assert_eq!(review.digest(), "sha256:1");
/// }
/// ```
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "Vec<Review>", into = "Vec<Review>")]
pub struct CountedVotes {
    reviews: Vec<Review>,
    by_reviewer: HashMap<String, usize>,
}

impl PartialEq for CountedVotes {
    fn eq(&self, other: &Self) -> bool {
        self.reviews == other.reviews
    }
}

impl Eq for CountedVotes {}

impl CountedVotes {
    /// No votes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts `review` as its reviewer's latest vote, replacing their earlier one.
    pub fn count(&mut self, review: Review) {
        match self.by_reviewer.get(review.reviewer.as_str()) {
            Some(&i) => {
                if let Some(slot) = self.reviews.get_mut(i) {
                    *slot = review;
                }
            }
            None => {
                self.by_reviewer
                    .insert(review.reviewer.clone(), self.reviews.len());
                self.reviews.push(review);
            }
        }
    }

    /// The latest vote of `reviewer`, if they voted.
    pub fn of(&self, reviewer: &str) -> Option<&Review> {
        self.by_reviewer
            .get(reviewer)
            .and_then(|&i| self.reviews.get(i))
    }

    /// The votes, in the order reviewers first voted.
    pub fn iter(&self) -> std::slice::Iter<'_, Review> {
        self.reviews.iter()
    }

    /// How many reviewers voted.
    pub fn len(&self) -> usize {
        self.reviews.len()
    }

    /// Whether nobody voted.
    pub fn is_empty(&self) -> bool {
        self.reviews.is_empty()
    }
}

impl<'a> IntoIterator for &'a CountedVotes {
    type Item = &'a Review;
    type IntoIter = std::slice::Iter<'a, Review>;

    fn into_iter(self) -> Self::IntoIter {
        self.reviews.iter()
    }
}

impl FromIterator<Review> for CountedVotes {
    fn from_iter<I: IntoIterator<Item = Review>>(reviews: I) -> Self {
        let mut votes = Self::new();
        reviews.into_iter().for_each(|r| votes.count(r));
        votes
    }
}

impl From<Vec<Review>> for CountedVotes {
    fn from(reviews: Vec<Review>) -> Self {
        reviews.into_iter().collect()
    }
}

impl From<CountedVotes> for Vec<Review> {
    fn from(votes: CountedVotes) -> Self {
        votes.reviews
    }
}
