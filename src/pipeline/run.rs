//! The sans-I/O run: the host polls the next action and hands results back.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{OnReject, Pipeline, PipelinePolicy};
use crate::decide::{Decided, DecisionContext};
use crate::deploy::Receipt;
use crate::model::Model;
use crate::outcome::{Digest, Metrics, OutcomeError, TrainingOutcome};
use crate::persist::Restored;
use crate::policy::{Finding, Verdict};
use crate::record::RecordError;
use crate::review::Review;
use crate::stage::{Approved, Status, Untrained};
use crate::submit::{SubmitError, Trainable};
use crate::text::{self, TextError};
use crate::time::{TimeWentBackwards, Timestamp};

/// What training produced: the artifact's digest, metrics known at training time, notes.
#[derive(Clone, Debug, PartialEq)]
pub struct Trained {
    digest: Digest,
    metrics: Metrics,
    notes: String,
}

impl Trained {
    /// The artifact with this digest and training-time metrics (evaluation adds more).
    pub fn new(digest: impl Into<String>, metrics: Metrics) -> Result<Self, OutcomeError> {
        Ok(Self {
            digest: Digest::new(digest)?,
            metrics,
            notes: String::new(),
        })
    }

    /// The same, with notes.
    #[must_use]
    pub fn with_notes(mut self, notes: impl Into<String>) -> Self {
        self.notes = notes.into();
        self
    }
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Finished {
    /// Approved and deployed.
    Deployed {
        /// The host's receipt.
        receipt: Receipt,
    },
    /// Approved; the pipeline has no deploy step.
    Approved,
    /// Rejected, and `on_reject` says fail (or the attempts ran out).
    Failed {
        /// Attempts made.
        attempts: u32,
        /// The findings of the last rejection.
        findings: Vec<Finding>,
    },
}

/// What the host must do next.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Train (attempt 1), or retrain with the last rejection's findings as feedback.
    Train {
        /// The attempt, from 1.
        attempt: u32,
        /// The findings of the last rejection; empty on the first attempt.
        feedback: Vec<Finding>,
    },
    /// Evaluate the artifact for the test step `step`, then call [`Run::handle_evaluated`].
    Evaluate {
        /// The test step.
        step: String,
        /// The artifact to evaluate.
        artifact: Digest,
    },
    /// Wait for votes ([`Run::record_vote`]) and poll again; the run may be checkpointed now.
    AwaitApproval {
        /// The approval step.
        step: String,
        /// Who may approve (user ids or roles).
        approvers: Vec<String>,
        /// How many approvals are required.
        required: usize,
        /// The artifact the votes must name.
        artifact: Digest,
        /// The policy's current verdict (pending), explaining what is missing.
        verdict: Verdict,
    },
    /// Deploy the approved artifact, then call [`Run::handle_deployed`].
    Deploy {
        /// The artifact to deploy.
        artifact: Digest,
    },
    /// The run is over.
    Finished(Finished),
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Train { attempt, feedback } if feedback.is_empty() => {
                write!(f, "train (attempt {attempt})")
            }
            Self::Train { attempt, feedback } => {
                let feedback: Vec<String> = feedback.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "retrain (attempt {attempt}; feedback: {})",
                    feedback.join("; ")
                )
            }
            Self::Evaluate { step, artifact } => {
                write!(f, "evaluate `{artifact}` for step `{step}`")
            }
            Self::AwaitApproval {
                step,
                approvers,
                required,
                verdict,
                ..
            } => write!(
                f,
                "await approval at step `{step}` ({required} of {}): {verdict}",
                approvers.join(", ")
            ),
            Self::Deploy { artifact } => write!(f, "deploy `{artifact}`"),
            Self::Finished(Finished::Deployed { receipt }) => {
                write!(f, "finished: deployed, receipt `{receipt}`")
            }
            Self::Finished(Finished::Approved) => f.write_str("finished: approved"),
            Self::Finished(Finished::Failed { attempts, findings }) => {
                let findings: Vec<String> = findings.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "finished: failed after {attempts} attempt(s): {}",
                    findings.join("; ")
                )
            }
        }
    }
}

/// Where a run stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Phase {
    /// Waiting for training.
    Train,
    /// Waiting for the evaluation of the `test`-th test step.
    Evaluate {
        test: usize,
        digest: Digest,
        metrics: Metrics,
        notes: String,
    },
    /// Submitted: deciding, and waiting for votes while pending.
    Review,
    /// Approved: waiting for the deployment.
    Deploy,
    /// Over.
    Finished(Finished),
}

