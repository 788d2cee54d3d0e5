//! One reviewer's vote on one artifact.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::identity::{self, Ident};
use super::name::Name;
use super::signature::VoteSignature;
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
    // Inline or shared, so that building a review and the copies a vote leaves (its event, its
    // counted place) rarely allocate.
    reviewer: Name,
    #[serde(default, skip_serializing_if = "Roles::is_empty")]
    roles: Roles,
    vote: Vote,
    digest: Name,
    at: Timestamp,
    #[serde(default, skip_serializing_if = "str::is_empty")]
    comment: Box<str>,
    // Boxed: most votes are not signed, and a smaller review moves faster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signature: Option<Box<VoteSignature>>,
}

impl Review {
    /// A vote by `reviewer` on the artifact `digest` at time `at`.
    pub fn new(
        reviewer: impl AsRef<str>,
        vote: Vote,
        digest: impl AsRef<str>,
        at: Timestamp,
    ) -> Self {
        Self {
            reviewer: Name::new(reviewer.as_ref()),
            roles: Roles::default(),
            vote,
            digest: Name::new(digest.as_ref()),
            at,
            comment: Box::default(),
            signature: None,
        }
    }

    /// An approving vote.
    pub fn approve(reviewer: impl AsRef<str>, digest: impl AsRef<str>, at: Timestamp) -> Self {
        Self::new(reviewer, Vote::Approve, digest, at)
    }

    /// A rejecting vote.
    pub fn reject(reviewer: impl AsRef<str>, digest: impl AsRef<str>, at: Timestamp) -> Self {
        Self::new(reviewer, Vote::Reject, digest, at)
    }

    /// The same review with one more role, as the host authenticated it.
    #[must_use]
    #[inline]
    pub fn with_role(mut self, role: impl AsRef<str>) -> Self {
        self.roles.push(Name::new(role.as_ref()));
        self
    }

    /// The same review with a comment.
    #[must_use]
    pub fn with_comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = comment.into().into_boxed_str();
        self
    }

    /// The same review signed by its reviewer: `signature` over its statement (see
    /// [`VoteSignature`]). The vote's event records it; whether it counts is for a policy that
    /// counts signed votes to say (`signed::Signed`, feature `signed-votes`).
    #[must_use]
    pub fn with_signature(mut self, signature: VoteSignature) -> Self {
        self.signature = Some(Box::new(signature));
        self
    }

    /// The reviewer's id.
    pub fn reviewer(&self) -> &str {
        self.reviewer.as_str()
    }

    /// The reviewer's id, to keep a copy without allocating.
    pub(crate) fn reviewer_name(&self) -> &Name {
        &self.reviewer
    }

    /// Whether the reviewer is `id`: the same identity, byte for byte or by confusable skeleton
    /// (UTS #39), so `alıce` (a dotless `ı`) is `alice`.
    pub fn is_by(&self, id: &str) -> bool {
        identity::same_name(&self.reviewer, id)
    }

    /// The reviewer's roles, in the order given.
    pub fn roles(&self) -> impl ExactSizeIterator<Item = &str> + Clone {
        self.roles.iter().map(Name::as_str)
    }

    /// Whether the reviewer has `role`: a role that is the same identity, byte for byte or by
    /// confusable skeleton (UTS #39).
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| identity::same_name(r, role))
    }

    /// Approve or reject.
    pub fn vote(&self) -> Vote {
        self.vote
    }

    /// The artifact digest the vote refers to.
    pub fn digest(&self) -> &str {
        self.digest.as_str()
    }

    /// When the vote was cast.
    pub fn at(&self) -> Timestamp {
        self.at
    }

    /// The comment; empty if none was given.
    pub fn comment(&self) -> &str {
        &self.comment
    }

    /// The reviewer's signature over the vote, if it is signed.
    pub fn signature(&self) -> Option<&VoteSignature> {
        self.signature.as_deref()
    }
}

/// A reviewer's roles: the first kept inline, so that a review with one role does not allocate
/// for it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<Name>", into = "Vec<Name>")]
struct Roles {
    first: Option<Name>,
    // Boxed rather than a `Vec`: a second role is rare, and a smaller review moves faster.
    rest: Box<[Name]>,
}

impl Roles {
    #[inline]
    fn push(&mut self, role: Name) {
        if self.first.is_none() {
            self.first = Some(role);
        } else {
            let mut rest = std::mem::take(&mut self.rest).into_vec();
            rest.push(role);
            self.rest = rest.into_boxed_slice();
        }
    }

    fn iter(&self) -> impl ExactSizeIterator<Item = &Name> + Clone {
        RolesIter {
            first: self.first.as_ref(),
            rest: self.rest.iter(),
        }
    }

    fn is_empty(&self) -> bool {
        self.first.is_none()
    }
}

