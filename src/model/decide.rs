//! Deciding a submitted model with a policy.

use std::fmt;

use super::Model;
use super::decision::Decision;
use super::stage::{Approved, Rejected, Submitted};
use super::status::Status;
use crate::event::EventKind;
use crate::policy::{Policy, Verdict, VerdictKind, fingerprint};
use crate::value::hash::Fingerprint;
use crate::value::{Metrics, Refused, TimeWentBackwards, Timestamp};

/// What the host tells a decision: the time, and optionally the champion's metrics.
///
/// ```
/// use modelgate::{DecisionContext, Metrics, Timestamp};
/// let ctx = DecisionContext::at(Timestamp::from_unix_secs(1_000))
///     .with_champion(Metrics::new([("accuracy", 0.91)])?);
/// # Ok::<(), modelgate::value::OutcomeError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DecisionContext {
    now: Timestamp,
    champion: Option<Metrics>,
    fingerprint: Recorded,
}

/// Which fingerprint a decision records: the policy's (every live decision), none (a replay of
/// a decision recorded before policies had fingerprints), or the recorded one (a replay that
/// trusts the recorded decisions, without their policy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Recorded {
    Policy,
    Without,
    As(Fingerprint),
}

impl DecisionContext {
    /// Decide at `now`.
    pub fn at(now: Timestamp) -> Self {
        Self {
            now,
            champion: None,
            fingerprint: Recorded::Policy,
        }
    }

    /// The same context with the metrics of the champion (the model in production).
    #[must_use]
    pub fn with_champion(mut self, champion: Metrics) -> Self {
        self.champion = Some(champion);
        self
    }

    /// The same context with the champion's metrics, if any.
    #[must_use]
    pub(crate) fn with_champion_opt(mut self, champion: Option<Metrics>) -> Self {
        self.champion = champion;
        self
    }

    /// The same context, recording the fingerprint a replayed decision recorded.
    pub(crate) fn recording(mut self, fingerprint: Recorded) -> Self {
        self.fingerprint = fingerprint;
        self
    }

    /// The time of the decision.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// The champion's metrics, if given.
    pub fn champion(&self) -> Option<&Metrics> {
        self.champion.as_ref()
    }
}

/// The result of [`Model::decide`]: the model in its next stage.
///
/// Take the stage you expect with [`approved`](Self::approved), [`rejected`](Self::rejected) or
/// [`pending`](Self::pending); each gives the `Decided` back when it is another, and `Decided`
/// is an error whose message is the verdict, so `?` works:
///
/// ```
/// # use modelgate::*;
/// # let t = Timestamp::from_unix_secs;
/// # let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.82)])?)?;
/// let model = Model::new("churn", "1")?.submit(outcome, "alice", t(10))?;
/// let decided = model.decide(&MetricGate::at_least("accuracy", 0.9), &DecisionContext::at(t(11)))?;
/// let err = decided.approved().unwrap_err();
/// assert_eq!(err.to_string(), "the policy decided reject: accuracy 0.82 is below the minimum 0.9");
/// let rejected = err.rejected()?; // the same model, as it is
/// assert_eq!(rejected.status(), Status::Rejected);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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

    /// The approved model.
    ///
    /// # Errors
    ///
    /// This `Decided`, unchanged, if the policy did not approve.
    #[allow(clippy::result_large_err)] // the error is this `Decided`, handed back as it is
    pub fn approved(self) -> Result<Model<Approved>, Decided> {
        match self {
            Self::Approved(m) => Ok(m),
            other => Err(other),
        }
    }

    /// The rejected model.
    ///
    /// # Errors
    ///
    /// This `Decided`, unchanged, if the policy did not reject.
    #[allow(clippy::result_large_err)] // the error is this `Decided`, handed back as it is
    pub fn rejected(self) -> Result<Model<Rejected>, Decided> {
        match self {
            Self::Rejected(m) => Ok(m),
            other => Err(other),
        }
    }

    /// The model still under review, with the pending verdict that says what is missing.
    ///
    /// # Errors
    ///
    /// This `Decided`, unchanged, if the policy approved or rejected.
    #[allow(clippy::result_large_err)] // the error is this `Decided`, handed back as it is
    pub fn pending(self) -> Result<(Model<Submitted>, Verdict), Decided> {
        match self {
            Self::Pending(m, v) => Ok((m, v)),
            other => Err(other),
        }
    }
}

/// "the policy decided " and the verdict.
impl fmt::Display for Decided {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the policy decided {}", self.verdict())
    }
}

impl std::error::Error for Decided {}

