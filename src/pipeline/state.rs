//! Where a run stands: one enum that holds the model in its stage, nothing kept in step by hand.

use crate::event::{Event, Head};
use crate::model::{
    AnyModel, Approved, Deployed, Model, Rejected, Retraining, Submitted, Untrained,
};
use std::collections::BTreeMap;

use crate::value::Digest;
use crate::value::name::Name;

/// A model that can be given an artifact: new, or back in training.
#[derive(Debug)]
pub(crate) enum Training {
    New(Model<Untrained>),
    Again(Model<Retraining>),
}

/// The artifact collected so far, before it is submitted: its digest, the metrics of training
/// and of every test step evaluated so far, notes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Candidate {
    pub(crate) digest: Digest,
    /// Kept as a map while evaluations merge into it, so that n evaluations cost n log n.
    pub(crate) metrics: BTreeMap<Name, f64>,
    pub(crate) notes: String,
}

/// How a run ended, with its model.
#[derive(Debug, PartialEq)]
pub enum Finished {
    /// Approved and deployed.
    Deployed(Model<Deployed>),
    /// Approved; the pipeline has no deploy step.
    Approved(Model<Approved>),
    /// Rejected, and the pipeline says fail (or its attempts ran out).
    Failed(Model<Rejected>),
}

impl Finished {
    /// The model, in whichever stage the run ended.
    pub(crate) fn model(&self) -> AnyModelRef<'_> {
        match self {
            Self::Deployed(m) => AnyModelRef::Deployed(m),
            Self::Approved(m) => AnyModelRef::Approved(m),
            Self::Failed(m) => AnyModelRef::Rejected(m),
        }
    }
}

/// The run's state.
#[derive(Debug)]
pub(crate) enum State {
    /// Waiting for the artifact (trained, or handed in).
    Artifact(Training),
    /// Waiting for the evaluation of the `next`-th test step.
    Evaluate {
        model: Training,
        candidate: Candidate,
        next: usize,
    },
    /// Submitted: deciding, and waiting for votes while pending.
    Review(Model<Submitted>),
    /// Approved: waiting for the deployment.
    Deploy(Model<Approved>),
    /// Over.
    Finished(Finished),
    /// Between two statements of a move, which takes the state by value and puts the next one
    /// back. A move runs only the crate's code, never a host's: the policy (a built-in rule)
    /// judges before it, with the model borrowed, and the host's hooks run between moves. The
    /// crate's code does not panic (`clippy::panic`, `unwrap_used`, `expect_used` and
    /// `indexing_slicing` are denied), so a caller never sees this state; were a panic to unwind
    /// through a move and the host catch it, the run would be poisoned: every input refused as
    /// not expected, the accessors answering as for an empty model.
    Poisoned,
}

/// A borrowed model of any stage.
#[derive(Clone, Copy, Debug)]
pub(crate) enum AnyModelRef<'a> {
    Untrained(&'a Model<Untrained>),
    Submitted(&'a Model<Submitted>),
    Approved(&'a Model<Approved>),
    Rejected(&'a Model<Rejected>),
    Retraining(&'a Model<Retraining>),
    Deployed(&'a Model<Deployed>),
}

impl State {
    pub(crate) fn waiting_for(&self) -> &'static str {
        match self {
            Self::Artifact(_) => "an artifact",
            Self::Evaluate { .. } => "an evaluation",
            Self::Review(_) => "votes",
            Self::Deploy(_) => "the deployment",
            Self::Finished(_) => "nothing (it is finished)",
            Self::Poisoned => "nothing (it is poisoned)",
        }
    }

    pub(crate) fn model(&self) -> Option<AnyModelRef<'_>> {
        Some(match self {
            Self::Artifact(t) | Self::Evaluate { model: t, .. } => match t {
                Training::New(m) => AnyModelRef::Untrained(m),
                Training::Again(m) => AnyModelRef::Retraining(m),
            },
            Self::Review(m) => AnyModelRef::Submitted(m),
            Self::Deploy(m) => AnyModelRef::Approved(m),
            Self::Finished(f) => f.model(),
            Self::Poisoned => return None,
        })
    }

    pub(crate) fn into_model(self) -> Option<AnyModel> {
        Some(match self {
            Self::Artifact(t) | Self::Evaluate { model: t, .. } => match t {
                Training::New(m) => m.into(),
                Training::Again(m) => m.into(),
            },
            Self::Review(m) => m.into(),
            Self::Deploy(m) => m.into(),
            Self::Finished(Finished::Deployed(m)) => m.into(),
            Self::Finished(Finished::Approved(m)) => m.into(),
            Self::Finished(Finished::Failed(m)) => m.into(),
            Self::Poisoned => return None,
        })
    }
}

impl Training {
    /// Records the run's artifact on the model in training.
    pub(crate) fn record_artifact(
        &mut self,
        digest: crate::value::Digest,
        metrics: crate::value::Metrics,
        notes: String,
        by: String,
        at: crate::value::Timestamp,
    ) -> Result<(), crate::value::TimeWentBackwards> {
        match self {
            Self::New(m) => m.record_artifact(digest, metrics, notes, by, at),
            Self::Again(m) => m.record_artifact(digest, metrics, notes, by, at),
        }
    }

    /// Records the evaluation of the test step `step` on the model in training.
    pub(crate) fn record_evaluation(
        &mut self,
        step: String,
        metrics: crate::value::Metrics,
        by: String,
        at: crate::value::Timestamp,
    ) -> Result<(), crate::value::TimeWentBackwards> {
        match self {
            Self::New(m) => m.record_evaluation(step, metrics, by, at),
            Self::Again(m) => m.record_evaluation(step, metrics, by, at),
        }
    }
}

macro_rules! each_ref {
    ($self:expr, $m:ident => $e:expr) => {
        match $self {
            AnyModelRef::Untrained($m) => $e,
            AnyModelRef::Submitted($m) => $e,
            AnyModelRef::Approved($m) => $e,
            AnyModelRef::Rejected($m) => $e,
            AnyModelRef::Retraining($m) => $e,
            AnyModelRef::Deployed($m) => $e,
        }
    };
}

impl<'a> AnyModelRef<'a> {
    /// The model's status.
    pub(crate) fn status(self) -> crate::model::Status {
        each_ref!(self, m => m.status())
    }

    /// The model's name.
    pub(crate) fn name(self) -> &'a str {
        each_ref!(self, m => m.name())
    }

    /// The model's version.
    pub(crate) fn version(self) -> &'a str {
        each_ref!(self, m => m.version())
    }

    /// The audit trail.
    pub(crate) fn history(self) -> &'a [Event] {
        each_ref!(self, m => m.history())
    }

    /// The head of the audit trail.
    pub(crate) fn head(self) -> Head {
        each_ref!(self, m => m.head())
    }
}
