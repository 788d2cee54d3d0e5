//! Restoring a run: its trail replayed through the live run methods, against the pipeline the
//! host passes. The run's phase is derived, never stored.

use super::Pipeline;
use super::state::{Finished, State};
use super::{Artifact, OnReject, PipelinePolicy, Run, RunError};
use crate::event::{Event, EventKind, Head, RunOutcome};
use crate::model::{AnyModel, ChainError, Model, Recorded, SubmitError};
use crate::policy::Policy;
use crate::trail::compare::compare;
use crate::trail::replay::{Replayer, fail, verify, walk};
use crate::trail::restore::{Decider, ModelReplayer};
use crate::trail::{PipelineRule, ReplayError, RestoreError, SealVerifier, StoredModel};
use crate::value::Refused;

impl Run {
    /// Restores a stored run of `pipeline`: verifies the chain and the seal, checks that the
    /// run was started for this very pipeline (by fingerprint), then replays every event
    /// through the live run methods (`handle_artifact`, `handle_evaluated`, `record_vote`,
    /// `poll`, `handle_deployed` …), each of which must record exactly the stored event. So
    /// every rule of the pipeline holds on restore as it did live: a retraining after
    /// `fail_pipeline`, an attempt past `max_attempts`, a skipped or reordered test step, a
    /// changed submitter, a decision the pipeline's policy does not make, a finished run that
    /// continues — each is refused, naming the event.
    ///
    /// # Errors
    ///
    /// [`RestoreError`]; the record and the pipeline come back inside the [`Refused`].
    ///
    /// ```
    /// # use modelgate::*;
    /// # let t = Timestamp::from_unix_secs;
    /// let key = HmacSealer::new("runs", *b"0123456789abcdef0123456789abcdef");
    /// let spec: PipelineSpec = serde_json::from_str(r#"{"steps": [
    ///     {"name": "train", "type": "training"},
    ///     {"name": "approve", "type": "approval", "inputs": {"approvers": ["bob"]}}
    /// ]}"#)?;
    /// let mut run = Run::start(spec.validate()?, Model::new("churn", "1")?, "alice", t(0))?;
    /// run.handle_artifact(Artifact::new("sha256:1", Metrics::default())?, t(1))?;
    /// let json = serde_json::to_string(&StoredModel::from(&run).sealed_by(&key)?)?;
    ///
    /// // … in another process, once bob has voted:
    /// let stored: StoredModel = serde_json::from_str(&json)?;
    /// let mut run = Run::restore(stored, spec.validate()?, &key)?;
    /// run.record_vote(Review::approve("bob", "sha256:1", t(9)))?;
    /// assert_eq!(run.poll(t(10))?.to_string(), "finished: approved after 1 attempt(s)");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn restore<V: SealVerifier + ?Sized>(
        stored: StoredModel,
        pipeline: Pipeline,
        verifier: &V,
    ) -> Result<Run, Refused<(StoredModel, Pipeline), RestoreError>> {
        match verify(&stored, Some(verifier)) {
            Ok(head) => replay(stored, pipeline, head),
            Err(e) => Err(Refused::new((stored, pipeline), e)),
        }
    }

    /// Restores like [`restore`](Self::restore) without checking the seal (the chain and
    /// every pipeline rule are still checked). For hosts that trust their storage.
    ///
    /// # Errors
    ///
    /// As [`restore`](Self::restore), without the seal's.
    pub fn restore_unsealed(
        stored: StoredModel,
        pipeline: Pipeline,
    ) -> Result<Run, Refused<(StoredModel, Pipeline), RestoreError>> {
        match verify::<dyn SealVerifier>(&stored, None) {
            Ok(head) => replay(stored, pipeline, head),
            Err(e) => Err(Refused::new((stored, pipeline), e)),
        }
    }
}

