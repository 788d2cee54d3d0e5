//! The stored form of a model (and of a run): its header and its events, sealed.

use serde::{Deserialize, Serialize};

use super::seal::{Seal, SealError, SealVerifier, Sealer};
use crate::event::{Event, FORMAT_VERSION, Head};
use crate::model::{AnyModel, Model, Stage, Trail};
use crate::value::{Environment, Refused};

/// A model of any stage (or a [`Run`](crate::Run)) as stored: the header (format version, name,
/// version), the hash-chained events, and the host's [`Seal`] over the head. Nothing else:
/// every stage's data is derived by replaying the events through the live transitions when it
/// is restored, so that no stored copy can disagree with the trail or manufacture an approval.
///
/// A seal proves that the host sealed this exact trail, not that it is the latest one: anyone
/// who can write to the storage can put back a record the host sealed earlier. Keep the latest
/// [`head`](Self::head) of each model where writers cannot roll it back, and compare.
///
/// Serialize it with any serde format; unknown fields and duplicate keys are refused, and it
/// round-trips bit for bit. Metric values must come back bit for bit or the chain breaks: with
/// `serde_json`, enable its `float_roundtrip` feature (its default parser can be off by one ulp).
///
/// ```
/// # use modelgate::*;
/// # let t = Timestamp::from_unix_secs;
/// # let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.93)])?)?;
/// let key = HmacSealer::new("db-2026", *b"0123456789abcdef0123456789abcdef");
/// let model = Model::new("churn", "1")?.submit(outcome, "alice", t(10))?;
/// let json = serde_json::to_string(&StoredModel::from(&model).sealed_by(&key)?)?;
///
/// // … days later, in another process:
/// let stored: StoredModel = serde_json::from_str(&json)?;
/// let policy = MetricGate::at_least("accuracy", 0.9);
/// let AnyModel::Submitted(restored) = stored.restore(&key, &policy)? else { unreachable!() };
/// assert_eq!(restored, model);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredModel {
    pub(crate) format_version: u32,
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) environment: Environment,
    pub(crate) events: Vec<Event>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) seal: Option<Seal>,
}

impl StoredModel {
    /// The same record sealed by `sealer` (replacing any seal it had). The head sealed is the
    /// hash of the last stored event; restoring checks that the events chain to it.
    ///
    /// # Errors
    ///
    /// [`SealError`] if the sealer fails; the record comes back inside the [`Refused`].
    pub fn sealed_by(
        mut self,
        sealer: &(impl Sealer + ?Sized),
    ) -> Result<Self, Refused<Self, SealError>> {
        match sealer.seal(&self.head()) {
            Ok(seal) => {
                self.seal = Some(seal);
                Ok(self)
            }
            Err(e) => Err(Refused::new(self, e)),
        }
    }

    /// The same record with a seal the host made itself over [`head`](Self::head) (with a KMS,
    /// an HSM, asynchronously …).
    #[must_use]
    pub fn with_seal(mut self, seal: Seal) -> Self {
        self.seal = Some(seal);
        self
    }

