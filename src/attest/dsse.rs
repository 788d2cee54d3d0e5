//! DSSE: the pre-authentication encoding, the JSON envelope, and the keys that sign and verify.

use std::collections::HashSet;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use ed25519_dalek::{Signature as DalekSignature, Signer as _, SigningKey, VerifyingKey};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use super::MAX_SIGNATURES;
use super::error::{KeyError, SignError, VerifyError};

/// DSSE's pre-authentication encoding, the bytes that are signed:
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, where `LEN` is the byte length in
/// ASCII decimal without leading zeros and `SP` one space.
///
/// ```
/// // The DSSE specification's own example.
/// let pae = modelgate::attest::pae("http://example.com/HelloWorld", b"hello world");
/// assert_eq!(pae, b"DSSEv1 29 http://example.com/HelloWorld 11 hello world");
/// ```
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let (type_len, body_len) = (payload_type.len().to_string(), payload.len().to_string());
    let mut out = Vec::with_capacity(
        10 + type_len.len() + payload_type.len() + body_len.len() + payload.len(),
    );
    for part in [
        b"DSSEv1".as_slice(),
        type_len.as_bytes(),
        payload_type.as_bytes(),
        body_len.as_bytes(),
    ] {
        out.extend_from_slice(part);
        out.push(b' ');
    }
    out.extend_from_slice(payload);
    out
}

/// Makes DSSE signatures: the host's key, in memory ([`Ed25519Signer`]) or behind a KMS or HSM.
///
/// The signature is over [`pae`] of the payload type and the payload; `key_id` is written
/// beside it as the DSSE `keyid`, a hint that tells verifiers which of their keys to try.
pub trait Signer {
    /// The key's id, written as the signature's `keyid`.
    fn key_id(&self) -> &str;

    /// Signs `message` (the PAE bytes).
    ///
    /// # Errors
    ///
    /// [`SignError`] when the key's backend fails.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError>;
}

/// Checks DSSE signatures with a trusted key: the host's public key, or a KMS's.
pub trait Verifier {
    /// The key's id: the `keyid` of the signatures it checks.
    fn key_id(&self) -> &str;

    /// Whether `signature` is this key's signature over `message` (the PAE bytes).
    fn verify(&self, message: &[u8], signature: &[u8]) -> bool;
}

impl<S: Signer + ?Sized> Signer for &S {
    fn key_id(&self) -> &str {
        (**self).key_id()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        (**self).sign(message)
    }
}

impl<V: Verifier + ?Sized> Verifier for &V {
    fn key_id(&self) -> &str {
        (**self).key_id()
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        (**self).verify(message, signature)
    }
}

impl<V: Verifier + ?Sized> Verifier for Box<V> {
    fn key_id(&self) -> &str {
        (**self).key_id()
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        (**self).verify(message, signature)
    }
}

/// The default key id of an Ed25519 key: the lowercase hex SHA-256 of its 32 public-key bytes.
fn fingerprint(public: &VerifyingKey) -> String {
    Sha256::digest(public.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An Ed25519 private key that signs attestations.
///
/// Its key id is the lowercase hex SHA-256 of its 32-byte public key unless the host names it
/// ([`with_key_id`](Self::with_key_id)); the [`Ed25519PublicKey`] of the same key has the same
/// id. `Debug` does not show the key.
#[derive(Clone)]
pub struct Ed25519Signer {
    key_id: String,
    key: SigningKey,
}

impl Ed25519Signer {
    /// The key from its 32-byte secret seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let key = SigningKey::from_bytes(&seed);
        Self {
            key_id: fingerprint(&key.verifying_key()),
            key,
        }
    }

    /// The same key under the id `key_id` (e.g. `release-2026`); verifiers must name their
    /// public key the same.
    #[must_use]
    pub fn with_key_id(mut self, key_id: impl Into<String>) -> Self {
        self.key_id = key_id.into();
        self
    }

    /// The public key, with the same key id.
    pub fn public_key(&self) -> Ed25519PublicKey {
        Ed25519PublicKey {
            key_id: self.key_id.clone(),
            key: self.key.verifying_key(),
        }
    }
}

impl fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ed25519Signer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl Signer for Ed25519Signer {
    fn key_id(&self) -> &str {
        &self.key_id
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        Ok(self.key.sign(message).to_bytes().to_vec())
    }
}

/// An Ed25519 public key that verifies attestations (strictly: no small-order keys, no
/// malleable signatures).
///
/// Read from 64 hex digits or from a PEM `PUBLIC KEY` block (SubjectPublicKeyInfo, what
/// `openssl pkey -pubout` and Python's `cryptography` write). Its key id is the lowercase hex
/// SHA-256 of the 32 key bytes unless the host names it ([`with_key_id`](Self::with_key_id)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ed25519PublicKey {
    key_id: String,
    key: VerifyingKey,
}

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the 32 key bytes follow.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

