//! Separation of duties: [`DistinctRoles`], approvals from reviewers of different roles, one
//! person for one role; [`Excluding`], a rule that does not count a team's votes.

use std::collections::HashMap;

use super::context::Excluded;
use super::message::Message;
use super::token::token;
use super::{Finding, FindingValue, Lint, Policy, ReviewContext, Rule, Verdict, VerdictKind};
use crate::value::identity::{self, Ident};
use crate::value::name::Name;
use crate::value::text::{self, esc};
use crate::value::{Ballot, Vote};

/// Approves when counted approvals cover `required` different roles (of `roles`, or of any
/// roles if none are named), each role by a **different** approver: one person holding two of
/// the roles stands for one of them, so "a model validator and a risk officer" takes two
/// people. The submitter's vote never counts; roles match by identity (one confusable skeleton,
/// case folded). Pending otherwise.
///
/// Which approver stands for which role is a matching (an approver with several roles stands
/// for the one that lets the most roles be covered), found in time linear in the approvals and
/// their roles for each role required.
///
/// ```
/// use modelgate::{DistinctRoles, Policy};
/// let duties = DistinctRoles::new(2, ["model_validator", "risk_officer"]);
/// assert_eq!(duties.name(), "approvals from 2 different roles of model_validator or risk_officer");
/// assert_eq!(DistinctRoles::new(2, Vec::<String>::new()).name(), "approvals from 2 different roles");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistinctRoles {
    required: usize,
    roles: Vec<String>,
}

impl DistinctRoles {
    /// Approvals from `required` different roles among `roles` (any roles if it is empty), each
    /// by another approver.
    pub fn new<S: Into<String>>(required: usize, roles: impl IntoIterator<Item = S>) -> Self {
        Self {
            required,
            roles: roles.into_iter().map(Into::into).collect(),
        }
    }

    /// How many different roles are required.
    pub fn required(&self) -> usize {
        self.required
    }

    /// The roles that count, as given (none: any role counts).
    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    /// The roles covered, each with the approver who stands for it, at most `required` of them.
    fn covered<'a>(&self, ctx: &ReviewContext<'a>) -> Vec<(Name, Ballot<'a>)> {
        let submitter = ctx.submitter();
        let approvers: Vec<Ballot<'a>> = ctx
            .votes()
            .filter(|r| r.vote() == Vote::Approve && !r.is_by(submitter))
            .collect();
        // The roles that count, one per identity, in order; any role held if none are named.
        let mut index: HashMap<Ident, usize> = HashMap::new();
        let mut roles: Vec<Name> = Vec::new();
        for role in &self.roles {
            if text::check("role", role).is_ok() {
                index.entry(Ident::of(role)).or_insert_with(|| {
                    roles.push(Name::new(role));
                    roles.len() - 1
                });
            }
        }
        let open = self.roles.is_empty();
        // Who holds each role: approvers by index, each once per role.
        let mut holders: Vec<Vec<usize>> = vec![Vec::new(); roles.len()];
        for (a, review) in approvers.iter().enumerate() {
            for name in review.roles() {
                // A short list of named roles is scanned (faster than hashing a skeleton).
                let r = if !open && roles.len() <= SCAN_UP_TO {
                    match roles.iter().position(|r| identity::same_name(r, name)) {
                        Some(r) => r,
                        None => continue,
                    }
                } else {
                    let key = Ident::of(name);
                    match index.get(&key) {
                        Some(r) => *r,
                        None if open => {
                            roles.push(key.0.clone());
                            holders.push(Vec::new());
                            index.insert(key, roles.len() - 1);
                            roles.len() - 1
                        }
                        None => continue,
                    }
                };
                if let Some(list) = holders.get_mut(r)
                    && list.last() != Some(&a)
                {
                    list.push(a);
                }
            }
        }
        let matched = matching(&holders, approvers.len(), self.required);
        matched
            .into_iter()
            .filter_map(|(r, a)| Some((roles.get(r)?.clone(), *approvers.get(a)?)))
            .collect()
    }
}

