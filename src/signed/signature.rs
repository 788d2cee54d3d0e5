//! A reviewer's signature over their vote: [`VoteSignature`].

use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer as _, SigningKey};
use ssh_key::{HashAlg, LineEnding, PrivateKey, SshSig};

use super::error::SignatureError;
use super::key::ReviewerKey;
use super::statement::VoteStatement;
use crate::value::{SignatureForm as Form, VoteSignature};

/// The OpenSSH signature namespace of votes: `ssh-keygen -Y sign -n modelgate-vote`. A
/// signature made for another namespace (a git commit's, a file's) is not a vote.
pub const NAMESPACE: &str = "modelgate-vote";

/// The OpenSSH signature namespace of roster versions:
/// `ssh-keygen -Y sign -n modelgate-roster` over a version's
/// [`to_bytes`](super::RosterVersion::to_bytes).
pub const ROSTER_NAMESPACE: &str = "modelgate-roster";

impl VoteSignature {
    /// Signs `statement` with the Ed25519 private key whose 32-byte secret seed is `seed`.
    pub fn sign_ed25519(statement: &VoteStatement, seed: &[u8; 32]) -> Self {
        Self::sign_ed25519_bytes(&statement.to_bytes(), seed)
    }

    /// [`sign_ed25519`](Self::sign_ed25519) of any `bytes`.
    pub(super) fn sign_ed25519_bytes(bytes: &[u8], seed: &[u8; 32]) -> Self {
        use base64::Engine as _;
        Self(Form::Ed25519(
            STANDARD.encode(SigningKey::from_bytes(seed).sign(bytes).to_bytes()),
        ))
    }

    /// Signs `statement` as `ssh-keygen -Y sign -n modelgate-vote` does (SHA-512), with an
    /// unencrypted OpenSSH `ssh-ed25519` private key (the text of `~/.ssh/id_ed25519`).
    ///
    /// # Errors
    ///
    /// [`SignatureError::PrivateKey`] for a key that is not OpenSSH's format, is encrypted, or
    /// is of another type.
    pub fn sign_ssh(
        statement: &VoteStatement,
        openssh_private_key: &str,
    ) -> Result<Self, SignatureError> {
        Self::sign_ssh_bytes(&statement.to_bytes(), openssh_private_key, NAMESPACE)
    }

    /// [`sign_ssh`](Self::sign_ssh) of any `bytes`, in `namespace`.
    pub(super) fn sign_ssh_bytes(
        bytes: &[u8],
        openssh_private_key: &str,
        namespace: &'static str,
    ) -> Result<Self, SignatureError> {
        let private = |why: &str| SignatureError::PrivateKey {
            why: why.to_owned(),
        };
        let key = PrivateKey::from_openssh(openssh_private_key)
            .map_err(|_| private("not an OpenSSH private key"))?;
        if key.is_encrypted() {
            return Err(private(
                "it is encrypted (decrypt it, or sign with ssh-keygen -Y sign)",
            ));
        }
        if key.public_key().key_data().ed25519().is_none() {
            return Err(private("only ssh-ed25519 keys sign votes"));
        }
        let signature = key
            .sign(namespace, HashAlg::Sha512, bytes)
            .map_err(|e| private(&e.to_string()))?;
        signature
            .to_pem(LineEnding::LF)
            .map(|armored| Self(Form::Sshsig(armored)))
            .map_err(|e| private(&e.to_string()))
    }

    /// Checks that `key` signed `statement`: for an SSH signature, that it carries `key`, is for
    /// the namespace [`NAMESPACE`], and verifies.
    ///
    /// # Errors
    ///
    /// [`SignatureError::Mismatch`] if it does not verify over these bytes with this key;
    /// [`SignatureError::OtherKey`], [`SignatureError::Namespace`],
    /// [`SignatureError::UnsupportedKey`], [`SignatureError::Armor`] for an SSH signature by
    /// another key, for another namespace, of another key type, or not armored.
    pub fn verify(
        &self,
        statement: &VoteStatement,
        key: &ReviewerKey,
    ) -> Result<(), SignatureError> {
        self.verify_bytes(&statement.to_bytes(), key, NAMESPACE)
    }

