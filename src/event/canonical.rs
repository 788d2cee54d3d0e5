//! The canonical byte encoding of headers and events, which the hash chain hashes.
//!
//! Independent of any serde format, so that a trail stored as JSON, YAML or CBOR verifies the
//! same. The grammar, also in the crate docs ("The stored form"):
//!
//! ```text
//! u8, u32, u64   big-endian, fixed width
//! f64            the u64 of its IEEE-754 bits (metric values are finite)
//! text           u64 byte length, then the UTF-8 bytes
//! option<T>      u8 0 (none) | u8 1, then T
//! list<T>        u64 count, then each T
//! metrics        u64 count, then (text name, f64 value) in byte order of the names
//! hash           its 32 bytes
//!
//! header  = text "modelgate.header", u32 format_version (2), text name, text version,
//!           text environment, option<u64> approval validity (ms)
//! event   = text "modelgate.event", hash prev, u64 seq, u64 at (ms, never earlier than the event
//!           before: a vote's own time, or the event before's if that is later), u8 tag, fields
//!   1 submitted      text digest, metrics, text notes, text submitter, u32 attempt,
//!                    option<promotion>
//!   2 voted          text reviewer, list<text> roles, u8 vote (0 approve, 1 reject),
//!                    text digest, u64 at (the vote's own: when its reviewer cast it), text comment
//!   3 decided        text policy, option<metrics> champion, verdict
//!   4 deployed       text receipt, text by
//!   5 deploy_failed  text error, text by
//!   6 retraining     text by
//!   7 run_started    hash pipeline, text submitter
//!   8 artifact       text digest, metrics, text notes, text by
//!   9 evaluated      text step, metrics, text by
//!  10 run_finished   u8 outcome (0 failed, 1 approved, 2 deployed), u32 attempts
//!  11 revoked        text reason, text by
//!  12 reopened       text by
//!  13 superseded     text by_version, text by
//!  14 rolled_back    text to_version, text reason, text by
//!  15 reinstated     option<text> replacing, text reason, text by
//!  16 retired        text reason, u8 for_cause (0 | 1), text by
//!  17 decided        text policy, hash fingerprint (the policy's), option<metrics> champion,
//!                    verdict (tag 3 is a decision recorded before policies had fingerprints)
//!  18 voted          the fields of tag 2, then signature: a vote its reviewer signed (tag 2
//!                    is a vote without a signature)
//! signature = u8 form (0 Ed25519: text, its 64 bytes in standard base64 | 1 sshsig: text,
//!             armored), as the reviewer gave it
//! promotion = text from, hash deployment, u64 deployed_at (ms), metrics online,
//!             u64 observed_at (ms)
//! verdict = u8 kind (0 reject, 1 pending, 2 approve), list<finding>, option<text> automatic
//! finding = u8 kind, text rule, text subject, value observed, value required, text message
//! value   = u8 0 (missing) | u8 1, f64 (number) | u8 2, u64 (count) | u8 3, text (text)
//!
//! registry = text "modelgate.registry", u32 format_version (2), text name,
//!            list<(text environment, text version, hash head)> members, ordered by
//!            environment, then version (bytes)
//!
//! seal message = text "modelgate.seal", then the head's 32 bytes (a trail's or a registry's)
//!
//! log leaf = text "modelgate.log.leaf", u32 format_version (2), text name, text version,
//!            text environment, hash head, u64 revision (the trail's events), u64 at (ms, when
//!            the trail reached that head: the time of its last event, or of the write)
//! ```

use super::{Event, EventKind, RunOutcome};
use crate::policy::{Finding, FindingValue, Verdict, VerdictKind};
pub(crate) use crate::value::canonical::{
    Sink, f64, label, list, option, text, u8, u32, u64, usize,
};
use crate::value::hash::Head;
use crate::value::{Environment, Metrics, Review, Vote};

/// The version of the stored format: the header's `format_version`, hashed into every chain.
pub const FORMAT_VERSION: u32 = 2;

pub(crate) fn metrics(out: &mut dyn Sink, m: &Metrics) {
    usize(out, m.len());
    for (name, value) in m.iter() {
        text(out, name);
        f64(out, value);
    }
}

/// The header: label, format version, name, version, environment and its approval window.
pub(crate) fn encode_header(out: &mut dyn Sink, name: &str, version: &str, env: &Environment) {
    label(out, "modelgate.header");
    u32(out, FORMAT_VERSION);
    text(out, name);
    text(out, version);
    environment(out, env);
}

/// The index of a stored registry: its name, then each member's environment, version and head,
/// in the order of (environment, version).
pub(crate) fn encode_registry(out: &mut dyn Sink, name: &str, members: &[(&str, &str, Head)]) {
    label(out, "modelgate.registry");
    u32(out, FORMAT_VERSION);
    text(out, name);
    list(out, members, |out, (environment, version, head)| {
        text(out, environment);
        text(out, version);
        out.put(head.as_bytes());
    });
}

/// A leaf of the log of heads: which trail, at which head and revision, since when.
pub(crate) fn encode_log_leaf(
    out: &mut dyn Sink,
    (name, version, environment): (&str, &str, &str),
    head: Head,
    revision: u64,
    at_ms: u64,
) {
    label(out, "modelgate.log.leaf");
    u32(out, FORMAT_VERSION);
    text(out, name);
    text(out, version);
    text(out, environment);
    out.put(head.as_bytes());
    u64(out, revision);
    u64(out, at_ms);
}

/// An environment: its name, then its approval window in milliseconds if it has one.
pub(crate) fn environment(out: &mut dyn Sink, env: &Environment) {
    text(out, env.name());
    let validity = env
        .approval_validity()
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    option(out, validity.as_ref(), |out, ms| u64(out, *ms));
}

