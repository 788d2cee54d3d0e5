//! A vote on a model this store kept, written with one compare-and-swap: the kept model is the
//! stored one exactly when the models row still holds the head, revision and seal this store
//! wrote or verified, the event row at that revision is still there with that head as its
//! `hash`, and no event row lies past that revision; so the write compares those and needs no
//! read first. On PostgreSQL it is one statement (one round trip); on SQLite one short write
//! transaction. When the rows hold anything else (another writer appended, a column changed
//! without the key, the last row deleted), nothing is written and the vote takes the path that
//! reads and verifies.
//!
//! What the swap does not look at, by design (its cost is the same at 10 and 10,000 events):
//! the rows below the tip. The kept model was verified whole when it was kept, so a row
//! deleted or edited below the tip since cannot change what the vote is counted against; it is
//! found by the next whole load, [`Store::load`](crate::Store::load) or a listing, which
//! refuse the trail and name the row.

use modelgate::{AnyModel, Head, Review};
use sqlx::Row;

use crate::ModelKey;
use crate::store::{Backend, Store, Written};
use crate::trail::{EventRow, KIND_MODEL, ModelColumns};
use crate::verified::Kept;
use crate::write::{self, MOVE_MODEL_ROW};

/// The compare-and-swap's conditions on the event rows: the row at the revision the models row
/// holds is there with the kept head as its `hash` (a trail cut back or a tip edited is not
/// voted over), and no event row of the model lies past it (one slipped in ahead, next or
/// further, is voted over by no one; the path that reads refuses it). Two probes of the
/// events' primary key. `$9`–`$11` are the key, `$12` the head, `$13` the revision.
const ROWS_AS_KEPT: &str = "AND EXISTS (SELECT 1 FROM modelgate_events e
    WHERE e.name = $9 AND e.version = $10 AND e.environment = $11 AND e.seq = $13
      AND e.hash = $12)
  AND NOT EXISTS (SELECT 1 FROM modelgate_events e
    WHERE e.name = $9 AND e.version = $10 AND e.environment = $11 AND e.seq > $13)";

impl Store {
    /// Records `review` on the kept model and writes it if the row is as kept: the new
    /// [`Kept`] and what was written. Otherwise `Err`: the kept model back unchanged if it
    /// refused the vote (a refusal by a kept model may be stale: the path that reads answers),
    /// or nothing once the vote is recorded in it and not written (the path that reads then
    /// restores the model whole: a conflict, or a row changed without the key).
    pub(crate) async fn vote_on_kept(
        &self,
        key: &ModelKey,
        kept: Kept,
        review: &Review,
    ) -> Result<(Kept, Written), Option<Kept>> {
        let Kept { head, seal, model } = kept;
        let AnyModel::Submitted(mut submitted) = model else {
            return Err(Some(Kept { head, seal, model }));
        };
        if submitted.record(review.clone()).is_err() {
            return Err(Some(Kept {
                head,
                seal,
                model: submitted.into(),
            }));
        }
        let Some(new) = submitted.history().last().filter(|e| *e.prev() == head) else {
            return Err(None);
        };
        let new = std::slice::from_ref(new);
        let (Ok(rows), Ok(new_seal)) = (write::event_rows(new), self.keys.seal(&submitted.head()))
        else {
            return Err(None);
        };
        let new_seal = write::seal_json(&new_seal);
        let columns = ModelColumns::of(&submitted, new);
        let expected = (head, columns.revision.saturating_sub(1), seal.as_str());
        let written = match (rows.first(), self.backend) {
            (Some(row), Backend::Postgres) => {
                self.cas_postgres(key, expected, &columns, &new_seal, row)
                    .await
            }
            (Some(row), Backend::Sqlite) => {
                self.cas_sqlite(key, expected, &columns, &new_seal, row)
                    .await
            }
            (None, _) => Ok(false),
        };
        if !written.unwrap_or(false) {
            return Err(None);
        }
        let new_head = submitted.head();
        Ok((
            Kept {
                head: new_head,
                seal: new_seal,
                model: submitted.into(),
            },
            Written {
                key: key.clone(),
                head: new_head,
                revision: u64::try_from(columns.revision).unwrap_or(0),
            },
        ))
    }

    async fn cas_postgres(
        &self,
        key: &ModelKey,
        (head, revision, seal): (Head, i64, &str),
        columns: &ModelColumns,
        new_seal: &str,
        row: &EventRow,
    ) -> Result<bool, sqlx::Error> {
        let leaf = if self.log_heads {
            ", leaf AS (INSERT INTO modelgate_log_pending (name, version, environment, revision,
                 head, at) SELECT $9, $10, $11, $1, $2, $22::BIGINT FROM moved
                 ON CONFLICT DO NOTHING)"
        } else {
            ""
        };
        let sql = format!(
            "WITH moved AS ({MOVE_MODEL_ROW} AND head = $12 AND revision = $13 AND seal = $14
                 AND kind = $23 {ROWS_AS_KEPT} RETURNING 1),
             event AS (INSERT INTO modelgate_events (name, version, environment, seq, at, prev,
                 hash, action, actor, event)
               SELECT $9, $10, $11, $15::BIGINT, $16::BIGINT, $17, $18, $19, $20, $21 FROM moved){leaf}
             SELECT COUNT(*) FROM moved"
        );
        let at = columns.leaf().2;
        let moved: i64 = write::bind_moved(sqlx::query(&sql), key, columns, new_seal)
            .bind(head.to_string())
            .bind(revision)
            .bind(seal)
            .bind(row.seq)
            .bind(row.at)
            .bind(&row.prev)
            .bind(&row.hash)
            .bind(row.action)
            .bind(row.actor.as_deref())
            .bind(&row.event)
            .bind(at.unwrap_or(0))
            .bind(KIND_MODEL)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(moved == 1)
    }

    async fn cas_sqlite(
        &self,
        key: &ModelKey,
        (head, revision, seal): (Head, i64, &str),
        columns: &ModelColumns,
        new_seal: &str,
        row: &EventRow,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "{MOVE_MODEL_ROW} AND head = $12 AND revision = $13 AND seal = $14 AND kind = $15
             {ROWS_AS_KEPT}"
        );
        let moved = write::bind_moved(sqlx::query(&sql), key, columns, new_seal)
            .bind(head.to_string())
            .bind(revision)
            .bind(seal)
            .bind(KIND_MODEL)
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        write::insert_events(&mut tx, key, std::slice::from_ref(row)).await?;
        self.log_leaf(&mut tx, key, columns.leaf()).await?;
        tx.commit().await?;
        Ok(true)
    }
}