impl Run {
    /// Restores the model of a stored run of `pipeline`, with everything that happened to it
    /// after the run: the run's events are replayed through the pipeline, as
    /// [`restore`](Self::restore) does, and the events after it finished (superseded, rolled
    /// back, reinstated, retired in a [`Registry`](crate::Registry)) through the model's
    /// transitions, under the pipeline's policy. How a registry restores a member that is a run.
    ///
    /// # Errors
    ///
    /// [`RestoreError`]; the record comes back inside the [`Refused`].
    pub fn restore_model<V: SealVerifier + ?Sized>(
        stored: StoredModel,
        pipeline: &Pipeline,
        verifier: &V,
    ) -> Result<AnyModel, Refused<StoredModel, RestoreError>> {
        let policy = pipeline.policy();
        let replayed = verify(&stored, Some(verifier)).and_then(|head| {
            let run = start(&stored, pipeline.clone()).map_err(Refused::into_error)?;
            let mut replayer = RunThenModel {
                run: Some(RunOnly(run)),
                after: None,
                policy: &policy,
                approved: false,
            };
            walk(&mut replayer, stored.events(), 1, head)?;
            Ok(replayer.into_model())
        });
        match replayed {
            Ok(Some(model)) => Ok(model),
            Ok(None) => Err(Refused::new(stored, RestoreError::NotARun)),
            Err(e) => Err(Refused::new(stored, e)),
        }
    }
}

/// The run of `stored`'s first event, started: it must be `run started` for `pipeline`, and
/// record exactly that event.
fn start(stored: &StoredModel, pipeline: Pipeline) -> Result<Run, Refused<Pipeline, RestoreError>> {
    let Some(first) = stored.events().first() else {
        return Err(Refused::new(pipeline, RestoreError::NotARun));
    };
    let EventKind::RunStarted {
        pipeline: fingerprint,
        submitter,
    } = first.kind()
    else {
        return Err(Refused::new(pipeline, RestoreError::NotARun));
    };
    let given = pipeline.fingerprint();
    if *fingerprint != given {
        let error = RestoreError::Pipeline {
            stored: *fingerprint,
            given,
        };
        return Err(Refused::new(pipeline, error));
    }
    let model = match Model::new(stored.name(), stored.version()) {
        Ok(model) => model.in_environment(stored.environment().clone()),
        Err(e) => {
            return Err(Refused::new(
                pipeline,
                RestoreError::Chain(ChainError::Identity(e)),
            ));
        }
    };
    let run = match Run::start(pipeline, model, submitter, first.at()) {
        Ok(run) => run,
        Err(refused) => {
            let ((pipeline, _), error) = refused.into_parts();
            return Err(Refused::new(pipeline, fail(first, replay_error(error))));
        }
    };
    match compare(first, run.history().first()) {
        Ok(()) => Ok(run),
        Err(e) => Err(Refused::new(run.into_pipeline(), fail(first, e))),
    }
}

fn replay(
    stored: StoredModel,
    pipeline: Pipeline,
    head: Head,
) -> Result<Run, Refused<(StoredModel, Pipeline), RestoreError>> {
    let run = match start(&stored, pipeline) {
        Ok(run) => run,
        Err(refused) => {
            let (pipeline, error) = refused.into_parts();
            return Err(Refused::new((stored, pipeline), error));
        }
    };
    let mut replayer = RunOnly(run);
    match walk(&mut replayer, stored.events(), 1, head) {
        Ok(()) => Ok(replayer.0),
        Err(error) => Err(Refused::new((stored, replayer.0.into_pipeline()), error)),
    }
}

/// The run replayer: each event of a run's trail turned back into the run method that recorded
/// it.
struct RunOnly(Run);

impl Replayer for RunOnly {
    fn recorded(&self) -> &[Event] {
        self.0.history()
    }

    fn apply(&mut self, event: &Event) -> Result<(), ReplayError> {
        apply(&mut self.0, event)
    }

    fn check(&self, index: usize, event: &Event) -> Result<(), ReplayError> {
        check(&self.0, index, event)
    }
}

/// A run's trail with what happened to its model after the run: the run replayer until the run
/// finished, then the model replayer (under the pipeline's policy) from the finished model.
struct RunThenModel<'p> {
    run: Option<RunOnly>,
    after: Option<ModelReplayer<'p, PipelinePolicy>>,
    policy: &'p PipelinePolicy,
    /// Whether the run finished approved (without a deploy step): its model may be deployed.
    approved: bool,
}

