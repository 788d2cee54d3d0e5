//! The sealed index of a registry's members (`modelgate_registries`): which members the
//! registry has, and the head of each, sealed by the host as the core's
//! [`StoredRegistry`](modelgate::registry::StoredRegistry) seals its index
//! ([`Head::of_registry`]). Written in the transaction of every write to a member, with
//! compare-and-swap on it; checked against the models rows on every load, save and append of
//! a member, so that no member can be deleted, re-kinded, added or put back to an older sealed
//! copy of itself without the key.

use std::collections::BTreeMap;

use modelgate::Head;
use modelgate::trail::{Seal, SealVerifier};
use sqlx::{AnyConnection, Row};

use crate::ModelKey;
use crate::error::MembershipError;
use crate::trail::KIND_MEMBER;

/// `(environment, version)`: how members are ordered, in the core and here (byte order, not
/// the database's collation).
pub(crate) type Slot = (String, String);

/// A models row of a registry's name, as a save, an append or a load reads it.
pub(crate) struct StoredRow {
    pub(crate) head: String,
    pub(crate) revision: i64,
    pub(crate) kind: String,
}

/// The models rows of `name` (every kind), by environment and version; locked with
/// `FOR UPDATE` if `lock` (PostgreSQL).
pub(crate) async fn stored_rows(
    conn: &mut AnyConnection,
    name: &str,
    lock: bool,
) -> Result<BTreeMap<Slot, StoredRow>, sqlx::Error> {
    let sql = if lock {
        "SELECT environment, version, head, revision, kind FROM modelgate_models
         WHERE name = $1 FOR UPDATE"
    } else {
        "SELECT environment, version, head, revision, kind FROM modelgate_models
         WHERE name = $1"
    };
    let mut out = BTreeMap::new();
    for row in sqlx::query(sql).bind(name).fetch_all(conn).await? {
        out.insert(
            (row.try_get(0)?, row.try_get(1)?),
            StoredRow {
                head: row.try_get(2)?,
                revision: row.try_get(3)?,
                kind: row.try_get(4)?,
            },
        );
    }
    Ok(out)
}

/// The index row of a registry as stored, not yet verified.
pub(crate) struct IndexRow {
    revision: i64,
    members: String,
    seal: String,
}

/// A verified index: the members the host sealed, in order, and the row's revision.
pub(crate) struct Index {
    pub(crate) revision: i64,
    pub(crate) entries: Vec<(String, String, Head)>,
    /// The host's seal over the index head.
    pub(crate) seal: Seal,
}

/// The index row of `name`, if any; locked with `FOR UPDATE` if `lock` (PostgreSQL).
pub(crate) async fn read_index(
    conn: &mut AnyConnection,
    name: &str,
    lock: bool,
) -> Result<Option<IndexRow>, sqlx::Error> {
    let sql = if lock {
        "SELECT revision, members, seal FROM modelgate_registries WHERE name = $1 FOR UPDATE"
    } else {
        "SELECT revision, members, seal FROM modelgate_registries WHERE name = $1"
    };
    let Some(row) = sqlx::query(sql).bind(name).fetch_optional(conn).await? else {
        return Ok(None);
    };
    Ok(Some(IndexRow {
        revision: row.try_get(0)?,
        members: row.try_get(1)?,
        seal: row.try_get(2)?,
    }))
}

/// The index head of registry `name` over `entries`: the core's [`Head::of_registry`].
pub(crate) fn index_head(name: &str, entries: &[(String, String, Head)]) -> Head {
    let borrowed: Vec<(&str, &str, Head)> = entries
        .iter()
        .map(|(environment, version, head)| (environment.as_str(), version.as_str(), *head))
        .collect();
    Head::of_registry(name, &borrowed)
}

/// The head an index row's members state (as stored, not verified): what the log's leaf of the
/// index holds; `None` if they do not read.
pub(crate) fn stated_head(name: &str, members: &str) -> Option<Head> {
    let members: Vec<(String, String, String)> = serde_json::from_str(members).ok()?;
    let entries = members
        .into_iter()
        .map(|(environment, version, head)| Some((environment, version, head.parse().ok()?)))
        .collect::<Option<Vec<_>>>()?;
    Some(index_head(name, &entries))
}

/// The key under which the log holds a registry's sealed index: its name, with an empty version
/// and environment, which no model has.
pub(crate) fn index_key(name: &str) -> ModelKey {
    ModelKey::new(name, "").in_environment("")
}

impl IndexRow {
    /// An index row from its columns (as a query read them).
    pub(crate) fn from_columns(revision: i64, members: String, seal: String) -> Self {
        Self {
            revision,
            members,
            seal,
        }
    }

    /// The index of registry `name`, verified: readable, in order, and sealed by a key
    /// `verifier` trusts (a key in use: no time is known here).
    pub(crate) fn verify(
        self,
        name: &str,
        verifier: &(dyn SealVerifier + Send + Sync),
    ) -> Result<Index, MembershipError> {
        let index = self.read(name)?;
        verifier
            .verify(&index_head(name, &index.entries), &index.seal)
            .map_err(|error| MembershipError::Seal {
                name: name.to_owned(),
                error,
            })?;
        Ok(index)
    }

