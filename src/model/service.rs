//! The life after deploy: a deployment is superseded by the next version, rolled back from,
//! reinstated (a rollback to it), or retired.

use super::Model;
use super::deploy::ActionError;
use super::stage::{Deployed, Retired, Superseded};
use crate::event::EventKind;
use crate::policy::Policy;
use crate::value::{Refused, Timestamp};

impl Model<Deployed> {
    /// Records that `by_version` was deployed in this model's environment and replaced it, by
    /// `by`, at `at`. A [`Registry`](crate::registry::Registry) does this when it deploys the
    /// next version; a host that keeps its own books calls it.
    ///
    /// # Errors
    ///
    /// [`ActionError`] for an invalid version or actor id or a time earlier than the last
    /// event; the model comes back unchanged inside the [`Refused`].
    ///
    /// Only the current deployment is superseded, once:
    ///
    /// ```compile_fail,E0599
    /// # use modelgate::*;
    /// # fn f(model: Model<Superseded>) {
    /// model.supersede("6", "ci", Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    ///
    /// ```compile_fail,E0599
    /// # use modelgate::*;
    /// # fn f(model: Model<Approved>) {
    /// model.supersede("6", "ci", Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    ///
    /// ```
    /// # use modelgate::*;
    /// # fn f(model: Model<Deployed>) {
    /// let _ = model.supersede("6", "ci", Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    pub fn supersede(
        self,
        by_version: &str,
        by: &str,
        at: Timestamp,
    ) -> Result<Model<Superseded>, Refused<Model<Deployed>, ActionError>> {
        if let Err(e) = check(&self, Some(by_version), "", by, at) {
            return Err(Refused::new(self, e));
        }
        let event = EventKind::Superseded {
            by_version: by_version.to_owned(),
            by: by.to_owned(),
        };
        Ok(self.replaced(by_version, at, event))
    }

    /// Records that the environment went back from this deployment to `to_version`, for
    /// `reason`, by `by`, at `at`; the model is superseded by that version (and can be retired,
    /// for cause if it was at fault).
    ///
    /// # Errors
    ///
    /// As [`supersede`](Self::supersede).
    ///
    /// A retired model is out of service: nothing rolls back from it.
    ///
    /// ```compile_fail,E0599
    /// # use modelgate::*;
    /// # fn f(model: Model<Retired>) {
    /// model.roll_back("4", "latency", "oncall", Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    ///
    /// ```
    /// # use modelgate::*;
    /// # fn f(model: Model<Deployed>) {
    /// let _ = model.roll_back("4", "latency", "oncall", Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    pub fn roll_back(
        self,
        to_version: &str,
        reason: impl Into<String>,
        by: &str,
        at: Timestamp,
    ) -> Result<Model<Superseded>, Refused<Model<Deployed>, ActionError>> {
        let reason = reason.into();
        if let Err(e) = check(&self, Some(to_version), &reason, by, at) {
            return Err(Refused::new(self, e));
        }
        let event = EventKind::RolledBack {
            to_version: to_version.to_owned(),
            reason,
            by: by.to_owned(),
        };
        Ok(self.replaced(to_version, at, event))
    }

    fn replaced(self, version: &str, at: Timestamp, event: EventKind) -> Model<Superseded> {
        let Model { trail, stage } = self;
        let stage = Superseded {
            deployed: stage,
            by_version: version.to_owned(),
            superseded_at: at,
        };
        trail.advance(at, event, stage)
    }

    /// Takes the model out of service for good, for `reason`, by `by`, at `at`; `for_cause` if
    /// it was at fault (such a version is never rolled back to).
    ///
    /// # Errors
    ///
    /// [`ActionError`] for an invalid actor id or a time earlier than the last event; the model
    /// comes back unchanged inside the [`Refused`].
    ///
    /// ```
    /// # use modelgate::*;
    /// # fn f(model: Model<Deployed>) {
    /// let _ = model.retire("replaced by the v5 line", false, "ops", Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    ///
    /// A model that was never deployed cannot be retired (revoke an approval; a rejected model
    /// is retrained):
    ///
    /// ```compile_fail,E0599
    /// # use modelgate::*;
    /// # fn f(model: Model<Approved>) {
    /// model.retire("never mind", false, "ops", Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    pub fn retire(
        self,
        reason: impl Into<String>,
        for_cause: bool,
        by: &str,
        at: Timestamp,
    ) -> Result<Model<Retired>, Refused<Model<Deployed>, ActionError>> {
        let reason = reason.into();
        if let Err(e) = check(&self, None, &reason, by, at) {
            return Err(Refused::new(self, e));
        }
        let Model { trail, stage } = self;
        Ok(retired(trail, stage, reason, for_cause, by, at))
    }
}

