//! The key of a stored model: its name, version and environment.

use std::fmt;
use std::sync::Arc;

use modelgate::Environment;
use modelgate::value::DEFAULT_ENVIRONMENT;

use crate::trail::Trail;

/// The key of a stored model (or run): its name, its version and the name of its environment,
/// as the model was created with.
///
/// Every model is for one environment for its whole life, and the same name and version can be
/// stored in several environments (version `4` in `staging`, and promoted, in `production`):
/// each is its own trail, under its own key. [`ModelKey::new`] is the key in the `default`
/// environment, the one a single-environment host never names;
/// [`in_environment`](Self::in_environment) names another, and [`ModelKey::of`] takes all three
/// from a model.
///
/// Displayed as `name@version` in the default environment and `name@version in environment`
/// in any other, with control and other unusual characters escaped, so that a key that did not
/// come from a model (a lookup the host built from user input) cannot forge a log line.
///
/// ```
/// use modelgate_store::ModelKey;
/// let key = ModelKey::new("fraud-detector", "2");
/// assert_eq!(key.to_string(), "fraud-detector@2");
/// assert_eq!(key.environment(), "default");
///
/// let promoted = ModelKey::new("churn", "4").in_environment("production");
/// assert_eq!(promoted.to_string(), "churn@4 in production");
/// assert_ne!(promoted, ModelKey::new("churn", "4"));
///
/// assert_eq!(ModelKey::new("a\nb", "1").to_string(), "a\\nb@1");
/// assert_eq!(ModelKey::new("a", "1").in_environment("x\ny").to_string(), "a@1 in x\\ny");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModelKey(
    // Behind one pointer: a key is in every error (errors stay small) and cloned into many.
    Arc<Parts>,
);

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Parts {
    name: String,
    version: String,
    environment: String,
}

impl ModelKey {
    /// The key of the model `name`, `version` in the `default` environment.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self(Arc::new(Parts {
            name: name.into(),
            version: version.into(),
            environment: DEFAULT_ENVIRONMENT.to_owned(),
        }))
    }

    /// The same name and version in `environment`: its name (`"production"`) or the
    /// [`Environment`] itself. Only the name is part of the key; the environment's approval
    /// window is stored with the model and checked when it is loaded.
    ///
    /// ```
    /// use modelgate::Environment;
    /// use modelgate_store::ModelKey;
    /// let production = Environment::new("production")?;
    /// assert_eq!(
    ///     ModelKey::new("churn", "4").in_environment(&production),
    ///     ModelKey::new("churn", "4").in_environment("production"),
    /// );
    /// # Ok::<(), modelgate::value::TextError>(())
    /// ```
    #[must_use]
    pub fn in_environment(mut self, environment: impl EnvironmentName) -> Self {
        environment
            .environment_name()
            .clone_into(&mut Arc::make_mut(&mut self.0).environment);
        self
    }

    /// The key of `model` (a [`Model`](modelgate::Model), [`AnyModel`](modelgate::AnyModel)
    /// or [`Run`](modelgate::Run)): its name, version and environment.
    ///
    /// ```
    /// use modelgate::{Environment, Model};
    /// use modelgate_store::ModelKey;
    /// let model = Model::new("churn", "4")?.in_environment(Environment::new("staging")?);
    /// assert_eq!(ModelKey::of(&model), ModelKey::new("churn", "4").in_environment("staging"));
    /// # Ok::<(), modelgate::value::TextError>(())
    /// ```
    pub fn of(model: &(impl Trail + ?Sized)) -> Self {
        Self(Arc::new(Parts {
            name: model.name().to_owned(),
            version: model.version().to_owned(),
            environment: model.environment().name().to_owned(),
        }))
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The model's version.
    pub fn version(&self) -> &str {
        &self.0.version
    }

    /// The name of the model's environment (`default` unless one was named).
    pub fn environment(&self) -> &str {
        &self.0.environment
    }
}

impl fmt::Debug for ModelKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModelKey")
            .field("name", &self.0.name)
            .field("version", &self.0.version)
            .field("environment", &self.0.environment)
            .finish()
    }
}

impl fmt::Display for ModelKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.version.is_empty() && self.0.environment.is_empty() {
            // The key the log holds a registry's sealed index under (no model has it).
            return write!(f, "{} (its registry's index)", self.0.name.escape_debug());
        }
        write!(
            f,
            "{}@{}",
            self.0.name.escape_debug(),
            self.0.version.escape_debug()
        )?;
        if self.0.environment != DEFAULT_ENVIRONMENT {
            write!(f, " in {}", self.0.environment.escape_debug())?;
        }
        Ok(())
    }
}

/// What names an environment in a [`ModelKey`] or an [`Awaiting`](crate::Awaiting) filter:
/// its name (`&str`, `String`) or the [`Environment`] itself.
///
/// The trait is sealed.
pub trait EnvironmentName: private::Sealed {
    /// The environment's name.
    fn environment_name(&self) -> &str;
}

mod private {
    pub trait Sealed {}
}

impl private::Sealed for str {}
impl EnvironmentName for str {
    fn environment_name(&self) -> &str {
        self
    }
}

impl private::Sealed for String {}
impl EnvironmentName for String {
    fn environment_name(&self) -> &str {
        self
    }
}

impl private::Sealed for Environment {}
impl EnvironmentName for Environment {
    fn environment_name(&self) -> &str {
        self.name()
    }
}

impl<T: EnvironmentName + ?Sized> private::Sealed for &T {}
impl<T: EnvironmentName + ?Sized> EnvironmentName for &T {
    fn environment_name(&self) -> &str {
        (**self).environment_name()
    }
}