    /// [`verify`](Self::verify) over any `bytes`, an SSH signature in `namespace`.
    pub(super) fn verify_bytes(
        &self,
        bytes: &[u8],
        key: &ReviewerKey,
        namespace: &'static str,
    ) -> Result<(), SignatureError> {
        match &self.0 {
            Form::Ed25519(text) => key
                .verifying_key()
                .ok_or(SignatureError::Mismatch)?
                // Strict: no small-order R or key, so no signature verifies for many messages.
                .verify_strict(bytes, &Signature::from_bytes(&ed25519_bytes(text)?))
                .map_err(|_| SignatureError::Mismatch),
            Form::Sshsig(armored) => {
                let signature =
                    SshSig::from_pem(armored.trim()).map_err(|e| {
                        match key_algorithm(armored).filter(|a| a != "ssh-ed25519") {
                            Some(algorithm) => SignatureError::UnsupportedKey { algorithm },
                            None => SignatureError::Armor { why: e.to_string() },
                        }
                    })?;
                let found = ReviewerKey::from_key_data(signature.public_key()).map_err(|_| {
                    SignatureError::UnsupportedKey {
                        algorithm: signature.public_key().algorithm().as_str().to_owned(),
                    }
                })?;
                if found != *key {
                    return Err(SignatureError::OtherKey {
                        expected: *key,
                        found,
                    });
                }
                if signature.namespace() != namespace {
                    return Err(SignatureError::Namespace {
                        found: signature.namespace().to_owned(),
                        expected: namespace,
                    });
                }
                // What `ssh-keygen -Y sign` signed (magic, namespace, empty reserved field, hash
                // algorithm, digest), verified strictly as a raw signature is.
                let signed = SshSig::signed_data(namespace, signature.hash_alg(), bytes)
                    .map_err(|_| SignatureError::Mismatch)?;
                let raw = <[u8; 64]>::try_from(signature.signature_bytes())
                    .map_err(|_| SignatureError::Mismatch)?;
                key.verifying_key()
                    .ok_or(SignatureError::Mismatch)?
                    .verify_strict(&signed, &Signature::from_bytes(&raw))
                    .map_err(|_| SignatureError::Mismatch)
            }
        }
    }

    /// The key an SSH signature says made it (a raw Ed25519 signature does not say).
    pub fn signer(&self) -> Option<ReviewerKey> {
        match &self.0 {
            Form::Ed25519(_) => None,
            Form::Sshsig(armored) => SshSig::from_pem(armored.trim())
                .ok()
                .and_then(|s| ReviewerKey::from_key_data(s.public_key()).ok()),
        }
    }
}

/// The type of the key an armored `sshsig` names (`SSHSIG`, a version, then the public key,
/// whose first field is its type), read without parsing the rest: to name a key type this crate
/// does not verify rather than call the signature unreadable.
fn key_algorithm(armored: &str) -> Option<String> {
    use base64::Engine as _;
    let body: String = armored
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let blob = STANDARD.decode(body).ok()?;
    if blob.get(..6)? != b"SSHSIG" {
        return None;
    }
    // After the magic and the version: the public key blob, whose first field is its type.
    let key = field(&blob, 10)?;
    let name = field(key, 0)?;
    String::from_utf8(name.to_vec()).ok()
}

/// The SSH `string` at `at` in `bytes`: a big-endian u32 length, then that many bytes.
fn field(bytes: &[u8], at: usize) -> Option<&[u8]> {
    let len = u32::from_be_bytes(bytes.get(at..at.checked_add(4)?)?.try_into().ok()?);
    let start = at.checked_add(4)?;
    bytes.get(start..start.checked_add(usize::try_from(len).ok()?)?)
}

/// The 64 bytes of a raw Ed25519 signature written in standard base64.
fn ed25519_bytes(text: &str) -> Result<[u8; 64], SignatureError> {
    use base64::Engine as _;
    STANDARD
        .decode(text.as_bytes())
        .ok()
        .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
        .ok_or_else(|| SignatureError::Encoding {
            why: "an Ed25519 signature is 64 bytes in standard base64".to_owned(),
        })
}
