//! The log of heads (`modelgate::log`) kept in the store: one leaf per change of any trail's
//! head, appended in the transaction of the write that made it; checkpoints signed with the
//! host's note key; proofs for auditors and deploy gates; loads checked against a checkpoint
//! held outside the store.
//!
//! A write's leaf waits in `modelgate_log_pending` until the sequencer
//! ([`Store::sequence_log`], run by every checkpoint) numbers it, so that writers of different
//! models do not wait for one another. The rows hold the leaves; the tree's complete-subtree hashes are kept beside them
//! (`modelgate_log_nodes`, see [`crate::log_nodes`]), so that a checkpoint or a consistency
//! proof reads O(log n) rows and a head proof O(log n) rows plus the leaves after the approval.
//! Whatever checks the store against a held checkpoint recomputes the tree from the leaves.

use std::collections::BTreeMap;

use modelgate::log::{
    Checkpoint, ConsistencyProof, HeadProof, Leaf, NoteSigner, ProofError, Tree, TreeHead,
    nodes_for_consistency, nodes_for_frontier, nodes_for_head,
};
use modelgate::{Head, Registry, StoredModel, Timestamp};
use sqlx::Row;

use crate::error::{AnchorError, DatabaseError, LogError};
use crate::index::{index_head, index_key, stated_head};
use crate::store::{Backend, Store};
use crate::{Loaded, ModelKey};
use crate::{log_nodes, log_sequence};
use modelgate::registry::PolicyBook;

impl Store {
    /// Adds the leaf of a write to the pending leaves (see [`crate::log_sequence`]) unless the
    /// store was opened [`without_log`](crate::Options::without_log).
    pub(crate) async fn log_leaf(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        key: &ModelKey,
        leaf: (&str, i64, Option<i64>),
    ) -> Result<(), sqlx::Error> {
        match self.log_heads {
            true => log_sequence::add_pending(tx, key, leaf).await,
            false => Ok(()),
        }
    }
}

impl Store {
    /// Adds the leaf of the registry `name`'s sealed index, at `revision` with `entries`, to
    /// the pending leaves (under [`index_key`]), unless the store was opened without the log:
    /// so that an older sealed index put back (a member taken out) is a rollback a held
    /// checkpoint sees.
    pub(crate) async fn log_index(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        name: &str,
        revision: i64,
        entries: &[(String, String, Head)],
        at: Option<i64>,
    ) -> Result<(), sqlx::Error> {
        let head = index_head(name, entries).to_string();
        self.log_leaf(tx, &index_key(name), (&head, revision, at))
            .await
    }
}

/// Which models a check against a held checkpoint is about.
#[derive(Clone, Copy)]
enum Scope<'a> {
    All,
    Name(&'a str),
    Key(&'a ModelKey),
}

impl Scope<'_> {
    fn holds(&self, (name, version, environment): (&str, &str, &str)) -> bool {
        match self {
            Scope::All => true,
            Scope::Name(n) => *n == name,
            Scope::Key(k) => {
                (k.name(), k.version(), k.environment()) == (name, version, environment)
            }
        }
    }
}

type TrailId = (String, String, String);

/// The log and the models rows, read in one snapshot.
struct Snapshot {
    leaves: Vec<Leaf>,
    /// The leaves written and not yet sequenced: after `leaves`, in the sequencer's order.
    pending: Vec<Leaf>,
    /// Each stored model's head and revision.
    rows: BTreeMap<TrailId, (Head, u64)>,
}

fn trail_id(leaf: &Leaf) -> TrailId {
    (
        leaf.name().to_owned(),
        leaf.version().to_owned(),
        leaf.environment().to_owned(),
    )
}

fn key_of((name, version, environment): &TrailId) -> ModelKey {
    ModelKey::new(name.as_str(), version.as_str()).in_environment(environment.as_str())
}

fn id_of(key: &ModelKey) -> (&str, &str, &str) {
    (key.name(), key.version(), key.environment())
}

fn db(e: sqlx::Error) -> LogError {
    LogError::Database(DatabaseError(e))
}