/// The roles in order: the first, then the rest.
#[derive(Clone)]
struct RolesIter<'a> {
    first: Option<&'a Name>,
    rest: std::slice::Iter<'a, Name>,
}

impl<'a> Iterator for RolesIter<'a> {
    type Item = &'a Name;

    fn next(&mut self) -> Option<&'a Name> {
        self.first.take().or_else(|| self.rest.next())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::from(self.first.is_some()) + self.rest.len();
        (n, Some(n))
    }
}

impl ExactSizeIterator for RolesIter<'_> {}

impl From<Vec<Name>> for Roles {
    fn from(mut roles: Vec<Name>) -> Self {
        if roles.is_empty() {
            return Roles::default();
        }
        let first = roles.remove(0);
        Roles {
            first: Some(first),
            rest: roles.into_boxed_slice(),
        }
    }
}

impl From<Roles> for Vec<Name> {
    fn from(roles: Roles) -> Self {
        roles.iter().cloned().collect()
    }
}

/// The counted votes: at most one per reviewer, the latest (by the votes' own times; of two at
/// one time, the one counted last), in the order reviewers first voted.
///
/// A reviewer is an identity: two ids with the same confusable skeleton (UTS #39, e.g. `alice`
/// and `alıce`) are one reviewer, whose latest vote, in either spelling, replaces the earlier.
///
/// [`Model::record`](crate::Model::record) keeps one of these; build one directly to test a
/// policy. Every vote, superseded or not, stays in the model's audit trail. Counting a vote takes
/// constant time (reviewers are indexed), so counting `n` votes is linear in `n`.
///
/// ```
/// use modelgate::{Review, Timestamp, Vote}; use modelgate::value::CountedVotes;
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
    /// Reviewer (by identity) → place, once there are more than [`SCAN_UP_TO`] reviewers (below
    /// that a scan is faster than hashing).
    index: Option<HashMap<Ident, usize>>,
}

/// How many reviewers are looked up by scanning before an index is built.
const SCAN_UP_TO: usize = 16;

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

    fn position_of(&self, reviewer: &Name) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(&Ident(reviewer.clone())).copied(),
            None => self
                .reviews
                .iter()
                .position(|r| identity::same_names(&r.reviewer, reviewer)),
        }
    }

    /// Counts `review` as its reviewer's vote, replacing their earlier one: earlier by the
    /// votes' own times, so a vote that arrives after a later one of the same reviewer (cast
    /// later by their clock) does not replace it. Of two at the same time, the one counted last.
    #[inline]
    pub fn count(&mut self, review: Review) {
        if let Some(i) = self.position_of(&review.reviewer) {
            if let Some(slot) = self.reviews.get_mut(i)
                && review.at >= slot.at
            {
                *slot = review;
            }
            return;
        }
        let place = self.reviews.len();
        match &mut self.index {
            Some(index) => {
                index.insert(Ident(review.reviewer.clone()), place);
            }
            None if place >= SCAN_UP_TO => {
                let mut index: HashMap<Ident, usize> = self
                    .reviews
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (Ident(r.reviewer.clone()), i))
                    .collect();
                index.insert(Ident(review.reviewer.clone()), place);
                self.index = Some(index);
            }
            None => {}
        }
        self.reviews.push(review);
    }

    /// The latest vote of `reviewer` (in any spelling with the same confusable skeleton), if they
    /// voted.
    pub fn of(&self, reviewer: &str) -> Option<&Review> {
        self.position_of(&Name::new(reviewer))
            .and_then(|i| self.reviews.get(i))
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
        let reviews = reviews.into_iter();
        // One allocation for the usual case (every review by another reviewer).
        let mut votes = Self {
            reviews: Vec::with_capacity(reviews.size_hint().0),
            index: None,
        };
        reviews.for_each(|r| votes.count(r));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Counting agrees with the naive rule (the latest of each reviewer, in the order they first
    /// voted) below and above the size where the index takes over from the scan.
    #[test]
    fn counting_agrees_with_the_naive_rule_on_both_sides_of_the_index() {
        let t = Timestamp::from_unix_secs;
        let mut votes = CountedVotes::new();
        let mut naive: Vec<Review> = Vec::new();
        for i in 0..200u64 {
            let who = format!("r{}", (i * 7) % 41);
            let vote = if i % 3 == 0 {
                Vote::Reject
            } else {
                Vote::Approve
            };
            let review = Review::new(&who, vote, "sha256:1", t(i));
            match naive.iter_mut().find(|r| r.reviewer() == who) {
                Some(slot) => *slot = review.clone(),
                None => naive.push(review.clone()),
            }
            votes.count(review);
            assert_eq!(votes.iter().cloned().collect::<Vec<_>>(), naive);
            assert_eq!(votes.of(&who).map(Review::at), Some(t(i)));
        }
        assert_eq!(votes.len(), 41);
        assert!(votes.of("nobody").is_none());
    }
}
