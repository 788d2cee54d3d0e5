//! The versions of one model across its environments: per environment, the current deployment
//! and the history of deployments; stored as its members' trails and restored by checking each.

mod clock;
mod error;
mod evidence;
#[cfg(feature = "export")]
pub mod export;
mod moves;
mod reseal;
mod stored;
mod tenure;

use std::collections::BTreeMap;

use crate::event::{Event, EventKind, Head};
use crate::model::{AnyModel, Decided, DecisionContext, Deployed, Model, Status, Trail};
use crate::policy::{Policy, Verdict};
use crate::value::text::{self, TextError};
use crate::value::{Environment, Metrics, Refused, Review, Timestamp};

pub use error::{RegistryError, RestoreRegistryError};
pub use stored::{PolicyBook, StoredRegistry};
pub use tenure::{Ended, Tenure};

pub(crate) use evidence::check_promotion_source;
use evidence::deployed_metrics;

/// The versions of one model: every member is a model of the registry's name, one per version
/// and environment. Sans I/O: a value the host keeps and stores (see [`StoredRegistry`]).
///
/// The registry keeps every environment's books, and holds three invariants, whatever the
/// sequence of moves:
///
/// - at most one current deployment per environment (the member that is [`Status::Deployed`]);
/// - a new deployment supersedes the previous one, which records it in its own trail
///   (`superseded`, by the new version);
/// - the current deployment's metrics are the champion that the next decision in that
///   environment sees ([`decision_context`](Self::decision_context)), without the host passing
///   them; an approval decided before the current deployment began never replaces it
///   ([`RegistryError::StaleApproval`]);
/// - the books read in time order: every move in an environment is at or after the latest the
///   registry has seen there, its clock, and a change of deployment (deploy, roll back, retire
///   the current one) strictly after it, alone at its instant ([`RegistryError::BeforeClock`]);
///   a promotion's observation of its source environment is a move there.
///
/// # Time
///
/// The registry trusts the hosts' clock, as every model's trail does: a time that runs
/// backwards is refused, never repaired. So a move dated far in the future (a host whose clock
/// is wrong, a promotion observed "in 2286") holds its environment until then: later moves at
/// real times are refused, naming the clock. Pass one trusted clock to every host that moves a
/// registry. A stored registry rebuilds its clocks from the trails.
///
/// So decisions and the moves that change an environment's deployment go through the registry:
/// [`decide`](Self::decide) (with the environment's champion), [`deploy`](Self::deploy),
/// [`roll_back`](Self::roll_back), [`retire`](Self::retire). The rest (submit, votes, revoke,
/// reopen, retrain, promote) the host does on the model itself: a new model goes in with
/// [`put`](Self::put); a member comes out with [`take`](Self::take) and goes back, continued,
/// with `put` (or `deploy`). A model decided outside the registry must have been decided with
/// [`decision_context`](Self::decision_context), or `put` refuses it
/// ([`RegistryError::OtherChampion`]): the champion a decision saw is part of its evidence.
///
/// ```
/// # use modelgate::*;
/// # let t = Timestamp::from_unix_secs;
/// let policy = MetricGate::at_least("accuracy", 0.9);
/// let mut registry = Registry::new("churn")?;
/// for (version, accuracy, at) in [("1", 0.91, 0), ("2", 0.93, 100)] {
///     let outcome = TrainingOutcome::new(format!("sha256:{version}"), Metrics::new([("accuracy", accuracy)])?)?;
///     let model = Model::new("churn", version)?.submit(outcome, "alice", t(at))?;
///     let ctx = registry.decision_context(&Default::default(), t(at + 1));
///     let approved = model.decide(&policy, &ctx)?.approved()?;
///     registry.deploy(approved, Receipt::new(format!("prod/{version}")), "ci", t(at + 2))?;
/// }
/// let default = Default::default();
/// assert_eq!(registry.current(&default).map(|m| m.version()), Some("2"));
/// assert_eq!(registry.champion(&default).and_then(|m| m.get("accuracy")), Some(0.93));
/// registry.roll_back(&default, &policy, "latency regression", "oncall", t(300))?;
/// assert_eq!(registry.current(&default).map(|m| m.version()), Some("1"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Registry {
    name: String,
    /// Keyed by environment, then version.
    members: BTreeMap<(String, String), AnyModel>,
    /// The version of each environment's current deployment: derived from the members, kept in
    /// step by [`put_member`](Self::put_member) and [`take_member`](Self::take_member), so
    /// that finding it costs a lookup, not a scan.
    current: BTreeMap<String, String>,
    /// Members taken out, by how many of their events the registry had checked and the last
    /// one's hash: put back continued, only the events after those are checked again.
    taken: BTreeMap<(String, String), (usize, Head)>,
    /// Each environment's clock: the latest time the registry has seen there (an event of a
    /// member, or a promotion's observation of a deployment there). Every move in an
    /// environment happens at or after it, so the registry's books read in time order.
    clock: BTreeMap<String, Timestamp>,
}

