//! A registry as stored: its members' trails; restoring it restores (and checks) each, then the
//! registry's own invariants across them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Registry, RegistryError, RestoreRegistryError, check_promotion_source, key};
use crate::event::{EventKind, FORMAT_VERSION, Fingerprint, Head};
use crate::model::{AnyModel, run_pipeline};
use crate::pipeline::{Pipeline, Run};
use crate::policy::{Fingerprinted, Policy};
use crate::trail::{Seal, SealError, SealVerifier, Sealer, StoredModel};
use crate::value::Refused;

/// The policy of each environment, by name: what restoring a registry decides every member's
/// decisions again with.
///
/// ```
/// use modelgate::{MetricGate, PolicyExt, Quorum};
/// use modelgate::registry::PolicyBook;
/// let book = PolicyBook::new()
///     .with("staging", MetricGate::at_least("accuracy", 0.9))
///     .with("production", MetricGate::at_least("accuracy", 0.9).and(Quorum::new(2)));
/// assert!(book.policy("production").is_some());
/// ```
#[derive(Default)]
pub struct PolicyBook {
    policies: Vec<(String, Box<dyn Policy + Send + Sync>)>,
    pipelines: Vec<Pipeline>,
}

impl std::fmt::Debug for PolicyBook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.policies.iter().map(|(env, p)| (env, p.name())))
            .finish()
    }
}

impl PolicyBook {
    /// No policies.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same book, with `policy` for the environment `environment` (replacing any); its
    /// name and fingerprint are computed once, here ([`Fingerprinted`]), not at every decision
    /// a restore replays.
    #[must_use]
    pub fn with(
        mut self,
        environment: impl Into<String>,
        policy: impl Policy + Send + Sync + 'static,
    ) -> Self {
        let environment = environment.into();
        self.policies.retain(|(env, _)| *env != environment);
        self.policies
            .push((environment, Box::new(Fingerprinted::new(policy))));
        self
    }

    /// The same book with `pipeline`: a member that is one of its runs is restored through it
    /// (the run's events against the pipeline's rules, then the model's later moves), and its
    /// policy decides the other members of its environment (replacing any policy given for it).
    #[must_use]
    pub fn with_pipeline(self, pipeline: Pipeline) -> Self {
        let environment = pipeline.environment().name().to_owned();
        let mut book = self.with(environment, pipeline.policy());
        let fingerprint = pipeline.fingerprint();
        book.pipelines.retain(|p| p.fingerprint() != fingerprint);
        book.pipelines.push(pipeline);
        book
    }

    /// The pipeline whose fingerprint is `fingerprint`, if the book has it.
    pub fn pipeline(&self, fingerprint: &Fingerprint) -> Option<&Pipeline> {
        self.pipelines
            .iter()
            .find(|p| p.fingerprint() == *fingerprint)
    }

    /// The policy of `environment`.
    pub fn policy(&self, environment: &str) -> Option<&(dyn Policy + Send + Sync)> {
        self.policies
            .iter()
            .find(|(env, _)| env == environment)
            .map(|(_, p)| p.as_ref())
    }
}

/// A [`Registry`] as stored: its name, its members' stored trails (each sealed by the host), and
/// the host's seal over the index of the members' heads ([`index`](Self::index)), so that the
/// registry is restored as the host stored it, all members from the same moment: a member
/// cannot be swapped for an older sealed copy of itself, dropped, or added. Unknown fields are
/// refused.
///
/// Like a stored model's seal, the index seal proves what the host stored, not that it is the
/// latest: keep the latest index head where a writer cannot roll it back, and compare.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredRegistry {
    format_version: u32,
    name: String,
    members: Vec<StoredModel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seal: Option<Seal>,
}

