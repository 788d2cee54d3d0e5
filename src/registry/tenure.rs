//! An environment's deployments, read from its members' trails: when each began and how it
//! ended.

use super::Registry;
use crate::event::EventKind;
use crate::value::Environment;
use crate::value::Timestamp;
use crate::value::text::esc;

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

impl Registry {
    /// The environment's deployments in the order they began, each from its trail.
    pub fn history(&self, environment: &Environment) -> Vec<Tenure> {
        self.history_in(environment.name())
    }

    /// The names of the environments with members, each once, in order.
    pub(crate) fn environment_names(&self) -> std::collections::BTreeSet<&str> {
        self.members.keys().map(|(env, _)| env.as_str()).collect()
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
}