impl RunThenModel<'_> {
    fn into_model(self) -> Option<AnyModel> {
        match (self.after, self.run) {
            (Some(after), _) => after.into_model(),
            (None, Some(run)) => Some(run.0.into_model()),
            (None, None) => None,
        }
    }

    fn current(&self) -> Option<&dyn Replayer> {
        match (&self.after, &self.run) {
            (Some(after), _) => Some(after),
            (None, Some(run)) => Some(run),
            (None, None) => None,
        }
    }
}

impl Replayer for RunThenModel<'_> {
    fn recorded(&self) -> &[Event] {
        self.current().map_or(&[], Replayer::recorded)
    }

    fn apply(&mut self, event: &Event) -> Result<(), ReplayError> {
        if let Some(run) = &self.run
            && let Some(finished) = run.0.finished()
        {
            self.approved = matches!(finished, Finished::Approved(_));
        }
        let run_over =
            self.after.is_some() || self.run.as_ref().is_some_and(|r| r.0.finished().is_some());
        if run_over && !after_the_run(self.approved, event.kind()) {
            return Err(ReplayError::NotExpected {
                waiting_for: "nothing but the moves of a deployment (the run is finished)",
            });
        }
        if self.after.is_none()
            && let Some(run) = self.run.take_if(|r| r.0.finished().is_some())
        {
            let model = run.0.into_model();
            let decider = Decider::Policy(self.policy);
            self.after = Some(ModelReplayer::from_model(model, decider));
        }
        match (&mut self.after, &mut self.run) {
            (Some(after), _) => after.apply(event),
            (None, Some(run)) => run.apply(event),
            (None, None) => Err(ReplayError::Differs { field: "event" }),
        }
    }

    fn check(&self, index: usize, event: &Event) -> Result<(), ReplayError> {
        match self.current() {
            Some(replayer) => replayer.check(index, event),
            None => Err(ReplayError::Differs { field: "event" }),
        }
    }
}

/// Whether `kind` may happen to a finished run's model, from its first event after the run on:
/// the moves of a deployment in a registry (superseded, rolled back, reinstated, retired), and a
/// deployment of a run that finished approved (its pipeline has no deploy step). Nothing that
/// decides again — a vote, a reopening, a revocation, a retraining, a submission — for those
/// belong to a run.
fn after_the_run(approved: bool, kind: &EventKind) -> bool {
    match kind {
        EventKind::Superseded { .. }
        | EventKind::RolledBack { .. }
        | EventKind::Reinstated { .. }
        | EventKind::Retired { .. } => true,
        EventKind::Deployed { .. } | EventKind::DeployFailed { .. } => approved,
        _ => false,
    }
}

/// The stored event at `index` against the one the run recorded there.
fn check(run: &Run, index: usize, event: &Event) -> Result<(), ReplayError> {
    if let (
        EventKind::Decided {
            verdict, policy, ..
        },
        Some(live),
    ) = (event.kind(), run.history().get(index))
        && let EventKind::Decided {
            verdict: derived, ..
        } = live.kind()
        && derived.kind() != verdict.kind()
    {
        return Err(ReplayError::NotUpheld {
            recorded: verdict.kind(),
            recorded_policy: policy.clone(),
            policy: run.parts().2.name(),
            derived: derived.to_string(),
        });
    }
    compare(event, run.history().get(index))
        .map_err(|e| with_rule(run, run.history().get(index), e))
}

/// The attempts the run has submitted so far.
fn attempts(run: &Run) -> u32 {
    let submitted = run
        .history()
        .iter()
        .filter(|e| matches!(e.kind(), EventKind::Submitted { .. }))
        .count();
    u32::try_from(submitted).unwrap_or(u32::MAX)
}

