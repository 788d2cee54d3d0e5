//! What the log's tests share: the log's origin and note key, and the auditor's checkpoint.

use modelgate::log::{Checkpoint, NoteSigner, NoteVerifier};
use modelgate_store::Store;

/// The log's origin.
pub const ORIGIN: &str = "bank.example/models";

/// The host's note key.
pub fn signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, [7; 32]).unwrap()
}

/// The note key's public half, as the auditor holds it.
pub fn verifier() -> NoteVerifier {
    signer().verifier()
}

/// What the auditor keeps: the store's checkpoint now, opened with the log's key.
pub async fn hold(store: &Store) -> Checkpoint {
    let note = store.checkpoint(ORIGIN, &signer()).await.unwrap();
    Checkpoint::open(&note, ORIGIN, &verifier()).unwrap()
}
