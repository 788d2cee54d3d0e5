//! The moves that change an environment's deployment: deploy, roll back, retire.

use super::{Registry, RegistryError};
use crate::model::{AnyModel, Approved, Deployed, Model, Superseded};
use crate::policy::Policy;
use crate::value::{Environment, Receipt, Refused, Timestamp};

impl Model<Superseded> {
    /// The version that replaced it (for the registry's consistency check).
    pub(crate) fn replaced_by(&self) -> &str {
        self.stage.by_version()
    }
}

impl Registry {
    /// Deploys the approved `model` in its environment with the host's `receipt`, by `by`, at
    /// `at`: it becomes the environment's current deployment, and the previous one is
    /// superseded (its trail records it).
    ///
    /// # Errors
    ///
    /// As [`put`](Self::put) for the model's trail; [`RegistryError::BeforeClock`] for a time
    /// before the environment's latest move; [`RegistryError::StaleApproval`] for an approval
    /// decided before the current deployment began (reopen it and decide again);
    /// [`RegistryError::Refused`] if the model or the current deployment refuses (a lapsed
    /// approval, an invalid actor). The model comes back inside the [`Refused`], and nothing
    /// changed.
    #[allow(clippy::result_large_err)] // hands back the model
    pub fn deploy(
        &mut self,
        model: Model<Approved>,
        receipt: Receipt,
        by: &str,
        at: Timestamp,
    ) -> Result<(), Refused<Model<Approved>, RegistryError>> {
        let checked = self.check_put(model.trail());
        if let Err(e) = checked {
            return Err(Refused::new(model, e));
        }
        let environment = model.environment().clone();
        let version = model.version().to_owned();
        if let Err(e) = self.check_clock_strictly(environment.name(), &version, at) {
            return Err(Refused::new(model, e));
        }
        // An approval decided before the current deployment began never saw it as champion.
        let decided_at = model.stage().decision().decided_at();
        if let Some(since) = self.current_since(&environment)
            && decided_at < since
        {
            let error = RegistryError::StaleApproval {
                version,
                environment: environment.name().to_owned(),
                decided_at,
                since,
            };
            return Err(Refused::new(model, error));
        }
        // Check the current deployment first, so that nothing changes if it refuses.
        if let Some(current) = self.current(&environment)
            && let Err(error) = current.check_actor_at(by, at)
        {
            let error = RegistryError::Refused {
                version: current.version().to_owned(),
                environment: environment.name().to_owned(),
                error,
            };
            return Err(Refused::new(model, error));
        }
        let deployed = match model.mark_deployed(receipt, by, at) {
            Ok(deployed) => deployed,
            Err(refused) => {
                let ((model, _receipt), error) = refused.into_parts();
                let error = RegistryError::Refused {
                    version,
                    environment: environment.name().to_owned(),
                    error,
                };
                return Err(Refused::new(model, error));
            }
        };
        if let Some(previous) = self.take_current(&environment) {
            self.insert(match previous.supersede(&version, by, at) {
                Ok(m) => AnyModel::Superseded(m),
                Err(refused) => AnyModel::Deployed(refused.into_input()),
            });
        }
        self.insert(AnyModel::Deployed(deployed));
        Ok(())
    }

