//! The log's sequencer: a write adds its leaf to `modelgate_log_pending` in its own
//! transaction, taking no lock but its model's; [`Store::sequence_log`] moves every committed
//! pending leaf into the tree under the log's one lock. Writers of different models no longer
//! wait for each other to number their leaves (Trillian's split of queueing and integration).
//!
//! What a leaf promises does not change: it is stored with the write that made it, or the write
//! did not happen. What waits for the sequencer is only its index and the tree hashes above it,
//! and every checkpoint is made after sequencing, so no checkpoint misses a committed write.

use std::collections::BTreeMap;

use modelgate::log::{Leaf, NodeId, TreeHash, appended_nodes, nodes_for_append};
use modelgate::{Head, Timestamp};
use sqlx::{AnyConnection, Row};

use crate::ModelKey;
use crate::error::{DatabaseError, LogError};
use crate::log_nodes;
use crate::store::{Backend, Store};

/// A key for PostgreSQL's advisory lock that orders the log's sequencing: one sequencer at a
/// time numbers the pending leaves.
const PG_LOG_LOCK: i64 = 0x6d67_6c6f_6731_0001; // "mglog1"

/// Rows per `INSERT` or `DELETE`: 7 or 5 binds each, far below SQLite's 32,766.
const CHUNK: usize = 200;

fn db(e: sqlx::Error) -> LogError {
    LogError::Database(DatabaseError(e))
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Adds the leaf of `key` at `head` (its `revision`, its last event's time `at` in ms) to the
/// pending leaves, in the caller's write transaction; the same leaf already pending (a trail
/// put back and written again to the same head) is there once.
pub(crate) async fn add_pending(
    conn: &mut AnyConnection,
    key: &ModelKey,
    (head, revision, at): (&str, i64, Option<i64>),
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO modelgate_log_pending (name, version, environment, revision, head, at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(key.name())
    .bind(key.version())
    .bind(key.environment())
    .bind(revision)
    .bind(head)
    .bind(at.unwrap_or(0))
    .execute(conn)
    .await?;
    Ok(())
}

/// The pending leaves, in the order the sequencer appends them: by key, then revision and head
/// (a model's leaves in the order they were written, whatever times they carry).
pub(crate) async fn read_pending(conn: &mut AnyConnection) -> Result<Vec<Leaf>, LogError> {
    let rows = sqlx::query(
        "SELECT name, version, environment, revision, head, at FROM modelgate_log_pending
         ORDER BY name, version, environment, revision, head",
    )
    .fetch_all(conn)
    .await
    .map_err(db)?;
    rows.iter().map(pending_leaf).collect()
}

/// The leaf of a pending row, or why it is not one.
fn pending_leaf(row: &sqlx::any::AnyRow) -> Result<Leaf, LogError> {
    let (name, version, environment): (String, String, String) = (
        row.try_get(0).map_err(db)?,
        row.try_get(1).map_err(db)?,
        row.try_get(2).map_err(db)?,
    );
    let revision: i64 = row.try_get(3).map_err(db)?;
    let head: String = row.try_get(4).map_err(db)?;
    let at: i64 = row.try_get(5).map_err(db)?;
    let bad = |what| LogError::BadPending {
        key: ModelKey::new(name.as_str(), version.as_str()).in_environment(environment.as_str()),
        what,
    };
    let head: Head = head
        .parse()
        .map_err(|_| bad("the head is not 64 hex digits"))?;
    let revision = u64::try_from(revision).map_err(|_| bad("the revision is negative"))?;
    let at = u64::try_from(at).map_err(|_| bad("the time is negative"))?;
    Ok(Leaf::new(
        name,
        version,
        environment,
        head,
        revision,
        Timestamp::from_unix_millis(at),
    ))
}

impl Store {
    /// Appends every pending leaf (each write's, committed since the last sequencing) to the
    /// log, in one transaction under the log's lock: the next indexes with no gap, the tree
    /// hashes they complete, the pending rows gone. Returns how many it appended.
    /// [`log_head`](Self::log_head), [`checkpoint`](Self::checkpoint) and
    /// [`log_leaves`](Self::log_leaves) sequence first; a host may also call it on a timer.
    ///
    /// # Errors
    ///
    /// [`LogError::WentBack`] for a pending leaf whose trail went back (a trail put back and
    /// written again: the store's rows must be repaired before the log moves on);
    /// [`LogError::BadPending`] for a pending row that is not a leaf;
    /// [`LogError::BadNode`] for a stored tree hash an append needs that is missing or not a
    /// hash; [`LogError::Database`]. Nothing is appended then, and the pending leaves stay.
    pub async fn sequence_log(&self) -> Result<u64, LogError> {
        // PostgreSQL: READ COMMITTED whatever the server's default, so that the reads after the
        // lock see what the sequencer before committed (under REPEATABLE READ the snapshot
        // would be taken before the lock was granted).
        let mut tx = match self.backend {
            Backend::Sqlite => self.begin_write().await,
            Backend::Postgres => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
                    .await
            }
        }
        .map_err(db)?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PG_LOG_LOCK)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        let pending = read_pending(&mut tx).await?;
        if pending.is_empty() {
            tx.commit().await.map_err(db)?;
            return Ok(0);
        }
        goes_forward(&mut tx, &pending).await?;
        let size = log_nodes::size(&mut tx).await?;
        let mut known: BTreeMap<NodeId, TreeHash> = BTreeMap::new();
        let mut nodes = Vec::new();
        for (index, leaf) in (size..).zip(&pending) {
            let missing: Vec<NodeId> = nodes_for_append(index)
                .into_iter()
                .filter(|id| !known.contains_key(id))
                .collect();
            if !missing.is_empty() {
                known.extend(log_nodes::read(&mut tx, &missing).await?);
            }
            let made = appended_nodes(index, leaf.hash(), &known)?;
            known.extend(made.iter().copied());
            nodes.extend(made);
        }
        insert_leaves(&mut tx, size, &pending).await?;
        log_nodes::insert(&mut tx, &nodes).await?;
        delete_pending(&mut tx, &pending).await?;
        tx.commit().await.map_err(db)?;
        Ok(u64::try_from(pending.len()).unwrap_or(u64::MAX))
    }
}

/// Refuses `pending` (in the sequencer's order) if a trail's leaf goes back: to an older
/// revision than the leaf before it (logged, or pending before it), or to another head at the
/// same revision. Such a leaf is a trail put back and written again; the host must not sign a
/// checkpoint over it. The logged leaves before are read in one indexed query per chunk of
/// trails.
async fn goes_forward(conn: &mut AnyConnection, pending: &[Leaf]) -> Result<(), LogError> {
    let mut keys: Vec<ModelKey> = pending
        .iter()
        .map(|l| ModelKey::new(l.name(), l.version()).in_environment(l.environment()))
        .collect();
    keys.dedup();
    let mut before = latest_logged(conn, &keys).await?;
    for leaf in pending {
        let id = (
            leaf.name().to_owned(),
            leaf.version().to_owned(),
            leaf.environment().to_owned(),
        );
        if let Some(&(revision, head)) = before.get(&id)
            && (leaf.revision() < revision || (leaf.revision() == revision && leaf.head() != head))
        {
            return Err(LogError::WentBack {
                key: ModelKey::new(id.0, id.1).in_environment(id.2.as_str()),
                logged: revision,
                pending: leaf.revision(),
            });
        }
        before.insert(id, (leaf.revision(), leaf.head()));
    }
    Ok(())
}

type TrailId = (String, String, String);

/// The revision and head of the latest leaf in the log of each of `keys` that has one.
async fn latest_logged(
    conn: &mut AnyConnection,
    keys: &[ModelKey],
) -> Result<BTreeMap<TrailId, (u64, Head)>, LogError> {
    let mut out = BTreeMap::new();
    for chunk in keys.chunks(CHUNK) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
            .collect();
        // Each trail's last leaf by its trail index read backwards (one index probe each,
        // whatever the log's size), in one statement.
        let sql = format!(
            "SELECT l.name, l.version, l.environment, l.revision, l.head FROM modelgate_log l
             WHERE l.idx IN (SELECT (SELECT x.idx FROM modelgate_log x
                 WHERE x.name = k.column1 AND x.version = k.column2
                   AND x.environment = k.column3
                 ORDER BY x.idx DESC LIMIT 1) FROM (VALUES {}) AS k)",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for key in chunk {
            query = query
                .bind(key.name())
                .bind(key.version())
                .bind(key.environment());
        }
        for row in query.fetch_all(&mut *conn).await.map_err(db)? {
            let id: TrailId = (
                row.try_get(0).map_err(db)?,
                row.try_get(1).map_err(db)?,
                row.try_get(2).map_err(db)?,
            );
            let revision: i64 = row.try_get(3).map_err(db)?;
            let head: String = row.try_get(4).map_err(db)?;
            // A logged row that does not read is the audit's to refuse (`LogError::BadRow`).
            if let (Ok(revision), Ok(head)) = (u64::try_from(revision), head.parse()) {
                out.insert(id, (revision, head));
            }
        }
    }
    Ok(out)
}

