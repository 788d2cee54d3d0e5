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

fn hex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
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
            let secret = hex(&secret).ok_or_else(|| bad("`hmac_sha256` must be hex digits"))?;
            let key = HmacSealer::from_slice(form.key_id, &secret).map_err(|e| {
                bad(&format!(
                    "`hmac_sha256` is too short: {e} (64 hex digits or more)"
                ))
            })?;
            Ok(Box::new(key))
        }
        (None, Some(public)) => {
            let bytes: [u8; 32] = hex(&public)
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
