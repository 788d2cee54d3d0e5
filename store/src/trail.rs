//! What the store writes: the trail of a live model or run, and the index columns derived
//! from it.

use modelgate::event::Actor;
use modelgate::model::Stage;
use modelgate::pipeline::StepKind;
use modelgate::{AnyModel, Environment, Event, EventKind, Head, Model, Run, Status};

/// A live model or run whose trail the store can write: [`Model`] of any stage, [`AnyModel`]
/// and [`Run`] (and references to them).
///
/// The trait is sealed: only values that the transitions built (so whose events chain and
/// replay) can be stored; a record read from elsewhere is restored first.
pub trait Trail: private::Sealed {}

pub(crate) mod private {
    use super::{Environment, Event, Head, Status};

    /// The parts of a trail the store reads.
    pub trait Sealed {
        fn name(&self) -> &str;
        fn version(&self) -> &str;
        /// The environment the model is for, for its whole life (it is in every hash of its
        /// trail): part of its key, and of the header a load rebuilds.
        fn environment(&self) -> &Environment;
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
    fn environment(&self) -> &Environment {
        Model::environment(self)
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
    fn environment(&self) -> &Environment {
        AnyModel::environment(self)
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
    fn environment(&self) -> &Environment {
        Run::environment(self)
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
    fn environment(&self) -> &Environment {
        (**self).environment()
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

/// The `kind` of a run's row.
pub(crate) const KIND_RUN: &str = "run";
/// The `kind` of a model's row, written by [`Store::create`](crate::Store::create).
pub(crate) const KIND_MODEL: &str = "model";
/// The `kind` of a registry member's row, written by
/// [`Store::save_registry`](crate::Store::save_registry): the rows a registry is loaded from.
pub(crate) const KIND_MEMBER: &str = "member";

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
    /// The row of `event`, or why it cannot be stored.
    pub(crate) fn of(event: &Event) -> Result<Self, String> {
        let actor = match event.actor() {
            Actor::User(id) | Actor::Policy(id) => Some(id.to_owned()),
            _ => None,
        };
        // A time the `at` column cannot hold would be stored as another time, and the trail
        // would never load again: refuse it now.
        let at = i64::try_from(event.at().as_unix_millis()).map_err(|_| {
            format!(
                "its time ({} ms since the epoch) is past the largest the database stores ({} ms)",
                event.at().as_unix_millis(),
                i64::MAX
            )
        })?;
        Ok(Self {
            seq: to_i64(event.seq()),
            at,
            prev: event.prev().to_string(),
            hash: event.hash().to_string(),
            action: event.action(),
            actor,
            event: serde_json::to_string(event.kind()).map_err(|e| e.to_string())?,
        })
    }
}

/// The columns of a model's row after `new` events were appended to its trail: the approval
/// window of its environment (part of the header, written once; the environment's name is in
/// the key) and the index columns.
pub(crate) struct ModelColumns {
    pub(crate) revision: i64,
    pub(crate) head: String,
    pub(crate) status: String,
    /// The environment's approval window in milliseconds, if it has one. Part of the header:
    /// a load rebuilds the environment from it.
    pub(crate) approval_validity_ms: Option<u64>,
    pub(crate) kind: &'static str,
    pub(crate) last_action: Option<&'static str>,
    pub(crate) updated_at: Option<i64>,
    /// The seq of the latest event among the new ones that opened a review round (`submitted`,
    /// or `reopened`: the same submission, no votes counted yet), if any.
    pub(crate) submitted_seq: Option<i64>,
    /// The time of the latest event among the new ones that made the model its environment's
    /// current deployment (`deployed`, or `reinstated`), if any.
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
            .find(|e| {
                matches!(
                    e.kind(),
                    EventKind::Submitted { .. } | EventKind::Reopened { .. }
                )
            })
            .map(|e| to_i64(e.seq()));
        let deployed_at = new
            .iter()
            .rev()
            .find(|e| {
                matches!(
                    e.kind(),
                    EventKind::Deployed { .. } | EventKind::Reinstated { .. }
                )
            })
            .map(|e| to_i64(e.at().as_unix_millis()));
        Self {
            revision: to_i64(u64::try_from(history.len()).unwrap_or(u64::MAX)),
            head: trail.head().to_string(),
            status: trail.status().to_string(),
            approval_validity_ms: trail
                .environment()
                .approval_validity()
                .map(|w| u64::try_from(w.as_millis()).unwrap_or(u64::MAX)),
            kind: if is_run { KIND_RUN } else { KIND_MODEL },
            last_action: last.map(Event::action),
            updated_at: last.map(|e| to_i64(e.at().as_unix_millis())),
            submitted_seq,
            deployed_at,
        }
    }
}

impl ModelColumns {
    /// What the log records of this write: the head, the revision and the last event's time.
    pub(crate) fn leaf(&self) -> (&str, i64, Option<i64>) {
        (&self.head, self.revision, self.updated_at)
    }
}

/// A `u64` as a database integer (both backends store signed 64-bit integers); values past
/// `i64::MAX` (times after the year 292 million) saturate.
pub(crate) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
