//! How a store connects and whose keys it uses.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use modelgate::trail::{Seal, SealError};
use modelgate::{Head, SealVerifier, Sealer};

/// The database behind a [`Store`](crate::Store).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// SQLite (bundled): a file or memory.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        })
    }
}

/// The host's keys: the [`Sealer`] that seals every head the store writes, and the
/// [`SealVerifier`] that checks the seal of every record it loads.
///
/// ```
/// use modelgate::HmacSealer;
/// use modelgate_store::Keys;
/// let key = HmacSealer::new("db-2026", *b"0123456789abcdef0123456789abcdef");
/// let keys = Keys::new(key.clone(), key);
/// ```
#[derive(Clone)]
pub struct Keys {
    sealer: Arc<dyn Sealer + Send + Sync>,
    verifier: Arc<dyn SealVerifier + Send + Sync>,
}

impl Keys {
    /// Seals with `sealer`, verifies with `verifier` (for HMAC, the same key twice; for
    /// Ed25519 the signing key and the trusted public keys; a `Vec` of verifiers trusts each,
    /// for key rotation).
    pub fn new(
        sealer: impl Sealer + Send + Sync + 'static,
        verifier: impl SealVerifier + Send + Sync + 'static,
    ) -> Self {
        Self {
            sealer: Arc::new(sealer),
            verifier: Arc::new(verifier),
        }
    }

    pub(crate) fn seal(&self, head: &Head) -> Result<Seal, SealError> {
        self.sealer.seal(head)
    }

    pub(crate) fn verifier(&self) -> &(dyn SealVerifier + Send + Sync) {
        &*self.verifier
    }
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keys").finish_non_exhaustive()
    }
}

/// How a [`Store`](crate::Store) connects.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Options {
    /// The most connections the pool opens (an in-memory SQLite database always has one).
    pub max_connections: u32,
    /// How long an operation waits for a connection, or (SQLite) for another writer's lock.
    pub timeout: Duration,
    /// Whether writes append to the log of heads (default: yes). Off only to measure what the
    /// log costs (`store/benches/`): a model written without its leaf fails every load checked
    /// against a held checkpoint ([`Store::load_anchored`](crate::Store::load_anchored)).
    pub log_heads: bool,
    /// How many models a store keeps in memory as it created, verified and wrote them last
    /// (default 256; the one kept longest ago goes first), so that the next vote on one
    /// ([`Store::record_vote`](crate::Store::record_vote)) is written with one compare-and-swap
    /// on the row's head, revision and seal, reading nothing, or, if the row moved on, reads
    /// and verifies only the events appended since (chain, seal and replay, as a whole restore
    /// would): a vote then costs the same on a long trail as on a short one. Each kept model
    /// holds its trail. Only models whose trail holds no decision yet are kept
    /// (nothing in them depends on the policy a vote passes; a model retrained or reopened
    /// after a decision is restored whole for each vote); 0 keeps none.
    pub verified_models: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_connections: 10,
            timeout: Duration::from_secs(30),
            log_heads: true,
            verified_models: 256,
        }
    }
}

impl Options {
    /// At most `n` connections.
    #[must_use]
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// Waits at most `timeout` for a connection or a lock.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Keeps at most `n` verified models in memory for the next vote on them (0: none).
    #[must_use]
    pub fn verified_models(mut self, n: usize) -> Self {
        self.verified_models = n;
        self
    }

    /// Writes without appending to the log of heads: only to measure what the log costs.
    #[must_use]
    pub fn without_log(mut self) -> Self {
        self.log_heads = false;
        self
    }
}