impl Registry {
    /// The stored form, each member sealed by `sealer`.
    ///
    /// # Errors
    ///
    /// [`SealError`] if the sealer fails.
    pub fn sealed_by(&self, sealer: &(impl Sealer + ?Sized)) -> Result<StoredRegistry, SealError> {
        let members = self
            .members
            .values()
            .map(|m| {
                StoredModel::from(m)
                    .sealed_by(sealer)
                    .map_err(Refused::into_error)
            })
            .collect::<Result<_, _>>()?;
        let mut stored = StoredRegistry {
            format_version: FORMAT_VERSION,
            name: self.name.clone(),
            members,
            seal: None,
        };
        stored.seal = Some(sealer.seal(&stored.index())?);
        Ok(stored)
    }
}

impl StoredRegistry {
    /// The stored form of the registry `name` from its parts: its `members` in the stored
    /// order (by environment, then version) and the host's `seal` over their
    /// [`index`](Self::index). What a store that keeps members one by one builds to export
    /// them whole; checked only when it is [restored](Self::restore).
    pub fn from_parts(
        name: impl Into<String>,
        members: Vec<StoredModel>,
        seal: Option<Seal>,
    ) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            name: name.into(),
            members,
            seal,
        }
    }

    /// The stored format's version (a restore reads [`FORMAT_VERSION`] only).
    pub fn format_version(&self) -> u32 {
        self.format_version
    }

    /// The registry's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The stored members, ordered by environment, then version.
    pub fn members(&self) -> &[StoredModel] {
        &self.members
    }

    /// The head of the index the seal covers: the registry's name and every stored member's
    /// environment, version and head, in the stored order (see [`Head::of_registry`]).
    pub fn index(&self) -> Head {
        let entries: Vec<(&str, &str, Head)> = self
            .members
            .iter()
            .map(|m| (m.environment().name(), m.version(), m.head()))
            .collect();
        Head::of_registry(&self.name, &entries)
    }

    /// The seal over the [`index`](Self::index).
    pub fn seal(&self) -> Option<&Seal> {
        self.seal.as_ref()
    }

    /// The same stored registry with a seal the host made itself over
    /// [`index`](Self::index) (with a KMS, an HSM …).
    #[must_use]
    pub fn with_seal(mut self, seal: Seal) -> Self {
        self.seal = Some(seal);
        self
    }

    /// Checks the index's seal, for the time of its members' latest event.
    pub(super) fn verify_index<V: SealVerifier + ?Sized>(
        &self,
        verifier: &V,
        seal: &Seal,
    ) -> Result<(), RestoreRegistryError> {
        let latest = (self.members.iter())
            .filter_map(|m| m.events().last().map(crate::event::Event::at))
            .max();
        match latest {
            Some(at) => verifier.verify_at(&self.index(), seal, at),
            None => verifier.verify(&self.index(), seal),
        }
        .map_err(RestoreRegistryError::Seal)
    }

    /// Restores the registry: the index seal verified with `verifier`; every member restored
    /// with `verifier` and its environment's policy in `book` (chain, seal, every decision
    /// decided again); then checked across members: one name, members in order and each once,
    /// at most one current deployment per environment, every superseded deployment replaced by
    /// a member of its environment, every decision made with the champion of its environment at
    /// the time, and every promotion's evidence a deployment in the trail of the version in the
    /// environment it came from.
    ///
    /// # Errors
    ///
    /// [`RestoreRegistryError::Format`] for another stored format;
    /// [`RestoreRegistryError::Unsealed`], [`RestoreRegistryError::Seal`] for the index;
    /// [`RestoreRegistryError::Member`] naming the member and its [`RestoreError`](crate::RestoreError);
    /// [`RestoreRegistryError::NoPolicy`]; [`RestoreRegistryError::Books`] with the move's refusal where the members disagree ([`RegistryError::OtherChampion`],
    /// [`RegistryError::UnknownDeployment`] …); [`RestoreRegistryError::Inconsistent`]. The stored
    /// registry comes back inside the [`Refused`].
    #[allow(clippy::result_large_err)] // hands back the stored registry
    pub fn restore<V: SealVerifier + ?Sized>(
        self,
        verifier: &V,
        book: &PolicyBook,
    ) -> Result<Registry, Refused<StoredRegistry, RestoreRegistryError>> {
        match self.rebuild(verifier, book) {
            Ok(registry) => Ok(registry),
            Err(e) => Err(Refused::new(self, e)),
        }
    }

    fn rebuild<V: SealVerifier + ?Sized>(
        &self,
        verifier: &V,
        book: &PolicyBook,
    ) -> Result<Registry, RestoreRegistryError> {
        if self.format_version != FORMAT_VERSION {
            return Err(RestoreRegistryError::Format {
                found: self.format_version,
            });
        }
        crate::value::text::check("name", &self.name)
            .map_err(|e| RestoreRegistryError::Inconsistent(e.to_string()))?;
        let seal = self.seal.as_ref().ok_or(RestoreRegistryError::Unsealed)?;
        self.verify_index(verifier, seal)?;
        assemble(&self.name, self.members.iter(), verifier, book)
    }
}

