//! Restoring a stored model: check the chain and the seal, then replay every event through the
//! live transitions. There is no second implementation of any rule here: each event is turned
//! back into the call that recorded it, the call is made, and the event it records must be the
//! stored one.

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

/// The live head after the last event must be the stored one.
pub(crate) fn check_head(last: &Event, live: Head, stored: Head) -> Result<(), RestoreError> {
    if live == stored {
        return Ok(());
    }
    Err(RestoreError::Replay {
        seq: last.seq(),
        action: last.action(),
        error: ReplayError::Differs { field: "encoding" },
    })
}

/// The stored event against the one the live call recorded at the same place.
pub(crate) fn compare(stored: &Event, live: Option<&Event>) -> Result<(), ReplayError> {
    let Some(live) = live else {
        return Err(ReplayError::Differs { field: "event" });
    };
    match first_difference(stored, live) {
        None => Ok(()),
        Some("event") => Err(ReplayError::Diverges {
            derived: live.action(),
        }),
        Some("policy") => match (stored.kind(), live.kind()) {
            (
                EventKind::Decided {
                    policy: recorded, ..
                },
                EventKind::Decided { policy, .. },
            ) => Err(ReplayError::OtherPolicy {
                recorded: recorded.clone(),
                policy: policy.clone(),
            }),
            _ => Err(ReplayError::Differs { field: "policy" }),
        },
        Some(field) => Err(ReplayError::Differs { field }),
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
        ) => {
            check_promotion(m.environment().name(), promotion.as_ref(), at)?;
            m.submit_with(outcome.clone(), promotion.clone(), submitter, at)
                .map_err(|e| ReplayError::Submit(e.into_error()))?
                .into()
        }
        (
            AnyModel::Retraining(m),
            EventKind::Submitted {
                outcome,
                submitter,
                promotion,
                ..
            },
        ) => {
            check_promotion(m.environment().name(), promotion.as_ref(), at)?;
            m.submit_with(outcome.clone(), promotion.clone(), submitter, at)
                .map_err(|e| ReplayError::Submit(e.into_error()))?
                .into()
        }
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

/// The first field in which two events differ: `seq`, `at`, `prev`, `event` (another kind),
/// or a field of the event's data.
pub(crate) fn first_difference(a: &Event, b: &Event) -> Option<&'static str> {
    if std::mem::discriminant(a.kind()) != std::mem::discriminant(b.kind()) {
        return Some("event");
    }
    if a.seq() != b.seq() {
        return Some("seq");
    }
    if a.at() != b.at() {
        return Some("at");
    }
    if a.prev() != b.prev() {
        return Some("prev");
    }
    fn first(fields: &[(&'static str, bool)]) -> Option<&'static str> {
        fields.iter().find(|(_, same)| !same).map(|(name, _)| *name)
    }
    use EventKind as K;
    match (a.kind(), b.kind()) {
        (
            K::Submitted {
                outcome: o1,
                submitter: s1,
                attempt: a1,
                promotion: p1,
            },
            K::Submitted {
                outcome: o2,
                submitter: s2,
                attempt: a2,
                promotion: p2,
            },
        ) => first(&[
            ("digest", o1.digest() == o2.digest()),
            ("metrics", o1.metrics() == o2.metrics()),
            ("notes", o1.notes() == o2.notes()),
            ("submitter", s1 == s2),
            ("attempt", a1 == a2),
            ("promotion", p1 == p2),
        ]),
        (K::Revoked { reason: r1, by: b1 }, K::Revoked { reason: r2, by: b2 }) => {
            first(&[("reason", r1 == r2), ("by", b1 == b2)])
        }
        (K::Reopened { by: b1 }, K::Reopened { by: b2 }) => first(&[("by", b1 == b2)]),
        (
            K::Superseded {
                by_version: v1,
                by: b1,
            },
            K::Superseded {
                by_version: v2,
                by: b2,
            },
        ) => first(&[("by_version", v1 == v2), ("by", b1 == b2)]),
        (
            K::RolledBack {
                to_version: v1,
                reason: r1,
                by: b1,
            },
            K::RolledBack {
                to_version: v2,
                reason: r2,
                by: b2,
            },
        ) => first(&[
            ("to_version", v1 == v2),
            ("reason", r1 == r2),
            ("by", b1 == b2),
        ]),
        (
            K::Reinstated {
                replacing: v1,
                reason: r1,
                by: b1,
            },
            K::Reinstated {
                replacing: v2,
                reason: r2,
                by: b2,
            },
        ) => first(&[
            ("replacing", v1 == v2),
            ("reason", r1 == r2),
            ("by", b1 == b2),
        ]),
        (
            K::Retired {
                reason: r1,
                for_cause: c1,
                by: b1,
            },
            K::Retired {
                reason: r2,
                for_cause: c2,
                by: b2,
            },
        ) => first(&[
            ("reason", r1 == r2),
            ("for_cause", c1 == c2),
            ("by", b1 == b2),
        ]),
        (K::Voted { review: r1 }, K::Voted { review: r2 }) => first(&[("review", r1 == r2)]),
        (
            K::Decided {
                policy: p1,
                champion: c1,
                verdict: v1,
            },
            K::Decided {
                policy: p2,
                champion: c2,
                verdict: v2,
            },
        ) => first(&[
            ("policy", p1 == p2),
            ("champion", c1 == c2),
            ("verdict", v1 == v2),
        ]),
        (
            K::Deployed {
                receipt: r1,
                by: b1,
            },
            K::Deployed {
                receipt: r2,
                by: b2,
            },
        ) => first(&[("receipt", r1 == r2), ("by", b1 == b2)]),
        (K::DeployFailed { error: e1, by: b1 }, K::DeployFailed { error: e2, by: b2 }) => {
            first(&[("error", e1 == e2), ("by", b1 == b2)])
        }
        (K::Retraining { by: b1 }, K::Retraining { by: b2 }) => first(&[("by", b1 == b2)]),
        (
            K::RunStarted {
                pipeline: p1,
                submitter: s1,
            },
            K::RunStarted {
                pipeline: p2,
                submitter: s2,
            },
        ) => first(&[("pipeline", p1 == p2), ("submitter", s1 == s2)]),
        (
            K::Artifact {
                digest: d1,
                metrics: m1,
                notes: n1,
                by: b1,
            },
            K::Artifact {
                digest: d2,
                metrics: m2,
                notes: n2,
                by: b2,
            },
        ) => first(&[
            ("digest", d1 == d2),
            ("metrics", m1 == m2),
            ("notes", n1 == n2),
            ("by", b1 == b2),
        ]),
        (
            K::Evaluated {
                step: s1,
                metrics: m1,
                by: b1,
            },
            K::Evaluated {
                step: s2,
                metrics: m2,
                by: b2,
            },
        ) => first(&[("step", s1 == s2), ("metrics", m1 == m2), ("by", b1 == b2)]),
        (
            K::RunFinished {
                outcome: o1,
                attempts: a1,
            },
            K::RunFinished {
                outcome: o2,
                attempts: a2,
            },
        ) => first(&[("outcome", o1 == o2), ("attempts", a1 == a2)]),
        _ => Some("event"),
    }
}

/// The evidence of a promotion, as [`Model::promote`](crate::Model::promote) records it: from
/// another environment, observed when the version is submitted (`at`), at or after the
/// deployment it observes began.
fn check_promotion(
    environment: &str,
    promotion: Option<&crate::value::Promotion>,
    at: crate::value::Timestamp,
) -> Result<(), ReplayError> {
    let Some(p) = promotion else { return Ok(()) };
    if p.from() == environment {
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
