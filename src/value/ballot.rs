//! A vote as a policy reads it: borrowed from a counted [`Review`], or from the host's own data.

use std::collections::HashMap;

use super::identity::{self, Ident, SCAN_UP_TO};
use super::name::Name;
use super::review::{CountedVotes, Review, Vote};
use super::time::Timestamp;

/// One reviewer's vote as a [`Policy`](crate::Policy) reads it, through
/// [`ReviewContext::votes`](crate::ReviewContext::votes): who, with which roles, approve or reject,
/// when, and why. It borrows what it shows, from a counted [`Review`] or from the host's own
/// values, so a host can decide without copying its data (see
/// [`ReviewContext::borrowed`](crate::ReviewContext::borrowed)).
///
/// Ids and roles compare as identities, as a [`Review`]'s do: byte for byte or by confusable
/// skeleton (UTS #39).
///
/// ```
/// use modelgate::{Timestamp, Vote}; use modelgate::value::Ballot;
/// let roles = ["team_lead"];
/// let ballot = Ballot::new("bob", Vote::Approve, Timestamp::from_unix_secs(5)).with_roles(&roles);
/// assert!(ballot.has_role("team_lead"));
/// assert!(ballot.is_by("bob"));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Ballot<'a>(Source<'a>);

#[derive(Clone, Copy, Debug)]
enum Source<'a> {
    Review(&'a Review),
    Host {
        reviewer: &'a str,
        vote: Vote,
        at: Timestamp,
        roles: HostRoles<'a>,
        comment: &'a str,
    },
}

/// The host's roles of a ballot, as the host holds them.
#[derive(Clone, Copy, Debug)]
enum HostRoles<'a> {
    Strs(&'a [&'a str]),
    Strings(&'a [String]),
    One(&'a str),
}

impl<'a> HostRoles<'a> {
    fn len(self) -> usize {
        match self {
            Self::Strs(roles) => roles.len(),
            Self::Strings(roles) => roles.len(),
            Self::One(_) => 1,
        }
    }

    fn get(self, index: usize) -> Option<&'a str> {
        match self {
            Self::Strs(roles) => roles.get(index).copied(),
            Self::Strings(roles) => roles.get(index).map(String::as_str),
            Self::One(role) => (index == 0).then_some(role),
        }
    }
}

impl<'a> Ballot<'a> {
    /// `reviewer`'s `vote`, cast at `at`, with no roles and no comment.
    pub fn new(reviewer: &'a str, vote: Vote, at: Timestamp) -> Self {
        Self(Source::Host {
            reviewer,
            vote,
            at,
            roles: HostRoles::Strs(&[]),
            comment: "",
        })
    }

