//! The evidence a version brings from one environment to the next.

use serde::{Deserialize, Serialize};

use super::hash::Head;
use super::name::Name;
use super::outcome::Metrics;
use super::time::Timestamp;

/// Evidence from the environment a version was deployed in, carried into its submission to the
/// next one: where it ran, since when (and the hash of that deployment's event in the first
/// environment's trail, which a [`Registry`](crate::registry::Registry) checks), and the online
/// metrics the host observed there. Built by [`Model::promote`](crate::Model::promote);
/// policies read it through [`ReviewContext::promotion`](crate::ReviewContext::promotion) (see
/// the built-in rules [`Soak`](crate::policy::Soak) and
/// [`OnlineMetric`](crate::policy::OnlineMetric)).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Promotion {
    from: Name,
    deployment: Head,
    deployed_at: Timestamp,
    online: Metrics,
    observed_at: Timestamp,
}

impl Promotion {
    pub(crate) fn new(
        from: Name,
        deployment: Head,
        deployed_at: Timestamp,
        online: Metrics,
        observed_at: Timestamp,
    ) -> Self {
        Self {
            from,
            deployment,
            deployed_at,
            online,
            observed_at,
        }
    }

    /// The online metrics, taken back.
    pub(crate) fn into_online(self) -> Metrics {
        self.online
    }

    /// The environment the version comes from.
    pub fn from(&self) -> &str {
        self.from.as_str()
    }

    /// The hash of the `deployed` event in the first environment's trail.
    pub fn deployment(&self) -> Head {
        self.deployment
    }

    /// When it was deployed there.
    pub fn deployed_at(&self) -> Timestamp {
        self.deployed_at
    }

    /// The metrics the host observed there, online.
    pub fn online(&self) -> &Metrics {
        &self.online
    }

    /// When the host observed them.
    pub fn observed_at(&self) -> Timestamp {
        self.observed_at
    }
}