impl Phase {
    pub(crate) fn waiting_for(&self) -> &'static str {
        match self {
            Self::Train => "training",
            Self::Evaluate { .. } => "an evaluation",
            Self::Review => "votes",
            Self::Deploy => "the deployment",
            Self::Finished(_) => "nothing (it is finished)",
        }
    }

    /// The model status this phase holds.
    pub(crate) fn holds(&self, status: Status) -> bool {
        matches!(
            (self, status),
            (
                Self::Train | Self::Evaluate { .. },
                Status::Untrained | Status::Retraining
            ) | (Self::Review, Status::Submitted)
                | (
                    Self::Deploy | Self::Finished(Finished::Approved),
                    Status::Approved
                )
                | (Self::Finished(Finished::Deployed { .. }), Status::Deployed)
                | (Self::Finished(Finished::Failed { .. }), Status::Rejected)
        )
    }
}

/// An input the run refused; the run is unchanged.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The input does not fit where the run stands.
    #[error("the run is waiting for {waiting_for}, not for {input}")]
    NotExpected {
        /// What was handed in.
        input: &'static str,
        /// What the run waits for.
        waiting_for: &'static str,
    },
    /// An evaluation for another step than the one the run waits for.
    #[error("the run is waiting for the evaluation of step `{expected}`, not `{found}`")]
    WrongStep {
        /// The step the run waits for.
        expected: String,
        /// The step named.
        found: String,
    },
    /// The submission was refused.
    #[error("{0}")]
    Submit(SubmitError),
    /// The vote was refused.
    #[error("{0}")]
    Vote(RecordError),
    /// The time is earlier than the model's last event.
    #[error(transparent)]
    TimeWentBackwards(#[from] TimeWentBackwards),
    /// The run's phase and its model's stage disagree (only a bug could cause this).
    #[error("the run waits for {waiting_for} but its model is {status}")]
    Inconsistent {
        /// What the run waits for.
        waiting_for: &'static str,
        /// The model's status.
        status: Status,
    },
}

/// A model driven through a [`Pipeline`], sans I/O: [`poll`](Self::poll) says what the host
/// must do next; `handle_*` and [`record_vote`](Self::record_vote) hand the results back. Time
/// is always the host's. Between any two calls the run can be saved with
/// [`checkpoint`](Self::checkpoint) and restored in another process.
///
/// ```
/// # use modelgate::*;
/// # let t = Timestamp::from_unix_secs;
/// let spec: PipelineSpec = serde_json::from_str(r#"{"steps": [
///     {"name": "train", "type": "training"},
///     {"name": "approve", "type": "approval", "inputs": {"approvers": ["bob"]}}
/// ]}"#)?;
/// let mut run = Run::new(spec.validate()?, Model::new("churn", "1")?, "alice")?;
/// assert_eq!(run.poll(t(1))?.to_string(), "train (attempt 1)");
/// run.handle_trained(Trained::new("sha256:1", Metrics::default())?, t(2))?;
/// assert!(matches!(run.poll(t(3))?, Action::AwaitApproval { .. }));
/// run.record_vote(Review::approve("bob", "sha256:1", t(4)))?;
/// assert_eq!(run.poll(t(5))?.to_string(), "finished: approved");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Run {
    pub(crate) pipeline: Pipeline,
    pub(crate) policy: PipelinePolicy,
    pub(crate) submitter: String,
    pub(crate) phase: Phase,
    pub(crate) model: Restored,
}

impl Run {
    /// A run of `model` through `pipeline`, submitted by `submitter`.
    pub fn new(
        pipeline: Pipeline,
        model: Model<Untrained>,
        submitter: impl Into<String>,
    ) -> Result<Run, TextError> {
        let submitter = submitter.into();
        text::check("submitter", &submitter)?;
        let policy = pipeline.policy();
        Ok(Run {
            pipeline,
            policy,
            submitter,
            phase: Phase::Train,
            model: Restored::Untrained(model),
        })
    }

    /// The pipeline.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The model, in whichever stage it is.
    pub fn model(&self) -> &Restored {
        &self.model
    }

