//! A registry's whole record, as stored, for an auditor.

use modelgate::StoredModel;
use modelgate::registry::StoredRegistry;
use modelgate::trail::Seal;

use crate::error::{LoadError, LoadRegistryError};
use crate::load::{Loaded, check_rows};
use crate::store::Store;

impl Store {
    /// The whole stored record of the registry `name`, as one
    /// [`StoredRegistry`]: every member's header, events and seal, and the seal of the
    /// registry's index, read in one snapshot and checked as [`members`](Self::members) checks
    /// them (the sealed index verified and the members exactly those it holds, each member's
    /// rows complete, chained and sealed). Decisions are not decided again: the auditor
    /// restores the record with the host's policies
    /// ([`StoredRegistry::restore`]).
    ///
    /// What an auditor receives: write it as JSON, or with the core's `export` feature as JSON
    /// Lines or CSV (`modelgate::registry::export`), which read back into this record, or are
    /// refused if a row says anything else. The command line's `modelgate registry export` and
    /// `registry verify` do the same with a stored registry's JSON.
    ///
    /// ```no_run
    /// # async fn f(store: &modelgate_store::Store) -> Result<(), Box<dyn std::error::Error>> {
    /// let record = store.export_registry("churn").await?;
    /// std::fs::write("churn.json", serde_json::to_string(&record)?)?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`LoadRegistryError::NotFound`] if no member of `name` is stored; otherwise as
    /// [`members`](Self::members). Nothing is returned, changed or repaired.
    pub async fn export_registry(&self, name: &str) -> Result<StoredRegistry, LoadRegistryError> {
        let (members, seal) = self.verified_members(name).await?;
        if members.is_empty() {
            return Err(LoadRegistryError::NotFound {
                name: name.to_owned(),
            });
        }
        let members = members.into_iter().map(|loaded| loaded.model).collect();
        Ok(StoredRegistry::from_parts(name, members, seal))
    }

    /// The members of `name`, checked as [`members`](Self::members) says, and the seal of the
    /// registry's index if one is stored.
    pub(crate) async fn verified_members(
        &self,
        name: &str,
    ) -> Result<(Vec<Loaded<StoredModel>>, Option<Seal>), LoadRegistryError> {
        let (members, seal) = self.read_members_sealed(name, false).await?;
        let mut out = Vec::with_capacity(members.len());
        for (key, rows) in members {
            let (stored, head, revision) =
                check_rows(&key, rows).map_err(|error| LoadRegistryError::Member { error })?;
            stored
                .verify(self.keys.verifier())
                .map_err(|error| LoadRegistryError::Member {
                    error: LoadError::Refused {
                        key: key.clone(),
                        error: Box::new(error),
                    },
                })?;
            out.push(Loaded {
                model: stored,
                head,
                revision,
            });
        }
        Ok((out, seal))
    }
}