    /// The stored form of `trail` (checked: see [`Trail::from_parts`]), with `seal` if the
    /// host has one. What a store builds from its rows.
    ///
    /// ```
    /// # use modelgate::*;
    /// # let t = Timestamp::from_unix_secs;
    /// # let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.93)])?)?;
    /// let key = HmacSealer::new("db-2026", *b"0123456789abcdef0123456789abcdef");
    /// let model = Model::new("churn", "1")?.submit(outcome, "alice", t(10))?;
    /// let seal = key.seal(&model.head())?;
    /// // … the header, the events and the seal come back from the database's columns:
    /// let trail = Trail::from_parts("churn", "1", Environment::default(), model.history().to_vec())?;
    /// let stored = StoredModel::new(trail, Some(seal));
    /// assert_eq!(stored, StoredModel::from(&model).sealed_by(&key)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(trail: Trail, seal: Option<Seal>) -> Self {
        let (name, version, environment, events) = trail.into_parts();
        Self {
            format_version: FORMAT_VERSION,
            name,
            version,
            environment,
            events,
            seal,
        }
    }

    /// The unsealed stored form of a trail.
    pub(crate) fn of_trail(
        name: &str,
        version: &str,
        environment: &Environment,
        events: &[Event],
    ) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            name: name.to_owned(),
            version: version.to_owned(),
            environment: environment.clone(),
            events: events.to_vec(),
            seal: None,
        }
    }

    /// The stored format version.
    pub fn format_version(&self) -> u32 {
        self.format_version
    }

    /// The stored model's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The stored model's version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The stored model's environment.
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// The stored events (checked only by a restore or [`verify`](Self::verify)).
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The pipeline whose run the stored events claim to be (their first event is `run
    /// started`), if they do: such a record is restored with that pipeline
    /// ([`Run::restore`](crate::Run::restore)), never as a bare model.
    pub fn run_pipeline(&self) -> Option<&crate::event::Fingerprint> {
        crate::model::run_pipeline(&self.events)
    }

    /// The status the stored events claim the model is in (see
    /// [`Trail::status`](crate::Trail::status)): true of a record that
    /// [verifies](Self::verify) under the host's key, since the host seals only trails its
    /// transitions wrote; a restore replays them.
    pub fn status(&self) -> crate::model::Status {
        crate::model::status_of(&self.events)
    }

    /// The seal, if any.
    pub fn seal(&self) -> Option<&Seal> {
        self.seal.as_ref()
    }

    /// The number of stored events.
    pub fn revision(&self) -> u64 {
        u64::try_from(self.events.len()).unwrap_or(u64::MAX)
    }

    /// The head the stored events claim: the hash of the last one (of the header, if there are
    /// none). It is the trail's head only if the events chain, which
    /// [`verify`](Self::verify) checks.
    pub fn head(&self) -> Head {
        match self.events.last() {
            Some(last) => last.hash(),
            None => Head::of_header(&self.name, &self.version, &self.environment),
        }
    }

    /// Checks the format version, the header, the chain and the seal — everything but the
    /// replay — and returns the verified head. What a tool that only verifies records (the
    /// CLI, a store scanning its rows) needs; [`restore`](Self::restore) does this first.
    ///
    /// # Errors
    ///
    /// [`RestoreError`](crate::RestoreError) naming the event where the chain breaks, a missing
    /// seal, or a seal that does not verify.
    pub fn verify(
        &self,
        verifier: &(impl SealVerifier + ?Sized),
    ) -> Result<Head, super::RestoreError> {
        super::replay::verify(self, Some(&verifier))
    }

    /// The same record sealed again by `sealer` (a new key, after a rotation), once its chain
    /// and its seal verify under `verifier` (which holds the old key, for its time: see
    /// [`Keyring`](super::Keyring)); and the old seal, to keep as evidence that the old key
    /// sealed this head. Nothing but the seal changes: the trail and its head are the same.
    ///
    /// # Errors
    ///
    /// As [`verify`](Self::verify): a record whose chain or seal does not verify is not sealed
    /// again ([`RestoreError::Seal`](super::RestoreError::Seal) also if the new sealer fails);
    /// the record comes back inside the [`Refused`].
    #[allow(clippy::result_large_err)] // hands back the record
    pub fn resealed(
        self,
        verifier: &(impl SealVerifier + ?Sized),
        sealer: &(impl Sealer + ?Sized),
    ) -> Result<(Self, Seal), Refused<Self, super::RestoreError>> {
        let sealed = self
            .verify(verifier)
            .and_then(|head| sealer.seal(&head).map_err(super::RestoreError::Seal));
        match (sealed, self.seal.clone()) {
            (Ok(new), Some(old)) => Ok((self.with_seal(new), old)),
            (Ok(_), None) => Err(Refused::new(self, super::RestoreError::Unsealed)),
            (Err(e), _) => Err(Refused::new(self, e)),
        }
    }
}

impl<S: Stage> From<&Model<S>> for StoredModel {
    /// The unsealed stored form of `model`.
    fn from(model: &Model<S>) -> Self {
        Self::of_trail(
            model.name(),
            model.version(),
            model.environment(),
            model.history(),
        )
    }
}

impl From<&AnyModel> for StoredModel {
    /// The unsealed stored form of `model`.
    fn from(model: &AnyModel) -> Self {
        Self::of_trail(
            model.name(),
            model.version(),
            model.environment(),
            model.history(),
        )
    }
}
