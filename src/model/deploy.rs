//! Deploying an approved model, through a host hook or on the host's own.

use super::Model;
use super::stage::{Approved, Deployed};
use crate::event::EventKind;
use crate::value::text::{self, TextError, esc};
use crate::value::{Receipt, Refused, TimeWentBackwards, Timestamp};

/// The host's deployment hook: puts an approved artifact into production and returns a receipt.
///
/// It only ever sees a [`Model<Approved>`]; the type system keeps every other stage away.
pub trait Deployer {
    /// Why a deployment failed.
    type Error: std::error::Error + 'static;

    /// Deploys `model`'s artifact (its digest is `model.stage().submission().digest()`).
    ///
    /// # Errors
    ///
    /// The host's own error; the model stays approved and the failure is recorded.
    fn deploy(&mut self, model: &Model<Approved>) -> Result<Receipt, Self::Error>;
}

/// A host action (retrain, mark deployed …) was refused; the model is handed back unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    /// The model's trail is a run's that finished: a new decision belongs to a new run.
    #[error(
        "the run that drove this model finished; a retraining, a revocation or a reopening belongs to a new run"
    )]
    RunFinished,
    /// The id of who acts is refused.
    #[error("invalid actor: {0}")]
    Actor(TextError),
    /// A free text (a receipt, a reason) is longer than [`MAX_TEXT_LEN`](crate::value::MAX_TEXT_LEN)
    /// bytes.
    #[error("invalid {}: {error}", error.field())]
    FreeText {
        /// What is wrong with the text (its field names it).
        error: TextError,
    },
    /// The version named (the one that replaces, or that is rolled back to) is refused.
    #[error("invalid version: {0}")]
    Version(TextError),
    /// The time is earlier than the model's last event.
    #[error(transparent)]
    TimeWentBackwards(#[from] TimeWentBackwards),
    /// The approval lapsed before this deployment: its environment's window passed.
    #[error(
        "the approval of {approved_at} lapsed at {lapsed_at}, before `{at}`; reopen the model for a fresh decision"
    )]
    Lapsed {
        /// When the model was approved.
        approved_at: Timestamp,
        /// When the approval lapsed.
        lapsed_at: Timestamp,
        /// The time of the refused action.
        at: Timestamp,
    },
    /// Reinstating a deployment whose approval the environment's policy does not uphold now.
    #[error("the approval is not upheld by policy `{}`: {}", esc(.policy), esc(.verdict))]
    NotUpheld {
        /// The policy's name.
        policy: String,
        /// Its verdict on the recorded evidence, in one line.
        verdict: String,
    },
}

