//! Sending a rejected model back to training.

use crate::audit::EventKind;
use crate::error::TransitionError;
use crate::model::Model;
use crate::stage::{Rejected, Retraining};
use crate::time::{self, TimeWentBackwards, Timestamp};

impl Model<Rejected> {
    /// Sends the model back to training at `at`, carrying the rejection's findings as feedback
    /// and the number of attempts so far; the next [`submit`](Model::submit) is the next attempt.
    ///
    /// ```
    /// # use modelgate::*;
    /// # let t = Timestamp::from_unix_secs;
    /// # let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.82)])?)?;
    /// let model = Model::new("churn", "1")?.submit(outcome, "alice", t(10))?;
    /// let Decided::Rejected(model) = model.decide(&MetricGate::at_least("accuracy", 0.9), &DecisionContext::at(t(11)))? else {
    ///     unreachable!()
    /// };
    /// let model = model.retrain(t(12))?;
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
    /// model.mark_deployed(Receipt::new("anyway"), Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    pub fn retrain(
        self,
        at: Timestamp,
    ) -> Result<Model<Retraining>, TransitionError<Model<Rejected>, TimeWentBackwards>> {
        if let Err(e) = time::check_not_before(self.last_at(), at) {
            return Err(TransitionError::new(self, e));
        }
        let stage = self.stage.retraining();
        Ok(self.split().0.advance(at, EventKind::Retraining, stage))
    }
}

impl Rejected {
    /// The retraining stage. Shared with replay.
    pub(crate) fn retraining(&self) -> Retraining {
        Retraining {
            feedback: self.findings().to_vec(),
            attempts: self.submission.attempt(),
        }
    }
}
