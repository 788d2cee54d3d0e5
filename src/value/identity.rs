//! One identity per confusable skeleton (UTS #39).
//!
//! The identifier rule ([`text`](super::text)) refuses what is invisible, out of the identifier
//! profile or mixes scripts; what it admits can still look like another identifier within one
//! script: `alıce` (a dotless `ı`) and `alice`, `a1ice` and `alice`, `rnary` and `mary`, and
//! `Alice`, `ALICE` and `alice`. UTS #39 maps each string to its *skeleton* (its characters
//! replaced by their confusable prototypes); two strings with the same skeleton display alike,
//! and two that differ only by case are one person to a reader. So wherever a policy meets two
//! ids, two roles or two metric names, they are one identity when their keys are equal (the
//! skeleton, case folded: see `key` for exactly how, `i` and `l` included): the
//! submitter's vote, in any spelling of the submitter's id, never counts; a reviewer's latest vote
//! replaces their earlier one in any spelling; eligibility by id or role matches by skeleton;
//! a metric gate finds its metric by skeleton; a list that names one identity twice is refused.
//!
//! Where the trail is compared (replay, heads, seals), comparison stays byte for byte: identity is
//! a policy question, the trail is a record of exact bytes.
//!
//! Comparing allocates nothing: two skeletons are compared as iterators, and byte-equal strings
//! are decided without computing one.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use unicode_security::skeleton;

use super::name::Name;

/// The identity key of one ASCII character: its skeleton, lowercased, and the skeleton of that,
/// `i` read as `l` (see [`key`]): a lowercase letter but `i` and `m` is itself; an uppercase
/// letter is its lowercase (`A` → `a`), but `M` → `rn`; `0` and `O` → `o`; `1`, `|`, `I`, `i`
/// → `l`; `m` → `rn`;
/// `` ` `` → `'`; `"` → `''`; `%` → `°/₀`. Every character here is a starter and none is
/// ignorable, so the key of an ASCII text is the concatenation of its characters' keys; a unit
/// test checks this table against the crate's data.
fn ascii_prototype(b: u8) -> AsciiPrototype {
    match b {
        b'0' | b'O' => AsciiPrototype::Static(&['o']),
        b'1' | b'I' | b'|' | b'i' => AsciiPrototype::Static(&['l']),
        b'm' | b'M' => AsciiPrototype::Static(&['r', 'n']),
        b'`' => AsciiPrototype::Static(&['\'']),
        b'"' => AsciiPrototype::Static(&['\'', '\'']),
        b'%' => AsciiPrototype::Static(&['\u{b0}', '/', '\u{2080}']),
        _ => AsciiPrototype::Itself(Some(char::from(b.to_ascii_lowercase()))),
    }
}

/// The characters of one ASCII character's key.
enum AsciiPrototype {
    Itself(Option<char>),
    Static(&'static [char]),
}

impl Iterator for AsciiPrototype {
    type Item = char;

    #[inline]
    fn next(&mut self) -> Option<char> {
        match self {
            Self::Itself(ch) => ch.take(),
            Self::Static(rest) => {
                let (first, tail) = rest.split_first()?;
                *rest = tail;
                Some(*first)
            }
        }
    }
}

/// The identity key of an ASCII `text`, without the crate's tables (see [`ascii_prototype`]).
#[inline]
fn ascii_key(text: &str) -> impl Iterator<Item = char> + '_ {
    text.bytes().flat_map(ascii_prototype)
}

/// The identity key of any text: its UTS #39 skeleton, lowercased, the skeleton of that, with
/// `i` read as `l`. The first skeleton maps what displays alike (`I` and `l`, `0` and `O`), the
/// lowercase makes case variants one (`Alice`, `alice`: one person to a reader), the second
/// skeleton maps what lowercasing made alike again (`M` → `m` → `rn`). A capital `I` displays as
/// an `l` and lowercases to an `i`, so no key can keep `i` and `l` apart and also make `ALICE`
/// and `alice` one: they are one letter here (`bill` and `bili` are one identity; the safe
/// side). Allocates: used for texts outside ASCII only.
fn key(text: &str) -> String {
    let folded: String = skeleton(text).flat_map(char::to_lowercase).collect();
    skeleton(&folded)
        .map(|c| if c == 'i' { 'l' } else { c })
        .collect()
}

