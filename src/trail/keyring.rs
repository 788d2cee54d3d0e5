//! Seal keys with their validity: [`Keyring`], for rotating the host's sealing key.

use super::seal::{Seal, SealError, SealVerifier};
use crate::event::Head;
use crate::value::Timestamp;

/// The host's seal keys, the keys in use and the retired ones with when they retired: rotate a
/// key by retiring the old one and adding the new one. A record sealed under a retired key still
/// verifies for its time (its last event before the retirement), so nothing sealed before a
/// rotation needs sealing again; a record whose trail goes on past the retirement is refused
/// ([`SealError::KeyNotValid`]): a retired key that leaks cannot seal new history. A key in
/// use seals any record, older ones included: re-seal under the new key with
/// [`StoredModel::resealed`](crate::StoredModel::resealed).
///
/// A trail's times are its writers' word: whoever holds a retired key can still seal a trail
/// whose events are all dated before the key's end. What shows that a sealed head came later is
/// the log of heads (`modelgate::log`): a head the host never logged.
///
/// Without a time ([`SealVerifier::verify`]: a store's queues and indexes), only keys in use
/// verify.
///
/// ```
/// # use modelgate::*;
/// # use modelgate::trail::Keyring;
/// # let t = Timestamp::from_unix_secs;
/// let old = HmacSealer::new("db-2025", *b"0123456789abcdef0123456789abcdef");
/// let new = HmacSealer::new("db-2026", *b"fedcba9876543210fedcba9876543210");
/// let keys = Keyring::new()
///     .with_retired_key(old.clone(), t(100))
///     .with_key(new.clone());
/// # let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.93)])?)?;
/// let model = Model::new("churn", "1")?.submit(outcome, "alice", t(10))?;
/// let stored = StoredModel::from(&model).sealed_by(&old)?;
/// // Sealed before the rotation: it verifies under the keyring.
/// assert!(stored.verify(&keys).is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Keyring<V> {
    keys: Vec<Entry<V>>,
}

#[derive(Clone, Debug)]
struct Entry<V> {
    verifier: V,
    retired: Option<Timestamp>,
}

impl<V> Entry<V> {
    fn valid_at(&self, at: Timestamp) -> bool {
        self.retired.is_none_or(|retired| at < retired)
    }

    fn not_valid(&self, seal: &Seal, at: Option<Timestamp>) -> SealError {
        SealError::KeyNotValid {
            key_id: seal.key_id().to_owned(),
            at,
            retired: self.retired,
        }
    }
}

impl<V: SealVerifier> Keyring<V> {
    /// An empty keyring: it trusts no key.
    pub fn new() -> Self {
        Self { keys: Vec::new() }
    }

    /// With the key `verifier`, in use: its seals verify whatever the record's time.
    #[must_use]
    pub fn with_key(mut self, verifier: V) -> Self {
        self.keys.push(Entry {
            verifier,
            retired: None,
        });
        self
    }

    /// With the key `verifier`, retired at `retired`: its seals verify only on records whose
    /// last event is before then.
    #[must_use]
    pub fn with_retired_key(mut self, verifier: V, retired: Timestamp) -> Self {
        self.keys.push(Entry {
            verifier,
            retired: Some(retired),
        });
        self
    }

    /// Whether no key is in it.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The first key that verifies `seal` over `head` and is `valid`; else the most telling
    /// error (a key valid otherwise, then a mismatch, then no such key).
    fn check(
        &self,
        head: &Head,
        seal: &Seal,
        valid: impl Fn(&Entry<V>) -> Result<(), SealError>,
    ) -> Result<(), SealError> {
        let mut error = SealError::UnknownKey {
            key_id: seal.key_id().to_owned(),
        };
        for entry in &self.keys {
            match entry.verifier.verify(head, seal) {
                Ok(()) => match valid(entry) {
                    Ok(()) => return Ok(()),
                    Err(e) => error = e,
                },
                Err(SealError::UnknownKey { .. }) => {}
                Err(e) if matches!(error, SealError::UnknownKey { .. }) => error = e,
                Err(_) => {}
            }
        }
        Err(error)
    }
}

impl<V: SealVerifier> SealVerifier for Keyring<V> {
    /// A seal by a key with no end (time unknown).
    fn verify(&self, head: &Head, seal: &Seal) -> Result<(), SealError> {
        self.check(head, seal, |entry| match entry.retired {
            None => Ok(()),
            Some(_) => Err(entry.not_valid(seal, None)),
        })
    }

    /// A seal by a key valid at `at`, the time of the record's last event.
    fn verify_at(&self, head: &Head, seal: &Seal, at: Timestamp) -> Result<(), SealError> {
        self.check(head, seal, |entry| match entry.valid_at(at) {
            true => Ok(()),
            false => Err(entry.not_valid(seal, Some(at))),
        })
    }
}