    /// The same ballot with the reviewer's roles, as the host authenticated them (see
    /// [`with_role`](Self::with_role) for one, [`with_owned_roles`](Self::with_owned_roles) for
    /// the host's `String`s). A ballot read from a [`Review`] keeps the review's.
    #[must_use]
    pub fn with_roles(self, roles: &'a [&'a str]) -> Self {
        self.set_roles(HostRoles::Strs(roles))
    }

    /// The same ballot with one role, as the host authenticated it.
    ///
    /// ```
    /// use modelgate::{Timestamp, Vote}; use modelgate::value::Ballot;
    /// struct Row { reviewer: String, role: String }
    /// let row = Row { reviewer: "bob".into(), role: "team_lead".into() };
    /// let ballot = Ballot::new(&row.reviewer, Vote::Approve, Timestamp::from_unix_secs(5)).with_role(&row.role);
    /// assert!(ballot.has_role("team_lead"));
    /// ```
    #[must_use]
    pub fn with_role(self, role: &'a str) -> Self {
        self.set_roles(HostRoles::One(role))
    }

    /// The same ballot with the reviewer's roles as the host keeps them, `String`s.
    #[must_use]
    pub fn with_owned_roles(self, roles: &'a [String]) -> Self {
        self.set_roles(HostRoles::Strings(roles))
    }

    fn set_roles(mut self, roles: HostRoles<'a>) -> Self {
        if let Source::Host { roles: r, .. } = &mut self.0 {
            *r = roles;
        }
        self
    }

    /// The same ballot with a comment. A ballot read from a [`Review`] keeps the review's.
    #[must_use]
    pub fn with_comment(mut self, comment: &'a str) -> Self {
        if let Source::Host { comment: c, .. } = &mut self.0 {
            *c = comment;
        }
        self
    }

    /// The reviewer's id.
    pub fn reviewer(&self) -> &'a str {
        match self.0 {
            Source::Review(r) => r.reviewer(),
            Source::Host { reviewer, .. } => reviewer,
        }
    }

    /// The reviewer's id, to keep (a copy of up to 22 bytes, or shared).
    pub(crate) fn name(&self) -> Name {
        match self.0 {
            Source::Review(r) => r.reviewer_name().clone(),
            Source::Host { reviewer, .. } => Name::new(reviewer),
        }
    }

    /// Whether the reviewer is `id`: the same identity, byte for byte or by confusable skeleton
    /// (UTS #39).
    pub fn is_by(&self, id: &str) -> bool {
        match self.0 {
            Source::Review(r) => r.is_by(id),
            Source::Host { reviewer, .. } => identity::same(reviewer, id),
        }
    }

    /// The reviewer's roles, in the order given.
    pub fn roles(&self) -> impl ExactSizeIterator<Item = &'a str> + Clone + use<'a> {
        let (review, host) = match self.0 {
            Source::Review(r) => (Some(r), HostRoles::Strs(&[])),
            Source::Host { roles, .. } => (None, roles),
        };
        let from_review = review.into_iter().flat_map(Review::roles);
        Roles {
            len: review.map_or(host.len(), |r| r.roles().len()),
            review: from_review,
            host,
            next: 0,
        }
    }

    /// Whether the reviewer has `role`: the same identity, byte for byte or by confusable
    /// skeleton (UTS #39).
    pub fn has_role(&self, role: &str) -> bool {
        match self.0 {
            Source::Review(r) => r.has_role(role),
            Source::Host { roles, .. } => (0..roles.len())
                .filter_map(|i| roles.get(i))
                .any(|r| identity::same(r, role)),
        }
    }

    /// Approve or reject.
    pub fn vote(&self) -> Vote {
        match self.0 {
            Source::Review(r) => r.vote(),
            Source::Host { vote, .. } => vote,
        }
    }

    /// When the vote was cast.
    pub fn at(&self) -> Timestamp {
        match self.0 {
            Source::Review(r) => r.at(),
            Source::Host { at, .. } => at,
        }
    }

    /// The comment; empty if none was given.
    pub fn comment(&self) -> &'a str {
        match self.0 {
            Source::Review(r) => r.comment(),
            Source::Host { comment, .. } => comment,
        }
    }

    /// The review this ballot reads, when it reads one (a decision from a model's counted
    /// votes), not the host's own data.
    pub fn review(&self) -> Option<&'a Review> {
        match self.0 {
            Source::Review(r) => Some(r),
            Source::Host { .. } => None,
        }
    }
}

impl<'a> From<&'a Review> for Ballot<'a> {
    fn from(review: &'a Review) -> Self {
        Self(Source::Review(review))
    }
}

/// A ballot's roles: a review's, or the host's.
#[derive(Clone)]
struct Roles<'a, R> {
    len: usize,
    review: R,
    host: HostRoles<'a>,
    next: usize,
}

impl<'a, R: Iterator<Item = &'a str>> Iterator for Roles<'a, R> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let next = self.review.next().or_else(|| {
            let role = self.host.get(self.next)?;
            self.next += 1;
            Some(role)
        });
        self.len = self.len.saturating_sub(usize::from(next.is_some()));
        next
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len, Some(self.len))
    }
}

impl<'a, R: Iterator<Item = &'a str>> ExactSizeIterator for Roles<'a, R> {}

