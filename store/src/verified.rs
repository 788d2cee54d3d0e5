//! The models this store verified and wrote last, kept in memory so that the next vote on one
//! verifies only what was appended since ([`modelgate::AnyModel::resume`]), or nothing when
//! the row is still as written (`kept_vote`): a vote costs the same on a long trail as on a
//! short one. And a turn per model, so that this process's votes on one model queue rather
//! than conflict.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Mutex;

use modelgate::trail::Seal;
use modelgate::{AnyModel, Head, Policy};

use crate::ModelKey;
use crate::load::{Loaded, hash_column_breaks, index_column_breaks, parse_events};
use crate::store::Store;

/// A model as this store wrote it: its head, and the seal stored with it (the models row's
/// `seal` column, as written).
pub(crate) struct Kept {
    pub(crate) head: Head,
    pub(crate) seal: String,
    pub(crate) model: AnyModel,
}

/// How many turns votes queue on: models share one when their keys hash alike.
const TURNS: usize = 1024;

/// The kept models by key, each with the clock's reading when it was kept; and the clock.
type Entries = (u64, HashMap<ModelKey, (u64, Kept)>);

/// At most `capacity` verified models, by key, each with when it was kept last (the one kept
/// longest ago goes first), and the turns.
pub(crate) struct Verified {
    entries: Mutex<Entries>,
    capacity: usize,
    turns: Box<[tokio::sync::Mutex<()>]>,
    hasher: std::collections::hash_map::RandomState,
}

impl Verified {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new((0, HashMap::new())),
            capacity,
            turns: (0..TURNS).map(|_| tokio::sync::Mutex::new(())).collect(),
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }

    /// Waits for this process's turn to vote on `key`: one vote on a model at a time here
    /// (other processes are held off by compare-and-swap).
    pub(crate) async fn turn(&self, key: &ModelKey) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        let at = usize::try_from(self.hasher.hash_one(key) % TURNS as u64).ok()?;
        Some(self.turns.get(at)?.lock().await)
    }

    /// Takes the model of `key`, if one is kept (a writer that takes it has it alone; the
    /// others restore whole).
    pub(crate) fn take(&self, key: &ModelKey) -> Option<Kept> {
        Some(self.entries.lock().ok()?.1.remove(key)?.1)
    }

    /// Keeps a model, as the store holds it, if nothing in its trail depends on the policy it
    /// was verified under: no decision yet (a trail with one is restored whole, so that every
    /// vote's answer is the same whichever store instance gives it).
    pub(crate) fn keep(&self, key: &ModelKey, kept: Kept) {
        let trail = kept.model.trail();
        if self.capacity == 0 || trail.is_run() || trail.has_decision() {
            return;
        }
        let Ok(mut guard) = self.entries.lock() else {
            return;
        };
        let (clock, entries) = &mut *guard;
        *clock = clock.wrapping_add(1);
        if entries.len() >= self.capacity && !entries.contains_key(key) {
            // The one kept longest ago goes (a scan: the set is small).
            let oldest = entries.iter().min_by_key(|(_, (at, _))| *at);
            if let Some(evict) = oldest.map(|(k, _)| k.clone()) {
                entries.remove(&evict);
            }
        }
        entries.insert(key.clone(), (*clock, kept));
    }
}

impl Store {
    /// `key` restored under `policy`: from the model this store verified last, continued by
    /// what was appended since (chain, seal, replay of the new events), or whole.
    pub(crate) async fn restore_latest<P: Policy + ?Sized>(
        &self,
        key: &ModelKey,
        policy: &P,
    ) -> Result<Loaded<AnyModel>, crate::error::LoadError> {
        if let Some(kept) = self.verified.take(key)
            && let Some(loaded) = self.resume(key, policy, kept.head, kept.model).await
        {
            return Ok(loaded);
        }
        self.restore(key, policy).await
    }

    /// `model` (which the store held at `head`) continued by the rows appended since, if they
    /// continue it and verify; `None` for anything else, which a whole restore then names.
    async fn resume<P: Policy + ?Sized>(
        &self,
        key: &ModelKey,
        policy: &P,
        head: Head,
        model: AnyModel,
    ) -> Option<Loaded<AnyModel>> {
        let after = i64::try_from(model.revision()).ok()?;
        let stored = self.read_rows_after(key, Some(after)).await.ok()??;
        let (stored_head, revision, rows) = (stored.head, stored.revision, stored.events);
        let revision = u64::try_from(revision).ok()?;
        let seal: Seal = serde_json::from_str(&stored.seal).ok()?;
        if stored_head == head.to_string() {
            // Nothing appended since: the model is the stored one, if the seal stored with it
            // still verifies (a seal replaced without the key is not voted over).
            self.keys.verifier().verify(&head, &seal).ok()?;
            return (rows.is_empty() && revision == model.revision()).then_some(Loaded {
                model,
                head,
                revision,
            });
        }
        // The new rows' `hash` columns chain to the head, as a whole load checks.
        if hash_column_breaks(&rows, &stored_head).is_some() {
            return None;
        }
        let events = parse_events(&rows).ok()?;
        if index_column_breaks(&rows, &events).is_some() {
            return None;
        }
        let model = model
            .resume(events, &seal, self.keys.verifier(), policy)
            .ok()?;
        (model.revision() == revision && model.head().to_string() == stored_head).then(|| {
            let head = model.head();
            Loaded {
                model,
                head,
                revision,
            }
        })
    }
}

impl Store {
    /// Keeps the model just created under `key` (its trail sealed with `sealed`, stored as
    /// `seal`), rebuilt by replaying its own trail (models are not copied), if a vote may go on
    /// from it.
    pub(crate) fn keep_created(
        &self,
        key: &ModelKey,
        model: &(impl crate::Trail + ?Sized),
        head: Head,
        seal: String,
        sealed: Seal,
    ) {
        let Ok(trail) = modelgate::Trail::from_parts(
            model.name(),
            model.version(),
            model.environment().clone(),
            model.history().to_vec(),
        ) else {
            return;
        };
        if trail.is_run() || trail.has_decision() {
            return;
        }
        let stored = modelgate::StoredModel::new(trail, Some(sealed));
        if let Ok(model) = stored.restore_trusting_decisions(self.keys.verifier()) {
            self.verified.keep(key, Kept { head, seal, model });
        }
    }
}