    /// Rolls `environment` back from its current deployment to the one before it, for
    /// `reason`, by `by`, at `at`. The earlier version's approval is checked again by `policy`
    /// (the environment's policy now); both trails record the rollback.
    ///
    /// # Errors
    ///
    /// [`RegistryError::NothingDeployed`], [`RegistryError::NoEarlierDeployment`],
    /// [`RegistryError::RetiredTarget`] (the earlier version was retired: never rolled back to);
    /// [`RegistryError::BeforeClock`]; [`RegistryError::Refused`] (its approval is not upheld,
    /// an actor). Nothing changed.
    pub fn roll_back<P: Policy + ?Sized>(
        &mut self,
        environment: &Environment,
        policy: &P,
        reason: &str,
        by: &str,
        at: Timestamp,
    ) -> Result<(), RegistryError> {
        let env = environment.name().to_owned();
        let current = self
            .current(environment)
            .ok_or_else(|| RegistryError::NothingDeployed {
                environment: env.clone(),
            })?;
        let current_version = current.version().to_owned();
        self.check_clock_strictly(&env, &current_version, at)?;
        current
            .check_actor_at(by, at)
            .map_err(|error| RegistryError::Refused {
                version: current_version.clone(),
                environment: env.clone(),
                error,
            })?;
        let history = self.history(environment);
        let earlier = history
            .iter()
            .rev()
            .find(|t| t.until.is_some() && t.version != current_version)
            .ok_or_else(|| RegistryError::NoEarlierDeployment {
                environment: env.clone(),
            })?;
        let target_key = (env.clone(), earlier.version.clone());
        let target = match self.take_member(&target_key) {
            Some(AnyModel::Superseded(m)) => m,
            Some(AnyModel::Retired(m)) => {
                let error = RegistryError::RetiredTarget {
                    version: earlier.version.clone(),
                    for_cause: m.stage().for_cause(),
                    reason: m.stage().reason().to_owned(),
                };
                self.put_member(AnyModel::Retired(m));
                return Err(error);
            }
            Some(other) => {
                self.put_member(other);
                return Err(RegistryError::NoEarlierDeployment { environment: env });
            }
            None => return Err(RegistryError::NoEarlierDeployment { environment: env }),
        };
        let reinstated =
            match target.reinstate(policy, Some(&current_version), reason.to_owned(), by, at) {
                Ok(m) => m,
                Err(refused) => {
                    let (target, error) = refused.into_parts();
                    let version = target.version().to_owned();
                    self.insert(AnyModel::Superseded(target));
                    return Err(RegistryError::Refused {
                        version,
                        environment: env,
                        error,
                    });
                }
            };
        let to_version = reinstated.version().to_owned();
        if let Some(current) = self.take_current(environment) {
            self.insert(
                match current.roll_back(&to_version, reason.to_owned(), by, at) {
                    Ok(m) => AnyModel::Superseded(m),
                    Err(refused) => AnyModel::Deployed(refused.into_input()),
                },
            );
        }
        self.insert(AnyModel::Deployed(reinstated));
        Ok(())
    }

    /// Retires the member of `version` in `environment` (deployed or superseded) for good, for
    /// `reason`, by `by`, at `at`; `for_cause` if it was at fault, so that it is never rolled
    /// back to. A retired current deployment leaves its environment without one.
    ///
    /// # Errors
    ///
    /// [`RegistryError::NoSuchVersion`]; [`RegistryError::NotInService`] for a member never
    /// deployed or already retired; [`RegistryError::BeforeClock`]; [`RegistryError::Refused`]
    /// for an invalid actor. Nothing changed.
    pub fn retire(
        &mut self,
        environment: &Environment,
        version: &str,
        reason: &str,
        for_cause: bool,
        by: &str,
        at: Timestamp,
    ) -> Result<(), RegistryError> {
        let k = (environment.name().to_owned(), version.to_owned());
        let refused = |error| RegistryError::Refused {
            version: version.to_owned(),
            environment: environment.name().to_owned(),
            error,
        };
        if self.members.contains_key(&k) {
            if self.current.get(environment.name()) == Some(&k.1) {
                self.check_clock_strictly(environment.name(), version, at)?;
            } else {
                self.check_clock(environment.name(), version, at)?;
            }
        }
        let model = self
            .take_member(&k)
            .ok_or_else(|| RegistryError::NoSuchVersion {
                version: version.to_owned(),
                environment: environment.name().to_owned(),
            })?;
        let (back, result) = match model {
            AnyModel::Deployed(m) => match m.retire(reason.to_owned(), for_cause, by, at) {
                Ok(m) => (AnyModel::Retired(m), Ok(())),
                Err(e) => {
                    let (m, error) = e.into_parts();
                    (AnyModel::Deployed(m), Err(refused(error)))
                }
            },
            AnyModel::Superseded(m) => match m.retire(reason.to_owned(), for_cause, by, at) {
                Ok(m) => (AnyModel::Retired(m), Ok(())),
                Err(e) => {
                    let (m, error) = e.into_parts();
                    (AnyModel::Superseded(m), Err(refused(error)))
                }
            },
            other => {
                let status = other.status();
                (
                    other,
                    Err(RegistryError::NotInService {
                        version: version.to_owned(),
                        environment: environment.name().to_owned(),
                        status,
                    }),
                )
            }
        };
        self.put_member(back);
        result
    }

    pub(super) fn take_current(&mut self, environment: &Environment) -> Option<Model<Deployed>> {
        let k = (
            environment.name().to_owned(),
            self.current.get(environment.name())?.clone(),
        );
        match self.take_member(&k) {
            Some(AnyModel::Deployed(m)) => Some(m),
            Some(other) => {
                self.put_member(other);
                None
            }
            None => None,
        }
    }
}
