//! Registries: every member of a [`Registry`] stored in its own rows (kind `member`), loaded
//! in one snapshot and restored with the books checked across members; saved in one
//! transaction with compare-and-swap on every member's head.

use std::collections::BTreeMap;

use modelgate::registry::PolicyBook;
use modelgate::trail::Seal;
use modelgate::{AnyModel, Event, Head, Registry, StoredModel};
use sqlx::Row;

use crate::error::{DatabaseError, LoadRegistryError, MembershipError, SaveRegistryError};
use crate::index::{Slot, StoredRow, index_head, read_index, stored_rows, write_index};
use crate::load::{EventRow, Loaded, Rows, check_rows};
use crate::store::{Backend, Store, Written};
use crate::trail::{KIND_MEMBER, ModelColumns};
use crate::{ModelKey, write};

/// What [`Store::save_registry`] left in the store.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SavedRegistry {
    /// Every member as stored now (its key, head and revision), by environment, then version.
    pub members: Vec<Written>,
    /// The members that were not stored before.
    pub created: Vec<ModelKey>,
    /// The stored members that had new events appended.
    pub appended: Vec<ModelKey>,
}

/// What a load of a registry reads in one snapshot: each member's rows, every models row of
/// its name (any kind), and its index row.
type MemberRows = (
    Vec<(ModelKey, Rows)>,
    BTreeMap<Slot, StoredRow>,
    Option<crate::index::IndexRow>,
);

/// The class of PostgreSQL's advisory locks that serialize saves of one registry (the object
/// is a hash of its name; two-key locks do not overlap one-key ones, such as the migration's).
pub(crate) const PG_REGISTRY_LOCK_CLASS: i32 = 0x6d67_7267; // "mgrg"

/// A stable 32-bit hash of `name` (FNV-1a): which advisory lock a save of it takes. Two names
/// with one hash only wait for each other.
pub(crate) fn lock_object(name: &str) -> i32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in name.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    i32::from_ne_bytes(hash.to_ne_bytes())
}

/// What saving a member over what is stored of its key writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// Not stored: a new row, and every event.
    Create,
    /// Stored, at the member's event `from`: the events from there on.
    Append { from: usize },
    /// Stored at the member's head: nothing.
    Unchanged,
}

/// The step for `member` over `stored` (its key's row, if any): compare-and-swap on the stored
/// head, which the member's trail must pass through.
fn step(
    key: &ModelKey,
    member: &AnyModel,
    stored: Option<&StoredRow>,
) -> Result<Step, SaveRegistryError> {
    let Some(row) = stored else {
        return Ok(Step::Create);
    };
    if row.kind != KIND_MEMBER {
        return Err(SaveRegistryError::NotAMember {
            key: key.clone(),
            kind: row.kind.clone(),
        });
    }
    let head: Head = row
        .head
        .parse()
        .map_err(|_| SaveRegistryError::BadStoredHead {
            key: key.clone(),
            head: row.head.clone(),
        })?;
    let history = member.history();
    let revision = usize::try_from(row.revision).ok();
    let passes = match revision {
        Some(0) => head == Head::of_header(member.name(), member.version(), member.environment()),
        Some(n) => {
            n.checked_sub(1)
                .and_then(|i| history.get(i))
                .map(Event::hash)
                == Some(head)
        }
        None => false,
    };
    match revision {
        Some(n) if passes && n == history.len() => Ok(Step::Unchanged),
        Some(n) if passes => Ok(Step::Append { from: n }),
        _ => Err(SaveRegistryError::Conflict {
            key: key.clone(),
            head,
            revision: u64::try_from(row.revision).unwrap_or(0),
        }),
    }
}

