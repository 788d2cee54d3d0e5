//! What the host's training produced: metrics, the artifact digest, notes.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::identity::{self, Ident};
use super::name::Name;
use super::text::{self, TextError, esc};

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
    /// The artifact digest is empty, too long, or holds a character other than printable ASCII.
    #[error("invalid artifact digest: {0}")]
    Digest(TextError),
    /// One metric is named twice: by the same name, or by two names with one confusable skeleton
    /// (UTS #39), which a gate could not tell apart.
    #[error("duplicate metric `{}`{}", esc(.second), LooksLike(.first, .second))]
    DuplicateMetric {
        /// The first name.
        first: String,
        /// The later name of the same metric.
        second: String,
    },
}

/// What a duplicate metric's message adds when its two names differ: which name it looks like.
struct LooksLike<'a>(&'a str, &'a str);

impl fmt::Display for LooksLike<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == self.1 {
            return Ok(());
        }
        write!(
            f,
            ": it looks like `{}` (one confusable skeleton), and names that look alike name one \
             metric",
            esc(self.0)
        )
    }
}

/// The first two names of `pairs` that name one metric, as an error.
fn duplicate(pairs: &[(Name, f64)]) -> Option<OutcomeError> {
    let names: Vec<&str> = pairs.iter().map(|(n, _)| n.as_str()).collect();
    let (i, j) = identity::first_twins(&names)?;
    Some(OutcomeError::DuplicateMetric {
        first: (*names.get(i)?).to_owned(),
        second: (*names.get(j)?).to_owned(),
    })
}

/// Named metric values, all finite, each metric named once.
///
/// NaN and infinities never enter: they are refused when the metrics are built (or
/// deserialized), with an error that names the metric. A metric name is an identity: a name
/// given twice, or two names with one confusable skeleton (UTS #39: `accuracy` and `accuracу`
/// cannot both pass the identifier rule, but `rnse` and `mse` can), are refused, and
/// [`get`](Self::get) finds a metric by its skeleton.
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
/// which another reader might take the other), or by two names with one confusable skeleton.
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
                if let Some(e) = duplicate(&out) {
                    return Err(de::Error::custom(e));
                }
                out.sort_by(|a, b| a.0.cmp(&b.0));
                Ok(Metrics(out))
            }
        }

        d.deserialize_map(MetricsVisitor)
    }
}

impl Metrics {
    /// Builds metrics from `(name, value)` pairs, each metric named once.
    ///
    /// # Errors
    ///
    /// [`OutcomeError::MetricName`] for a name that is not a valid identifier;
    /// [`OutcomeError::NonFinite`] for a NaN or infinite value, naming the metric;
    /// [`OutcomeError::DuplicateMetric`] for a metric named twice, by one name or by two names
    /// with one confusable skeleton.
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
        if let Some(e) = duplicate(&out) {
            return Err(e);
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Self(out))
    }

    /// The value of the metric `name`, if present: the metric of that name, or else the one
    /// whose name has the same confusable skeleton (UTS #39), of which there is at most one.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.0
            .binary_search_by(|(k, _)| k.bytes().cmp(name.as_bytes()))
            .ok()
            .and_then(|i| self.0.get(i))
            .or_else(|| {
                self.0
                    .iter()
                    .find(|(k, _)| identity::same(k.as_str(), name))
            })
            .map(|(_, v)| *v)
    }

    /// The metrics as an ordered map, to merge others into in `O(log n)` each.
    pub(crate) fn into_map(self) -> BTreeMap<Name, f64> {
        self.0.into_iter().collect()
    }

    /// Adds these metrics to `map`; a metric in both (by name, or by confusable skeleton) takes
    /// this value, under this name, so that `map` still names each metric once. Linear in both.
    pub(crate) fn merge_into(&self, map: &mut BTreeMap<Name, f64>) {
        let twins = self.0.iter().any(|(k, _)| !map.contains_key(k)) && !map.is_empty();
        if twins {
            let by_identity: HashMap<Ident, Name> =
                map.keys().map(|k| (Ident(k.clone()), k.clone())).collect();
            for (k, _) in &self.0 {
                if let Some(old) = by_identity.get(&Ident(k.clone()))
                    && old != k
                {
                    map.remove(old);
                }
            }
        }
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
        text::check_digest("digest", digest).map_err(OutcomeError::Digest)?;
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
        text::check_digest("digest", name.as_str()).map_err(OutcomeError::Digest)?;
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
