//! The typestate [`Model`] and what every stage shares.

use crate::audit::{Event, EventKind};
use crate::stage::{Stage, Status, Untrained};
use crate::text::{self, TextError};
use crate::time::Timestamp;

/// One model version moving through the workflow; `S` is its [`Stage`].
///
/// Transitions are methods that take the model by value and return it in its next stage, so a
/// model that was not approved cannot be deployed: the method does not exist.
///
/// ```
/// use modelgate::{Model, Status};
/// let model = Model::new("fraud-detector", "2024.11.1")?;
/// assert_eq!(model.status(), Status::Untrained);
/// assert!(model.history().is_empty());
/// # Ok::<(), modelgate::TextError>(())
/// ```
///
/// A model cannot be built outside the crate, in any stage:
///
/// ```compile_fail,E0451
/// # fn forge(stage: modelgate::Approved) {
/// let forged = modelgate::Model {
///     name: String::from("churn"),
///     version: String::from("1"),
///     history: Vec::new(),
///     stage,
/// };
/// # }
/// ```
#[derive(Debug, PartialEq)]
pub struct Model<S: Stage> {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) history: Vec<Event>,
    pub(crate) stage: S,
}

impl Model<Untrained> {
    /// A stand-in that holds no data, for a moment while a real model is moved out of a slot.
    pub(crate) fn placeholder() -> Self {
        Model {
            name: String::new(),
            version: String::new(),
            history: Vec::new(),
            stage: Untrained {},
        }
    }

    /// A new, untrained model. `name` and `version` must be non-empty, without control
    /// characters, at most 256 bytes.
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
            name,
            version,
            history: Vec::new(),
            stage: Untrained {},
        })
    }
}

impl<S: Stage> Model<S> {
    /// The model's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The model's version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The runtime status, the same as `S::STATUS`.
    pub fn status(&self) -> Status {
        S::STATUS
    }

    /// The audit trail: every event so far, oldest first. It replays to
    /// [`status`](Self::status) (see [`Status::replay`]).
    pub fn history(&self) -> &[Event] {
        &self.history
    }

    /// The revision: how many events the model has, so every transition (and every vote)
    /// increments it. Hosts that store models use it for compare-and-swap updates.
    pub fn revision(&self) -> u64 {
        u64::try_from(self.history.len()).unwrap_or(u64::MAX)
    }

    /// What this stage knows (the submission, the votes, the decision, the receipt …).
    pub fn stage(&self) -> &S {
        &self.stage
    }

    /// The time of the last event, if any.
    pub(crate) fn last_at(&self) -> Option<Timestamp> {
        self.history.last().map(Event::at)
    }

    /// Separates the stage from the rest, to build the next stage from it.
    pub(crate) fn split(self) -> (Trail, S) {
        (
            Trail {
                name: self.name,
                version: self.version,
                history: self.history,
            },
            self.stage,
        )
    }
}

/// Everything of a model but its stage: what a transition carries over.
pub(crate) struct Trail {
    name: String,
    version: String,
    history: Vec<Event>,
}

impl Trail {
    /// A trail from stored parts (checked by the caller).
    pub(crate) fn new(name: String, version: String, history: Vec<Event>) -> Self {
        Self {
            name,
            version,
            history,
        }
    }

    /// The model with this trail in `stage`, without a new event.
    pub(crate) fn into_model<T: Stage>(self, stage: T) -> Model<T> {
        Model {
            name: self.name,
            version: self.version,
            history: self.history,
            stage,
        }
    }

    /// Appends an event at `at` (already checked) and puts the model in `stage`.
    pub(crate) fn advance<T: Stage>(self, at: Timestamp, kind: EventKind, stage: T) -> Model<T> {
        let mut history = self.history;
        push(&mut history, at, kind);
        Model {
            name: self.name,
            version: self.version,
            history,
            stage,
        }
    }
}

/// Appends an event with the next sequence number.
pub(crate) fn push(history: &mut Vec<Event>, at: Timestamp, kind: EventKind) {
    let seq = u64::try_from(history.len())
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    history.push(Event::new(seq, at, kind));
}
