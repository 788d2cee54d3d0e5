//! Approver rules: quorum, required role, veto, and the vote window that makes votes go stale.
//!
//! In every one of them the submitter's own vote never counts, and a finding says so. Ids and
//! roles meet as identities: equal bytes or equal confusable skeletons (UTS #39), so the
//! submitter's vote under a look-alike id (`alıce` for `alice`) never counts either, and an
//! eligible id or role admits its look-alikes (which are the same person or role).

use std::collections::HashSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::message::{Message, Note, human};
use super::token::token;
use super::{Finding, FindingValue, Lint, Policy, ReviewContext, Rule, Verdict, VerdictKind};
use crate::value::identity::{self, Ident};
use crate::value::name::Name;
use crate::value::text::{self, esc};
use crate::value::{Ballot, Vote};

/// Who may cast a vote that counts: reviewers by id or by role (matched by identity: equal bytes
/// or confusable skeleton). With neither, anyone (but the submitter) may. Looking a reviewer up
/// takes constant time per role the reviewer holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "EligibilityForm", into = "EligibilityForm")]
pub(crate) struct Eligibility {
    ids: Vec<String>,
    roles: Vec<String>,
    id_set: HashSet<Ident>,
    role_set: HashSet<Ident>,
}

/// The stored form of [`Eligibility`]: the two lists, as written.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EligibilityForm {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    roles: Vec<String>,
}

impl From<EligibilityForm> for Eligibility {
    fn from(form: EligibilityForm) -> Self {
        Self::anyone().ids(form.ids).roles(form.roles)
    }
}

impl From<Eligibility> for EligibilityForm {
    fn from(e: Eligibility) -> Self {
        Self {
            ids: e.ids,
            roles: e.roles,
        }
    }
}

impl Eligibility {
    /// Anyone is eligible.
    pub(crate) fn anyone() -> Self {
        Self::default()
    }

    /// The same, with these reviewer ids eligible.
    #[must_use]
    pub(crate) fn ids<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        for id in ids {
            let id = id.into();
            self.id_set.insert(Ident::of(&id));
            self.ids.push(id);
        }
        self
    }

    /// The same, with reviewers holding any of these roles eligible.
    #[must_use]
    pub(crate) fn roles<S: Into<String>>(mut self, roles: impl IntoIterator<Item = S>) -> Self {
        for role in roles {
            let role = role.into();
            self.role_set.insert(Ident::of(&role));
            self.roles.push(role);
        }
        self
    }

    /// Whether the author of `review` is eligible.
    ///
    /// A short list is scanned (faster than hashing); a long one is looked up in its set, so
    /// that eligibility stays linear in votes and approvers together.
    pub(crate) fn admits(&self, review: &Ballot<'_>) -> bool {
        const SCAN_UP_TO: usize = 16;
        if self.ids.is_empty() && self.roles.is_empty() {
            return true;
        }
        let by_id = if self.ids.len() <= SCAN_UP_TO {
            self.ids.iter().any(|id| review.is_by(id))
        } else {
            self.id_set.contains(&Ident(review.name()))
        };
        by_id
            || if self.roles.len() <= SCAN_UP_TO {
                self.roles.iter().any(|role| review.has_role(role))
            } else {
                review
                    .roles()
                    .any(|role| self.role_set.contains(&Ident::of(role)))
            }
    }

    /// Lints for names (ids and roles) no reviewer can hold: ids and roles are checked when
    /// they enter (a review with `"bob "` or `"team_lead\u{200b}"` is refused), so an eligible
    /// name that fails the same check can never match, and the rule silently never counts it.
    fn unmatchable(&self, rule: &str, lints: &mut Vec<Lint>) {
        for (what, name) in self
            .ids
            .iter()
            .map(|n| ("id", n))
            .chain(self.roles.iter().map(|n| ("role", n)))
        {
            if let Err(e) = text::check(what, name) {
                lints.push(Lint::new(
                    rule,
                    format!("no reviewer can match the {what} `{}`: {e}", esc(name)),
                ));
            }
        }
    }

    /// The first two ids, or two roles, that are one identity but not the same text (of those
    /// a reviewer can hold). Expected linear in the lists.
    fn look_alikes(&self) -> Option<(&str, &str)> {
        [&self.ids, &self.roles].into_iter().find_map(|names| {
            let mut exact: HashSet<&str> = HashSet::new();
            let distinct: Vec<&str> = names
                .iter()
                .map(String::as_str)
                .filter(|n| text::check("id", n).is_ok() && exact.insert(n))
                .collect();
            let (i, j) = identity::first_twins(&distinct)?;
            Some((*distinct.get(i)?, *distinct.get(j)?))
        })
    }

    /// How many distinct ids are eligible, if only ids are (roles admit an open set).
    fn distinct_ids(&self) -> Option<usize> {
        (self.roles.is_empty() && !self.ids.is_empty()).then_some(self.id_set.len())
    }

    fn describe(&self) -> String {
        let ids = self.ids.iter().map(|id| token(id).into_owned());
        let roles = self.roles.iter().map(|r| format!("role {}", token(r)));
        let from: Vec<String> = ids.chain(roles).collect();
        if from.is_empty() {
            String::new()
        } else {
            format!(" from {}", from.join(" or "))
        }
    }
}