/// A deployment failed; the approved model is handed back inside the [`Refused`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeployError<E> {
    /// The host's deployer failed; its error is the source, and the failure is in the trail.
    #[error("deployer failed")]
    Deployer(#[source] E),
    /// The deployer answered with a receipt longer than free text may be; the attempt is in the
    /// trail as a failed deployment.
    #[error("the deployer's receipt is refused: {0}")]
    Receipt(TextError),
    /// The deployer was not called: the actor's id or the time was refused, or the approval
    /// lapsed.
    #[error(transparent)]
    Refused(#[from] ActionError),
}

impl Model<Approved> {
    /// Deploys through the host's `deployer`, by `by`, at `at`, recording the receipt.
    ///
    /// If the deployer fails, the failure (its error text, who tried, when) is appended to the
    /// trail and the approved model comes back inside the error, with the deployer's error as
    /// its source: try again later, nothing is lost.
    ///
    /// # Errors
    ///
    /// [`DeployError::Deployer`] if the deployer failed; [`DeployError::Refused`] (the deployer
    /// was not called, the model is unchanged) for an invalid actor id or a time earlier than
    /// the last event.
    ///
    /// ```
    /// # use modelgate::*;
    /// # let t = Timestamp::from_unix_secs;
    /// struct Registry;
    /// impl Deployer for Registry {
    ///     type Error = std::io::Error;
    ///     fn deploy(&mut self, model: &Model<Approved>) -> Result<Receipt, std::io::Error> {
    ///         Ok(Receipt::new(format!("serving/{}", model.name())))
    ///     }
    /// }
    /// # let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.93)])?)?;
    /// let model = Model::new("churn", "1")?.submit(outcome, "alice", t(10))?;
    /// let policy = MetricGate::at_least("accuracy", 0.9);
    /// let model = model.decide(&policy, &DecisionContext::at(t(11)))?.approved()?;
    /// let deployed = model.deploy(&mut Registry, "deploy-bot", t(12))?;
    /// assert_eq!(deployed.stage().receipt().as_str(), "serving/churn");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// Only an approved model can be deployed; every other stage lacks the method:
    ///
    /// ```compile_fail,E0599
    /// # use modelgate::*;
    /// # fn f(model: Model<Untrained>, d: &mut impl Deployer) {
    /// model.deploy(d, "bot", Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    ///
    /// ```compile_fail,E0599
    /// # use modelgate::*;
    /// # fn f(model: Model<Submitted>, d: &mut impl Deployer) {
    /// model.deploy(d, "bot", Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    ///
    /// ```compile_fail,E0599
    /// # use modelgate::*;
    /// # fn f(model: Model<Rejected>, d: &mut impl Deployer) {
    /// model.deploy(d, "bot", Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    ///
    /// Nor is a version deployed again once superseded (the registry reinstates it, re-checking
    /// its approval) or retired (never):
    ///
    /// ```compile_fail,E0599
    /// # use modelgate::*;
    /// # fn f(model: Model<Superseded>, d: &mut impl Deployer) {
    /// model.deploy(d, "bot", Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    ///
    /// ```compile_fail,E0599
    /// # use modelgate::*;
    /// # fn f(model: Model<Retired>, d: &mut impl Deployer) {
    /// model.deploy(d, "bot", Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    ///
    /// The passing twin of those five:
    ///
    /// ```
    /// # use modelgate::*;
    /// # fn f(model: Model<Approved>, d: &mut impl Deployer) {
    /// let _ = model.deploy(d, "bot", Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    #[allow(clippy::type_complexity)] // the signature is the documentation: model back, host error inside
    pub fn deploy<D: Deployer + ?Sized>(
        self,
        deployer: &mut D,
        by: &str,
        at: Timestamp,
    ) -> Result<Model<Deployed>, Refused<Model<Approved>, DeployError<D::Error>>> {
        if let Err(e) = self.check_deploy(by, at) {
            return Err(Refused::new(self, e.into()));
        }
        match deployer.deploy(&self) {
            Ok(receipt) => match text::check_free("receipt", receipt.as_str()) {
                Ok(()) => Ok(self.deployed(receipt, by.to_owned(), at)),
                // The deployer answered with a receipt no record may hold: the attempt is
                // recorded as failed, saying why, so that no deployment goes unrecorded.
                Err(error) => {
                    let why = format!("the deployer's receipt is refused: {error}");
                    let model = self.failed_deploy(why, by, at);
                    Err(Refused::new(model, DeployError::Receipt(error)))
                }
            },
            Err(e) => {
                let model = self.failed_deploy(e.to_string(), by, at);
                Err(Refused::new(model, DeployError::Deployer(e)))
            }
        }
    }

    /// The model after a failed deployment, recorded with `error` (cut to the length free text
    /// may have), by `by` (checked), at `at` (checked).
    fn failed_deploy(mut self, error: String, by: &str, at: Timestamp) -> Self {
        let error = text::fit_free(error);
        let by = by.to_owned();
        self.trail.push(at, EventKind::DeployFailed { error, by });
        self
    }

    /// Records a deployment the host did on its own, with its receipt, by `by`, at `at`.
    ///
    /// # Errors
    ///
    /// [`ActionError`] for an invalid actor id, a receipt longer than
    /// [`MAX_TEXT_LEN`](crate::value::MAX_TEXT_LEN) bytes, or a time earlier than the last event;
    /// the model and the receipt come back unchanged inside the [`Refused`].
    ///
    /// ```compile_fail,E0599
    /// # use modelgate::*;
    /// # fn f(model: Model<Submitted>) {
    /// model.mark_deployed(Receipt::new("manual"), "bot", Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    ///
    /// ```
    /// # use modelgate::*;
    /// # fn f(model: Model<Approved>) {
    /// let _ = model.mark_deployed(Receipt::new("manual"), "bot", Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    #[allow(clippy::result_large_err, clippy::type_complexity)] // the error hands back the model and the receipt
    pub fn mark_deployed(
        self,
        receipt: Receipt,
        by: &str,
        at: Timestamp,
    ) -> Result<Model<Deployed>, Refused<(Model<Approved>, Receipt), ActionError>> {
        let checked = self.check_deploy(by, at).and_then(|()| {
            text::check_free("receipt", receipt.as_str())
                .map_err(|error| ActionError::FreeText { error })
        });
        match checked {
            Ok(()) => Ok(self.deployed(receipt, by.to_owned(), at)),
            Err(e) => Err(Refused::new((self, receipt), e)),
        }
    }

    /// Records a deployment the host tried on its own and that failed, with its error text; the
    /// model stays approved.
    ///
    /// # Errors
    ///
    /// [`ActionError`] for an invalid actor id or a time earlier than the last event; nothing is
    /// recorded, and the error text comes back inside the [`Refused`].
    pub fn mark_deploy_failed(
        &mut self,
        error: impl Into<String>,
        by: &str,
        at: Timestamp,
    ) -> Result<(), Refused<String, ActionError>> {
        let error = error.into();
        if let Err(e) = text::check_free("error", &error) {
            return Err(Refused::new(error, ActionError::FreeText { error: e }));
        }
        if let Err(e) = self.check_actor_at(by, at) {
            return Err(Refused::new(error, e));
        }
        let by = by.to_owned();
        self.trail.push(at, EventKind::DeployFailed { error, by });
        Ok(())
    }

    /// The checks of a deployment: the actor, the time, and an approval that has not lapsed.
    fn check_deploy(&self, by: &str, at: Timestamp) -> Result<(), ActionError> {
        self.check_actor_at(by, at)?;
        self.check_not_lapsed(at)
    }

    /// [`mark_deployed`](Self::mark_deployed) after its checks, which the caller made.
    pub(crate) fn deployed(self, receipt: Receipt, by: String, at: Timestamp) -> Model<Deployed> {
        let event = EventKind::Deployed {
            receipt: receipt.clone(),
            by: by.clone(),
        };
        let Model { trail, stage } = self;
        let stage = Deployed {
            approved: stage,
            receipt,
            deployed_at: at,
            deployed_by: by,
        };
        trail.advance(at, event, stage)
    }
}