impl Model<Submitted> {
    /// Lets `policy` decide on the submission, its counted votes and the host's context.
    ///
    /// Approve and reject are recorded in the audit trail with the verdict; pending records
    /// nothing and hands the model back to collect more votes. Only this method makes a
    /// [`Model<Approved>`]. A number in a finding that is not finite (a custom policy's) is
    /// recorded as text (`inf`, `-inf`, `NaN`), so that every record reads back.
    ///
    /// # Errors
    ///
    /// [`TimeWentBackwards`] if `ctx`'s time is earlier than the last event; the model comes back
    /// inside the [`Refused`].
    ///
    /// ```
    /// # use modelgate::*;
    /// # let t = Timestamp::from_unix_secs;
    /// # let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.93)])?)?;
    /// let policy = (MetricGate::at_least("accuracy", 0.90), Quorum::new(1));
    /// let mut model = Model::new("churn", "1")?.submit(outcome, "alice", t(10))?;
    /// model.record(Review::approve("alice", "sha256:1", t(11)))?;
    /// let (mut model, verdict) = model.decide(&policy, &DecisionContext::at(t(12)))?.pending()?;
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
    ///
    /// The passing twin:
    ///
    /// ```
    /// # use modelgate::*;
    /// # fn once(model: Model<Submitted>, ctx: DecisionContext) {
    /// let first = model.decide(&Quorum::new(1), &ctx);
    /// # }
    /// ```
    pub fn decide<P: Policy + ?Sized>(
        self,
        policy: &P,
        ctx: &DecisionContext,
    ) -> Result<Decided, Refused<Model<Submitted>, TimeWentBackwards>> {
        match self.judgement(policy, ctx) {
            Ok(judgement) => Ok(self.decided(judgement)),
            Err(e) => Err(Refused::new(self, e)),
        }
    }

    /// What `policy` decides at `ctx`, with the model borrowed: every call into the policy (its
    /// verdict, name and fingerprint) is made here, so that [`decided`](Self::decided), which
    /// moves the model, runs none of a host's code.
    pub(crate) fn judgement<P: Policy + ?Sized>(
        &self,
        policy: &P,
        ctx: &DecisionContext,
    ) -> Result<Judgement, TimeWentBackwards> {
        self.trail.check_time(ctx.now)?;
        // The policy that decides and is recorded: the version in force, for one that changes
        // over time.
        let given: &dyn Policy = &policy;
        let policy = given.in_force(ctx.now).unwrap_or(given);
        let review = self
            .stage
            .submission
            .context(&self.stage.votes, self.stage.round, ctx.now)
            .with_champion(ctx.champion.as_ref());
        let verdict = policy.evaluate(&review).recordable();
        let by = if verdict.kind() == VerdictKind::Pending {
            None
        } else {
            let fingerprint = match ctx.fingerprint {
                Recorded::Policy => Some(fingerprint::of(policy)),
                Recorded::Without => None,
                Recorded::As(fingerprint) => Some(fingerprint),
            };
            Some((policy.name(), fingerprint, ctx.champion.clone()))
        };
        Ok(Judgement {
            verdict,
            by,
            now: ctx.now,
        })
    }

    /// The model moved on by `judgement` (of this model, at a time its trail allows): recorded
    /// unless pending. Runs no code but the crate's.
    pub(crate) fn decided(self, judgement: Judgement) -> Decided {
        let Judgement { verdict, by, now } = judgement;
        let Some((name, fingerprint, champion)) = by else {
            return Decided::Pending(self, verdict);
        };
        let event = EventKind::Decided {
            policy: name.clone(),
            fingerprint,
            champion: champion.clone(),
            verdict: verdict.clone(),
        };
        let Model { trail, stage } = self;
        let approved = verdict.kind() == VerdictKind::Approve;
        let decision = Decision::new(
            (name, fingerprint),
            now,
            stage.round,
            &stage.submission,
            stage.votes,
            champion,
            verdict,
        );
        let submission = stage.submission;
        if approved {
            let stage = Approved {
                submission,
                decision,
            };
            Decided::Approved(trail.advance(now, event, stage))
        } else {
            let stage = Rejected {
                submission,
                decision,
                revocation: None,
            };
            Decided::Rejected(trail.advance(now, event, stage))
        }
    }
}

/// A policy's verdict on a submitted model and, unless pending, what the decision records
/// beside it (the policy's name and fingerprint, the champion): all a decision needs from the
/// policy and the context.
#[derive(Debug)]
pub(crate) struct Judgement {
    verdict: Verdict,
    by: Option<(String, Option<Fingerprint>, Option<Metrics>)>,
    now: Timestamp,
}
