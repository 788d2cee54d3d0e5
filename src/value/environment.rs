//! Where a model goes: an environment, with its settings.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::name::Name;
use super::text::{self, TextError};

/// A named target a model is deployed to (`staging`, `production` …), with its settings: how long
/// an approval stays valid before it must be deployed.
///
/// Every model belongs to one environment for its whole life (it is in the model's header, so in
/// every hash of its trail): its submission, its approval and its deployment are for that
/// environment only. A version promoted to the next environment is a new model of the same name
/// and version there, submitted with evidence from the first (see
/// [`Model::promote`](crate::Model::promote)). Its policy is the one the host decides with.
///
/// [`Model::new`](crate::Model::new) uses the default environment, named `default`, with no
/// approval window: a single-environment host never names one.
///
/// ```
/// use std::time::Duration;
/// use modelgate::value::Environment;
/// let production = Environment::new("production")?
///     .with_approval_validity(Duration::from_secs(30 * 86_400));
/// assert_eq!(production.name(), "production");
/// assert_eq!(Environment::default().name(), "default");
/// # Ok::<(), modelgate::value::TextError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "EnvironmentForm", into = "EnvironmentForm")]
pub struct Environment {
    name: Name,
    approval_validity: Option<Duration>,
}

/// The stored form: `{"name": "production", "approval_validity_ms": 2592000000}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvironmentForm {
    name: Name,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    approval_validity_ms: Option<u64>,
}

impl TryFrom<EnvironmentForm> for Environment {
    type Error = TextError;

    fn try_from(form: EnvironmentForm) -> Result<Self, TextError> {
        text::check("environment", form.name.as_str())?;
        Ok(Self {
            name: form.name,
            approval_validity: form.approval_validity_ms.map(Duration::from_millis),
        })
    }
}

impl From<Environment> for EnvironmentForm {
    fn from(e: Environment) -> Self {
        Self {
            name: e.name,
            approval_validity_ms: e
                .approval_validity
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        }
    }
}

/// The name of the default environment.
pub const DEFAULT_ENVIRONMENT: &str = "default";

impl Default for Environment {
    fn default() -> Self {
        Self {
            name: Name::new(DEFAULT_ENVIRONMENT),
            approval_validity: None,
        }
    }
}

impl Environment {
    /// The environment `name`, with no approval window.
    ///
    /// # Errors
    ///
    /// [`TextError`] if the name is not a valid identifier.
    pub fn new(name: impl AsRef<str>) -> Result<Self, TextError> {
        let name = name.as_ref();
        text::check("environment", name)?;
        Ok(Self {
            name: Name::new(name),
            approval_validity: None,
        })
    }

    /// The same environment, where an approval not deployed within `validity` lapses: deploying
    /// it is refused, and the model must be reopened for a fresh decision.
    #[must_use]
    pub fn with_approval_validity(mut self, validity: Duration) -> Self {
        // Stored in milliseconds; round up so that a window never shrinks when it is stored.
        let millis = validity.as_nanos().div_ceil(1_000_000);
        self.approval_validity = Some(Duration::from_millis(
            u64::try_from(millis).unwrap_or(u64::MAX),
        ));
        self
    }

    /// The environment's name.
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// How long an approval stays valid before it must be deployed, if it lapses at all.
    pub fn approval_validity(&self) -> Option<Duration> {
        self.approval_validity
    }

    pub(crate) fn name_ref(&self) -> &Name {
        &self.name
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name.as_str())
    }
}