/// The leaf of a log row, or why it is not one.
fn leaf_of(row: &sqlx::any::AnyRow, expected: u64) -> Result<Leaf, LogError> {
    let bad = |what| LogError::BadRow {
        index: expected,
        what,
    };
    let idx: i64 = row.try_get(0).map_err(db)?;
    if u64::try_from(idx).ok() != Some(expected) {
        return Err(bad("the leaves' indexes have a gap or are out of order"));
    }
    let (name, version, environment): (String, String, String) = (
        row.try_get(1).map_err(db)?,
        row.try_get(2).map_err(db)?,
        row.try_get(3).map_err(db)?,
    );
    let head: String = row.try_get(4).map_err(db)?;
    let head: Head = head
        .parse()
        .map_err(|_| bad("the head is not 64 hex digits"))?;
    let revision: i64 = row.try_get(5).map_err(db)?;
    let revision = u64::try_from(revision).map_err(|_| bad("the revision is negative"))?;
    let at: i64 = row.try_get(6).map_err(db)?;
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

/// The tree of `leaves`.
fn tree_of(leaves: &[Leaf]) -> Tree {
    let mut tree = Tree::new();
    for leaf in leaves {
        tree.append(leaf.hash());
    }
    tree
}

impl Store {
    /// A read transaction that sees one snapshot: SQLite's (in WAL mode, from its first read)
    /// or PostgreSQL's `REPEATABLE READ`.
    async fn begin_snapshot(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin().await,
            Backend::Postgres => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ")
                    .await
            }
        }
    }

    pub(crate) async fn read_leaves(
        conn: &mut sqlx::AnyConnection,
        size: Option<u64>,
    ) -> Result<Vec<Leaf>, LogError> {
        Self::read_leaf_range(conn, 0, size.unwrap_or(u64::MAX)).await
    }

    /// The leaves `from..to` (as many of them as the log has), checked to have no gap.
    async fn read_leaf_range(
        conn: &mut sqlx::AnyConnection,
        from: u64,
        to: u64,
    ) -> Result<Vec<Leaf>, LogError> {
        let bound = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let rows = sqlx::query(
            "SELECT idx, name, version, environment, head, revision, at FROM modelgate_log
             WHERE idx >= $1 AND idx < $2 ORDER BY idx",
        )
        .bind(bound(from))
        .bind(bound(to))
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        (from..)
            .zip(&rows)
            .map(|(i, row)| leaf_of(row, i))
            .collect()
    }

    /// Every leaf of the log, in order, the pending leaves sequenced first: what a log file for
    /// `modelgate log` holds.
    ///
    /// # Errors
    ///
    /// [`LogError::BadRow`] for a row that is not a leaf (or a gap); as
    /// [`sequence_log`](Self::sequence_log).
    pub async fn log_leaves(&self) -> Result<Vec<Leaf>, LogError> {
        self.sequence_log().await?;
        let mut conn = self.pool.acquire().await.map_err(db)?;
        Self::read_leaves(&mut conn, None).await
    }

    /// The log's head now, the pending leaves sequenced first: its size and root, from one
    /// stored tree hash per bit set in its size.
    ///
    /// # Errors
    ///
    /// [`LogError::BadNode`] for a stored tree hash missing or not a hash; as
    /// [`sequence_log`](Self::sequence_log).
    pub async fn log_head(&self) -> Result<TreeHead, LogError> {
        self.sequence_log().await?;
        let mut tx = self.begin_snapshot().await.map_err(db)?;
        let size = log_nodes::size(&mut tx).await?;
        let tree = log_nodes::tree(&mut tx, size, &nodes_for_head(size)?).await?;
        tx.commit().await.map_err(db)?;
        Ok(tree.head_at(size)?)
    }

    /// The log's checkpoint now, as the log `origin` (e.g. `bank.example/models`), signed with
    /// the host's note key: a C2SP signed note, to hand to auditors, witnesses and CI.
    ///
    /// # Errors
    ///
    /// [`LogError::Note`] for an origin that is empty or holds a control character; as
    /// [`log_head`](Self::log_head).
    pub async fn checkpoint(&self, origin: &str, signer: &NoteSigner) -> Result<String, LogError> {
        let head = self.log_head().await?;
        Ok(Checkpoint::new(origin, head.size(), head.root())?.sign(signer)?)
    }

    /// The proof that the log at `new` leaves extends the log at `old` leaves (the sizes of
    /// two checkpoints).
    ///
    /// # Errors
    ///
    /// [`LogError::Proof`] for sizes the log cannot prove (0, out of order, past its size); as
    /// [`log_head`](Self::log_head).
    pub async fn prove_consistency(
        &self,
        old: u64,
        new: u64,
    ) -> Result<ConsistencyProof, LogError> {
        let mut tx = self.begin_snapshot().await.map_err(db)?;
        let size = log_nodes::size(&mut tx).await?;
        // Sizes past the log's are refused by the proof, before any hash is read.
        let ids = match new <= size {
            true => nodes_for_consistency(old, new)?,
            false => Vec::new(),
        };
        let tree = log_nodes::tree(&mut tx, size, &ids).await?;
        tx.commit().await.map_err(db)?;
        Ok(tree.prove_consistency(old, new)?)
    }

    /// The proof a deploy gate checks with `modelgate attest verify --checkpoint`: the latest
    /// leaf of `key` among the first `size` leaves (the size of the checkpoint the gate holds),
    /// and every leaf after it, so the gate sees whether the trail moved on after the head it
    /// approved.
    ///
    /// # Errors
    ///
    /// [`LogError::NotLogged`] if the first `size` leaves hold none of `key`;
    /// [`LogError::Proof`] if the log has fewer than `size` leaves; as
    /// [`log_leaves`](Self::log_leaves).
    pub async fn prove_head(&self, key: &ModelKey, size: u64) -> Result<HeadProof, LogError> {
        let mut tx = self.begin_snapshot().await.map_err(db)?;
        let have = log_nodes::size(&mut tx).await?;
        if size > have {
            return Err(LogError::Proof(ProofError::SizeBeyondTree { size, have }));
        }
        // The model's latest leaf before `size`: the last entry of its trail index
        // (`modelgate_log_trail`), read backwards, whatever the planner knows of the table.
        let at: Option<i64> = sqlx::query(
            "SELECT idx FROM modelgate_log
             WHERE name = $1 AND version = $2 AND environment = $3 AND idx < $4
             ORDER BY idx DESC LIMIT 1",
        )
        .bind(key.name())
        .bind(key.version())
        .bind(key.environment())
        .bind(i64::try_from(size).unwrap_or(i64::MAX))
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?
        .map(|row| row.try_get(0))
        .transpose()
        .map_err(db)?;
        let at = at
            .and_then(|at| u64::try_from(at).ok())
            .ok_or_else(|| LogError::NotLogged { key: key.clone() })?;
        let mut later = Self::read_leaf_range(&mut tx, at, size).await?.into_iter();
        let leaf = later
            .next()
            .filter(|l| (l.name(), l.version(), l.environment()) == id_of(key))
            .ok_or(LogError::BadRow {
                index: at,
                what: "the leaf is not the model's the trail index found",
            })?;
        let nodes = log_nodes::tree(&mut tx, have, &nodes_for_frontier(at)?).await?;
        tx.commit().await.map_err(db)?;
        Ok(HeadProof::new(
            at,
            leaf,
            nodes.frontier(at)?,
            later.collect(),
        ))
    }

    /// Checks the store against `held`, a checkpoint of this log that someone else holds
    /// (opened with [`Checkpoint::open`] and the log's or a witness's note key): the log is a
    /// consistent extension of it, and every stored model is at the latest head the log holds
    /// for it, and every model the log holds is stored. The pending leaves are sequenced
    /// first; returns the log's head now.
    ///
    /// # Errors
    ///
    /// [`AnchorError::Truncated`], [`AnchorError::Forked`] (a log rewritten, or a store wiped
    /// and refilled), [`AnchorError::RolledBack`], [`AnchorError::NotLogged`],
    /// [`AnchorError::Deleted`], each naming the model; [`AnchorError::Log`], with
    /// [`LogError::NodesDisagree`] if the stored tree hashes do not lead to the leaves' root,
    /// or as [`sequence_log`](Self::sequence_log).
    pub async fn verify_log(&self, held: &Checkpoint) -> Result<TreeHead, AnchorError> {
        self.sequence_log().await?;
        let snapshot = self.snapshot(held, Scope::All).await?;
        check_rows(&snapshot, Scope::All)?;
        let head = tree_of(&snapshot.leaves).head();
        let mut conn = self.pool.acquire().await.map_err(db)?;
        // Complete subtrees never change: the hashes of the snapshot's size, read now.
        let stored = log_nodes::tree(
            &mut conn,
            head.size(),
            &nodes_for_head(head.size()).map_err(LogError::from)?,
        )
        .await?
        .head_at(head.size());
        if stored.ok() != Some(head) {
            return Err(LogError::NodesDisagree { size: head.size() }.into());
        }
        Ok(head)
    }

    /// [`load`](Self::load)s `key`, and checks it against `held` (see
    /// [`verify_log`](Self::verify_log)): the log extends the held checkpoint, the model is
    /// stored at the latest head the log holds for it, and every head the log holds for it is
    /// on its stored trail (a trail forged from an older head and resealed is refused, whatever
    /// the attacker appended to the log after the held checkpoint). It writes nothing: the
    /// leaves not yet sequenced are read with the log's, in one snapshot, as the ones after it.
    ///
    /// # Errors
    ///
    /// [`AnchorError`] naming what was changed: [`AnchorError::Deleted`] for a model the log
    /// holds and the store does not; [`AnchorError::Load`] if the model does not load;
    /// [`AnchorError::Moved`] if it was written while it was checked.
    pub async fn load_anchored(
        &self,
        key: &ModelKey,
        held: &Checkpoint,
    ) -> Result<Loaded<StoredModel>, AnchorError> {
        let snapshot = self.snapshot(held, Scope::Key(key)).await?;
        check_rows(&snapshot, Scope::Key(key))?;
        let loaded = self.load(key).await?;
        check_trail(&snapshot, key, &loaded)?;
        Ok(loaded)
    }

    /// [`load_registry`](Self::load_registry) `name`, and checks each member as
    /// [`load_anchored`](Self::load_anchored) does, and that no member the log holds was
    /// deleted.
    ///
    /// # Errors
    ///
    /// As [`load_anchored`](Self::load_anchored); [`AnchorError::LoadRegistry`] if the
    /// registry does not load.
    pub async fn load_registry_anchored(
        &self,
        name: &str,
        book: &PolicyBook,
        held: &Checkpoint,
    ) -> Result<Registry, AnchorError> {
        let snapshot = self.snapshot(held, Scope::Name(name)).await?;
        check_rows(&snapshot, Scope::Name(name))?;
        for member in self.members(name).await? {
            let model = &member.model;
            let key = ModelKey::new(model.name(), model.version())
                .in_environment(model.environment().name());
            check_trail(&snapshot, &key, &member)?;
        }
        Ok(self.load_registry(name, book).await?)
    }

    /// The log and the models rows of `scope` in one snapshot, the log checked against `held`.
    async fn snapshot(&self, held: &Checkpoint, scope: Scope<'_>) -> Result<Snapshot, AnchorError> {
        let mut tx = self.begin_snapshot().await.map_err(db)?;
        let leaves = Self::read_leaves(&mut tx, None).await?;
        let have = u64::try_from(leaves.len()).unwrap_or(u64::MAX);
        let tree = tree_of(&leaves);
        let prefix = tree
            .head_at(held.size())
            .map_err(|_| AnchorError::Truncated {
                held: held.size(),
                have,
            })?;
        if prefix.root() != held.root() {
            return Err(AnchorError::Forked { held: held.size() });
        }
        let pending = log_sequence::read_pending(&mut tx).await?;
        let rows =
            sqlx::query("SELECT name, version, environment, head, revision FROM modelgate_models")
                .fetch_all(&mut *tx)
                .await
                .map_err(db)?;
        let mut stored = BTreeMap::new();
        for row in rows {
            let id: TrailId = (
                row.try_get(0).map_err(db)?,
                row.try_get(1).map_err(db)?,
                row.try_get(2).map_err(db)?,
            );
            if !scope.holds((&id.0, &id.1, &id.2)) {
                continue;
            }
            let head: String = row.try_get(3).map_err(db)?;
            let revision: i64 = row.try_get(4).map_err(db)?;
            // A head or revision that does not parse never matches a leaf: a zero head.
            let head = head.parse().unwrap_or(Head::from_bytes([0; 32]));
            stored.insert(id, (head, u64::try_from(revision).unwrap_or(u64::MAX)));
        }
        // Each registry's sealed index, as the log holds it: under its name with an empty
        // version and environment.
        let indexes = sqlx::query("SELECT name, revision, members FROM modelgate_registries")
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        for row in indexes {
            let name: String = row.try_get(0).map_err(db)?;
            if !scope.holds((&name, "", "")) {
                continue;
            }
            let revision: i64 = row.try_get(1).map_err(db)?;
            let members: String = row.try_get(2).map_err(db)?;
            let head = stated_head(&name, &members).unwrap_or(Head::from_bytes([0; 32]));
            stored.insert(
                (name, String::new(), String::new()),
                (head, u64::try_from(revision).unwrap_or(u64::MAX)),
            );
        }
        tx.commit().await.map_err(db)?;
        Ok(Snapshot {
            leaves,
            pending,
            rows: stored,
        })
    }
}