/// The host's votes, every one it has (superseded ones too, in any order), for a decision from
/// its own data: [`ReviewContext::borrowed`](crate::ReviewContext::borrowed) counts the latest of
/// each reviewer, as [`CountedVotes`] does, without copying them.
///
/// Implemented for arrays, vectors and slices of [`Ballot`]s; a host implements it for its own
/// collection (a newtype over it: Rust lets a crate implement a trait of another only for its own
/// types) to hand its votes over as they lie:
///
/// ```
/// use modelgate::{Timestamp, Vote}; use modelgate::value::{Ballot, Ballots};
/// struct Row { reviewer: String, approves: bool, role: String, cast_at: u64 }
/// struct MyVotes<'a>(&'a [Row]);
/// impl Ballots for MyVotes<'_> {
///     fn len(&self) -> usize { self.0.len() }
///     fn get(&self, index: usize) -> Option<Ballot<'_>> {
///         let row = self.0.get(index)?;
///         let vote = if row.approves { Vote::Approve } else { Vote::Reject };
///         Some(Ballot::new(&row.reviewer, vote, Timestamp::from_unix_secs(row.cast_at)).with_role(&row.role))
///     }
/// }
/// let rows = vec![Row { reviewer: "bob".into(), approves: true, role: "team_lead".into(), cast_at: 1 }];
/// assert_eq!(MyVotes(&rows).get(0).map(|b| b.reviewer()), Some("bob"));
/// ```
pub trait Ballots {
    /// How many votes there are.
    fn len(&self) -> usize;

    /// The vote at `index` (counting from 0), or `None` from [`len`](Self::len) on. The same
    /// index must give the same vote each time it is asked.
    fn get(&self, index: usize) -> Option<Ballot<'_>>;

    /// Whether there are no votes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a> Ballots for [Ballot<'a>] {
    fn len(&self) -> usize {
        <[Ballot<'a>]>::len(self)
    }

    fn get(&self, index: usize) -> Option<Ballot<'_>> {
        <[Ballot<'a>]>::get(self, index).copied()
    }
}

impl<'a, const N: usize> Ballots for [Ballot<'a>; N] {
    fn len(&self) -> usize {
        N
    }

    fn get(&self, index: usize) -> Option<Ballot<'_>> {
        self.as_slice().get(index).copied()
    }
}

impl<'a> Ballots for Vec<Ballot<'a>> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }

    fn get(&self, index: usize) -> Option<Ballot<'_>> {
        self.as_slice().get(index).copied()
    }
}

impl<B: Ballots + ?Sized> Ballots for &B {
    fn len(&self) -> usize {
        (**self).len()
    }

    fn get(&self, index: usize) -> Option<Ballot<'_>> {
        (**self).get(index)
    }
}

/// Where a decision's votes come from: a model's counted votes, or the host's (with the places
/// of each reviewer's latest vote, found once, when there are few).
#[derive(Clone, Copy)]
pub(crate) enum VoteSource<'a> {
    Counted(&'a CountedVotes),
    Host {
        ballots: &'a dyn Ballots,
        /// How many votes the host's list held when they were checked: later ones, unchecked,
        /// are not read.
        len: usize,
        latest: Option<Places>,
    },
}

/// The places of each reviewer's latest vote among at most [`SCAN_UP_TO`] votes, in the order
/// reviewers first voted: found once per context, read by every rule that looks at the votes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Places {
    at: [u8; SCAN_UP_TO],
    len: u8,
}