/// Two registries are equal when they hold the same name and members (what is stored).
impl PartialEq for Registry {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.members == other.members
    }
}

fn key(model: &AnyModel) -> (String, String) {
    (
        model.environment().name().to_owned(),
        model.version().to_owned(),
    )
}

/// The move recorded outside the registry among `events`, if any.
fn moved_outside(events: &[Event]) -> Option<&'static str> {
    events.iter().find_map(|e| match e.kind() {
        EventKind::Deployed { .. }
        | EventKind::Superseded { .. }
        | EventKind::RolledBack { .. }
        | EventKind::Reinstated { .. }
        | EventKind::Retired { .. } => Some(e.action()),
        _ => None,
    })
}

impl Registry {
    /// An empty registry of the model `name`.
    ///
    /// # Errors
    ///
    /// [`TextError`] if the name is not a valid identifier.
    pub fn new(name: impl AsRef<str>) -> Result<Self, TextError> {
        let name = name.as_ref();
        text::check("name", name)?;
        Ok(Self {
            name: name.to_owned(),
            members: BTreeMap::new(),
            current: BTreeMap::new(),
            taken: BTreeMap::new(),
            clock: BTreeMap::new(),
        })
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The member of `version` in `environment`.
    pub fn get(&self, environment: &Environment, version: &str) -> Option<&AnyModel> {
        self.members
            .get(&(environment.name().to_owned(), version.to_owned()))
    }

    /// Every member, by environment and then version.
    pub fn members(&self) -> impl Iterator<Item = &AnyModel> {
        self.members.values()
    }

    /// Adds a member, or puts back one taken out, continued: a model of the registry's name not
    /// deployed outside the registry. If a member of its version and environment is there, the
    /// model must continue its trail.
    ///
    /// # Errors
    ///
    /// [`RegistryError::OtherModel`], [`RegistryError::OtherSettings`],
    /// [`RegistryError::NotAContinuation`], [`RegistryError::MovedOutside`];
    /// [`RegistryError::BeforeClock`] for events (other than votes) dated before the
    /// environment's latest move;
    /// [`RegistryError::OtherChampion`] for a decision that did not see the environment's
    /// champion; [`RegistryError::UnknownDeployment`] for promotion evidence the registry does
    /// not hold. The model comes back inside the [`Refused`].
    #[allow(clippy::result_large_err)] // hands back the model
    pub fn put(
        &mut self,
        model: impl Into<AnyModel>,
    ) -> Result<(), Refused<AnyModel, RegistryError>> {
        let model = model.into();
        let checked = self.check_put(model.trail());
        if let Err(e) = checked {
            return Err(Refused::new(model, e));
        }
        self.put_member(model);
        Ok(())
    }

    /// A model of this name whose trail continues the member's of its version and environment
    /// (if there is one) without moves made outside the registry.
    fn check_put(&self, trail: &Trail) -> Result<(), RegistryError> {
        let (name, settings, version) = (trail.name(), trail.environment(), trail.version());
        let history = trail.events();
        if name != self.name {
            return Err(RegistryError::OtherModel {
                model: name.to_owned(),
                registry: self.name.clone(),
            });
        }
        if let Some(member) = self.in_environment(settings.name()).next()
            && member.environment() != settings
        {
            return Err(RegistryError::OtherSettings {
                environment: settings.name().to_owned(),
            });
        }
        let (environment, version) = (settings.name().to_owned(), version.to_owned());
        let k = (environment.clone(), version.clone());
        let new_events = match self.members.get(&k) {
            // Taken out and put back continued: the events the registry checked need no check.
            None => match self.taken.get(&k) {
                Some((n, head))
                    if n.checked_sub(1)
                        .and_then(|i| history.get(i))
                        .map(Event::hash)
                        == Some(*head) =>
                {
                    history.get(*n..).unwrap_or_default()
                }
                _ => history,
            },
            Some(old) => {
                let n = old.history().len();
                let continues = history.len() >= n
                    && n.checked_sub(1)
                        .and_then(|i| history.get(i))
                        .map(Event::hash)
                        == old.history().last().map(Event::hash);
                if !continues {
                    return Err(RegistryError::NotAContinuation {
                        version,
                        environment,
                    });
                }
                history.get(n..).unwrap_or_default()
            }
        };
        if let Some(action) = moved_outside(new_events) {
            return Err(RegistryError::MovedOutside {
                version,
                environment,
                action,
            });
        }
        // Votes do not move the books: their time is their reviewers' (a clock ahead or behind
        // must not refuse another reviewer's vote on another member).
        if let Some(first) = new_events
            .iter()
            .find(|e| !matches!(e.kind(), EventKind::Voted { .. }))
        {
            self.check_clock(&environment, &version, first.at())?;
        }
        // The environment's deployments, read from the trails only if a decision needs them.
        let mut tenures: Option<Vec<Tenure>> = None;
        for event in new_events {
            match event.kind() {
                EventKind::Decided {
                    champion: recorded, ..
                } if !self.was_champion(
                    &environment,
                    tenures.get_or_insert_with(|| self.history_in(&environment)),
                    recorded.as_ref(),
                    event.at(),
                ) =>
                {
                    return Err(RegistryError::OtherChampion {
                        version,
                        environment,
                        seq: event.seq(),
                    });
                }
                EventKind::Submitted {
                    outcome,
                    promotion: Some(promotion),
                    ..
                } => {
                    check_promotion_source(&self.members, &version, outcome, promotion)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Takes a member out to move it on (submit, record votes, decide, revoke, reopen, promote
    /// from it …); put it back with [`put`](Self::put) or deploy it with
    /// [`deploy`](Self::deploy).
    ///
    /// ```
    /// # use modelgate::*;
    /// # let t = Timestamp::from_unix_secs;
    /// # let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.93)])?)?;
    /// let production = Environment::new("production")?;
    /// let mut registry = Registry::new("churn")?;
    /// let model = Model::new("churn", "1")?.in_environment(production.clone());
    /// registry.put(model.submit(outcome, "alice", t(10))?)?;
    /// registry.record(&production, "1", Review::approve("bob", "sha256:1", t(11)))?;
    /// registry.decide(&production, "1", &Quorum::new(1), t(12))?;
    ///
    /// // An approved member comes out as `AnyModel::Approved`: only that one deploys.
    /// let AnyModel::Approved(approved) = registry.take(&production, "1")? else {
    ///     unreachable!("one approval of one required")
    /// };
    /// registry.deploy(approved, Receipt::new("deploy/1"), "ci", t(13))?;
    /// assert_eq!(registry.current(&production).map(|m| m.version()), Some("1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`RegistryError::NoSuchVersion`]; [`RegistryError::InService`] for a member that is
    /// deployed, superseded or retired: those stay in the registry.
    pub fn take(
        &mut self,
        environment: &Environment,
        version: &str,
    ) -> Result<AnyModel, RegistryError> {
        let k = (environment.name().to_owned(), version.to_owned());
        match self.members.get(&k).map(AnyModel::status) {
            None => Err(RegistryError::NoSuchVersion {
                version: k.1,
                environment: k.0,
            }),
            Some(status @ (Status::Deployed | Status::Superseded | Status::Retired)) => {
                Err(RegistryError::InService {
                    version: k.1,
                    environment: k.0,
                    status,
                })
            }
            Some(_) => {
                let model = self.take_member(&k).ok_or(RegistryError::NoSuchVersion {
                    version: k.1.clone(),
                    environment: k.0.clone(),
                })?;
                let checked = (model.history().len(), model.head());
                self.taken.insert(k, checked);
                Ok(model)
            }
        }
    }

    /// Records `review` on the member `version` of `environment`, which is under review: what
    /// [`take`](Self::take), [`Model::record`](crate::Model::record) and [`put`](Self::put)
    /// do, in one call. A vote does not move the books, so nothing else is checked.
    ///
    /// # Errors
    ///
    /// [`RegistryError::NoSuchVersion`]; [`RegistryError::NotSubmitted`] for a member that is
    /// not under review; [`RegistryError::Vote`] if the member refuses the vote. The review
    /// comes back inside the [`Refused`], and nothing changed.
    #[allow(clippy::result_large_err)] // hands back the review
    pub fn record(
        &mut self,
        environment: &Environment,
        version: &str,
        review: Review,
    ) -> Result<(), Refused<Review, RegistryError>> {
        let k = (environment.name().to_owned(), version.to_owned());
        let (version, environment) = (k.1.clone(), k.0.clone());
        match self.members.get_mut(&k) {
            None => Err(Refused::new(
                review,
                RegistryError::NoSuchVersion {
                    version,
                    environment,
                },
            )),
            Some(AnyModel::Submitted(model)) => model.record(review).map_err(|refused| {
                refused.map_err(|error| RegistryError::Vote {
                    version,
                    environment,
                    error: Box::new(error),
                })
            }),
            Some(other) => {
                let status = other.status();
                Err(Refused::new(
                    review,
                    RegistryError::NotSubmitted {
                        version,
                        environment,
                        status,
                    },
                ))
            }
        }
    }

    /// The environment's current deployment.
    pub fn current(&self, environment: &Environment) -> Option<&Model<Deployed>> {
        let version = self.current.get(environment.name())?;
        match self
            .members
            .get(&(environment.name().to_owned(), version.clone()))
        {
            Some(AnyModel::Deployed(m)) => Some(m),
            _ => None,
        }
    }

    /// When the environment's current deployment began (deployed, or reinstated).
    fn current_since(&self, environment: &Environment) -> Option<Timestamp> {
        self.current(environment).map(|m| m.stage().deployed_at())
    }

    /// The champion of the environment: its current deployment's metrics.
    pub fn champion(&self, environment: &Environment) -> Option<&Metrics> {
        self.champion_in(environment.name())
    }

    fn champion_in(&self, environment: &str) -> Option<&Metrics> {
        let version = self.current.get(environment)?;
        self.members
            .get(&(environment.to_owned(), version.clone()))
            .and_then(deployed_metrics)
    }

    /// Decides the submitted member of `version` in `environment` with `policy` at `at`, with
    /// the environment's champion in the context (see [`decision_context`](Self::decision_context)):
    /// the member becomes approved or rejected, or stays submitted while the policy is pending.
    /// Returns the verdict.
    ///
    /// # Errors
    ///
    /// [`RegistryError::NoSuchVersion`]; [`RegistryError::NotSubmitted`] for a member that is
    /// not awaiting a decision; [`RegistryError::BeforeClock`] for a time before the
    /// environment's latest move. Nothing changed.
    pub fn decide<P: Policy + ?Sized>(
        &mut self,
        environment: &Environment,
        version: &str,
        policy: &P,
        at: Timestamp,
    ) -> Result<Verdict, RegistryError> {
        let k = (environment.name().to_owned(), version.to_owned());
        if self.members.contains_key(&k) {
            self.check_clock(environment.name(), version, at)?;
        }
        let ctx = self.decision_context(environment, at);
        let model = match self.take_member(&k) {
            Some(AnyModel::Submitted(m)) => m,
            Some(other) => {
                let status = other.status();
                self.put_member(other);
                return Err(RegistryError::NotSubmitted {
                    version: version.to_owned(),
                    environment: environment.name().to_owned(),
                    status,
                });
            }
            None => {
                return Err(RegistryError::NoSuchVersion {
                    version: version.to_owned(),
                    environment: environment.name().to_owned(),
                });
            }
        };
        let (back, result) = match model.decide(policy, &ctx) {
            Ok(decided) => {
                let verdict = decided.verdict().clone();
                let back = match decided {
                    Decided::Approved(m) => AnyModel::Approved(m),
                    Decided::Rejected(m) => AnyModel::Rejected(m),
                    Decided::Pending(m, _) => AnyModel::Submitted(m),
                };
                (back, Ok(verdict))
            }
            Err(refused) => {
                let (model, error) = refused.into_parts();
                let error = RegistryError::Refused {
                    version: version.to_owned(),
                    environment: environment.name().to_owned(),
                    error: error.into(),
                };
                (AnyModel::Submitted(model), Err(error))
            }
        };
        self.put_member(back);
        result
    }

    /// A decision context at `at` for a model of `environment`, with the environment's champion
    /// in it.
    pub fn decision_context(&self, environment: &Environment, at: Timestamp) -> DecisionContext {
        DecisionContext::at(at).with_champion_opt(self.champion(environment).cloned())
    }

    /// The members of `environment`, found by range in the ordered map.
    fn in_environment<'a>(&'a self, environment: &str) -> impl Iterator<Item = &'a AnyModel> {
        let from = (environment.to_owned(), String::new());
        self.members
            .range(from..)
            .take_while(move |((env, _), _)| env == environment)
            .map(|(_, m)| m)
    }

    fn insert(&mut self, model: AnyModel) {
        self.put_member(model);
    }

    /// Puts `model` in under its key, keeping the index of current deployments in step.
    fn put_member(&mut self, model: AnyModel) {
        let (environment, version) = key(&model);
        self.taken.remove(&(environment.clone(), version.clone()));
        self.observe(&environment, model.history());
        if model.status() == Status::Deployed {
            self.current.insert(environment.clone(), version.clone());
        } else if self.current.get(&environment) == Some(&version) {
            self.current.remove(&environment);
        }
        self.members.insert((environment, version), model);
    }

    /// Takes the member under `k` out, keeping the index of current deployments in step.
    fn take_member(&mut self, k: &(String, String)) -> Option<AnyModel> {
        let model = self.members.remove(k)?;
        if self.current.get(&k.0) == Some(&k.1) {
            self.current.remove(&k.0);
        }
        Some(model)
    }

    pub(crate) fn from_members(
        name: String,
        members: BTreeMap<(String, String), AnyModel>,
    ) -> Self {
        let current = members
            .iter()
            .filter(|(_, m)| m.status() == Status::Deployed)
            .map(|((environment, version), _)| (environment.clone(), version.clone()))
            .collect();
        let mut registry = Self {
            name,
            members: BTreeMap::new(),
            current,
            taken: BTreeMap::new(),
            clock: BTreeMap::new(),
        };
        for model in members.values() {
            registry.observe(model.environment().name(), model.history());
        }
        registry.members = members;
        registry
    }
}
