//! Loading: the rows of one model read in one snapshot, checked against the models row, then
//! verified (chain and seal) and replayed by the core.

use modelgate::event::Actor;
use modelgate::trail::Seal;
use std::time::Duration;

use modelgate::{
    AnyModel, Environment, Event, EventKind, Head, Pipeline, Policy, Run, StoredModel, Timestamp,
    Trail,
};
use sqlx::Row;

use crate::ModelKey;
use crate::error::{DatabaseError, LoadError};
use crate::store::{Backend, Store};

/// A verified stored record and where the store stands: pass [`head`](Self::head) to
/// [`Store::append`] to write what follows.
#[derive(Debug)]
pub struct Loaded<T> {
    /// The model, run or record.
    pub model: T,
    /// The stored head: the hash of the last event, sealed by the host.
    pub head: Head,
    /// The stored revision: the number of events.
    pub revision: u64,
}

/// The models row and the event rows of one model, read in one snapshot.
pub(crate) struct Rows {
    pub(crate) head: String,
    pub(crate) revision: i64,
    pub(crate) seal: String,
    /// The environment's approval window, in milliseconds (its name is the key's).
    pub(crate) approval_validity_ms: Option<i64>,
    pub(crate) events: Vec<EventRow>,
}

/// The models row's columns that the store derives from the trail when it writes it, as read.
pub(crate) struct IndexColumns {
    pub(crate) status: String,
    pub(crate) updated_at: Option<i64>,
    pub(crate) deployed_at: Option<i64>,
    pub(crate) kind: String,
}

/// One stored event's columns, as a load reads them.
pub(crate) struct EventRow {
    pub(crate) seq: i64,
    pub(crate) at: i64,
    pub(crate) prev: String,
    pub(crate) hash: String,
    pub(crate) event: String,
    /// The index columns derived from the event (its action and its actor): a load checks
    /// them against the event, so a query that filters by them reads what the trail says.
    pub(crate) action: String,
    pub(crate) actor: Option<String>,
}

/// The event columns a load reads, in the order [`EventRow::read`] takes them (prefix each
/// with the events table's alias where a query joins).
pub(crate) const EVENT_COLUMNS: &str = "seq, at, prev, hash, event, action, actor";

impl EventRow {
    /// The event row in `row`'s columns from `first` on, in the order of [`EVENT_COLUMNS`].
    pub(crate) fn read(row: &sqlx::any::AnyRow, first: usize) -> Result<Self, sqlx::Error> {
        Ok(Self {
            seq: row.try_get(first)?,
            at: row.try_get(first + 1)?,
            prev: row.try_get(first + 2)?,
            hash: row.try_get(first + 3)?,
            event: row.try_get(first + 4)?,
            action: row.try_get(first + 5)?,
            actor: row.try_get(first + 6)?,
        })
    }
}

impl Store {
    /// The stored record of `key`, verified: the rows are complete and in order, the events
    /// chain to the head the models row records (from the header: the name, the version and
    /// the environment with its stored approval window), and the host's verifier accepts the
    /// seal.
    /// The events are not replayed (see [`restore`](Self::restore)): for tools that show or
    /// export a trail.
    ///
    /// # Errors
    ///
    /// [`LoadError`] naming the model: not stored, an event row missing, the trail shorter or
    /// longer than the head, another head, an unreadable row, a chain or seal that does not
    /// verify, or the database failing. Nothing is returned, changed or repaired.
    pub async fn load(&self, key: &ModelKey) -> Result<Loaded<StoredModel>, LoadError> {
        let (stored, head, revision) = self.read(key).await?;
        stored
            .verify(self.keys.verifier())
            .map_err(|error| LoadError::Refused {
                key: key.clone(),
                error: Box::new(error),
            })?;
        Ok(Loaded {
            model: stored,
            head,
            revision,
        })
    }

    /// The verified audit trail of `key`: its events, oldest first.
    ///
    /// # Errors
    ///
    /// As [`load`](Self::load).
    pub async fn audit_trail(&self, key: &ModelKey) -> Result<Vec<Event>, LoadError> {
        Ok(self.load(key).await?.model.events().to_vec())
    }

    /// The typed model of `key`, checked like [`StoredModel::restore`] with the host's
    /// verifier: the rows as in [`load`](Self::load), then every event replayed through the
    /// transitions, each decision decided again by `policy`.
    ///
    /// # Errors
    ///
    /// As [`load`](Self::load), and [`LoadError::Refused`] when the trail does not replay or
    /// `policy` does not uphold a recorded decision.
    pub async fn restore<P: Policy + ?Sized>(
        &self,
        key: &ModelKey,
        policy: &P,
    ) -> Result<Loaded<AnyModel>, LoadError> {
        let (stored, head, revision) = self.read(key).await?;
        let model =
            stored
                .restore(self.keys.verifier(), policy)
                .map_err(|e| LoadError::Refused {
                    key: key.clone(),
                    error: Box::new(e.into_error()),
                })?;
        Ok(Loaded {
            model,
            head,
            revision,
        })
    }

