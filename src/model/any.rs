//! A live model of any stage.

use super::Model;
use super::stage::{
    Approved, Deployed, Rejected, Retired, Retraining, Submitted, Superseded, Untrained,
};
use super::status::Status;
use crate::event::{Event, Head};

/// A live model in whichever stage it is: what restoring a stored model gives, and what a
/// [`Run`](crate::Run) holds. Match on it to get the typed model.
///
/// The stored form is [`StoredModel`](crate::StoredModel); the names say which is which.
#[derive(Debug, PartialEq)]
pub enum AnyModel {
    /// An untrained model.
    Untrained(Model<Untrained>),
    /// A submitted model.
    Submitted(Model<Submitted>),
    /// An approved model.
    Approved(Model<Approved>),
    /// A rejected model.
    Rejected(Model<Rejected>),
    /// A model in retraining.
    Retraining(Model<Retraining>),
    /// A deployed model.
    Deployed(Model<Deployed>),
    /// A model replaced in its environment.
    Superseded(Model<Superseded>),
    /// A retired model.
    Retired(Model<Retired>),
}

macro_rules! each {
    ($self:expr, $m:ident => $e:expr) => {
        match $self {
            AnyModel::Untrained($m) => $e,
            AnyModel::Submitted($m) => $e,
            AnyModel::Approved($m) => $e,
            AnyModel::Rejected($m) => $e,
            AnyModel::Retraining($m) => $e,
            AnyModel::Deployed($m) => $e,
            AnyModel::Superseded($m) => $e,
            AnyModel::Retired($m) => $e,
        }
    };
}

impl AnyModel {
    /// The model's status.
    pub fn status(&self) -> Status {
        each!(self, m => m.status())
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        each!(self, m => m.name())
    }

    /// The model's version.
    pub fn version(&self) -> &str {
        each!(self, m => m.version())
    }

    /// The model's environment.
    pub fn environment(&self) -> &crate::value::Environment {
        each!(self, m => m.environment())
    }

    /// The audit trail.
    pub fn history(&self) -> &[Event] {
        each!(self, m => m.history())
    }

    /// The head of the audit trail.
    pub fn head(&self) -> Head {
        each!(self, m => m.head())
    }

    /// The number of events.
    pub fn revision(&self) -> u64 {
        each!(self, m => m.revision())
    }

    /// The audit trail: the header and every event, with the questions derived from them.
    pub fn trail(&self) -> &super::Trail {
        each!(self, m => m.trail())
    }
}

macro_rules! from_stage {
    ($($stage:ident),*) => {$(
        impl From<Model<$stage>> for AnyModel {
            fn from(model: Model<$stage>) -> Self {
                Self::$stage(model)
            }
        }
    )*};
}

from_stage!(
    Untrained, Submitted, Approved, Rejected, Retraining, Deployed, Superseded, Retired
);