    /// The approved model, while the run waits for its deployment.
    pub fn approved(&self) -> Option<&Model<Approved>> {
        match (&self.phase, &self.model) {
            (Phase::Deploy, Restored::Approved(m)) => Some(m),
            _ => None,
        }
    }

    /// What the host must do next, deciding at `now` if the model is under review.
    pub fn poll(&mut self, now: Timestamp) -> Result<Action, RunError> {
        let pending = match self.phase {
            Phase::Review => self.decide(now)?,
            _ => None,
        };
        Ok(match &self.phase {
            Phase::Train => {
                let (attempt, feedback) = match &self.model {
                    Restored::Retraining(m) => (
                        m.stage().attempts().saturating_add(1),
                        m.stage().feedback().to_vec(),
                    ),
                    _ => (1, Vec::new()),
                };
                Action::Train { attempt, feedback }
            }
            Phase::Evaluate { test, digest, .. } => Action::Evaluate {
                step: self
                    .pipeline
                    .tests()
                    .nth(*test)
                    .map(|s| s.name.clone())
                    .unwrap_or_default(),
                artifact: digest.clone(),
            },
            Phase::Review => self.awaiting(pending)?,
            Phase::Deploy => match self.approved() {
                Some(m) => Action::Deploy {
                    artifact: m.stage().submission().outcome().digest().clone(),
                },
                None => return Err(self.inconsistent(self.model.status())),
            },
            Phase::Finished(finished) => Action::Finished(finished.clone()),
        })
    }

    fn inconsistent(&self, status: Status) -> RunError {
        RunError::Inconsistent {
            waiting_for: self.phase.waiting_for(),
            status,
        }
    }

    /// The action while the policy's verdict on the submitted model is `pending`.
    fn awaiting(&self, pending: Option<Verdict>) -> Result<Action, RunError> {
        let (step, approval) = match self.pipeline.approval() {
            Some((step, a)) => (step.to_owned(), Some(a)),
            None => (String::new(), None),
        };
        let (Restored::Submitted(m), Some(verdict)) = (&self.model, pending) else {
            return Err(self.inconsistent(self.model.status()));
        };
        Ok(Action::AwaitApproval {
            step,
            approvers: approval.map(|a| a.approvers.clone()).unwrap_or_default(),
            required: approval.map_or(0, |a| a.required),
            artifact: m.stage().submission().outcome().digest().clone(),
            verdict,
        })
    }

    /// Training finished: the artifact and its training-time metrics.
    pub fn handle_trained(&mut self, trained: Trained, now: Timestamp) -> Result<(), RunError> {
        if self.phase != Phase::Train {
            return Err(self.not_expected("a trained model"));
        }
        let Trained {
            digest,
            metrics,
            notes,
        } = trained;
        self.evaluate_or_submit(0, digest, metrics, notes, now)
    }

    /// The evaluation of the test step `step` finished with `metrics` (they join, and replace,
    /// the metrics known so far).
    pub fn handle_evaluated(
        &mut self,
        step: &str,
        metrics: Metrics,
        now: Timestamp,
    ) -> Result<(), RunError> {
        let Phase::Evaluate {
            test,
            digest,
            metrics: known,
            notes,
        } = &self.phase
        else {
            return Err(self.not_expected("an evaluation"));
        };
        let expected = self
            .pipeline
            .tests()
            .nth(*test)
            .map(|s| s.name.as_str())
            .unwrap_or_default();
        if expected != step {
            return Err(RunError::WrongStep {
                expected: expected.to_owned(),
                found: step.to_owned(),
            });
        }
        let merged = known.clone().merged(&metrics);
        let (test, digest, notes) = (test + 1, digest.clone(), notes.clone());
        self.evaluate_or_submit(test, digest, merged, notes, now)
    }

    fn evaluate_or_submit(
        &mut self,
        test: usize,
        digest: Digest,
        metrics: Metrics,
        notes: String,
        now: Timestamp,
    ) -> Result<(), RunError> {
        if self.pipeline.tests().nth(test).is_some() {
            self.phase = Phase::Evaluate {
                test,
                digest,
                metrics,
                notes,
            };
            return Ok(());
        }
        let outcome = TrainingOutcome::from_parts(digest, metrics, notes);
        let submitter = self.submitter.clone();
        let (model, result) = match self.take() {
            Restored::Untrained(m) => submit(m, outcome, submitter, now, Restored::Untrained),
            Restored::Retraining(m) => submit(m, outcome, submitter, now, Restored::Retraining),
            other => {
                let e = self.inconsistent(other.status());
                (other, Err(e))
            }
        };
        self.model = model;
        if result.is_ok() {
            self.phase = Phase::Review;
        }
        result
    }

