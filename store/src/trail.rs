//! What the store writes: the trail of a live model or run, and the index columns derived
//! from it.

use modelgate::event::Actor;
use modelgate::model::Stage;
use modelgate::pipeline::StepKind;
use modelgate::{AnyModel, Event, EventKind, Head, Model, Run, Status};

use crate::ModelKey;

/// A live model or run whose trail the store can write: [`Model`] of any stage, [`AnyModel`]
/// and [`Run`] (and references to them).
///
/// The trait is sealed: only values that the transitions built (so whose events chain and
/// replay) can be stored; a record read from elsewhere is restored first.
pub trait Trail: private::Sealed {}

pub(crate) mod private {
    use super::{Event, Head, Status};

    /// The parts of a trail the store reads.
    pub trait Sealed {
        fn name(&self) -> &str;
        fn version(&self) -> &str;
        fn history(&self) -> &[Event];
        fn head(&self) -> Head;
        fn status(&self) -> Status;
        /// Ids or roles that may approve it, when the trail's source knows (a run's pipeline).
        fn approvers(&self) -> Vec<String> {
            Vec::new()
        }
    }
}

impl<S: Stage> private::Sealed for Model<S> {
    fn name(&self) -> &str {
        Model::name(self)
    }
    fn version(&self) -> &str {
        Model::version(self)
    }
    fn history(&self) -> &[Event] {
        Model::history(self)
    }
    fn head(&self) -> Head {
        Model::head(self)
    }
    fn status(&self) -> Status {
        Model::status(self)
    }
}
impl<S: Stage> Trail for Model<S> {}

impl private::Sealed for AnyModel {
    fn name(&self) -> &str {
        AnyModel::name(self)
    }
    fn version(&self) -> &str {
        AnyModel::version(self)
    }
    fn history(&self) -> &[Event] {
        AnyModel::history(self)
    }
    fn head(&self) -> Head {
        AnyModel::head(self)
    }
    fn status(&self) -> Status {
        AnyModel::status(self)
    }
}
impl Trail for AnyModel {}

impl private::Sealed for Run {
    fn name(&self) -> &str {
        Run::name(self)
    }
    fn version(&self) -> &str {
        Run::version(self)
    }
    fn history(&self) -> &[Event] {
        Run::history(self)
    }
    fn head(&self) -> Head {
        Run::head(self)
    }
    fn status(&self) -> Status {
        Run::status(self)
    }
    fn approvers(&self) -> Vec<String> {
        self.pipeline()
            .steps()
            .iter()
            .filter_map(|step| match step.kind() {
                StepKind::Approval(approval) => Some(approval.approvers().to_vec()),
                _ => None,
            })
            .flatten()
            .collect()
    }
}
impl Trail for Run {}

impl<T: private::Sealed + ?Sized> private::Sealed for &T {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn version(&self) -> &str {
        (**self).version()
    }
    fn history(&self) -> &[Event] {
        (**self).history()
    }
    fn head(&self) -> Head {
        (**self).head()
    }
    fn status(&self) -> Status {
        (**self).status()
    }
    fn approvers(&self) -> Vec<String> {
        (**self).approvers()
    }
}
impl<T: Trail + ?Sized> Trail for &T {}

/// The environment a trail targets, for the `environment` column.
///
/// The core has no environments yet, so every model is in `default`. When submissions name
/// their environment, this is the one place to change: the environment of the latest
/// submission in `history` (or `model.environment()`).
pub(crate) fn environment_of(_history: &[Event]) -> &'static str {
    DEFAULT_ENVIRONMENT
}

/// The environment of every model until the core records environments.
pub const DEFAULT_ENVIRONMENT: &str = "default";

pub(crate) fn key_of(trail: &(impl Trail + ?Sized)) -> ModelKey {
    ModelKey::new(trail.name(), trail.version())
}

/// One event as a row: the event's own columns, and the index columns derived from it.
pub(crate) struct EventRow {
    pub(crate) seq: i64,
    pub(crate) at: i64,
    pub(crate) prev: String,
    pub(crate) hash: String,
    pub(crate) action: &'static str,
    pub(crate) actor: Option<String>,
    /// The JSON of the event's kind (`{"voted": {…}}`); `seq`, `at` and `prev` are columns.
    pub(crate) event: String,
}

impl EventRow {
    pub(crate) fn of(event: &Event) -> Result<Self, serde_json::Error> {
        let actor = match event.actor() {
            Actor::User(id) | Actor::Policy(id) => Some(id.to_owned()),
            _ => None,
        };
        Ok(Self {
            seq: to_i64(event.seq()),
            at: to_i64(event.at().as_unix_millis()),
            prev: event.prev().to_string(),
            hash: event.hash().to_string(),
            action: event.action(),
            actor,
            event: serde_json::to_string(event.kind())?,
        })
    }
}

/// The index columns of a model's row after `new` events were appended to its trail.
pub(crate) struct ModelColumns {
    pub(crate) revision: i64,
    pub(crate) head: String,
    pub(crate) status: String,
    pub(crate) environment: String,
    pub(crate) kind: &'static str,
    pub(crate) last_action: Option<&'static str>,
    pub(crate) updated_at: Option<i64>,
    /// The seq of the latest `submitted` event among the new ones, if any.
    pub(crate) submitted_seq: Option<i64>,
    /// The time of the latest `deployed` event among the new ones, if any.
    pub(crate) deployed_at: Option<i64>,
}

impl ModelColumns {
    pub(crate) fn of(trail: &(impl Trail + ?Sized), new: &[Event]) -> Self {
        let history = trail.history();
        let is_run = matches!(
            history.first().map(Event::kind),
            Some(EventKind::RunStarted { .. })
        );
        let last = history.last();
        let submitted_seq = new
            .iter()
            .rev()
            .find(|e| matches!(e.kind(), EventKind::Submitted { .. }))
            .map(|e| to_i64(e.seq()));
        let deployed_at = new
            .iter()
            .rev()
            .find(|e| matches!(e.kind(), EventKind::Deployed { .. }))
            .map(|e| to_i64(e.at().as_unix_millis()));
        Self {
            revision: to_i64(u64::try_from(history.len()).unwrap_or(u64::MAX)),
            head: trail.head().to_string(),
            status: trail.status().to_string(),
            environment: environment_of(history).to_owned(),
            kind: if is_run { "run" } else { "model" },
            last_action: last.map(Event::action),
            updated_at: last.map(|e| to_i64(e.at().as_unix_millis())),
            submitted_seq,
            deployed_at,
        }
    }
}

/// A `u64` as a database integer (both backends store signed 64-bit integers); values past
/// `i64::MAX` (times after the year 292 million) saturate.
pub(crate) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
