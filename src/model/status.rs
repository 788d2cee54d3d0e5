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

/// A status name that is not one of the eight.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{}` is not a status; expected one of untrained, submitted, approved, rejected, retraining, deployed, superseded, retired", crate::value::text::esc(.0))]
pub struct ParseStatusError(String);

impl std::str::FromStr for Status {
    type Err = ParseStatusError;

    /// The status its [`Display`](fmt::Display) names (`"submitted"` …).
    ///
    /// ```
    /// use modelgate::Status;
    /// assert_eq!("deployed".parse(), Ok(Status::Deployed));
    /// assert!("Deployed".parse::<Status>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "untrained" => Self::Untrained,
            "submitted" => Self::Submitted,
            "approved" => Self::Approved,
            "rejected" => Self::Rejected,
            "retraining" => Self::Retraining,
            "deployed" => Self::Deployed,
            "superseded" => Self::Superseded,
            "retired" => Self::Retired,
            other => return Err(ParseStatusError(other.to_owned())),
        })
    }
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
