//! Promoting a version deployed in one environment to the next, with evidence from the first.

use super::Model;
use super::stage::{Deployed, Submitted};
use super::submit::Trainable;
use super::submit::{self, SubmitError};
use crate::event::Head;
use crate::value::text::esc;
use crate::value::{Metrics, Promotion, Refused, TimeWentBackwards, Timestamp};

/// A promotion was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PromoteError {
    /// The submission was refused (submitter, time).
    #[error(transparent)]
    Submit(#[from] SubmitError),
    /// The target is another model, or another version.
    #[error(
        "cannot promote `{}` version `{}` into a model of `{}` version `{}`",
        esc(.from_name),
        esc(.from_version),
        esc(.to_name),
        esc(.to_version)
    )]
    OtherModel {
        /// The deployed model's name.
        from_name: String,
        /// Its version.
        from_version: String,
        /// The target's name.
        to_name: String,
        /// Its version.
        to_version: String,
    },
    /// The evidence would be observed before this deployment's last event.
    #[error("the evidence is observed before the deployment's last event: {0}")]
    ObservedTooEarly(TimeWentBackwards),
    /// The target is in the environment the version is already deployed in.
    #[error("the version is already deployed in `{}`; promote it to another environment", esc(.environment))]
    SameEnvironment {
        /// The environment.
        environment: String,
    },
}

impl Model<Deployed> {
    /// Submits this deployed version to the next environment: `to` is a new model of the same
    /// name and version in that environment (see [`Model::in_environment`]), or the one promoted
    /// before and rejected there (a soak too short, say), retrained: promoting into it again
    /// keeps its trail, the first promotion and its rejection included. The submission is
    /// this version's artifact and metrics, with the evidence of this deployment: where, since
    /// when (and the hash of its `deployed` event), and the `online` metrics the host observed
    /// here, at `at`. Policies of the next environment read it through
    /// [`ReviewContext::promotion`](crate::ReviewContext::promotion).
    ///
    /// # Errors
    ///
    /// [`PromoteError`] for another model or version, the same environment, an invalid submitter,
    /// a time earlier than `to`'s last event or than this deployment's; `to` and the online
    /// metrics come back inside the [`Refused`].
    ///
    /// ```
    /// # use modelgate::*;
    /// # let t = Timestamp::from_unix_secs;
    /// # let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.95)])?)?;
    /// let staging = Environment::new("staging")?;
    /// let model = Model::new("churn", "4")?.in_environment(staging).submit(outcome, "alice", t(0))?;
    /// let model = model.decide(&MetricGate::at_least("accuracy", 0.9), &DecisionContext::at(t(1)))?.approved()?;
    /// let in_staging = model.mark_deployed(Receipt::new("staging/churn@4"), "ci", t(2))?;
    ///
    /// let production = Model::new("churn", "4")?.in_environment(Environment::new("production")?);
    /// let online = Metrics::new([("error_rate", 0.01)])?;
    /// let submitted = in_staging.promote(production, online, "alice", t(48 * 3600))?;
    /// let evidence = submitted.stage().submission().promotion().unwrap();
    /// assert_eq!(evidence.from(), "staging");
    /// assert_eq!(evidence.online().get("error_rate"), Some(0.01));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// Only a deployment brings evidence; an approval that was never deployed is not promoted
    /// (above, its passing twin):
    ///
    /// ```compile_fail,E0599
    /// # use modelgate::*;
    /// # fn f(model: Model<Approved>, to: Model<Untrained>) {
    /// model.promote(to, Metrics::default(), "alice", Timestamp::from_unix_secs(1));
    /// # }
    /// ```
    #[allow(clippy::result_large_err, clippy::type_complexity)] // hands back the target and the metrics
    pub fn promote<S: Trainable>(
        &self,
        to: Model<S>,
        online: Metrics,
        submitter: &str,
        at: Timestamp,
    ) -> Result<Model<Submitted>, Refused<(Model<S>, Metrics), PromoteError>> {
        if to.name() != self.name() || to.version() != self.version() {
            let error = PromoteError::OtherModel {
                from_name: self.name().to_owned(),
                from_version: self.version().to_owned(),
                to_name: to.name().to_owned(),
                to_version: to.version().to_owned(),
            };
            return Err(Refused::new((to, online), error));
        }
        // One identity is one environment: `prodl` is not another environment than `prod1`.
        if crate::value::identity::same(to.environment().name(), self.environment().name()) {
            let error = PromoteError::SameEnvironment {
                environment: self.environment().name().to_owned(),
            };
            return Err(Refused::new((to, online), error));
        }
        if let Err(e) = submit::check(&to, submitter, at) {
            return Err(Refused::new((to, online), e.into()));
        }
        if let Err(e) = self.trail.check_time(at) {
            return Err(Refused::new(
                (to, online),
                PromoteError::ObservedTooEarly(e),
            ));
        }
        let evidence = Promotion::new(
            self.environment().name_ref().clone(),
            self.deployment(),
            self.stage.deployed_at,
            online,
            at,
        );
        if let Err(why) = check_evidence(to.environment().name(), &evidence, at) {
            let error = PromoteError::Submit(SubmitError::Promotion { why });
            return Err(Refused::new((to, evidence.into_online()), error));
        }
        let outcome = self.stage.submission().outcome().clone();
        Ok(to.submit_checked(outcome, submitter.to_owned(), at, Some(evidence)))
    }

    /// The hash of the event that made this the current deployment (its `deployed` or
    /// `reinstated` event).
    pub fn deployment(&self) -> Head {
        self.trail
            .current_deployment()
            .map_or(self.head(), crate::event::Event::hash)
    }
}

/// The one rule for a promotion's evidence, wherever it is recorded (by
/// [`Model::promote`], or by a replay): it comes from another environment (a valid name, not one
/// identity with the model's own), it is observed when the version is submitted (`at`), and at
/// or after the deployment it observes began. Says what is impossible about it otherwise.
pub(crate) fn check_evidence(
    environment: &str,
    promotion: &Promotion,
    at: Timestamp,
) -> Result<(), &'static str> {
    if crate::value::text::check("environment", promotion.from()).is_err() {
        return Err("it comes from an environment whose name an environment may not have");
    }
    if crate::value::identity::same(promotion.from(), environment) {
        return Err("it comes from the model's own environment");
    }
    if promotion.observed_at() != at {
        return Err("it is observed at another time than the submission it comes with");
    }
    if promotion.deployed_at() > promotion.observed_at() {
        return Err("it is observed before the deployment it observes began");
    }
    Ok(())
}
