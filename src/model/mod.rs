//! The typestate [`Model`], its stages and its transitions.

mod any;
mod approval;
mod decide;
mod decision;
mod deploy;
mod promote;
mod record;
mod retrain;
mod run_events;
mod service;
mod stage;
mod status;
mod submit;
mod trail;

use crate::event::{Event, Head};
use crate::value::Environment;
use crate::value::text::{self, TextError};
use crate::value::time::Timestamp;

pub use any::AnyModel;
pub(crate) use decide::Recorded;
pub use decide::{Decided, DecisionContext};
pub use decision::Decision;
pub use deploy::{ActionError, DeployError, Deployer};
pub use promote::PromoteError;
pub use record::RecordError;
pub use stage::{
    Approved, Deployed, Rejected, Retired, Retraining, Revocation, Stage, Submission, Submitted,
    Superseded, Untrained,
};
pub use status::{ParseStatusError, Status};
pub use submit::{SubmitError, Trainable};
pub use trail::{ChainError, Trail};
pub(crate) use trail::{
    check_chain, continue_chain, ends_deployment, latest_decision, run_pipeline, status_of,
};

/// One model version moving through the workflow; `S` is its [`Stage`].
///
/// Transitions are methods that take the model by value and return it in its next stage, so a
/// model that was not approved cannot be deployed: the method does not exist. Every transition
/// appends an [`Event`] to the model's hash-chained audit trail; [`head`](Self::head) names the
/// exact state reached.
///
/// ```
/// use modelgate::{Model, Status};
/// let model = Model::new("fraud-detector", "2024.11.1")?;
/// assert_eq!(model.status(), Status::Untrained);
/// assert!(model.history().is_empty());
/// # Ok::<(), modelgate::value::TextError>(())
/// ```
///
/// A model cannot be built outside the crate, in any stage:
///
/// ```compile_fail,E0451
/// # fn forge(stage: modelgate::Approved) {
/// let forged = modelgate::Model { trail: todo!(), stage };
/// # }
/// ```
#[derive(Debug, PartialEq)]
pub struct Model<S: Stage> {
    pub(crate) trail: Trail,
    pub(crate) stage: S,
}

impl Model<Untrained> {
    /// A new, untrained model. `name` and `version` are identifiers (see [`TextError`]):
    /// non-empty, at most 256 bytes, nothing that displays like another name.
    ///
    /// # Errors
    ///
    /// [`TextError`] naming the field (`name` or `version`) and what is wrong with it.
    ///
    /// ```
    /// use modelgate::Model;
    /// let err = Model::new("fraud\ndetector", "1").unwrap_err();
    /// assert_eq!(err.to_string(), "name `fraud\\ndetector` must not contain control characters");
    /// ```
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Result<Self, TextError> {
        let (name, version) = (name.into(), version.into());
        text::check("name", &name)?;
        text::check("version", &version)?;
        Ok(Self {
            trail: Trail::of(name, version, Environment::default()),
            stage: Untrained {},
        })
    }

    /// The same new model, in `environment` instead of the default one. The environment is part
    /// of the model's header: every submission, approval and deployment of it is for that
    /// environment.
    ///
    /// ```
    /// use modelgate::Model;
    /// use modelgate::value::Environment;
    /// let model = Model::new("churn", "3")?.in_environment(Environment::new("staging")?);
    /// assert_eq!(model.environment().name(), "staging");
    /// # Ok::<(), modelgate::value::TextError>(())
    /// ```
    #[must_use]
    pub fn in_environment(self, environment: Environment) -> Self {
        let (name, version) = (
            self.trail.name().to_owned(),
            self.trail.version().to_owned(),
        );
        Self {
            trail: Trail::of(name, version, environment),
            stage: Untrained {},
        }
    }
}

impl<S: Stage> Model<S> {
    /// The model's name.
    pub fn name(&self) -> &str {
        self.trail.name()
    }

    /// The model's version.
    pub fn version(&self) -> &str {
        self.trail.version()
    }

    /// The environment the model is for.
    pub fn environment(&self) -> &Environment {
        self.trail.environment()
    }

    /// The runtime status, the same as `S::STATUS`.
    pub fn status(&self) -> Status {
        S::STATUS
    }

    /// The audit trail: every event so far, oldest first, each chained to the one before.
    pub fn history(&self) -> &[Event] {
        self.trail.events()
    }

    /// The head of the audit trail: the hash of the last event (of the header, before the
    /// first). Seal it to store the model (see [`StoredModel`](crate::StoredModel)); hosts that
    /// store models use it for compare-and-swap updates.
    pub fn head(&self) -> Head {
        self.trail.head()
    }

    /// The revision: how many events the model has; every transition and every vote adds one.
    pub fn revision(&self) -> u64 {
        self.trail.revision()
    }

    /// What this stage knows (the submission, the votes, the decision, the receipt …).
    pub fn stage(&self) -> &S {
        &self.stage
    }

    /// The audit trail: the header and every event, with the questions derived from them.
    pub fn trail(&self) -> &Trail {
        &self.trail
    }

    /// The checks of a host's action on the model: not the model of a finished run, the actor's
    /// id, and a time not earlier than the last event.
    pub(crate) fn check_action(&self, by: &str, at: Timestamp) -> Result<(), deploy::ActionError> {
        if self.trail.is_run_finished() {
            return Err(deploy::ActionError::RunFinished);
        }
        self.check_actor_at(by, at)
    }

    /// The actor's id, and a time not earlier than the last event.
    pub(crate) fn check_actor_at(
        &self,
        by: &str,
        at: Timestamp,
    ) -> Result<(), deploy::ActionError> {
        check_actor(by).map_err(deploy::ActionError::Actor)?;
        self.trail.check_time(at)?;
        Ok(())
    }
}

/// Checks the id of whoever performs a host action.
pub(crate) fn check_actor(by: &str) -> Result<(), TextError> {
    text::check("actor", by)
}