impl Places {
    /// The places in the first `n` of `ballots` (at most [`SCAN_UP_TO`]): one pass, each vote
    /// compared with the reviewers seen so far (their first id and latest time kept aside, so
    /// no vote is asked for twice).
    fn scan(ballots: &dyn Ballots, n: usize) -> Option<Self> {
        if n > SCAN_UP_TO {
            return None;
        }
        let mut places = Self {
            at: [0; SCAN_UP_TO],
            len: 0,
        };
        let mut seen = [("", Timestamp::from_unix_millis(0)); SCAN_UP_TO];
        for i in 0..n {
            let (Some(b), Ok(place)) = (ballots.get(i), u8::try_from(i)) else {
                continue;
            };
            let known = usize::from(places.len);
            let found = seen
                .iter_mut()
                .zip(places.at.iter_mut())
                .take(known)
                .find(|((who, _), _)| b.is_by(who));
            match found {
                Some(((_, latest), at)) => {
                    if b.at() >= *latest {
                        *latest = b.at();
                        *at = place;
                    }
                }
                None => {
                    if let (Some(slot), Some(at)) = (seen.get_mut(known), places.at.get_mut(known))
                    {
                        *slot = (b.reviewer(), b.at());
                        *at = place;
                        places.len += 1;
                    }
                }
            }
        }
        Some(places)
    }

    fn as_slice(&self) -> &[u8] {
        self.at.get(..usize::from(self.len)).unwrap_or_default()
    }
}

impl std::fmt::Debug for VoteSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Counted(votes) => f.debug_tuple("Counted").field(votes).finish(),
            Self::Host { ballots, .. } => f.debug_tuple("Host").field(&ballots.len()).finish(),
        }
    }
}

impl<'a> VoteSource<'a> {
    /// The host's votes; the places of the latest ones found now if there are few.
    pub(crate) fn host(ballots: &'a dyn Ballots) -> Self {
        let len = ballots.len();
        Self::Host {
            ballots,
            len,
            latest: Places::scan(ballots, len),
        }
    }

    /// The latest vote of each reviewer, in the order reviewers first voted (see
    /// [`CountedVotes`]: latest by the votes' own times; of two at one time, the later one).
    pub(crate) fn latest(self) -> Latest<'a> {
        match self {
            Self::Counted(votes) => Latest::Counted(votes.iter()),
            Self::Host {
                ballots,
                latest: Some(places),
                ..
            } => Latest::Places {
                ballots,
                places,
                next: 0,
            },
            Self::Host { ballots, len, .. } => Latest::Indexed {
                ballots,
                order: latest_by_index(ballots, len).into_iter(),
            },
        }
    }
}

/// The places of each reviewer's latest vote, in the order reviewers first voted, found with
/// one lookup per vote.
fn latest_by_index(ballots: &dyn Ballots, len: usize) -> Vec<usize> {
    let mut place: HashMap<Ident, usize> = HashMap::new();
    let mut order: Vec<(usize, Timestamp)> = Vec::new();
    for i in 0..len {
        let Some(b) = ballots.get(i) else { continue };
        match place.get(&Ident(b.name())) {
            Some(&p) => {
                if let Some(slot) = order.get_mut(p)
                    && b.at() >= slot.1
                {
                    *slot = (i, b.at());
                }
            }
            None => {
                place.insert(Ident(b.name()), order.len());
                order.push((i, b.at()));
            }
        }
    }
    order.into_iter().map(|(i, _)| i).collect()
}

/// The latest vote of each reviewer (see [`VoteSource::latest`]).
#[derive(Clone)]
pub(crate) enum Latest<'a> {
    Counted(std::slice::Iter<'a, Review>),
    /// A few votes, their places found once.
    Places {
        ballots: &'a dyn Ballots,
        places: Places,
        next: usize,
    },
    Indexed {
        ballots: &'a dyn Ballots,
        order: std::vec::IntoIter<usize>,
    },
}

impl<'a> Iterator for Latest<'a> {
    type Item = Ballot<'a>;

    fn next(&mut self) -> Option<Ballot<'a>> {
        match self {
            Self::Counted(reviews) => reviews.next().map(Ballot::from),
            Self::Indexed { ballots, order } => {
                let ballots: &'a dyn Ballots = *ballots;
                order.find_map(|i| ballots.get(i))
            }
            Self::Places {
                ballots,
                places,
                next,
            } => {
                let ballots: &'a dyn Ballots = *ballots;
                while let Some(&place) = places.as_slice().get(*next) {
                    *next += 1;
                    if let Some(b) = ballots.get(usize::from(place)) {
                        return Some(b);
                    }
                }
                None
            }
        }
    }
}
