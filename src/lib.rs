#![doc = include_str!("../README.md")]
//!
//! # Map of the crate
//!
//! - Lifecycle: [`Model`] and its stages [`Untrained`], [`Submitted`], [`Approved`], [`Rejected`],
//!   [`Retraining`], [`Deployed`]; the runtime [`Status`].
//! - Inputs the host builds: [`TrainingOutcome`] (with [`Metrics`] and a [`Digest`]), [`Review`],
//!   [`DecisionContext`], [`Timestamp`], and a [`Deployer`] hook returning a [`Receipt`].
//! - Policies: the [`Policy`] trait, what it sees ([`ReviewContext`]) and says ([`Verdict`],
//!   [`Finding`]; [`Policy::judge`] for the verdict alone, without allocating). Built-in rules:
//!   [`MetricGate`] (at least, at most, above, below), [`NoRegression`] against a champion,
//!   [`Quorum`], [`RequiredRole`], [`Veto`] (the submitter's vote never counts), [`Fresh`] (a vote
//!   window), [`when`] for conditions and automatic approval. Composition: tuples and
//!   [`all`] ("all of"), [`any`], [`not`], [`PolicyExt`] (`and`, `or`, `not`, `lints`),
//!   [`from_fn`] for closures.
//! - Records: the audit trail ([`Event`]), the [`Decision`] inside an approved model, and
//!   [`AnyModel`] for storage with checked [`AnyModel::restore`].
//! - Pipelines: a [`PipelineSpec`] (YAML, JSON …) validates into a [`Pipeline`] (every problem
//!   at once, as [`SpecErrors`]); a [`Run`] drives a model through it sans I/O — poll an
//!   [`Action`], hand results back — and saves itself as a [`Checkpoint`]; [`Trainer`],
//!   [`Evaluator`] and [`Deployer`] hooks let a synchronous host [`Run::drive`] it.
//! - Errors: one type per operation; a failed transition hands the model back inside a
//!   [`TransitionError`].
//! - Testing (feature `proptest`): `modelgate::testing` has strategies for every input and stage, and a
//!   law checker for your own policies.

mod audit;
mod decide;
mod decision;
mod deploy;
mod error;
mod model;
mod outcome;
mod persist;
mod pipeline;
mod policy;
mod record;
mod replay;
mod retrain;
mod review;
mod stage;
mod submit;
mod text;
mod time;

#[cfg(feature = "proptest")]
pub mod testing;

pub use audit::{Actor, Event, EventKind};
pub use decide::{Decided, DecisionContext};
pub use decision::Decision;
pub use deploy::{DeployError, Deployer, Receipt};
pub use error::TransitionError;
pub use model::Model;
pub use outcome::{Digest, Metrics, OutcomeError, TrainingOutcome};
pub use persist::{AnyModel, FORMAT_VERSION, RestoreError, Restored};
pub use pipeline::{
    Action, Approval, Checkpoint, CheckpointError, DriveError, Evaluator, Finished, HookError,
    OnReject, Pipeline, PipelinePolicy, PipelineSpec, Run, RunError, SpecError, SpecErrors,
    SpecProblem, Step, StepKind, Trained, Trainer,
};
pub use policy::{
    All, Any, AutoApprove, Automatic, Comparison, Conditional, Direction, Eligibility, Finding,
    FnPolicy, Fresh, Lint, MetricGate, NoRegression, Not, Or, Policy, PolicyExt, Quorum,
    RequiredRole, ReviewContext, Tolerance, Value, Verdict, VerdictKind, Veto, When, WhenThen, all,
    any, from_fn, not, when,
};
pub use record::RecordError;
pub use replay::TrailError;
pub use review::{CountedVotes, Review, Vote};
pub use stage::{
    Approved, Deployed, Rejected, Retraining, Stage, Status, Submission, Submitted, Untrained,
};
pub use submit::{SubmitError, Trainable};
pub use text::{TextError, TextProblem};
pub use time::{TimeWentBackwards, Timestamp};