/// Writes `leaves` to the log from index `from`.
async fn insert_leaves(
    conn: &mut AnyConnection,
    from: u64,
    leaves: &[Leaf],
) -> Result<(), LogError> {
    let mut index = from;
    for chunk in leaves.chunks(CHUNK) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = 7 * i;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO modelgate_log (idx, name, version, environment, head, revision, at)
             VALUES {}",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for leaf in chunk {
            query = query
                .bind(to_i64(index))
                .bind(leaf.name())
                .bind(leaf.version())
                .bind(leaf.environment())
                .bind(leaf.head().to_string())
                .bind(to_i64(leaf.revision()))
                .bind(to_i64(leaf.at().as_unix_millis()));
            index += 1;
        }
        query.execute(&mut *conn).await.map_err(db)?;
    }
    Ok(())
}

/// Deletes the pending rows of `leaves`, each by its key, revision and head (never a range: a
/// row committed while the sequencer ran is left for the next one).
async fn delete_pending(conn: &mut AnyConnection, leaves: &[Leaf]) -> Result<(), LogError> {
    for chunk in leaves.chunks(CHUNK) {
        let clauses: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = 5 * i;
                format!(
                    "(name = ${} AND version = ${} AND environment = ${} AND revision = ${} \
                     AND head = ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5
                )
            })
            .collect();
        let sql = format!(
            "DELETE FROM modelgate_log_pending WHERE {}",
            clauses.join(" OR ")
        );
        let mut query = sqlx::query(&sql);
        for leaf in chunk {
            query = query
                .bind(leaf.name())
                .bind(leaf.version())
                .bind(leaf.environment())
                .bind(to_i64(leaf.revision()))
                .bind(leaf.head().to_string());
        }
        query.execute(&mut *conn).await.map_err(db)?;
    }
    Ok(())
}
