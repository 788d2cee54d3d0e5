//! Why a registry refused a move, or a stored registry its restore.

use crate::model::ActionError;
use crate::trail::{RestoreError, SealError};
use crate::value::text::esc;

/// A registry refused a move; nothing in it changed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The model is of another name than the registry's.
    #[error("model `{}` does not belong in the registry of `{}`", esc(.model), esc(.registry))]
    OtherModel {
        /// The model's name.
        model: String,
        /// The registry's.
        registry: String,
    },
    /// The model is for an environment of this name with other settings (an approval window)
    /// than the registry's members there.
    #[error(
        "the model's environment `{}` has another approval window than the registry's members there; one environment has one set of settings",
        esc(.environment)
    )]
    OtherSettings {
        /// The environment.
        environment: String,
    },
    /// No member has this version in this environment.
    #[error("no version `{}` in `{}`", esc(.version), esc(.environment))]
    NoSuchVersion {
        /// The version.
        version: String,
        /// The environment.
        environment: String,
    },
    /// Another model of this version and environment is already a member, and the given one
    /// does not continue its trail.
    #[error(
        "version `{}` in `{}` is already a member, and this model does not continue its trail",
        esc(.version),
        esc(.environment)
    )]
    NotAContinuation {
        /// The version.
        version: String,
        /// The environment.
        environment: String,
    },
    /// The model was deployed, superseded, reinstated, rolled back or retired outside the
    /// registry: those moves go through the registry, which keeps every environment's books.
    #[error(
        "version `{}` in `{}` was {action} outside the registry; deploy, roll back and retire through the registry",
        esc(.version),
        esc(.environment)
    )]
    MovedOutside {
        /// The version.
        version: String,
        /// The environment.
        environment: String,
        /// The move.
        action: &'static str,
    },
    /// A deployed (or superseded, or retired) model stays in the registry.
    #[error(
        "version `{}` in `{}` is {status}; it stays in the registry",
        esc(.version),
        esc(.environment)
    )]
    InService {
        /// The version.
        version: String,
        /// The environment.
        environment: String,
        /// Its status.
        status: crate::model::Status,
    },
    /// The model was decided with another champion than its environment's current deployment's
    /// metrics: decide members with [`Registry::decide`](super::Registry::decide) or a
    /// [`Registry::decision_context`](super::Registry::decision_context).
    #[error(
        "version `{}` in `{}` was decided (event {seq}) with another champion than the environment's deployment at the time; decide with `Registry::decide` or a `Registry::decision_context`",
        esc(.version),
        esc(.environment)
    )]
    OtherChampion {
        /// The version.
        version: String,
        /// The environment.
        environment: String,
        /// The `decided` event.
        seq: u64,
    },
    /// The promotion's evidence is not a deployment in the trail of the version in the
    /// environment it came from, of the artifact submitted (digest and offline metrics), current
    /// when the evidence was observed.
    #[error(
        "version `{}` was promoted from `{}` with evidence of a deployment its trail there does not hold, of another artifact, or that had ended when the evidence was observed",
        esc(.version),
        esc(.from)
    )]
    UnknownDeployment {
        /// The version.
        version: String,
        /// The environment it came from.
        from: String,
    },
    /// Only a submitted member is decided.
    #[error(
        "version `{}` in `{}` is {status}, not awaiting a decision",
        esc(.version),
        esc(.environment)
    )]
    NotSubmitted {
        /// The version.
        version: String,
        /// The environment.
        environment: String,
        /// Its status.
        status: crate::model::Status,
    },
    /// Only a deployed or superseded version is retired.
    #[error(
        "version `{}` in `{}` is {status}: only a deployed or superseded version is retired",
        esc(.version),
        esc(.environment)
    )]
    NotInService {
        /// The version.
        version: String,
        /// The environment.
        environment: String,
        /// Its status.
        status: crate::model::Status,
    },
    /// A move at a time before the environment's clock (the latest time the registry has seen
    /// there), or a change of deployment at it: the registry's books read in time order, so no
    /// move is dated before another, and a change of deployment is alone at its instant.
    #[error(
        "version `{}` in `{}`: {}",
        esc(.version),
        esc(.environment),
        too_early(*.at, *.clock)
    )]
    BeforeClock {
        /// The version moved.
        version: String,
        /// The environment.
        environment: String,
        /// The time of the move.
        at: crate::value::Timestamp,
        /// The environment's clock.
        clock: crate::value::Timestamp,
        /// Whether the move changes the environment's deployment (deploy, roll back, retire
        /// the current one), which must come strictly after the clock.
        change: bool,
    },
    /// The approval was decided before the environment's current deployment began, so it never
    /// saw that deployment as its champion: reopen the model and decide again.
    #[error(
        "version `{}` in `{}` was approved at `{decided_at}`, before the current deployment began at `{since}`; reopen it and decide again with the current champion",
        esc(.version),
        esc(.environment)
    )]
    StaleApproval {
        /// The version.
        version: String,
        /// The environment.
        environment: String,
        /// When it was approved.
        decided_at: crate::value::Timestamp,
        /// When the current deployment began.
        since: crate::value::Timestamp,
    },
    /// The environment has no current deployment to roll back from.
    #[error("`{}` has no current deployment", esc(.environment))]
    NothingDeployed {
        /// The environment.
        environment: String,
    },
    /// The environment had no deployment before the current one.
    #[error("`{}` has no earlier deployment to roll back to", esc(.environment))]
    NoEarlierDeployment {
        /// The environment.
        environment: String,
    },
    /// The earlier deployment was retired; it is never rolled back to.
    #[error(
        "version `{}` was retired{}: {}; it is never rolled back to",
        esc(.version),
        if *.for_cause { " for cause" } else { "" },
        esc(.reason)
    )]
    RetiredTarget {
        /// The version.
        version: String,
        /// Whether it was retired for cause.
        for_cause: bool,
        /// Why it was retired.
        reason: String,
    },
    /// The member refused the vote ([`Model::record`](crate::Model::record): another artifact,
    /// an invalid reviewer, a vote for an earlier round …).
    #[error("version `{}` in `{}`: {error}", esc(.version), esc(.environment))]
    Vote {
        /// The version.
        version: String,
        /// The environment.
        environment: String,
        /// Why (boxed: it is large, and rare).
        error: Box<crate::model::RecordError>,
    },
    /// A model refused the move (time, actor, an approval that lapsed or is not upheld …).
    #[error("version `{}` in `{}`: {error}", esc(.version), esc(.environment))]
    Refused {
        /// The version.
        version: String,
        /// The environment.
        environment: String,
        /// Why.
        error: ActionError,
    },
}

