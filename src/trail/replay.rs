//! The one replay engine: a stored trail is checked (format, header, chain, seal), then walked
//! event by event through a [`Replayer`] — the model's transitions, or a run's pipeline — and
//! every event the replayer records must be the stored one, bit for bit.

use super::compare::{check_head, compare};
use super::error::{ReplayError, RestoreError};
use super::seal::SealVerifier;
use super::stored::StoredModel;
use crate::event::{Event, FORMAT_VERSION, Head};
use crate::model::check_chain;

/// What walks a trail: makes the call that recorded an event, and shows what it recorded.
pub(crate) trait Replayer {
    /// The events recorded so far.
    fn recorded(&self) -> &[Event];

    /// Makes the call that recorded `event`.
    fn apply(&mut self, event: &Event) -> Result<(), ReplayError>;

    /// The stored `event` against the one recorded at `index`: [`compare`] by default; a
    /// replayer may name the rule that recorded something else.
    fn check(&self, index: usize, event: &Event) -> Result<(), ReplayError> {
        compare(event, self.recorded().get(index))
    }
}

/// Checks the format version, the header, the chain and (with a verifier) the seal of
/// `stored`; returns the head.
pub(crate) fn verify<V: SealVerifier + ?Sized>(
    stored: &StoredModel,
    verifier: Option<&V>,
) -> Result<Head, RestoreError> {
    if stored.format_version() != FORMAT_VERSION {
        return Err(RestoreError::Format {
            found: stored.format_version(),
        });
    }
    let head = check_chain(
        stored.name(),
        stored.version(),
        stored.environment(),
        stored.events(),
    )
    .map_err(RestoreError::from)?;
    if let Some(verifier) = verifier {
        let seal = stored.seal().ok_or(RestoreError::Unsealed)?;
        match stored.events().last() {
            Some(last) => verifier.verify_at(&head, seal, last.at()),
            None => verifier.verify(&head, seal),
        }
        .map_err(RestoreError::Seal)?;
    }
    Ok(head)
}

/// Walks `events` (whose chain ends at `head`) through `replayer`, from the event at `from`
/// (the replayer has recorded the ones before): each event the replayer has not recorded yet is
/// applied, and the one it recorded must be the stored one. The replayer must not have recorded
/// more than the trail holds (a step cut in half), and the last event must hash to `head`.
pub(crate) fn walk<R: Replayer + ?Sized>(
    replayer: &mut R,
    events: &[Event],
    from: usize,
    head: Head,
) -> Result<(), RestoreError> {
    walk_on(replayer, events.get(from..).unwrap_or_default(), from, head)
}

/// Walks `events`, the trail's from the event at `offset` on (the replayer has recorded the
/// ones before), as [`walk`] does.
pub(crate) fn walk_on<R: Replayer + ?Sized>(
    replayer: &mut R,
    events: &[Event],
    offset: usize,
    head: Head,
) -> Result<(), RestoreError> {
    for (index, event) in (offset..).zip(events) {
        if replayer.recorded().len() <= index {
            replayer.apply(event).map_err(|e| fail(event, e))?;
        }
        replayer.check(index, event).map_err(|e| fail(event, e))?;
    }
    let end = offset.saturating_add(events.len());
    if let Some(next) = replayer.recorded().get(end) {
        return Err(RestoreError::Truncated {
            seq: u64::try_from(end).unwrap_or(u64::MAX),
            missing: next.action(),
        });
    }
    // Each event's `prev` was compared, so every event but the last is bit for bit the one the
    // replayer records; the head settles the last (a `-0.0` where it records `0.0` …).
    if let (Some(last), Some(live)) = (events.last(), replayer.recorded().last()) {
        check_head(last, live.hash(), head)?;
    }
    Ok(())
}

/// `error` on replaying `event`.
pub(crate) fn fail(event: &Event, error: ReplayError) -> RestoreError {
    RestoreError::Replay {
        seq: event.seq(),
        action: event.action(),
        error,
    }
}
