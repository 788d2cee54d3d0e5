//! Embedded, versioned migrations.

use sqlx::{AnyConnection, Connection, Row};

use modelgate::log::Tree;

use crate::error::{DatabaseError, OpenError};
use crate::log_nodes;
use crate::store::Backend;

/// The migrations, in order: schema version `i + 1` is reached by running `MIGRATIONS[i]`.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_sealed_membership.sql"),
    include_str!("../migrations/0003_log.sql"),
    include_str!("../migrations/0004_log_nodes.sql"),
    include_str!("../migrations/0005_log_pending.sql"),
];

/// The first schema version with the log's tree hashes, which a log from before is backfilled
/// with.
const LOG_NODES_VERSION: i64 = 4;

/// The first schema version with pending leaves, and with a leaf for each registry's sealed
/// index: a store from before gets one for each index as it is.
const LOG_PENDING_VERSION: i64 = 5;

/// The newest schema version this crate knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// A key for PostgreSQL's advisory lock, so that two processes opening the same new database
/// at once migrate it once.
const PG_MIGRATION_LOCK: i64 = 0x6d67_7374_6f72_6531; // "mgstore1"

/// Brings the schema up to [`SCHEMA_VERSION`] in one transaction; refuses a newer one.
pub(crate) async fn migrate(conn: &mut AnyConnection, backend: Backend) -> Result<(), OpenError> {
    let db = |e: sqlx::Error| OpenError::Database(DatabaseError(e));
    let begin = match backend {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres => "BEGIN",
    };
    let mut tx = conn.begin_with(begin).await.map_err(db)?;
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(PG_MIGRATION_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS modelgate_schema (
            id      INTEGER NOT NULL PRIMARY KEY,
            version BIGINT  NOT NULL
        )",
    )
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    let found: Option<i64> = sqlx::query("SELECT version FROM modelgate_schema WHERE id = 1")
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?
        .map(|row| row.try_get(0))
        .transpose()
        .map_err(db)?;
    let found = found.unwrap_or(0);
    if found > SCHEMA_VERSION {
        return Err(OpenError::NewerSchema {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for migration in MIGRATIONS.iter().skip(usize::try_from(found).unwrap_or(0)) {
        for statement in statements(migration) {
            sqlx::query(&statement)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
    }
    if found < LOG_NODES_VERSION {
        let leaves = crate::store::Store::read_leaves(&mut tx, None)
            .await
            .map_err(OpenError::Backfill)?;
        let mut tree = Tree::new();
        for leaf in &leaves {
            tree.append(leaf.hash());
        }
        log_nodes::backfill(&mut tx, &tree)
            .await
            .map_err(OpenError::Backfill)?;
    }
    if found < LOG_PENDING_VERSION {
        log_indexes(&mut tx).await.map_err(db)?;
    }
    if found < SCHEMA_VERSION {
        sqlx::query(
            "INSERT INTO modelgate_schema (id, version) VALUES (1, $1)
             ON CONFLICT (id) DO UPDATE SET version = excluded.version",
        )
        .bind(SCHEMA_VERSION)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    tx.commit().await.map_err(db)
}

/// A pending leaf for each registry's sealed index as it is stored (its revision and the head
/// its members state), for a store written before the log held them.
async fn log_indexes(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    let rows = sqlx::query("SELECT name, revision, members FROM modelgate_registries")
        .fetch_all(&mut *conn)
        .await?;
    for row in rows {
        let name: String = row.try_get(0)?;
        let revision: i64 = row.try_get(1)?;
        let members: String = row.try_get(2)?;
        let Some(head) = crate::index::stated_head(&name, &members) else {
            // An index that does not read is refused by every load; nothing to log.
            continue;
        };
        crate::log_sequence::add_pending(
            conn,
            &crate::index::index_key(&name),
            (&head.to_string(), revision, None),
        )
        .await?;
    }
    Ok(())
}

/// The statements of a migration: split at `;` ending a line, comments dropped.
fn statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in sql.lines() {
        let line = line.split("--").next().unwrap_or("").trim_end();
        if line.trim().is_empty() {
            continue;
        }
        current.push_str(line);
        current.push('\n');
        if line.ends_with(';') {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    #[test]
    fn the_first_migration_has_each_statement() {
        let statements = super::statements(super::MIGRATIONS[0]);
        assert_eq!(statements.len(), 6);
        assert!(statements.iter().all(|s| s.trim_end().ends_with(';')));
    }

    #[test]
    fn the_second_migration_has_each_statement() {
        let statements = super::statements(super::MIGRATIONS[1]);
        assert_eq!(statements.len(), 2);
        assert!(statements.iter().all(|s| s.trim_end().ends_with(';')));
    }

    #[test]
    fn the_third_migration_has_each_statement() {
        let statements = super::statements(super::MIGRATIONS[2]);
        assert_eq!(statements.len(), 3);
        assert!(statements.iter().all(|s| s.trim_end().ends_with(';')));
    }

    #[test]
    fn the_fourth_migration_has_each_statement() {
        let statements = super::statements(super::MIGRATIONS[3]);
        assert_eq!(statements.len(), 1);
        assert!(statements.iter().all(|s| s.trim_end().ends_with(';')));
    }

    #[test]
    fn the_fifth_migration_has_each_statement() {
        let statements = super::statements(super::MIGRATIONS[4]);
        assert_eq!(statements.len(), 1);
        assert!(statements.iter().all(|s| s.trim_end().ends_with(';')));
    }
}
