//! What the host's training produced: metrics, the artifact digest, notes.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::name::Name;
use super::text::{self, TextError};

/// An outcome or metric the host built is refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum OutcomeError {
    /// A metric value is NaN or infinite.
    #[error("metric `{metric}` is {value}; metric values must be finite numbers")]
    NonFinite {
        /// The metric's name.
        metric: String,
        /// The value that was refused.
        value: f64,
    },
    /// A metric name is empty, holds a control character or is too long.
    #[error("invalid metric name: {0}")]
    MetricName(TextError),
    /// The artifact digest is empty, holds a control character or is too long.
    #[error("invalid artifact digest: {0}")]
    Digest(TextError),
}

/// Named metric values, all finite.
///
/// NaN and infinities never enter: they are refused when the metrics are built (or
/// deserialized), with an error that names the metric.
///
/// ```
/// use modelgate::Metrics; use modelgate::value::OutcomeError;
/// let m = Metrics::new([("accuracy", 0.93), ("latency_p99_ms", 41.0)])?;
/// assert_eq!(m.get("accuracy"), Some(0.93));
/// assert_eq!(m.get("recall"), None);
///
/// let err = Metrics::new([("accuracy", f64::NAN)]).unwrap_err();
/// assert_eq!(err.to_string(), "metric `accuracy` is NaN; metric values must be finite numbers");
/// # Ok::<(), OutcomeError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics(Vec<(Name, f64)>);

/// Serialized as a map in name order.
impl Serialize for Metrics {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name.as_str(), value)?;
        }
        map.end()
    }
}

/// Reads a map of finite values, refusing a metric named twice (two copies of one value, of
/// which another reader might take the other).
impl<'de> Deserialize<'de> for Metrics {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MetricsVisitor;

        impl<'de> Visitor<'de> for MetricsVisitor {
            type Value = Metrics;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of metric names to finite numbers")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Metrics, A::Error> {
                let mut out: Vec<(Name, f64)> = Vec::new();
                while let Some((name, value)) = map.next_entry::<Name, f64>()? {
                    text::check("metric", name.as_str()).map_err(de::Error::custom)?;
                    if !value.is_finite() {
                        let e = OutcomeError::NonFinite {
                            metric: name.to_string(),
                            value,
                        };
                        return Err(de::Error::custom(e));
                    }
                    out.push((name, value));
                }
                out.sort_by(|a, b| a.0.cmp(&b.0));
                if let Some(w) = out.windows(2).find(|w| matches!(w, [a, b] if a.0 == b.0)) {
                    let name = w.first().map(|(n, _)| n.to_string()).unwrap_or_default();
                    return Err(de::Error::custom(format!("duplicate metric `{name}`")));
                }
                Ok(Metrics(out))
            }
        }

        d.deserialize_map(MetricsVisitor)
    }
}

