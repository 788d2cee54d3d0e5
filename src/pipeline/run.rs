//! The sans-I/O run: the host polls the next action and hands results back; everything the run
//! does goes into its model's trail.

use super::state::{Candidate, Finished, State, Training};
use super::{Action, Artifact, OnReject, Pipeline, PipelinePolicy, RunError};
use crate::event::{Event, Fingerprint, Head, RunOutcome};
use crate::model::{
    AnyModel, Approved, Decided, DecisionContext, Model, Recorded, Status, Submitted, Trail,
    Untrained,
};
use crate::policy::Verdict;
use crate::trail::StoredModel;
use crate::value::Environment;
use crate::value::text;
use crate::value::{Metrics, Receipt, Refused, Review, Timestamp, TrainingOutcome};

/// A model driven through a [`Pipeline`], sans I/O: [`poll`](Self::poll) says what the host
/// must do next; `handle_*` and [`record_vote`](Self::record_vote) hand the results back. Time
/// is always the host's.
///
/// Everything the run does is in its model's trail (the artifact, each evaluation, the
/// submission, the votes, the decision, a failed deploy, the end), so the trail is the whole
/// checkpoint: store `StoredModel::from(&run)` (sealed) between any two calls, and
/// [`Run::restore`] replays it through these same methods against the pipeline the host passes.
///
/// ```
/// # use modelgate::*;
/// # let t = Timestamp::from_unix_secs;
/// let spec: PipelineSpec = serde_json::from_str(r#"{"steps": [
///     {"name": "train", "type": "training"},
///     {"name": "approve", "type": "approval", "inputs": {"approvers": ["bob"]}}
/// ]}"#)?;
/// let mut run = Run::start(spec.validate()?, Model::new("churn", "1")?, "alice", t(0))?;
/// assert_eq!(run.poll(t(1))?.to_string(), "train (attempt 1)");
/// run.handle_artifact(Artifact::new("sha256:1", Metrics::default())?, t(2))?;
/// assert!(matches!(run.poll(t(3))?, Action::AwaitApproval { .. }));
/// run.record_vote(Review::approve("bob", "sha256:1", t(4)))?;
/// assert_eq!(run.poll(t(5))?.to_string(), "finished: approved after 1 attempt(s)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Run {
    pipeline: Pipeline,
    policy: PipelinePolicy,
    fingerprint: Fingerprint,
    submitter: String,
    state: State,
    /// Which fingerprint its decisions record: the policy's, except while a replay decides
    /// again a decision recorded before policies had fingerprints.
    decisions: Recorded,
}

impl Run {
    /// Starts a run of `model` through `pipeline`, submitted by `submitter`, at `at`: records
    /// `run started` with the pipeline's fingerprint.
    ///
    /// # Errors
    ///
    /// [`RunError::Submitter`] if the submitter's id is refused, [`RunError::WrongEnvironment`]
    /// if the model is for another environment than the pipeline (name and approval window);
    /// the pipeline and the model come back inside the [`Refused`].
    pub fn start(
        pipeline: Pipeline,
        model: Model<Untrained>,
        submitter: &str,
        at: Timestamp,
    ) -> Result<Run, Refused<(Pipeline, Model<Untrained>), RunError>> {
        let submitter = submitter.to_owned();
        if let Err(e) = text::check("submitter", &submitter) {
            return Err(Refused::new((pipeline, model), RunError::Submitter(e)));
        }
        if model.environment() != pipeline.environment() {
            let error = RunError::WrongEnvironment {
                model: model.environment().name().to_owned(),
                pipeline: pipeline.environment().name().to_owned(),
            };
            return Err(Refused::new((pipeline, model), error));
        }
        let mut model = model;
        let fingerprint = pipeline.fingerprint();
        if let Err(e) = model.start_run(fingerprint, submitter.clone(), at) {
            return Err(Refused::new((pipeline, model), e.into()));
        }
        Ok(Run {
            policy: pipeline.policy(),
            pipeline,
            fingerprint,
            decisions: Recorded::Policy,
            submitter,
            state: State::Artifact(Training::New(model)),
        })
    }

    /// The pipeline.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// Who submits the run's artifacts; the run's host actions are recorded as theirs.
    pub fn submitter(&self) -> &str {
        &self.submitter
    }

    /// The status of the run's model.
    pub fn status(&self) -> Status {
        self.state.model().map_or(Status::Untrained, |m| m.status())
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        self.state.model().map_or("", |m| m.name())
    }

    /// The model's version.
    pub fn version(&self) -> &str {
        self.state.model().map_or("", |m| m.version())
    }

    /// The environment of the run (its pipeline's, and its model's).
    pub fn environment(&self) -> &Environment {
        self.pipeline.environment()
    }

