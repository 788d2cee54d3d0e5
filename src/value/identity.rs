//! One identity per confusable skeleton (UTS #39).
//!
//! The identifier rule ([`text`](super::text)) refuses what is invisible, out of the identifier
//! profile or mixes scripts; what it admits can still look like another identifier within one
//! script: `alıce` (a dotless `ı`) and `alice`, `a1ice` and `alice`, `rnary` and `mary`. UTS #39
//! maps each string to its *skeleton* (its characters replaced by their confusable prototypes);
//! two strings with the same skeleton display alike. So wherever a policy meets two ids, two
//! roles or two metric names, they are one identity when their skeletons are equal: the
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

/// The ASCII characters that are not their own skeleton (`0` → `O`, `1` and `I` and `|` → `l`,
/// `m` → `rn`, and `"`, `%`, `` ` ``); a unit test checks this list against the crate's data.
const ASCII_WITH_PROTOTYPE: &[u8] = b"\"%01I`m|";

/// Whether `text` is its own skeleton because it is ASCII without a character that has a
/// confusable prototype: most ids are, and for them no table is consulted.
#[inline]
fn own_skeleton(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii() && !ASCII_WITH_PROTOTYPE.contains(&b))
}

/// Whether `a` and `b` are one identity: equal bytes, or equal confusable skeletons (UTS #39).
/// Linear in their lengths; allocates nothing.
#[inline]
pub(crate) fn same(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if own_skeleton(a) && own_skeleton(b) {
        return false;
    }
    skeleton(a).eq(skeleton(b))
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
        same(self.0.as_str(), other.0.as_str())
    }
}

impl Eq for Ident {}

impl Hash for Ident {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let text = self.0.as_str();
        // The same hash either way: such a text is its own skeleton.
        if own_skeleton(text) {
            text.bytes().for_each(|b| state.write_u32(u32::from(b)));
        } else {
            skeleton(text).for_each(|ch| state.write_u32(u32::from(ch)));
        }
    }
}

/// Below this many names, a pairwise scan is faster than hashing.
const SCAN_UP_TO: usize = 16;

/// The first pair of `names` that are one identity, as their places `(earlier, later)`.
/// Expected linear in the number of names (hashed by skeleton past a few).
pub(crate) fn first_twins(names: &[&str]) -> Option<(usize, usize)> {
    if names.len() <= SCAN_UP_TO {
        for (j, b) in names.iter().enumerate() {
            if let Some(i) = names.iter().take(j).position(|a| same(a, b)) {
                return Some((i, j));
            }
        }
        return None;
    }
    let mut seen: HashMap<Ident, usize> = HashMap::with_capacity(names.len());
    for (j, name) in names.iter().enumerate() {
        if let Some(i) = seen.get(&Ident::of(name)) {
            return Some((*i, j));
        }
        seen.insert(Ident::of(name), j);
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
        assert!(!same("alice", "Alice"));
    }

    #[test]
    fn the_ascii_fast_path_agrees_with_the_skeleton() {
        for b in 0u8..=127 {
            let text = char::from(b).to_string();
            let own = skeleton(&text).eq(text.chars());
            assert_eq!(own_skeleton(&text), own, "{text:?}");
        }
    }

    #[test]
    fn equal_identities_hash_alike() {
        use std::collections::HashSet;
        let set: HashSet<Ident> = ["alice", "a1ice", "al\u{131}ce", "bob"]
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
