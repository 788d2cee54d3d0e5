//! Signed notes (C2SP `signed-note`, the format of Go's `golang.org/x/mod/sumdb/note`): a text,
//! a blank line, and one line per signature, `— <key name> <base64(key hash || signature)>`.
//! Ed25519 keys, written as Go writes them: a verifier key `<name>+<8 hex digits>+<base64(0x01
//! || public key)>`, a signer key `PRIVATE+KEY+<name>+<8 hex digits>+<base64(0x01 || seed)>`.
//!
//! Signatures by keys the reader does not know are kept, unverified, so that a note cosigned by
//! witnesses passes through whole.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::error::NoteError;

/// The algorithm byte of an Ed25519 note key.
const ED25519: u8 = 0x01;
/// What starts every signature line: an em dash and a space.
const SIG_PREFIX: &str = "\u{2014} ";
/// The most signature lines a note may carry (as Go's reader).
const MAX_SIGNATURES: usize = 100;

/// Standard base64 read as Go's `base64.StdEncoding` reads it: padding required, unused bits
/// of the last character allowed (written canonically).
pub(crate) const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// Whether `name` may name a note key: not empty, no whitespace, no `+`.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(char::is_whitespace) && !name.contains('+')
}

/// The key hash: the first 4 bytes of `SHA-256(name || "\n" || 0x01 || public key)`.
fn key_hash(name: &str, public: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ED25519]);
    h.update(public);
    let sum: [u8; 32] = h.finalize().into();
    let [a, b, c, d, ..] = sum;
    u32::from_be_bytes([a, b, c, d])
}

/// Splits `<name>+<hash>+<base64 key>`, checking the name, the hash digits and the algorithm.
fn parse_key(text: &str) -> Result<(&str, u32, [u8; 32]), NoteError> {
    let bad = |what| NoteError::Key { what };
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(hash), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("expected `<name>+<key hash>+<base64 key>`"));
    };
    if !valid_name(name) {
        return Err(bad("the name is empty or holds whitespace or `+`"));
    }
    if hash.len() != 8 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad("the key hash is not 8 hex digits"));
    }
    let hash =
        u32::from_str_radix(hash, 16).map_err(|_| bad("the key hash is not 8 hex digits"))?;
    // Go's decoder skips newlines inside the base64.
    let key: String = key.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
    let key = BASE64
        .decode(key)
        .map_err(|_| bad("the key is not standard base64"))?;
    let Some((&ED25519, secret_or_public)) = key.split_first() else {
        return Err(bad("the key is not an Ed25519 key (algorithm 1)"));
    };
    let bytes: [u8; 32] = secret_or_public
        .try_into()
        .map_err(|_| bad("an Ed25519 key has 32 bytes"))?;
    Ok((name, hash, bytes))
}

/// A key that verifies note signatures: a name and an Ed25519 public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    hash: u32,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// Reads a verifier key as Go's `note.NewVerifier` does: `<name>+<hash>+<base64 key>`.
    ///
    /// # Errors
    ///
    /// [`NoteError::Key`] for a malformed key, another algorithm than Ed25519, or a key hash
    /// that is not the key's.
    pub fn from_text(vkey: &str) -> Result<Self, NoteError> {
        let (name, hash, public) = parse_key(vkey)?;
        if hash != key_hash(name, &public) {
            return Err(NoteError::Key {
                what: "the key hash is not the hash of the name and key",
            });
        }
        let key = VerifyingKey::from_bytes(&public).map_err(|_| NoteError::Key {
            what: "not an Ed25519 public key",
        })?;
        Ok(Self {
            name: name.to_owned(),
            hash,
            key,
        })
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key's hash, as signature lines carry it.
    pub fn key_hash(&self) -> u32 {
        self.hash
    }

    /// The key as text, `<name>+<hash>+<base64 key>`.
    pub fn to_text(&self) -> String {
        let mut key = vec![ED25519];
        key.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.hash, STANDARD.encode(key))
    }
}

/// A key that signs notes: a name and an Ed25519 signing key. The library never generates
/// one (it reads no randomness): pass a seed from your key store, or a key Go's
/// `note.GenerateKey` wrote.
pub struct NoteSigner {
    name: String,
    hash: u32,
    key: SigningKey,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("hash", &format_args!("{:08x}", self.hash))
            .finish_non_exhaustive()
    }
}

