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

/// A text that is not an RFC 3339 time in UTC as [`Timestamp`]'s `Display` writes it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{}` is not an RFC 3339 time in UTC like `2026-11-27T08:41:00Z` or `2026-11-27T08:41:00.250Z`",
    super::text::esc(.0)
)]
pub struct ParseTimestampError(String);

/// Reads exactly what `Display` writes: RFC 3339 in UTC, from 1970, with milliseconds only when
/// there are some (`2026-11-27T08:41:00Z`, `2026-11-27T08:41:00.250Z`); one text per time (no
/// 31 February, no `.000`).
///
/// ```
/// use modelgate::Timestamp;
/// let at: Timestamp = "2027-01-01T00:00:00Z".parse()?;
/// assert_eq!(at, Timestamp::from_unix_secs(1_798_761_600));
/// assert!("2027-02-31T00:00:00Z".parse::<Timestamp>().is_err());
/// # Ok::<(), modelgate::value::ParseTimestampError>(())
/// ```
impl std::str::FromStr for Timestamp {
    type Err = ParseTimestampError;

    fn from_str(text: &str) -> Result<Self, ParseTimestampError> {
        rfc3339(text).ok_or_else(|| ParseTimestampError(text.to_owned()))
    }
}

/// The time `text` writes in RFC 3339 as `Display` writes it, if it does.
fn rfc3339(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    let num = |from: usize, to: usize| -> Option<u64> {
        let digits = b.get(from..to)?;
        digits.iter().try_fold(0u64, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u64::from(d - b'0'))
        })
    };
    let sep = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (h, m, s) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let millis = match b.len() {
        20 => 0,
        24 if sep(19, b'.') => num(20, 23)?,
        _ => return None,
    };
    if year < 1970 || !(1..=12).contains(&month) || day == 0 || h > 23 || m > 59 || s > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + h * 3600 + m * 60 + s;
    let at = Timestamp::from_unix_millis(secs * 1000 + millis);
    // One text per time: the written form must be the one read (no 31 February, no `.000`).
    (sep(b.len() - 1, b'Z') && at.to_string() == text).then_some(at)
}

/// Days since 1970-01-01 of a date in the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`), for years from 1970.
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).saturating_sub(719_468)
}
