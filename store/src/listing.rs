//! Paginated, verified listings of every model and every registry the store holds: each model
//! listed is loaded and verified (rows complete, chain, the host's seal) and described by its
//! verified trail, never by its row's columns alone.

use std::collections::{HashMap, HashSet};

use modelgate::{Environment, Event, EventKind, Status};
use sqlx::Row;

use crate::ModelKey;
use crate::error::{DatabaseError, LoadError, QueryError};
use crate::index::{IndexRow, read_index};
use crate::load::{EventRow, IndexColumns, Rows, check_rows};
use crate::query::Summary;
use crate::store::Store;
use crate::trail::{KIND_MEMBER, KIND_RUN};

/// The most items one page holds.
pub const MAX_PAGE: u32 = 1_000;

/// Which models [`Store::models`] lists, and which page: ordered by name, version and
/// environment, at most [`limit`](Self::limit) a page (100 unless set), from the first or
/// after a key (the [`next`](Page::next) of the page before).
///
/// ```
/// use modelgate::Status;
/// use modelgate_store::Models;
/// let deployed = Models::all().named("churn").with_status(Status::Deployed).limit(50);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Models {
    name: Option<String>,
    status: Option<Status>,
    after: Option<ModelKey>,
    limit: u32,
}

impl Models {
    /// Every model (runs and registry members included), first page.
    pub fn all() -> Self {
        Self {
            name: None,
            status: None,
            after: None,
            limit: 100,
        }
    }

    /// Only the models named `name`.
    #[must_use]
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Only the models in `status` (selected by the row's `status` column, each verified
    /// against its trail: see [`Store::models`]).
    #[must_use]
    pub fn with_status(mut self, status: Status) -> Self {
        self.status = Some(status);
        self
    }

    /// The page after `key` (the [`next`](Page::next) of the page before).
    #[must_use]
    pub fn after(mut self, key: ModelKey) -> Self {
        self.after = Some(key);
        self
    }

    /// At most `n` models a page, from 1 to [`MAX_PAGE`] (values outside are taken as the
    /// nearest).
    #[must_use]
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = n.clamp(1, MAX_PAGE);
        self
    }
}

/// Which registries [`Store::registries`] lists: by name, at most
/// [`limit`](Self::limit) a page (100 unless set), from the first or after a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registries {
    after: Option<String>,
    limit: u32,
}

impl Registries {
    /// Every registry, first page.
    pub fn all() -> Self {
        Self {
            after: None,
            limit: 100,
        }
    }

    /// The page after the registry `name` (the [`next`](Page::next) of the page before).
    #[must_use]
    pub fn after(mut self, name: impl Into<String>) -> Self {
        self.after = Some(name.into());
        self
    }

    /// At most `n` registries a page, from 1 to [`MAX_PAGE`] (values outside are taken as the
    /// nearest).
    #[must_use]
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = n.clamp(1, MAX_PAGE);
        self
    }
}

/// One page of a listing: its items, and where the next page starts, if there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Page<T, K> {
    /// The items, in order.
    pub items: Vec<T>,
    /// Pass to the query's `after` for the next page; `None` on the last page.
    pub next: Option<K>,
}

impl Store {
    /// One page of the models the store holds (narrowed by `query` to a name and a status),
    /// ordered by name, version and environment, each verified: the page's models rows and
    /// event rows read in one snapshot, each model's checked like [`load`](Self::load)
    /// (complete, chained, sealed by the host), and its [`Summary`] taken from the verified
    /// trail (status, head, revision, times, whether it is a run). A row whose columns say
    /// otherwise than its trail (a status, a time, a kind edited without the key) is refused,
    /// naming the model and the column. With a status, rows are selected by their `status`
    /// column, so a row edited *to* that status is refused and one edited *away* from it can
    /// hide a model from the list (as a deleted row can), never put one in it. A page costs
    /// the same however many models the store holds (keyset pages; two queries), and is linear
    /// in its models' events (each trail is read to verify it).
    ///
    /// A model written between two pages is listed on the page its key falls on.
    ///
    /// # Errors
    ///
    /// [`QueryError::Trail`] naming a model whose rows do not verify (as in
    /// [`load`](Self::load)); [`QueryError::Disagrees`] naming a model and the column that
    /// does not say what its trail says; [`QueryError::Database`].
    pub async fn models(&self, query: &Models) -> Result<Page<Summary, ModelKey>, QueryError> {
        let (mut page, indexes, more) = self
            .read_page(query)
            .await
            .map_err(|e| QueryError::Database(DatabaseError(e)))?;
        // Which of the page's models are registry members: the sealed indexes say, not the
        // rows' `kind` column.
        let mut members = HashSet::new();
        for (name, index) in indexes {
            let index = index
                .verify(&name, self.keys.verifier())
                .map_err(QueryError::Membership)?;
            members.extend(index.entries.into_iter().map(|(env, version, _)| {
                ModelKey::new(name.as_str(), version).in_environment(env.as_str())
            }));
        }
        let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
        page.truncate(limit);
        let next = if more {
            page.last().map(|(key, _, _)| key.clone())
        } else {
            None
        };
        let mut items = Vec::with_capacity(page.len());
        for (key, rows, columns) in page {
            let member = members.contains(&key);
            items.push(self.verified_summary(&key, rows, &columns, member)?);
        }
        Ok(Page { items, next })
    }

