//! Restoring a run: its trail replayed through the live run methods, against the pipeline the
//! host passes. The run's phase is derived, never stored.

use super::Pipeline;
use super::state::State;
use super::{Artifact, OnReject, Run, RunError};
use crate::event::{Event, EventKind, Head, RunOutcome};
use crate::model::{Model, SubmitError};
use crate::policy::Policy;
use crate::trail::compare::{check_head, compare};
use crate::trail::restore::verify;
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

fn replay(
    stored: StoredModel,
    pipeline: Pipeline,
    head: Head,
) -> Result<Run, Refused<(StoredModel, Pipeline), RestoreError>> {
    let events = stored.events();
    let Some((first, rest)) = events.split_first() else {
        return Err(Refused::new((stored, pipeline), RestoreError::NotARun));
    };
    let EventKind::RunStarted {
        pipeline: fingerprint,
        submitter,
    } = first.kind()
    else {
        return Err(Refused::new((stored, pipeline), RestoreError::NotARun));
    };
    let given = pipeline.fingerprint();
    if *fingerprint != given {
        let error = RestoreError::Pipeline {
            stored: *fingerprint,
            given,
        };
        return Err(Refused::new((stored, pipeline), error));
    }
    let model = match Model::new(stored.name(), stored.version()) {
        Ok(model) => model.in_environment(stored.environment().clone()),
        Err(e) => return Err(Refused::new((stored, pipeline), RestoreError::Identity(e))),
    };
    let mut run = match Run::start(pipeline, model, submitter, first.at()) {
        Ok(run) => run,
        Err(refused) => {
            let ((pipeline, _), error) = refused.into_parts();
            let error = fail(first, replay_error(error));
            return Err(Refused::new((stored, pipeline), error));
        }
    };
    let checked = compare(first, run.history().first())
        .map_err(|e| fail(first, e))
        .and_then(|()| {
            rest.iter()
                .enumerate()
                .try_for_each(|(i, event)| step(&mut run, i + 1, event))
        })
        .and_then(|()| complete(&run, events))
        .and_then(|()| match events.last() {
            Some(last) => check_head(last, run.head(), head),
            None => Ok(()),
        });
    match checked {
        Ok(()) => Ok(run),
        Err(error) => Err(Refused::new((stored, run.into_pipeline()), error)),
    }
}

/// Replays the event at `index`: if the run has not recorded it yet, makes the call that
/// recorded it; then the run's event there must be the stored one.
fn step(run: &mut Run, index: usize, event: &Event) -> Result<(), RestoreError> {
    if run.history().len() <= index {
        apply(run, event).map_err(|e| fail(event, e))?;
    }
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
        return Err(fail(
            event,
            ReplayError::NotUpheld {
                recorded: verdict.kind(),
                recorded_policy: policy.clone(),
                policy: run.parts().2.name(),
                derived: derived.to_string(),
            },
        ));
    }
    compare(event, run.history().get(index))
        .map_err(|e| fail(event, with_rule(run, run.history().get(index), e)))
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
            verdict, policy, ..
        } => {
            if !matches!(run.parts().1, State::Review(_)) {
                return Err(waiting(run));
            }
            let before = run.history().len();
            let action = run.poll(at).map_err(replay_error)?;
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

/// The run must not have recorded more than the trail holds: a step cut in half is refused.
fn complete(run: &Run, events: &[Event]) -> Result<(), RestoreError> {
    match run.history().get(events.len()) {
        None => Ok(()),
        Some(next) => Err(RestoreError::Truncated {
            seq: u64::try_from(events.len()).unwrap_or(u64::MAX),
            missing: next.action(),
        }),
    }
}

fn waiting(run: &Run) -> ReplayError {
    ReplayError::NotExpected {
        waiting_for: run.parts().1.waiting_for(),
    }
}

fn fail(event: &Event, error: ReplayError) -> RestoreError {
    RestoreError::Replay {
        seq: event.seq(),
        action: event.action(),
        error,
    }
}

fn replay_error(error: RunError) -> ReplayError {
    match error {
        RunError::NotExpected { waiting_for, .. } => ReplayError::NotExpected { waiting_for },
        RunError::WrongStep { expected, found } => ReplayError::WrongStep { expected, found },
        RunError::Submitter(e) => ReplayError::Submit(SubmitError::Submitter(e)),
        RunError::Vote(e) => ReplayError::Vote(e),
        RunError::TimeWentBackwards(e) => ReplayError::Time(e),
        RunError::WrongEnvironment { model, pipeline } => {
            ReplayError::WrongEnvironment { model, pipeline }
        }
    }
}