/// The votes of `vote` kind that count under `eligible`: in the window, not the submitter's.
fn counted<'a>(
    ctx: &ReviewContext<'a>,
    eligible: &'a Eligibility,
    vote: Vote,
) -> impl Iterator<Item = Ballot<'a>> + Clone + use<'a> {
    let submitter = ctx.submitter();
    ctx.votes()
        .filter(move |r| r.vote() == vote && !r.is_by(submitter) && eligible.admits(r))
}

/// Notes on votes of `vote` kind that do not count: the submitter's, and ineligible ones.
fn uncounted(ctx: &ReviewContext<'_>, eligible: &Eligibility, vote: Vote) -> Vec<Note> {
    let mut notes = Vec::new();
    for review in ctx.votes().filter(|r| r.vote() == vote) {
        let submitter = review.is_by(ctx.submitter());
        if submitter || !eligible.admits(&review) {
            notes.push(Note {
                who: review.name(),
                submitter,
            });
        }
    }
    notes
}

fn ids<'a>(reviews: impl Iterator<Item = Ballot<'a>>) -> Vec<Name> {
    reviews.map(|r| r.name()).collect()
}

fn count(n: usize) -> FindingValue {
    FindingValue::Count(u64::try_from(n).unwrap_or(u64::MAX))
}

/// Approves when at least `required` distinct eligible reviewers approve; pending otherwise.
///
/// ```
/// use modelgate::{Policy, Quorum};
/// let q = Quorum::new(2).eligible_ids(["carol"]).eligible_roles(["team_lead"]);
/// assert_eq!(q.name(), "2 approvals from carol or role team_lead");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quorum {
    required: usize,
    #[serde(default)]
    eligible: Eligibility,
}

impl Quorum {
    /// A quorum of `required` approvals from any reviewers but the submitter.
    pub fn new(required: usize) -> Self {
        Self {
            required,
            eligible: Eligibility::anyone(),
        }
    }

    /// The same quorum, with these reviewer ids eligible.
    #[must_use]
    pub fn eligible_ids<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.eligible = self.eligible.ids(ids);
        self
    }

    /// The same quorum, with reviewers holding any of these roles eligible.
    #[must_use]
    pub fn eligible_roles<S: Into<String>>(mut self, roles: impl IntoIterator<Item = S>) -> Self {
        self.eligible = self.eligible.roles(roles);
        self
    }

    /// How many approvals are required.
    pub fn required(&self) -> usize {
        self.required
    }

    /// The eligible reviewer ids, as given.
    pub fn ids(&self) -> &[String] {
        &self.eligible.ids
    }

    /// The eligible roles, as given.
    pub fn roles(&self) -> &[String] {
        &self.eligible.roles
    }
}

