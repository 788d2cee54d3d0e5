//! Sealing a stored registry again under a new key: [`StoredRegistry::resealed`].

use super::error::RestoreRegistryError;
use super::stored::StoredRegistry;
use crate::trail::{Seal, SealVerifier, Sealer};
use crate::value::Refused;

impl StoredRegistry {
    /// The same stored registry sealed again by `sealer` (a new key, after a rotation): each
    /// member and the index, once the index's seal and every member's chain and seal verify
    /// under `verifier` (which holds the old keys, for their time: see
    /// [`Keyring`](crate::trail::Keyring)). Also the old seals, to keep as evidence: the
    /// members' in their stored order, then the index's. Nothing but the seals changes.
    ///
    /// # Errors
    ///
    /// [`RestoreRegistryError::Unsealed`], [`RestoreRegistryError::Seal`] for the index (or a new seal the
    /// sealer could not make); [`RestoreRegistryError::Member`] naming a member whose chain or seal does
    /// not verify. The stored registry comes back inside the [`Refused`].
    #[allow(clippy::result_large_err)] // hands back the stored registry
    pub fn resealed<V: SealVerifier + ?Sized>(
        self,
        verifier: &V,
        sealer: &(impl Sealer + ?Sized),
    ) -> Result<(Self, Vec<Seal>), Refused<Self, RestoreRegistryError>> {
        match self.reseal(verifier, sealer) {
            Ok(done) => Ok(done),
            Err(e) => Err(Refused::new(self, e)),
        }
    }

    fn reseal<V: SealVerifier + ?Sized>(
        &self,
        verifier: &V,
        sealer: &(impl Sealer + ?Sized),
    ) -> Result<(Self, Vec<Seal>), RestoreRegistryError> {
        let seal = self.seal().ok_or(RestoreRegistryError::Unsealed)?;
        self.verify_index(verifier, seal)?;
        let mut old = Vec::with_capacity(self.members().len().saturating_add(1));
        let mut members = Vec::with_capacity(self.members().len());
        for member in self.members() {
            let (resealed, previous) =
                member
                    .clone()
                    .resealed(verifier, sealer)
                    .map_err(|refused| RestoreRegistryError::Member {
                        environment: member.environment().name().to_owned(),
                        version: member.version().to_owned(),
                        error: Box::new(refused.into_error()),
                    })?;
            members.push(resealed);
            old.push(previous);
        }
        old.push(seal.clone());
        let stored = Self::from_parts(self.name(), members, None);
        let index = sealer
            .seal(&stored.index())
            .map_err(RestoreRegistryError::Seal)?;
        Ok((stored.with_seal(index), old))
    }
}