    /// Restores like [`restore`](Self::restore) but replays each decision as recorded,
    /// trusting the seal alone ([`StoredModel::restore_trusting_decisions`]): for records
    /// sealed under a policy the host no longer has.
    ///
    /// # Errors
    ///
    /// As [`restore`](Self::restore), without the policy's.
    pub async fn restore_trusting_decisions(
        &self,
        key: &ModelKey,
    ) -> Result<Loaded<AnyModel>, LoadError> {
        let (stored, head, revision) = self.read(key).await?;
        let model = stored
            .restore_trusting_decisions(self.keys.verifier())
            .map_err(|e| LoadError::Refused {
                key: key.clone(),
                error: Box::new(e.into_error()),
            })?;
        Ok(Loaded {
            model,
            head,
            revision,
        })
    }

    /// The run stored under `key`, restored with [`Run::restore`] against `pipeline`: resumes
    /// it where it stood (after a restart, on another machine).
    ///
    /// # Errors
    ///
    /// As [`restore`](Self::restore), and [`LoadError::Refused`] if the trail is not a run of
    /// `pipeline` or breaks one of its rules.
    pub async fn restore_run(
        &self,
        key: &ModelKey,
        pipeline: Pipeline,
    ) -> Result<Loaded<Run>, LoadError> {
        let (stored, head, revision) = self.read(key).await?;
        let model = Run::restore(stored, pipeline, self.keys.verifier()).map_err(|e| {
            LoadError::Refused {
                key: key.clone(),
                error: Box::new(e.into_error()),
            }
        })?;
        Ok(Loaded {
            model,
            head,
            revision,
        })
    }

    /// Reads the rows of `key` in one snapshot and checks them against the models row: every
    /// event from 1 to the revision, none after, ending at the stored head. Chain and seal are
    /// the caller's to verify (the core does both in one pass): the header they start from has
    /// the environment rebuilt from the row, so a window edited there breaks the chain.
    async fn read(&self, key: &ModelKey) -> Result<(StoredModel, Head, u64), LoadError> {
        let rows = self
            .read_rows(key)
            .await
            .map_err(|error| LoadError::Database {
                key: key.clone(),
                error: DatabaseError(error),
            })?;
        let Some(rows) = rows else {
            return Err(LoadError::NotFound { key: key.clone() });
        };
        check_rows(key, rows)
    }

    /// Starts a read transaction that sees one snapshot: several reads in it are never torn
    /// by a writer committing in between. SQLite (WAL): a read transaction sees one snapshot
    /// from its first read. PostgreSQL: repeatable read.
    pub(crate) async fn begin_read(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN",
            Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        };
        self.pool.begin_with(begin).await
    }

    async fn read_rows(&self, key: &ModelKey) -> Result<Option<Rows>, sqlx::Error> {
        self.read_rows_after(key, None).await
    }

    /// The models row of `key` and its event rows (only those after sequence number `after`,
    /// if given), in one snapshot.
    pub(crate) async fn read_rows_after(
        &self,
        key: &ModelKey,
        after: Option<i64>,
    ) -> Result<Option<Rows>, sqlx::Error> {
        // One snapshot for both reads, or a writer committing in between would make a sound
        // model look torn.
        let mut tx = self.begin_read().await?;
        let row = sqlx::query(
            "SELECT head, revision, seal, approval_validity_ms FROM modelgate_models
             WHERE name = $1 AND version = $2 AND environment = $3",
        )
        .bind(key.name())
        .bind(key.version())
        .bind(key.environment())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(None);
        };
        let head: String = row.try_get(0)?;
        let revision: i64 = row.try_get(1)?;
        let seal: String = row.try_get(2)?;
        let approval_validity_ms: Option<i64> = row.try_get(3)?;
        let events = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM modelgate_events
                 WHERE name = $1 AND version = $2 AND environment = $3
                   AND ($4 IS NULL OR seq > $4)
                 ORDER BY seq"
        ))
        .bind(key.name())
        .bind(key.version())
        .bind(key.environment())
        .bind(after)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|row| EventRow::read(&row, 0))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        tx.rollback().await?;
        Ok(Some(Rows {
            head,
            revision,
            seal,
            approval_validity_ms,
            events,
        }))
    }
}

