//! The key of a stored model: its name and version.

use std::fmt;

/// The key of a stored model (or run): its name and version, as the model was created with.
///
/// Displayed as `name@version`, with control and other unusual characters escaped, so that a
/// key that did not come from a model (a lookup the host built from user input) cannot forge a
/// log line.
///
/// ```
/// use modelgate_store::ModelKey;
/// let key = ModelKey::new("fraud-detector", "2");
/// assert_eq!(key.to_string(), "fraud-detector@2");
/// assert_eq!(ModelKey::new("a\nb", "1").to_string(), "a\\nb@1");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModelKey {
    name: String,
    version: String,
}

impl ModelKey {
    /// The key of the model `name`, `version`.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
        }
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The model's version.
    pub fn version(&self) -> &str {
        &self.version
    }
}

impl fmt::Display for ModelKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}@{}",
            self.name.escape_debug(),
            self.version.escape_debug()
        )
    }
}
