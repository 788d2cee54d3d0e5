//! Why a stored model or run was refused.

use crate::event::{FORMAT_VERSION, Fingerprint};
use crate::model::{ActionError, ChainError, RecordError, Status, SubmitError};
use crate::policy::VerdictKind;
use crate::value::text::esc;
use crate::value::{TextError, TimeWentBackwards};

use super::seal::SealError;

/// A stored model or run was refused on restore; nothing was changed or "repaired".
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RestoreError {
    /// Written in a format this version does not read.
    #[error(
        "stored format version {found} is not supported; this version of modelgate reads format {FORMAT_VERSION}"
    )]
    Format {
        /// The format version found.
        found: u32,
    },
    /// The header or the chain of events is refused: an invalid name or version, a gap in the
    /// sequence numbers, or an event that does not follow the one before it (changed, removed,
    /// inserted or moved).
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// There is no seal, and the restore checks seals.
    #[error("the stored model has no seal")]
    Unsealed,
    /// The seal does not verify against the trail's head (or names an untrusted key).
    #[error("{0}")]
    Seal(SealError),
    /// The trail does not replay through the transitions (or, for a run, the pipeline).
    #[error("event {seq} (`{action}`): {error}")]
    Replay {
        /// The event's sequence number.
        seq: u64,
        /// The event's action.
        action: &'static str,
        /// Why.
        error: ReplayError,
    },
    /// The trail ends where a transition or the pipeline records one more event: a step was
    /// cut in half.
    #[error("the trail ends after event {seq}, but the transition records `{missing}` next")]
    Truncated {
        /// The last event's sequence number.
        seq: u64,
        /// The action of the missing event.
        missing: &'static str,
    },
    /// Restored as a run, but the trail is not one (its first event is not `run started`).
    #[error("the stored trail is not a run: its first event is not `run started`")]
    NotARun,
    /// Restored as a model, but the trail is a run's: a run is restored with its pipeline,
    /// which checks its events against the pipeline's rules.
    #[error(
        "the stored trail is a run of pipeline `{pipeline}`: it replays only through that pipeline: restore it as a run, with its pipeline"
    )]
    Run {
        /// The fingerprint the trail's `run started` event records.
        pipeline: Fingerprint,
    },
    /// The run was started for another pipeline than the one given.
    #[error("the run was started for pipeline `{stored}`, not for the given pipeline `{given}`")]
    Pipeline {
        /// The fingerprint the trail records.
        stored: Fingerprint,
        /// The given pipeline's fingerprint.
        given: Fingerprint,
    },
}