    /// The model's audit trail: everything the run did.
    pub fn history(&self) -> &[Event] {
        self.state.model().map_or(&[], |m| m.history())
    }

    /// The head of the trail; seal it to store the run.
    pub fn head(&self) -> Head {
        self.state
            .model()
            .map_or(Head::from_bytes([0; 32]), |m| m.head())
    }

    /// The submitted model, while the run waits for votes.
    pub fn submitted(&self) -> Option<&Model<Submitted>> {
        match &self.state {
            State::Review(m) => Some(m),
            _ => None,
        }
    }

    /// The approved model, while the run waits for its deployment.
    pub fn approved(&self) -> Option<&Model<Approved>> {
        match &self.state {
            State::Deploy(m) => Some(m),
            _ => None,
        }
    }

    /// How the run ended, with its model; `None` while it runs.
    pub fn finished(&self) -> Option<&Finished> {
        match &self.state {
            State::Finished(f) => Some(f),
            _ => None,
        }
    }

    /// The model, in whichever stage the run left it.
    pub fn into_model(self) -> AnyModel {
        match self.state.into_model() {
            Some(model) => model,
            // A poisoned run's model is lost (see `State::Poisoned`): an empty one.
            None => AnyModel::Untrained(Model {
                trail: Trail::of(String::new(), String::new(), Default::default()),
                stage: Untrained {},
            }),
        }
    }

    /// What the host must do next, deciding at `now` if the model is under review.
    ///
    /// # Errors
    ///
    /// [`RunError::TimeWentBackwards`] if the model is under review and `now` is earlier than
    /// its last event.
    pub fn poll(&mut self, now: Timestamp) -> Result<Action, RunError> {
        self.reopen_if_lapsed(now)?;
        let pending = match self.state {
            State::Review(_) => self.decide(now)?,
            _ => None,
        };
        Ok(match &self.state {
            State::Artifact(training) if self.pipeline.trains() => {
                let (attempt, feedback) = match training {
                    Training::Again(m) => (
                        m.stage().attempts().saturating_add(1),
                        m.stage().feedback().to_vec(),
                    ),
                    Training::New(_) => (1, Vec::new()),
                };
                Action::Train { attempt, feedback }
            }
            State::Artifact(_) => Action::ProvideArtifact,
            State::Evaluate {
                candidate, next, ..
            } => Action::Evaluate {
                step: self.test_name(*next).to_owned(),
                artifact: candidate.digest.clone(),
            },
            State::Review(m) => {
                let (step, approval) = match self.pipeline.approval() {
                    Some((step, a)) => (step.to_owned(), Some(a)),
                    None => (String::new(), None),
                };
                Action::AwaitApproval {
                    step,
                    approvers: approval.map(|a| a.approvers.clone()).unwrap_or_default(),
                    required: approval.map_or(0, |a| a.required),
                    artifact: m.stage().submission().digest().clone(),
                    verdict: pending.unwrap_or_else(|| {
                        Verdict::new(crate::policy::VerdictKind::Pending, Vec::new())
                    }),
                }
            }
            State::Deploy(m) => Action::Deploy {
                artifact: m.stage().submission().digest().clone(),
            },
            State::Poisoned => return Err(self.not_expected("a poll")),
            State::Finished(f) => {
                let (outcome, attempts) = match f {
                    Finished::Deployed(m) => {
                        (RunOutcome::Deployed, m.stage().submission().attempt())
                    }
                    Finished::Approved(m) => {
                        (RunOutcome::Approved, m.stage().submission().attempt())
                    }
                    Finished::Failed(m) => (RunOutcome::Failed, m.stage().submission().attempt()),
                };
                Action::Finished { outcome, attempts }
            }
        })
    }

    fn test_name(&self, n: usize) -> &str {
        self.pipeline.test(n).map_or("", |s| s.name.as_str())
    }

    /// The artifact to review, trained or handed in.
    ///
    /// # Errors
    ///
    /// [`RunError::NotExpected`] unless the run waits for an artifact;
    /// [`RunError::TimeWentBackwards`]. The artifact comes back inside the [`Refused`].
    pub fn handle_artifact(
        &mut self,
        artifact: Artifact,
        now: Timestamp,
    ) -> Result<(), Refused<Artifact, RunError>> {
        let State::Artifact(training) = &mut self.state else {
            return Err(Refused::new(artifact, self.not_expected("an artifact")));
        };
        let (digest, metrics, notes) = artifact.into_parts();
        let recorded = training.record_artifact(
            digest.clone(),
            metrics.clone(),
            notes.clone(),
            self.submitter.clone(),
            now,
        );
        if let Err(e) = recorded {
            return Err(Refused::new(
                Artifact::from_parts(digest, metrics, notes),
                e.into(),
            ));
        }
        let candidate = Candidate {
            digest,
            metrics: metrics.into_map(),
            notes,
        };
        self.transition(|run, state| match state {
            State::Artifact(training) => (run.evaluate_or_submit(training, candidate, 0, now), ()),
            other => (other, ()),
        });
        Ok(())
    }

