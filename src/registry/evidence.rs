//! What a decision and a promotion bring as evidence from the registry's books: the champion
//! a decision saw, and the deployment a promotion observed in the environment it came from.

use std::collections::BTreeMap;

use super::tenure::Tenure;
use super::{Registry, RegistryError};
use crate::event::EventKind;
use crate::model::AnyModel;
use crate::value::{Metrics, Promotion, Timestamp, TrainingOutcome};

/// The outcome (artifact and offline metrics) of a member that was deployed: one submission
/// per deployed member, since a deployed model is never submitted again.
fn deployed_outcome(model: &AnyModel) -> Option<&TrainingOutcome> {
    match model {
        AnyModel::Deployed(m) => Some(m.stage().submission().outcome()),
        AnyModel::Superseded(m) => Some(m.stage().deployed().submission().outcome()),
        AnyModel::Retired(m) => Some(m.stage().deployed().submission().outcome()),
        _ => None,
    }
}

/// The metrics of a member that was deployed.
pub(super) fn deployed_metrics(model: &AnyModel) -> Option<&Metrics> {
    deployed_outcome(model).map(TrainingOutcome::metrics)
}

/// Across members (the shape of the evidence is the model's rule, `model::promote`): the
/// evidence of a promotion of `version` must be a deployment in the trail of the member of
/// that version in the environment it came from, of the artifact submitted (`outcome`).
pub(crate) fn check_promotion_source(
    members: &BTreeMap<(String, String), AnyModel>,
    version: &str,
    outcome: &TrainingOutcome,
    promotion: &Promotion,
) -> Result<(), RegistryError> {
    let source = members.get(&(promotion.from().to_owned(), version.to_owned()));
    // What is promoted is the artifact deployed there, as `promote` copies it: the same digest
    // and offline metrics, or the evidence vouches for another artifact.
    let same_artifact = source
        .and_then(deployed_outcome)
        .is_some_and(|deployed| deployed == outcome);
    let found = same_artifact
        && source.is_some_and(|s| {
            let events = s.history();
            // Events are in time order: only those at the deployment's time are looked at, so
            // checking every promotion of a version costs a search, not a scan of its trail.
            let from = events.partition_point(|e| e.at() < promotion.deployed_at());
            let until = events.partition_point(|e| e.at() <= promotion.deployed_at());
            (from..until).any(|i| {
                let Some(e) = events.get(i) else { return false };
                // The chain holds (a member is a live model or a restored one), so an event's hash
                // is the next event's `prev`, or the head for the last one: nothing to hash.
                let hash = events
                    .get(i + 1)
                    .map_or_else(|| s.head(), |next| *next.prev());
                hash == promotion.deployment()
                && matches!(
                    e.kind(),
                    EventKind::Deployed { .. } | EventKind::Reinstated { .. }
                )
                // … and still deployed when the evidence was observed.
                && events.get(i + 1..).unwrap_or_default().iter().find(|later| {
                    crate::model::ends_deployment(later.kind())
                }).is_none_or(|end| end.at() >= promotion.observed_at())
            })
        });
    if found {
        Ok(())
    } else {
        Err(RegistryError::UnknownDeployment {
            version: version.to_owned(),
            from: promotion.from().to_owned(),
        })
    }
}

impl Registry {
    /// Whether `recorded` was the champion of `environment` at `at`, by its deployments'
    /// `tenures`: the metrics of the version deployed there then, or none if none was (at the
    /// instant one deployment replaces another, the new one is current).
    pub(crate) fn was_champion(
        &self,
        environment: &str,
        tenures: &[Tenure],
        recorded: Option<&Metrics>,
        at: Timestamp,
    ) -> bool {
        // Deployments in one environment do not overlap, each is alone at its start, and they
        // are sorted by start: the one current at `at` is the last starting at or before it, if
        // it had not ended by then (a deployment ending at `at` is over at `at`).
        let starts = tenures.partition_point(|t| t.from <= at);
        let current = starts
            .checked_sub(1)
            .and_then(|i| tenures.get(i))
            .filter(|t| t.until.as_ref().is_none_or(|(until, _)| at < *until));
        let metrics = current.and_then(|t| {
            self.members
                .get(&(environment.to_owned(), t.version.clone()))
                .and_then(deployed_metrics)
        });
        recorded == metrics
    }
}
