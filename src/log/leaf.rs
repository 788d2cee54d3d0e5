//! What the log records: one leaf for every head a trail of the host's reaches.

use serde::{Deserialize, Serialize};

use super::hash::leaf_hash;
use crate::event::Head;
use crate::event::canonical::encode_log_leaf;
use crate::value::Timestamp;
use crate::value::hash::TreeHash;

/// One change of one trail: the model (name, version, environment), the head it reached, its
/// revision there (how many events the trail holds), and when. Its bytes are the canonical
/// encoding `log leaf` (crate docs, "The stored form"), so any serde format logs the same.
///
/// ```
/// use modelgate::{Model, Timestamp};
/// use modelgate::log::{Leaf, Tree};
/// let model = Model::new("churn", "1")?;
/// let leaf = Leaf::new("churn", "1", "default", model.head(), 0, Timestamp::from_unix_secs(1));
/// let mut tree = Tree::new();
/// let index = tree.append(leaf.hash());
/// tree.prove_inclusion(index, tree.size())?.verify(&leaf.hash(), &tree.head())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Leaf {
    name: String,
    version: String,
    environment: String,
    head: Head,
    revision: u64,
    at: Timestamp,
}

impl Leaf {
    /// The leaf for the trail of `name` `version` in `environment` reaching `head`, its
    /// `revision`-th event (0: the header alone), at `at`.
    pub fn new(
        name: impl Into<String>,
        version: impl Into<String>,
        environment: impl Into<String>,
        head: Head,
        revision: u64,
        at: Timestamp,
    ) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            environment: environment.into(),
            head,
            revision,
            at,
        }
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The model's version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The model's environment.
    pub fn environment(&self) -> &str {
        &self.environment
    }

    /// The head the trail reached.
    pub fn head(&self) -> Head {
        self.head
    }

    /// How many events the trail holds at that head.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// When.
    pub fn at(&self) -> Timestamp {
        self.at
    }

    /// Whether this leaf is about the same trail as `other` (name, version, environment).
    pub fn is_same_trail(&self, other: &Leaf) -> bool {
        (&self.name, &self.version, &self.environment)
            == (&other.name, &other.version, &other.environment)
    }

    /// The leaf's canonical bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        encode_log_leaf(
            &mut out,
            (&self.name, &self.version, &self.environment),
            self.head,
            self.revision,
            self.at.as_unix_millis(),
        );
        out
    }

    /// The leaf's hash in the tree: [`leaf_hash`] of its bytes.
    pub fn hash(&self) -> TreeHash {
        leaf_hash(&self.to_bytes())
    }
}
