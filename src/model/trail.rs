//! The audit trail a model owns: its header and its hash-chained events. Only the transitions
//! of this module's parent append to it; everyone else reads it, and asks it the questions
//! derived from its events (is it a run, its current deployment, its latest decision) here, once.

use super::stage::Stage;
use super::{Model, Status};
use crate::event::{Event, EventKind, Fingerprint, Head};
use crate::value::text::{self, TextError};
use crate::value::time::{self, TimeWentBackwards, Timestamp};
use crate::value::{Environment, Refused};

/// A model's audit trail: the header (name, version, environment) and every event, oldest
/// first, each chained to the one before it by hash. Read-only: a trail grows only through the
/// transitions of [`Model`] (and of a [`Run`](crate::Run), which drives a model), so every
/// event in it was recorded by the rule that checks it.
///
/// A trail from elsewhere (a database's rows) is built with [`Trail::from_parts`], which checks
/// the header and the chain; restoring it as a typed model (through
/// [`StoredModel`](crate::StoredModel)) then checks the seal and replays every event.
///
/// ```
/// # use modelgate::*;
/// # let t = Timestamp::from_unix_secs;
/// let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.93)])?)?;
/// let model = Model::new("churn", "1")?.submit(outcome, "alice", t(10))?;
/// let trail = model.trail();
/// assert_eq!((trail.name(), trail.revision()), ("churn", 1));
/// assert!(!trail.is_run() && trail.current_deployment().is_none());
///
/// // The same events, as a store would hand them back, make the same trail:
/// let again = Trail::from_parts("churn", "1", trail.environment().clone(), trail.events().to_vec())?;
/// assert_eq!(again.head(), model.head());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Trail {
    name: String,
    version: String,
    environment: Environment,
    events: Vec<Event>,
    head: Head,
    /// Whether a run's `run finished` is among the events.
    run_finished: bool,
    /// Whether a `decided` is among the events.
    decided: bool,
}

/// Why a trail's parts do not make a trail: an invalid header, or events that do not chain.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The name or version is not a valid identifier.
    #[error("{0}")]
    Identity(TextError),
    /// Sequence numbers must count 1, 2, 3 … without gaps: an event was removed, inserted or
    /// moved.
    #[error(
        "event at position {position} has sequence number {found}; sequence numbers count from 1 without gaps (an event was removed, inserted or moved)"
    )]
    Sequence {
        /// The position in the trail, from 1.
        position: u64,
        /// The sequence number found there.
        found: u64,
    },
    /// An event does not follow the one before it: an event was changed, removed, inserted or
    /// moved.
    #[error(
        "event {seq}: the chain is broken: it follows `{found}`, but the trail before it ends at `{expected}` (an earlier event or the header was changed, or an event removed, inserted or moved)"
    )]
    Chain {
        /// The event's sequence number.
        seq: u64,
        /// The head of the trail before it.
        expected: Head,
        /// The `prev` it carries.
        found: Head,
    },
}

/// Checks a header and its events: valid identifiers, sequence numbers from 1 without gaps,
/// each event chained to the one before (the first to the header). Returns the head.
pub(crate) fn check_chain(
    name: &str,
    version: &str,
    environment: &Environment,
    events: &[Event],
) -> Result<Head, ChainError> {
    text::check("name", name).map_err(ChainError::Identity)?;
    text::check("version", version).map_err(ChainError::Identity)?;
    continue_chain(Head::of_header(name, version, environment), 0, events)
}

/// Checks that `events` continue a trail of `revision` events that ends at `head`: sequence
/// numbers on from `revision + 1` without gaps, each event chained to the one before. Returns
/// the new head.
pub(crate) fn continue_chain(
    mut head: Head,
    revision: u64,
    events: &[Event],
) -> Result<Head, ChainError> {
    for (position, event) in (revision.saturating_add(1)..).zip(events) {
        if event.seq() != position {
            return Err(ChainError::Sequence {
                position,
                found: event.seq(),
            });
        }
        if *event.prev() != head {
            return Err(ChainError::Chain {
                seq: position,
                expected: head,
                found: *event.prev(),
            });
        }
        head = event.hash();
    }
    Ok(head)
}

