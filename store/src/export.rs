//! A registry's whole record, as stored, for an auditor.

use modelgate::registry::StoredRegistry;

use crate::error::LoadRegistryError;
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
}