impl Policy for Quorum {
    fn rule(&self) -> Option<Rule> {
        Some(Rule::from(self.clone()))
    }

    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        let approvals = counted(ctx, &self.eligible, Vote::Approve);
        let n = approvals.clone().count();
        let kind = self.judge(ctx);
        let message = Message::Approvals {
            n,
            required: self.required,
            from: ids(approvals),
            notes: uncounted(ctx, &self.eligible, Vote::Approve),
        };
        let finding = Finding::built(kind, "quorum", Name::new("approvals"), message)
            .with_observed(count(n))
            .with_required(count(self.required));
        Verdict::new(kind, vec![finding])
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        if counted(ctx, &self.eligible, Vote::Approve)
            .nth(self.required.saturating_sub(1))
            .is_some()
            || self.required == 0
        {
            VerdictKind::Approve
        } else {
            VerdictKind::Pending
        }
    }

    fn name(&self) -> String {
        let plural = if self.required == 1 { "" } else { "s" };
        format!(
            "{} approval{plural}{}",
            self.required,
            self.eligible.describe()
        )
    }

    fn lint(&self, lints: &mut Vec<Lint>) {
        if self.required == 0 {
            lints.push(Lint::new(
                self.name(),
                "approves without any approval: a quorum of 0 is always met",
            ));
        }
        self.eligible.unmatchable(&self.name(), lints);
        if let Some((a, b)) = self.eligible.look_alikes() {
            let message = format!(
                "`{}` and `{}` look alike (one confusable skeleton, case folded), so they are one approver",
                esc(a),
                esc(b)
            );
            lints.push(Lint::new(self.name(), message));
        }
        if let Some(distinct) = self.eligible.distinct_ids()
            && self.required > distinct
        {
            let message = format!(
                "needs {} approvers but only {distinct} are eligible",
                self.required,
            );
            lints.push(Lint::new(self.name(), message));
        }
    }
}

/// Approves when a counted approval comes from a reviewer with `role`; pending otherwise.
///
/// ```
/// use modelgate::{Policy, RequiredRole};
/// assert_eq!(RequiredRole::new("team_lead").name(), "an approval from role team_lead");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredRole {
    role: Name,
}

impl RequiredRole {
    /// An approval from a reviewer holding `role` is required.
    pub fn new(role: impl AsRef<str>) -> Self {
        Self {
            role: Name::new(role.as_ref()),
        }
    }

    /// The role.
    pub fn role(&self) -> &str {
        self.role.as_str()
    }

    fn holders<'a>(
        &'a self,
        ctx: &ReviewContext<'a>,
    ) -> impl Iterator<Item = Ballot<'a>> + use<'a> {
        let (submitter, role) = (ctx.submitter(), self.role.as_str());
        ctx.votes()
            .filter(move |r| r.vote() == Vote::Approve && !r.is_by(submitter) && r.has_role(role))
    }
}

impl Policy for RequiredRole {
    fn rule(&self) -> Option<Rule> {
        Some(Rule::from(self.clone()))
    }

    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        let kind = self.judge(ctx);
        let role = self.role.as_str();
        let own = ctx
            .votes()
            .find(|r| r.is_by(ctx.submitter()) && r.vote() == Vote::Approve && r.has_role(role))
            .map(|r| r.name());
        let from = ids(self.holders(ctx));
        let held = from.len();
        let message = Message::Role {
            role: self.role.clone(),
            from,
            own,
        };
        let finding = Finding::built(kind, "required_role", self.role.clone(), message)
            .with_observed(count(held))
            .with_required(FindingValue::Text(role.to_owned()));
        Verdict::new(kind, vec![finding])
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        if self.holders(ctx).next().is_some() {
            VerdictKind::Approve
        } else {
            VerdictKind::Pending
        }
    }

    fn name(&self) -> String {
        format!("an approval from role {}", token(self.role.as_str()))
    }

    fn lint(&self, lints: &mut Vec<Lint>) {
        if let Err(e) = text::check("role", self.role.as_str()) {
            lints.push(Lint::new(
                self.name(),
                format!(
                    "no reviewer can hold the role `{}`: {e}",
                    esc(self.role.as_str())
                ),
            ));
        }
    }
}

