#![doc = include_str!("../README.md")]
//!
//! # Map of the crate
//!
//! - [`Store`]: open ([`Store::open`]), write ([`Store::create`], [`Store::append`] with
//!   compare-and-swap on the head, [`Store::record_vote`] with bounded [`Retry`]), load
//!   ([`Store::load`], [`Store::restore`], [`Store::restore_run`]; each returns a
//!   [`Loaded`] with the head to append after), query ([`Store::awaiting_approval`],
//!   [`Store::current_deployments`], [`Store::by_status`], [`Store::unfinished_runs`],
//!   [`Store::audit_trail`]).
//! - Registries: [`Store::save_registry`] (every member of a [`modelgate::Registry`] in one
//!   transaction, compare-and-swap on each head), [`Store::load_registry`] (every member in one
//!   snapshot, its membership checked against the registry's sealed index, restored with the
//!   books checked across members), [`Store::members`]; [`MembershipError`] when the stored
//!   members are not those the index holds. [`Store::transact`] moves a registry that several
//!   writers share: load ([`Store::load_registry_or_new`]), change, save; again on a conflict.
//! - [`ModelKey`]: what a stored model is found by: its name, version and environment
//!   ([`ModelKey::new`] in the default environment, [`ModelKey::in_environment`],
//!   [`ModelKey::of`] a model).
//! - [`Store::reseal`]: every row sealed again under the host's new key after a rotation, the
//!   old seals handed back as evidence ([`Resealed`]).
//! - [`blocking::Store`]: the same for synchronous hosts.
//! - [`error`]: one error enum per operation.

mod adopt;
mod approvers;
pub mod blocking;
pub mod error;
mod export;
mod index;
mod kept_vote;
mod key;
mod listing;
mod load;
mod log;
mod log_nodes;
mod log_sequence;
mod options;
mod query;
mod registry;
mod reseal;
mod schema;
mod store;
mod trail;
mod transact;
mod verified;
mod vote;
mod write;

pub use error::{
    AdoptRegistryError, AnchorError, AppendError, ApproversError, CreateError, DatabaseError,
    LoadError, LoadRegistryError, LogError, MembershipError, OpenError, QueryError, ResealError,
    SaveRegistryError, TransactError, VoteError,
};
pub use key::{EnvironmentName, ModelKey};
pub use listing::{MAX_PAGE, Models, Page, Registries};
pub use load::Loaded;
pub use modelgate::value::DEFAULT_ENVIRONMENT;
pub use query::{Awaiting, Summary};
pub use registry::SavedRegistry;
pub use reseal::{OldSeal, Resealed, SealedRow};
pub use schema::SCHEMA_VERSION;
pub use store::{Backend, Keys, Options, Store, Written};
pub use trail::Trail;
pub use transact::Transacted;
pub use vote::{Retry, Voted};
