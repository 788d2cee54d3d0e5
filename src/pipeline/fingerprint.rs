//! The fingerprint of a validated pipeline: SHA-256 over its canonical encoding.
//!
//! ```text
//! pipeline = text "modelgate.pipeline", text environment, option<u64> approval_validity_ms,
//!            list<step>
//! step     = text name, u8 kind, data
//!   1 training   (nothing)
//!   2 test       list<gate>
//!   3 approval   list<text> approvers, u64 required, u8 veto (0 | 1), option<gate> auto_approve,
//!                list<gate> gates, option<u64> soak_hours, list<gate> online,
//!                u8 on_reject (0 fail_pipeline | 1 retrain, then u32 max_attempts)
//!   4 deploy     (nothing)
//! gate     = text metric, u8 op (0 at_least, 1 at_most, 2 above, 3 below), f64 threshold
//! ```
//!
//! A pipeline whose approval step uses the keys that name rules (`users`, `roles`,
//! `required_roles`, `vote_window_hours`, `policy`) is encoded in the second grammar, which is
//! the first with another label and an approval step that says everything:
//!
//! ```text
//! pipeline = text "modelgate.pipeline.2", … as above
//!   3 approval   list<text> approvers, list<text> users, list<text> roles, u64 required,
//!                u8 veto, option<gate> auto_approve, list<gate> gates, option<u64> soak_hours,
//!                list<gate> online, list<text> required_roles, option<u64> vote_window_hours,
//!                option<hash> policy (its rule's fingerprint), u8 on_reject (as above)
//! ```
//!
//! Every setting that changes how a run goes is in it; display names are not. A pipeline
//! written in the first grammar's keys keeps the fingerprint its runs recorded.

use super::{OnReject, Pipeline, StepKind};
use crate::event::Fingerprint;
use crate::event::canonical::{self, Sink};
use crate::policy::MetricGate;

impl Pipeline {
    /// The pipeline's fingerprint: a run records it when it starts, and
    /// [`Run::restore`](super::Run::restore) refuses a trail started for another pipeline.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(|out| encode(out, self))
    }
}

fn encode(out: &mut dyn Sink, pipeline: &Pipeline) {
    let second = pipeline.approval().is_some_and(|(_, a)| a.uses_rules());
    canonical::label(
        out,
        if second {
            "modelgate.pipeline.2"
        } else {
            "modelgate.pipeline"
        },
    );
    canonical::environment(out, &pipeline.environment);
    canonical::list(out, &pipeline.steps, |out, step| {
        canonical::text(out, &step.name);
        match &step.kind {
            StepKind::Training => canonical::u8(out, 1),
            StepKind::Test { gates } => {
                canonical::u8(out, 2);
                canonical::list(out, gates, gate);
            }
            StepKind::Approval(a) => {
                canonical::u8(out, 3);
                let names = |out: &mut dyn Sink, names: &[String]| {
                    canonical::list(out, names, |out, name| canonical::text(out, name));
                };
                names(out, &a.approvers);
                if second {
                    names(out, &a.users);
                    names(out, &a.roles);
                }
                canonical::u64(out, u64::try_from(a.required).unwrap_or(u64::MAX));
                canonical::u8(out, u8::from(a.veto));
                canonical::option(out, a.auto_approve.as_ref(), gate);
                canonical::list(out, &a.gates, gate);
                canonical::option(out, a.soak_hours.as_ref(), |out, h| canonical::u64(out, *h));
                canonical::list(out, &a.online, gate);
                if second {
                    names(out, &a.required_roles);
                    canonical::option(out, a.vote_window_hours.as_ref(), |out, h| {
                        canonical::u64(out, *h);
                    });
                    canonical::option(out, a.policy.as_ref(), |out, rule| {
                        out.put(rule.fingerprint().as_bytes());
                    });
                }
                match a.on_reject {
                    OnReject::FailPipeline => canonical::u8(out, 0),
                    OnReject::Retrain { max_attempts } => {
                        canonical::u8(out, 1);
                        canonical::u32(out, max_attempts);
                    }
                }
            }
            StepKind::Deploy => canonical::u8(out, 4),
        }
    });
}

fn gate(out: &mut dyn Sink, gate: &MetricGate) {
    canonical::text(out, gate.metric());
    canonical::u8(
        out,
        crate::policy::fingerprint::comparison(gate.comparison()),
    );
    canonical::f64(out, gate.threshold());
}
