//! Each environment's clock: the latest time the registry has seen there; every move is at or
//! after it, and a change of deployment strictly after it. A vote is not a move of the books:
//! its time is its reviewer's, and it neither advances the clock nor is checked against it.

use super::{Registry, RegistryError};
use crate::event::{Event, EventKind};
use crate::value::Timestamp;

impl Registry {
    /// The clock of `environment`: the time of the latest move there (votes aside), if any.
    /// Every move there is at or after it, and a change of deployment (deploy, roll back,
    /// retire the current one) strictly after it ([`RegistryError::BeforeClock`]): a host that
    /// moves a registry others move too (`modelgate-store`'s `transact`) picks its time from
    /// its clock and this one.
    pub fn clock(&self, environment: &crate::value::Environment) -> Option<Timestamp> {
        self.clock.get(environment.name()).copied()
    }

    /// Advances the clocks for `events` of a member of `environment`: its own, and that of
    /// every environment a promotion among them observed.
    pub(super) fn observe(&mut self, environment: &str, events: &[Event]) {
        let mut advance = |env: &str, at: Timestamp| {
            let clock = self.clock.entry(env.to_owned()).or_insert(at);
            *clock = (*clock).max(at);
        };
        for event in events {
            if matches!(event.kind(), EventKind::Voted { .. }) {
                continue;
            }
            advance(environment, event.at());
            if let EventKind::Submitted {
                promotion: Some(p), ..
            } = event.kind()
            {
                advance(p.from(), p.observed_at());
            }
        }
    }

    /// Refuses a move in `environment` at `at`, before the environment's clock.
    pub(super) fn check_clock(
        &self,
        environment: &str,
        version: &str,
        at: Timestamp,
    ) -> Result<(), RegistryError> {
        self.clock_allows(environment, version, at, false)
    }

    /// Refuses a change of the environment's deployment (deploy, roll back, retire the
    /// current one) at `at`, at or before the environment's clock: such a change is alone at
    /// its instant, so every other move at the same time is after it, and what a decision saw
    /// at any instant is one deployment, never a choice between two.
    pub(super) fn check_clock_strictly(
        &self,
        environment: &str,
        version: &str,
        at: Timestamp,
    ) -> Result<(), RegistryError> {
        self.clock_allows(environment, version, at, true)
    }

    pub(super) fn clock_allows(
        &self,
        environment: &str,
        version: &str,
        at: Timestamp,
        strictly: bool,
    ) -> Result<(), RegistryError> {
        match self.clock.get(environment) {
            Some(clock) if at < *clock || (strictly && at == *clock) => {
                Err(RegistryError::BeforeClock {
                    version: version.to_owned(),
                    environment: environment.to_owned(),
                    at,
                    clock: *clock,
                    change: strictly,
                })
            }
            _ => Ok(()),
        }
    }
}
