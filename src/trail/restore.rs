//! Restoring a stored model: check the chain and the seal, then replay every event through the
//! live transitions. There is no second implementation of any rule here: each event is turned
//! back into the call that recorded it, the call is made, and the event it records must be the
//! stored one.

use super::compare::{check_head, compare};
use super::error::{ReplayError, RestoreError};
use super::seal::SealVerifier;
use super::stored::StoredModel;
use crate::event::{Event, EventKind, FORMAT_VERSION, Head, RunOutcome};
use crate::model::{
    ActionError, AnyModel, Decided, DecisionContext, Model, SubmitError, check_actor,
};
use crate::policy::{Policy, ReviewContext, Verdict, VerdictKind};
use crate::value::Refused;
use crate::value::text;

/// Checks format, identity, chain and (with a verifier) the seal; returns the head.
pub(crate) fn verify<V: SealVerifier + ?Sized>(
    stored: &StoredModel,
    verifier: Option<&V>,
) -> Result<Head, RestoreError> {
    if stored.format_version != FORMAT_VERSION {
        return Err(RestoreError::Format {
            found: stored.format_version,
        });
    }
    text::check("name", &stored.name).map_err(RestoreError::Identity)?;
    text::check("version", &stored.version).map_err(RestoreError::Identity)?;
    let mut head = Head::of_header(&stored.name, &stored.version, &stored.environment);
    for (position, event) in (1u64..).zip(&stored.events) {
        if event.seq() != position {
            return Err(RestoreError::Sequence {
                position,
                found: event.seq(),
            });
        }
        if *event.prev() != head {
            return Err(RestoreError::Chain {
                seq: position,
                expected: head,
                found: *event.prev(),
            });
        }
        head = event.hash();
    }
    if let Some(verifier) = verifier {
        let seal = stored.seal.as_ref().ok_or(RestoreError::Unsealed)?;
        verifier.verify(&head, seal).map_err(RestoreError::Seal)?;
    }
    Ok(head)
}

/// How decisions are replayed: by the caller's policy, or as recorded (trusting the seal).
pub(crate) enum Decider<'a, P: ?Sized> {
    Policy(&'a P),
    AsRecorded,
}

impl StoredModel {
    /// Restores the typed model, checking everything:
    ///
    /// - the format version is [`FORMAT_VERSION`], the name and version are valid;
    /// - the events chain from the header, and `verifier` verifies the seal over the head (a
    ///   truncated, extended or edited trail, or one sealed with an untrusted key, is refused);
    /// - every event replays through the live transition that records it, and records exactly
    ///   the stored event: each `decided` event is decided again by `policy` on the evidence in
    ///   the trail (submission, votes, champion, time), so an approval comes back only if
    ///   `policy` makes it.
    ///
    /// Events of a [`Run`](crate::Run) (artifact, evaluated …) are carried along; restore the
    /// record with [`Run::restore`](crate::Run::restore) to check them against the pipeline.
    ///
    /// # Errors
    ///
    /// [`RestoreError`] naming the event and what is wrong; the record comes back inside the
    /// [`Refused`], untouched.
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
        let result = verify(&self, verifier).and_then(|head| replay(&self, &decider, head));
        match result {
            Ok(model) => Ok(model),
            Err(e) => Err(Refused::new(self, e)),
        }
    }
}

