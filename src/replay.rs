//! Replaying an audit trail: the same checks as the live transitions, event by event.

use crate::audit::{Event, EventKind};
use crate::decide::Concluded;
use crate::persist::StageData;
use crate::policy::VerdictKind;
use crate::record::{self, RecordError};
use crate::stage::sealed::Sealed;
use crate::stage::{
    Approved, Deployed, Rejected, Retraining, Status, Submission, Submitted, Untrained,
};
use crate::submit::{self, SubmitError, Trainable};
use crate::time::{self, TimeWentBackwards, Timestamp};

/// An audit trail that no sequence of transitions could have written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrailError {
    /// Sequence numbers must count 1, 2, 3 … without gaps.
    #[error(
        "event {found} is at position {expected}; sequence numbers must count from 1 without gaps"
    )]
    Sequence {
        /// The position in the trail, from 1.
        expected: u64,
        /// The sequence number found there.
        found: u64,
    },
    /// The event cannot happen to a model in this status.
    #[error("event {seq}: `{action}` cannot happen to a model that is {status}")]
    Unexpected {
        /// The event's sequence number.
        seq: u64,
        /// The event's action.
        action: &'static str,
        /// The status replayed so far.
        status: Status,
    },
    /// A submission's attempt number is not the next one.
    #[error("event {seq}: submission says attempt {found}, but it is attempt {expected}")]
    Attempt {
        /// The event's sequence number.
        seq: u64,
        /// The attempt it must be.
        expected: u32,
        /// The attempt it says.
        found: u32,
    },
    /// A decision event holds a pending verdict; only approvals and rejections are recorded.
    #[error("event {seq}: a recorded decision cannot be pending")]
    PendingDecision {
        /// The event's sequence number.
        seq: u64,
    },
    /// A vote's own time differs from its event's time.
    #[error("event {seq}: the vote's time `{vote_at}` differs from the event's time `{event_at}`")]
    VoteTime {
        /// The event's sequence number.
        seq: u64,
        /// The time inside the vote.
        vote_at: Timestamp,
        /// The event's time.
        event_at: Timestamp,
    },
    /// Time runs backwards.
    #[error("event {seq}: {error}")]
    Time {
        /// The event's sequence number.
        seq: u64,
        /// The times.
        error: TimeWentBackwards,
    },
    /// A submission that [`Model::submit`](crate::Model::submit) would refuse.
    #[error("event {seq}: {error}")]
    Submit {
        /// The event's sequence number.
        seq: u64,
        /// Why.
        error: SubmitError,
    },
    /// A vote that [`Model::record`](crate::Model::record) would refuse.
    #[error("event {seq}: {error}")]
    Vote {
        /// The event's sequence number.
        seq: u64,
        /// Why.
        error: RecordError,
    },
}

/// A model's stage data in any stage, as replay builds it.
#[derive(Debug, PartialEq)]
pub(crate) enum AnyStage {
    Untrained(Untrained),
    Submitted(Submitted),
    Approved(Approved),
    Rejected(Rejected),
    Retraining(Retraining),
    Deployed(Deployed),
}

impl AnyStage {
    pub(crate) fn status(&self) -> Status {
        match self {
            Self::Untrained(_) => Status::Untrained,
            Self::Submitted(_) => Status::Submitted,
            Self::Approved(_) => Status::Approved,
            Self::Rejected(_) => Status::Rejected,
            Self::Retraining(_) => Status::Retraining,
            Self::Deployed(_) => Status::Deployed,
        }
    }

    /// The attempt a submission from this stage gets, if a submission can happen in it.
    fn next_attempt(&self) -> Option<u32> {
        match self {
            Self::Untrained(s) => Some(s.next_attempt()),
            Self::Retraining(s) => Some(s.next_attempt()),
            _ => None,
        }
    }

    pub(crate) fn to_data(&self) -> StageData {
        match self {
            Self::Untrained(s) => s.to_data(),
            Self::Submitted(s) => s.to_data(),
            Self::Approved(s) => s.to_data(),
            Self::Rejected(s) => s.to_data(),
            Self::Retraining(s) => s.to_data(),
            Self::Deployed(s) => s.to_data(),
        }
    }
}

impl Status {
    /// Replays an audit trail to the status it leads to, with the checks of the live
    /// transitions: sequence numbers, time order, digests of votes, attempts, the order of stages.
    ///
    /// ```
    /// # use modelgate::*;
    /// # let t = Timestamp::from_unix_secs;
    /// # let outcome = TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.93)])?)?;
    /// let model = Model::new("churn", "1")?.submit(outcome, "alice", t(10))?;
    /// assert_eq!(Status::replay(model.history()), Ok(Status::Submitted));
    /// assert_eq!(Status::replay(&[]), Ok(Status::Untrained));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replay(history: &[Event]) -> Result<Status, TrailError> {
        replay(history).map(|stage| stage.status())
    }
}

/// Replays `history` from an untrained model.
pub(crate) fn replay(history: &[Event]) -> Result<AnyStage, TrailError> {
    let mut stage = AnyStage::Untrained(Untrained {});
    let mut last = None;
    for (expected, event) in (1u64..).zip(history) {
        if event.seq() != expected {
            return Err(TrailError::Sequence {
                expected,
                found: event.seq(),
            });
        }
        stage = step(stage, last, event)?;
        last = Some(event.at());
    }
    Ok(stage)
}

fn step(stage: AnyStage, last: Option<Timestamp>, event: &Event) -> Result<AnyStage, TrailError> {
    let (seq, at) = (event.seq(), event.at());
    time::check_not_before(last, at).map_err(|error| TrailError::Time { seq, error })?;
    let unexpected = |status| TrailError::Unexpected {
        seq,
        action: event.action(),
        status,
    };
    Ok(match (stage, event.kind()) {
        (
            stage,
            EventKind::Submitted {
                outcome,
                submitter,
                attempt,
            },
        ) => {
            let expected = stage
                .next_attempt()
                .ok_or_else(|| unexpected(stage.status()))?;
            submit::check(last, submitter, at)
                .map_err(|error| TrailError::Submit { seq, error })?;
            if *attempt != expected {
                return Err(TrailError::Attempt {
                    seq,
                    expected,
                    found: *attempt,
                });
            }
            let submission = Submission::new(outcome.clone(), submitter.clone(), expected, at);
            AnyStage::Submitted(Submitted::new(submission))
        }
        (AnyStage::Submitted(mut s), EventKind::Voted { review }) => {
            if review.at() != at {
                return Err(TrailError::VoteTime {
                    seq,
                    vote_at: review.at(),
                    event_at: at,
                });
            }
            record::check(last, &s, review).map_err(|error| TrailError::Vote { seq, error })?;
            s.votes.count(review.clone());
            AnyStage::Submitted(s)
        }
        (
            AnyStage::Submitted(s),
            EventKind::Decided {
                policy,
                champion,
                verdict,
            },
        ) => {
            if verdict.kind() == VerdictKind::Pending {
                return Err(TrailError::PendingDecision { seq });
            }
            match s.conclude(policy.clone(), at, champion.clone(), verdict.clone()) {
                Concluded::Approved(a) => AnyStage::Approved(a),
                Concluded::Rejected(r) => AnyStage::Rejected(r),
            }
        }
        (AnyStage::Approved(s), EventKind::Deployed { receipt }) => {
            AnyStage::Deployed(s.into_deployed(receipt.clone(), at))
        }
        (AnyStage::Rejected(s), EventKind::Retraining) => AnyStage::Retraining(s.retraining()),
        (stage, _) => return Err(unexpected(stage.status())),
    })
}