impl Metrics {
    /// Builds metrics from `(name, value)` pairs; a later pair replaces an earlier one of the
    /// same name.
    ///
    /// # Errors
    ///
    /// [`OutcomeError::MetricName`] for a name that is not a valid identifier;
    /// [`OutcomeError::NonFinite`] for a NaN or infinite value, naming the metric.
    pub fn new<K: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, f64)>,
    ) -> Result<Self, OutcomeError> {
        let pairs = pairs.into_iter();
        let mut out: Vec<(Name, f64)> = Vec::with_capacity(pairs.size_hint().0);
        for (name, value) in pairs {
            let name = name.as_ref();
            text::check("metric", name).map_err(OutcomeError::MetricName)?;
            if !value.is_finite() {
                return Err(OutcomeError::NonFinite {
                    metric: name.to_owned(),
                    value,
                });
            }
            out.push((Name::new(name), value));
        }
        // Sorted by name; of equal names, the later pair wins (a stable sort keeps their order,
        // and `dedup_by` keeps the first of a run, into which the later value is moved).
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 = later.1;
            }
            same
        });
        Ok(Self(out))
    }

    /// The value of the metric `name`, if present.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.get_bytes(name.as_bytes())
    }

    pub(crate) fn get_bytes(&self, name: &[u8]) -> Option<f64> {
        self.0
            .binary_search_by(|(k, _)| k.bytes().cmp(name))
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|(_, v)| *v)
    }

    /// The metrics as an ordered map, to merge others into in `O(log n)` each.
    pub(crate) fn into_map(self) -> BTreeMap<Name, f64> {
        self.0.into_iter().collect()
    }

    /// Adds `other`'s metrics to `map`; a metric in both takes `other`'s value.
    pub(crate) fn merge_into(&self, map: &mut BTreeMap<Name, f64>) {
        map.extend(self.0.iter().cloned());
    }

    /// Metrics from a map of names and values already checked.
    pub(crate) fn from_map(map: BTreeMap<Name, f64>) -> Metrics {
        Metrics(map.into_iter().collect())
    }

    /// These metrics without `name`.
    #[cfg(feature = "proptest")]
    pub(crate) fn without(&self, name: &str) -> Metrics {
        Metrics(
            self.0
                .iter()
                .filter(|(k, _)| !k.is(name))
                .cloned()
                .collect(),
        )
    }

    /// The metrics in name order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, f64)> {
        self.0.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// The number of metrics.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no metrics.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The content hash of a trained artifact, as the host computed it (e.g. `sha256:…`).
///
/// Opaque to modelgate: it is compared, never parsed. Votes are bound to it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Name", into = "Name")]
pub struct Digest(Name);

impl Digest {
    /// Checks and wraps a digest: an identifier (non-empty, at most 256 bytes, nothing that
    /// displays like another).
    ///
    /// # Errors
    ///
    /// [`OutcomeError::Digest`] naming what is wrong.
    pub fn new(digest: impl AsRef<str>) -> Result<Self, OutcomeError> {
        let digest = digest.as_ref();
        text::check("digest", digest).map_err(OutcomeError::Digest)?;
        Ok(Self(Name::new(digest)))
    }

    /// The digest as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl TryFrom<Name> for Digest {
    type Error = OutcomeError;

    fn try_from(name: Name) -> Result<Self, OutcomeError> {
        text::check("digest", name.as_str()).map_err(OutcomeError::Digest)?;
        Ok(Self(name))
    }
}

impl From<Digest> for Name {
    fn from(d: Digest) -> Self {
        d.0
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the host's training produced: the artifact digest, metrics and free-form notes.
///
/// ```
/// use modelgate::{Metrics, TrainingOutcome};
/// let outcome = TrainingOutcome::new("sha256:9f2c", Metrics::new([("accuracy", 0.93)])?)?
///     .with_notes("lr=3e-4, 12 epochs");
/// assert_eq!(outcome.digest().as_str(), "sha256:9f2c");
/// # Ok::<(), modelgate::value::OutcomeError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingOutcome {
    digest: Digest,
    metrics: Metrics,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    notes: String,
}

impl TrainingOutcome {
    /// An outcome for the artifact with this digest; the digest is checked like [`Digest::new`].
    ///
    /// # Errors
    ///
    /// [`OutcomeError::Digest`] if the digest is refused.
    pub fn new(digest: impl AsRef<str>, metrics: Metrics) -> Result<Self, OutcomeError> {
        Ok(Self {
            digest: Digest::new(digest)?,
            metrics,
            notes: String::new(),
        })
    }

    /// An outcome from parts already checked.
    pub(crate) fn from_parts(digest: Digest, metrics: Metrics, notes: String) -> Self {
        Self {
            digest,
            metrics,
            notes,
        }
    }

    /// Its digest, metrics and notes.
    pub(crate) fn into_parts(self) -> (Digest, Metrics, String) {
        (self.digest, self.metrics, self.notes)
    }

    /// The same outcome with free-form notes (hyperparameters, data snapshot, …).
    #[must_use]
    pub fn with_notes(mut self, notes: impl Into<String>) -> Self {
        self.notes = notes.into();
        self
    }

    /// The artifact digest.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The notes; empty if none were given.
    pub fn notes(&self) -> &str {
        &self.notes
    }
}
