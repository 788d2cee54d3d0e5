//! A short immutable text (an id, a role, a metric name, a digest): kept inline when it is short,
//! shared when it is long, so that building and copying one rarely allocates.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Up to this many bytes are kept inline.
const INLINE: usize = 22;

#[derive(Clone)]
pub(crate) enum Name {
    Inline { len: u8, bytes: [u8; INLINE] },
    Shared(Arc<str>),
}

impl Name {
    #[inline]
    pub(crate) fn new(text: &str) -> Self {
        let source = text.as_bytes();
        match u8::try_from(source.len()) {
            Ok(len) if source.len() <= INLINE => {
                let mut bytes = [0u8; INLINE];
                if let Some(dest) = bytes.get_mut(..source.len()) {
                    dest.copy_from_slice(source);
                }
                Name::Inline { len, bytes }
            }
            _ => Name::Shared(Arc::from(text)),
        }
    }

    /// The text's bytes: comparing them needs no UTF-8 check.
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Name::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            Name::Shared(text) => text.as_bytes(),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // The bytes were copied from a `&str` whole, so they are UTF-8.
            Name::Inline { .. } => std::str::from_utf8(self.bytes()).unwrap_or_default(),
            Name::Shared(text) => text,
        }
    }

    /// Whether this is `text`, byte for byte.
    #[cfg(any(test, feature = "proptest"))]
    pub(crate) fn is(&self, text: &str) -> bool {
        self.bytes() == text.as_bytes()
    }
}

impl Default for Name {
    fn default() -> Self {
        Name::Inline {
            len: 0,
            bytes: [0; INLINE],
        }
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            // Unused inline bytes are zero, so the fixed-size arrays compare whole.
            (Name::Inline { len: a, bytes: x }, Name::Inline { len: b, bytes: y }) => {
                a == b && x == y
            }
            _ => self.bytes() == other.bytes(),
        }
    }
}

impl Eq for Name {}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.bytes().cmp(other.bytes())
    }
}

/// Hashes like `str`, so that a map keyed by `Name` can be looked up with a `&str`.
impl Hash for Name {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(Name::new(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_inline_long_ones_shared_and_both_read_back() {
        for text in [
            "",
            "bob",
            "sha256:w1",
            "exactly-twenty-two-byt",
            "a name longer than the inline space",
        ] {
            let name = Name::new(text);
            assert_eq!(name.as_str(), text);
            assert!(name.is(text));
            assert_eq!(name, Name::new(text));
            assert_eq!(matches!(name, Name::Inline { .. }), text.len() <= INLINE);
        }
        assert_eq!(Name::new("ünïcødé").as_str(), "ünïcødé");
        assert!(Name::new("a") < Name::new("b"));
    }
}