/// A matching of roles to distinct approvers, as large as possible up to `enough` pairs, as
/// `(role, approver)` in the order of roles. Kuhn's augmenting paths, searched breadth first;
/// the approvers a failed search visited stay visited until a path is found (they cannot lead to
/// one before the matching changes), so each pair found costs at most one pass over the holders;
/// after a path is found only the approvers visited since are unmarked (unmarking all of them
/// made a matching of many roles, each found at once, quadratic).
fn matching(holders: &[Vec<usize>], approvers: usize, enough: usize) -> Vec<(usize, usize)> {
    let mut role_of: Vec<Option<usize>> = vec![None; approvers];
    let mut approver_of: Vec<Option<usize>> = vec![None; holders.len()];
    let mut found = 0;
    let mut visited = vec![false; approvers];
    // The approvers marked visited since the last path was found.
    let mut touched: Vec<usize> = Vec::new();
    // For each approver reached, the role it was reached from.
    let mut via: Vec<usize> = vec![0; approvers];
    let mut queue = std::collections::VecDeque::new();
    for start in 0..holders.len() {
        if found >= enough {
            break;
        }
        queue.clear();
        queue.push_back(start);
        let mut free = None;
        'search: while let Some(r) = queue.pop_front() {
            for &a in holders.get(r).map_or(&[][..], Vec::as_slice) {
                match visited.get_mut(a) {
                    Some(seen) if !*seen => *seen = true,
                    _ => continue,
                }
                touched.push(a);
                if let Some(v) = via.get_mut(a) {
                    *v = r;
                }
                match role_of.get(a).copied().flatten() {
                    None => {
                        free = Some(a);
                        break 'search;
                    }
                    Some(next) => queue.push_back(next),
                }
            }
        }
        let Some(mut a) = free else { continue };
        // Flip the path back to `start`: each approver on it takes the role it was reached
        // from, whose former approver moves back a step; `start` had none.
        while let Some(&r) = via.get(a) {
            let before = approver_of.get(r).copied().flatten();
            if let (Some(slot), Some(back)) = (approver_of.get_mut(r), role_of.get_mut(a)) {
                *slot = Some(a);
                *back = Some(r);
            }
            match before {
                Some(b) => a = b,
                None => break,
            }
        }
        found += 1;
        for a in touched.drain(..) {
            if let Some(seen) = visited.get_mut(a) {
                *seen = false;
            }
        }
    }
    approver_of
        .iter()
        .enumerate()
        .filter_map(|(r, a)| a.map(|a| (r, a)))
        .collect()
}

/// Up to how many named roles a reviewer's role is looked up by scanning.
const SCAN_UP_TO: usize = 16;

fn count(n: usize) -> FindingValue {
    FindingValue::Count(u64::try_from(n).unwrap_or(u64::MAX))
}

impl Policy for DistinctRoles {
    fn rule(&self) -> Option<Rule> {
        Some(Rule::from(self.clone()))
    }

    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        let covered = self.covered(ctx);
        let kind = self.judge_covered(covered.len());
        let message = Message::Duties {
            required: self.required,
            covered: covered
                .iter()
                .map(|(role, r)| (role.clone(), r.name()))
                .collect(),
        };
        let finding = Finding::built(kind, "distinct_roles", Name::new("roles"), message)
            .with_observed(count(covered.len()))
            .with_required(count(self.required));
        Verdict::new(kind, vec![finding])
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        self.judge_covered(self.covered(ctx).len())
    }

    fn name(&self) -> String {
        let roles: Vec<String> = self.roles.iter().map(|r| token(r).into_owned()).collect();
        if roles.is_empty() {
            format!("approvals from {} different roles", self.required)
        } else {
            format!(
                "approvals from {} different roles of {}",
                self.required,
                roles.join(" or ")
            )
        }
    }

    fn lint(&self, lints: &mut Vec<Lint>) {
        if self.required == 0 {
            lints.push(Lint::new(
                self.name(),
                "approves without any approval: 0 different roles are always met",
            ));
        }
        for role in &self.roles {
            if let Err(e) = text::check("role", role) {
                let message = format!("no reviewer can hold the role `{}`: {e}", esc(role));
                lints.push(Lint::new(self.name(), message));
            }
        }
        let valid: Vec<&str> = self
            .roles
            .iter()
            .map(String::as_str)
            .filter(|r| text::check("role", r).is_ok())
            .collect();
        if let Some((i, j)) = identity::first_twins(&valid)
            && let (Some(a), Some(b)) = (valid.get(i), valid.get(j))
        {
            let message = format!(
                "`{}` and `{}` are one role (one confusable skeleton, case folded)",
                esc(a),
                esc(b)
            );
            lints.push(Lint::new(self.name(), message));
        }
        let distinct = {
            let mut seen = std::collections::HashSet::new();
            valid.iter().filter(|r| seen.insert(Ident::of(r))).count()
        };
        if !self.roles.is_empty() && self.required > distinct {
            let message = format!(
                "needs {} different roles and names only {distinct}",
                self.required
            );
            lints.push(Lint::new(self.name(), message));
        }
    }
}

