//! The events a [`Run`](crate::Run) records on its model: the model writes them, as it writes
//! every event; the run decides when. None of them changes the model's stage.

use super::stage::{Approved, Deployed, Rejected, Untrained};
use super::{Model, Trainable};
use crate::event::{EventKind, Fingerprint, RunOutcome};
use crate::value::{Digest, Metrics, TimeWentBackwards, Timestamp};

impl Model<Untrained> {
    /// Records that a run of the pipeline `pipeline` started on this new model, submitted by
    /// `submitter` (an id the run has checked).
    pub(crate) fn start_run(
        &mut self,
        pipeline: Fingerprint,
        submitter: String,
        at: Timestamp,
    ) -> Result<(), TimeWentBackwards> {
        self.trail.check_time(at)?;
        self.trail.push(
            at,
            EventKind::RunStarted {
                pipeline,
                submitter,
            },
        );
        Ok(())
    }
}

impl<S: Trainable> Model<S> {
    /// Records the run's artifact, handed in by `by`.
    pub(crate) fn record_artifact(
        &mut self,
        digest: Digest,
        metrics: Metrics,
        notes: String,
        by: String,
        at: Timestamp,
    ) -> Result<(), TimeWentBackwards> {
        self.trail.check_time(at)?;
        let event = EventKind::Artifact {
            digest,
            metrics,
            notes,
            by,
        };
        self.trail.push(at, event);
        Ok(())
    }

    /// Records the evaluation of the run's test step `step`.
    pub(crate) fn record_evaluation(
        &mut self,
        step: String,
        metrics: Metrics,
        by: String,
        at: Timestamp,
    ) -> Result<(), TimeWentBackwards> {
        self.trail.check_time(at)?;
        self.trail
            .push(at, EventKind::Evaluated { step, metrics, by });
        Ok(())
    }
}

/// `finish_run` on the stages a run finishes in, each with the outcome it records.
macro_rules! finishing {
    ($($stage:ident => $outcome:ident),*) => {$(
        impl Model<$stage> {
            /// Records that the run ended with the model in this stage, at `at` (the time of
            /// the event that ended it, already checked).
            pub(crate) fn finish_run(&mut self, at: Timestamp) {
                let attempts = self.stage.submission().attempt();
                let outcome = RunOutcome::$outcome;
                self.trail.push(at, EventKind::RunFinished { outcome, attempts });
            }
        }
    )*};
}

finishing!(Deployed => Deployed, Approved => Approved, Rejected => Failed);
