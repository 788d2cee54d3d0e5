//! The log's tree hashes in `modelgate_log_nodes` (`modelgate::log::StoredTree`): written with
//! each leaf the sequencer appends, read O(log n) at a time for checkpoints and proofs,
//! backfilled for a log written before them.

use std::collections::BTreeMap;

use modelgate::log::{NodeId, StoredTree, Tree, TreeHash};
use sqlx::{AnyConnection, Row};

use crate::error::{DatabaseError, LogError};

/// Rows per `INSERT` or `SELECT`: 3 or 2 binds each, far below SQLite's 32,766.
const CHUNK: usize = 200;

fn db(e: sqlx::Error) -> LogError {
    LogError::Database(DatabaseError(e))
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Writes `nodes`.
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    nodes: &[(NodeId, TreeHash)],
) -> Result<(), LogError> {
    for chunk in nodes.chunks(CHUNK) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
            .collect();
        let sql = format!(
            "INSERT INTO modelgate_log_nodes (level, idx, hash) VALUES {}",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (id, hash) in chunk {
            query = query
                .bind(i32::try_from(id.level()).unwrap_or(i32::MAX))
                .bind(to_i64(id.index()))
                .bind(hash.to_string());
        }
        query.execute(&mut *conn).await.map_err(db)?;
    }
    Ok(())
}

/// Reads the stored hashes `ids`, each of which must be there.
///
/// # Errors
///
/// [`LogError::BadNode`] for a hash missing or not 64 hex digits.
pub(crate) async fn read(
    conn: &mut AnyConnection,
    ids: &[NodeId],
) -> Result<BTreeMap<NodeId, TreeHash>, LogError> {
    let mut out = BTreeMap::new();
    for chunk in ids.chunks(CHUNK) {
        let clauses: Vec<String> = (0..chunk.len())
            .map(|i| format!("(level = ${} AND idx = ${})", 2 * i + 1, 2 * i + 2))
            .collect();
        let sql = format!(
            "SELECT level, idx, hash FROM modelgate_log_nodes WHERE {}",
            clauses.join(" OR ")
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query
                .bind(i32::try_from(id.level()).unwrap_or(i32::MAX))
                .bind(to_i64(id.index()));
        }
        for row in query.fetch_all(&mut *conn).await.map_err(db)? {
            let level: i32 = row.try_get(0).map_err(db)?;
            let index: i64 = row.try_get(1).map_err(db)?;
            let hash: String = row.try_get(2).map_err(db)?;
            let id = NodeId::new(
                u32::try_from(level).unwrap_or(u32::MAX),
                u64::try_from(index).unwrap_or(u64::MAX),
            );
            let hash = hash.parse().map_err(|_| LogError::BadNode {
                level: id.level(),
                index: id.index(),
                what: "the hash is not 64 hex digits",
            })?;
            out.insert(id, hash);
        }
    }
    if let Some(id) = ids.iter().find(|id| !out.contains_key(id)) {
        return Err(LogError::BadNode {
            level: id.level(),
            index: id.index(),
            what: "the hash is missing",
        });
    }
    Ok(out)
}

/// The log's size: one past its last leaf's index (O(log n) by its primary key).
pub(crate) async fn size(conn: &mut AnyConnection) -> Result<u64, LogError> {
    let next: i64 = sqlx::query("SELECT COALESCE(MAX(idx) + 1, 0) FROM modelgate_log")
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?
        .try_get(0)
        .map_err(db)?;
    Ok(u64::try_from(next).unwrap_or(0))
}

/// The log of `size` leaves by the stored hashes `ids`.
pub(crate) async fn tree(
    conn: &mut AnyConnection,
    size: u64,
    ids: &[NodeId],
) -> Result<StoredTree, LogError> {
    Ok(StoredTree::new(size, read(conn, ids).await?))
}

/// Replaces every stored hash by those of `tree` (a log's leaves, read whole): the backfill of a
/// log written before the stored hashes.
pub(crate) async fn backfill(conn: &mut AnyConnection, tree: &Tree) -> Result<(), LogError> {
    sqlx::query("DELETE FROM modelgate_log_nodes")
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    let nodes: Vec<_> = tree.nodes().collect();
    insert(conn, &nodes).await
}