    /// The models rows of `query`'s page (one more than its limit, to know whether another
    /// page follows), the event rows of the page's models and the index rows of the registries
    /// they may belong to, in one snapshot.
    #[allow(clippy::type_complexity)]
    async fn read_page(
        &self,
        query: &Models,
    ) -> Result<
        (
            Vec<(ModelKey, Rows, IndexColumns)>,
            Vec<(String, IndexRow)>,
            bool,
        ),
        sqlx::Error,
    > {
        let mut params: Vec<String> = Vec::new();
        let mut param = |value: &str| {
            params.push(value.to_owned());
            format!("${}", params.len())
        };
        let mut filter = String::from("1 = 1");
        if let Some(name) = &query.name {
            filter.push_str(&format!(" AND name = {}", param(name)));
        }
        if let Some(status) = query.status {
            filter.push_str(&format!(" AND status = {}", param(&status.to_string())));
        }
        if let Some(after) = &query.after {
            let (n, v, e) = (
                param(after.name()),
                param(after.version()),
                param(after.environment()),
            );
            filter.push_str(&format!(
                " AND (name, version, environment) > ({n}, {v}, {e})"
            ));
        }
        let order = "ORDER BY name, version, environment";
        let models = format!(
            "SELECT name, version, environment, head, revision, seal, approval_validity_ms,
                    status, updated_at, deployed_at, kind
             FROM modelgate_models WHERE {filter} {order} LIMIT {}",
            query.limit + 1
        );
        let events = format!(
            "SELECT e.name, e.version, e.environment, e.seq, e.at, e.prev, e.hash, e.event,
                    e.action, e.actor
             FROM modelgate_events e JOIN (SELECT name, version, environment
                 FROM modelgate_models WHERE {filter} {order} LIMIT {}) m
               ON e.name = m.name AND e.version = m.version AND e.environment = m.environment
             ORDER BY e.seq",
            query.limit
        );
        let registries = format!(
            "SELECT name, revision, members, seal FROM modelgate_registries WHERE name IN
                 (SELECT name FROM modelgate_models WHERE {filter} {order} LIMIT {})",
            query.limit
        );
        let mut tx = self.begin_read().await?;
        let mut q = sqlx::query(&models);
        for p in &params {
            q = q.bind(p.as_str());
        }
        let mut page = Vec::new();
        let mut at = HashMap::new();
        for row in q.fetch_all(&mut *tx).await? {
            let key = ModelKey::new(row.try_get::<String, _>(0)?, row.try_get::<String, _>(1)?)
                .in_environment(row.try_get::<String, _>(2)?.as_str());
            at.insert(key.clone(), page.len());
            page.push((
                key,
                Rows {
                    head: row.try_get(3)?,
                    revision: row.try_get(4)?,
                    seal: row.try_get(5)?,
                    approval_validity_ms: row.try_get(6)?,
                    events: Vec::new(),
                },
                IndexColumns {
                    status: row.try_get(7)?,
                    updated_at: row.try_get(8)?,
                    deployed_at: row.try_get(9)?,
                    kind: row.try_get(10)?,
                },
            ));
        }
        let mut q = sqlx::query(&events);
        for p in &params {
            q = q.bind(p.as_str());
        }
        for row in q.fetch_all(&mut *tx).await? {
            let key = ModelKey::new(row.try_get::<String, _>(0)?, row.try_get::<String, _>(1)?)
                .in_environment(row.try_get::<String, _>(2)?.as_str());
            if let Some((_, rows, _)) = at.get(&key).and_then(|&i| page.get_mut(i)) {
                rows.events.push(EventRow::read(&row, 3)?);
            }
        }
        let mut q = sqlx::query(&registries);
        for p in &params {
            q = q.bind(p.as_str());
        }
        let mut indexes = Vec::new();
        for row in q.fetch_all(&mut *tx).await? {
            indexes.push((
                row.try_get(0)?,
                IndexRow::from_columns(row.try_get(1)?, row.try_get(2)?, row.try_get(3)?),
            ));
        }
        tx.rollback().await?;
        let more = page.len() > usize::try_from(query.limit).unwrap_or(usize::MAX);
        Ok((page, indexes, more))
    }

