//! The versions of one model across its environments: per environment, the current deployment
//! and the history of deployments; stored as its members' trails and restored by checking each.

mod error;
mod stored;

use std::collections::BTreeMap;

use crate::event::{Event, EventKind, Head};
use crate::model::{
    ActionError, AnyModel, Approved, Decided, DecisionContext, Deployed, Model, Status, Superseded,
};
use crate::policy::{Policy, Verdict};
use crate::value::text::{self, TextError, esc};
use crate::value::{Environment, Metrics, Promotion, Receipt, Refused, Timestamp, TrainingOutcome};

pub use error::RegistryError;
pub use stored::{PolicyBook, StoredRegistry};

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

/// One deployment of a version in an environment, from its trail: when it started, and how it
/// ended, if it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenure {
    /// The version deployed.
    pub version: String,
    /// When it became the environment's current deployment.
    pub from: Timestamp,
    /// When and how it stopped being it; `None` while it is.
    pub until: Option<(Timestamp, Ended)>,
}

/// How a deployment ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ended {
    /// The next version was deployed.
    Superseded {
        /// That version.
        by: String,
    },
    /// The environment went back to an earlier version.
    RolledBack {
        /// That version.
        to: String,
    },
    /// It was retired.
    Retired {
        /// Whether for cause.
        for_cause: bool,
    },
}

/// Whether the event ends a deployment.
fn ended_deployment(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Superseded { .. } | EventKind::RolledBack { .. } | EventKind::Retired { .. }
    )
}

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
fn deployed_metrics(model: &AnyModel) -> Option<&Metrics> {
    match model {
        AnyModel::Deployed(m) => Some(m.stage().submission().metrics()),
        AnyModel::Superseded(m) => Some(m.stage().deployed().submission().metrics()),
        AnyModel::Retired(m) => Some(m.stage().deployed().submission().metrics()),
        _ => None,
    }
}

impl std::fmt::Display for Ended {
    /// `superseded by 5`, `rolled back to 3`, `retired`, `retired for cause`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Superseded { by } => write!(f, "superseded by {}", esc(by)),
            Self::RolledBack { to } => write!(f, "rolled back to {}", esc(to)),
            Self::Retired { for_cause: false } => f.write_str("retired"),
            Self::Retired { for_cause: true } => f.write_str("retired for cause"),
        }
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

/// The evidence of a promotion of `version` must be a deployment in the trail of the member of
/// that version in the environment it came from, of the artifact submitted (`outcome`).
pub(crate) fn check_promotion(
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
                    ended_deployment(later.kind())
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
    /// [`RegistryError::BeforeClock`] for events dated before the environment's latest move;
    /// [`RegistryError::OtherChampion`] for a decision that did not see the environment's
    /// champion; [`RegistryError::UnknownDeployment`] for promotion evidence the registry does
    /// not hold. The model comes back inside the [`Refused`].
    #[allow(clippy::result_large_err)] // hands back the model
    pub fn put(
        &mut self,
        model: impl Into<AnyModel>,
    ) -> Result<(), Refused<AnyModel, RegistryError>> {
        let model = model.into();
        let checked = self.check_put(
            model.name(),
            model.environment(),
            model.version(),
            model.history(),
        );
        if let Err(e) = checked {
            return Err(Refused::new(model, e));
        }
        self.put_member(model);
        Ok(())
    }

    /// A model of this name whose trail continues the member's of its version and environment
    /// (if there is one) without moves made outside the registry.
    fn check_put(
        &self,
        name: &str,
        settings: &Environment,
        version: &str,
        history: &[Event],
    ) -> Result<(), RegistryError> {
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
        if let Some(first) = new_events.first() {
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
                    check_promotion(&self.members, &version, outcome, promotion)?;
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

    /// The environment's deployments in the order they began, each from its trail.
    pub fn history(&self, environment: &Environment) -> Vec<Tenure> {
        self.history_in(environment.name())
    }

    pub(crate) fn history_in(&self, environment: &str) -> Vec<Tenure> {
        let mut out = Vec::new();
        for model in self.in_environment(environment) {
            let mut open: Option<Timestamp> = None;
            for e in model.history() {
                let ended = match e.kind() {
                    EventKind::Deployed { .. } | EventKind::Reinstated { .. } => {
                        open = Some(e.at());
                        None
                    }
                    EventKind::Superseded { by_version, .. } => Some(Ended::Superseded {
                        by: by_version.clone(),
                    }),
                    EventKind::RolledBack { to_version, .. } => Some(Ended::RolledBack {
                        to: to_version.clone(),
                    }),
                    EventKind::Retired { for_cause, .. } => Some(Ended::Retired {
                        for_cause: *for_cause,
                    }),
                    _ => None,
                };
                if let Some(how) = ended
                    && let Some(from) = open.take()
                {
                    out.push(Tenure {
                        version: model.version().to_owned(),
                        from,
                        until: Some((e.at(), how)),
                    });
                }
            }
            if let Some(from) = open {
                out.push(Tenure {
                    version: model.version().to_owned(),
                    from,
                    until: None,
                });
            }
        }
        out.sort_by(|a, b| {
            a.from
                .cmp(&b.from)
                .then(a.until.is_some().cmp(&b.until.is_some()).reverse())
        });
        out
    }

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
        let checked = self.check_put(
            model.name(),
            model.environment(),
            model.version(),
            model.history(),
        );
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
            && let Err(error) = current.check_move(by, at)
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
            .check_move(by, at)
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

    fn take_current(&mut self, environment: &Environment) -> Option<Model<Deployed>> {
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

    fn insert(&mut self, model: AnyModel) {
        self.put_member(model);
    }

    /// Advances the clocks for `events` of a member of `environment`: its own, and that of
    /// every environment a promotion among them observed.
    fn observe(&mut self, environment: &str, events: &[Event]) {
        let mut advance = |env: &str, at: Timestamp| {
            let clock = self.clock.entry(env.to_owned()).or_insert(at);
            *clock = (*clock).max(at);
        };
        for event in events {
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
    fn check_clock(
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
    fn check_clock_strictly(
        &self,
        environment: &str,
        version: &str,
        at: Timestamp,
    ) -> Result<(), RegistryError> {
        self.clock_allows(environment, version, at, true)
    }

    fn clock_allows(
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

impl Model<Deployed> {
    /// The checks any move of a deployment makes: the actor and the time.
    pub(crate) fn check_move(&self, by: &str, at: Timestamp) -> Result<(), ActionError> {
        crate::model::check_actor(by).map_err(ActionError::Actor)?;
        self.trail.check_time(at)?;
        Ok(())
    }
}

impl Model<Superseded> {
    /// The version that replaced it (for the registry's consistency check).
    pub(crate) fn replaced_by(&self) -> &str {
        self.stage.by_version()
    }
}