/// Rejects when any eligible reviewer (not the submitter) rejects; approves otherwise.
///
/// ```
/// use modelgate::{Policy, Veto};
/// assert_eq!(Veto::new().eligible_roles(["security"]).name(), "no veto from role security");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Veto {
    #[serde(default)]
    eligible: Eligibility,
}

impl Veto {
    /// Any reviewer but the submitter can veto.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same veto, with only these reviewer ids able to veto (besides eligible roles).
    #[must_use]
    pub fn eligible_ids<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.eligible = self.eligible.ids(ids);
        self
    }

    /// The same veto, with reviewers holding any of these roles able to veto.
    #[must_use]
    pub fn eligible_roles<S: Into<String>>(mut self, roles: impl IntoIterator<Item = S>) -> Self {
        self.eligible = self.eligible.roles(roles);
        self
    }

    /// The reviewer ids that can veto, as given (with no ids and no roles, anyone can).
    pub fn ids(&self) -> &[String] {
        &self.eligible.ids
    }

    /// The roles that can veto, as given.
    pub fn roles(&self) -> &[String] {
        &self.eligible.roles
    }
}

impl Policy for Veto {
    fn rule(&self) -> Option<Rule> {
        Some(Rule::from(self.clone()))
    }

    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        let kind = self.judge(ctx);
        let vetoes: Vec<(Name, String)> = counted(ctx, &self.eligible, Vote::Reject)
            .map(|r| (r.name(), r.comment().to_owned()))
            .collect();
        let n = vetoes.len();
        let message = Message::Vetoes {
            vetoes,
            notes: uncounted(ctx, &self.eligible, Vote::Reject),
        };
        let finding = Finding::built(kind, "veto", Name::new("rejections"), message)
            .with_observed(count(n))
            .with_required(count(0));
        Verdict::new(kind, vec![finding])
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        if counted(ctx, &self.eligible, Vote::Reject).next().is_some() {
            VerdictKind::Reject
        } else {
            VerdictKind::Approve
        }
    }

    fn name(&self) -> String {
        format!("no veto{}", self.eligible.describe())
    }

    fn lint(&self, lints: &mut Vec<Lint>) {
        self.eligible.unmatchable(&self.name(), lints);
    }
}

/// `inner`, counting only votes cast within `window` before `now` (the decision time).
///
/// ```
/// use std::time::Duration;
/// use modelgate::{Fresh, Policy, Quorum};
/// let fresh = Fresh::within(Duration::from_secs(7 * 86_400), Quorum::new(2));
/// assert_eq!(fresh.name(), "2 approvals, counting votes of the last 7d");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Fresh<P> {
    window: Duration,
    inner: P,
}

impl<P: Policy> Fresh<P> {
    /// `inner` with votes older than `window` at decision time not counted.
    pub fn within(window: Duration, inner: P) -> Self {
        Self { window, inner }
    }

    /// The vote window.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The policy that counts only the window's votes.
    pub fn inner(&self) -> &P {
        &self.inner
    }
}

impl<P: Policy> Policy for Fresh<P> {
    fn rule(&self) -> Option<Rule> {
        let inner = self.inner.rule()?;
        Some(Rule::from(Fresh::within(self.window, inner)))
    }

    fn structure(&self, out: &mut super::Structure<'_>) {
        super::fingerprint::fresh(out, self.window, &self.inner);
    }

    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        let windowed = ctx.with_vote_window(self.window);
        let verdict = self.inner.evaluate(&windowed);
        let stale = ids(windowed.stale_votes());
        if stale.is_empty() {
            return verdict;
        }
        let n = stale.len();
        let message = Message::Stale {
            window: self.window,
            stale,
        };
        let finding = Finding::built(verdict.kind(), "fresh_votes", Name::new("votes"), message)
            .with_observed(count(n))
            .with_required(FindingValue::Text(human(self.window)));
        verdict.with_findings([finding])
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        self.inner.judge(&ctx.with_vote_window(self.window))
    }

    fn name(&self) -> String {
        format!(
            "{}, counting votes of the last {}",
            self.inner.name(),
            human(self.window)
        )
    }

    fn lint(&self, lints: &mut Vec<Lint>) {
        self.inner.lint(lints);
    }
}