impl Ed25519PublicKey {
    /// The key from its 32 bytes.
    ///
    /// # Errors
    ///
    /// [`KeyError::Invalid`] if the bytes are not a valid Ed25519 public key, or are one of
    /// small order (which would verify forged signatures).
    pub fn from_bytes(bytes: [u8; 32]) -> Result<Self, KeyError> {
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::Invalid)?;
        if key.is_weak() {
            return Err(KeyError::Invalid);
        }
        Ok(Self {
            key_id: fingerprint(&key),
            key,
        })
    }

    /// The key from 64 hex digits (either case) or a PEM `PUBLIC KEY` block; surrounding
    /// whitespace is ignored.
    ///
    /// # Errors
    ///
    /// [`KeyError::Format`] for any other text; [`KeyError::Invalid`] if the bytes are not a
    /// valid Ed25519 public key.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let bytes = match text.strip_prefix("-----BEGIN PUBLIC KEY-----") {
            Some(rest) => from_pem(rest),
            None => from_hex(text),
        };
        Self::from_bytes(bytes.ok_or(KeyError::Format)?)
    }

    /// The same key under the id `key_id`.
    #[must_use]
    pub fn with_key_id(mut self, key_id: impl Into<String>) -> Self {
        self.key_id = key_id.into();
        self
    }

    /// The key's 32 bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The key as a PEM `PUBLIC KEY` block (SubjectPublicKeyInfo), ending with a newline.
    pub fn to_pem(&self) -> String {
        let mut der = SPKI_PREFIX.to_vec();
        der.extend_from_slice(self.key.as_bytes());
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            STANDARD.encode(der)
        )
    }
}

fn from_pem(rest: &str) -> Option<[u8; 32]> {
    let body = rest.trim_end().strip_suffix("-----END PUBLIC KEY-----")?;
    let b64: String = body.split_whitespace().collect();
    let der = STANDARD.decode(b64).ok()?;
    let key = der.strip_prefix(SPKI_PREFIX.as_slice())?;
    key.try_into().ok()
}

fn from_hex(text: &str) -> Option<[u8; 32]> {
    let digits = text.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let [high, low] = pair else { return None };
        *byte = hex_digit(*high)? << 4 | hex_digit(*low)?;
    }
    Some(out)
}

/// The value of one hex digit (`[0-9a-fA-F]` only: no sign, no whitespace).
fn hex_digit(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

impl Verifier for Ed25519PublicKey {
    fn key_id(&self) -> &str {
        &self.key_id
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        DalekSignature::from_slice(signature)
            .is_ok_and(|sig| self.key.verify_strict(message, &sig).is_ok())
    }
}

impl Verifier for Ed25519Signer {
    fn key_id(&self) -> &str {
        &self.key_id
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.public_key().verify(message, signature)
    }
}

/// One signature of an envelope: the key id it names (empty if none) and the signature bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    key_id: String,
    sig: Vec<u8>,
}

impl Signature {
    /// A signature by `key_id` (for hosts that sign [`pae`] themselves, asynchronously).
    pub fn new(key_id: impl Into<String>, sig: impl Into<Vec<u8>>) -> Self {
        Self {
            key_id: key_id.into(),
            sig: sig.into(),
        }
    }

    /// The `keyid`: a hint, not authenticated.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The signature bytes.
    pub fn sig(&self) -> &[u8] {
        &self.sig
    }
}

/// A DSSE envelope: the payload, its type and the signatures over [`pae`] of the two.
///
/// Written as DSSE's JSON envelope: `{"payload": "<base64>", "payloadType": "…",
/// "signatures": [{"keyid": "…", "sig": "<base64>"}]}` (standard base64 with padding).
/// [`verify`](super::verify) reads it back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    payload_type: String,
    payload: Vec<u8>,
    signatures: Vec<Signature>,
}

/// The JSON envelope as read: unknown fields are ignored (DSSE's parsing rules), a field given
/// twice is refused.
#[derive(Deserialize)]
struct EnvelopeForm {
    payload: String,
    #[serde(rename = "payloadType")]
    payload_type: String,
    signatures: Vec<SignatureForm>,
}

#[derive(Deserialize)]
struct SignatureForm {
    #[serde(default)]
    keyid: String,
    sig: String,
}

/// Standard or URL-safe base64, padded or not (DSSE: verifiers must accept either), canonical
/// (no stray bits), without whitespace.
fn decode(text: &str, field: impl FnOnce() -> String) -> Result<Vec<u8>, VerifyError> {
    let url_safe = text.contains(['-', '_']);
    let padded = text.ends_with('=');
    let engine = match (url_safe, padded) {
        (false, true) => &STANDARD,
        (false, false) => &STANDARD_NO_PAD,
        (true, true) => &URL_SAFE,
        (true, false) => &URL_SAFE_NO_PAD,
    };
    engine
        .decode(text)
        .map_err(|_| VerifyError::Base64 { field: field() })
}

impl Envelope {
    /// An unsigned envelope of `payload` of type `payload_type`.
    pub fn new(payload_type: impl Into<String>, payload: impl Into<Vec<u8>>) -> Self {
        Self {
            payload_type: payload_type.into(),
            payload: payload.into(),
            signatures: Vec::new(),
        }
    }