impl Registry {
    /// Rebuilds the registry `name` from its members stored one by one, in any order (a store
    /// that keeps each model's trail in its own rows, such as `modelgate-store`): every member
    /// restored with `verifier` and its environment's policy in `book`, then the same checks
    /// across members as [`StoredRegistry::restore`].
    ///
    /// Without the sealed index of a [`StoredRegistry`], nothing binds the members to one
    /// moment: a member put back to an older sealed copy of itself is refused only if the books
    /// then disagree (two current deployments, a replacement that is not a member …). Keep each
    /// member's latest head where a writer cannot roll it back (a store does, with
    /// compare-and-swap on the head), or store the registry whole.
    ///
    /// # Errors
    ///
    /// As [`StoredRegistry::restore`], without the index's; a version stored twice in an
    /// environment is [`RestoreRegistryError::Inconsistent`]. The members come back inside the
    /// [`Refused`].
    #[allow(clippy::result_large_err)] // hands back the members
    pub fn restore_members<V: SealVerifier + ?Sized>(
        name: &str,
        members: Vec<StoredModel>,
        verifier: &V,
        book: &PolicyBook,
    ) -> Result<Registry, Refused<Vec<StoredModel>, RestoreRegistryError>> {
        let mut ordered: Vec<&StoredModel> = members.iter().collect();
        ordered.sort_by(|a, b| {
            (a.environment().name(), a.version()).cmp(&(b.environment().name(), b.version()))
        });
        let checked = crate::value::text::check("name", name)
            .map_err(|e| RestoreRegistryError::Inconsistent(e.to_string()))
            .and_then(|()| assemble(name, ordered.into_iter(), verifier, book));
        match checked {
            Ok(registry) => Ok(registry),
            Err(e) => Err(Refused::new(members, e)),
        }
    }
}

/// The registry `name` of `stored` members, in order of environment and version: each restored
/// under its environment's policy, then the checks across members.
fn assemble<'a, V: SealVerifier + ?Sized>(
    name: &str,
    stored: impl Iterator<Item = &'a StoredModel>,
    verifier: &V,
    book: &PolicyBook,
) -> Result<Registry, RestoreRegistryError> {
    {
        let mut members = BTreeMap::new();
        for stored in stored {
            let (version, environment) = (stored.version(), stored.environment().name());
            if stored.name() != name {
                return Err(RegistryError::OtherModel {
                    model: stored.name().to_owned(),
                    registry: name.to_owned(),
                }
                .into());
            }
            let policy =
                book.policy(environment)
                    .ok_or_else(|| RestoreRegistryError::NoPolicy {
                        environment: environment.to_owned(),
                    })?;
            let restored = match run_pipeline(stored.events()).and_then(|f| book.pipeline(f)) {
                Some(pipeline) => {
                    decided_by_the_book(stored, policy)?;
                    Run::restore_model(stored.clone(), pipeline, verifier)
                }
                None => stored.clone().restore(verifier, policy),
            };
            let model = restored.map_err(|e| RestoreRegistryError::Member {
                version: version.to_owned(),
                environment: environment.to_owned(),
                error: Box::new(e.into_error()),
            })?;
            let k = key(&model);
            if members.last_key_value().is_some_and(|(last, _)| *last >= k) {
                return Err(RestoreRegistryError::Inconsistent(format!(
                    "version `{version}` in `{environment}` is stored twice or out of order"
                )));
            }
            members.insert(k, model);
        }
        check_invariants(&members)?;
        let registry = Registry::from_members(name.to_owned(), members);
        check_tenures(&registry)?;
        check_champions(&registry)?;
        check_fresh_approvals(&registry)?;
        Ok(registry)
    }
}