/// Each model of `scope` stored at the latest head the log holds for it, and each model the
/// log holds stored.
fn check_rows(snapshot: &Snapshot, scope: Scope<'_>) -> Result<(), AnchorError> {
    let mut latest: BTreeMap<TrailId, &Leaf> = BTreeMap::new();
    for leaf in snapshot.leaves.iter().chain(&snapshot.pending) {
        if !scope.holds((leaf.name(), leaf.version(), leaf.environment())) {
            continue;
        }
        // A trail's leaves go forward: a later leaf at an older revision is a rollback logged
        // over the one before; another head at the same revision, a fork.
        let id = trail_id(leaf);
        if let Some(before) = latest.get(&id) {
            if leaf.revision() < before.revision() {
                return Err(AnchorError::RolledBack {
                    key: key_of(&id),
                    logged: before.revision(),
                    stored: leaf.revision(),
                });
            }
            if leaf.revision() == before.revision() && leaf.head() != before.head() {
                return Err(AnchorError::TwoHeads {
                    key: key_of(&id),
                    revision: leaf.revision(),
                    first: before.head(),
                    second: leaf.head(),
                });
            }
        }
        latest.insert(id, leaf);
    }
    for (id, (head, revision)) in &snapshot.rows {
        match latest.get(id) {
            Some(leaf) if leaf.head() == *head && leaf.revision() == *revision => {}
            Some(leaf) if *revision < leaf.revision() => {
                return Err(AnchorError::RolledBack {
                    key: key_of(id),
                    logged: leaf.revision(),
                    stored: *revision,
                });
            }
            _ => {
                return Err(AnchorError::NotLogged {
                    key: key_of(id),
                    stored: *head,
                });
            }
        }
    }
    if let Some(id) = latest.keys().find(|id| !snapshot.rows.contains_key(*id)) {
        return Err(AnchorError::Deleted { key: key_of(id) });
    }
    Ok(())
}