impl Trail {
    /// A trail of the model `name`, `version` in `environment`, without events.
    pub(crate) fn of(name: String, version: String, environment: Environment) -> Self {
        let head = Head::of_header(&name, &version, &environment);
        Self {
            name,
            version,
            environment,
            events: Vec::new(),
            head,
            run_finished: false,
            decided: false,
        }
    }

    /// The trail of `name`, `version` in `environment` with `events`, checked: the name and
    /// version are valid identifiers, the events count 1, 2, 3 … and each is chained to the
    /// one before it (the first to the header). What a store builds from its rows. The chain
    /// proves the events are the ones whose hash is [`head`](Self::head), not that they
    /// replay, nor who wrote them: a seal and a restore check those. Nor does it prove the
    /// trail whole: a trail cut short, or with its last event edited, chains to a head of its
    /// own; only a seal over the head (or a head kept elsewhere, as the log keeps it) shows that.
    ///
    /// # Errors
    ///
    /// [`ChainError`] naming the field or the event; the events come back inside the
    /// [`Refused`].
    pub fn from_parts(
        name: impl Into<String>,
        version: impl Into<String>,
        environment: Environment,
        events: Vec<Event>,
    ) -> Result<Self, Refused<Vec<Event>, ChainError>> {
        let (name, version) = (name.into(), version.into());
        match check_chain(&name, &version, &environment, &events) {
            Ok(head) => Ok(Self {
                run_finished: events
                    .iter()
                    .any(|e| matches!(e.kind(), EventKind::RunFinished { .. })),
                decided: events
                    .iter()
                    .any(|e| matches!(e.kind(), EventKind::Decided { .. })),
                name,
                version,
                environment,
                events,
                head,
            }),
            Err(e) => Err(Refused::new(events, e)),
        }
    }