    /// The evaluation of the test step `step` finished with `metrics` (they join, and replace,
    /// the metrics known so far).
    ///
    /// # Errors
    ///
    /// [`RunError::NotExpected`] unless the run waits for an evaluation;
    /// [`RunError::WrongStep`] for another step than the next one;
    /// [`RunError::TimeWentBackwards`]. The metrics come back inside the [`Refused`].
    pub fn handle_evaluated(
        &mut self,
        step: &str,
        metrics: Metrics,
        now: Timestamp,
    ) -> Result<(), Refused<Metrics, RunError>> {
        let State::Evaluate { next, .. } = &self.state else {
            return Err(Refused::new(metrics, self.not_expected("an evaluation")));
        };
        let expected = self.test_name(*next);
        if expected != step {
            let error = RunError::WrongStep {
                expected: expected.to_owned(),
                found: step.to_owned(),
            };
            return Err(Refused::new(metrics, error));
        }
        let State::Evaluate { model, .. } = &mut self.state else {
            return Err(Refused::new(metrics, self.not_expected("an evaluation")));
        };
        let recorded = model.record_evaluation(
            step.to_owned(),
            metrics.clone(),
            self.submitter.clone(),
            now,
        );
        if let Err(e) = recorded {
            return Err(Refused::new(metrics, e.into()));
        }
        self.transition(|run, state| match state {
            State::Evaluate {
                model,
                mut candidate,
                next,
            } => {
                metrics.merge_into(&mut candidate.metrics);
                (run.evaluate_or_submit(model, candidate, next + 1, now), ())
            }
            other => (other, ()),
        });
        Ok(())
    }

    /// The state after the artifact or an evaluation: the next test step, or the submission.
    fn evaluate_or_submit(
        &self,
        model: Training,
        candidate: Candidate,
        next: usize,
        now: Timestamp,
    ) -> State {
        if self.pipeline.test(next).is_some() {
            return State::Evaluate {
                model,
                candidate,
                next,
            };
        }
        let outcome = TrainingOutcome::from_parts(
            candidate.digest,
            Metrics::from_map(candidate.metrics),
            candidate.notes,
        );
        let submitter = self.submitter.clone();
        State::Review(match model {
            Training::New(m) => m.submit_checked(outcome, submitter, now, None),
            Training::Again(m) => m.submit_checked(outcome, submitter, now, None),
        })
    }

    /// A reviewer's vote, while the model is under review (also while the run is paused). It
    /// keeps its reviewer's time, as [`Model::record`] says.
    ///
    /// # Errors
    ///
    /// [`RunError::NotExpected`] unless the model is under review; [`RunError::Vote`] if
    /// [`Model::record`] refuses it. The review comes back inside the [`Refused`].
    pub fn record_vote(&mut self, review: Review) -> Result<(), Refused<Review, RunError>> {
        match &mut self.state {
            State::Review(m) => m.record(review).map_err(|e| e.map_err(RunError::Vote)),
            _ => Err(Refused::new(review, self.not_expected("a vote"))),
        }
    }

    /// The host deployed the approved model, with this receipt: the run is finished.
    ///
    /// # Errors
    ///
    /// [`RunError::NotExpected`] unless the run waits for the deployment;
    /// [`RunError::TimeWentBackwards`]. The receipt comes back inside the [`Refused`].
    pub fn handle_deployed(
        &mut self,
        receipt: Receipt,
        now: Timestamp,
    ) -> Result<(), Refused<Receipt, RunError>> {
        if !matches!(self.state, State::Deploy(_)) {
            return Err(Refused::new(receipt, self.not_expected("a deployment")));
        }
        self.transition(|run, state| match state {
            State::Deploy(m) => match m.mark_deployed(receipt, &run.submitter, now) {
                Ok(mut m) => {
                    m.finish_run(now);
                    (State::Finished(Finished::Deployed(m)), Ok(()))
                }
                Err(refused) => {
                    let ((m, receipt), e) = refused.into_parts();
                    (
                        State::Deploy(m),
                        Err(Refused::new(receipt, RunError::Action(e))),
                    )
                }
            },
            other => (other, Ok(())),
        })
    }

