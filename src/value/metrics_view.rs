//! Metrics as a policy reads them: the crate's [`Metrics`], or the host's own pairs, borrowed.

use super::identity;
use super::outcome::{Metrics, OutcomeError};
use super::text;

/// Named metric values as a [`Policy`](crate::Policy) reads them, through
/// [`ReviewContext::metrics`](crate::ReviewContext::metrics): the crate's [`Metrics`], or the
/// host's own `(name, value)` pairs, borrowed where they lie (see
/// [`ReviewContext::borrowed`](crate::ReviewContext::borrowed)). Either way every value is finite
/// and each metric is named once, by identity (UTS #39).
///
/// ```
/// use modelgate::value::MetricsView;
/// let pairs = [("accuracy", 0.93), ("latency_p99_ms", 41.0)];
/// let metrics = MetricsView::borrowed(&pairs)?;
/// assert_eq!(metrics.get("accuracy"), Some(0.93));
/// assert!(MetricsView::borrowed(&[("accuracy", f64::NAN)]).is_err());
/// # Ok::<(), modelgate::value::OutcomeError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct MetricsView<'a>(Source<'a>);

#[derive(Clone, Copy, Debug)]
enum Source<'a> {
    Metrics(&'a Metrics),
    Pairs(&'a [(&'a str, f64)]),
}

impl<'a> MetricsView<'a> {
    /// The host's own `(name, value)` pairs, in any order, checked as [`Metrics::new`] checks
    /// them, without copying them. Linear in the pairs; allocates nothing up to 16 of them.
    ///
    /// # Errors
    ///
    /// [`OutcomeError::MetricName`] for a name that is not a valid identifier;
    /// [`OutcomeError::NonFinite`] for a NaN or infinite value, naming the metric;
    /// [`OutcomeError::DuplicateMetric`] for a metric named twice, by one name or by two names
    /// with one confusable skeleton.
    pub fn borrowed(pairs: &'a [(&'a str, f64)]) -> Result<Self, OutcomeError> {
        for (name, value) in pairs {
            text::check("metric", name).map_err(OutcomeError::MetricName)?;
            if !value.is_finite() {
                return Err(OutcomeError::NonFinite {
                    metric: (*name).to_owned(),
                    value: *value,
                });
            }
        }
        if let Some((i, j)) = identity::first_twins_by(pairs, |(name, _)| name) {
            let name = |k: usize| {
                pairs
                    .get(k)
                    .map_or_else(String::new, |(n, _)| (*n).to_owned())
            };
            return Err(OutcomeError::DuplicateMetric {
                first: name(i),
                second: name(j),
            });
        }
        Ok(Self(Source::Pairs(pairs)))
    }

    /// The value of the metric `name`, if present: the metric of that name, or else the one
    /// whose name has the same confusable skeleton (UTS #39), of which there is at most one.
    pub fn get(&self, name: &str) -> Option<f64> {
        match self.0 {
            Source::Metrics(metrics) => metrics.get(name),
            Source::Pairs(pairs) => pairs
                .iter()
                .find(|(k, _)| *k == name)
                .or_else(|| pairs.iter().find(|(k, _)| identity::same(k, name)))
                .map(|(_, v)| *v),
        }
    }

    /// The metrics: in name order from [`Metrics`], in the host's order from its pairs.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&'a str, f64)> + use<'a> {
        let (metrics, pairs): (Option<&'a Metrics>, &'a [(&'a str, f64)]) = match self.0 {
            Source::Metrics(m) => (Some(m), &[]),
            Source::Pairs(p) => (None, p),
        };
        let len = metrics.map_or(pairs.len(), Metrics::len);
        Pairs {
            len,
            metrics: metrics.into_iter().flat_map(Metrics::iter),
            pairs: pairs.iter(),
        }
    }

    /// The number of metrics.
    pub fn len(&self) -> usize {
        match self.0 {
            Source::Metrics(m) => m.len(),
            Source::Pairs(p) => p.len(),
        }
    }

    /// Whether there are no metrics.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The crate's [`Metrics`] this view reads, when it reads them rather than the host's pairs.
    pub fn metrics(&self) -> Option<&'a Metrics> {
        match self.0 {
            Source::Metrics(m) => Some(m),
            Source::Pairs(_) => None,
        }
    }
}

impl<'a> From<&'a Metrics> for MetricsView<'a> {
    fn from(metrics: &'a Metrics) -> Self {
        Self(Source::Metrics(metrics))
    }
}

/// Two views are equal when they hold the same metrics with the same values, in any order.
impl PartialEq for MetricsView<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl PartialEq<Metrics> for MetricsView<'_> {
    fn eq(&self, other: &Metrics) -> bool {
        *self == MetricsView::from(other)
    }
}

/// A view's metrics: the crate's, then the host's (one of the two is empty).
struct Pairs<'a, M> {
    len: usize,
    metrics: M,
    pairs: std::slice::Iter<'a, (&'a str, f64)>,
}

impl<'a, M: Iterator<Item = (&'a str, f64)>> Iterator for Pairs<'a, M> {
    type Item = (&'a str, f64);

    fn next(&mut self) -> Option<(&'a str, f64)> {
        let next = self.metrics.next().or_else(|| self.pairs.next().copied());
        self.len = self.len.saturating_sub(usize::from(next.is_some()));
        next
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len, Some(self.len))
    }
}

impl<'a, M: Iterator<Item = (&'a str, f64)>> ExactSizeIterator for Pairs<'a, M> {}
