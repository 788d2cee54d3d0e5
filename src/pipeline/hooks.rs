//! Hooks for hosts that drive a run synchronously: training, evaluation, deployment.

use std::fmt;

use super::run::{Action, Run, RunError, Trained};
use crate::deploy::Deployer;
use crate::outcome::{Digest, Metrics};
use crate::policy::Finding;
use crate::time::Timestamp;

/// The host's training hook.
pub trait Trainer {
    /// Why training failed.
    type Error: std::error::Error + 'static;

    /// Trains attempt `attempt` (from 1), given the last rejection's findings as `feedback`.
    fn train(&mut self, attempt: u32, feedback: &[Finding]) -> Result<Trained, Self::Error>;
}

/// The host's evaluation hook.
pub trait Evaluator {
    /// Why evaluation failed.
    type Error: std::error::Error + 'static;

    /// Evaluates `artifact` for the test step `step`.
    fn evaluate(&mut self, step: &str, artifact: &Digest) -> Result<Metrics, Self::Error>;
}

/// A hook or the run failed while driving; the run is intact and can be driven again.
#[derive(Debug)]
pub enum DriveError<T, E, D> {
    /// The trainer failed.
    Train(T),
    /// The evaluator failed.
    Evaluate(E),
    /// The deployer failed.
    Deploy(D),
    /// The run refused a result.
    Run(RunError),
}

impl<T, E, D> fmt::Display for DriveError<T, E, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Train(_) => f.write_str("training failed"),
            Self::Evaluate(_) => f.write_str("evaluation failed"),
            Self::Deploy(_) => f.write_str("deployment failed"),
            Self::Run(e) => write!(f, "{e}"),
        }
    }
}

impl<T, E, D> std::error::Error for DriveError<T, E, D>
where
    T: std::error::Error + 'static,
    E: std::error::Error + 'static,
    D: std::error::Error + 'static,
{
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Train(e) => Some(e),
            Self::Evaluate(e) => Some(e),
            Self::Deploy(e) => Some(e),
            Self::Run(_) => None,
        }
    }
}

/// The error of [`Run::drive`] with hooks `H`.
pub type HookError<H> =
    DriveError<<H as Trainer>::Error, <H as Evaluator>::Error, <H as Deployer>::Error>;

impl Run {
    /// Drives the run with the host's hooks until it must pause for approval
    /// ([`Action::AwaitApproval`]) or is [`Action::Finished`]; `now` gives the host's time at each
    /// step. A hook's error is returned with the run intact: drive again to retry.
    pub fn drive<H>(
        &mut self,
        hooks: &mut H,
        mut now: impl FnMut() -> Timestamp,
    ) -> Result<Action, HookError<H>>
    where
        H: Trainer + Evaluator + Deployer,
    {
        loop {
            let action = self.poll(now()).map_err(DriveError::Run)?;
            match action {
                Action::Train { attempt, feedback } => {
                    let trained = hooks.train(attempt, &feedback).map_err(DriveError::Train)?;
                    self.handle_trained(trained, now())
                        .map_err(DriveError::Run)?;
                }
                Action::Evaluate { step, artifact } => {
                    let metrics = hooks
                        .evaluate(&step, &artifact)
                        .map_err(DriveError::Evaluate)?;
                    self.handle_evaluated(&step, metrics, now())
                        .map_err(DriveError::Run)?;
                }
                Action::Deploy { .. } => {
                    let Some(model) = self.approved() else {
                        let status = self.model().status();
                        return Err(DriveError::Run(RunError::Inconsistent {
                            waiting_for: "the deployment",
                            status,
                        }));
                    };
                    let receipt = hooks.deploy(model).map_err(DriveError::Deploy)?;
                    self.handle_deployed(receipt, now())
                        .map_err(DriveError::Run)?;
                }
                paused @ (Action::AwaitApproval { .. } | Action::Finished(_)) => return Ok(paused),
            }
        }
    }
}