/// A divergence after a decision, with the pipeline's rule that recorded the `live` event.
fn with_rule(run: &Run, live: Option<&Event>, error: ReplayError) -> ReplayError {
    let ReplayError::Diverges {
        derived,
        rule: None,
    } = error
    else {
        return error;
    };
    let step = || run.pipeline().approval();
    let rule = match live.map(Event::kind) {
        Some(EventKind::RunFinished {
            outcome: RunOutcome::Approved,
            ..
        }) => Some(PipelineRule::NoDeployStep),
        Some(
            EventKind::RunFinished {
                outcome: RunOutcome::Failed,
                ..
            }
            | EventKind::Retraining { .. },
        ) => step().map(|(step, approval)| match approval.on_reject() {
            OnReject::FailPipeline => PipelineRule::FailPipeline {
                step: step.to_owned(),
            },
            OnReject::Retrain { max_attempts } => PipelineRule::Retrain {
                step: step.to_owned(),
                max_attempts,
                attempt: attempts(run),
            },
        }),
        _ => None,
    };
    ReplayError::Diverges { derived, rule }
}

/// The call that recorded `event`.
fn apply(run: &mut Run, event: &Event) -> Result<(), ReplayError> {
    let at = event.at();
    match event.kind() {
        EventKind::Artifact {
            digest,
            metrics,
            notes,
            ..
        } => {
            let artifact = Artifact::from_parts(digest.clone(), metrics.clone(), notes.clone());
            run.handle_artifact(artifact, at)
                .map_err(|e| replay_error(e.into_error()))
        }
        EventKind::Evaluated { step, metrics, .. } => run
            .handle_evaluated(step, metrics.clone(), at)
            .map_err(|e| replay_error(e.into_error())),
        EventKind::Voted { review } => run
            .record_vote(review.clone())
            .map_err(|e| replay_error(e.into_error())),
        EventKind::Decided {
            verdict,
            policy,
            fingerprint,
            ..
        } => {
            if !matches!(run.parts().1, State::Review(_)) {
                return Err(waiting(run));
            }
            let before = run.history().len();
            run.record_decisions(match fingerprint {
                Some(_) => Recorded::Policy,
                None => Recorded::Without,
            });
            let action = run.poll(at);
            run.record_decisions(Recorded::Policy);
            let action = action.map_err(replay_error)?;
            if run.history().len() == before {
                let derived = match action {
                    super::Action::AwaitApproval { verdict, .. } => verdict.to_string(),
                    other => other.to_string(),
                };
                return Err(ReplayError::NotUpheld {
                    recorded: verdict.kind(),
                    recorded_policy: policy.clone(),
                    policy: run.parts().2.name(),
                    derived,
                });
            }
            Ok(())
        }
        // Recorded by `poll` when the approval lapsed before its deployment.
        EventKind::Reopened { .. } => {
            if !matches!(run.parts().1, State::Deploy(_)) {
                return Err(waiting(run));
            }
            run.poll(at).map(|_| ()).map_err(replay_error)
        }
        EventKind::Deployed { receipt, .. } => run
            .handle_deployed(receipt.clone(), at)
            .map_err(|e| replay_error(e.into_error())),
        EventKind::DeployFailed { error, .. } => run
            .handle_deploy_failed(error.clone(), at)
            .map_err(|e| replay_error(e.into_error())),
        // Recorded by the run itself, never an input: the run did not record it here.
        _ => Err(waiting(run)),
    }
}

fn waiting(run: &Run) -> ReplayError {
    ReplayError::NotExpected {
        waiting_for: run.parts().1.waiting_for(),
    }
}

fn replay_error(error: RunError) -> ReplayError {
    match error {
        RunError::NotExpected { waiting_for, .. } => ReplayError::NotExpected { waiting_for },
        RunError::WrongStep { expected, found } => ReplayError::WrongStep { expected, found },
        RunError::Submitter(e) => ReplayError::Submit(SubmitError::Submitter(e)),
        RunError::Vote(e) => ReplayError::Vote(e),
        RunError::TimeWentBackwards(e) => ReplayError::Time(e),
        RunError::Action(e) => ReplayError::Action(e),
        RunError::WrongEnvironment { model, pipeline } => {
            ReplayError::WrongEnvironment { model, pipeline }
        }
    }
}
