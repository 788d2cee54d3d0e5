//! Key files.
//!
//! A seal key file (for `modelgate verify`) is JSON naming the key and its material, one of:
//!
//! ```json
//! {"key_id": "host-key-2026", "hmac_sha256": "<the shared secret, at least 32 bytes, in hex>"}
//! {"key_id": "release-2026", "ed25519_public_key": "<the 32-byte public key in 64 hex digits>"}
//! ```
//!
//! An attestation key file (for `modelgate attest verify`) is an Ed25519 public key: a PEM
//! `PUBLIC KEY` block (what `openssl pkey -pubout` writes) or 64 hex digits.

use std::path::Path;

use modelgate::attest::Ed25519PublicKey;
use modelgate::trail::InvalidPublicKey;
use modelgate::{Ed25519Verifier, HmacSealer, SealVerifier};
use serde::Deserialize;

use crate::{CliError, read};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SealKeyFile {
    key_id: String,
    #[serde(default)]
    hmac_sha256: Option<String>,
    #[serde(default)]
    ed25519_public_key: Option<String>,
}

/// Why a key's text is not hex bytes.
enum HexError {
    /// A character that is not `[0-9a-fA-F]`.
    NotHex,
    /// An odd number of hex digits (or none).
    Length(usize),
}

/// The bytes of `text` (surrounding whitespace trimmed): pairs of `[0-9a-fA-F]` only, no sign.
fn hex(text: &str) -> Result<Vec<u8>, HexError> {
    let values: Vec<u8> = text
        .trim()
        .bytes()
        .map(|d| match d {
            b'0'..=b'9' => Some(d - b'0'),
            b'a'..=b'f' => Some(d - b'a' + 10),
            b'A'..=b'F' => Some(d - b'A' + 10),
            _ => None,
        })
        .collect::<Option<_>>()
        .ok_or(HexError::NotHex)?;
    if values.is_empty() || !values.len().is_multiple_of(2) {
        return Err(HexError::Length(values.len()));
    }
    Ok(values
        .chunks_exact(2)
        .map(|p| p.iter().fold(0, |b, v| b << 4 | v))
        .collect())
}

/// Reads a seal key file.
///
/// # Errors
///
/// [`CliError::Io`] if it cannot be read, [`CliError::Key`] if it is not a key file.
pub fn seal_key(file: &Path) -> Result<Box<dyn SealVerifier>, CliError> {
    let text = read(file)?;
    let bad = |why: &str| CliError::Key {
        file: file.display().to_string(),
        why: why.to_owned(),
    };
    let form: SealKeyFile = serde_json::from_str(&text).map_err(|e| bad(&e.to_string()))?;
    match (form.hmac_sha256, form.ed25519_public_key) {
        (Some(secret), None) => {
            let secret = hex(&secret).map_err(|e| match e {
                HexError::NotHex => bad("`hmac_sha256` must be hex digits"),
                HexError::Length(n) => bad(&format!(
                    "`hmac_sha256` has {n} hex digits, not whole bytes: expected an even number, \
                     64 or more"
                )),
            })?;
            let key = HmacSealer::from_slice(form.key_id, &secret).map_err(|e| {
                bad(&format!(
                    "`hmac_sha256` is too short: {e} (64 hex digits or more)"
                ))
            })?;
            Ok(Box::new(key))
        }
        (None, Some(public)) => {
            let bytes: [u8; 32] = hex(&public)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| bad("`ed25519_public_key` must be 64 hex digits"))?;
            let key = Ed25519Verifier::from_public_key(form.key_id, bytes)
                .map_err(|e: InvalidPublicKey| bad(&e.to_string()))?;
            Ok(Box::new(key))
        }
        _ => Err(bad(
            "give exactly one of `hmac_sha256` (hex secret) and `ed25519_public_key` (64 hex digits)",
        )),
    }
}

/// Reads an attestation public key (PEM or hex), under `key_id` if given.
///
/// # Errors
///
/// [`CliError::Io`] if it cannot be read, [`CliError::Key`] if it is not an Ed25519 key.
pub fn public_key(file: &Path, key_id: Option<&str>) -> Result<Ed25519PublicKey, CliError> {
    let text = read(file)?;
    let key = Ed25519PublicKey::parse(&text).map_err(|e| CliError::Key {
        file: file.display().to_string(),
        why: e.to_string(),
    })?;
    Ok(match key_id {
        Some(id) => key.with_key_id(id),
        None => key,
    })
}
