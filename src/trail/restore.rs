//! Restoring a stored model: check the chain and the seal, then replay every event through the
//! live transitions. There is no second implementation of any rule here: each event is turned
//! back into the call that recorded it, the call is made, and the event it records must be the
//! stored one.

use super::error::{ReplayError, RestoreError};
use super::replay::{Replayer, verify, walk};
use super::seal::SealVerifier;
use super::stored::StoredModel;
use crate::event::{Event, EventKind, Fingerprint};
use crate::model::{
    AnyModel, ChainError, Decided, DecisionContext, Model, Recorded, SubmitError, run_pipeline,
};
use crate::policy::{Policy, ReviewContext, Verdict, VerdictKind};
use crate::value::{Refused, Timestamp};

/// How decisions are replayed: by the caller's policy, or as recorded (trusting the seal).
pub(crate) enum Decider<'a, P: ?Sized> {
    Policy(&'a P),
    AsRecorded,
}

impl StoredModel {
    /// Restores the typed model, checking everything:
    ///
    /// - the format version is [`FORMAT_VERSION`](crate::event::FORMAT_VERSION), the name and version are valid;
    /// - the events chain from the header, and `verifier` verifies the seal over the head (a
    ///   truncated, extended or edited trail, or one sealed with an untrusted key, is refused);
    /// - every event replays through the live transition that records it, and records exactly
    ///   the stored event: each `decided` event is decided again by `policy` on the evidence in
    ///   the trail (submission, votes, champion, time), so an approval comes back only if
    ///   `policy` makes it.
    ///
    /// The trail of a [`Run`](crate::Run) (it starts with `run started`) is refused here: a
    /// run's events replay only through its pipeline, with
    /// [`Run::restore`](crate::Run::restore) or [`Run::restore_model`](crate::Run::restore_model).
    ///
    /// # Errors
    ///
    /// [`RestoreError`] naming the event and what is wrong ([`RestoreError::Run`] for a run's
    /// trail); the record comes back inside the [`Refused`], untouched.
    pub fn restore<V, P>(
        self,
        verifier: &V,
        policy: &P,
    ) -> Result<AnyModel, Refused<StoredModel, RestoreError>>
    where
        V: SealVerifier + ?Sized,
        P: Policy + ?Sized,
    {
        self.rebuild(Some(verifier), Decider::Policy(policy))
    }

    /// Restores like [`restore`](Self::restore) but without checking the seal: the chain and the
    /// replay under `policy` are still checked. For hosts that trust their storage and do not
    /// seal; anyone who can write to that storage can write any trail.
    ///
    /// # Errors
    ///
    /// As [`restore`](Self::restore), without the seal's.
    pub fn restore_unsealed<P: Policy + ?Sized>(
        self,
        policy: &P,
    ) -> Result<AnyModel, Refused<StoredModel, RestoreError>> {
        self.rebuild::<dyn SealVerifier, P>(None, Decider::Policy(policy))
    }

    /// Restores like [`restore`](Self::restore) but replays each decision as recorded instead of
    /// deciding it again: the recorded policy name and verdict are trusted on the strength of
    /// the seal alone. For records this host sealed under a policy it no longer has.
    ///
    /// # Errors
    ///
    /// As [`restore`](Self::restore), without the policy's.
    pub fn restore_trusting_decisions<V: SealVerifier + ?Sized>(
        self,
        verifier: &V,
    ) -> Result<AnyModel, Refused<StoredModel, RestoreError>> {
        self.rebuild::<V, dyn Policy>(Some(verifier), Decider::AsRecorded)
    }

    fn rebuild<V, P>(
        self,
        verifier: Option<&V>,
        decider: Decider<'_, P>,
    ) -> Result<AnyModel, Refused<StoredModel, RestoreError>>
    where
        V: SealVerifier + ?Sized,
        P: Policy + ?Sized,
    {
        let result = verify(&self, verifier).and_then(|head| {
            if let Some(pipeline) = run_pipeline(self.events()) {
                return Err(RestoreError::Run {
                    pipeline: *pipeline,
                });
            }
            let mut replayer = ModelReplayer::new(&self, decider)?;
            walk(&mut replayer, self.events(), 0, head)?;
            replayer.into_model().ok_or(RestoreError::Truncated {
                seq: 0,
                missing: "event",
            })
        });
        match result {
            Ok(model) => Ok(model),
            Err(e) => Err(Refused::new(self, e)),
        }
    }
}

/// The model replayer: each event of a model's trail turned back into the transition that
/// recorded it.
pub(crate) struct ModelReplayer<'a, P: ?Sized> {
    /// The model replayed so far (taken while a transition runs; `None` after one failed).
    model: Option<AnyModel>,
    decider: Decider<'a, P>,
}

