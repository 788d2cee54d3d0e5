//! Deploying an approved model, through a host hook or on the host's own.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::audit::EventKind;
use crate::error::TransitionError;
use crate::model::Model;
use crate::stage::{Approved, Deployed};
use crate::time::{self, TimeWentBackwards, Timestamp};

/// The host's record of a deployment: an endpoint, a release id, a job URL … Opaque to modelgate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Receipt(String);

impl Receipt {
    /// Wraps the host's receipt.
    pub fn new(receipt: impl Into<String>) -> Self {
        Self(receipt.into())
    }

    /// The receipt as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Receipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The host's deployment hook: puts an approved artifact into production and returns a receipt.
///
/// It only ever sees a [`Model<Approved>`]; the type system keeps every other stage away.
pub trait Deployer {
    /// Why a deployment failed.
    type Error: std::error::Error + 'static;

    /// Deploys `model`'s artifact (its digest is `model.stage().submission().outcome().digest()`).
    fn deploy(&mut self, model: &Model<Approved>) -> Result<Receipt, Self::Error>;
}

/// A deployment failed; the approved model is handed back inside the [`TransitionError`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeployError<E> {
    /// The host's deployer failed; its error is the source.
    #[error("deployer failed")]
    Deployer(#[source] E),
    /// The time is earlier than the model's last event (the deployer was not called).
    #[error(transparent)]
    TimeWentBackwards(#[from] TimeWentBackwards),
}

impl Model<Approved> {
    /// Deploys through the host's `deployer` at `at`, recording the receipt.
    ///
    /// If the deployer fails, the approved model comes back inside the error, with the
    /// deployer's error as its source: try again later, nothing is lost.
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
    /// if let Decided::Approved(model) = model.decide(&MetricGate::at_least("accuracy", 0.9), &DecisionContext::at(t(11)))? {
    ///     let deployed = model.deploy(&mut Registry, t(12))?;
    ///     assert_eq!(deployed.stage().receipt().as_str(), "serving/churn");
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// Only an approved model can be deployed; every other stage lacks the method:
    ///
    /// ```compile_fail,E0599
    /// # use modelgate::*;
    /// # fn f(model: Model<Untrained>, d: &mut impl Deployer) {
    /// model.deploy(d, Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    ///
    /// ```compile_fail,E0599
    /// # use modelgate::*;
    /// # fn f(model: Model<Submitted>, d: &mut impl Deployer) {
    /// model.deploy(d, Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    ///
    /// ```compile_fail,E0599
    /// # use modelgate::*;
    /// # fn f(model: Model<Rejected>, d: &mut impl Deployer) {
    /// model.deploy(d, Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    ///
    /// The passing twin of those three:
    ///
    /// ```
    /// # use modelgate::*;
    /// # fn f(model: Model<Approved>, d: &mut impl Deployer) {
    /// let _ = model.deploy(d, Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    #[allow(clippy::type_complexity)] // the signature is the documentation: model back, host error inside
    pub fn deploy<D: Deployer + ?Sized>(
        self,
        deployer: &mut D,
        at: Timestamp,
    ) -> Result<Model<Deployed>, TransitionError<Model<Approved>, DeployError<D::Error>>> {
        if let Err(e) = time::check_not_before(self.last_at(), at) {
            return Err(TransitionError::new(self, e.into()));
        }
        match deployer.deploy(&self) {
            Ok(receipt) => Ok(self.deployed(receipt, at)),
            Err(e) => Err(TransitionError::new(self, DeployError::Deployer(e))),
        }
    }

    /// Records a deployment the host did on its own, with its receipt, at `at`.
    ///
    /// ```compile_fail,E0599
    /// # use modelgate::*;
    /// # fn f(model: Model<Submitted>) {
    /// model.mark_deployed(Receipt::new("manual"), Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    ///
    /// ```
    /// # use modelgate::*;
    /// # fn f(model: Model<Approved>) {
    /// let _ = model.mark_deployed(Receipt::new("manual"), Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    pub fn mark_deployed(
        self,
        receipt: Receipt,
        at: Timestamp,
    ) -> Result<Model<Deployed>, TransitionError<Model<Approved>, TimeWentBackwards>> {
        match time::check_not_before(self.last_at(), at) {
            Ok(()) => Ok(self.deployed(receipt, at)),
            Err(e) => Err(TransitionError::new(self, e)),
        }
    }

    fn deployed(self, receipt: Receipt, at: Timestamp) -> Model<Deployed> {
        let event = EventKind::Deployed {
            receipt: receipt.clone(),
        };
        let (trail, stage) = self.split();
        trail.advance(at, event, stage.into_deployed(receipt, at))
    }
}

impl Approved {
    /// The deployed stage. Shared with replay.
    pub(crate) fn into_deployed(self, receipt: Receipt, at: Timestamp) -> Deployed {
        Deployed {
            approved: self,
            receipt,
            deployed_at: at,
        }
    }
}
