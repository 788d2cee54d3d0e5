//! The store: opening, creating and appending with compare-and-swap on the head.

use std::fmt;

use modelgate::{Environment, Event, Head, Status};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Row};

use crate::error::{AppendError, CreateError, DatabaseError, OpenError};
use crate::trail::{KIND_MEMBER, ModelColumns, Trail};
use crate::{ModelKey, schema, write};

pub use crate::options::{Backend, Keys, Options};

/// What a write left in the store: the model's new head and revision (pass the head to the
/// next [`append`](Store::append)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// The model's key.
    pub key: ModelKey,
    /// The stored head.
    pub head: Head,
    /// The stored revision: the number of events.
    pub revision: u64,
}

/// A model store on SQLite or PostgreSQL: one row per event, one row per model holding its
/// head and the host's seal over it. Writes are compare-and-swap on the head; loads verify the
/// chain, the seal and the head before anything is returned.
///
/// Cheap to clone (a connection pool and the keys); share it between tasks.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    pub(crate) keys: Keys,
    /// Whether writes append to the log of heads ([`Options::log_heads`]).
    pub(crate) log_heads: bool,
    /// The models this store verified and wrote last ([`Options::verified_models`]).
    pub(crate) verified: std::sync::Arc<crate::verified::Verified>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

fn install_drivers() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // If the host installed sqlx's drivers already, theirs are used; a backend missing from
        // them shows as a connection error naming the URL's scheme.
        let _ = sqlx::any::install_drivers(&[
            #[cfg(feature = "sqlite")]
            sqlx::sqlite::any::DRIVER,
            #[cfg(feature = "postgres")]
            sqlx::postgres::any::DRIVER,
        ]);
    });
}

/// The backend a URL names, if this build has it.
fn backend_of(url: &str) -> Option<Backend> {
    if url.starts_with("sqlite:") && cfg!(feature = "sqlite") {
        Some(Backend::Sqlite)
    } else if (url.starts_with("postgres://") || url.starts_with("postgresql://"))
        && cfg!(feature = "postgres")
    {
        Some(Backend::Postgres)
    } else {
        None
    }
}

/// A URL without the password between `:` and `@` of its authority, for error messages.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

impl Store {
    /// Opens the store at `url` with default [`Options`], creating its tables (or migrating
    /// them) if needed:
    ///
    /// - `sqlite::memory:`: a new database in memory, gone when the store is dropped;
    /// - `sqlite://path/to/models.db?mode=rwc`: a file (created with `mode=rwc`), in WAL mode;
    ///   or use [`open_file`](Self::open_file);
    /// - `postgres://user:password@host:port/database` (feature `postgres`).
    ///
    /// # Errors
    ///
    /// [`OpenError::UnsupportedUrl`] for a URL of another database (or of a backend whose
    /// feature is off); [`OpenError::NewerSchema`] for a database written by a newer version
    /// of this crate; [`OpenError::Database`] if connecting or migrating fails.
    pub async fn open(url: &str, keys: Keys) -> Result<Store, OpenError> {
        Self::open_with(url, keys, Options::default()).await
    }

