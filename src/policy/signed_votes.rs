//! A policy that counts only the votes their reviewers signed: [`SignedVotes`] (feature
//! `signed-votes`).

use super::{Finding, Lint, Policy, ReviewContext, Structure, Verdict, VerdictKind, fingerprint};
use crate::signed::{RosterVersion, VerifiedRoster, VoteFinding, VoteStatement};
use crate::value::Ballot;
use crate::value::text::esc;

/// A policy that counts a vote only when its reviewer signed it, with the roles a roster gives
/// them: the gate counts signatures, not the word of the service that recorded the votes.
///
/// Each counted vote (the latest of each reviewer) is checked against the roster's latest
/// version, verified from its pinned first version ([`Roster::verify`](crate::signed::Roster::verify)):
/// its [`VoteSignature`](crate::value::VoteSignature) must verify over the vote's statement for
/// this model, version, environment and round of review (the head of the event that began it),
/// by a key of a member with the vote's reviewer id that is valid at the vote's own time and at
/// the decision. The inner policy then sees only those votes, each with the **roster's** roles
/// for its reviewer: the roles the service recorded with a vote are not read. An unsigned vote,
/// a vote by someone not in the roster, by a key out of its validity, or a signature over another
/// vote, round, model or environment does not count, and a finding (rule `signed_votes`, the
/// reviewer as its subject) says which.
///
/// It is known by the roster version it counts by: its fingerprint covers the version's hash
/// and the inner policy's structure, so a decision recorded under one roster is not replayed
/// under another. Restoring a trail with it replays every decision, signatures checked again.
///
/// A context built by hand (not a model's: [`ReviewContext::new`],
/// [`ReviewContext::borrowed`]) names no model or round, so no vote in it counts.
///
/// ```
/// use modelgate::policy::SignedVotes;
/// use modelgate::signed::{Member, ReviewerKey, Roster, RosterVersion, VoteSignature};
/// use modelgate::*;
/// let t = Timestamp::from_unix_secs;
/// let (admin, rita) = ([1; 32], [2; 32]); // private seeds, each on its holder's machine
/// let mut first = RosterVersion::first(
///     vec![ReviewerKey::from_seed(&admin)],
///     1,
///     vec![Member::new("rita", ReviewerKey::from_seed(&rita), t(0)).with_role("risk_officer")],
/// );
/// first.sign(&admin);
/// let pinned = first.hash();
/// let roster = Roster::new(vec![first]);
/// let policy = SignedVotes::new(roster.verify_first_time(pinned)?, RequiredRole::new("risk_officer"));
///
/// let outcome = TrainingOutcome::new("sha256:9f2c", Metrics::new([("auc", 0.91)])?)?;
/// let mut model = Model::new("churn", "4")?.submit(outcome, "alice", t(10))?;
/// // The service records the vote with the role it claims; the roster's roles count instead.
/// let review = Review::approve("rita", "sha256:9f2c", t(20));
/// let signature = VoteSignature::sign_ed25519(&model.vote_statement(&review), &rita);
/// model.record(review.with_signature(signature))?;
/// let model = model.decide(&policy, &DecisionContext::at(t(30)))?.approved()?;
/// assert_eq!(model.status(), Status::Approved);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The same vote recorded without its signature does not count:
///
/// ```
/// # use modelgate::policy::SignedVotes;
/// # use modelgate::signed::{Member, ReviewerKey, Roster, RosterVersion};
/// # use modelgate::*;
/// # let t = Timestamp::from_unix_secs;
/// # let (admin, rita) = ([1; 32], [2; 32]);
/// # let mut first = RosterVersion::first(vec![ReviewerKey::from_seed(&admin)], 1,
/// #     vec![Member::new("rita", ReviewerKey::from_seed(&rita), t(0)).with_role("risk_officer")]);
/// # first.sign(&admin);
/// # let pinned = first.hash();
/// # let roster = Roster::new(vec![first]);
/// # let policy = SignedVotes::new(roster.verify_first_time(pinned)?, RequiredRole::new("risk_officer"));
/// # let outcome = TrainingOutcome::new("sha256:9f2c", Metrics::new([("auc", 0.91)])?)?;
/// # let mut model = Model::new("churn", "4")?.submit(outcome, "alice", t(10))?;
/// model.record(Review::approve("rita", "sha256:9f2c", t(20)).with_role("risk_officer"))?;
/// let Decided::Pending(_, verdict) = model.decide(&policy, &DecisionContext::at(t(30)))? else {
///     panic!("an unsigned vote approved");
/// };
/// assert!(verdict.findings().iter().any(|f| f.rule() == "signed_votes" && f.subject() == "rita"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct SignedVotes<P> {
    roster: RosterVersion,
    policy: P,
}

