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
        text.parse().ok().map(Self)
    }
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
