//! The primitives of the canonical byte encoding (the grammar is in `event/canonical.rs` and the
//! crate docs): fixed-width big-endian integers, `f64` by its bits, length-prefixed texts, lists
//! and options. Below every layer that hashes a structure (policies, events, pipelines).

use sha2::{Digest as _, Sha256};

use super::hash::Fingerprint;

/// Where canonical bytes go: a hasher, or a buffer (for the test vectors).
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

/// A SHA-256 hasher as a sink for the canonical encoding.
impl Sink for Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

pub(crate) fn u8(out: &mut dyn Sink, x: u8) {
    out.put(&[x]);
}

pub(crate) fn u32(out: &mut dyn Sink, x: u32) {
    out.put(&x.to_be_bytes());
}

pub(crate) fn u64(out: &mut dyn Sink, x: u64) {
    out.put(&x.to_be_bytes());
}

pub(crate) fn usize(out: &mut dyn Sink, x: usize) {
    u64(out, u64::try_from(x).unwrap_or(u64::MAX));
}

pub(crate) fn f64(out: &mut dyn Sink, x: f64) {
    u64(out, x.to_bits());
}

pub(crate) fn text(out: &mut dyn Sink, s: &str) {
    usize(out, s.len());
    out.put(s.as_bytes());
}

/// A domain-separation label: a text.
pub(crate) fn label(out: &mut dyn Sink, s: &str) {
    text(out, s);
}

pub(crate) fn list<T>(out: &mut dyn Sink, items: &[T], mut each: impl FnMut(&mut dyn Sink, &T)) {
    usize(out, items.len());
    for item in items {
        each(out, item);
    }
}

pub(crate) fn option<T>(out: &mut dyn Sink, x: Option<&T>, each: impl FnOnce(&mut dyn Sink, &T)) {
    match x {
        None => u8(out, 0),
        Some(x) => {
            u8(out, 1);
            each(out, x);
        }
    }
}

impl Fingerprint {
    /// The fingerprint of the canonical bytes written by `encode`.
    pub(crate) fn of(encode: impl FnOnce(&mut Sha256)) -> Self {
        let mut hasher = Sha256::new();
        encode(&mut hasher);
        Self::from_bytes(hasher.finalize().into())
    }
}
