#![doc = include_str!("../README.md")]
//!
//! # Map of the crate
//!
//! The concepts a user needs are re-exported here; every other public item lives in the module of
//! its layer (`modelgate::policy::All`, `modelgate::trail::SealError` …). The modules are
//! layered, each using only those before it:
//!
//! - [`value`]: what the host builds and hands in: [`Timestamp`], identifiers (checked, see
//!   [`value::TextError`]), [`Metrics`], [`TrainingOutcome`] with its [`Digest`], [`Review`],
//!   [`Receipt`], the [`Environment`] a model is for, the evidence of a
//!   [`Promotion`](value::Promotion); and [`Refused`], which hands a refused input back.
//! - **Signed votes** (feature `signed-votes`): `modelgate::signed` has what a reviewer signs
//!   with their own Ed25519 key, raw or with OpenSSH (`ssh-keygen -Y sign -n modelgate-vote`),
//!   and its verification against the reviewer's key (`VoteSignature::verify`);
//!   `Model::vote_statement` names the model, environment and round a vote is for. A signed
//!   vote carries its signature into the trail ([`Review::with_signature`]), and
//!   `policy::SignedVotes` counts only the votes a roster's keys signed, with the roster's roles.
//! - [`policy`]: the [`Policy`] trait, what it sees ([`ReviewContext`]) and says ([`Verdict`],
//!   [`Finding`]; [`Policy::judge`] for the verdict alone, without allocating). Built-in rules:
//!   [`MetricGate`], [`NoRegression`], [`Quorum`], [`RequiredRole`], [`DistinctRoles`] and
//!   [`Excluding`] (separation of duties), [`Veto`], [`Fresh`],
//!   [`when`]; on a promotion's evidence [`Soak`] and [`OnlineMetric`]; composition with tuples, [`all`], [`any`], [`not`], [`PolicyExt`],
//!   [`from_fn`].
//! - [`event`]: the audit trail's vocabulary ([`Event`], [`EventKind`]), hash-chained; a
//!   trail's [`Head`].
//! - [`model`]: [`Model`] and its stages, the runtime [`Status`], the transitions (`submit`,
//!   `record`, `decide`, `deploy`, `retrain`; after an approval `revoke`, `reopen`; after a
//!   deploy `promote`, `supersede`, `roll_back`, `reinstate`, `retire`) and their errors, the [`Decision`] inside an
//!   approved model, and [`AnyModel`] for a live model of any stage. Every model owns its
//!   [`Trail`] (public, read-only: only the transitions here append to it; it answers the
//!   derived questions — is it a run, its current deployment, its latest decision).
//! - [`trail`]: the stored form [`StoredModel`], sealed by the host ([`Sealer`],
//!   [`SealVerifier`]; [`HmacSealer`] and `Ed25519Sealer` behind features), restored by the one
//!   replay engine: verify the chain and the seal, then walk every event through a replayer —
//!   the model's transitions, or (for a run) the pipeline's.
//! - [`pipeline`]: a [`PipelineSpec`] (YAML, JSON …) validates into a [`Pipeline`] for one
//!   environment; a [`Run`] drives a model through it sans I/O and is stored and restored as its
//!   trail, always with its pipeline.
//! - [`registry`]: the versions of one model across its [`Environment`]s ([`Registry`]): per
//!   environment the current deployment, its champion metrics and the history of deployments;
//!   deploy (superseding the previous one), rollback, retire; stored as its members' trails
//!   (a member that is a run restored with its pipeline, from the [`PolicyBook`](registry::PolicyBook)).
//! - **Attestations** (feature `attest`): `modelgate::attest` exports an approved or deployed
//!   model as a signed in-toto attestation in a DSSE envelope (`model.attest(&signer)`), and
//!   verifies one at deploy time with the public key alone (`attest::verify`).
//! - **Testing** (feature `proptest`): `modelgate::testing` has strategies for every input and
//!   stage, and a law checker for your own policies.

pub mod event;
pub mod log;
pub mod model;
pub mod pipeline;
pub mod policy;
pub mod registry;
#[cfg(feature = "signed-votes")]
pub mod signed;
pub mod trail;
pub mod value;

#[cfg(feature = "attest")]
pub mod attest;
#[cfg(feature = "proptest")]
pub mod testing;

pub use event::{Event, EventKind, Fingerprint, Head};
pub use model::{
    AnyModel, Approved, ChainError, Decided, Decision, DecisionContext, Deployed, Deployer, Model,
    Rejected, Retired, Retraining, Status, Submitted, Superseded, Trail, Untrained,
};
pub use pipeline::{Action, Artifact, Evaluator, Pipeline, PipelineSpec, Run, RunError, Trainer};
pub use policy::{
    DistinctRoles, Excluding, Finding, Fresh, MetricGate, NoRegression, OnlineMetric, Policy,
    PolicyExt, Quorum, RequiredRole, ReviewContext, Soak, Verdict, VerdictKind, Veto, all, any,
    from_fn, not, when,
};
pub use registry::Registry;
#[cfg(feature = "ed25519")]
pub use trail::{Ed25519Sealer, Ed25519Verifier};
#[cfg(feature = "hmac")]
pub use trail::{HmacSealer, ShortHmacSecret};
pub use trail::{RestoreError, SealVerifier, Sealer, StoredModel};
pub use value::{
    Digest, Environment, Metrics, Receipt, Refused, Review, Timestamp, TrainingOutcome, Vote,
};