    /// The summary of `key` from its verified trail, checked against its row's columns (read
    /// in the same snapshot); `member` if its registry's verified index holds it.
    fn verified_summary(
        &self,
        key: &ModelKey,
        rows: Rows,
        columns: &IndexColumns,
        member: bool,
    ) -> Result<Summary, QueryError> {
        let trail = |error: LoadError| QueryError::Trail {
            error: Box::new(error),
        };
        let (stored, head, revision) = check_rows(key, rows).map_err(trail)?;
        stored.verify(self.keys.verifier()).map_err(|error| {
            trail(LoadError::Refused {
                key: key.clone(),
                error: Box::new(error),
            })
        })?;
        let events = stored.events();
        let status = stored.status();
        let updated_at = events.last().map(Event::at);
        let deployed_at = events
            .iter()
            .rev()
            .find(|e| {
                matches!(
                    e.kind(),
                    EventKind::Deployed { .. } | EventKind::Reinstated { .. }
                )
            })
            .map(Event::at);
        let is_run = stored.run_pipeline().is_some();
        let millis = |t: Option<modelgate::Timestamp>| {
            t.map(|t| t.as_unix_millis().to_string())
                .unwrap_or_default()
        };
        let stored_millis = |t: Option<i64>| t.map(|t| t.to_string()).unwrap_or_default();
        let checks = [
            ("status", columns.status.clone(), status.to_string()),
            (
                "updated_at",
                stored_millis(columns.updated_at),
                millis(updated_at),
            ),
            (
                "deployed_at",
                stored_millis(columns.deployed_at),
                millis(deployed_at),
            ),
            (
                "kind",
                columns.kind.clone(),
                if member {
                    KIND_MEMBER.to_owned()
                } else if is_run {
                    KIND_RUN.to_owned()
                } else {
                    crate::trail::KIND_MODEL.to_owned()
                },
            ),
        ];
        if let Some((column, row, trail)) = checks.into_iter().find(|(_, row, trail)| row != trail)
        {
            return Err(QueryError::Disagrees {
                key: key.clone(),
                column,
                row,
                trail,
            });
        }
        let environment: Environment = stored.environment().clone();
        Ok(Summary {
            key: key.clone(),
            status,
            environment,
            head,
            revision,
            updated_at,
            deployed_at,
            is_run,
            is_member: member,
        })
    }

    /// One page of the registries the store holds (those with a sealed index), by name, each
    /// index verified with the host's key.
    ///
    /// # Errors
    ///
    /// [`QueryError::Membership`] naming a registry whose sealed index does not verify;
    /// [`QueryError::Database`].
    pub async fn registries(&self, query: &Registries) -> Result<Page<String, String>, QueryError> {
        let db = |e| QueryError::Database(DatabaseError(e));
        let sql = format!(
            "SELECT name FROM modelgate_registries WHERE ($1 IS NULL OR name > $1)
             ORDER BY name LIMIT {}",
            query.limit + 1
        );
        let mut names: Vec<String> = sqlx::query(&sql)
            .bind(query.after.as_deref())
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(|row| row.try_get(0))
            .collect::<Result<_, _>>()
            .map_err(db)?;
        let more = names.len() > query.limit as usize;
        names.truncate(query.limit as usize);
        let next = if more { names.last().cloned() } else { None };
        let mut items = Vec::with_capacity(names.len());
        for name in names {
            let mut conn = self.pool.acquire().await.map_err(db)?;
            let Some(index) = read_index(&mut conn, &name, false).await.map_err(db)? else {
                continue;
            };
            index
                .verify(&name, self.keys.verifier())
                .map_err(QueryError::Membership)?;
            items.push(name);
        }
        Ok(Page { items, next })
    }
}