/// [`same`] for two ASCII texts. A common prefix has a common key (ASCII keys concatenate), so
/// only the rest is compared; when both rests start with characters that are their own keys,
/// and differ, the keys differ there.
#[inline]
fn same_ascii(a: &[u8], b: &[u8]) -> bool {
    let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (
        a.get(common..).unwrap_or_default(),
        b.get(common..).unwrap_or_default(),
    );
    match (a.first(), b.first()) {
        (Some(x), Some(y)) if is_own_prototype(*x) && is_own_prototype(*y) => false,
        _ => a
            .iter()
            .copied()
            .flat_map(ascii_prototype)
            .eq(b.iter().copied().flat_map(ascii_prototype)),
    }
}

/// Whether the keys of two texts differ at their first character because the texts start with
/// two different ASCII characters that are their own keys: such a character is a starter, so
/// nothing after it (marks, ignorables) can come before it in the key. The common case of two
/// different ids, decided without reading further.
#[inline]
fn differ_at_first(a: &[u8], b: &[u8]) -> bool {
    match (a.first(), b.first()) {
        (Some(&x), Some(&y)) => {
            x != y && x.is_ascii() && y.is_ascii() && is_own_prototype(x) && is_own_prototype(y)
        }
        _ => false,
    }
}

/// Whether the ASCII character `b` is its own key.
#[inline]
fn is_own_prototype(b: u8) -> bool {
    !b.is_ascii_uppercase() && !matches!(b, b'0' | b'1' | b'|' | b'i' | b'm' | b'`' | b'"' | b'%')
}

/// Whether `a` and `b` are one identity: equal bytes, or equal keys (see [`key`]: the UTS #39
/// confusable skeleton, case folded). Linear in their lengths; allocates nothing for ASCII
/// texts (most ids), compared through a table of their few confusable characters.
#[inline]
pub(crate) fn same(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if differ_at_first(a.as_bytes(), b.as_bytes()) {
        return false;
    }
    match (a.is_ascii(), b.is_ascii()) {
        (true, true) => same_ascii(a.as_bytes(), b.as_bytes()),
        (true, false) => ascii_key(a).eq(key(b).chars()),
        (false, true) => key(a).chars().eq(ascii_key(b)),
        (false, false) => key(a) == key(b),
    }
}

/// [`same`] for a kept name and a text, reading the name's bytes without checking them again.
#[inline]
pub(crate) fn same_name(name: &Name, text: &str) -> bool {
    same_bytes(name.bytes(), text.as_bytes()).unwrap_or_else(|| same(name.as_str(), text))
}

/// [`same`] for two kept names.
#[inline]
pub(crate) fn same_names(a: &Name, b: &Name) -> bool {
    same_bytes(a.bytes(), b.bytes()).unwrap_or_else(|| same(a.as_str(), b.as_str()))
}

/// [`same`] decided on the bytes alone, when they are equal or both ASCII.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> Option<bool> {
    if a == b {
        Some(true)
    } else if differ_at_first(a, b) {
        Some(false)
    } else if a.is_ascii() && b.is_ascii() {
        Some(same_ascii(a, b))
    } else {
        None
    }
}

/// A name keyed by its identity: equal and hashed by its confusable skeleton, so that a map or
/// set of these holds one entry per identity. Building one from a [`Name`] copies or shares it,
/// without allocating.
#[derive(Clone, Debug)]
pub(crate) struct Ident(pub(crate) Name);

impl Ident {
    pub(crate) fn of(text: &str) -> Self {
        Self(Name::new(text))
    }
}

impl PartialEq for Ident {
    fn eq(&self, other: &Self) -> bool {
        same_names(&self.0, &other.0)
    }
}

impl Eq for Ident {}

impl Hash for Ident {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let bytes = self.0.bytes();
        // The same characters either way (see `ascii_prototype`), so the same hash.
        if bytes.is_ascii() {
            bytes
                .iter()
                .copied()
                .flat_map(ascii_prototype)
                .for_each(|ch| state.write_u32(u32::from(ch)));
        } else {
            key(self.0.as_str())
                .chars()
                .for_each(|ch| state.write_u32(u32::from(ch)));
        }
    }
}

/// Below this many names, a pairwise scan is faster than hashing.
pub(crate) const SCAN_UP_TO: usize = 16;