impl DistinctRoles {
    fn judge_covered(&self, covered: usize) -> VerdictKind {
        if covered >= self.required {
            VerdictKind::Approve
        } else {
            VerdictKind::Pending
        }
    }
}

/// `inner`, not counting the approvals of reviewers who hold any of `roles`: separation of
/// duties for a team's own models ("two approvals, not from the fraud team that trained it"),
/// whatever rule counts them (a quorum, a required role, different roles), however many other
/// roles the reviewer holds. Their rejections still count: a team may veto its own model, not
/// approve it. Exclusions nest: an inner `Excluding` adds to an outer one.
///
/// ```
/// use modelgate::{Excluding, Policy, Quorum};
/// let independent = Excluding::roles(["fraud_ml"], Quorum::new(2));
/// assert_eq!(independent.name(), "2 approvals, not counting approvals from role fraud_ml");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Excluding<P> {
    roles: Vec<String>,
    inner: P,
}

impl<P: Policy> Excluding<P> {
    /// `inner`, with the approvals of holders of `roles` not counted. With no role it excludes
    /// nobody: [`PolicyExt::lints`](super::PolicyExt::lints) says so, and a spec cannot write
    /// it (its `excluding` requires its roles).
    pub fn roles<S: Into<String>>(roles: impl IntoIterator<Item = S>, inner: P) -> Self {
        Self {
            roles: roles.into_iter().map(Into::into).collect(),
            inner,
        }
    }

    /// The excluded roles, as given.
    pub fn excluded(&self) -> &[String] {
        &self.roles
    }

    /// The policy that counts the other votes.
    pub fn inner(&self) -> &P {
        &self.inner
    }
}

impl<P: Policy> Policy for Excluding<P> {
    fn rule(&self) -> Option<Rule> {
        let inner = self.inner.rule()?;
        Some(Rule::from(Excluding::roles(self.roles.clone(), inner)))
    }

    fn structure(&self, out: &mut super::Structure<'_>) {
        super::fingerprint::excluding(out, &self.roles, &self.inner);
    }

    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        let excluded = Excluded::new(&self.roles, ctx.excluded());
        self.inner.evaluate(&ctx.excluding(&excluded))
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        let excluded = Excluded::new(&self.roles, ctx.excluded());
        self.inner.judge(&ctx.excluding(&excluded))
    }

    fn name(&self) -> String {
        let roles: Vec<String> = self
            .roles
            .iter()
            .map(|r| format!("role {}", token(r)))
            .collect();
        format!(
            "{}, not counting approvals from {}",
            self.inner.name(),
            roles.join(" or ")
        )
    }

    fn lint(&self, lints: &mut Vec<Lint>) {
        if self.roles.is_empty() {
            lints.push(Lint::new(
                self.name(),
                "excludes no role: it counts every approval",
            ));
        }
        for role in &self.roles {
            if let Err(e) = text::check("role", role) {
                let message = format!("no reviewer can hold the role `{}`: {e}", esc(role));
                lints.push(Lint::new(self.name(), message));
            }
        }
        self.inner.lint(lints);
    }
}