/// Every head the log holds for `key` is on the loaded trail, and the last is its head.
fn check_trail(
    snapshot: &Snapshot,
    key: &ModelKey,
    loaded: &Loaded<StoredModel>,
) -> Result<(), AnchorError> {
    let model = &loaded.model;
    let id = (key.name(), key.version(), key.environment());
    if snapshot
        .rows
        .get(&(id.0.to_owned(), id.1.to_owned(), id.2.to_owned()))
        != Some(&(loaded.head, loaded.revision))
    {
        return Err(AnchorError::Moved { key: key.clone() });
    }
    let header = Head::of_header(model.name(), model.version(), model.environment());
    for leaf in snapshot
        .leaves
        .iter()
        .chain(&snapshot.pending)
        .filter(|l| (l.name(), l.version(), l.environment()) == id)
    {
        let on_trail = match leaf.revision() {
            0 => Some(header),
            r => usize::try_from(r - 1)
                .ok()
                .and_then(|i| model.events().get(i))
                .map(modelgate::Event::hash),
        };
        if leaf.revision() > loaded.revision {
            return Err(AnchorError::RolledBack {
                key: key.clone(),
                logged: leaf.revision(),
                stored: loaded.revision,
            });
        }
        if on_trail != Some(leaf.head()) {
            return Err(AnchorError::OffTrail {
                key: key.clone(),
                logged: leaf.head(),
                revision: leaf.revision(),
            });
        }
    }
    Ok(())
}