/// The first pair of `names` that are one identity, as their places `(earlier, later)`.
/// Expected linear in the number of names (hashed by skeleton past a few).
pub(crate) fn first_twins(names: &[&str]) -> Option<(usize, usize)> {
    first_twins_by(names, |name| name)
}

/// [`first_twins`] of the names `name` reads from `items`: allocates nothing up to
/// [`SCAN_UP_TO`] items.
pub(crate) fn first_twins_by<T>(items: &[T], name: impl Fn(&T) -> &str) -> Option<(usize, usize)> {
    if items.len() <= SCAN_UP_TO {
        for (j, b) in items.iter().enumerate() {
            let b = name(b);
            if let Some(i) = items.iter().take(j).position(|a| same(name(a), b)) {
                return Some((i, j));
            }
        }
        return None;
    }
    let mut seen: HashMap<Ident, usize> = HashMap::with_capacity(items.len());
    for (j, item) in items.iter().enumerate() {
        let key = Ident::of(name(item));
        if let Some(i) = seen.get(&key) {
            return Some((*i, j));
        }
        seen.insert(key, j);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_equal_and_confusable_names_are_one_identity() {
        assert!(same("alice", "alice"));
        assert!(same("alice", "al\u{131}ce")); // dotless i
        assert!(same("alice", "a1ice"));
        assert!(same("mary", "rnary"));
        assert!(!same("alice", "alicia"));
        // Case variants are one person to a reader, and so is a capital I for an l.
        assert!(same("alice", "Alice"));
        assert!(same("alice@bank.example", "alice@bank.exampIe"));
        assert!(same("ALICE", "al\u{131}ce"));
        assert!(same("Mary", "rnary"));
        assert!(same("Ivan", "lvan"));
    }

    #[test]
    fn the_ascii_table_agrees_with_the_skeleton() {
        for b in 0u8..=127 {
            let text = char::from(b).to_string();
            let table: String = ascii_key(&text).collect();
            let crate_: String = key(&text);
            assert_eq!(table, crate_, "{text:?}");
            assert_eq!(is_own_prototype(b), table == text, "{text:?}");
            // Starters only, so skeletons concatenate.
            for ch in table.chars() {
                assert_eq!(
                    unicode_normalization::char::canonical_combining_class(ch),
                    0,
                    "{ch:?}"
                );
            }
        }
        // And on whole texts, pairs of every printable character.
        for a in b' '..=b'~' {
            for b in b' '..=b'~' {
                let text = String::from_utf8(vec![a, b, b'm', a]).unwrap_or_default();
                assert!(ascii_key(&text).eq(key(&text).chars()), "{text:?}");
                let other = String::from_utf8(vec![a, b'r', b'n', a]).unwrap_or_default();
                let by_skeleton = key(&text) == key(&other);
                assert_eq!(same(&text, &other), by_skeleton, "{text:?} {other:?}");
            }
        }
    }

    #[test]
    fn a_different_plain_first_character_decides_even_before_marks_and_other_scripts() {
        for (a, b) in [
            ("a\u{301}", "b\u{301}"),
            ("a\u{200b}x", "bx"),
            ("x\u{131}", "y\u{131}"),
            ("a\u{300}\u{301}", "e\u{301}\u{300}"),
        ] {
            assert!(differ_at_first(a.as_bytes(), b.as_bytes()));
            assert_ne!(key(a), key(b), "{a:?} {b:?}");
        }
        assert!(!differ_at_first(b"1x", b"lx"));
        assert!(same("1x", "lx"));
    }

    #[test]
    fn equal_identities_hash_alike() {
        use std::collections::HashSet;
        let set: HashSet<Ident> = ["alice", "a1ice", "al\u{131}ce", "Alice", "ALICE", "bob"]
            .into_iter()
            .map(Ident::of)
            .collect();
        assert_eq!(set.len(), 2);
    }

    #[test]
    fn twins_are_found_by_scan_and_by_hash() {
        assert_eq!(first_twins(&["bob", "alice", "a1ice"]), Some((1, 2)));
        assert_eq!(first_twins(&["bob", "alice"]), None);
        let many: Vec<String> = (0..40).map(|i| format!("user{i}x")).collect();
        let mut names: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(first_twins(&names), None);
        names.push("user7x");
        assert_eq!(first_twins(&names), Some((7, 40)));
        names.pop();
        names.push("userlx"); // the skeleton of `1` is `l`
        assert_eq!(first_twins(&names), Some((1, 40)));
    }
}