impl<'a, P: Policy + ?Sized> ModelReplayer<'a, P> {
    /// A replayer from the new model of `stored`'s header.
    fn new(stored: &StoredModel, decider: Decider<'a, P>) -> Result<Self, RestoreError> {
        let start = Model::new(stored.name(), stored.version())
            .map_err(|e| RestoreError::Chain(ChainError::Identity(e)))?
            .in_environment(stored.environment().clone());
        Ok(Self::from_model(start.into(), decider))
    }

    /// A replayer that goes on from `model` (a finished run's, for the events after the run).
    pub(crate) fn from_model(model: AnyModel, decider: Decider<'a, P>) -> Self {
        Self {
            model: Some(model),
            decider,
        }
    }

    /// The model replayed.
    pub(crate) fn into_model(self) -> Option<AnyModel> {
        self.model
    }
}

impl<P: Policy + ?Sized> Replayer for ModelReplayer<'_, P> {
    fn recorded(&self) -> &[Event] {
        self.model.as_ref().map_or(&[], AnyModel::history)
    }

    fn apply(&mut self, event: &Event) -> Result<(), ReplayError> {
        let model = self
            .model
            .take()
            .ok_or(ReplayError::Differs { field: "event" })?;
        self.model = Some(apply(model, event, &self.decider)?);
        Ok(())
    }
}

/// Makes the call that recorded `event` on `model`.
fn apply<P: Policy + ?Sized>(
    model: AnyModel,
    event: &Event,
    decider: &Decider<'_, P>,
) -> Result<AnyModel, ReplayError> {
    let at = event.at();
    let status = model.status();
    let unexpected = || ReplayError::Unexpected { status };
    Ok(match (model, event.kind()) {
        (
            AnyModel::Untrained(m),
            EventKind::Submitted {
                outcome,
                submitter,
                promotion,
                ..
            },
        ) => submit(m, outcome, submitter, promotion.as_ref(), at)?,
        (
            AnyModel::Retraining(m),
            EventKind::Submitted {
                outcome,
                submitter,
                promotion,
                ..
            },
        ) => submit(m, outcome, submitter, promotion.as_ref(), at)?,
        (AnyModel::Submitted(mut m), EventKind::Voted { review }) => {
            m.record(review.clone())
                .map_err(|e| ReplayError::Vote(e.into_error()))?;
            m.into()
        }
        (
            AnyModel::Submitted(m),
            EventKind::Decided {
                policy,
                fingerprint,
                champion,
                verdict,
            },
        ) => {
            let ctx = DecisionContext::at(at).with_champion_opt(champion.clone());
            let decided = match decider {
                Decider::Policy(p) => {
                    let ctx = ctx.recording(match fingerprint {
                        Some(_) => Recorded::Policy,
                        None => Recorded::Without,
                    });
                    same_policy(*p, at, policy, fingerprint.as_ref())?;
                    decide(m, *p, &ctx, verdict, policy)?
                }
                Decider::AsRecorded => {
                    let ctx = ctx.recording(match fingerprint {
                        Some(f) => Recorded::As(*f),
                        None => Recorded::Without,
                    });
                    let recorded = AsRecorded { policy, verdict };
                    decide(m, &recorded, &ctx, verdict, policy)?
                }
            };
            match decided {
                Decided::Approved(m) => m.into(),
                Decided::Rejected(m) => m.into(),
                Decided::Pending(m, _) => m.into(),
            }
        }
        (AnyModel::Approved(m), EventKind::Deployed { receipt, by }) => m
            .mark_deployed(receipt.clone(), by, at)
            .map_err(|e| ReplayError::Action(e.into_error()))?
            .into(),
        (AnyModel::Approved(mut m), EventKind::DeployFailed { error, by }) => {
            m.mark_deploy_failed(error.clone(), by, at)
                .map_err(|e| ReplayError::Action(e.into_error()))?;
            m.into()
        }
        (AnyModel::Rejected(m), EventKind::Retraining { by }) => m
            .retrain(by, at)
            .map_err(|e| ReplayError::Action(e.into_error()))?
            .into(),
        (AnyModel::Approved(m), EventKind::Revoked { reason, by }) => m
            .revoke(reason.clone(), by, at)
            .map_err(|e| ReplayError::Action(e.into_error()))?
            .into(),
        (AnyModel::Approved(m), EventKind::Reopened { by }) => m
            .reopen(by, at)
            .map_err(|e| ReplayError::Action(e.into_error()))?
            .into(),
        (AnyModel::Deployed(m), EventKind::Superseded { by_version, by }) => m
            .supersede(by_version, by, at)
            .map_err(|e| ReplayError::Action(e.into_error()))?
            .into(),
        (
            AnyModel::Deployed(m),
            EventKind::RolledBack {
                to_version,
                reason,
                by,
            },
        ) => m
            .roll_back(to_version, reason.clone(), by, at)
            .map_err(|e| ReplayError::Action(e.into_error()))?
            .into(),
        (
            AnyModel::Superseded(m),
            EventKind::Reinstated {
                replacing,
                reason,
                by,
            },
        ) => {
            let replacing = replacing.as_deref();
            let reinstated = match decider {
                Decider::Policy(p) => m.reinstate(*p, replacing, reason.clone(), by, at),
                // Trusting the recorded decisions: the approval stands as recorded.
                Decider::AsRecorded => m.reinstate(&(), replacing, reason.clone(), by, at),
            };
            reinstated
                .map_err(|e| ReplayError::Action(e.into_error()))?
                .into()
        }
        (
            AnyModel::Deployed(m),
            EventKind::Retired {
                reason,
                for_cause,
                by,
            },
        ) => m
            .retire(reason.clone(), *for_cause, by, at)
            .map_err(|e| ReplayError::Action(e.into_error()))?
            .into(),
        (
            AnyModel::Superseded(m),
            EventKind::Retired {
                reason,
                for_cause,
                by,
            },
        ) => m
            .retire(reason.clone(), *for_cause, by, at)
            .map_err(|e| ReplayError::Action(e.into_error()))?
            .into(),
        _ => return Err(unexpected()),
    })
}

