//! Hooks for hosts that drive a run synchronously: training, evaluation, deployment.

use std::fmt;

use super::{Action, Artifact, Run, RunError};
use crate::model::Deployer;
use crate::policy::Finding;
use crate::value::{Digest, Metrics, Timestamp};

/// The host's training hook: it also provides the artifact to review when the pipeline has no
/// training step (then it is called once, with attempt 1 and no feedback).
pub trait Trainer {
    /// Why training failed.
    type Error: std::error::Error + 'static;

    /// Trains attempt `attempt` (from 1), given the last rejection's findings as `feedback`.
    ///
    /// # Errors
    ///
    /// The host's own error; the run is intact and can be driven again.
    fn train(&mut self, attempt: u32, feedback: &[Finding]) -> Result<Artifact, Self::Error>;
}

/// The host's evaluation hook.
pub trait Evaluator {
    /// Why evaluation failed.
    type Error: std::error::Error + 'static;

    /// Evaluates `artifact` for the test step `step`.
    ///
    /// # Errors
    ///
    /// The host's own error; the run is intact and can be driven again.
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
    /// step. A failed deployment is recorded in the trail.
    ///
    /// # Errors
    ///
    /// A hook's error ([`DriveError::Train`], [`DriveError::Evaluate`], [`DriveError::Deploy`])
    /// or a refused result ([`DriveError::Run`]), with the run intact: drive again to retry.
    ///
    /// ```
    /// # use modelgate::*;
    /// # use std::convert::Infallible;
    /// struct Host;
    /// impl Trainer for Host {
    ///     type Error = Infallible;
    ///     fn train(&mut self, _: u32, _: &[Finding]) -> Result<Artifact, Infallible> {
    ///         Ok(Artifact::new("sha256:1", Metrics::new([("accuracy", 0.97)]).unwrap()).unwrap())
    ///     }
    /// }
    /// impl Evaluator for Host {
    ///     type Error = Infallible;
    ///     fn evaluate(&mut self, _: &str, _: &Digest) -> Result<Metrics, Infallible> {
    ///         Ok(Metrics::default())
    ///     }
    /// }
    /// impl Deployer for Host {
    ///     type Error = Infallible;
    ///     fn deploy(&mut self, _: &Model<Approved>) -> Result<Receipt, Infallible> {
    ///         Ok(Receipt::new("prod"))
    ///     }
    /// }
    /// let spec: PipelineSpec = serde_json::from_str(r#"{"steps": [
    ///     {"name": "train", "type": "training"},
    ///     {"name": "approve", "type": "approval",
    ///      "inputs": {"auto_approve": {"metric": "accuracy", "above": 0.95}}},
    ///     {"name": "deploy", "type": "deploy"}
    /// ]}"#)?;
    /// let mut run = Run::start(spec.validate()?, Model::new("churn", "1")?, "alice", Timestamp::from_unix_secs(0))?;
    /// let mut clock = 0;
    /// let action = run.drive(&mut Host, || { clock += 1; Timestamp::from_unix_secs(clock) })?;
    /// assert_eq!(action.to_string(), "finished: deployed after 1 attempt(s)");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
                    let artifact = hooks.train(attempt, &feedback).map_err(DriveError::Train)?;
                    self.handle_artifact(artifact, now())
                        .map_err(|e| DriveError::Run(e.into_error()))?;
                }
                Action::ProvideArtifact => {
                    let artifact = hooks.train(1, &[]).map_err(DriveError::Train)?;
                    self.handle_artifact(artifact, now())
                        .map_err(|e| DriveError::Run(e.into_error()))?;
                }
                Action::Evaluate { step, artifact } => {
                    let metrics = hooks
                        .evaluate(&step, &artifact)
                        .map_err(DriveError::Evaluate)?;
                    self.handle_evaluated(&step, metrics, now())
                        .map_err(|e| DriveError::Run(e.into_error()))?;
                }
                Action::Deploy { .. } => {
                    let Some(model) = self.approved() else {
                        return Err(DriveError::Run(RunError::NotExpected {
                            input: "a deployment",
                            waiting_for: "the deployment",
                        }));
                    };
                    // The deployer is called only for an approval that holds at the time the
                    // deployment is recorded.
                    let at = now();
                    if let Err(e) = model.check_not_lapsed(at) {
                        return Err(DriveError::Run(RunError::Action(e)));
                    }
                    match hooks.deploy(model) {
                        Ok(receipt) => {
                            if let Err(refused) = self.handle_deployed(receipt, at) {
                                // A deployment whose receipt cannot be recorded is recorded as
                                // a failed attempt, saying why: none goes unrecorded.
                                let error = refused.into_error();
                                let why = format!("the deployer's receipt is refused: {error}");
                                self.handle_deploy_failed(why, at)
                                    .map_err(|refused| DriveError::Run(refused.into_error()))?;
                                return Err(DriveError::Run(error));
                            }
                        }
                        Err(e) => {
                            self.handle_deploy_failed(e.to_string(), now())
                                .map_err(|refused| DriveError::Run(refused.into_error()))?;
                            return Err(DriveError::Deploy(e));
                        }
                    }
                }
                paused @ (Action::AwaitApproval { .. } | Action::Finished { .. }) => {
                    return Ok(paused);
                }
            }
        }
    }
}