    /// A reviewer's vote, while the model is under review (also while the run is paused).
    pub fn record_vote(&mut self, review: Review) -> Result<(), RunError> {
        match (&self.phase, &mut self.model) {
            (Phase::Review, Restored::Submitted(m)) => m.record(review).map_err(RunError::Vote),
            _ => Err(self.not_expected("a vote")),
        }
    }

    /// The host deployed the approved model, with this receipt.
    pub fn handle_deployed(&mut self, receipt: Receipt, now: Timestamp) -> Result<(), RunError> {
        if self.phase != Phase::Deploy {
            return Err(self.not_expected("a deployment"));
        }
        let (model, result) = match self.take() {
            Restored::Approved(m) => match m.mark_deployed(receipt.clone(), now) {
                Ok(m) => (Restored::Deployed(m), Ok(())),
                Err(e) => {
                    let (m, e) = e.into_parts();
                    (Restored::Approved(m), Err(RunError::TimeWentBackwards(e)))
                }
            },
            other => {
                let e = self.inconsistent(other.status());
                (other, Err(e))
            }
        };
        self.model = model;
        if result.is_ok() {
            self.phase = Phase::Finished(Finished::Deployed { receipt });
        }
        result
    }

    /// Decides the submitted model at `now` and moves on: deploy, retrain, fail, or wait (then
    /// the pending verdict is returned).
    fn decide(&mut self, now: Timestamp) -> Result<Option<Verdict>, RunError> {
        let model = match self.take() {
            Restored::Submitted(model) => model,
            other => {
                self.model = other;
                return Ok(None);
            }
        };
        let decided = match model.decide(&self.policy, &DecisionContext::at(now)) {
            Ok(decided) => decided,
            Err(e) => {
                let (m, e) = e.into_parts();
                self.model = Restored::Submitted(m);
                return Err(e.into());
            }
        };
        let on_reject = self
            .pipeline
            .approval()
            .map_or(OnReject::FailPipeline, |(_, a)| a.on_reject);
        match decided {
            Decided::Pending(m, verdict) => {
                self.model = Restored::Submitted(m);
                return Ok(Some(verdict));
            }
            Decided::Approved(m) => {
                self.phase = if self.pipeline.deploys() {
                    Phase::Deploy
                } else {
                    Phase::Finished(Finished::Approved)
                };
                self.model = Restored::Approved(m);
            }
            Decided::Rejected(m) => {
                let attempts = m.stage().submission().attempt();
                let retry = matches!(on_reject, OnReject::Retrain { max_attempts } if attempts < max_attempts);
                if !retry {
                    let findings = m.stage().findings().to_vec();
                    self.phase = Phase::Finished(Finished::Failed { attempts, findings });
                    self.model = Restored::Rejected(m);
                    return Ok(None);
                }
                match m.retrain(now) {
                    Ok(m) => {
                        self.phase = Phase::Train;
                        self.model = Restored::Retraining(m);
                    }
                    Err(e) => {
                        let (m, e) = e.into_parts();
                        self.model = Restored::Rejected(m);
                        return Err(e.into());
                    }
                }
            }
        }
        Ok(None)
    }

    fn take(&mut self) -> Restored {
        std::mem::replace(&mut self.model, Restored::Untrained(Model::placeholder()))
    }

    fn not_expected(&self, input: &'static str) -> RunError {
        RunError::NotExpected {
            input,
            waiting_for: self.phase.waiting_for(),
        }
    }
}

/// Submits `model` (untrained or retraining); on refusal, puts it back with `back`.
fn submit<S: Trainable>(
    model: Model<S>,
    outcome: TrainingOutcome,
    submitter: String,
    now: Timestamp,
    back: fn(Model<S>) -> Restored,
) -> (Restored, Result<(), RunError>) {
    match model.submit(outcome, submitter, now) {
        Ok(m) => (Restored::Submitted(m), Ok(())),
        Err(e) => {
            let (m, e) = e.into_parts();
            (back(m), Err(RunError::Submit(e)))
        }
    }
}