impl NoteSigner {
    /// The signer named `name` with the Ed25519 key of this 32-byte seed.
    ///
    /// # Errors
    ///
    /// [`NoteError::Key`] if the name is empty or holds whitespace or `+`.
    pub fn new(name: impl Into<String>, seed: [u8; 32]) -> Result<Self, NoteError> {
        let name = name.into();
        if !valid_name(&name) {
            return Err(NoteError::Key {
                what: "the name is empty or holds whitespace or `+`",
            });
        }
        let key = SigningKey::from_bytes(&seed);
        let hash = key_hash(&name, key.verifying_key().as_bytes());
        Ok(Self { name, hash, key })
    }

    /// Reads a signer key as Go's `note.NewSigner` does: `PRIVATE+KEY+<name>+<hash>+<base64>`.
    ///
    /// # Errors
    ///
    /// [`NoteError::Key`] for a malformed key or a key hash that is not the key's.
    pub fn from_text(skey: &str) -> Result<Self, NoteError> {
        let rest = skey.strip_prefix("PRIVATE+KEY+").ok_or(NoteError::Key {
            what: "a signer key starts with `PRIVATE+KEY+`",
        })?;
        let (name, hash, seed) = parse_key(rest)?;
        let signer = Self::new(name, seed)?;
        if signer.hash != hash {
            return Err(NoteError::Key {
                what: "the key hash is not the hash of the name and key",
            });
        }
        Ok(signer)
    }

    /// The key that verifies this signer's signatures.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            hash: self.hash,
            key: self.key.verifying_key(),
        }
    }

    /// The signature line for `text`, with its newline.
    fn line(&self, text: &str) -> String {
        let mut sig = self.hash.to_be_bytes().to_vec();
        sig.extend_from_slice(&self.key.sign(text.as_bytes()).to_bytes());
        format!("{SIG_PREFIX}{} {}\n", self.name, STANDARD.encode(sig))
    }
}

/// Checks a note's text as Go's `note.Sign` does: it ends with a newline, and (as the whole
/// note, for `note.Open`) holds no ASCII control character but the newline.
fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::Malformed {
            what: "the text does not end with a newline",
        });
    }
    check_controls(text)
}

/// No ASCII control character but the newline (DEL and C1 controls pass, as in Go).
fn check_controls(message: &str) -> Result<(), NoteError> {
    match message.bytes().any(|b| b < 0x20 && b != b'\n') {
        true => Err(NoteError::Malformed {
            what: "it holds an ASCII control character",
        }),
        false => Ok(()),
    }
}

/// `text` signed by each of `signers`: the text, a blank line, one signature line each.
///
/// # Errors
///
/// [`NoteError::Malformed`] if the text does not end with a newline or holds an ASCII control
/// character other than the newline.
pub fn sign_note(text: &str, signers: &[&NoteSigner]) -> Result<String, NoteError> {
    check_text(text)?;
    let mut out = format!("{text}\n");
    for signer in signers {
        out.push_str(&signer.line(text));
    }
    Ok(out)
}

/// A note whose signatures were checked: its text, the names of the trusted keys that signed
/// it, and every signature line as read (those by unknown keys too, such as witnesses').
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    text: String,
    verified_by: Vec<(String, u32)>,
    /// Each signature line as read or added, with its key's name and hash.
    lines: Vec<(String, u32, String)>,
}

