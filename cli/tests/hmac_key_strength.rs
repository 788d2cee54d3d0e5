//! Seal key files hold HMAC secrets of full strength: a `hmac_sha256` secret shorter than 32
//! bytes is refused with exit 2 (a key file the CLI cannot use), naming its length, before any
//! seal is checked with it. Its text is whole bytes of `[0-9a-fA-F]` only: an odd number of
//! digits is named as such, and a sign (`+7`) is not a digit.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use modelgate::{HmacSealer, Model, StoredModel};

fn dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("modelgate-cli-hmac-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A model sealed by a 32-byte key, and a key file of `secret`.
fn fixtures(dir: &Path, secret: &[u8]) {
    let model = Model::new("churn", "1").unwrap();
    let stored = StoredModel::from(&model)
        .sealed_by(&HmacSealer::new("db", [7; 32]))
        .unwrap();
    std::fs::write(
        dir.join("model.json"),
        serde_json::to_string(&stored).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("key.json"),
        format!(r#"{{"key_id": "db", "hmac_sha256": "{}"}}"#, hex(secret)),
    )
    .unwrap();
}

fn show(dir: &Path) -> (i32, String) {
    let out = Command::cargo_bin("modelgate")
        .unwrap()
        .current_dir(dir)
        .args(["show", "model.json", "--key", "key.json"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_key_file_with_a_secret_shorter_than_32_bytes_is_refused_with_exit_2() {
    let dir = dir("short");
    fixtures(&dir, b"hunter2");
    let (code, stderr) = show(&dir);
    assert_eq!(code, 2, "{stderr}");
    insta::assert_snapshot!("short_hmac_key_file", stderr);
}

#[test]
fn a_key_file_with_31_bytes_is_refused_and_one_with_32_is_used() {
    let dir = dir("boundary");
    fixtures(&dir, &[7; 31]);
    let (code, stderr) = show(&dir);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("this one has 31"), "{stderr}");
    fixtures(&dir, &[7; 32]);
    let (code, stderr) = show(&dir);
    assert_eq!(code, 0, "{stderr}");
}

/// A model sealed by a 32-byte key, and a key file whose `hmac_sha256` is `text` as written.
fn fixtures_text(dir: &Path, text: &str) {
    fixtures(dir, &[7; 32]);
    std::fs::write(
        dir.join("key.json"),
        format!(r#"{{"key_id": "db", "hmac_sha256": "{text}"}}"#),
    )
    .unwrap();
}

#[test]
fn a_key_file_with_an_odd_number_of_hex_digits_names_its_length_exit_2() {
    let dir = dir("odd");
    fixtures_text(&dir, &"07".repeat(32)[1..]);
    let (code, stderr) = show(&dir);
    assert_eq!(code, 2, "{stderr}");
    insta::assert_snapshot!("odd_hmac_key_file", stderr);
}

#[test]
fn a_key_file_with_a_plus_sign_is_not_read_as_a_digit_exit_2() {
    let dir = dir("plus");
    // `+7` once read as 0x07: the right key, spelt with a sign.
    let text = format!("+7{}", "07".repeat(31));
    fixtures_text(&dir, &text);
    let (code, stderr) = show(&dir);
    assert_eq!(code, 2, "{stderr}");
    insta::assert_snapshot!("signed_hmac_key_file", stderr);
    fixtures_text(&dir, &"07".repeat(32));
    let (code, stderr) = show(&dir);
    assert_eq!(code, 0, "{stderr}");
}