    /// The host's deployment failed with `error`: recorded, and the run still waits for the
    /// deployment (try again).
    ///
    /// # Errors
    ///
    /// [`RunError::NotExpected`] unless the run waits for the deployment;
    /// [`RunError::TimeWentBackwards`]. The error text comes back inside the [`Refused`].
    pub fn handle_deploy_failed(
        &mut self,
        error: impl Into<String>,
        now: Timestamp,
    ) -> Result<(), Refused<String, RunError>> {
        let error = error.into();
        let not_expected = self.not_expected("a failed deployment");
        let State::Deploy(m) = &mut self.state else {
            return Err(Refused::new(error, not_expected));
        };
        m.mark_deploy_failed(crate::value::text::fit_free(error), &self.submitter, now)
            .map_err(|e| e.map_err(RunError::Action))
    }

    /// Records the fingerprint `decisions` says in the decisions that follow (a replay's).
    pub(crate) fn record_decisions(&mut self, decisions: Recorded) {
        self.decisions = decisions;
    }

    /// Decides the submitted model at `now` and moves on: deploy, retrain, finish, or wait
    /// (then the pending verdict is returned).
    fn decide(&mut self, now: Timestamp) -> Result<Option<Verdict>, RunError> {
        // The policy (which may be a host's code) judges with the model borrowed, so that a
        // panic in it leaves the run as it was; the move that records the judgement runs only
        // the crate's code.
        let judgement = match &self.state {
            State::Review(m) => m.judgement(
                &self.policy,
                &DecisionContext::at(now).recording(self.decisions),
            )?,
            _ => return Ok(None),
        };
        Ok(self.transition(|run, state| {
            let State::Review(model) = state else {
                return (state, None);
            };
                match model.decided(judgement) {
                Decided::Pending(m, verdict) => (State::Review(m), Some(verdict)),
                Decided::Approved(mut m) if !run.pipeline.deploys() => {
                    m.finish_run(now);
                    (State::Finished(Finished::Approved(m)), None)
                }
                Decided::Approved(m) => (State::Deploy(m), None),
                Decided::Rejected(mut m) => {
                    let attempts = m.stage().submission().attempt();
                    let on_reject = run
                        .pipeline
                        .approval()
                        .map_or(OnReject::FailPipeline, |(_, a)| a.on_reject);
                    let retry = matches!(on_reject, OnReject::Retrain { max_attempts } if attempts < max_attempts);
                    if retry {
                        let m = m.retrain_checked(run.submitter.clone(), now);
                        (State::Artifact(Training::Again(m)), None)
                    } else {
                        m.finish_run(now);
                        (State::Finished(Finished::Failed(m)), None)
                    }
                }
            }
        }))
    }

    /// An approval that lapsed while the run waited for its deployment is reopened, by the run's
    /// submitter at `now`, for a fresh decision (the votes start again): the run is not told to
    /// deploy what may no longer be deployed.
    fn reopen_if_lapsed(&mut self, now: Timestamp) -> Result<(), RunError> {
        match &self.state {
            State::Deploy(m) if m.check_not_lapsed(now).is_err() => {}
            _ => return Ok(()),
        }
        self.transition(|run, state| match state {
            State::Deploy(m) => match m.reopen(&run.submitter, now) {
                Ok(m) => (State::Review(m), Ok(())),
                Err(refused) => {
                    let (m, e) = refused.into_parts();
                    (State::Deploy(m), Err(RunError::Action(e)))
                }
            },
            other => (other, Ok(())),
        })
    }

    /// Moves the state through `f`, which gets it by value and gives the next one. `f` runs
    /// only the crate's code, which does not panic; were it to, the run is left
    /// [poisoned](State::Poisoned).
    fn transition<T>(&mut self, f: impl FnOnce(&Run, State) -> (State, T)) -> T
    where
        T: Sized,
    {
        let state = std::mem::replace(&mut self.state, State::Poisoned);
        let (next, out) = f(self, state);
        self.state = next;
        out
    }

    fn not_expected(&self, input: &'static str) -> RunError {
        RunError::NotExpected {
            input,
            waiting_for: self.state.waiting_for(),
        }
    }

    pub(crate) fn parts(&self) -> (&Fingerprint, &State, &PipelinePolicy) {
        (&self.fingerprint, &self.state, &self.policy)
    }

    pub(crate) fn into_pipeline(self) -> Pipeline {
        self.pipeline
    }
}

impl From<&Run> for StoredModel {
    /// The run's unsealed stored form: its model's trail (which starts with the pipeline's
    /// fingerprint). Seal it with [`StoredModel::sealed_by`](StoredModel::sealed_by).
    fn from(run: &Run) -> Self {
        StoredModel::of_trail(run.name(), run.version(), run.environment(), run.history())
    }
}
