//! The host's record of a deployment.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::text::Escaped;

/// The host's record of a deployment: an endpoint, a release id, a job URL … Opaque to
/// modelgate; displayed escaped, so that it cannot forge an audit line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Receipt(String);

impl Receipt {
    /// Wraps the host's receipt.
    pub fn new(receipt: impl Into<String>) -> Self {
        Self(receipt.into())
    }

    /// The receipt as the host gave it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Receipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Escaped(&self.0).fmt(f)
    }
}
