//! Quorum: N distinct eligible approvers, the submitter excluded.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{Finding, Policy, ReviewContext, Value, Verdict, VerdictKind};
use crate::review::{Review, Vote};

/// Approves when at least `required` distinct eligible reviewers approve; pending otherwise.
///
/// A reviewer is eligible when their id is among the eligible ids or they hold one of the
/// eligible roles; with neither list given, every reviewer is eligible. The submitter's own vote
/// never counts, and the finding says so.
///
/// ```
/// use modelgate::{Policy, Quorum};
/// let q = Quorum::new(2).eligible_ids(["carol"]).eligible_roles(["team_lead"]);
/// assert_eq!(q.name(), "2 approvals from carol or role team_lead");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quorum {
    required: usize,
    ids: Vec<String>,
    roles: Vec<String>,
}

impl Quorum {
    /// A quorum of `required` approvals from any reviewers but the submitter.
    pub fn new(required: usize) -> Self {
        Self {
            required,
            ids: Vec::new(),
            roles: Vec::new(),
        }
    }

    /// The same quorum, with these reviewer ids eligible.
    #[must_use]
    pub fn eligible_ids<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.ids.extend(ids.into_iter().map(Into::into));
        self
    }

    /// The same quorum, with reviewers holding any of these roles eligible.
    #[must_use]
    pub fn eligible_roles<S: Into<String>>(mut self, roles: impl IntoIterator<Item = S>) -> Self {
        self.roles.extend(roles.into_iter().map(Into::into));
        self
    }

    /// How many approvals are required.
    pub fn required(&self) -> usize {
        self.required
    }

    fn is_eligible(&self, review: &Review) -> bool {
        (self.ids.is_empty() && self.roles.is_empty())
            || self.ids.iter().any(|id| id == review.reviewer())
            || self.roles.iter().any(|role| review.has_role(role))
    }
}

impl Policy for Quorum {
    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        let mut counted = BTreeSet::new();
        let mut submitter_approved = false;
        let mut ineligible = BTreeSet::new();
        for review in ctx.votes().iter().filter(|r| r.vote() == Vote::Approve) {
            if review.reviewer() == ctx.submitter() {
                submitter_approved = true;
            } else if self.is_eligible(review) {
                counted.insert(review.reviewer());
            } else {
                ineligible.insert(review.reviewer());
            }
        }
        let kind = if counted.len() >= self.required {
            VerdictKind::Approve
        } else {
            VerdictKind::Pending
        };
        let mut message = format!("{} of {} approvals", counted.len(), self.required);
        if !counted.is_empty() {
            let ids: Vec<&str> = counted.iter().copied().collect();
            let _ = write!(message, " from {}", ids.join(", "));
        }
        let mut notes = Vec::new();
        if submitter_approved {
            notes.push(format!(
                "{} is the submitter and does not count",
                ctx.submitter()
            ));
        }
        for id in &ineligible {
            notes.push(format!("{id} is not an eligible approver"));
        }
        if !notes.is_empty() {
            let _ = write!(message, " ({})", notes.join("; "));
        }
        let count = |n: usize| Value::Count(u64::try_from(n).unwrap_or(u64::MAX));
        let finding = Finding::new(kind, "quorum", "approvals", message)
            .with_observed(count(counted.len()))
            .with_required(count(self.required));
        Verdict::new(kind, vec![finding])
    }

    fn name(&self) -> String {
        let plural = if self.required == 1 { "" } else { "s" };
        let mut name = format!("{} approval{plural}", self.required);
        let from: Vec<String> = self
            .ids
            .iter()
            .cloned()
            .chain(self.roles.iter().map(|r| format!("role {r}")))
            .collect();
        if !from.is_empty() {
            let _ = write!(name, " from {}", from.join(" or "));
        }
        name
    }
}