    /// The header and the events.
    pub(crate) fn into_parts(self) -> (String, String, Environment, Vec<Event>) {
        (self.name, self.version, self.environment, self.events)
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The model's version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The environment the model is for.
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// Every event, oldest first.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The hash of the last event (of the header, before the first).
    pub fn head(&self) -> Head {
        self.head
    }

    /// How many events the trail has.
    pub fn revision(&self) -> u64 {
        u64::try_from(self.events.len()).unwrap_or(u64::MAX)
    }

    /// The time of the last event, if any.
    pub fn last_at(&self) -> Option<Timestamp> {
        self.events.last().map(Event::at)
    }

    /// The fingerprint of the pipeline whose [`Run`](crate::Run) this trail is, if it is one
    /// (its first event is `run started`). A run's trail is restored with its pipeline.
    pub fn run_pipeline(&self) -> Option<&Fingerprint> {
        run_pipeline(&self.events)
    }

    /// Whether the trail is a run's.
    pub fn is_run(&self) -> bool {
        self.run_pipeline().is_some()
    }

    /// Whether the trail is a run's that finished (`run finished`): the model then takes only
    /// the moves of a deployment (deploy, supersede, roll back, reinstate, retire), never a new
    /// decision — a retraining, a revocation, a reopening belong to a run.
    pub fn is_run_finished(&self) -> bool {
        self.run_finished
    }

    /// The event that made the model its environment's current deployment (`deployed`, or
    /// `reinstated` by a rollback), if it is deployed now: none once it was superseded, rolled
    /// back from or retired.
    pub fn current_deployment(&self) -> Option<&Event> {
        current_deployment(&self.events)
    }

    /// The latest decision (`decided`: approved or rejected), if any.
    pub fn latest_decision(&self) -> Option<&Event> {
        latest_decision(&self.events)
    }

    /// The status the trail leaves the model in: the stage its last event that moves the stage
    /// entered (a failed deployment and a run's artifact, evaluation and end move none; a
    /// pending decision leaves the model under review). The status a replay of the trail
    /// gives, for a trail the transitions wrote; the replay is what checks that they did.
    pub fn status(&self) -> Status {
        status_of(&self.events)
    }

    /// Whether the trail holds a decision: [`latest_decision`](Self::latest_decision) is some,
    /// answered in constant time.
    pub fn has_decision(&self) -> bool {
        self.decided
    }

    /// Refuses `at` if it is earlier than the last event.
    pub(super) fn check_time(&self, at: Timestamp) -> Result<(), TimeWentBackwards> {
        time::check_not_before(self.last_at(), at)
    }

    /// `at`, or the last event's time if that is later: when an event whose own time is
    /// someone else's clock (a vote) is recorded.
    pub(super) fn not_before_last(&self, at: Timestamp) -> Timestamp {
        self.last_at().map_or(at, |last| last.max(at))
    }

    /// Appends an event at `at` (already checked), chained to the head.
    pub(super) fn push(&mut self, at: Timestamp, kind: EventKind) {
        let seq = self.revision().saturating_add(1);
        self.run_finished |= matches!(kind, EventKind::RunFinished { .. });
        self.decided |= matches!(kind, EventKind::Decided { .. });
        let event = Event::new(seq, at, self.head, kind);
        self.head = event.hash();
        self.events.push(event);
    }

    /// The model with this trail in `stage`, after appending an event at `at`.
    pub(super) fn advance<T: Stage>(
        mut self,
        at: Timestamp,
        kind: EventKind,
        stage: T,
    ) -> Model<T> {
        self.push(at, kind);
        Model { trail: self, stage }
    }
}

/// The pipeline of a run's events, if they are a run's.
pub(crate) fn run_pipeline(events: &[Event]) -> Option<&Fingerprint> {
    match events.first().map(Event::kind) {
        Some(EventKind::RunStarted { pipeline, .. }) => Some(pipeline),
        _ => None,
    }
}

/// The event that began the current deployment among `events`, if one is current.
pub(crate) fn current_deployment(events: &[Event]) -> Option<&Event> {
    for e in events.iter().rev() {
        match e.kind() {
            EventKind::Deployed { .. } | EventKind::Reinstated { .. } => return Some(e),
            k if ends_deployment(k) => return None,
            _ => {}
        }
    }
    None
}

/// The status `events` leave a model in (see [`Trail::status`]).
pub(crate) fn status_of(events: &[Event]) -> Status {
    use crate::policy::VerdictKind;
    for e in events.iter().rev() {
        let status = match e.kind() {
            EventKind::RunStarted { .. } => Status::Untrained,
            EventKind::Submitted { .. } | EventKind::Voted { .. } | EventKind::Reopened { .. } => {
                Status::Submitted
            }
            EventKind::Decided { verdict, .. } => match verdict.kind() {
                VerdictKind::Approve => Status::Approved,
                VerdictKind::Reject => Status::Rejected,
                VerdictKind::Pending => Status::Submitted,
            },
            EventKind::Revoked { .. } => Status::Rejected,
            EventKind::Retraining { .. } => Status::Retraining,
            EventKind::Deployed { .. } | EventKind::Reinstated { .. } => Status::Deployed,
            EventKind::Superseded { .. } | EventKind::RolledBack { .. } => Status::Superseded,
            EventKind::Retired { .. } => Status::Retired,
            EventKind::DeployFailed { .. }
            | EventKind::Artifact { .. }
            | EventKind::Evaluated { .. }
            | EventKind::RunFinished { .. } => continue,
        };
        return status;
    }
    Status::Untrained
}

/// The latest `decided` event among `events` that approved or rejected.
pub(crate) fn latest_decision(events: &[Event]) -> Option<&Event> {
    events
        .iter()
        .rev()
        .find(|e| matches!(e.kind(), EventKind::Decided { .. }))
}

/// Whether an event ends the deployment it happens to (superseded, rolled back from, retired).
pub(crate) fn ends_deployment(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Superseded { .. } | EventKind::RolledBack { .. } | EventKind::Retired { .. }
    )
}