/// Replays every event of `stored` (whose chain ends at `head`) from a new model.
fn replay<P: Policy + ?Sized>(
    stored: &StoredModel,
    decider: &Decider<'_, P>,
    head: Head,
) -> Result<AnyModel, RestoreError> {
    let start = Model::new(stored.name.clone(), stored.version.clone())
        .map_err(RestoreError::Identity)?
        .in_environment(stored.environment.clone());
    let mut model = AnyModel::Untrained(start);
    for (i, event) in stored.events.iter().enumerate() {
        let fail = |error| RestoreError::Replay {
            seq: event.seq(),
            action: event.action(),
            error,
        };
        model = apply(model, event, decider).map_err(fail)?;
        compare(event, model.history().get(i)).map_err(fail)?;
    }
    // Each event's `prev` was compared, so every event but the last is bit for bit the one the
    // transitions record; the head settles the last (a `-0.0` where they record `0.0` …).
    if let Some(last) = stored.events.last() {
        check_head(last, model.head(), head)?;
    }
    Ok(model)
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
                champion,
                verdict,
            },
        ) => {
            let ctx = DecisionContext::at(at).with_champion_opt(champion.clone());
            let decided = match decider {
                Decider::Policy(p) => decide(m, *p, &ctx, verdict, policy)?,
                Decider::AsRecorded => {
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
        (mut model, kind @ (EventKind::RunStarted { .. } | EventKind::RunFinished { .. })) => {
            if !run_event_fits(&model, kind)? {
                return Err(unexpected());
            }
            append(&mut model, at, kind.clone())?;
            model
        }
        (
            mut model @ (AnyModel::Untrained(_) | AnyModel::Retraining(_)),
            kind @ (EventKind::Artifact { .. } | EventKind::Evaluated { .. }),
        ) => {
            check_run_event(kind)?;
            append(&mut model, at, kind.clone())?;
            model
        }
        _ => return Err(unexpected()),
    })
}

/// A run starts on a new model; it finishes as the model stands: deployed, approved, or rejected
/// (failed), after as many attempts as the model's submission says.
fn run_event_fits(model: &AnyModel, kind: &EventKind) -> Result<bool, ReplayError> {
    match kind {
        EventKind::RunStarted { .. } => {
            check_run_event(kind)?;
            Ok(model.history().is_empty())
        }
        EventKind::RunFinished { outcome, attempts } => {
            let submission = match (model, outcome) {
                (AnyModel::Deployed(m), RunOutcome::Deployed) => m.stage().submission(),
                (AnyModel::Approved(m), RunOutcome::Approved) => m.stage().submission(),
                (AnyModel::Rejected(m), RunOutcome::Failed) => m.stage().submission(),
                _ => return Ok(false),
            };
            if submission.attempt() != *attempts {
                return Err(ReplayError::Differs { field: "attempts" });
            }
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// The identifiers a run event carries, checked as the run checks them when it records them.
fn check_run_event(kind: &EventKind) -> Result<(), ReplayError> {
    let by = match kind {
        EventKind::RunStarted { submitter, .. } => {
            return text::check("submitter", submitter)
                .map_err(|e| ReplayError::Submit(SubmitError::Submitter(e)));
        }
        EventKind::Artifact { by, .. } => by,
        EventKind::Evaluated { step, by, .. } => {
            text::check("step", step).map_err(ReplayError::Identifier)?;
            by
        }
        _ => return Ok(()),
    };
    check_actor(by).map_err(|e| ReplayError::Action(ActionError::Actor(e)))
}

fn append(
    model: &mut AnyModel,
    at: crate::value::Timestamp,
    kind: EventKind,
) -> Result<(), ReplayError> {
    let trail = model.trail_mut();
    trail.check_time(at).map_err(ReplayError::Time)?;
    trail.push(at, kind);
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
    check_promotion(model.environment().name(), promotion, at)?;
    let submitted = model
        .submit_with(outcome.clone(), promotion.cloned(), submitter, at)
        .map_err(|e| ReplayError::Submit(e.into_error()))?;
    Ok(submitted.into())
}

/// The evidence of a promotion, as [`Model::promote`](crate::Model::promote) records it: from
/// another environment (a valid name, not one identity with the model's own), observed when the version is submitted (`at`), at or after the
/// deployment it observes began.
fn check_promotion(
    environment: &str,
    promotion: Option<&crate::value::Promotion>,
    at: crate::value::Timestamp,
) -> Result<(), ReplayError> {
    let Some(p) = promotion else { return Ok(()) };
    if crate::value::text::check("environment", p.from()).is_err() {
        return Err(ReplayError::Promotion {
            why: "it comes from an environment whose name an environment may not have",
        });
    }
    if crate::value::identity::same(p.from(), environment) {
        return Err(ReplayError::Promotion {
            why: "it comes from the model's own environment",
        });
    }
    if p.observed_at() != at {
        return Err(ReplayError::Promotion {
            why: "it is observed at another time than the submission it comes with",
        });
    }
    if p.deployed_at() > p.observed_at() {
        return Err(ReplayError::Promotion {
            why: "it is observed before the deployment it observes began",
        });
    }
    Ok(())
}
