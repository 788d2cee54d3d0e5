//! What happens to an approval before deployment: it lapses when its environment's window
//! passes, it can be reopened for a fresh decision once lapsed, or revoked.

use super::Model;
use super::deploy::ActionError;
use super::stage::{Approved, Rejected, Revocation, Submitted};
use crate::event::EventKind;
use crate::policy::{Finding, VerdictKind};
use crate::value::{CountedVotes, Refused, Timestamp};

impl Model<Approved> {
    /// When the approval lapses undeployed: its decision time plus the environment's approval
    /// window; `None` if the environment has none.
    pub fn lapses_at(&self) -> Option<Timestamp> {
        self.environment()
            .approval_validity()
            .map(|w| self.stage.decision.decided_at().saturating_add(w))
    }

    /// Refuses a deployment at `at` if the approval has lapsed by then.
    pub(crate) fn check_not_lapsed(&self, at: Timestamp) -> Result<(), ActionError> {
        match self.lapses_at() {
            Some(lapsed_at) if at > lapsed_at => Err(ActionError::Lapsed {
                approved_at: self.stage.decision.decided_at(),
                lapsed_at,
                at,
            }),
            _ => Ok(()),
        }
    }

    /// Withdraws the approval before deployment, by `by`, at `at`, for `reason`: the model is
    /// rejected with the reason as its finding (rule `revoked`), and can be retrained.
    ///
    /// # Errors
    ///
    /// [`ActionError`] for an invalid actor id, a reason longer than
    /// [`MAX_TEXT_LEN`](crate::value::MAX_TEXT_LEN) bytes, or a time earlier than the last event;
    /// the model comes back unchanged inside the [`Refused`].
    ///
    /// ```
    /// # use modelgate::*;
    /// # let t = Timestamp::from_unix_secs;
    /// # let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.95)])?)?;
    /// # let model = Model::new("churn", "1")?.submit(outcome, "alice", t(0))?;
    /// # let model = model.decide(&MetricGate::at_least("accuracy", 0.9), &DecisionContext::at(t(1)))?.approved()?;
    /// let rejected = model.revoke("training data leaked the label", "security", t(2))?;
    /// assert_eq!(rejected.stage().findings()[0].to_string(), "approval revoked: training data leaked the label");
    /// let retraining = rejected.retrain("alice", t(3))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// Only an approval can be revoked; a deployed model is retired instead:
    ///
    /// ```compile_fail,E0599
    /// # use modelgate::*;
    /// # fn f(model: Model<Deployed>) {
    /// model.revoke("too late", "security", Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    pub fn revoke(
        self,
        reason: impl Into<String>,
        by: &str,
        at: Timestamp,
    ) -> Result<Model<Rejected>, Refused<Model<Approved>, ActionError>> {
        if let Err(e) = self.check_action(by, at) {
            return Err(Refused::new(self, e));
        }
        let reason = reason.into();
        if let Err(e) = crate::value::text::check_free("reason", &reason) {
            return Err(Refused::new(self, ActionError::FreeText { error: e }));
        }
        Ok(self.revoke_checked(reason, by.to_owned(), at))
    }

    fn revoke_checked(self, reason: String, by: String, at: Timestamp) -> Model<Rejected> {
        let message = format!("approval revoked: {reason}");
        let finding = Finding::new(VerdictKind::Reject, "revoked", "approval", message);
        let event = EventKind::Revoked {
            reason,
            by: by.clone(),
        };
        let Model { trail, stage } = self;
        let stage = Rejected {
            submission: stage.submission,
            decision: stage.decision,
            revocation: Some(Box::new(Revocation { finding, by, at })),
        };
        trail.advance(at, event, stage)
    }

    /// Puts the approval back under review, by `by`, at `at`: the same submission, no votes
    /// counted yet, for a fresh decision by the policy. For an approval that lapsed undeployed,
    /// or that is stale: decided before the environment's current deployment began, so without
    /// that champion ([`RegistryError::StaleApproval`](crate::registry::RegistryError)). The
    /// trail keeps the first decision; only the policy can approve again.
    ///
    /// # Errors
    ///
    /// [`ActionError`] for an invalid actor id or a time earlier than the last event; the model
    /// comes back unchanged inside the [`Refused`].
    ///
    /// ```
    /// # use modelgate::*;
    /// # use std::time::Duration;
    /// # let t = Timestamp::from_unix_secs;
    /// # let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.95)])?)?;
    /// let prod = Environment::new("production")?.with_approval_validity(Duration::from_secs(3600));
    /// let model = Model::new("churn", "1")?.in_environment(prod).submit(outcome, "alice", t(0))?;
    /// let model = model.decide(&MetricGate::at_least("accuracy", 0.9), &DecisionContext::at(t(1)))?.approved()?;
    /// let refused = model.mark_deployed(Receipt::new("prod"), "ci", t(7200)).unwrap_err();
    /// assert_eq!(refused.to_string(), "the approval of 1970-01-01T00:00:01Z lapsed at 1970-01-01T01:00:01Z, before `1970-01-01T02:00:00Z`; reopen the model for a fresh decision");
    /// let (model, _receipt) = refused.into_input();
    /// let reopened = model.reopen("alice", t(7200))?;
    /// assert_eq!(reopened.status(), Status::Submitted);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// Only an approval is reopened; a deployed model is not (above, its passing twin):
    ///
    /// ```compile_fail,E0599
    /// # use modelgate::*;
    /// # fn f(model: Model<Deployed>) {
    /// model.reopen("alice", Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    pub fn reopen(
        self,
        by: &str,
        at: Timestamp,
    ) -> Result<Model<Submitted>, Refused<Model<Approved>, ActionError>> {
        if let Err(e) = self.check_action(by, at) {
            return Err(Refused::new(self, e));
        }
        let event = EventKind::Reopened { by: by.to_owned() };
        let Model { mut trail, stage } = self;
        trail.push(at, event);
        let stage = Submitted {
            submission: stage.submission,
            votes: CountedVotes::new(),
            since: at,
            round: trail.head(),
        };
        Ok(Model { trail, stage })
    }
}
