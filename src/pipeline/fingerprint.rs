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
//! Every setting that changes how a run goes is in it; display names are not.

use super::{OnReject, Pipeline, StepKind};
use crate::event::Fingerprint;
use crate::event::canonical::{self, Sink};
use crate::policy::{Comparison, MetricGate};

impl Pipeline {
    /// The pipeline's fingerprint: a run records it when it starts, and
    /// [`Run::restore`](super::Run::restore) refuses a trail started for another pipeline.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(|out| encode(out, self))
    }
}

fn encode(out: &mut dyn Sink, pipeline: &Pipeline) {
    canonical::label(out, "modelgate.pipeline");
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
                canonical::list(out, &a.approvers, |out, name| canonical::text(out, name));
                canonical::u64(out, u64::try_from(a.required).unwrap_or(u64::MAX));
                canonical::u8(out, u8::from(a.veto));
                canonical::option(out, a.auto_approve.as_ref(), gate);
                canonical::list(out, &a.gates, gate);
                canonical::option(out, a.soak_hours.as_ref(), |out, h| canonical::u64(out, *h));
                canonical::list(out, &a.online, gate);
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
        match gate.comparison() {
            Comparison::AtLeast => 0,
            Comparison::AtMost => 1,
            Comparison::Above => 2,
            Comparison::Below => 3,
        },
    );
    canonical::f64(out, gate.threshold());
}
