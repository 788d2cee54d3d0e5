//! The models this store verified and wrote last, kept in memory so that the next vote on one
//! verifies only what was appended since ([`modelgate::AnyModel::resume`]): a vote costs the
//! same on a long trail as on a short one.

use std::collections::HashMap;
use std::sync::Mutex;

use modelgate::trail::Seal;
use modelgate::{AnyModel, Head, Policy};

use crate::ModelKey;
use crate::load::{Loaded, hash_column_breaks, parse_events};
use crate::store::Store;

/// A model as this store verified or wrote it.
struct Entry {
    head: Head,
    model: AnyModel,
}

/// At most `capacity` verified models, by key.
pub(crate) struct Verified {
    entries: Mutex<HashMap<ModelKey, Entry>>,
    capacity: usize,
}

impl Verified {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// Takes the model of `key`, if one is kept (a writer that takes it has it alone; the
    /// others restore whole).
    fn take(&self, key: &ModelKey) -> Option<(Head, AnyModel)> {
        let mut entries = self.entries.lock().ok()?;
        let entry = entries.remove(key)?;
        Some((entry.head, entry.model))
    }

    /// Keeps `model`, which the store holds at `head`, if nothing in its trail depends on the
    /// policy it was verified under: no decision yet (a trail with one is restored whole, so
    /// that every vote's answer is the same whichever store instance gives it).
    pub(crate) fn keep(&self, key: &ModelKey, head: Head, model: AnyModel) {
        if self.capacity == 0 || model.trail().is_run() || model.trail().has_decision() {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= self.capacity && !entries.contains_key(key) {
            // Any one goes: what matters is that the set stays bounded.
            if let Some(evict) = entries.keys().next().cloned() {
                entries.remove(&evict);
            }
        }
        entries.insert(key.clone(), Entry { head, model });
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
        if let Some((head, model)) = self.verified.take(key)
            && let Some(loaded) = self.resume(key, policy, head, model).await
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
