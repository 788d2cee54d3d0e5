//! The one-time adoption of a registry stored without a sealed index (saved before schema
//! version 2): the only write that seals an index over member rows no sealed index vouched
//! for, and so the one that trusts them.

use modelgate::Registry;
use modelgate::registry::PolicyBook;

use crate::Store;
use crate::error::{AdoptRegistryError, DatabaseError, LoadRegistryError};
use crate::index::{Index, index_head, read_index, stored_rows, write_index};
use crate::load::check_rows;
use crate::registry::PG_REGISTRY_LOCK_CLASS;
use crate::store::Backend;
use crate::write;

impl Store {
    /// **Trusts the stored rows.** Adopts the registry `name`, stored without a sealed index
    /// (saved before schema version 2), by sealing an index over the members stored now: for
    /// the one-time upgrade only, on a database you know no one has tampered with since.
    ///
    /// What it checks: each member's rows like [`load`](Self::load) (rows complete, chain, the
    /// seal over its head), then the members restored as a registry with
    /// [`Registry::restore_members`] under `book` (every decision decided again, the books
    /// checked across members). What it cannot check, and takes on trust: that the stored
    /// members are *all* the registry's members. Before this call no sealed index says which
    /// members there are, so a member deleted whole (its models row and events: a champion,
    /// say) is not seen, and the index sealed here makes that deletion the registry's sealed
    /// state. That is why every other route ([`load_registry`](Self::load_registry),
    /// [`members`](Self::members), [`save_registry`](Self::save_registry),
    /// [`append`](Self::append) and [`record_vote`](Self::record_vote) to a member) refuses a
    /// registry without an index: an index deleted after the upgrade is an attack, not an
    /// upgrade. Call this once per pre-v2 registry, from an operator's upgrade step, never
    /// from a route that handles [`LoadRegistryError::Unindexed`] automatically.
    ///
    /// The index is written in one transaction (compare-and-swap: there must still be none),
    /// over exactly the member rows that were verified, each at the head verified; if the rows
    /// moved meanwhile, nothing is written. Returns the registry as adopted.
    ///
    /// # Errors
    ///
    /// Nothing is written on any error. [`AdoptRegistryError::Indexed`] if the registry has a
    /// sealed index (nothing to adopt); [`AdoptRegistryError::Load`] with
    /// [`LoadRegistryError::NotFound`] if no member is stored,
    /// [`LoadRegistryError::Member`] naming a member whose rows do not check, or
    /// [`LoadRegistryError::Refused`] if the members do not restore under `book`;
    /// [`AdoptRegistryError::Membership`] if the member rows changed before the write;
    /// [`AdoptRegistryError::Seal`] if the sealer fails; [`AdoptRegistryError::Database`].
    pub async fn adopt_unindexed_registry(
        &self,
        name: &str,
        book: &PolicyBook,
    ) -> Result<Registry, AdoptRegistryError> {
        let db = |error| AdoptRegistryError::Database {
            name: name.to_owned(),
            error: DatabaseError(error),
        };
        let indexed = || AdoptRegistryError::Indexed {
            name: name.to_owned(),
        };
        let load = AdoptRegistryError::Load;
        let mut members = Vec::new();
        let rows = match self.read_members(name, true).await {
            Ok(rows) => rows,
            // An index that exists (valid or not) is never replaced by an adoption.
            Err(LoadRegistryError::Membership(_)) => return Err(indexed()),
            Err(error) => return Err(load(error)),
        };
        for (key, rows) in rows {
            let (stored, _, _) = check_rows(&key, rows)
                .map_err(|error| load(LoadRegistryError::Member { error }))?;
            members.push(stored);
        }
        if members.is_empty() {
            return Err(load(LoadRegistryError::NotFound {
                name: name.to_owned(),
            }));
        }
        let registry = Registry::restore_members(name, members, self.keys.verifier(), book)
            .map_err(|refused| {
                load(LoadRegistryError::Refused {
                    name: name.to_owned(),
                    error: Box::new(refused.into_error()),
                })
            })?;
        let mut entries: Vec<_> = registry
            .members()
            .map(|m| {
                let environment = m.environment().name().to_owned();
                (environment, m.version().to_owned(), m.head())
            })
            .collect();
        entries.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        let seal = self
            .keys
            .seal(&index_head(name, &entries))
            .map_err(|error| AdoptRegistryError::Seal {
                name: name.to_owned(),
                error,
            })?;

        let postgres = self.backend == Backend::Postgres;
        let mut tx = self.begin_write().await.map_err(db)?;
        if postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
                .bind(PG_REGISTRY_LOCK_CLASS)
                .bind(crate::registry::lock_object(name))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        if read_index(&mut tx, name, postgres)
            .await
            .map_err(db)?
            .is_some()
        {
            return Err(indexed());
        }
        // Exactly the rows verified above, each at the head verified: the index about to be
        // sealed must hold the rows as they are under the lock.
        let stored = stored_rows(&mut tx, name, postgres).await.map_err(db)?;
        let adopted = Index {
            revision: 0,
            entries,
            seal,
        };
        adopted
            .check(name, &stored)
            .map_err(AdoptRegistryError::Membership)?;
        if !write_index(
            &mut tx,
            name,
            None,
            &adopted.entries,
            &write::seal_json(&adopted.seal),
        )
        .await
        .map_err(db)?
        {
            return Err(indexed());
        }
        self.log_index(&mut tx, name, 1, &adopted.entries, None)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(registry)
    }
}