impl<P: Policy> SignedVotes<P> {
    /// `policy`, counting only the votes a key of `roster`'s latest version signed, with its
    /// roles. The version is kept: verify the roster again and make a new policy when it changes.
    pub fn new(roster: VerifiedRoster<'_>, policy: P) -> Self {
        Self {
            roster: roster.latest().clone(),
            policy,
        }
    }

    /// The roster version the votes are counted by.
    pub fn roster(&self) -> &RosterVersion {
        &self.roster
    }

    /// The votes that count, with the roster's roles, and why each other one does not.
    fn count<'c>(
        &'c self,
        ctx: &ReviewContext<'c>,
        mut refused: impl FnMut(Ballot<'c>, Refusal),
    ) -> Vec<Ballot<'c>> {
        let roster = VerifiedRoster::trusted(&self.roster);
        let mut counted = Vec::new();
        for ballot in ctx.votes() {
            let Some(scope) = ctx.scope() else {
                refused(ballot, Refusal::NoModel);
                continue;
            };
            let Some(review) = ballot.review() else {
                refused(ballot, Refusal::Unsigned);
                continue;
            };
            let Some(signature) = review.signature() else {
                refused(ballot, Refusal::Unsigned);
                continue;
            };
            let statement = VoteStatement::new(
                scope.name,
                scope.version,
                scope.environment,
                scope.round,
                review,
            );
            match roster.signer(&statement, signature, ctx.now()) {
                Ok(member) => counted.push(
                    Ballot::new(review.reviewer(), review.vote(), review.at())
                        .with_owned_roles(member.role_names())
                        .with_comment(review.comment()),
                ),
                Err(finding) => refused(ballot, Refusal::Roster(finding)),
            }
        }
        counted
    }
}

/// Why a vote does not count.
enum Refusal {
    /// The context is not a model's: no statement to check a signature against.
    NoModel,
    /// It carries no signature.
    Unsigned,
    /// The roster says why.
    Roster(VoteFinding),
}

impl<P: Policy> Policy for SignedVotes<P> {
    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        let mut findings = Vec::new();
        let counted = self.count(ctx, |ballot, why| {
            let message = match why {
                Refusal::NoModel => format!(
                    "the vote of `{}` does not count: the context names no model and round to check its signature against",
                    esc(ballot.reviewer())
                ),
                Refusal::Unsigned => format!(
                    "the vote of `{}` does not count: it is not signed",
                    esc(ballot.reviewer())
                ),
                Refusal::Roster(finding) => finding.to_string(),
            };
            findings.push(Finding::new(
                VerdictKind::Pending,
                "signed_votes",
                ballot.reviewer(),
                message,
            ));
        });
        self.policy
            .evaluate(&ctx.with_votes(&counted))
            .with_findings(findings)
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        let counted = self.count(ctx, |_, _| {});
        self.policy.judge(&ctx.with_votes(&counted))
    }

    fn name(&self) -> String {
        format!(
            "{}, counting votes signed by keys of roster version {}",
            self.policy.name(),
            self.roster.number()
        )
    }

    fn lint(&self, lints: &mut Vec<Lint>) {
        self.policy.lint(lints);
    }

    fn structure(&self, out: &mut Structure<'_>) {
        fingerprint::signed_votes(out, self.roster.hash(), &self.policy);
    }
}