/// A stored registry (or its members stored one by one) was refused on restore or reseal;
/// nothing was changed or "repaired".
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RestoreRegistryError {
    /// The stored registry is of another format version than this crate reads.
    #[error(
        "the stored registry's format version is {found}; this version of modelgate reads format {}",
        crate::event::FORMAT_VERSION
    )]
    Format {
        /// The format version found.
        found: u32,
    },
    /// The stored registry has no seal over its index.
    #[error("the stored registry has no seal over its index")]
    Unsealed,
    /// The seal over the stored registry's index does not verify: a member was swapped, added
    /// or dropped since the host sealed it, or the key is not trusted.
    #[error("the stored registry's index: {0}")]
    Seal(SealError),
    /// A member of a stored registry does not restore.
    #[error("version `{}` in `{}` does not restore: {error}", esc(.version), esc(.environment))]
    Member {
        /// The version.
        version: String,
        /// The environment.
        environment: String,
        /// Why (boxed: a restore error is large, and the other refusals are small).
        error: Box<RestoreError>,
    },
    /// No policy was given for an environment a stored registry has members in.
    #[error("no policy for `{}`", esc(.environment))]
    NoPolicy {
        /// The environment.
        environment: String,
    },
    /// The stored registry breaks an invariant no sequence of registry moves can break.
    #[error("the stored registry is inconsistent: {}", esc(.0))]
    Inconsistent(String),
    /// The members disagree as no sequence of the registry's moves leaves them: a member of
    /// another model, a decision made with another champion than its environment's at the
    /// time, a deployment replaced by no member … (the refusal the live move would give).
    #[error(transparent)]
    Books(#[from] RegistryError),
}

/// Why a move at `at` is refused by an environment's `clock`.
fn too_early(at: crate::value::Timestamp, clock: crate::value::Timestamp) -> String {
    if at < clock {
        format!("`{at}` is before the environment's latest move at `{clock}`")
    } else {
        format!(
            "`{at}` is the instant of the environment's latest move; a change of deployment \
             comes after every earlier move"
        )
    }
}