/// Why one event does not replay.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The event cannot happen to a model in this status.
    #[error("cannot happen to a model that is {status}")]
    Unexpected {
        /// The status replayed so far.
        status: Status,
    },
    /// The run was waiting for something else.
    #[error("the run is waiting for {waiting_for}")]
    NotExpected {
        /// What the run waits for.
        waiting_for: &'static str,
    },
    /// The pipeline records another event here (a retraining after `fail_pipeline`, an attempt
    /// past `max_attempts`, a skipped test step, a run that continues after it finished …).
    #[error("the pipeline records `{derived}` here{}", .rule.as_ref().map(|r| format!(": {r}")).unwrap_or_default())]
    Diverges {
        /// What the pipeline records.
        derived: &'static str,
        /// The pipeline's rule that records it, where one does (`on_reject`, `max_attempts`,
        /// a pipeline without a deploy step).
        rule: Option<PipelineRule>,
    },
    /// An evaluation of another step than the next test step.
    #[error(
        "the run is waiting for the evaluation of step `{}`, not `{}`",
        esc(.expected),
        esc(.found)
    )]
    WrongStep {
        /// The next test step.
        expected: String,
        /// The step the event names.
        found: String,
    },
    /// A field differs from what the transition records on the same inputs.
    #[error("its `{field}` differs from what the transition records")]
    Differs {
        /// The field.
        field: &'static str,
    },
    /// The decision was made by a policy of another name than the caller's: a decision is decided
    /// again by the policy that made it (its name is part of the recorded event), even where
    /// another policy would reach the same verdict.
    #[error(
        "the trail records a decision by policy `{}`, and the policy given is `{}`: pass the policy that made it (same rules, same order, same name)",
        esc(.recorded),
        esc(.policy)
    )]
    OtherPolicy {
        /// The recorded policy's name.
        recorded: String,
        /// The caller's policy's name.
        policy: String,
    },
    /// The decision was made by a policy of the same name but another structure: its recorded
    /// fingerprint is not the caller's policy's.
    #[error(
        "the trail records a decision by the policy with fingerprint {recorded}, and the policy given has fingerprint {policy}: pass the policy that made it"
    )]
    OtherFingerprint {
        /// The recorded policy's fingerprint.
        recorded: Fingerprint,
        /// The caller's policy's fingerprint.
        policy: Fingerprint,
    },
    /// The caller's policy does not decide as the trail records.
    #[error(
        "the trail records `{recorded}` by policy `{}`, but {} decides {}",
        esc(.recorded_policy),
        caller_policy(.recorded_policy, .policy),
        esc(.derived)
    )]
    NotUpheld {
        /// The recorded verdict.
        recorded: VerdictKind,
        /// The recorded policy name.
        recorded_policy: String,
        /// The caller's policy.
        policy: String,
        /// The caller's policy's verdict on the recorded evidence, in one line.
        derived: String,
    },
    /// A submission that [`Model::submit`](crate::Model::submit) refuses.
    #[error(transparent)]
    Submit(SubmitError),
    /// A vote that [`Model::record`](crate::Model::record) refuses.
    #[error(transparent)]
    Vote(RecordError),
    /// A host action (deploy, retrain …) that its transition refuses.
    #[error(transparent)]
    Action(ActionError),
    /// Time runs backwards.
    #[error(transparent)]
    Time(TimeWentBackwards),
    /// An identifier the event carries is refused (a step name, …).
    #[error("{0}")]
    Identifier(TextError),
    /// A promotion's evidence that [`Model::promote`](crate::Model::promote) cannot record.
    #[error("the promotion's evidence is impossible: {why}")]
    Promotion {
        /// What is impossible about it.
        why: &'static str,
    },
    /// The stored run's model is for another environment than the pipeline.
    #[error(
        "the model is for environment `{}`, the pipeline for `{}`",
        esc(.model),
        esc(.pipeline)
    )]
    WrongEnvironment {
        /// The model's environment.
        model: String,
        /// The pipeline's environment.
        pipeline: String,
    },
}

/// The rule of a pipeline that decides what a run records after a decision, as a refused
/// restore names it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineRule {
    /// `on_reject: fail_pipeline`: a rejection ends the run as failed.
    #[error("step `{}` says `on_reject: fail_pipeline`, so a rejection ends the run", esc(.step))]
    FailPipeline {
        /// The approval step.
        step: String,
    },
    /// `on_reject: retrain` with `max_attempts`: a rejection retrains until the attempts run
    /// out, then ends the run as failed.
    #[error(
        "step `{}` says `on_reject: retrain` with `max_attempts: {max_attempts}`, and this was attempt {attempt}",
        esc(.step)
    )]
    Retrain {
        /// The approval step.
        step: String,
        /// The attempts the step allows, the first included.
        max_attempts: u32,
        /// The attempt that was rejected.
        attempt: u32,
    },
    /// The pipeline has no deploy step: an approval ends the run.
    #[error("the pipeline has no deploy step, so an approval ends the run")]
    NoDeployStep,
}

/// The caller's policy as a refusal names it: "that policy" when its name is the recorded one
/// (the name, often long, is not said twice), else "policy `name`".
fn caller_policy(recorded: &str, policy: &str) -> String {
    if recorded == policy {
        "that policy".to_owned()
    } else {
        format!("policy `{}`", esc(policy))
    }
}
