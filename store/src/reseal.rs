//! Sealing every row of a store again under the host's new key, after a rotation:
//! [`Store::reseal`]. The old seals come back as evidence.

use std::collections::BTreeMap;
use std::fmt;

use modelgate::trail::Seal;
use modelgate::{Head, Timestamp};
use sqlx::Row;

use crate::ModelKey;
use crate::approvers::{approvers_head, stored_approvers};
use crate::error::{DatabaseError, MembershipError, ResealError};
use crate::index::{IndexRow, index_head, read_index};
use crate::store::Store;
use crate::write::seal_json;

/// What a store sealed again ([`Store::reseal`]): the seals each row held before, with the head
/// they sealed, to keep as evidence of what the old key vouched for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resealed {
    old: Vec<OldSeal>,
}

impl Resealed {
    /// The old seals replaced, in the order resealed: each model (by name, version,
    /// environment), its approvers after it, then each registry's index. A row already sealed
    /// under the new key is not here.
    pub fn old_seals(&self) -> &[OldSeal] {
        &self.old
    }
}

/// A seal a row held before [`Store::reseal`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OldSeal {
    row: SealedRow,
    head: Head,
    seal: Seal,
}

impl OldSeal {
    /// The row it sealed.
    pub fn row(&self) -> &SealedRow {
        &self.row
    }

    /// What it sealed: a model's head, the approvers' hash, or a registry's index head.
    pub fn head(&self) -> Head {
        self.head
    }

    /// The old seal.
    pub fn seal(&self) -> &Seal {
        &self.seal
    }
}

/// A row of a store that holds a seal.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealedRow {
    /// A model's (or run's) head.
    Model(ModelKey),
    /// Who may approve a model (a reviewer's queue).
    Approvers(ModelKey),
    /// A registry's index of its members.
    Registry(String),
}

impl fmt::Display for SealedRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Model(key) => write!(f, "model `{key}`"),
            Self::Approvers(key) => write!(f, "the approvers of `{key}`"),
            Self::Registry(name) => write!(f, "the index of registry `{}`", name.escape_debug()),
        }
    }
}

/// A row's new seal, and what it must still hold when written (compare-and-swap).
enum Write {
    Model {
        key: ModelKey,
        head: Head,
        revision: u64,
        seal: String,
    },
    Approvers {
        key: ModelKey,
        old: String,
        seal: String,
    },
    Registry {
        name: String,
        revision: i64,
        seal: String,
    },
}

impl Store {
    /// Seals every row of the store again under the host's sealer (the new key, after a
    /// rotation), once each verifies under the store's verifier at its own time (give it a
    /// [`Keyring`](modelgate::trail::Keyring) with the old key retired and the new one in use):
    /// each model's record (its rows, its chain, its seal at its last event), its approvers
    /// (at its first event), each registry's index (at its latest member's last event). Then
    /// the store's queues and indexes, which verify with the keys in use only, read again.
    /// Heads, events and the log do not change: only seals.
    ///
    /// All or nothing: every row is verified first, then all are written in one transaction,
    /// each only if it has not moved since. Its cost is that of loading every model.
    ///
    /// # Errors
    ///
    /// [`ResealError`] naming the first row that does not verify, a row written meanwhile
    /// ([`ResealError::Conflict`]: run again), the sealer or the database failing. Nothing is
    /// written on any error.
    pub async fn reseal(&self) -> Result<Resealed, ResealError> {
        let db = |e| ResealError::Database(DatabaseError(e));
        let verifier = self.keys.verifier();
        let mut old = Vec::new();
        let mut writes = Vec::new();
        // The last event's time of each model, for the indexes.
        let mut last_at: BTreeMap<ModelKey, Timestamp> = BTreeMap::new();
        for key in self.model_keys().await.map_err(db)? {
            let loaded = self
                .load(&key)
                .await
                .map_err(|e| ResealError::Model(Box::new(e)))?;
            let events = loaded.model.events();
            let (Some(first), Some(last)) = (events.first(), events.last()) else {
                continue;
            };
            last_at.insert(key.clone(), last.at());
            if let Some(seal) = loaded.model.seal() {
                let new = self.keys.seal(&loaded.head).map_err(ResealError::Seal)?;
                if &new != seal {
                    old.push(OldSeal {
                        row: SealedRow::Model(key.clone()),
                        head: loaded.head,
                        seal: seal.clone(),
                    });
                    writes.push(Write::Model {
                        key: key.clone(),
                        head: loaded.head,
                        revision: loaded.revision,
                        seal: seal_json(&new),
                    });
                }
            }
            let mut tx = self.begin_read().await.map_err(db)?;
            let (text, approvers) = stored_approvers(&mut tx, &key).await.map_err(db)?;
            tx.rollback().await.map_err(db)?;
            let Some(text) = text else { continue };
            let head = approvers_head(&key, &approvers);
            let seal: Seal = serde_json::from_str(&text).map_err(|e| ResealError::Unreadable {
                what: SealedRow::Approvers(key.clone()).to_string(),
                error: e.to_string(),
            })?;
            verifier
                .verify_at(&head, &seal, first.at())
                .map_err(|error| ResealError::Approvers {
                    key: key.clone(),
                    error,
                })?;
            let new = self.keys.seal(&head).map_err(ResealError::Seal)?;
            if new != seal {
                old.push(OldSeal {
                    row: SealedRow::Approvers(key.clone()),
                    head,
                    seal,
                });
                writes.push(Write::Approvers {
                    key,
                    old: text,
                    seal: seal_json(&new),
                });
            }
        }
        for name in self.registry_names().await.map_err(db)? {
            let mut conn = self.pool.acquire().await.map_err(db)?;
            let Some(row) = read_index(&mut conn, &name, false).await.map_err(db)? else {
                continue;
            };
            drop(conn);
            let (index, at) = self.index_at(&name, row, &last_at)?;
            let head = index_head(&name, &index.entries);
            let new = self.keys.seal(&head).map_err(ResealError::Seal)?;
            if new != index.seal {
                let seal = index.seal;
                let verified = match at {
                    Some(at) => verifier.verify_at(&head, &seal, at),
                    None => verifier.verify(&head, &seal),
                };
                verified.map_err(|error| {
                    ResealError::Registry(MembershipError::Seal {
                        name: name.clone(),
                        error,
                    })
                })?;
                old.push(OldSeal {
                    row: SealedRow::Registry(name.clone()),
                    head,
                    seal,
                });
                writes.push(Write::Registry {
                    name,
                    revision: index.revision,
                    seal: seal_json(&new),
                });
            }
        }
        self.write_seals(writes).await?;
        Ok(Resealed { old })
    }