    /// Adds `signer`'s signature over [`pae`] of the payload type and payload.
    ///
    /// # Errors
    ///
    /// [`SignError`] if the signer fails; the envelope is unchanged.
    pub fn sign(&mut self, signer: &(impl Signer + ?Sized)) -> Result<(), SignError> {
        let sig = signer.sign(&self.pae())?;
        self.signatures.push(Signature::new(signer.key_id(), sig));
        Ok(())
    }

    /// Adds a signature the host made itself over [`pae`](Self::pae).
    pub fn push_signature(&mut self, signature: Signature) {
        self.signatures.push(signature);
    }

    /// The bytes every signature is over: [`pae`] of the payload type and the payload.
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }

    /// The payload type.
    pub fn payload_type(&self) -> &str {
        &self.payload_type
    }

    /// The payload (for an attestation: the in-toto statement's JSON). Not verified: read it
    /// through [`verify`](super::verify).
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The signatures.
    pub fn signatures(&self) -> &[Signature] {
        &self.signatures
    }

    /// The JSON envelope.
    pub fn to_json(&self) -> String {
        let signatures = self
            .signatures
            .iter()
            .map(|s| serde_json::json!({"keyid": s.key_id, "sig": STANDARD.encode(&s.sig)}))
            .collect::<Vec<_>>();
        serde_json::json!({
            "payload": STANDARD.encode(&self.payload),
            "payloadType": self.payload_type,
            "signatures": signatures,
        })
        .to_string()
    }

    /// Reads a JSON envelope, decoding its base64; verifies nothing.
    ///
    /// # Errors
    ///
    /// [`VerifyError::Envelope`] if it is not a JSON envelope (a field given twice included);
    /// [`VerifyError::Base64`] naming the field that is not base64.
    pub fn from_json(json: &[u8]) -> Result<Self, VerifyError> {
        let form: EnvelopeForm =
            serde_json::from_slice(json).map_err(|e| VerifyError::Envelope(e.to_string()))?;
        Self::from_form(form)
    }

    fn from_form(form: EnvelopeForm) -> Result<Self, VerifyError> {
        let payload = decode(&form.payload, || String::from("payload"))?;
        let signatures = form
            .signatures
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let sig = decode(&s.sig, || format!("signatures[{i}].sig"))?;
                Ok(Signature::new(s.keyid, sig))
            })
            .collect::<Result<_, VerifyError>>()?;
        Ok(Self {
            payload_type: form.payload_type,
            payload,
            signatures,
        })
    }

    /// The key ids of the trusted keys that verify a signature; in the order of `keys`, each
    /// once, and each signature for one key only.
    ///
    /// Every trusted key is tried on every signature (at most [`MAX_SIGNATURES`] of them),
    /// whatever `keyid` it names: the key id is a hint, and other DSSE tools compute theirs
    /// their own way (securesystemslib: the SHA-256 of its JSON key record).
    pub(crate) fn check<V: Verifier>(&self, keys: &[V]) -> Result<Vec<String>, VerifyError> {
        if self.signatures.len() > MAX_SIGNATURES {
            return Err(VerifyError::TooManySignatures {
                count: self.signatures.len(),
                max: MAX_SIGNATURES,
            });
        }
        let mut seen: HashSet<&str> = HashSet::with_capacity(self.signatures.len());
        for s in &self.signatures {
            if !seen.insert(&s.key_id) {
                return Err(VerifyError::DuplicateKeyId {
                    key_id: s.key_id.clone(),
                });
            }
        }
        let message = self.pae();
        let mut verified: Vec<String> = Vec::new();
        let mut verified_ids: HashSet<&str> = HashSet::new();
        // Each key counts once, whatever ids it is given under: one key's holder can make as
        // many different valid signatures as they like (a signature's nonce is theirs to
        // choose), so counting signatures would count one signer many times. A key counts
        // with a signature no key counted before has; a key that verifies a signature another
        // key counted with is that key again (no signature verifies under two keys), and does
        // not count; so does a copy of a counted signature under another key id. At most one
        // check per signature counted so far (at most `MAX_SIGNATURES`): linear in keys.
        let mut counted: Vec<&[u8]> = Vec::new();
        let mut failed: Option<&str> = None;
        for key in keys {
            if verified_ids.contains(key.key_id())
                || counted.iter().any(|sig| key.verify(&message, sig))
            {
                continue;
            }
            for s in &self.signatures {
                if key.verify(&message, &s.sig) {
                    // Not a counted signature nor its copy: this key verifies none of those.
                    counted.push(&s.sig);
                    verified_ids.insert(key.key_id());
                    verified.push(key.key_id().to_owned());
                    break;
                } else if s.key_id == key.key_id() {
                    failed = failed.or(Some(key.key_id()));
                }
            }
        }
        match (verified.is_empty(), failed) {
            (false, _) => Ok(verified),
            (true, Some(key_id)) => Err(VerifyError::BadSignature {
                key_id: key_id.to_owned(),
            }),
            (true, None) => Err(VerifyError::Untrusted {
                found: self.signatures.iter().map(|s| s.key_id.clone()).collect(),
                trusted: keys.iter().map(|k| k.key_id().to_owned()).collect(),
            }),
        }
    }
}
