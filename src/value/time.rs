//! Time as the host gives it: the crate never reads a clock.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A point in time given by the host, in milliseconds since the Unix epoch (UTC).
///
/// modelgate never reads a clock. Every transition takes the time from the host, and refuses a
/// time earlier than the model's last event with [`TimeWentBackwards`]; a vote keeps its
/// reviewer's time and is recorded at the last event's if that is later
/// ([`Model::record`](crate::Model::record)). `Display` prints RFC 3339.
///
/// ```
/// use modelgate::Timestamp;
/// let t = Timestamp::from_unix_secs(1_764_193_268);
/// assert_eq!(t.to_string(), "2025-11-26T21:41:08Z");
/// assert_eq!(Timestamp::from_unix_millis(1_500).to_string(), "1970-01-01T00:00:01.500Z");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The time `millis` milliseconds after the Unix epoch.
    pub const fn from_unix_millis(millis: u64) -> Self {
        Self(millis)
    }

    /// The time `secs` seconds after the Unix epoch (saturating at the largest time).
    pub const fn from_unix_secs(secs: u64) -> Self {
        Self(secs.saturating_mul(1000))
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_unix_millis(self) -> u64 {
        self.0
    }

    /// This time plus `d`, saturating at the largest time.
    pub fn saturating_add(self, d: Duration) -> Self {
        let millis = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Self(self.0.saturating_add(millis))
    }

    /// This time minus `d`, saturating at the epoch.
    pub fn saturating_sub(self, d: Duration) -> Self {
        let millis = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Self(self.0.saturating_sub(millis))
    }

    /// How long after `earlier` this time is; zero if it is not later.
    pub fn saturating_since(self, earlier: Self) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0 / 1000;
        let millis = self.0 % 1000;
        let (year, month, day) = civil_from_days(secs / 86_400);
        let rem = secs % 86_400;
        let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
        write!(f, "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}")?;
        if millis != 0 {
            write!(f, ".{millis:03}")?;
        }
        f.write_str("Z")
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`, for non-negative day counts).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// How far a vote's own time may be before its round of review began and still count as cast
/// in that round, by a reviewer whose clock runs behind the submitter's: one minute. A vote
/// cast earlier than that is for another round and is refused
/// ([`RecordError::BeforeRound`](crate::model::RecordError::BeforeRound)).
pub const CLOCK_SKEW: Duration = Duration::from_secs(60);

/// A transition was given a time earlier than the model's last event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("time `{at}` is earlier than the last event at `{last}`")]
pub struct TimeWentBackwards {
    /// The time that was given.
    pub at: Timestamp,
    /// The time of the model's last event.
    pub last: Timestamp,
}

/// Refuses `at` if it is earlier than `last`.
pub(crate) fn check_not_before(
    last: Option<Timestamp>,
    at: Timestamp,
) -> Result<(), TimeWentBackwards> {
    match last {
        Some(last) if at < last => Err(TimeWentBackwards { at, last }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_calendar_dates() {
        assert_eq!(
            Timestamp::from_unix_millis(0).to_string(),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            Timestamp::from_unix_secs(951_782_400).to_string(),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            Timestamp::from_unix_secs(4_102_444_799).to_string(),
            "2099-12-31T23:59:59Z"
        );
        assert!(
            Timestamp::from_unix_millis(u64::MAX)
                .to_string()
                .ends_with(".615Z")
        );
    }
}