impl Note {
    /// Reads a signed note and checks it as Go's `note.Open` does: the first signature by
    /// each trusted key (matched by name and key hash) must verify, and at least one must be
    /// there; a trusted key's later signatures are dropped unchecked, signatures by other keys
    /// kept unverified, repeated lines dropped.
    ///
    /// Where it is stricter than Go: a signature must verify under Ed25519's strict rules
    /// (`verify_strict`: no small-order keys or points).
    ///
    /// # Errors
    ///
    /// [`NoteError::Malformed`], [`NoteError::AmbiguousKey`] if two trusted keys share a name
    /// and key hash, [`NoteError::BadSignature`] if a trusted key's signature does not verify,
    /// [`NoteError::Unverified`] if no trusted key signed it.
    pub fn open(message: &str, trusted: &[NoteVerifier]) -> Result<Self, NoteError> {
        let malformed = |what| NoteError::Malformed { what };
        check_controls(message)?;
        let split = message
            .rfind("\n\n")
            .ok_or(malformed("no blank line before the signatures"))?;
        let (text, sigs) = (
            message.get(..=split).unwrap_or_default(),
            message.get(split + 2..).unwrap_or_default(),
        );
        check_text(text)?;
        if sigs.is_empty() || !sigs.ends_with('\n') {
            return Err(malformed("the signatures do not end with a newline"));
        }
        let mut note = Note {
            text: text.to_owned(),
            verified_by: Vec::new(),
            lines: Vec::new(),
        };
        let mut seen: Vec<(&str, u32)> = Vec::new();
        for (n, line) in sigs.split_terminator('\n').enumerate() {
            if n >= MAX_SIGNATURES {
                return Err(malformed("more than 100 signatures"));
            }
            let (name, b64) = line
                .strip_prefix(SIG_PREFIX)
                .and_then(|rest| rest.split_once(' '))
                .ok_or(malformed("a signature line is not `— <name> <base64>`"))?;
            let sig = BASE64
                .decode(b64)
                .map_err(|_| malformed("a signature is not standard base64"))?;
            if !valid_name(name) || sig.len() < 5 {
                return Err(malformed("a signature line is not `— <name> <base64>`"));
            }
            let (hash, sig) = sig.split_at(4);
            let hash = u32::from_be_bytes(hash.try_into().unwrap_or_default());
            if note.lines.iter().any(|(.., l)| l == line) || seen.contains(&(name, hash)) {
                continue;
            }
            note.lines.push((name.to_owned(), hash, line.to_owned()));
            let mut keys = trusted.iter().filter(|k| k.name == name && k.hash == hash);
            let Some(key) = keys.next() else {
                continue;
            };
            if keys.next().is_some() {
                return Err(NoteError::AmbiguousKey {
                    name: name.to_owned(),
                });
            }
            seen.push((name, hash));
            let verifies = Signature::from_slice(sig)
                .is_ok_and(|sig| key.key.verify_strict(text.as_bytes(), &sig).is_ok());
            if !verifies {
                return Err(NoteError::BadSignature {
                    name: name.to_owned(),
                });
            }
            note.verified_by.push((name.to_owned(), hash));
        }
        if note.verified_by.is_empty() {
            return Err(NoteError::Unverified);
        }
        Ok(note)
    }

    /// The signed text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The names of the trusted keys whose signatures verified.
    pub fn verified_by(&self) -> impl Iterator<Item = &str> {
        self.verified_by.iter().map(|(name, _)| name.as_str())
    }

    /// Whether `key` (by name and key hash) is among those whose signatures verified.
    pub fn is_verified_by(&self, key: &NoteVerifier) -> bool {
        self.verified_by
            .iter()
            .any(|(name, hash)| *name == key.name && *hash == key.hash)
    }

    /// Adds `signer`'s signature (a witness cosigning what it verified), replacing any line
    /// under its key's name and hash, as Go's `note.Sign` does (so no line planted under a
    /// witness's name can stand for its signature).
    ///
    /// # Errors
    ///
    /// [`NoteError::Full`] if the note carries 100 signatures by other keys already (a
    /// reader would refuse one more).
    pub fn cosign(&mut self, signer: &NoteSigner) -> Result<(), NoteError> {
        self.lines
            .retain(|(name, hash, _)| !(*name == signer.name && *hash == signer.hash));
        if self.lines.len() >= MAX_SIGNATURES {
            return Err(NoteError::Full);
        }
        let line = signer.line(&self.text);
        let line = line.trim_end_matches('\n').to_owned();
        self.lines.push((signer.name.clone(), signer.hash, line));
        Ok(())
    }

    /// The note as text again: its text, a blank line, every signature line.
    pub fn to_text(&self) -> String {
        let mut out = format!("{}\n", self.text);
        for (.., line) in &self.lines {
            let _ = writeln!(out, "{line}");
        }
        out
    }
}