    /// The index of registry `name` as stored, readable and in order; its seal not verified.
    pub(crate) fn read(self, name: &str) -> Result<Index, MembershipError> {
        let unreadable = |error: String| MembershipError::Unreadable {
            name: name.to_owned(),
            error,
        };
        let raw: Vec<(String, String, String)> =
            serde_json::from_str(&self.members).map_err(|e| unreadable(e.to_string()))?;
        let mut entries = Vec::with_capacity(raw.len());
        for (environment, version, head) in raw {
            let parsed: Head = head.parse().map_err(|_| {
                unreadable(format!("the head `{}` is not a hash", head.escape_debug()))
            })?;
            if let Some((env, ver, _)) = entries.last()
                && (env, ver) >= (&environment, &version)
            {
                return Err(unreadable(format!(
                    "member `{}` in `{}` is not after the one before it",
                    version.escape_debug(),
                    environment.escape_debug()
                )));
            }
            entries.push((environment, version, parsed));
        }
        let seal: Seal =
            serde_json::from_str(&self.seal).map_err(|e| unreadable(format!("seal: {e}")))?;
        Ok(Index {
            revision: self.revision,
            entries,
            seal,
        })
    }
}

impl Index {
    /// Checks the models rows of registry `name` against the index: every member it holds is
    /// stored, as a member, at the head it holds; no other member is stored.
    pub(crate) fn check(
        &self,
        name: &str,
        rows: &BTreeMap<Slot, StoredRow>,
    ) -> Result<(), MembershipError> {
        let key = |(environment, version): (&str, &str)| {
            ModelKey::new(name, version).in_environment(environment)
        };
        for (environment, version, head) in &self.entries {
            let slot = (environment.clone(), version.clone());
            let Some(row) = rows.get(&slot) else {
                return Err(MembershipError::Missing {
                    key: key((environment, version)),
                });
            };
            if row.kind != KIND_MEMBER {
                return Err(MembershipError::Rekinded {
                    key: key((environment, version)),
                    kind: row.kind.clone(),
                });
            }
            if row.head != head.to_string() {
                return Err(MembershipError::Stale {
                    key: key((environment, version)),
                    head: row.head.clone(),
                    indexed: *head,
                });
            }
        }
        for ((environment, version), row) in rows {
            let indexed = self
                .entries
                .iter()
                .any(|(env, ver, _)| env == environment && ver == version);
            if row.kind == KIND_MEMBER && !indexed {
                return Err(MembershipError::Extra {
                    key: key((environment, version)),
                });
            }
        }
        Ok(())
    }
}

/// Writes the index of `name` with `entries` and its `seal` (stored JSON): inserted if
/// `previous` is `None`, else moved on from that revision (compare-and-swap). Whether it was
/// written (`false`: another writer got there first). The caller logs the index's leaf
/// ([`crate::Store::log_index`]).
pub(crate) async fn write_index(
    conn: &mut AnyConnection,
    name: &str,
    previous: Option<i64>,
    entries: &[(String, String, Head)],
    seal: &str,
) -> Result<bool, sqlx::Error> {
    let members: Vec<(&str, &str, String)> = entries
        .iter()
        .map(|(environment, version, head)| {
            (environment.as_str(), version.as_str(), head.to_string())
        })
        .collect();
    let members = serde_json::to_string(&members).map_err(|e| sqlx::Error::Encode(e.into()))?;
    let done =
        match previous {
            None => {
                sqlx::query(
                    "INSERT INTO modelgate_registries (name, revision, members, seal)
                 VALUES ($1, 1, $2, $3) ON CONFLICT (name) DO NOTHING",
                )
                .bind(name)
                .bind(&members)
                .bind(seal)
                .execute(conn)
                .await?
            }
            Some(revision) => sqlx::query(
                "UPDATE modelgate_registries SET revision = revision + 1, members = $2, seal = $3
                 WHERE name = $1 AND revision = $4",
            )
            .bind(name)
            .bind(&members)
            .bind(seal)
            .bind(revision)
            .execute(conn)
            .await?,
        };
    Ok(done.rows_affected() == 1)
}

impl crate::Store {
    /// Moves the member `key` to `head` in its registry's sealed index, inside the caller's
    /// transaction (which holds the member's row): the index is verified and checked against
    /// the rows first, so that the host never seals over rows changed without its key. A
    /// member of a registry without an index (deleted, or saved before schema version 2) is
    /// refused ([`MembershipError::Unindexed`]): nothing vouches for its registry's rows.
    pub(crate) async fn move_member_in_index(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        key: &ModelKey,
        head: Head,
        at: Option<i64>,
    ) -> Result<(), crate::error::AppendError> {
        use crate::error::{AppendError, DatabaseError};
        let name = key.name();
        let db = |error| AppendError::Database {
            key: key.clone(),
            error: DatabaseError(error),
        };
        let refused = |error| AppendError::Membership {
            key: key.clone(),
            error,
        };
        let lock = self.backend == crate::Backend::Postgres;
        let Some(row) = read_index(tx, name, lock).await.map_err(db)? else {
            return Err(refused(MembershipError::Unindexed {
                name: name.to_owned(),
            }));
        };
        let index = row.verify(name, self.keys.verifier()).map_err(refused)?;
        let rows = stored_rows(tx, name, false).await.map_err(db)?;
        index.check(name, &rows).map_err(refused)?;
        let mut entries = index.entries;
        for (environment, version, indexed) in &mut entries {
            if environment == key.environment() && version == key.version() {
                *indexed = head;
            }
        }
        let seal = self
            .keys
            .seal(&index_head(name, &entries))
            .map_err(|error| AppendError::Seal {
                key: key.clone(),
                error,
            })?;
        let seal = crate::write::seal_json(&seal);
        if write_index(tx, name, Some(index.revision), &entries, &seal)
            .await
            .map_err(db)?
        {
            self.log_index(tx, name, index.revision + 1, &entries, at)
                .await
                .map_err(db)
        } else {
            Err(refused(MembershipError::Moved {
                name: name.to_owned(),
            }))
        }
    }
}