impl Model<Superseded> {
    /// Makes this superseded deployment the environment's current one again (a rollback to it),
    /// replacing `replacing` (the version deployed now, if any), for `reason`, by `by`, at `at`.
    /// Its approval is checked again: `policy` (the environment's policy now) must approve on the
    /// evidence recorded when it was approved.
    ///
    /// # Errors
    ///
    /// [`ActionError::NotUpheld`] if `policy` does not approve; an invalid version or actor id;
    /// a time earlier than the last event. The model comes back unchanged inside the
    /// [`Refused`].
    ///
    /// A retired model can never be reinstated; a current deployment need not be:
    ///
    /// ```compile_fail,E0599
    /// # use modelgate::*;
    /// # fn f(model: Model<Retired>) {
    /// model.reinstate(&Quorum::new(1), None, "rollback", "ops", Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    ///
    /// ```
    /// # use modelgate::*;
    /// # fn f(model: Model<Superseded>) {
    /// let _ = model.reinstate(&Quorum::new(1), Some("5"), "rollback", "ops", Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    pub fn reinstate<P: Policy + ?Sized>(
        self,
        policy: &P,
        replacing: Option<&str>,
        reason: impl Into<String>,
        by: &str,
        at: Timestamp,
    ) -> Result<Model<Deployed>, Refused<Model<Superseded>, ActionError>> {
        let reason = reason.into();
        if let Err(e) = check(&self, replacing, &reason, by, at) {
            return Err(Refused::new(self, e));
        }
        // The policy now: for one that changes over time, the version in force at `at`, not at
        // the approval's time (a stricter version since then holds the old approval to it).
        let given: &dyn Policy = &policy;
        let policy = given.in_force(at).unwrap_or(given);
        let approved = &self.stage.deployed.approved;
        let verdict = policy.evaluate(&approved.review_context());
        if !verdict.is_approved() {
            let error = ActionError::NotUpheld {
                policy: policy.name(),
                verdict: verdict.to_string(),
            };
            return Err(Refused::new(self, error));
        }
        let event = EventKind::Reinstated {
            replacing: replacing.map(str::to_owned),
            reason,
            by: by.to_owned(),
        };
        let Model { trail, stage } = self;
        let mut deployed = stage.deployed;
        deployed.deployed_at = at;
        deployed.deployed_by = by.to_owned();
        Ok(trail.advance(at, event, deployed))
    }

    /// Takes the model out of service for good (see [`Model::<Deployed>::retire`]).
    ///
    /// # Errors
    ///
    /// [`ActionError`] for an invalid actor id or a time earlier than the last event; the model
    /// comes back unchanged inside the [`Refused`].
    pub fn retire(
        self,
        reason: impl Into<String>,
        for_cause: bool,
        by: &str,
        at: Timestamp,
    ) -> Result<Model<Retired>, Refused<Model<Superseded>, ActionError>> {
        let reason = reason.into();
        if let Err(e) = check(&self, None, &reason, by, at) {
            return Err(Refused::new(self, e));
        }
        let Model { trail, stage } = self;
        Ok(retired(trail, stage.deployed, reason, for_cause, by, at))
    }
}

fn retired(
    trail: super::Trail,
    deployed: Deployed,
    reason: String,
    for_cause: bool,
    by: &str,
    at: Timestamp,
) -> Model<Retired> {
    let event = EventKind::Retired {
        reason: reason.clone(),
        for_cause,
        by: by.to_owned(),
    };
    let stage = Retired {
        deployed,
        reason,
        for_cause,
        retired_by: by.to_owned(),
        retired_at: at,
    };
    trail.advance(at, event, stage)
}

/// The checks of a move after deploy: a valid version (if one is named), the reason's length,
/// actor and time.
fn check<S: super::Stage>(
    model: &Model<S>,
    version: Option<&str>,
    reason: &str,
    by: &str,
    at: Timestamp,
) -> Result<(), ActionError> {
    if let Some(version) = version {
        crate::value::text::check("version", version).map_err(ActionError::Version)?;
    }
    crate::value::text::check_free("reason", reason)
        .map_err(|error| ActionError::FreeText { error })?;
    model.check_actor_at(by, at)
}
