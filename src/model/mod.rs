//! The typestate [`Model`], its stages and its transitions.

mod any;
mod approval;
mod decide;
mod decision;
mod deploy;
mod promote;
mod record;
mod retrain;
mod service;
mod stage;
mod status;
mod submit;

use crate::event::{Event, EventKind, Head};
use crate::value::Environment;
use crate::value::text::{self, TextError};
use crate::value::time::{self, TimeWentBackwards, Timestamp};

pub use any::AnyModel;
pub use decide::{Decided, DecisionContext};
pub use decision::Decision;
pub use deploy::{ActionError, DeployError, Deployer};
pub use promote::PromoteError;
pub use record::RecordError;
pub use stage::{
    Approved, Deployed, Rejected, Retired, Retraining, Revocation, Stage, Submission, Submitted,
    Superseded, Untrained,
};
pub use status::Status;
pub use submit::{SubmitError, Trainable};

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

/// Everything of a model but its stage: the header and the hash-chained events.
#[derive(Debug, PartialEq)]
pub(crate) struct Trail {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) environment: Environment,
    pub(crate) history: Vec<Event>,
    pub(crate) head: Head,
}

impl Trail {
    /// A trail of the model `name`, `version` in `environment`, without events.
    pub(crate) fn of(name: String, version: String, environment: Environment) -> Self {
        let head = Head::of_header(&name, &version, &environment);
        Self {
            name,
            version,
            environment,
            history: Vec::new(),
            head,
        }
    }

    /// The time of the last event, if any.
    pub(crate) fn last_at(&self) -> Option<Timestamp> {
        self.history.last().map(Event::at)
    }

    /// Refuses `at` if it is earlier than the last event.
    pub(crate) fn check_time(&self, at: Timestamp) -> Result<(), TimeWentBackwards> {
        time::check_not_before(self.last_at(), at)
    }

    /// Appends an event at `at` (already checked), chained to the head.
    pub(crate) fn push(&mut self, at: Timestamp, kind: EventKind) {
        let seq = u64::try_from(self.history.len())
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let event = Event::new(seq, at, self.head, kind);
        self.head = event.hash();
        self.history.push(event);
    }

    /// The model with this trail in `stage`, after appending an event at `at`.
    pub(crate) fn advance<T: Stage>(
        mut self,
        at: Timestamp,
        kind: EventKind,
        stage: T,
    ) -> Model<T> {
        self.push(at, kind);
        Model { trail: self, stage }
    }
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
        let Trail { name, version, .. } = self.trail;
        Self {
            trail: Trail::of(name, version, environment),
            stage: Untrained {},
        }
    }
}

impl<S: Stage> Model<S> {
    /// The model's name.
    pub fn name(&self) -> &str {
        &self.trail.name
    }

    /// The model's version.
    pub fn version(&self) -> &str {
        &self.trail.version
    }

    /// The environment the model is for.
    pub fn environment(&self) -> &Environment {
        &self.trail.environment
    }

    /// The runtime status, the same as `S::STATUS`.
    pub fn status(&self) -> Status {
        S::STATUS
    }

    /// The audit trail: every event so far, oldest first, each chained to the one before.
    pub fn history(&self) -> &[Event] {
        &self.trail.history
    }

    /// The head of the audit trail: the hash of the last event (of the header, before the
    /// first). Seal it to store the model (see [`StoredModel`](crate::StoredModel)); hosts that
    /// store models use it for compare-and-swap updates.
    pub fn head(&self) -> Head {
        self.trail.head
    }

    /// The revision: how many events the model has; every transition and every vote adds one.
    pub fn revision(&self) -> u64 {
        u64::try_from(self.trail.history.len()).unwrap_or(u64::MAX)
    }

    /// What this stage knows (the submission, the votes, the decision, the receipt …).
    pub fn stage(&self) -> &S {
        &self.stage
    }

    /// Appends an event of a run (`run_started`, `trained`, `evaluated`, `run_finished`),
    /// which does not change the model's stage.
    pub(crate) fn append(
        &mut self,
        at: Timestamp,
        kind: EventKind,
    ) -> Result<(), TimeWentBackwards> {
        self.trail.check_time(at)?;
        self.trail.push(at, kind);
        Ok(())
    }
}

/// Checks the id of whoever performs a host action.
pub(crate) fn check_actor(by: &str) -> Result<(), TextError> {
    text::check("actor", by)
}
