//! Checkpoints (C2SP `tlog-checkpoint`): a log's origin, size and root as a signed note's text.
//!
//! ```text
//! <origin>
//! <size, decimal>
//! <root, standard base64>
//! [extension lines]
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::note::BASE64;

use super::error::{NoteError, ProofError};
use super::note::{Note, NoteSigner, NoteVerifier, sign_note};
use super::proof::{ConsistencyProof, InclusionProof, TreeHead};
use crate::value::hash::TreeHash;

/// A log's state as its operator signs it: which log (`origin`, e.g. `bank.example/models`),
/// how many leaves, and their root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root: TreeHash,
    extensions: Vec<String>,
}

impl Checkpoint {
    /// The checkpoint of the log `origin` at `size` leaves with root `root`.
    ///
    /// # Errors
    ///
    /// [`NoteError::Checkpoint`] if the origin is empty or holds a control character.
    pub fn new(origin: impl Into<String>, size: u64, root: TreeHash) -> Result<Self, NoteError> {
        let origin = origin.into();
        if origin.is_empty() || origin.chars().any(char::is_control) {
            return Err(NoteError::Checkpoint {
                what: "the origin is empty or holds a control character",
            });
        }
        Ok(Self {
            origin,
            size,
            root,
            extensions: Vec::new(),
        })
    }

    /// The log's origin.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// How many leaves the log had.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Their root.
    pub fn root(&self) -> TreeHash {
        self.root
    }

    /// The size and root it states, as proofs are checked against.
    pub fn head(&self) -> TreeHead {
        TreeHead::new(self.size, self.root)
    }

    /// Extension lines after the root, as read.
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The checkpoint as a note's text.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root.as_bytes())
        );
        for line in &self.extensions {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    /// Reads a checkpoint from a note's text.
    ///
    /// # Errors
    ///
    /// [`NoteError::Checkpoint`], naming the line that is wrong.
    pub fn from_text(text: &str) -> Result<Self, NoteError> {
        let bad = |what| NoteError::Checkpoint { what };
        let body = text
            .strip_suffix('\n')
            .ok_or(bad("the text does not end with a newline"))?;
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(bad("expected an origin, a size and a root, one per line"));
        };
        let canonical = size == "0" || (!size.starts_with('0') && !size.is_empty());
        let size: u64 = match size.bytes().all(|b| b.is_ascii_digit()) && canonical {
            // At most 2⁶³ − 1, as Go's readers (`int64`) take it.
            true => size
                .parse::<i64>()
                .ok()
                .and_then(|n| u64::try_from(n).ok())
                .ok_or(bad("the size is larger than 2^63 - 1"))?,
            false => return Err(bad("the size is not a decimal without leading zeros")),
        };
        let root: [u8; 32] = BASE64
            .decode(root)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(bad("the root is not 32 bytes in standard base64"))?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(bad("an extension line is empty"));
        }
        let mut checkpoint = Self::new(origin, size, TreeHash::from_bytes(root))?;
        checkpoint.extensions = extensions;
        Ok(checkpoint)
    }

    /// The checkpoint as a note signed by `signer`.
    ///
    /// # Errors
    ///
    /// [`NoteError::Malformed`] if an extension line makes the text an invalid note.
    pub fn sign(&self, signer: &NoteSigner) -> Result<String, NoteError> {
        sign_note(&self.to_text(), &[signer])
    }

    /// Reads a signed checkpoint of the log `origin`, which the log's own key `log` signed
    /// (every signature on it by that key must verify; others are kept unverified).
    ///
    /// # Errors
    ///
    /// [`NoteError`]: a malformed note or checkpoint, a bad signature, no signature by `log`
    /// ([`NoteError::Unverified`]), or [`NoteError::Origin`] for a checkpoint of another log.
    pub fn open(message: &str, origin: &str, log: &NoteVerifier) -> Result<Self, NoteError> {
        Self::open_witnessed(message, origin, log, &[], 0)
    }

    /// Reads a signed checkpoint as [`open`](Self::open) does, and requires that at least
    /// `required` of `witnesses` cosigned it.
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open); [`NoteError::Witnesses`] if fewer witnesses signed.
    pub fn open_witnessed(
        message: &str,
        origin: &str,
        log: &NoteVerifier,
        witnesses: &[NoteVerifier],
        required: usize,
    ) -> Result<Self, NoteError> {
        let mut trusted = vec![log.clone()];
        trusted.extend_from_slice(witnesses);
        let note = Note::open(message, &trusted)?;
        if !note.is_verified_by(log) {
            return Err(NoteError::Unverified);
        }
        let found = witnesses.iter().filter(|w| note.is_verified_by(w)).count();
        if found < required {
            return Err(NoteError::Witnesses { found, required });
        }
        let checkpoint = Self::from_text(note.text())?;
        if checkpoint.origin != origin {
            return Err(NoteError::Origin {
                expected: origin.to_owned(),
                found: checkpoint.origin,
            });
        }
        Ok(checkpoint)
    }

    /// Checks that `leaf` (a leaf hash) is in the log as of this checkpoint.
    ///
    /// # Errors
    ///
    /// [`ProofError::OtherSize`] if the proof is for another size, or why the proof fails.
    pub fn verify_inclusion(
        &self,
        leaf: &TreeHash,
        proof: &InclusionProof,
    ) -> Result<(), ProofError> {
        proof.verify(leaf, &self.head())
    }

    /// Checks that this checkpoint extends `older` (the one its holder kept): nothing logged
    /// by then was changed, removed or reordered. A log that was rolled back, wiped and
    /// refilled, or forked fails here.
    ///
    /// # Errors
    ///
    /// [`ProofError::OtherSize`] if the proof is for other sizes; [`ProofError`] if it fails.
    pub fn verify_extends(
        &self,
        older: &Checkpoint,
        proof: &ConsistencyProof,
    ) -> Result<(), ProofError> {
        proof.verify(&older.head(), &self.head())
    }
}
