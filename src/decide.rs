//! Deciding a submitted model with a policy.

use crate::audit::EventKind;
use crate::decision::Decision;
use crate::error::TransitionError;
use crate::model::Model;
use crate::outcome::Metrics;
use crate::policy::{Policy, Verdict, VerdictKind};
use crate::stage::{Approved, Rejected, Status, Submitted};
use crate::time::{self, TimeWentBackwards, Timestamp};

/// What the host tells a decision: the time, and optionally the champion's metrics.
///
/// ```
/// use modelgate::{DecisionContext, Metrics, Timestamp};
/// let ctx = DecisionContext::at(Timestamp::from_unix_secs(1_000))
///     .with_champion(Metrics::new([("accuracy", 0.91)])?);
/// # Ok::<(), modelgate::OutcomeError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DecisionContext {
    now: Timestamp,
    champion: Option<Metrics>,
}

impl DecisionContext {
    /// Decide at `now`.
    pub fn at(now: Timestamp) -> Self {
        Self {
            now,
            champion: None,
        }
    }

    /// The same context with the metrics of the champion (the model in production).
    #[must_use]
    pub fn with_champion(mut self, champion: Metrics) -> Self {
        self.champion = Some(champion);
        self
    }
}

/// The result of [`Model::decide`]: the model in its next stage.
#[derive(Debug, PartialEq)]
pub enum Decided {
    /// The policy approved; the model holds the decision record and can be deployed.
    Approved(Model<Approved>),
    /// The policy rejected; the model holds the findings and can be retrained.
    Rejected(Model<Rejected>),
    /// The policy needs more evidence: the model is unchanged; record more votes and decide again.
    Pending(Model<Submitted>, Verdict),
}

impl Decided {
    /// The policy's verdict with its findings.
    pub fn verdict(&self) -> &Verdict {
        match self {
            Self::Approved(m) => m.stage().decision().verdict(),
            Self::Rejected(m) => m.stage().decision().verdict(),
            Self::Pending(_, verdict) => verdict,
        }
    }

    /// The status the model is in now.
    pub fn status(&self) -> Status {
        match self {
            Self::Approved(_) => Status::Approved,
            Self::Rejected(_) => Status::Rejected,
            Self::Pending(..) => Status::Submitted,
        }
    }
}

impl Model<Submitted> {
    /// Lets `policy` decide on the submission, its counted votes and the host's context.
    ///
    /// Approve and reject are recorded in the audit trail with the verdict; pending records
    /// nothing and hands the model back to collect more votes. Only this method makes a
    /// [`Model<Approved>`]. Refused if `ctx`'s time is earlier than the last event.
    ///
    /// ```
    /// # use modelgate::*;
    /// # let t = Timestamp::from_unix_secs;
    /// # let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.93)])?)?;
    /// let policy = (MetricGate::at_least("accuracy", 0.90), Quorum::new(1));
    /// let mut model = Model::new("churn", "1")?.submit(outcome, "alice", t(10))?;
    /// model.record(Review::approve("alice", "sha256:1", t(11)))?;
    /// let Decided::Pending(mut model, verdict) = model.decide(&policy, &DecisionContext::at(t(12)))? else {
    ///     unreachable!()
    /// };
    /// assert_eq!(verdict.to_string(), "pending: 0 of 1 approvals (alice is the submitter and does not count)");
    /// model.record(Review::approve("bob", "sha256:1", t(13)))?;
    /// let decided = model.decide(&policy, &DecisionContext::at(t(14)))?;
    /// assert_eq!(decided.status(), Status::Approved);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// A decided model is consumed; it cannot be decided twice:
    ///
    /// ```compile_fail,E0382
    /// # use modelgate::*;
    /// # fn twice(model: Model<Submitted>, ctx: DecisionContext) {
    /// let first = model.decide(&Quorum::new(1), &ctx);
    /// let second = model.decide(&Quorum::new(1), &ctx); // error: use of moved value
    /// # }
    /// ```
    pub fn decide<P: Policy + ?Sized>(
        self,
        policy: &P,
        ctx: &DecisionContext,
    ) -> Result<Decided, TransitionError<Model<Submitted>, TimeWentBackwards>> {
        if let Err(e) = time::check_not_before(self.last_at(), ctx.now) {
            return Err(TransitionError::new(self, e));
        }
        let review = self
            .stage
            .submission
            .context(&self.stage.votes, ctx.now)
            .with_champion(ctx.champion.as_ref());
        let verdict = policy.evaluate(&review);
        if verdict.kind() == VerdictKind::Pending {
            return Ok(Decided::Pending(self, verdict));
        }
        let name = policy.name();
        let event = EventKind::Decided {
            policy: name.clone(),
            champion: ctx.champion.clone(),
            verdict: verdict.clone(),
        };
        let (trail, stage) = self.split();
        Ok(
            match stage.conclude(name, ctx.now, ctx.champion.clone(), verdict) {
                Concluded::Approved(stage) => {
                    Decided::Approved(trail.advance(ctx.now, event, stage))
                }
                Concluded::Rejected(stage) => {
                    Decided::Rejected(trail.advance(ctx.now, event, stage))
                }
            },
        )
    }
}

/// The stage after a decision that was not pending.
pub(crate) enum Concluded {
    Approved(Approved),
    Rejected(Rejected),
}

impl Submitted {
    /// The stage after `verdict` (approve or reject; pending counts as reject, which never
    /// happens through [`Model::decide`]). Shared with replay.
    pub(crate) fn conclude(
        self,
        policy: String,
        at: Timestamp,
        champion: Option<Metrics>,
        verdict: Verdict,
    ) -> Concluded {
        let approved = verdict.kind() == VerdictKind::Approve;
        let decision = Decision::new(policy, at, &self.submission, self.votes, champion, verdict);
        let submission = self.submission;
        if approved {
            Concluded::Approved(Approved {
                submission,
                decision,
            })
        } else {
            Concluded::Rejected(Rejected {
                submission,
                decision,
            })
        }
    }
}
