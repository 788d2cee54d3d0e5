//! The writes that `create`, `append` and `save_registry` share, each inside the caller's
//! transaction: a models row inserted or moved on, event rows inserted, a seal as stored.

use modelgate::Event;
use modelgate::trail::Seal;

use crate::ModelKey;
use crate::trail::{EventRow, ModelColumns};

/// The rows of `events`, or the seq of the first that cannot be encoded.
pub(crate) fn event_rows(events: &[Event]) -> Result<Vec<EventRow>, (u64, String)> {
    events
        .iter()
        .map(|e| EventRow::of(e).map_err(|error| (e.seq(), error)))
        .collect()
}

/// The approval window of `columns` as the database stores it, or the value it cannot hold.
pub(crate) fn approval_validity_ms(columns: &ModelColumns) -> Result<Option<i64>, u64> {
    columns
        .approval_validity_ms
        .map(|ms| i64::try_from(ms).map_err(|_| ms))
        .transpose()
}

/// Inserts the models row of `key` with `columns`, `seal` and `kind`, unless a row of that key
/// is there: whether it was inserted.
pub(crate) async fn insert_model_row(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    key: &ModelKey,
    columns: &ModelColumns,
    approval_validity_ms: Option<i64>,
    seal: &str,
    kind: &str,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO modelgate_models (name, version, environment, approval_validity_ms,
            revision, head, seal, status, kind, last_action, updated_at, submitted_seq,
            deployed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (name, version, environment) DO NOTHING",
    )
    .bind(key.name())
    .bind(key.version())
    .bind(key.environment())
    .bind(approval_validity_ms)
    .bind(columns.revision)
    .bind(&columns.head)
    .bind(seal)
    .bind(&columns.status)
    .bind(kind)
    .bind(columns.last_action)
    .bind(columns.updated_at)
    .bind(columns.submitted_seq)
    .bind(columns.deployed_at)
    .execute(&mut **tx)
    .await?;
    Ok(inserted.rows_affected() > 0)
}

/// The models row moved on: `$1`–`$8` the new columns and seal, `$9`–`$11` the key (bound by
/// [`bind_moved`]); a caller that compares appends its conditions from `$12`.
pub(crate) const MOVE_MODEL_ROW: &str =
    "UPDATE modelgate_models SET revision = $1, head = $2, seal = $3, status = $4,
        last_action = $5, updated_at = $6,
        submitted_seq = COALESCE($7, submitted_seq), deployed_at = COALESCE($8, deployed_at)
     WHERE name = $9 AND version = $10 AND environment = $11";

/// Binds [`MOVE_MODEL_ROW`]'s `$1`–`$11`: `columns` and `seal`, then `key`.
pub(crate) fn bind_moved<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    key: &'q ModelKey,
    columns: &'q ModelColumns,
    seal: &'q str,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(columns.revision)
        .bind(columns.head.as_str())
        .bind(seal)
        .bind(columns.status.as_str())
        .bind(columns.last_action)
        .bind(columns.updated_at)
        .bind(columns.submitted_seq)
        .bind(columns.deployed_at)
        .bind(key.name())
        .bind(key.version())
        .bind(key.environment())
}

/// Moves the models row of `key` on to `columns` and `seal` (the caller compared its head).
pub(crate) async fn update_model_row(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    key: &ModelKey,
    columns: &ModelColumns,
    seal: &str,
) -> Result<(), sqlx::Error> {
    bind_moved(sqlx::query(MOVE_MODEL_ROW), key, columns, seal)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// How many rows one `INSERT` carries (10 parameters each; far below both databases' limits).
const ROWS_PER_INSERT: usize = 100;

pub(crate) async fn insert_events(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    key: &ModelKey,
    rows: &[EventRow],
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO modelgate_events (name, version, environment, seq, at, prev, hash, action,
                actor, event) VALUES ",
        );
        for i in 0..chunk.len() {
            let p = i * 10;
            if i > 0 {
                sql.push(',');
            }
            let params: Vec<String> = (p + 1..=p + 10).map(|n| format!("${n}")).collect();
            sql.push('(');
            sql.push_str(&params.join(", "));
            sql.push(')');
        }
        let mut query = sqlx::query(&sql);
        for row in chunk {
            query = query
                .bind(key.name())
                .bind(key.version())
                .bind(key.environment())
                .bind(row.seq)
                .bind(row.at)
                .bind(&row.prev)
                .bind(&row.hash)
                .bind(row.action)
                .bind(row.actor.as_deref())
                .bind(&row.event);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// A seal as stored in the models row: its JSON (`{"key_id": …, "value": "<hex>"}`).
pub(crate) fn seal_json(seal: &Seal) -> String {
    let value: String = seal.value().iter().map(|b| format!("{b:02x}")).collect();
    let key_id = serde_json::to_string(seal.key_id()).unwrap_or_else(|_| String::from("\"\""));
    format!("{{\"key_id\":{key_id},\"value\":\"{value}\"}}")
}