impl Store {
    /// Every stored member of the registry `name` (rows of kind `member`, written by
    /// [`save_registry`](Self::save_registry); runs and models stored one by one under the
    /// same name are not members), by environment, then version; each verified like
    /// [`load`](Self::load) (rows complete, chain, seal), not replayed. All are read in one
    /// snapshot, so a save committing meanwhile is seen whole or not at all. No member: an
    /// empty list.
    ///
    /// The members are checked against the registry's sealed index as by
    /// [`load_registry`](Self::load_registry). Members stored without an index are refused
    /// ([`LoadRegistryError::Unindexed`]), never listed as verified: the index's absence may
    /// be an attacker's deletion (with a member's rows); a genuine registry saved before
    /// schema version 2 is adopted once with
    /// [`adopt_unindexed_registry`](Self::adopt_unindexed_registry).
    ///
    /// # Errors
    ///
    /// [`LoadRegistryError::Unindexed`] if members are stored but no index;
    /// [`LoadRegistryError::Membership`] naming a member that is not as the sealed index
    /// holds (or an index that does not verify); [`LoadRegistryError::Member`] with the
    /// [`LoadError`](crate::LoadError) of the first member that does not verify; [`LoadRegistryError::Database`].
    pub async fn members(&self, name: &str) -> Result<Vec<Loaded<StoredModel>>, LoadRegistryError> {
        Ok(self.verified_members(name).await?.0)
    }

    /// The registry `name`, as last saved with [`save_registry`](Self::save_registry): every
    /// member read in one snapshot and checked like [`load`](Self::load) (rows complete,
    /// ending at the stored head), then handed to [`Registry::restore_members`], which
    /// restores each under its environment's policy in `book` (chain, seal, every decision
    /// decided again) and checks the books across members (at most one current deployment per
    /// environment, every replacement a member, every decision made with its environment's
    /// champion at the time, every promotion's evidence a deployment of the version where it
    /// came from).
    ///
    /// Before any member, the membership: the registry's sealed index (every member's
    /// environment, version and head, sealed by the host over the core's
    /// [`Head::of_registry`], as a [`StoredRegistry`](modelgate::registry::StoredRegistry)
    /// seals its index) is verified with the host's key, and the stored members must be
    /// exactly those it holds, each at the head it holds. So a member deleted, re-kinded,
    /// renamed, added, or put back to an older sealed copy of itself (models row and events
    /// together) is refused, naming it. What no load can see is the *whole* registry put back
    /// to an older state the host sealed (index and every member together): keep the latest
    /// index elsewhere if that matters.
    ///
    /// # Errors
    ///
    /// [`LoadRegistryError::NotFound`] if no member of `name` is stored;
    /// [`LoadRegistryError::Unindexed`] if members are stored but no index;
    /// [`LoadRegistryError::Membership`] naming a member that is missing, stored as another
    /// kind, not in the index, or at another head than the index holds (or an index that does
    /// not verify); [`LoadRegistryError::Member`] naming a member whose rows do not check;
    /// [`LoadRegistryError::Refused`] with the core's
    /// [`RegistryError`](modelgate::registry::RegistryError) (a member that does not restore,
    /// named in it, an environment without a policy in `book`, books that disagree);
    /// [`LoadRegistryError::Database`]. Nothing is returned, changed or repaired.
    pub async fn load_registry(
        &self,
        name: &str,
        book: &PolicyBook,
    ) -> Result<Registry, LoadRegistryError> {
        let mut members = Vec::new();
        for (key, rows) in self.read_members(name, false).await? {
            let (stored, _, _) =
                check_rows(&key, rows).map_err(|error| LoadRegistryError::Member { error })?;
            members.push(stored);
        }
        if members.is_empty() {
            return Err(LoadRegistryError::NotFound {
                name: name.to_owned(),
            });
        }
        Registry::restore_members(name, members, self.keys.verifier(), book).map_err(|refused| {
            LoadRegistryError::Refused {
                name: name.to_owned(),
                error: Box::new(refused.into_error()),
            }
        })
    }

