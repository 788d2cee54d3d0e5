//! Recording a vote: load, record, append with compare-and-swap; on a conflict, again.

use std::hash::BuildHasher;
use std::time::Duration;

use modelgate::{AnyModel, Pipeline, Policy, Review};

use crate::ModelKey;
use crate::error::{AppendError, VoteError};
use crate::store::{Store, Written};
use crate::verified::Kept;

/// How often a write is tried again when another writer got there first, and how long it
/// waits in between (a random wait up to `backoff`, doubling each time up to 64 times it).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Retry {
    /// The most tries in all (at least 1).
    pub attempts: u32,
    /// The longest wait before the second try.
    pub backoff: Duration,
}

impl Default for Retry {
    /// 32 tries, the first wait up to 2 ms: enough for 16 writers voting on one model at once.
    fn default() -> Self {
        Self {
            attempts: 32,
            backoff: Duration::from_millis(2),
        }
    }
}

impl Retry {
    /// At most `attempts` tries in all.
    #[must_use]
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// Waits up to `backoff` before the second try, doubling from there.
    #[must_use]
    pub fn backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// A random wait before try `attempt + 1` (jitter, so that writers that collided do not
    /// collide again in step).
    pub(crate) async fn wait(&self, attempt: u32) {
        let ceiling = self.backoff.saturating_mul(1 << attempt.min(6));
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX).max(1);
        let random = std::collections::hash_map::RandomState::new().hash_one(attempt);
        tokio::time::sleep(Duration::from_nanos(random % nanos)).await;
    }
}

/// A vote that was recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Voted {
    /// Where the model stands now.
    pub written: Written,
    /// How many times another writer got there first before it was recorded.
    pub conflicts: u32,
}

impl Store {
    /// Records `review` on the submitted model `key`: restores it (under `policy`, as
    /// [`restore`](Self::restore)), records the vote ([`modelgate::Model::record`]) and
    /// appends it with compare-and-swap. If another writer appended in between, it does it
    /// all again, up to `retry.attempts` times, so no vote is lost and none is recorded twice.
    ///
    /// If this store keeps the model ([`Options::verified_models`](crate::Options::verified_models):
    /// models it created, verified or wrote whose trail holds no decision yet, so nothing in
    /// it depends on `policy`), the vote is recorded on it and written with one
    /// compare-and-swap on the models row's head, revision and seal as this store wrote them
    /// (one statement on PostgreSQL), reading nothing first. If the row holds anything else,
    /// nothing is written and the restore goes on from the kept model: only the events
    /// appended since are read and verified ([`modelgate::AnyModel::resume`]), so a vote costs
    /// the same on a long trail as on a short one. Otherwise, or if they do not verify, the
    /// whole trail is restored. Votes on one model through one store take turns.
    ///
    /// # Errors
    ///
    /// [`VoteError::Load`] if the model cannot be loaded; [`VoteError::NotSubmitted`] if it is
    /// not waiting for votes; [`VoteError::Refused`] if the model refuses the vote (another
    /// artifact, an invalid reviewer id …); [`VoteError::Contended`] after
    /// `retry.attempts` conflicts in a row; [`VoteError::Append`] if the write fails.
    pub async fn record_vote<P: Policy + ?Sized>(
        &self,
        key: &ModelKey,
        policy: &P,
        review: &Review,
        retry: &Retry,
    ) -> Result<Voted, VoteError> {
        let _turn = self.verified.turn(key).await;
        self.retrying(key, retry, || async {
            if let Some(kept) = self.verified.take(key) {
                match self.vote_on_kept(key, kept, review).await {
                    Ok((kept, written)) => {
                        self.verified.keep(key, kept);
                        return Ok(Ok(written));
                    }
                    Err(Some(kept)) => self.verified.keep(key, kept),
                    Err(None) => {}
                }
            }
            let loaded = self.restore_latest(key, policy).await?;
            let AnyModel::Submitted(mut model) = loaded.model else {
                return Err(VoteError::NotSubmitted {
                    key: key.clone(),
                    status: loaded.model.status(),
                });
            };
            model
                .record(review.clone())
                .map_err(|e| VoteError::Refused {
                    key: key.clone(),
                    error: Box::new(e.into_error()),
                })?;
            Ok(match self.append_sealed(loaded.head, &model).await {
                Ok((written, seal)) => {
                    let kept = Kept {
                        head: written.head,
                        seal,
                        model: model.into(),
                    };
                    self.verified.keep(key, kept);
                    Ok(written)
                }
                Err(e) => Err(e),
            })
        })
        .await
    }

    /// Records `review` on the run `key` of `pipeline`, like [`record_vote`](Self::record_vote)
    /// but through [`modelgate::Run::record_vote`], so the pipeline's rules hold.
    ///
    /// # Errors
    ///
    /// As [`record_vote`](Self::record_vote); [`VoteError::RunRefused`] if the run refuses the
    /// vote (it is not waiting for approval …).
    pub async fn record_run_vote(
        &self,
        key: &ModelKey,
        pipeline: &Pipeline,
        review: &Review,
        retry: &Retry,
    ) -> Result<Voted, VoteError> {
        self.retrying(key, retry, || async {
            let loaded = self.restore_run(key, pipeline.clone()).await?;
            let mut run = loaded.model;
            run.record_vote(review.clone())
                .map_err(|e| VoteError::RunRefused {
                    key: key.clone(),
                    error: Box::new(e.into_error()),
                })?;
            Ok(self.append(loaded.head, &run).await)
        })
        .await
    }

    /// Runs `attempt` until its append does not conflict, at most `retry.attempts` times.
    async fn retrying<F, Fut>(
        &self,
        key: &ModelKey,
        retry: &Retry,
        mut attempt: F,
    ) -> Result<Voted, VoteError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Result<Written, AppendError>, VoteError>>,
    {
        let attempts = retry.attempts.max(1);
        for conflicts in 0..attempts {
            match attempt().await? {
                Ok(written) => return Ok(Voted { written, conflicts }),
                Err(AppendError::Conflict { .. }) => retry.wait(conflicts).await,
                Err(e) => return Err(VoteError::Append(e)),
            }
        }
        Err(VoteError::Contended {
            key: key.clone(),
            attempts,
        })
    }
}
