//! Key files.
//!
//! A seal key file (for `modelgate verify`) is JSON naming the key and its material, one of:
//!
//! ```json
//! {"key_id": "host-key-2026", "hmac_sha256": "<the shared secret, at least 32 bytes, in hex>"}
//! {"key_id": "release-2026", "ed25519_public_key": "<the 32-byte public key in 64 hex digits>"}
//! {"key_id": "release-2027", "ed25519_private_key": "<the 32-byte secret seed in 64 hex digits>"}
//! ```
//!
//! Any of them may say when the key retired, `"retired_at"` (RFC 3339): a record it sealed then
//! verifies only if its last event is before that time (key rotation; `modelgate reseal` seals
//! records again under the new key).
//! A private key both seals (`reseal --to`) and verifies.
//!
//! An attestation key file (for `modelgate attest verify`) is an Ed25519 public key: a PEM
//! `PUBLIC KEY` block (what `openssl pkey -pubout` writes) or 64 hex digits.

use std::path::{Path, PathBuf};

use modelgate::attest::Ed25519PublicKey;
use modelgate::trail::{InvalidPublicKey, Keyring};
use modelgate::{Ed25519Sealer, Ed25519Verifier, HmacSealer, SealVerifier, Sealer, Timestamp};
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
    #[serde(default)]
    ed25519_private_key: Option<String>,
    #[serde(default)]
    retired_at: Option<String>,
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

/// Reads seal key files into a keyring: a key with `retired_at` verifies only records whose last
/// event is before then; one without, any record.
///
/// # Errors
///
/// [`CliError::Io`] if one cannot be read, [`CliError::Key`] if one is not a seal key file.
pub fn seal_keys(files: &[PathBuf]) -> Result<Keyring<Box<dyn SealVerifier>>, CliError> {
    let mut keys = Keyring::new();
    for file in files {
        let (form, bad) = seal_key_file(file)?;
        let retired = (form.retired_at.as_ref())
            .map(|t| t.parse::<Timestamp>())
            .transpose()
            .map_err(|e| bad(&format!("`retired_at` must be an RFC 3339 time: {e}")))?;
        let verifier: Box<dyn SealVerifier> = match (
            form.hmac_sha256,
            form.ed25519_public_key,
            form.ed25519_private_key,
        ) {
            (Some(secret), None, None) => Box::new(hmac(form.key_id, &secret, &bad)?),
            (None, Some(public), None) => {
                let bytes = hex32(&public, "ed25519_public_key", &bad)?;
                Box::new(
                    Ed25519Verifier::from_public_key(form.key_id, bytes)
                        .map_err(|e: InvalidPublicKey| bad(&e.to_string()))?,
                )
            }
            (None, None, Some(private)) => {
                let seed = hex32(&private, "ed25519_private_key", &bad)?;
                Box::new(Ed25519Sealer::from_seed(form.key_id, seed))
            }
            _ => return Err(bad(ONE_OF)),
        };
        keys = match retired {
            Some(retired) => keys.with_retired_key(verifier, retired),
            None => keys.with_key(verifier),
        };
    }
    Ok(keys)
}

/// Reads a sealing key file (the new key of `reseal`): an HMAC secret or an Ed25519 private key.
///
/// # Errors
///
/// [`CliError::Io`] if it cannot be read, [`CliError::Key`] if it is not a key that seals.
pub fn sealer(file: &Path) -> Result<Box<dyn Sealer>, CliError> {
    let (form, bad) = seal_key_file(file)?;
    match (
        form.hmac_sha256,
        form.ed25519_public_key,
        form.ed25519_private_key,
    ) {
        (Some(secret), None, None) => Ok(Box::new(hmac(form.key_id, &secret, &bad)?)),
        (None, None, Some(private)) => {
            let seed = hex32(&private, "ed25519_private_key", &bad)?;
            Ok(Box::new(Ed25519Sealer::from_seed(form.key_id, seed)))
        }
        (None, Some(_), None) => Err(bad(
            "a public key verifies seals but cannot make one: give `hmac_sha256` or `ed25519_private_key`",
        )),
        _ => Err(bad(ONE_OF)),
    }
}

const ONE_OF: &str = "give exactly one of `hmac_sha256` (hex secret), `ed25519_public_key` \
                      (64 hex digits) and `ed25519_private_key` (64 hex digits)";

type Bad = dyn Fn(&str) -> CliError;

/// Reads a seal key file's JSON, and how to name what is wrong in it.
fn seal_key_file(file: &Path) -> Result<(SealKeyFile, Box<Bad>), CliError> {
    let text = read(file)?;
    let name = file.display().to_string();
    let bad = move |why: &str| CliError::Key {
        file: name.clone(),
        why: why.to_owned(),
    };
    let form: SealKeyFile = serde_json::from_str(&text).map_err(|e| bad(&e.to_string()))?;
    Ok((form, Box::new(bad)))
}

fn hmac(key_id: String, secret: &str, bad: &Bad) -> Result<HmacSealer, CliError> {
    let secret = hex(secret).map_err(|e| match e {
        HexError::NotHex => bad("`hmac_sha256` must be hex digits"),
        HexError::Length(n) => bad(&format!(
            "`hmac_sha256` has {n} hex digits, not whole bytes: expected an even number, \
             64 or more"
        )),
    })?;
    HmacSealer::from_slice(key_id, &secret).map_err(|e| {
        bad(&format!(
            "`hmac_sha256` is too short: {e} (64 hex digits or more)"
        ))
    })
}

fn hex32(text: &str, field: &str, bad: &Bad) -> Result<[u8; 32], CliError> {
    hex(text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| bad(&format!("`{field}` must be 64 hex digits")))
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