/// A run's decisions are decided again by its pipeline's policy; the book's policy for its
/// environment must be that one, at each decision's time the version then in force (a run of
/// a superseded pipeline decided after a stricter version came in force is refused, and so is
/// a run decided by another policy than the one the book names for its environment).
fn decided_by_the_book(
    stored: &StoredModel,
    policy: &dyn Policy,
) -> Result<(), RestoreRegistryError> {
    for event in stored.events() {
        let EventKind::Decided {
            policy: name,
            fingerprint,
            ..
        } = event.kind()
        else {
            continue;
        };
        let in_force = policy.in_force(event.at()).unwrap_or(policy);
        let same = match fingerprint {
            Some(recorded) => *recorded == crate::policy::fingerprint_of(in_force),
            None => *name == in_force.name(),
        };
        if !same {
            return Err(RestoreRegistryError::Inconsistent(format!(
                "version `{}` in `{}` is a run decided at {} by the policy `{}`{}, and the \
                 environment's policy then is `{}` ({})",
                crate::value::text::esc(stored.version()),
                crate::value::text::esc(stored.environment().name()),
                event.at(),
                crate::value::text::esc(name),
                fingerprint.map_or(String::new(), |f| format!(" ({f})")),
                crate::value::text::esc(&in_force.name()),
                crate::policy::fingerprint_of(in_force),
            )));
        }
    }
    Ok(())
}

/// Each environment's deployments, read from the members' trails, follow one another as the
/// registry's moves make them: one at a time, each starting at its own instant; one superseded
/// or rolled back from is followed at that instant by the version its trail names (a rollback's
/// by one deployed there before); one retired is followed, if at all, later.
fn check_tenures(registry: &Registry) -> Result<(), RestoreRegistryError> {
    for environment in registry.environment_names() {
        let tenures = registry.history_in(environment);
        let broken = |what: String| {
            Err(RestoreRegistryError::Inconsistent(format!(
                "the deployments of `{}` do not follow one another: {what}",
                crate::value::text::esc(environment)
            )))
        };
        for (i, tenure) in tenures.iter().enumerate() {
            let next = tenures.get(i + 1);
            let version = crate::value::text::esc(&tenure.version);
            match (&tenure.until, next) {
                (None, Some(next)) => {
                    return broken(format!(
                        "version `{version}` is still current when version `{}` is deployed",
                        crate::value::text::esc(&next.version)
                    ));
                }
                (Some((at, super::Ended::Superseded { by: to })), next)
                | (Some((at, super::Ended::RolledBack { to })), next) => {
                    let follows = next.is_some_and(|n| n.from == *at && n.version == *to);
                    if !follows {
                        return broken(format!(
                            "version `{version}` was replaced by version `{}` at {at}, which was not deployed then",
                            crate::value::text::esc(to)
                        ));
                    }
                    if matches!(tenure.until, Some((_, super::Ended::RolledBack { .. })))
                        && !tenures
                            .get(..i)
                            .unwrap_or_default()
                            .iter()
                            .any(|t| t.version == *to)
                    {
                        return broken(format!(
                            "version `{version}` was rolled back to version `{}`, never deployed before",
                            crate::value::text::esc(to)
                        ));
                    }
                }
                (Some((at, super::Ended::Retired { .. })), Some(next)) if next.from <= *at => {
                    return broken(format!(
                        "version `{}` is deployed at {} while version `{version}` is current",
                        crate::value::text::esc(&next.version),
                        next.from
                    ));
                }
                _ => {}
            }
            if let Some(next) = next
                && next.from <= tenure.from
            {
                return broken(format!(
                    "versions `{version}` and `{}` are deployed at the same instant",
                    crate::value::text::esc(&next.version)
                ));
            }
        }
    }
    Ok(())
}

