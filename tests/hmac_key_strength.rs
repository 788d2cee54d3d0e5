//! HMAC-SHA256 seal keys have full strength: a secret shorter than 32 bytes (SHA-256's output)
//! cannot make an `HmacSealer`; `new` takes exactly 32 bytes, so the type proves it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use modelgate::{HmacSealer, Model, SealVerifier, Sealer, ShortHmacSecret};
use proptest::prelude::*;

#[test]
fn a_secret_shorter_than_32_bytes_is_refused_naming_its_length() {
    let err = HmacSealer::from_slice("db", b"hunter2").unwrap_err();
    assert_eq!(err.len(), 7);
    let empty = HmacSealer::from_slice("db", b"").unwrap_err();
    assert!(empty.is_empty());
    let text = [
        err,
        empty,
        HmacSealer::from_slice("db", &[7; 31]).unwrap_err(),
    ]
    .iter()
    .map(|e| format!("{e}\n"))
    .collect::<String>();
    insta::assert_snapshot!("short_hmac_secret", text);
}

#[test]
fn a_secret_of_32_bytes_or_more_seals_like_new() {
    let head = Model::new("churn", "1").unwrap().head();
    let secret = *b"0123456789abcdef0123456789abcdef";
    let by_new = HmacSealer::new("db", secret).seal(&head).unwrap();
    let by_slice = HmacSealer::from_slice("db", &secret).unwrap();
    assert_eq!(by_slice.seal(&head).unwrap(), by_new);
    assert!(by_slice.verify(&head, &by_new).is_ok());
}

#[test]
fn the_secret_never_shows_in_debug_output() {
    let key = HmacSealer::from_slice("db", &[0xab; 40]).unwrap();
    let shown = format!("{key:?}");
    assert!(shown.contains("db") && !shown.contains("171") && !shown.contains("ab, "));
}

proptest! {
    #[test]
    fn every_secret_shorter_than_32_bytes_is_refused(secret in proptest::collection::vec(any::<u8>(), 0..32)) {
        let err: ShortHmacSecret = HmacSealer::from_slice("k", &secret).unwrap_err();
        prop_assert_eq!(err.len(), secret.len());
    }

    #[test]
    fn every_secret_of_32_bytes_or_more_seals_and_verifies(
        secret in proptest::collection::vec(any::<u8>(), 32..100),
    ) {
        let key = HmacSealer::from_slice("k", &secret).unwrap();
        let head = Model::new("churn", "1").unwrap().head();
        let seal = key.seal(&head).unwrap();
        prop_assert!(key.verify(&head, &seal).is_ok());
        // A key that differs in one byte does not verify it.
        let mut other = secret.clone();
        other[0] ^= 1;
        let other = HmacSealer::from_slice("k", &other).unwrap();
        prop_assert!(other.verify(&head, &seal).is_err());
    }
}
