//! A host's model store on SQLite: models as `StoredModel` JSON with a revision column; updates
//! are compare-and-swap on the revision, retried when another writer got there first.
//!
//! Shared by `examples/sqlite_store/main.rs` and `tests/sqlite_concurrency.rs`.
#![allow(dead_code)]

use std::error::Error;
use std::path::Path;
use std::time::Duration;

use modelgate::{AnyModel, Policy, Review, StoredModel, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

/// A model's key.
pub struct Key<'a> {
    pub name: &'a str,
    pub version: &'a str,
}

pub struct Store {
    conn: Connection,
}

/// What an update did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Updated {
    /// The revision written.
    pub revision: u64,
    /// How many times another writer got there first.
    pub retries: u32,
}

impl Store {
    /// Opens (or creates) the store at `path`. Each thread opens its own.
    pub fn open(path: &Path) -> rusqlite::Result<Store> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS models (
                name TEXT NOT NULL,
                version TEXT NOT NULL,
                revision INTEGER NOT NULL,
                json TEXT NOT NULL,
                PRIMARY KEY (name, version)
            )",
        )?;
        Ok(Store { conn })
    }

    /// Stores a new model.
    pub fn insert(&self, model: &StoredModel) -> Result<(), Box<dyn Error>> {
        self.conn.execute(
            "INSERT INTO models (name, version, revision, json) VALUES (?1, ?2, ?3, ?4)",
            params![
                model.name(),
                model.version(),
                model.revision() as i64,
                serde_json::to_string(model)?
            ],
        )?;
        Ok(())
    }

    /// The stored model and its revision.
    pub fn load(&self, key: &Key<'_>) -> Result<(StoredModel, u64), Box<dyn Error>> {
        let row: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT revision, json FROM models WHERE name = ?1 AND version = ?2",
                params![key.name, key.version],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let (revision, json) = row.ok_or("no such model")?;
        Ok((serde_json::from_str(&json)?, revision as u64))
    }

    /// Reads the model, applies `change`, and writes it back only if nobody wrote in between
    /// (same revision); otherwise reads again and retries.
    pub fn update(
        &self,
        key: &Key<'_>,
        mut change: impl FnMut(StoredModel) -> Result<StoredModel, Box<dyn Error>>,
    ) -> Result<Updated, Box<dyn Error>> {
        let mut retries = 0;
        loop {
            let (model, revision) = self.load(key)?;
            let changed = change(model)?;
            let written = self.conn.execute(
                "UPDATE models SET revision = ?1, json = ?2 WHERE name = ?3 AND version = ?4 AND revision = ?5",
                params![
                    changed.revision() as i64,
                    serde_json::to_string(&changed)?,
                    key.name,
                    key.version,
                    revision as i64
                ],
            )?;
            if written == 1 {
                return Ok(Updated {
                    revision: changed.revision(),
                    retries,
                });
            }
            retries += 1;
        }
    }

    /// Records a vote made by `vote` at the time it is written: `now`, or the model's last
    /// event if that is later (a vote cannot be recorded before an event already stored).
    pub fn record_vote(
        &self,
        key: &Key<'_>,
        policy: &(impl Policy + ?Sized),
        now: Timestamp,
        vote: impl Fn(Timestamp) -> Review,
    ) -> Result<Updated, Box<dyn Error>> {
        self.update(key, |stored| {
            let AnyModel::Submitted(mut model) =
                stored.restore_unsealed(policy).map_err(|e| e.to_string())?
            else {
                return Err("the model is not waiting for votes".into());
            };
            let last = model.history().last().map_or(now, |e| e.at());
            model.record(vote(now.max(last)))?;
            Ok(StoredModel::from(&model))
        })
    }
}
