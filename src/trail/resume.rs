//! Going on from a restored model with the events stored after it: what a restore of the whole
//! trail would check of them, at the cost of the new events only.

use super::error::RestoreError;
use super::replay::walk_on;
use super::restore::{Decider, ModelReplayer};
use super::seal::{Seal, SealVerifier};
use crate::event::Event;
use crate::model::{AnyModel, continue_chain, run_pipeline};
use crate::policy::Policy;
use crate::value::Refused;

/// What [`AnyModel::resume`] hands back on a refusal: the model, unless the replay had moved
/// it partway, and the events.
pub type Unresumed = (Option<AnyModel>, Vec<Event>);

impl AnyModel {
    /// This model — restored before, or built here — continued by `events`, the events stored
    /// after its head, whose last head the host sealed with `seal`: the same checks as
    /// [`StoredModel::restore`](crate::StoredModel::restore) of the whole trail (chain, seal,
    /// every event replayed through the transitions, each decision decided again by `policy`),
    /// made over the new events only. A store that keeps the models it verified (as
    /// `modelgate-store` does for votes) so pays for what was appended since, not for the
    /// length of the trail.
    ///
    /// With no events, the seal must be over the model's own head.
    ///
    /// ```
    /// # use modelgate::*;
    /// # let t = Timestamp::from_unix_secs;
    /// # let key = HmacSealer::new("k1", *b"0123456789abcdef0123456789abcdef");
    /// # let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.93)])?)?;
    /// let policy = MetricGate::at_least("accuracy", 0.9).and(Quorum::new(1));
    /// let mut model = Model::new("churn", "1")?.submit(outcome, "alice", t(10))?;
    /// let verified = AnyModel::from(StoredModel::from(&model).sealed_by(&key)?.restore(&key, &policy)?);
    /// // Another writer records a vote and stores it, sealed.
    /// model.record(Review::approve("bob", "sha256:1", t(11)))?;
    /// let stored = StoredModel::from(&model).sealed_by(&key)?;
    /// let new = stored.events()[verified.history().len()..].to_vec();
    /// let resumed = verified.resume(new, stored.seal().unwrap(), &key, &policy)?;
    /// assert_eq!(resumed.head(), model.head());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`RestoreError::Run`] for a run's model (a run goes on through its pipeline);
    /// [`RestoreError::Chain`] for events that do not continue the
    /// model's trail; [`RestoreError::Seal`] for a seal the verifier refuses: in these, nothing
    /// was replayed and the model comes back with the events. [`RestoreError::Replay`] (and
    /// the other replay errors) for an event the transitions do not record as stored: the
    /// model had moved partway and does not come back (restore the whole trail); the events
    /// do.
    #[allow(clippy::result_large_err)] // hands back the model and the events
    pub fn resume<V, P>(
        self,
        events: Vec<Event>,
        seal: &Seal,
        verifier: &V,
        policy: &P,
    ) -> Result<AnyModel, Refused<Unresumed, RestoreError>>
    where
        V: SealVerifier + ?Sized,
        P: Policy + ?Sized,
    {
        if let Some(pipeline) = run_pipeline(self.history()) {
            let error = RestoreError::Run {
                pipeline: *pipeline,
            };
            return Err(Refused::new((Some(self), events), error));
        }
        let checked = continue_chain(self.head(), self.revision(), &events)
            .map_err(RestoreError::from)
            .and_then(|head| {
                match events.last().or(self.history().last()) {
                    Some(last) => verifier.verify_at(&head, seal, last.at()),
                    None => verifier.verify(&head, seal),
                }
                .map(|()| head)
                .map_err(RestoreError::Seal)
            });
        let head = match checked {
            Ok(head) => head,
            Err(error) => return Err(Refused::new((Some(self), events), error)),
        };
        let offset = self.history().len();
        let mut replayer = ModelReplayer::from_model(self, Decider::Policy(policy));
        match walk_on(&mut replayer, &events, offset, head) {
            Ok(()) => match replayer.into_model() {
                Some(model) => Ok(model),
                None => Err(Refused::new(
                    (None, events),
                    RestoreError::Truncated {
                        seq: 0,
                        missing: "event",
                    },
                )),
            },
            Err(error) => Err(Refused::new((None, events), error)),
        }
    }
}
