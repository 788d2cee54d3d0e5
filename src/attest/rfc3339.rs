//! Times in a predicate: RFC 3339 in UTC, as in-toto's field conventions ask, written as
//! [`Timestamp`]'s `Display` writes them and read back only in that exact form.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::value::Timestamp;

/// The last millisecond that RFC 3339 can write (9999-12-31T23:59:59.999Z).
const LAST: u64 = 253_402_300_799_999;

/// A [`Timestamp`] written as RFC 3339 in UTC: `2026-11-27T08:41:00Z`, or with `.mmm` when it
/// has milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rfc3339(pub(crate) Timestamp);

impl Rfc3339 {
    /// The time, if RFC 3339 can write it (years up to 9999).
    pub(crate) fn of(at: Timestamp) -> Option<Self> {
        (at.as_unix_millis() <= LAST).then_some(Self(at))
    }

    /// Reads exactly what `Display` of a [`Timestamp`] writes.
    pub(crate) fn parse(text: &str) -> Option<Self> {
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
        (sep(b.len() - 1, b'Z') && at.to_string() == text).then_some(Self(at))
    }
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

impl Serialize for Rfc3339 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Rfc3339 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Self::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format_args!(
                "`{}` is not an RFC 3339 time in UTC like `2026-11-27T08:41:00Z` or \
                 `2026-11-27T08:41:00.250Z`",
                super::error::shown(&text)
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_it_writes_and_nothing_else() {
        for millis in [0, 1_500, 951_782_400_000, 4_102_444_799_999, LAST] {
            let at = Timestamp::from_unix_millis(millis);
            assert_eq!(Rfc3339::parse(&at.to_string()), Some(Rfc3339(at)), "{at}");
        }
        for bad in [
            "2026-02-30T00:00:00Z",
            "2026-11-27T08:41:00.000Z",
            "2026-11-27T08:41:00+00:00",
            "2026-11-27t08:41:00Z",
            "1969-12-31T23:59:59Z",
            "2026-11-27T24:00:00Z",
            "2026-11-27T08:41:00.5Z",
            "+2026-11-27T08:41:00Z",
            "",
        ] {
            assert_eq!(Rfc3339::parse(bad), None, "{bad}");
        }
        assert_eq!(Rfc3339::of(Timestamp::from_unix_millis(LAST + 1)), None);
    }
}