/// Checks the rows against the models row and builds the stored record.
pub(crate) fn check_rows(
    key: &ModelKey,
    rows: Rows,
) -> Result<(StoredModel, Head, u64), LoadError> {
    let unreadable = |what: String, error: String| LoadError::Unreadable {
        key: key.clone(),
        what,
        error,
    };
    let revision = u64::try_from(rows.revision).map_err(|_| {
        unreadable(
            "revision".into(),
            format!("a negative revision `{}`", rows.revision),
        )
    })?;
    for (expected, row) in (1i64..).zip(&rows.events) {
        if row.seq < 1 {
            return Err(unreadable(
                format!("event row {expected}"),
                format!("a sequence number `{}` below 1", row.seq),
            ));
        }
        if row.seq != expected {
            return Err(LoadError::MissingEvent {
                key: key.clone(),
                seq: u64::try_from(expected).unwrap_or(0),
            });
        }
    }
    let found = u64::try_from(rows.events.len()).unwrap_or(u64::MAX);
    if found < revision {
        return Err(LoadError::TrailTooShort {
            key: key.clone(),
            revision,
            found,
        });
    }
    if found > revision {
        return Err(LoadError::TrailTooLong {
            key: key.clone(),
            revision,
            found,
        });
    }
    let seal: Seal =
        serde_json::from_str(&rows.seal).map_err(|e| unreadable("seal".into(), e.to_string()))?;
    let environment = environment(key, rows.approval_validity_ms)
        .map_err(|e| unreadable("environment".into(), e))?;
    let events = parse_events(&rows.events).map_err(|(what, e)| unreadable(what, e))?;
    // The core's checked constructor: the events chain from the header rebuilt from the rows.
    let trail = Trail::from_parts(key.name(), key.version(), environment, events).map_err(|e| {
        LoadError::Refused {
            key: key.clone(),
            error: Box::new(e.into_error().into()),
        }
    })?;
    let stored = StoredModel::new(trail, Some(seal));
    // The events must end at the stored head: an edited event (or a head rolled back with
    // its trail left as is) shows here, before the seal is even looked at.
    let trail = stored.head();
    if trail.to_string() != rows.head {
        return Err(LoadError::HeadMismatch {
            key: key.clone(),
            head: rows.head,
            trail,
        });
    }
    if let Some(seq) = hash_column_breaks(&rows.events, &rows.head) {
        return Err(unreadable(
            format!("event {seq}"),
            "its `hash` column is not the `prev` of the event after it".into(),
        ));
    }
    if let Some((seq, column)) = index_column_breaks(&rows.events, stored.events()) {
        return Err(unreadable(
            format!("event {seq}"),
            format!("its `{column}` column is not the event's"),
        ));
    }
    Ok((stored, trail, revision))
}

/// The first event row whose `hash` column is not the `prev` of the next (the last one's: not
/// `head`), if any; the core's chain check then proves each is its event's hash.
pub(crate) fn hash_column_breaks(rows: &[EventRow], head: &str) -> Option<i64> {
    let nexts = rows.iter().skip(1).map(|r| r.prev.as_str());
    rows.iter()
        .zip(nexts.chain([head]))
        .find(|(row, next)| row.hash != *next)
        .map(|(row, _)| row.seq)
}

/// The first event row whose `action` or `actor` column is not what its event says, if
/// any, and which column: the columns queries filter by (a reviewer's queue reads `actor`)
/// answer as the verified trail does.
pub(crate) fn index_column_breaks(
    rows: &[EventRow],
    events: &[Event],
) -> Option<(i64, &'static str)> {
    rows.iter().zip(events).find_map(|(row, event)| {
        let actor = match event.actor() {
            Actor::User(id) | Actor::Policy(id) => Some(id),
            _ => None,
        };
        if row.action != event.action() {
            Some((row.seq, "action"))
        } else if row.actor.as_deref() != actor {
            Some((row.seq, "actor"))
        } else {
            None
        }
    })
}

/// The environment of `key` as its header has it: the key's name, and the approval window of
/// the models row.
fn environment(key: &ModelKey, approval_validity_ms: Option<i64>) -> Result<Environment, String> {
    let environment = Environment::new(key.environment()).map_err(|e| e.to_string())?;
    Ok(match approval_validity_ms {
        None => environment,
        Some(ms) => {
            let ms =
                u64::try_from(ms).map_err(|_| format!("approval_validity_ms {ms} is negative"))?;
            environment.with_approval_validity(Duration::from_millis(ms))
        }
    })
}

/// The events of `rows`: each row's `event` column must be exactly one event kind.
pub(crate) fn parse_events(rows: &[EventRow]) -> Result<Vec<Event>, (String, String)> {
    let mut events = Vec::with_capacity(rows.len());
    for row in rows {
        let what = || format!("event {}", row.seq);
        let kind: EventKind =
            serde_json::from_str(&row.event).map_err(|e| (what(), e.to_string()))?;
        let prev: Head = row
            .prev
            .parse()
            .map_err(|e: modelgate::event::ParseHashError| (what(), e.to_string()))?;
        let seq = u64::try_from(row.seq).map_err(|_| (what(), "a negative `seq`".to_owned()))?;
        let at = u64::try_from(row.at).map_err(|_| (what(), "a negative `at`".to_owned()))?;
        events.push(Event::from_parts(
            seq,
            Timestamp::from_unix_millis(at),
            prev,
            kind,
        ));
    }
    Ok(events)
}