    /// Opens (creating if needed) the SQLite database file at `path`.
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open).
    #[cfg(feature = "sqlite")]
    pub async fn open_file(path: &std::path::Path, keys: Keys) -> Result<Store, OpenError> {
        Self::open_with(&sqlite_url(path), keys, Options::default()).await
    }

    /// Opens the store at `url` (see [`open`](Self::open)) with `options`.
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open).
    pub async fn open_with(url: &str, keys: Keys, options: Options) -> Result<Store, OpenError> {
        install_drivers();
        let backend =
            backend_of(url).ok_or_else(|| OpenError::UnsupportedUrl { url: redact(url) })?;
        let connect: AnyConnectOptions = url
            .parse()
            .map_err(|e| OpenError::Database(DatabaseError(e)))?;
        let in_memory =
            backend == Backend::Sqlite && (url.contains(":memory:") || url.contains("mode=memory"));
        let mut pool = AnyPoolOptions::new()
            .max_connections(if in_memory {
                1
            } else {
                options.max_connections
            })
            .acquire_timeout(options.timeout);
        if in_memory {
            // The database lives as long as its one connection: never close it.
            pool = pool
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        }
        if backend == Backend::Sqlite {
            let busy = format!("PRAGMA busy_timeout = {}", options.timeout.as_millis());
            pool = pool.after_connect(move |conn, _| {
                let busy = busy.clone();
                Box::pin(async move {
                    sqlx::query(&busy).execute(&mut *conn).await?;
                    sqlx::query("PRAGMA foreign_keys = ON")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA synchronous = FULL")
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            });
        }
        let pool = pool
            .connect_with(connect)
            .await
            .map_err(|e| OpenError::Database(DatabaseError(e)))?;
        let mut conn = pool
            .acquire()
            .await
            .map_err(|e| OpenError::Database(DatabaseError(e)))?;
        if backend == Backend::Sqlite && !in_memory {
            // Readers do not block the writer, nor the writer the readers. Persistent in the
            // file; set outside any transaction.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&mut *conn)
                .await
                .map_err(|e| OpenError::Database(DatabaseError(e)))?;
        }
        schema::migrate(&mut conn, backend).await?;
        drop(conn);
        Ok(Store {
            pool,
            backend,
            keys,
            log_heads: options.log_heads,
            verified: std::sync::Arc::new(crate::verified::Verified::new(options.verified_models)),
        })
    }

    /// The database behind the store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool, for the host's own read queries (joins with its tables,
    /// reports). Writing through it bypasses every check the store makes: anything written
    /// there is refused on load unless it chains, seals and replays.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes every connection (an in-memory database is gone after this).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a write transaction: SQLite takes the write lock now (`BEGIN IMMEDIATE`), so that
    /// what it reads cannot change before it writes; PostgreSQL locks the model's row with
    /// `SELECT … FOR UPDATE`.
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Stores a new model (or run) with its trail so far, sealed with the host's key, under
    /// its [`ModelKey::of`]: its name, version and environment. Its environment (the name and
    /// the approval window, part of its header) is stored with it, once. A run's approvers (ids
    /// or roles, from its pipeline's approval step) are recorded for
    /// [`awaiting_approval`](Self::awaiting_approval); a model's are set with
    /// [`set_approvers`](Self::set_approvers).
    ///
    /// # Errors
    ///
    /// [`CreateError::Exists`] if a model with this name and version is stored in this
    /// environment (nothing is written); [`CreateError::OutOfRange`] for an approval window
    /// longer than the database stores; [`CreateError::Encode`] for an event that cannot be
    /// stored; [`CreateError::Seal`] if the sealer fails; [`CreateError::Database`].
    pub async fn create(&self, model: &(impl Trail + ?Sized)) -> Result<Written, CreateError> {
        let key = ModelKey::of(model);
        let head = model.head();
        let sealed = self.keys.seal(&head).map_err(|error| CreateError::Seal {
            key: key.clone(),
            error,
        })?;
        let seal = write::seal_json(&sealed);
        let rows =
            write::event_rows(model.history()).map_err(|(seq, error)| CreateError::Encode {
                key: key.clone(),
                seq,
                error,
            })?;
        let columns = ModelColumns::of(model, model.history());
        let approval_validity_ms =
            write::approval_validity_ms(&columns).map_err(|value| CreateError::OutOfRange {
                key: key.clone(),
                field: "approval_validity_ms",
                value,
            })?;
        let approvers: std::collections::BTreeSet<String> = model.approvers().into_iter().collect();
        let approvers_seal = if approvers.is_empty() {
            None
        } else {
            let head = crate::approvers::approvers_head(&key, &approvers);
            let seal = self.keys.seal(&head).map_err(|error| CreateError::Seal {
                key: key.clone(),
                error,
            })?;
            Some(write::seal_json(&seal))
        };
        let db = |key: &ModelKey| {
            let key = key.clone();
            move |e| CreateError::Database {
                key,
                error: DatabaseError(e),
            }
        };
        let mut tx = self.begin_write().await.map_err(db(&key))?;
        let inserted = write::insert_model_row(
            &mut tx,
            &key,
            &columns,
            approval_validity_ms,
            &seal,
            columns.kind,
        )
        .await
        .map_err(db(&key))?;
        if !inserted {
            return Err(CreateError::Exists { key });
        }
        write::insert_events(&mut tx, &key, &rows)
            .await
            .map_err(db(&key))?;
        self.log_leaf(&mut tx, &key, columns.leaf())
            .await
            .map_err(db(&key))?;
        if let Some(seal) = &approvers_seal {
            crate::approvers::write_approvers(&mut tx, &key, &approvers, Some(seal))
                .await
                .map_err(db(&key))?;
        }
        tx.commit().await.map_err(db(&key))?;
        // A model under review is kept, so that the first vote on it goes on from here.
        if model.status() == Status::Submitted {
            self.keep_created(&key, model, head, seal, sealed);
        }
        Ok(Written {
            key,
            head,
            revision: u64::try_from(columns.revision).unwrap_or(0),
        })
    }

    /// Appends the events of `model` that follow `expected` (the head the caller loaded) to
    /// the trail stored under its [`ModelKey::of`] (its name, version and environment), with
    /// compare-and-swap on the head: in one transaction, the stored head is read (and
    /// locked), compared with `expected`, the new events are inserted, and the head, the
    /// index columns and the host's seal over the new head are updated. Either all of it is
    /// written or nothing. A registry member's registry index moves with it, resealed in the
    /// same transaction (after it is checked against the rows; the sealer is called with the
    /// row locked).
    ///
    /// ```no_run
    /// # async fn f(store: modelgate_store::Store, key: modelgate_store::ModelKey,
    /// #     policy: modelgate::MetricGate, review: modelgate::Review)
    /// #     -> Result<(), Box<dyn std::error::Error>> {
    /// let loaded = store.restore(&key, &policy).await?;
    /// let modelgate::AnyModel::Submitted(mut model) = loaded.model else { return Ok(()) };
    /// model.record(review)?;
    /// store.append(loaded.head, &model).await?; // or a `Conflict`: load again and redo
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`AppendError::Conflict`] with the current head and revision if another writer appended
    /// since `expected` was read (nothing is written: load again, redo, append again);
    /// [`AppendError::NotFound`]; [`AppendError::NotAContinuation`] if the trail of `model`
    /// does not pass through `expected` (a head of another model, or of the same name and
    /// version in another environment); [`AppendError::NothingToAppend`] if it ends there;
    /// [`AppendError::Encode`] for an event that cannot be stored; [`AppendError::Seal`] if
    /// the sealer fails; [`AppendError::Membership`] if the model is a registry member and its
    /// registry's rows are not as its sealed index holds (nothing is written, nothing sealed
    /// over them); [`AppendError::Database`].
    pub async fn append(
        &self,
        expected: Head,
        model: &(impl Trail + ?Sized),
    ) -> Result<Written, AppendError> {
        Ok(self.append_sealed(expected, model).await?.0)
    }

    /// [`append`](Self::append), and the seal written with the new head (the models row's
    /// `seal` column).
    pub(crate) async fn append_sealed(
        &self,
        expected: Head,
        model: &(impl Trail + ?Sized),
    ) -> Result<(Written, String), AppendError> {
        let key = ModelKey::of(model);
        let history = model.history();
        let new = new_events(history, expected, &key, model.environment())?;
        let head = model.head();
        let seal = self.keys.seal(&head).map_err(|error| AppendError::Seal {
            key: key.clone(),
            error,
        })?;
        let seal = write::seal_json(&seal);
        let rows = write::event_rows(new).map_err(|(seq, error)| AppendError::Encode {
            key: key.clone(),
            seq,
            error,
        })?;
        let columns = ModelColumns::of(model, new);
        let db = |key: &ModelKey| {
            let key = key.clone();
            move |e| AppendError::Database {
                key,
                error: DatabaseError(e),
            }
        };
        let mut tx = self.begin_write().await.map_err(db(&key))?;
        let lock = match self.backend {
            Backend::Sqlite => {
                "SELECT head, revision, kind FROM modelgate_models
                 WHERE name = $1 AND version = $2 AND environment = $3"
            }
            Backend::Postgres => {
                "SELECT head, revision, kind FROM modelgate_models
                 WHERE name = $1 AND version = $2 AND environment = $3 FOR UPDATE"
            }
        };
        let row = sqlx::query(lock)
            .bind(key.name())
            .bind(key.version())
            .bind(key.environment())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db(&key))?;
        let Some(row) = row else {
            return Err(AppendError::NotFound { key });
        };
        let stored: String = row.try_get(0).map_err(db(&key))?;
        let revision: i64 = row.try_get(1).map_err(db(&key))?;
        let kind: String = row.try_get(2).map_err(db(&key))?;
        let stored_head: Head = stored.parse().map_err(|_| AppendError::BadStoredHead {
            key: key.clone(),
            head: stored.clone(),
        })?;
        if stored_head != expected {
            return Err(AppendError::Conflict {
                key,
                expected,
                head: stored_head,
                revision: u64::try_from(revision).unwrap_or(0),
            });
        }
        if kind == KIND_MEMBER {
            // A registry member: its registry's sealed index moves with it.
            self.move_member_in_index(&mut tx, &key, head, columns.leaf().2)
                .await?;
        }
        write::insert_events(&mut tx, &key, &rows)
            .await
            .map_err(db(&key))?;
        write::update_model_row(&mut tx, &key, &columns, &seal)
            .await
            .map_err(db(&key))?;
        self.log_leaf(&mut tx, &key, columns.leaf())
            .await
            .map_err(db(&key))?;
        tx.commit().await.map_err(db(&key))?;
        let written = Written {
            key,
            head,
            revision: u64::try_from(columns.revision).unwrap_or(0),
        };
        Ok((written, seal))
    }
}

