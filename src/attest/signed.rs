//! The signed approvals an attestation carries, checked against a roster (features `attest`
//! and `signed-votes`): a gate that does not trust the attestation's signer for who approved.

use std::collections::HashSet;

use super::verify::VerifiedApproval;
use crate::signed::{ReviewerKey, VerifiedRoster, VoteStatement};
use crate::value::identity::Ident;
use crate::value::text::esc;
use crate::value::{Review, Timestamp};

/// The approvals of a [`VerifiedApproval`] that a roster's keys signed, with the roster's roles
/// ([`VerifiedApproval::signed_approvals`]), and why each other one does not count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedApprovals {
    approvers: Vec<SignedApprover>,
    refused: Vec<(String, String)>,
}

/// One approval a roster key signed: who (by the roster), with which key and roles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedApprover {
    reviewer: String,
    key: ReviewerKey,
    roles: Vec<String>,
}

impl SignedApprover {
    /// The reviewer's id, as the roster has it.
    pub fn reviewer(&self) -> &str {
        &self.reviewer
    }

    /// The key that signed.
    pub fn key(&self) -> ReviewerKey {
        self.key
    }

    /// The reviewer's roles, from the roster.
    pub fn roles(&self) -> &[String] {
        &self.roles
    }
}

/// Too few signed approvals, or none with a role required.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignedApprovalError {
    /// Fewer distinct people approved with a roster key than the threshold.
    #[error("{have} distinct reviewer(s) signed an approval with a roster key; at least {need} must{}", reasons(.refused))]
    TooFew {
        /// How many did.
        have: usize,
        /// The threshold.
        need: usize,
        /// Each approval that did not count, and why.
        refused: Vec<(String, String)>,
    },
    /// No signed approval holds a role required.
    #[error("no signed approval holds the role `{}` in the roster{}", esc(.role), reasons(.refused))]
    MissingRole {
        /// The role.
        role: String,
        /// Each approval that did not count, and why.
        refused: Vec<(String, String)>,
    },
}

fn reasons(refused: &[(String, String)]) -> String {
    refused.iter().map(|(_, why)| format!("; {why}")).collect()
}

impl SignedApprovals {
    /// The approvals a roster key signed, one per key, in the attestation's order.
    pub fn approvers(&self) -> &[SignedApprover] {
        &self.approvers
    }

    /// Each approval that does not count: the reviewer the attestation names, and why.
    pub fn refused(&self) -> &[(String, String)] {
        &self.refused
    }

    /// Checks that at least `threshold` distinct people approved with roster keys, and that for each of
    /// `roles` one of them holds it in the roster.
    ///
    /// # Errors
    ///
    /// [`SignedApprovalError::TooFew`] or [`SignedApprovalError::MissingRole`], with each
    /// approval that did not count and why.
    pub fn require(&self, threshold: usize, roles: &[&str]) -> Result<(), SignedApprovalError> {
        if self.approvers.len() < threshold {
            return Err(SignedApprovalError::TooFew {
                have: self.approvers.len(),
                need: threshold,
                refused: self.refused.clone(),
            });
        }
        for role in roles {
            let held = self.approvers.iter().any(|a| {
                a.roles
                    .iter()
                    .any(|r| crate::value::identity::same(r, role))
            });
            if !held {
                return Err(SignedApprovalError::MissingRole {
                    role: (*role).to_owned(),
                    refused: self.refused.clone(),
                });
            }
        }
        Ok(())
    }
}

impl VerifiedApproval {
    /// The approvals this attestation carries that `roster`'s keys signed (feature
    /// `signed-votes`): each must be signed, over its vote's statement for this model, version,
    /// environment, artifact digest and round of review, by a key of a roster member with the
    /// approval's reviewer id that is valid at the approval's time and at the decision. What
    /// counts is read from the signatures and the roster alone: the roles the attestation
    /// names, and its signer's word, are not. Each person (and each key) counts once, and the
    /// submitter's own approval not at all.
    ///
    /// What the signatures prove: these people approved this artifact of this model and version
    /// for this environment, in the round the attestation names. The round, the decision's time
    /// and so the keys' validity are the attestation signer's word: a compromised signer can
    /// attest an earlier round's signed approvals after a reviewer changed their vote, or a
    /// vote signed with a key that has since left the roster, dated before it left. Give a
    /// leaked key an `until` from before its first misuse, not from the day it is found.
    pub fn signed_approvals(&self, roster: VerifiedRoster<'_>) -> SignedApprovals {
        let mut out = SignedApprovals {
            approvers: Vec::new(),
            refused: Vec::new(),
        };
        let decided_at: Timestamp = self.decided_at();
        let digest = self.digest().to_string();
        // Who counted so far, by key and by identity: one lookup each per approval.
        let mut keys = HashSet::new();
        let mut people = HashSet::new();
        for approval in self.approvals() {
            let reviewer = approval.reviewer();
            let why = |why: String| (reviewer.to_owned(), why);
            // As every policy counts votes: the submitter does not approve their own model.
            if crate::value::identity::same(reviewer, self.submitter()) {
                out.refused.push(why(format!(
                    "`{}` submitted the model: their own approval does not count",
                    esc(reviewer)
                )));
                continue;
            }
            let (Some(signature), Some(round)) = (approval.signature(), self.round()) else {
                out.refused.push(why(format!(
                    "the approval of `{}` is not signed",
                    esc(reviewer)
                )));
                continue;
            };
            let review =
                Review::approve(reviewer, &digest, approval.at()).with_comment(approval.comment());
            let statement = VoteStatement::new(
                self.name(),
                self.version(),
                self.environment(),
                round,
                &review,
            );
            match roster.signer(&statement, signature, decided_at) {
                // One person counts once, whatever keys the roster gives them (two valid at
                // once while a key rotates): a two-person rule needs two people.
                Ok(member)
                    if keys.contains(&member.key()) || people.contains(&Ident::of(member.id())) =>
                {
                    out.refused.push(why(format!(
                        "`{}` already counted: one person counts once, whatever key signed",
                        esc(reviewer)
                    )));
                }
                Ok(member) => {
                    keys.insert(member.key());
                    people.insert(Ident::of(member.id()));
                    out.approvers.push(SignedApprover {
                        reviewer: member.id().to_owned(),
                        key: member.key(),
                        roles: member.roles().map(str::to_owned).collect(),
                    });
                }
                Err(finding) => out.refused.push(why(finding.to_string())),
            }
        }
        out
    }
}
