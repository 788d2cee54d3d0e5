//! The law checker for custom policies.

use std::fmt;

use super::Scenario;
use crate::Policy;

/// A law a policy broke, with what showed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LawViolation {
    law: &'static str,
    detail: String,
}

impl LawViolation {
    /// The law, e.g. `fails closed on missing metrics`.
    pub fn law(&self) -> &'static str {
        self.law
    }
}

impl fmt::Display for LawViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "policy breaks the law `{}`: {}", self.law, self.detail)
    }
}

/// Being an error, it converts into proptest's `TestCaseError` with `?`.
impl std::error::Error for LawViolation {}

/// The laws every policy must obey, checked on one [`Scenario`] at a time:
///
/// - deterministic: evaluating twice gives the same verdict and findings;
/// - `judge` agrees with `evaluate`;
/// - every verdict has findings;
/// - a fingerprint it keeps ([`Policy::kept_fingerprint`]) is its structure's;
/// - fails closed on missing metrics: removing a metric never raises the verdict;
/// - fails closed on missing evidence: removing the evidence of a promotion, or an online metric
///   from it, never raises the verdict;
/// - monotone in approvals (only if declared with [`monotone`](Self::monotone)): one more
///   approval, by a new reviewer holding every role, never lowers the verdict.
#[derive(Clone, Copy, Debug)]
pub struct Laws<'p, P: ?Sized> {
    policy: &'p P,
    monotone: bool,
}

impl<'p, P: Policy + ?Sized> Laws<'p, P> {
    /// The laws for `policy`.
    pub fn new(policy: &'p P) -> Self {
        Self {
            policy,
            monotone: false,
        }
    }

    /// Also check that one more approval never lowers the verdict (true of policies without
    /// vetoes, vote windows or `not`).
    #[must_use]
    pub fn monotone(mut self) -> Self {
        self.monotone = true;
        self
    }

    /// Checks every law on `scenario`.
    ///
    /// # Errors
    ///
    /// The first [`LawViolation`] found, naming the law and what showed it.
    pub fn check(&self, scenario: &Scenario) -> Result<(), LawViolation> {
        let broken = |law, detail: String| Err(LawViolation { law, detail });
        let ctx = scenario.context();
        let verdict = self.policy.evaluate(&ctx);
        let again = self.policy.evaluate(&ctx);
        if format!("{verdict:?}") != format!("{again:?}") {
            return broken("deterministic", format!("`{verdict}`, then `{again}`"));
        }
        let judged = self.policy.judge(&ctx);
        if judged != verdict.kind() {
            return broken(
                "judge agrees with evaluate",
                format!("judge says {judged}, evaluate `{verdict}`"),
            );
        }
        if verdict.findings().is_empty() {
            return broken(
                "every verdict has findings",
                format!("{} without findings", verdict.kind()),
            );
        }
        if let Some(kept) = self.policy.kept_fingerprint() {
            let hashed = crate::policy::fingerprint::of_structure(self.policy);
            if kept != hashed {
                return broken(
                    "a kept fingerprint is its structure's",
                    format!("keeps {kept}, its structure hashes to {hashed}"),
                );
            }
        }
        for (name, _) in scenario.outcome.metrics().iter() {
            let without = self
                .policy
                .evaluate(&scenario.without_metric(name).context());
            if without.kind() > verdict.kind() {
                let detail = format!("without `{name}`: `{without}`; with it: `{verdict}`");
                return broken("fails closed on missing metrics", detail);
            }
        }
        if let Some(promotion) = &scenario.promotion {
            let without = self
                .policy
                .evaluate(&scenario.without_promotion().context());
            if without.kind() > verdict.kind() {
                let detail = format!("without the evidence: `{without}`; with it: `{verdict}`");
                return broken("fails closed on missing evidence", detail);
            }
            for (name, _) in promotion.online().iter() {
                let without = self
                    .policy
                    .evaluate(&scenario.without_online_metric(name).context());
                if without.kind() > verdict.kind() {
                    let detail =
                        format!("without online `{name}`: `{without}`; with it: `{verdict}`");
                    return broken("fails closed on missing evidence", detail);
                }
            }
        }
        if self.monotone {
            let more = self
                .policy
                .evaluate(&scenario.with_approval("law-checker").context());
            if more.kind() < verdict.kind() {
                let detail = format!("`{verdict}`, then with one more approval `{more}`");
                return broken("monotone in approvals", detail);
            }
        }
        Ok(())
    }
}