    /// Saves `registry`: the store then holds exactly its members, each at its head. In one
    /// transaction over all members, the rows of the registry's name are read and locked, and
    /// for each member:
    ///
    /// - not stored: its row (kind `member`) and every event are written, its head sealed;
    /// - stored: compare-and-swap on the stored head, which the member's trail must pass
    ///   through (the registry was loaded from, or saved to, that state); the events after it
    ///   are appended and the new head sealed; none after it: unchanged, nothing written.
    ///
    /// With the members, the registry's sealed index (every member's environment, version and
    /// head, sealed over [`Head::of_registry`]) is written, compare-and-swap on the one read
    /// under the lock, after the stored rows are checked against it. Members stored without an
    /// index (the index row deleted, or saved before schema version 2) are refused, never
    /// sealed over: adopt a genuine pre-v2 registry once with
    /// [`adopt_unindexed_registry`](Self::adopt_unindexed_registry).
    ///
    /// Every stored member of the name must be in the registry. Either every member is written
    /// or none is: the books are never half-written. SQLite takes the write lock for the whole
    /// save (`BEGIN IMMEDIATE`); PostgreSQL takes a transaction-scoped advisory lock on the
    /// registry's name (so two saves of one registry, even of new members only, run one after
    /// the other) and locks its rows (`FOR UPDATE`, against a plain
    /// [`append`](Self::append) to a member). The heads are sealed before the lock is taken
    /// where the rows read before it allow.
    ///
    /// Where more than one writer moves the registry, move it with
    /// [`transact`](Self::transact), which loads, changes and saves again on a conflict.
    /// Write every move of a registry through the registry and this save; a member moved with
    /// [`append`](Self::append) or [`record_vote`](Self::record_vote) is stored (still a
    /// member), and the next save of a registry loaded before it is a
    /// [`SaveRegistryError::Conflict`].
    ///
    /// # Errors
    ///
    /// Nothing is written on any error. [`SaveRegistryError::Conflict`] naming a member whose
    /// stored trail the registry's member does not continue (another writer got there first:
    /// load the registry again, redo, save again); [`SaveRegistryError::Missing`] naming a
    /// stored member the registry does not hold; [`SaveRegistryError::NotAMember`] if a
    /// member's key holds a run or a model stored one by one;
    /// [`SaveRegistryError::BadStoredHead`]; [`SaveRegistryError::OutOfRange`],
    /// [`SaveRegistryError::Encode`] for what the database cannot hold;
    /// [`SaveRegistryError::Seal`] if the sealer fails; [`SaveRegistryError::Membership`] if
    /// the stored rows are not as the registry's sealed index holds (changed without the key:
    /// nothing is written over them), or members are stored and no index
    /// ([`MembershipError::Unindexed`]); [`SaveRegistryError::IndexSeal`] if the sealer fails on
    /// the index; [`SaveRegistryError::Database`].
    pub async fn save_registry(
        &self,
        registry: &Registry,
    ) -> Result<SavedRegistry, SaveRegistryError> {
        let name = registry.name();
        let db = |error| SaveRegistryError::Database {
            name: name.to_owned(),
            error: DatabaseError(error),
        };
        let members: Vec<(ModelKey, &AnyModel)> =
            registry.members().map(|m| (ModelKey::of(m), m)).collect();
        // Seal, before any lock, the heads of the members that the rows as they are now say
        // will be written (a sealer may be slow: a KMS, an HSM).
        let before = {
            let mut conn = self.pool.acquire().await.map_err(db)?;
            stored_rows(&mut conn, name, false).await.map_err(db)?
        };
        let mut seals = BTreeMap::new();
        for (key, member) in &members {
            if let Ok(Step::Create | Step::Append { .. }) =
                step(key, member, before.get(&slot(key)))
            {
                seals.insert(slot(key), self.seal_member(key, member)?);
            }
        }
        drop(before);
        // The index the save leaves, sealed before the lock too: every member at its head.
        let mut entries: Vec<(String, String, Head)> = members
            .iter()
            .map(|(key, member)| {
                let (environment, version) = slot(key);
                (environment, version, member.head())
            })
            .collect();
        entries.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        let index_seal = self
            .keys
            .seal(&index_head(name, &entries))
            .map(|seal| write::seal_json(&seal))
            .map_err(|error| SaveRegistryError::IndexSeal {
                name: name.to_owned(),
                error,
            })?;

        let mut tx = self.begin_write().await.map_err(db)?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
                .bind(PG_REGISTRY_LOCK_CLASS)
                .bind(lock_object(name))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        let stored = stored_rows(&mut tx, name, self.backend == Backend::Postgres)
            .await
            .map_err(db)?;
        // The rows must be as the sealed index holds them (none yet: a new registry, with no
        // member stored); nothing is written over rows changed without the key, nor over
        // members no sealed index vouches for (adopt those once, explicitly).
        let previous = match read_index(&mut tx, name, self.backend == Backend::Postgres)
            .await
            .map_err(db)?
        {
            Some(row) => {
                let index = row
                    .verify(name, self.keys.verifier())
                    .map_err(SaveRegistryError::Membership)?;
                index
                    .check(name, &stored)
                    .map_err(SaveRegistryError::Membership)?;
                Some(index)
            }
            None if stored.values().any(|row| row.kind == KIND_MEMBER) => {
                return Err(SaveRegistryError::Membership(MembershipError::Unindexed {
                    name: name.to_owned(),
                }));
            }
            None => None,
        };
        // Every check before any write: each member's compare-and-swap, then the stored
        // members the registry does not hold, then what each write needs.
        let mut plan = Vec::with_capacity(members.len());
        for (key, member) in &members {
            plan.push(step(key, member, stored.get(&slot(key)))?);
        }
        for ((environment, version), row) in &stored {
            let held = members.iter().any(|(key, _)| {
                key.environment() == environment.as_str() && key.version() == version.as_str()
            });
            if row.kind == KIND_MEMBER && !held {
                return Err(SaveRegistryError::Missing {
                    key: ModelKey::new(name, version.as_str()).in_environment(environment.as_str()),
                });
            }
        }
        let mut writes = Vec::new();
        // The latest time of a member written: the time of the index's leaf.
        let mut latest: Option<i64> = None;
        for ((key, member), step) in members.iter().zip(&plan) {
            let (create, from) = match *step {
                Step::Unchanged => continue,
                Step::Create => (true, 0),
                Step::Append { from } => (false, from),
            };
            let seal = match seals.remove(&slot(key)) {
                Some(seal) => seal,
                // The rows moved between the first read and the lock.
                None => self.seal_member(key, member)?,
            };
            let new = member.history().get(from..).unwrap_or_default();
            let rows =
                write::event_rows(new).map_err(|(seq, error)| SaveRegistryError::Encode {
                    key: key.clone(),
                    seq,
                    error,
                })?;
            let columns = ModelColumns::of(*member, new);
            let window = write::approval_validity_ms(&columns).map_err(|value| {
                SaveRegistryError::OutOfRange {
                    key: key.clone(),
                    field: "approval_validity_ms",
                    value,
                }
            })?;
            writes.push((key, *member, create, seal, rows, columns, window));
        }
        // The writes: any failure from here on (the database's) rolls all of them back.
        let mut saved = SavedRegistry {
            members: members
                .iter()
                .map(|(key, member)| Written {
                    key: key.clone(),
                    head: member.head(),
                    revision: member.revision(),
                })
                .collect(),
            created: Vec::new(),
            appended: Vec::new(),
        };
        for (key, member, create, seal, rows, columns, window) in writes {
            if create {
                let inserted =
                    write::insert_model_row(&mut tx, key, &columns, window, &seal, KIND_MEMBER)
                        .await
                        .map_err(db)?;
                if !inserted {
                    // A row of this key came in after the read (on PostgreSQL, a plain
                    // `create` takes no registry lock): refused, as it would have been.
                    return Err(self.taken_slot(&mut tx, key, member).await);
                }
                saved.created.push(key.clone());
            } else {
                write::update_model_row(&mut tx, key, &columns, &seal)
                    .await
                    .map_err(db)?;
                saved.appended.push(key.clone());
            }
            write::insert_events(&mut tx, key, &rows)
                .await
                .map_err(db)?;
            self.log_leaf(&mut tx, key, columns.leaf())
                .await
                .map_err(db)?;
            latest = latest.max(columns.leaf().2);
        }
        if previous
            .as_ref()
            .is_none_or(|index| index.entries != entries)
        {
            let revision = previous.as_ref().map(|index| index.revision);
            let written = write_index(&mut tx, name, revision, &entries, &index_seal)
                .await
                .map_err(db)?;
            if !written {
                return Err(SaveRegistryError::Membership(MembershipError::Moved {
                    name: name.to_owned(),
                }));
            }
            self.log_index(
                &mut tx,
                name,
                revision.map_or(1, |r| r + 1),
                &entries,
                latest,
            )
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(saved)
    }

    /// Why the slot of `key`, found empty, could not be taken: the row now there.
    async fn taken_slot(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        key: &ModelKey,
        member: &AnyModel,
    ) -> SaveRegistryError {
        let row = stored_rows(tx, key.name(), false)
            .await
            .map(|mut rows| rows.remove(&slot(key)));
        match row {
            Ok(row) => match step(key, member, row.as_ref()) {
                Err(refused) => refused,
                // A member stored meanwhile at a head the registry passed through: still
                // another writer's.
                Ok(_) => SaveRegistryError::Missing { key: key.clone() },
            },
            Err(error) => SaveRegistryError::Database {
                name: key.name().to_owned(),
                error: DatabaseError(error),
            },
        }
    }

    /// The host's seal over the head of `member`, as stored.
    fn seal_member(&self, key: &ModelKey, member: &AnyModel) -> Result<String, SaveRegistryError> {
        self.keys
            .seal(&member.head())
            .map(|seal| write::seal_json(&seal))
            .map_err(|error| SaveRegistryError::Seal {
                key: key.clone(),
                error,
            })
    }

    /// The rows of every member of `name`, read in one snapshot, by environment and version.
    /// The members are checked against the registry's sealed index, read in the same
    /// snapshot: [`LoadRegistryError::Unindexed`] if members are stored without one, unless
    /// `unindexed` allows it.
    pub(crate) async fn read_members(
        &self,
        name: &str,
        unindexed: bool,
    ) -> Result<Vec<(ModelKey, Rows)>, LoadRegistryError> {
        Ok(self.read_members_sealed(name, unindexed).await?.0)
    }

    /// As [`read_members`](Self::read_members), with the verified index's seal (`None` when
    /// no index is stored).
    pub(crate) async fn read_members_sealed(
        &self,
        name: &str,
        unindexed: bool,
    ) -> Result<(Vec<(ModelKey, Rows)>, Option<Seal>), LoadRegistryError> {
        let (members, rows, index) =
            self.read_member_rows(name)
                .await
                .map_err(|error| LoadRegistryError::Database {
                    name: name.to_owned(),
                    error: DatabaseError(error),
                })?;
        let seal = match index {
            Some(index) => {
                let index = index
                    .verify(name, self.keys.verifier())
                    .map_err(LoadRegistryError::Membership)?;
                index
                    .check(name, &rows)
                    .map_err(LoadRegistryError::Membership)?;
                Some(index.seal)
            }
            None if !members.is_empty() && !unindexed => {
                return Err(LoadRegistryError::Unindexed {
                    name: name.to_owned(),
                });
            }
            None => None,
        };
        Ok((members, seal))
    }

    /// The member rows of `name`, every models row of its name and its index row, in one
    /// snapshot.
    async fn read_member_rows(&self, name: &str) -> Result<MemberRows, sqlx::Error> {
        let mut tx = self.begin_read().await?;
        let index = read_index(&mut tx, name, false).await?;
        let all = stored_rows(&mut tx, name, false).await?;
        let mut members: BTreeMap<Slot, Rows> = BTreeMap::new();
        for row in sqlx::query(
            "SELECT environment, version, head, revision, seal, approval_validity_ms
             FROM modelgate_models WHERE name = $1 AND kind = $2",
        )
        .bind(name)
        .bind(KIND_MEMBER)
        .fetch_all(&mut *tx)
        .await?
        {
            members.insert(
                (row.try_get(0)?, row.try_get(1)?),
                Rows {
                    head: row.try_get(2)?,
                    revision: row.try_get(3)?,
                    seal: row.try_get(4)?,
                    approval_validity_ms: row.try_get(5)?,
                    events: Vec::new(),
                },
            );
        }
        // Every member's events in one query; each member's come in order of seq.
        for row in sqlx::query(
            "SELECT e.environment, e.version, e.seq, e.at, e.prev, e.hash, e.event, e.action,
                    e.actor
             FROM modelgate_events e JOIN modelgate_models m
               ON m.name = e.name AND m.version = e.version AND m.environment = e.environment
             WHERE e.name = $1 AND m.kind = $2
             ORDER BY e.seq",
        )
        .bind(name)
        .bind(KIND_MEMBER)
        .fetch_all(&mut *tx)
        .await?
        {
            let slot: Slot = (row.try_get(0)?, row.try_get(1)?);
            if let Some(rows) = members.get_mut(&slot) {
                rows.events.push(EventRow::read(&row, 2)?);
            }
        }
        tx.rollback().await?;
        let members = members
            .into_iter()
            .map(|((environment, version), rows)| {
                let key = ModelKey::new(name, version).in_environment(environment.as_str());
                (key, rows)
            })
            .collect();
        Ok((members, all, index))
    }
}

/// The slot of `key`.
fn slot(key: &ModelKey) -> Slot {
    (key.environment().to_owned(), key.version().to_owned())
}