/// The recorded decision names the policy that would decide it again (the version in force at
/// `at`, for a policy that changes over time): its fingerprint first, then its name, so a
/// decision by another policy is named as such rather than by the verdict the other policy
/// reaches.
fn same_policy<P: Policy + ?Sized>(
    policy: &P,
    at: Timestamp,
    recorded_name: &str,
    recorded: Option<&Fingerprint>,
) -> Result<(), ReplayError> {
    let given: &dyn Policy = &policy;
    let in_force = given.in_force(at).unwrap_or(given);
    if let Some(recorded) = recorded {
        let fingerprint = crate::policy::fingerprint_of(in_force);
        if *recorded != fingerprint {
            return Err(ReplayError::OtherFingerprint {
                recorded: *recorded,
                policy: fingerprint,
            });
        }
    }
    let name = in_force.name();
    if name != recorded_name {
        return Err(ReplayError::OtherPolicy {
            recorded: recorded_name.to_owned(),
            policy: name,
        });
    }
    Ok(())
}

/// Decides `model` with `policy` and checks the verdict's kind against the recorded one.
fn decide<P: Policy + ?Sized>(
    model: Model<crate::model::Submitted>,
    policy: &P,
    ctx: &DecisionContext,
    recorded: &Verdict,
    recorded_policy: &str,
) -> Result<Decided, ReplayError> {
    let decided = model
        .decide(policy, ctx)
        .map_err(|e| ReplayError::Time(e.into_error()))?;
    if decided.verdict().kind() != recorded.kind()
        || decided.status() == crate::model::Status::Submitted
    {
        return Err(ReplayError::NotUpheld {
            recorded: recorded.kind(),
            recorded_policy: recorded_policy.to_owned(),
            policy: policy.name(),
            derived: decided.verdict().to_string(),
        });
    }
    Ok(decided)
}

/// The recorded decision as a policy, for [`StoredModel::restore_trusting_decisions`].
struct AsRecorded<'a> {
    policy: &'a str,
    verdict: &'a Verdict,
}

impl Policy for AsRecorded<'_> {
    fn evaluate(&self, _: &ReviewContext<'_>) -> Verdict {
        self.verdict.clone()
    }

    fn judge(&self, _: &ReviewContext<'_>) -> VerdictKind {
        self.verdict.kind()
    }

    fn name(&self) -> String {
        self.policy.to_owned()
    }
}

/// Replays a submission (of a new model or one retraining), with its promotion's evidence.
fn submit<S: crate::model::Trainable>(
    model: crate::model::Model<S>,
    outcome: &crate::value::TrainingOutcome,
    submitter: &str,
    promotion: Option<&crate::value::Promotion>,
    at: crate::value::Timestamp,
) -> Result<AnyModel, ReplayError> {
    let submitted = model
        .submit_with(outcome.clone(), promotion.cloned(), submitter, at)
        .map_err(|e| match e.into_error() {
            SubmitError::Promotion { why } => ReplayError::Promotion { why },
            e => ReplayError::Submit(e),
        })?;
    Ok(submitted.into())
}