/// An event, `prev` included.
pub(crate) fn encode_event(out: &mut dyn Sink, event: &Event) {
    label(out, "modelgate.event");
    out.put(event.prev.as_bytes());
    u64(out, event.seq);
    u64(out, event.at.as_unix_millis());
    match &event.event {
        EventKind::Submitted {
            outcome,
            submitter,
            attempt,
            promotion,
        } => {
            u8(out, 1);
            text(out, outcome.digest().as_str());
            metrics(out, outcome.metrics());
            text(out, outcome.notes());
            text(out, submitter);
            u32(out, *attempt);
            option(out, promotion.as_ref(), |out, p| {
                text(out, p.from());
                out.put(p.deployment().as_bytes());
                u64(out, p.deployed_at().as_unix_millis());
                metrics(out, p.online());
                u64(out, p.observed_at().as_unix_millis());
            });
        }
        EventKind::Voted { review } => match review.signature() {
            None => {
                u8(out, 2);
                encode_review(out, review);
            }
            Some(signature) => {
                u8(out, 18);
                encode_review(out, review);
                u8(out, signature.form());
                text(out, signature.as_text());
            }
        },
        EventKind::Decided {
            policy,
            fingerprint: None,
            champion,
            verdict,
        } => {
            u8(out, 3);
            text(out, policy);
            option(out, champion.as_ref(), |out, m| metrics(out, m));
            encode_verdict(out, verdict);
        }
        EventKind::Decided {
            policy,
            fingerprint: Some(fingerprint),
            champion,
            verdict,
        } => {
            u8(out, 17);
            text(out, policy);
            out.put(fingerprint.as_bytes());
            option(out, champion.as_ref(), |out, m| metrics(out, m));
            encode_verdict(out, verdict);
        }
        EventKind::Deployed { receipt, by } => {
            u8(out, 4);
            text(out, receipt.as_str());
            text(out, by);
        }
        EventKind::DeployFailed { error, by } => {
            u8(out, 5);
            text(out, error);
            text(out, by);
        }
        EventKind::Retraining { by } => {
            u8(out, 6);
            text(out, by);
        }
        EventKind::RunStarted {
            pipeline,
            submitter,
        } => {
            u8(out, 7);
            out.put(pipeline.as_bytes());
            text(out, submitter);
        }
        EventKind::Artifact {
            digest,
            metrics: m,
            notes,
            by,
        } => {
            u8(out, 8);
            text(out, digest.as_str());
            metrics(out, m);
            text(out, notes);
            text(out, by);
        }
        EventKind::Evaluated {
            step,
            metrics: m,
            by,
        } => {
            u8(out, 9);
            text(out, step);
            metrics(out, m);
            text(out, by);
        }
        EventKind::Revoked { reason, by } => {
            u8(out, 11);
            text(out, reason);
            text(out, by);
        }
        EventKind::Reopened { by } => {
            u8(out, 12);
            text(out, by);
        }
        EventKind::Superseded { by_version, by } => {
            u8(out, 13);
            text(out, by_version);
            text(out, by);
        }
        EventKind::RolledBack {
            to_version,
            reason,
            by,
        } => {
            u8(out, 14);
            text(out, to_version);
            text(out, reason);
            text(out, by);
        }
        EventKind::Reinstated {
            replacing,
            reason,
            by,
        } => {
            u8(out, 15);
            option(out, replacing.as_ref(), |out, v| text(out, v));
            text(out, reason);
            text(out, by);
        }
        EventKind::Retired {
            reason,
            for_cause,
            by,
        } => {
            u8(out, 16);
            text(out, reason);
            u8(out, u8::from(*for_cause));
            text(out, by);
        }
        EventKind::RunFinished { outcome, attempts } => {
            u8(out, 10);
            u8(
                out,
                match outcome {
                    RunOutcome::Failed => 0,
                    RunOutcome::Approved => 1,
                    RunOutcome::Deployed => 2,
                },
            );
            u32(out, *attempts);
        }
    }
}

fn encode_review(out: &mut dyn Sink, review: &Review) {
    text(out, review.reviewer());
    usize(out, review.roles().len());
    for role in review.roles() {
        text(out, role);
    }
    u8(
        out,
        match review.vote() {
            Vote::Approve => 0,
            Vote::Reject => 1,
        },
    );
    text(out, review.digest());
    u64(out, review.at().as_unix_millis());
    text(out, review.comment());
}

fn kind(out: &mut dyn Sink, k: VerdictKind) {
    u8(
        out,
        match k {
            VerdictKind::Reject => 0,
            VerdictKind::Pending => 1,
            VerdictKind::Approve => 2,
        },
    );
}

fn encode_verdict(out: &mut dyn Sink, verdict: &Verdict) {
    kind(out, verdict.kind());
    list(out, verdict.findings(), |out, f| encode_finding(out, f));
    option(out, verdict.automatic_raw(), |out, rule| text(out, rule));
}

fn encode_finding(out: &mut dyn Sink, finding: &Finding) {
    kind(out, finding.kind());
    text(out, finding.rule());
    text(out, finding.subject());
    encode_value(out, finding.observed());
    encode_value(out, finding.required());
    text(out, &finding.message());
}

fn encode_value(out: &mut dyn Sink, value: &FindingValue) {
    match value {
        FindingValue::Missing => u8(out, 0),
        FindingValue::Number(x) => {
            u8(out, 1);
            f64(out, *x);
        }
        FindingValue::Count(n) => {
            u8(out, 2);
            u64(out, *n);
        }
        FindingValue::Text(t) => {
            u8(out, 3);
            text(out, t);
        }
    }
}
