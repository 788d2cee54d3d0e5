//! The store for synchronous hosts: the same operations, each run to completion on a small
//! runtime the store owns.

use std::fmt;
use std::sync::Arc;

use modelgate::{AnyModel, Event, Head, Pipeline, Policy, Review, Run, Status, StoredModel};

use modelgate::Registry;
use modelgate::registry::{PolicyBook, StoredRegistry};

use crate::error::{
    AdoptRegistryError, AppendError, ApproversError, CreateError, DatabaseError, LoadError,
    LoadRegistryError, OpenError, QueryError, SaveRegistryError, TransactError, VoteError,
};
use crate::{
    Awaiting, Backend, Keys, Loaded, ModelKey, Models, Options, Page, Registries, Retry,
    SavedRegistry, Summary, Trail, Transacted, Voted, Written,
};

/// A [`Store`](crate::Store) for a synchronous host: each method blocks until the
/// operation is done. It owns a one-thread tokio runtime that drives the connections; the host
/// needs none. Share it between threads (it is `Clone`, `Send` and `Sync`).
///
/// Do not call it from async code (inside a tokio runtime): use [`crate::Store`] there.
///
/// ```
/// use modelgate::{HmacSealer, Metrics, Model, Timestamp, TrainingOutcome};
/// use modelgate_store::{blocking::Store, Keys};
/// let key = HmacSealer::new("db", *b"0123456789abcdef0123456789abcdef");
/// let store = Store::open("sqlite::memory:", Keys::new(key.clone(), key))?;
/// let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.93)])?)?;
/// let model = Model::new("churn", "1")?.submit(outcome, "alice", Timestamp::from_unix_secs(1))?;
/// let written = store.create(&model)?;
/// assert_eq!(written.revision, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Store {
    inner: crate::Store,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::Store")
            .field("backend", &self.inner.backend())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the store at `url`; see [`crate::Store::open`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::open`]; [`OpenError::Database`] if the runtime cannot start.
    pub fn open(url: &str, keys: Keys) -> Result<Store, OpenError> {
        Self::open_with(url, keys, Options::default())
    }

    /// Opens the store at `url` with `options`; see [`crate::Store::open_with`].
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open).
    pub fn open_with(url: &str, keys: Keys, options: Options) -> Result<Store, OpenError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("modelgate-store")
            .enable_all()
            .build()
            .map_err(|e| OpenError::Database(DatabaseError(sqlx::Error::Io(e))))?;
        let inner = runtime.block_on(crate::Store::open_with(url, keys, options))?;
        Ok(Store {
            inner,
            runtime: Arc::new(runtime),
        })
    }

    /// Opens (creating if needed) the SQLite file at `path`; see [`crate::Store::open_file`].
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open).
    #[cfg(feature = "sqlite")]
    pub fn open_file(path: &std::path::Path, keys: Keys) -> Result<Store, OpenError> {
        Self::open(&crate::store::sqlite_url(path), keys)
    }

    /// The async store inside, for a host that also has async parts.
    pub fn as_async(&self) -> &crate::Store {
        &self.inner
    }

    /// The database behind the store.
    pub fn backend(&self) -> Backend {
        self.inner.backend()
    }

    /// See [`crate::Store::create`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::create`].
    pub fn create(&self, model: &(impl Trail + ?Sized)) -> Result<Written, CreateError> {
        self.runtime.block_on(self.inner.create(model))
    }

    /// See [`crate::Store::append`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::append`].
    pub fn append(
        &self,
        expected: Head,
        model: &(impl Trail + ?Sized),
    ) -> Result<Written, AppendError> {
        self.runtime.block_on(self.inner.append(expected, model))
    }

    /// See [`crate::Store::set_approvers`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::set_approvers`].
    pub fn set_approvers<I, S>(&self, key: &ModelKey, approvers: I) -> Result<(), ApproversError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.runtime
            .block_on(self.inner.set_approvers(key, approvers))
    }

    /// See [`crate::Store::reseal`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::reseal`].
    pub fn reseal(&self) -> Result<crate::Resealed, crate::ResealError> {
        self.runtime.block_on(self.inner.reseal())
    }

    /// See [`crate::Store::load`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::load`].
    pub fn load(&self, key: &ModelKey) -> Result<Loaded<StoredModel>, LoadError> {
        self.runtime.block_on(self.inner.load(key))
    }

    /// See [`crate::Store::audit_trail`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::audit_trail`].
    pub fn audit_trail(&self, key: &ModelKey) -> Result<Vec<Event>, LoadError> {
        self.runtime.block_on(self.inner.audit_trail(key))
    }

    /// See [`crate::Store::restore`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::restore`].
    pub fn restore<P: Policy + ?Sized>(
        &self,
        key: &ModelKey,
        policy: &P,
    ) -> Result<Loaded<AnyModel>, LoadError> {
        self.runtime.block_on(self.inner.restore(key, policy))
    }

    /// See [`crate::Store::restore_trusting_decisions`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::restore_trusting_decisions`].
    pub fn restore_trusting_decisions(
        &self,
        key: &ModelKey,
    ) -> Result<Loaded<AnyModel>, LoadError> {
        self.runtime
            .block_on(self.inner.restore_trusting_decisions(key))
    }

    /// See [`crate::Store::restore_run`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::restore_run`].
    pub fn restore_run(
        &self,
        key: &ModelKey,
        pipeline: Pipeline,
    ) -> Result<Loaded<Run>, LoadError> {
        self.runtime.block_on(self.inner.restore_run(key, pipeline))
    }

    /// See [`crate::Store::record_vote`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::record_vote`].
    pub fn record_vote<P: Policy + ?Sized>(
        &self,
        key: &ModelKey,
        policy: &P,
        review: &Review,
        retry: &Retry,
    ) -> Result<Voted, VoteError> {
        self.runtime
            .block_on(self.inner.record_vote(key, policy, review, retry))
    }

    /// See [`crate::Store::record_run_vote`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::record_run_vote`].
    pub fn record_run_vote(
        &self,
        key: &ModelKey,
        pipeline: &Pipeline,
        review: &Review,
        retry: &Retry,
    ) -> Result<Voted, VoteError> {
        self.runtime
            .block_on(self.inner.record_run_vote(key, pipeline, review, retry))
    }

    /// See [`crate::Store::members`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::members`].
    pub fn members(&self, name: &str) -> Result<Vec<Loaded<StoredModel>>, LoadRegistryError> {
        self.runtime.block_on(self.inner.members(name))
    }

    /// See [`crate::Store::models`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::models`].
    pub fn models(&self, query: &Models) -> Result<Page<Summary, ModelKey>, QueryError> {
        self.runtime.block_on(self.inner.models(query))
    }

    /// See [`crate::Store::registries`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::registries`].
    pub fn registries(&self, query: &Registries) -> Result<Page<String, String>, QueryError> {
        self.runtime.block_on(self.inner.registries(query))
    }

    /// See [`crate::Store::export_registry`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::export_registry`].
    pub fn export_registry(&self, name: &str) -> Result<StoredRegistry, LoadRegistryError> {
        self.runtime.block_on(self.inner.export_registry(name))
    }

    /// See [`crate::Store::load_registry`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::load_registry`].
    pub fn load_registry(
        &self,
        name: &str,
        book: &PolicyBook,
    ) -> Result<Registry, LoadRegistryError> {
        self.runtime.block_on(self.inner.load_registry(name, book))
    }

    /// See [`crate::Store::load_registry_or_new`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::load_registry_or_new`].
    pub fn load_registry_or_new(
        &self,
        name: &str,
        book: &PolicyBook,
    ) -> Result<Registry, LoadRegistryError> {
        self.runtime
            .block_on(self.inner.load_registry_or_new(name, book))
    }

    /// See [`crate::Store::transact`]: the way to move a registry that more than one writer
    /// shares.
    ///
    /// # Errors
    ///
    /// As [`crate::Store::transact`].
    pub fn transact<T, E, F>(
        &self,
        name: &str,
        book: &PolicyBook,
        retry: &Retry,
        change: F,
    ) -> Result<Transacted<T>, TransactError<E>>
    where
        F: FnMut(&mut Registry) -> Result<T, E>,
    {
        self.runtime
            .block_on(self.inner.transact(name, book, retry, change))
    }

    /// See [`crate::Store::adopt_unindexed_registry`]: **trusts the stored rows**, for the
    /// one-time upgrade of a registry saved before schema version 2 only.
    ///
    /// # Errors
    ///
    /// As [`crate::Store::adopt_unindexed_registry`].
    pub fn adopt_unindexed_registry(
        &self,
        name: &str,
        book: &PolicyBook,
    ) -> Result<Registry, AdoptRegistryError> {
        self.runtime
            .block_on(self.inner.adopt_unindexed_registry(name, book))
    }

    /// See [`crate::Store::save_registry`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::save_registry`].
    pub fn save_registry(&self, registry: &Registry) -> Result<SavedRegistry, SaveRegistryError> {
        self.runtime.block_on(self.inner.save_registry(registry))
    }

    /// See [`crate::Store::awaiting_approval`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::awaiting_approval`].
    pub fn awaiting_approval(&self, filter: &Awaiting) -> Result<Vec<Summary>, QueryError> {
        self.runtime.block_on(self.inner.awaiting_approval(filter))
    }

    /// See [`crate::Store::current_deployments`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::current_deployments`].
    pub fn current_deployments(&self, name: Option<&str>) -> Result<Vec<Summary>, QueryError> {
        self.runtime.block_on(self.inner.current_deployments(name))
    }

    /// See [`crate::Store::by_status`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::by_status`].
    pub fn by_status(&self, status: Status) -> Result<Vec<Summary>, QueryError> {
        self.runtime.block_on(self.inner.by_status(status))
    }

    /// See [`crate::Store::unfinished_runs`].
    ///
    /// # Errors
    ///
    /// As [`crate::Store::unfinished_runs`].
    pub fn unfinished_runs(&self) -> Result<Vec<Summary>, QueryError> {
        self.runtime.block_on(self.inner.unfinished_runs())
    }

    /// Closes every connection; see [`crate::Store::close`].
    pub fn close(&self) {
        self.runtime.block_on(self.inner.close());
    }
}