    /// Registry `name`'s index as stored, and the time its seal is checked at: its latest
    /// member's last event (none for an empty registry).
    fn index_at(
        &self,
        name: &str,
        row: IndexRow,
        last_at: &BTreeMap<ModelKey, Timestamp>,
    ) -> Result<(crate::index::Index, Option<Timestamp>), ResealError> {
        let index = row.read(name).map_err(ResealError::Registry)?;
        let mut at = None;
        for (environment, version, _) in &index.entries {
            let key = ModelKey::new(name, version.as_str()).in_environment(environment.as_str());
            let Some(&t) = last_at.get(&key) else {
                return Err(ResealError::Registry(MembershipError::Missing { key }));
            };
            at = at.max(Some(t));
        }
        Ok((index, at))
    }

    /// Every model's key, in order.
    async fn model_keys(&self) -> Result<Vec<ModelKey>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT name, version, environment FROM modelgate_models
             ORDER BY name, version, environment",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut keys = Vec::with_capacity(rows.len());
        for row in rows {
            let (name, version, environment): (String, String, String) =
                (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            keys.push(ModelKey::new(name, version).in_environment(environment.as_str()));
        }
        Ok(keys)
    }

    /// Every registry's name, in order.
    async fn registry_names(&self) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query("SELECT name FROM modelgate_registries ORDER BY name")
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|row| row.try_get(0))
            .collect()
    }

    /// Writes the new seals in one transaction, each only over the row it was made for.
    async fn write_seals(&self, writes: Vec<Write>) -> Result<(), ResealError> {
        let db = |e| ResealError::Database(DatabaseError(e));
        let mut tx = self.begin_write().await.map_err(db)?;
        for write in writes {
            let (done, what) = match write {
                Write::Model {
                    key,
                    head,
                    revision,
                    seal,
                } => {
                    let done = sqlx::query(
                        "UPDATE modelgate_models SET seal = $4
                         WHERE name = $1 AND version = $2 AND environment = $3
                           AND head = $5 AND revision = $6",
                    )
                    .bind(key.name())
                    .bind(key.version())
                    .bind(key.environment())
                    .bind(seal)
                    .bind(head.to_string())
                    .bind(i64::try_from(revision).unwrap_or(i64::MAX))
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                    (done.rows_affected(), SealedRow::Model(key))
                }
                Write::Approvers { key, old, seal } => {
                    let done = sqlx::query(
                        "UPDATE modelgate_models SET approvers_seal = $4
                         WHERE name = $1 AND version = $2 AND environment = $3
                           AND approvers_seal = $5",
                    )
                    .bind(key.name())
                    .bind(key.version())
                    .bind(key.environment())
                    .bind(seal)
                    .bind(old)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                    (done.rows_affected(), SealedRow::Approvers(key))
                }
                Write::Registry {
                    name,
                    revision,
                    seal,
                } => {
                    let done = sqlx::query(
                        "UPDATE modelgate_registries SET seal = $2
                         WHERE name = $1 AND revision = $3",
                    )
                    .bind(name.as_str())
                    .bind(seal)
                    .bind(revision)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                    (done.rows_affected(), SealedRow::Registry(name))
                }
            };
            if done != 1 {
                return Err(ResealError::Conflict {
                    what: what.to_string(),
                });
            }
        }
        tx.commit().await.map_err(db)
    }
}
