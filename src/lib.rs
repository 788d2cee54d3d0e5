#![doc = include_str!("../README.md")]
//!
//! # Map of the crate
//!
//! The modules are private; everything is re-exported here. They are layered, each using only
//! those before it:
//!
//! - **Values** the host builds: [`Timestamp`], identifiers (checked, see [`TextError`]),
//!   [`Metrics`], [`TrainingOutcome`] with its [`Digest`], [`Review`] and [`CountedVotes`],
//!   [`Receipt`]; and [`Refused`], which hands a refused input back.
//! - **Policies**: the [`Policy`] trait, what it sees ([`ReviewContext`]) and says ([`Verdict`],
//!   [`Finding`]; [`Policy::judge`] for the verdict alone, without allocating). Built-in rules:
//!   [`MetricGate`], [`NoRegression`], [`Quorum`], [`RequiredRole`], [`Veto`], [`Fresh`],
//!   [`when`]; composition with tuples, [`all`], [`any`], [`not`], [`PolicyExt`],
//!   [`from_fn`].
//! - **Events**: the audit trail's vocabulary ([`Event`], [`EventKind`]), hash-chained; a
//!   trail's [`Head`].
//! - **Models**: [`Model`] and its stages, the runtime [`Status`], the transitions (`submit`,
//!   `record`, `decide`, `deploy`, `retrain` …), the [`Decision`] inside an approved model, and
//!   [`AnyModel`] for a live model of any stage.
//! - **Trails**: the stored form [`StoredModel`], sealed by the host ([`Sealer`],
//!   [`SealVerifier`]; [`HmacSealer`] and [`Ed25519Sealer`] behind features), restored by
//!   verifying the chain and the seal and replaying every event through the transitions.
//! - **Pipelines**: a [`PipelineSpec`] (YAML, JSON …) validates into a [`Pipeline`]; a [`Run`]
//!   drives a model through it sans I/O and is stored and restored as its trail.
//! - **Testing** (feature `proptest`): `modelgate::testing` has strategies for every input and
//!   stage, and a law checker for your own policies.

mod event;
mod model;
mod pipeline;
mod policy;
mod trail;
mod value;

#[cfg(feature = "proptest")]
pub mod testing;

pub use event::{
    Actor, Event, EventKind, FORMAT_VERSION, Fingerprint, Head, ParseHashError, RunOutcome,
};
pub use model::{
    ActionError, AnyModel, Approved, Decided, Decision, DecisionContext, DeployError, Deployed,
    Deployer, Model, RecordError, Rejected, Retraining, Stage, Status, Submission, SubmitError,
    Submitted, Trainable, Untrained,
};
pub use pipeline::{
    Action, Approval, Artifact, DriveError, Evaluator, Finished, HookError, OnReject, Pipeline,
    PipelinePolicy, PipelineSpec, Run, RunError, SpecError, SpecErrors, SpecProblem, Step,
    StepKind, Trainer,
};
pub use policy::{
    All, Any, AutoApprove, Automatic, Comparison, Conditional, Direction, Finding, FindingValue,
    FnPolicy, Fresh, Lint, MetricGate, NoRegression, Not, Or, Policy, PolicyExt, Quorum,
    RequiredRole, ReviewContext, Tolerance, Verdict, VerdictKind, Veto, When, WhenThen, all, any,
    from_fn, not, when,
};
#[cfg(feature = "hmac")]
pub use trail::HmacSealer;
#[cfg(feature = "ed25519")]
pub use trail::{Ed25519Sealer, Ed25519Verifier, InvalidPublicKey};
pub use trail::{ReplayError, RestoreError, Seal, SealError, SealVerifier, Sealer, StoredModel};
pub use value::{
    CountedVotes, Digest, Metrics, OutcomeError, Receipt, Refused, Review, TextError, TextProblem,
    TimeWentBackwards, Timestamp, TrainingOutcome, Vote,
};
