//! The artifact digest as an in-toto subject needs it: an algorithm and lowercase hex.

use std::fmt;
use std::str::FromStr;

use crate::value::text::esc;

/// A digest algorithm an attestation's subject may name: the in-toto names of SHA-2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// SHA-256: 64 hex digits.
    Sha256,
    /// SHA-384: 96 hex digits.
    Sha384,
    /// SHA-512: 128 hex digits.
    Sha512,
}

impl Algorithm {
    /// The in-toto name (`sha256`, `sha384`, `sha512`), also the prefix of the artifact digest.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// The number of hex digits of a digest of this algorithm.
    pub fn hex_len(self) -> usize {
        match self {
            Self::Sha256 => 64,
            Self::Sha384 => 96,
            Self::Sha512 => 128,
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "sha256" => Some(Self::Sha256),
            "sha384" => Some(Self::Sha384),
            "sha512" => Some(Self::Sha512),
            _ => None,
        }
    }
}

/// An artifact digest `algorithm:hex`, checked: a supported [`Algorithm`] and exactly its
/// number of lowercase hex digits. The subject of an attestation is this digest, written as
/// in-toto writes it (`{"sha256": "<hex>"}`).
///
/// ```
/// use modelgate::attest::{Algorithm, ArtifactDigest};
/// let d: ArtifactDigest = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".parse()?;
/// assert_eq!(d.algorithm(), Algorithm::Sha256);
/// assert_eq!(d.hex().len(), 64);
/// assert!("sha256:7d1e".parse::<ArtifactDigest>().is_err()); // too short: not a guess
/// # Ok::<(), modelgate::attest::DigestError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ArtifactDigest {
    algorithm: Algorithm,
    hex: String,
}

/// A text that is not an artifact digest `algorithm:hex` of a supported algorithm.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestError {
    /// No `algorithm:` prefix.
    #[error("artifact digest `{}` is not `algorithm:hex` (e.g. `sha256:` and 64 hex digits)", esc(.digest))]
    NotAlgorithmHex {
        /// The text given.
        digest: String,
    },
    /// An algorithm that attestations do not support.
    #[error(
        "artifact digest `{}` names the algorithm `{}`; expected `sha256`, `sha384` or `sha512`",
        esc(.digest),
        esc(.algorithm)
    )]
    UnsupportedAlgorithm {
        /// The text given.
        digest: String,
        /// The algorithm it names.
        algorithm: String,
    },
    /// The digits are not the algorithm's number of lowercase hex digits.
    #[error(
        "artifact digest `{}` must have {} lowercase hex digits after `{}:`",
        esc(.digest),
        .algorithm.hex_len(),
        .algorithm.name()
    )]
    NotHex {
        /// The text given.
        digest: String,
        /// The algorithm it names.
        algorithm: Algorithm,
    },
}

impl ArtifactDigest {
    /// Parses `algorithm:hex`.
    ///
    /// # Errors
    ///
    /// [`DigestError`] for a text without an algorithm, an unsupported algorithm, or digits
    /// that are not the algorithm's number of lowercase hex digits.
    pub fn parse(digest: &str) -> Result<Self, DigestError> {
        let Some((name, hex)) = digest.split_once(':') else {
            return Err(DigestError::NotAlgorithmHex {
                digest: digest.to_owned(),
            });
        };
        let algorithm = Self::algorithm_of(digest, name)?;
        Self::from_parts(algorithm, hex).ok_or_else(|| DigestError::NotHex {
            digest: digest.to_owned(),
            algorithm,
        })
    }

    fn algorithm_of(digest: &str, name: &str) -> Result<Algorithm, DigestError> {
        Algorithm::from_name(name).ok_or_else(|| DigestError::UnsupportedAlgorithm {
            digest: digest.to_owned(),
            algorithm: name.to_owned(),
        })
    }

    /// The digest of `algorithm` with `hex`, if `hex` has the right length and is lowercase hex.
    pub(crate) fn from_parts(algorithm: Algorithm, hex: &str) -> Option<Self> {
        let ok = hex.len() == algorithm.hex_len()
            && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        ok.then(|| Self {
            algorithm,
            hex: hex.to_owned(),
        })
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The lowercase hex digits.
    pub fn hex(&self) -> &str {
        &self.hex
    }
}

impl FromStr for ArtifactDigest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Self, DigestError> {
        Self::parse(s)
    }
}

/// `algorithm:hex`, as the host wrote it.
impl fmt::Display for ArtifactDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.hex)
    }
}
