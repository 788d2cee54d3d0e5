//! One retrying path for every move of a registry: load, change, save with compare-and-swap;
//! on a conflict, again from a fresh load.

use std::collections::BTreeSet;

use modelgate::Registry;
use modelgate::registry::PolicyBook;
use sqlx::Row;

use crate::ModelKey;
use crate::error::{LoadRegistryError, SaveRegistryError, TransactError};
use crate::registry::SavedRegistry;
use crate::store::Store;
use crate::vote::Retry;

/// A change to a registry that was saved.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Transacted<T> {
    /// What the change returned, from the run that was saved.
    pub value: T,
    /// What the save left in the store.
    pub saved: SavedRegistry,
    /// How many times another writer saved the registry first before this change was saved.
    pub conflicts: u32,
}

impl Store {
    /// The registry `name` as last saved, restored as by [`load_registry`](Self::load_registry);
    /// an empty registry of that name if none is stored yet.
    ///
    /// "None stored" means no member, no sealed index, and no row of a model of that name left
    /// without its models row (an event row, a leaf of the log of heads): a registry whose
    /// index is stored but whose members are gone is refused, and so is one whose index and
    /// models rows were deleted but not the rest ([`LoadRegistryError::Remnants`]). (Every row
    /// of a registry deleted together, log leaves included, looks like a registry never stored:
    /// a checkpoint of the store's log sees it,
    /// [`load_registry_anchored`](Self::load_registry_anchored).)
    ///
    /// # Errors
    ///
    /// As [`load_registry`](Self::load_registry), except [`LoadRegistryError::NotFound`];
    /// [`LoadRegistryError::Remnants`] for rows of a registry deleted in part;
    /// [`LoadRegistryError::Refused`] with the core's error for a `name` that is not a valid
    /// registry name.
    pub async fn load_registry_or_new(
        &self,
        name: &str,
        book: &PolicyBook,
    ) -> Result<Registry, LoadRegistryError> {
        match self.load_registry(name, book).await {
            Err(LoadRegistryError::NotFound { .. }) => {
                let rows = self.remnants(name).await?;
                if rows > 0 {
                    return Err(LoadRegistryError::Remnants {
                        name: name.to_owned(),
                        rows,
                    });
                }
                Registry::new(name).map_err(|e| LoadRegistryError::Refused {
                    name: name.to_owned(),
                    error: Box::new(modelgate::registry::RestoreRegistryError::Inconsistent(
                        e.to_string(),
                    )),
                })
            }
            loaded => loaded,
        }
    }

    /// How many event rows and log leaves of models named `name` have no models row (and
    /// leaves of its sealed index, if it has none).
    async fn remnants(&self, name: &str) -> Result<u64, LoadRegistryError> {
        let count = |sql: &'static str| async move {
            sqlx::query(sql)
                .bind(name)
                .fetch_one(&self.pool)
                .await
                .and_then(|row| row.try_get::<i64, _>(0))
        };
        let events = count(
            "SELECT COUNT(*) FROM modelgate_events x WHERE x.name = $1 AND NOT EXISTS
                (SELECT 1 FROM modelgate_models m WHERE m.name = x.name
                 AND m.version = x.version AND m.environment = x.environment)",
        )
        .await;
        let leaves = count(
            "SELECT COUNT(*) FROM (SELECT name, version, environment FROM modelgate_log
                UNION ALL SELECT name, version, environment FROM modelgate_log_pending) x
             WHERE x.name = $1 AND NOT EXISTS
                (SELECT 1 FROM modelgate_models m WHERE m.name = x.name
                 AND m.version = x.version AND m.environment = x.environment)
             AND NOT (x.version = '' AND EXISTS
                (SELECT 1 FROM modelgate_registries r WHERE r.name = x.name))",
        )
        .await;
        let db = |error| LoadRegistryError::Database {
            name: name.to_owned(),
            error: crate::error::DatabaseError(error),
        };
        let (events, leaves) = (events.map_err(db)?, leaves.map_err(db)?);
        Ok(u64::try_from(events.saturating_add(leaves)).unwrap_or(0))
    }

    /// Moves the registry `name` by `change` and saves it: loads it
    /// ([`load_registry_or_new`](Self::load_registry_or_new): empty if none is stored yet),
    /// runs `change` on it and saves what it leaves ([`save_registry`](Self::save_registry),
    /// compare-and-swap on every member). If another writer saved the registry in between,
    /// it loads it again and runs `change` again on what that writer left, up to
    /// `retry.attempts` times: so no vote, decision, deployment, promotion, rollback or
    /// retirement is lost to a concurrent one, and none is saved twice. This is the way to move
    /// a registry that more than one writer shares.
    ///
    /// `change` may run more than once: it must do only what it does to the registry (and
    /// return a value). Do what happens outside (an actual deployment) before or after, and
    /// record its outcome in `change` — a receipt, through the registry's moves. Take a move's
    /// time inside `change` too (the host's clock when it runs, never before
    /// [`Registry::clock`] of the environment, and strictly after it for a change of
    /// deployment): a rerun after another writer's move must not reuse a time that move has
    /// passed, or the registry refuses it ([`RegistryError::BeforeClock`], which is the
    /// change's error, not retried).
    ///
    /// [`RegistryError::BeforeClock`]: modelgate::registry::RegistryError::BeforeClock
    ///
    /// ```no_run
    /// # async fn f(store: &modelgate_store::Store, book: &modelgate::registry::PolicyBook)
    /// # -> Result<(), Box<dyn std::error::Error>> {
    /// use modelgate::{Environment, Review, Timestamp};
    /// use modelgate_store::Retry;
    ///
    /// let staging = Environment::new("staging")?;
    /// let vote = Review::approve("bob", "sha256:7", Timestamp::from_unix_secs(1_000));
    /// store
    ///     .transact("churn", book, &Retry::default(), |registry| {
    ///         registry
    ///             .record(&staging, "7", vote.clone())
    ///             .map_err(|refused| refused.into_error())
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// Nothing is written on any error. [`TransactError::Load`] if the stored registry does
    /// not load; [`TransactError::Refused`] with `change`'s error (its last run);
    /// [`TransactError::Contended`] after `retry.attempts` conflicts in a row;
    /// [`TransactError::Save`] if the save fails for another reason.
    pub async fn transact<T, E, F>(
        &self,
        name: &str,
        book: &PolicyBook,
        retry: &Retry,
        mut change: F,
    ) -> Result<Transacted<T>, TransactError<E>>
    where
        F: FnMut(&mut Registry) -> Result<T, E>,
    {
        let attempts = retry.attempts.max(1);
        for conflicts in 0..attempts {
            let mut registry = self
                .load_registry_or_new(name, book)
                .await
                .map_err(TransactError::Load)?;
            let loaded: BTreeSet<ModelKey> = registry.members().map(ModelKey::of).collect();
            let value = change(&mut registry).map_err(|error| TransactError::Refused {
                name: name.to_owned(),
                error,
            })?;
            match self.save_registry(&registry).await {
                Ok(saved) => {
                    return Ok(Transacted {
                        value,
                        saved,
                        conflicts,
                    });
                }
                // A member stored meanwhile that this load did not hold: another writer's.
                Err(SaveRegistryError::Conflict { .. }) => retry.wait(conflicts).await,
                Err(SaveRegistryError::Missing { key }) if !loaded.contains(&key) => {
                    retry.wait(conflicts).await;
                }
                Err(e) => return Err(TransactError::Save(e)),
            }
        }
        Err(TransactError::Contended {
            name: name.to_owned(),
            attempts,
        })
    }
}
