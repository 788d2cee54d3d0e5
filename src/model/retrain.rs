//! Sending a rejected model back to training.

use super::Model;
use super::deploy::ActionError;
use super::stage::{Rejected, Retraining};
use crate::event::EventKind;
use crate::value::{Refused, Timestamp};

impl Model<Rejected> {
    /// Sends the model back to training, by `by`, at `at`, carrying the rejection's findings as
    /// feedback and the number of attempts so far; the next [`submit`](Model::submit) is the
    /// next attempt.
    ///
    /// # Errors
    ///
    /// [`ActionError`] for an invalid actor id or a time earlier than the last event; the model
    /// comes back unchanged inside the [`Refused`].
    ///
    /// ```
    /// # use modelgate::*;
    /// # let t = Timestamp::from_unix_secs;
    /// # let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.82)])?)?;
    /// let model = Model::new("churn", "1")?.submit(outcome, "alice", t(10))?;
    /// let policy = MetricGate::at_least("accuracy", 0.9);
    /// let model = model.decide(&policy, &DecisionContext::at(t(11)))?.rejected()?;
    /// let model = model.retrain("alice", t(12))?;
    /// assert_eq!(model.stage().feedback()[0].to_string(), "accuracy 0.82 is below the minimum 0.9");
    /// assert_eq!(model.stage().attempts(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// A rejected model cannot be deployed, only retrained:
    ///
    /// ```compile_fail,E0599
    /// # use modelgate::*;
    /// # fn f(model: Model<Rejected>) {
    /// model.mark_deployed(Receipt::new("anyway"), "bot", Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    ///
    /// ```
    /// # use modelgate::*;
    /// # fn f(model: Model<Rejected>) {
    /// let _ = model.retrain("bot", Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    pub fn retrain(
        self,
        by: &str,
        at: Timestamp,
    ) -> Result<Model<Retraining>, Refused<Model<Rejected>, ActionError>> {
        if let Err(e) = self.check_action(by, at) {
            return Err(Refused::new(self, e));
        }
        Ok(self.retrain_checked(by.to_owned(), at))
    }

    /// [`retrain`](Self::retrain) after its checks, which the caller made.
    pub(crate) fn retrain_checked(self, by: String, at: Timestamp) -> Model<Retraining> {
        let stage = Retraining {
            feedback: self.stage.findings().to_vec(),
            attempts: self.stage.submission.attempt(),
        };
        self.trail.advance(at, EventKind::Retraining { by }, stage)
    }
}
