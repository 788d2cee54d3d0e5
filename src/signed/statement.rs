//! What a reviewer signs: [`VoteStatement`], the canonical bytes of one vote.

use crate::value::canonical::{label, text, u8, u32, u64};
use crate::value::hash::Head;
use crate::value::{Review, Timestamp, Vote};

/// The version of the vote statement's grammar.
pub const FORMAT_VERSION: u32 = 1;

/// One vote as its reviewer signs it: the model (name, version, environment), the round of
/// review it is for (the head of the event that began it: the submission, or a reopening), the
/// reviewer's id, approve or reject, the artifact's digest, the reviewer's own time and comment.
/// A signature over it does not carry over to another model, environment, round, artifact or
/// vote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoteStatement {
    name: String,
    version: String,
    environment: String,
    round: Head,
    reviewer: String,
    vote: Vote,
    digest: String,
    at: Timestamp,
    comment: String,
}

impl VoteStatement {
    /// The statement of `review` on the model `name` at `version` in `environment`, in the
    /// round of review that began at the trail head `round`.
    pub fn new(name: &str, version: &str, environment: &str, round: Head, review: &Review) -> Self {
        Self {
            name: name.to_owned(),
            version: version.to_owned(),
            environment: environment.to_owned(),
            round,
            reviewer: review.reviewer().to_owned(),
            vote: review.vote(),
            digest: review.digest().to_owned(),
            at: review.at(),
            comment: review.comment().to_owned(),
        }
    }

    /// The bytes a reviewer signs (the grammar is in [`crate::signed`]): what
    /// `ssh-keygen -Y sign` is given as the file to sign.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        label(&mut out, "modelgate.vote");
        u32(&mut out, FORMAT_VERSION);
        text(&mut out, &self.name);
        text(&mut out, &self.version);
        text(&mut out, &self.environment);
        out.extend_from_slice(self.round.as_bytes());
        text(&mut out, &self.reviewer);
        u8(
            &mut out,
            match self.vote {
                Vote::Approve => 0,
                Vote::Reject => 1,
            },
        );
        text(&mut out, &self.digest);
        u64(&mut out, self.at.as_unix_millis());
        text(&mut out, &self.comment);
        out
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The model's version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The model's environment.
    pub fn environment(&self) -> &str {
        &self.environment
    }

    /// The head of the event that began the round of review the vote is for.
    pub fn round(&self) -> Head {
        self.round
    }

    /// The reviewer's id.
    pub fn reviewer(&self) -> &str {
        &self.reviewer
    }

    /// Approve or reject.
    pub fn vote(&self) -> Vote {
        self.vote
    }

    /// The digest of the artifact voted on.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// When the reviewer cast the vote, by their own clock.
    pub fn at(&self) -> Timestamp {
        self.at
    }

    /// The reviewer's comment.
    pub fn comment(&self) -> &str {
        &self.comment
    }
}