/// The events of `history` (of a model in `environment`) after `expected`.
fn new_events<'a>(
    history: &'a [Event],
    expected: Head,
    key: &ModelKey,
    environment: &Environment,
) -> Result<&'a [Event], AppendError> {
    if history.last().map(Event::hash) == Some(expected)
        || (history.is_empty()
            && expected == Head::of_header(key.name(), key.version(), environment))
    {
        return Err(AppendError::NothingToAppend {
            key: key.clone(),
            expected,
        });
    }
    // Each event carries the head before it: the new events start at the one whose `prev` is
    // the expected head (searched from the end: usually one or two new events).
    let start = history.iter().rposition(|e| *e.prev() == expected);
    match start.and_then(|i| history.get(i..)) {
        Some(new) => Ok(new),
        None => Err(AppendError::NotAContinuation {
            key: key.clone(),
            expected,
        }),
    }
}

/// The URL of the SQLite file at `path`, created if missing.
#[cfg(feature = "sqlite")]
pub(crate) fn sqlite_url(path: &std::path::Path) -> String {
    let mut encoded = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => encoded.push_str("%25"),
            '?' => encoded.push_str("%3F"),
            '#' => encoded.push_str("%23"),
            ' ' => encoded.push_str("%20"),
            c => encoded.push(c),
        }
    }
    format!("sqlite://{encoded}?mode=rwc")
}