/// Every deployment that superseded another was approved after that one began (so its decision
/// saw it as champion).
fn check_fresh_approvals(registry: &Registry) -> Result<(), RestoreRegistryError> {
    for environment in registry.environment_names() {
        for tenure in registry.history_in(environment) {
            let Some((at, super::Ended::Superseded { by })) = &tenure.until else {
                continue;
            };
            let Some(successor) = registry.members.get(&(environment.to_owned(), by.clone()))
            else {
                continue;
            };
            let history = successor.history();
            let deployed = history
                .iter()
                .position(|e| e.at() == *at && matches!(e.kind(), EventKind::Deployed { .. }));
            let decided_at = deployed
                .and_then(|i| history.get(..i))
                .and_then(crate::model::latest_decision)
                .map(crate::event::Event::at);
            if let Some(decided_at) = decided_at
                && decided_at < tenure.from
            {
                return Err(RegistryError::StaleApproval {
                    version: by.clone(),
                    environment: environment.to_owned(),
                    decided_at,
                    since: tenure.from,
                }
                .into());
            }
        }
    }
    Ok(())
}

/// Every decision was made with the champion of its environment at the time.
fn check_champions(registry: &Registry) -> Result<(), RestoreRegistryError> {
    let mut tenures: Option<(&str, Vec<super::Tenure>)> = None;
    for ((environment, version), model) in &registry.members {
        if tenures.as_ref().is_none_or(|(env, _)| env != environment) {
            tenures = Some((environment, registry.history_in(environment)));
        }
        let Some((_, env_tenures)) = &tenures else {
            continue;
        };
        for event in model.history() {
            if let EventKind::Decided { champion, .. } = event.kind()
                && !registry.was_champion(environment, env_tenures, champion.as_ref(), event.at())
            {
                return Err(RegistryError::OtherChampion {
                    version: version.clone(),
                    environment: environment.clone(),
                    seq: event.seq(),
                }
                .into());
            }
        }
    }
    Ok(())
}

/// The invariants across members that no sequence of registry moves can break.
fn check_invariants(
    members: &BTreeMap<(String, String), AnyModel>,
) -> Result<(), RestoreRegistryError> {
    let mut current: BTreeMap<&str, &str> = BTreeMap::new();
    let mut settings: Option<&crate::value::Environment> = None;
    for ((env, version), model) in members {
        if let Some(first) = settings.filter(|s| s.name() == env)
            && first != model.environment()
        {
            return Err(RegistryError::OtherSettings {
                environment: env.clone(),
            }
            .into());
        }
        settings = Some(model.environment());
        match model {
            AnyModel::Deployed(_) => {
                if let Some(other) = current.insert(env, version) {
                    return Err(RestoreRegistryError::Inconsistent(format!(
                        "versions `{other}` and `{version}` are both the current deployment of `{env}`"
                    )));
                }
            }
            AnyModel::Superseded(m) => {
                let by = m.replaced_by();
                if !members.contains_key(&(env.clone(), by.to_owned())) {
                    return Err(RestoreRegistryError::Inconsistent(format!(
                        "version `{version}` in `{env}` was replaced by version `{by}`, which is not a member"
                    )));
                }
            }
            _ => {}
        }
        for event in model.history() {
            if let EventKind::Submitted {
                outcome,
                promotion: Some(p),
                ..
            } = event.kind()
            {
                check_promotion_source(members, version, outcome, p)?;
            }
        }
    }
    Ok(())
}
