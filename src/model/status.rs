//! The stage of a model at runtime.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The stage of a model, at runtime: for display, storage and matching.
///
/// ```
/// use modelgate::Status;
/// assert_eq!(Status::Submitted.to_string(), "submitted");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Created, not yet submitted.
    Untrained,
    /// Submitted for review; votes are being collected.
    Submitted,
    /// Approved by a policy; may be deployed.
    Approved,
    /// Rejected by a policy; may be retrained.
    Rejected,
    /// Being retrained after a rejection; will be resubmitted.
    Retraining,
    /// Deployed by the host; the current deployment of its environment.
    Deployed,
    /// Deployed once, then replaced in its environment by another version; may be reinstated.
    Superseded,
    /// Out of service for good.
    Retired,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Untrained => "untrained",
            Self::Submitted => "submitted",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Retraining => "retraining",
            Self::Deployed => "deployed",
            Self::Superseded => "superseded",
            Self::Retired => "retired",
        })
    }
}
