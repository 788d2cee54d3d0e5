//! A reviewer's signature over their vote, as it is recorded.

use serde::{Deserialize, Serialize};

/// A reviewer's signature over their vote's statement (the canonical bytes of the vote and the
/// round of review it is for; `signed::VoteStatement`, feature `signed-votes`), in one of two
/// forms. Serialized as `{"ed25519": "<base64>"}` or
/// `{"sshsig": "-----BEGIN SSH SIGNATURE-----…"}`.
///
/// A [`Review`](crate::Review) carries it ([`Review::with_signature`](crate::Review::with_signature))
/// into the trail: the vote's event records the signature as it was given, so a trail with signed
/// votes is read, verified (chain and seal) and stored by any build of this crate. Whether it
/// counts is another matter: with the feature `signed-votes`, `VoteSignature::verify` checks
/// it against a reviewer's key, and `policy::SignedVotes` counts a vote only when a roster's key of its
/// reviewer signed it for this model, version, environment and round.
///
/// ```
/// use modelgate::value::{SignatureKind, VoteSignature};
/// let signature: VoteSignature = serde_json::from_str(r#"{"sshsig": "-----BEGIN SSH SIGNATURE-----\n…"}"#)?;
/// assert_eq!(signature.kind(), SignatureKind::Sshsig);
/// // Its form is checked wherever one is made: read, built, or signed.
/// assert!(serde_json::from_str::<VoteSignature>(r#"{"ed25519": "AAAA"}"#).is_err());
/// assert!(VoteSignature::sshsig("not a signature").is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "Form")]
pub struct VoteSignature(pub(crate) Form);

/// Which form a [`VoteSignature`] is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureKind {
    /// A raw Ed25519 signature over the statement's bytes: its 64 bytes in standard base64 (88
    /// characters).
    Ed25519,
    /// An OpenSSH signature (`sshsig`, armored) over the statement's bytes in the namespace
    /// `modelgate-vote`, as `ssh-keygen -Y sign` writes it.
    Sshsig,
}

impl VoteSignature {
    /// The signature as text: the base64 of a raw Ed25519 signature, or the armored `sshsig`.
    pub fn as_text(&self) -> &str {
        match &self.0 {
            Form::Ed25519(text) | Form::Sshsig(text) => text,
        }
    }

    /// Its form.
    pub fn kind(&self) -> SignatureKind {
        match self.0 {
            Form::Ed25519(_) => SignatureKind::Ed25519,
            Form::Sshsig(_) => SignatureKind::Sshsig,
        }
    }

    /// A raw Ed25519 signature: its 64 bytes in standard base64.
    ///
    /// # Errors
    ///
    /// [`SignatureFormError`] if the text is not 88 characters of standard base64.
    pub fn ed25519(text: impl Into<String>) -> Result<Self, SignatureFormError> {
        Self::try_from(Form::Ed25519(text.into())).map_err(|why| SignatureFormError { why })
    }

    /// An OpenSSH signature, armored, as `ssh-keygen -Y sign` writes it.
    ///
    /// # Errors
    ///
    /// [`SignatureFormError`] if the text is not armored (`-----BEGIN SSH SIGNATURE-----`) or
    /// is longer than [`MAX_TEXT_LEN`](crate::value::MAX_TEXT_LEN) bytes.
    pub fn sshsig(text: impl Into<String>) -> Result<Self, SignatureFormError> {
        Self::try_from(Form::Sshsig(text.into())).map_err(|why| SignatureFormError { why })
    }

    /// Its form in the canonical encoding: 0 Ed25519, 1 `sshsig`.
    pub(crate) fn form(&self) -> u8 {
        match self.0 {
            Form::Ed25519(_) => 0,
            Form::Sshsig(_) => 1,
        }
    }
}

/// `{"ed25519": "<base64>"}` or `{"sshsig": "<armored>"}`.
impl Serialize for VoteSignature {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// A signature's text that is not of its form: not 88 characters of base64 for Ed25519, not an
/// armored `sshsig` of at most `MAX_TEXT_LEN` bytes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{why}")]
pub struct SignatureFormError {
    why: String,
}

/// A signature's form and text; a [`VoteSignature`] holds one whose text was checked for its
/// form (read, built by [`VoteSignature::ed25519`]/[`sshsig`](VoteSignature::sshsig), or made
/// by signing).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub(crate) enum Form {
    Ed25519(String),
    Sshsig(String),
}

/// The armor's first line.
const ARMOR: &str = "-----BEGIN SSH SIGNATURE-----";

impl TryFrom<Form> for VoteSignature {
    type Error = String;

    fn try_from(form: Form) -> Result<Self, String> {
        match form {
            Form::Ed25519(text) => {
                let base64 = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
                let body = text.strip_suffix("==").unwrap_or_default();
                if body.len() == 86 && body.bytes().all(base64) {
                    Ok(Self(Form::Ed25519(text)))
                } else {
                    Err(
                        "an Ed25519 signature is 64 bytes in standard base64 (88 characters)"
                            .into(),
                    )
                }
            }
            Form::Sshsig(text) => {
                if text.trim_start().starts_with(ARMOR) && text.len() <= super::MAX_TEXT_LEN {
                    Ok(Self(Form::Sshsig(text)))
                } else {
                    Err(format!(
                        "an sshsig signature is armored (`{ARMOR}`), at most {} bytes",
                        super::MAX_TEXT_LEN
                    ))
                }
            }
        }
    }
}
