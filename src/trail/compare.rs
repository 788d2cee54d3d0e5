//! A stored event against the one the live transition records on the same inputs: a replay
//! accepts only the identical event, and names the first field that differs.

use super::error::{ReplayError, RestoreError};
use crate::event::{Event, EventKind, Head};

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
            rule: None,
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
        Some("fingerprint") => match (stored.kind(), live.kind()) {
            (
                EventKind::Decided {
                    fingerprint: Some(recorded),
                    ..
                },
                EventKind::Decided {
                    fingerprint: Some(policy),
                    ..
                },
            ) => Err(ReplayError::OtherFingerprint {
                recorded: *recorded,
                policy: *policy,
            }),
            _ => Err(ReplayError::Differs {
                field: "fingerprint",
            }),
        },
        Some(field) => Err(ReplayError::Differs { field }),
    }
}

/// The first field in which two events differ: `seq`, `at`, `prev`, `event` (another kind),
/// or a field of the event's data.
fn first_difference(a: &Event, b: &Event) -> Option<&'static str> {
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
                fingerprint: f1,
                champion: c1,
                verdict: v1,
            },
            K::Decided {
                policy: p2,
                fingerprint: f2,
                champion: c2,
                verdict: v2,
            },
        ) => first(&[
            ("policy", p1 == p2),
            ("fingerprint", f1 == f2),
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
