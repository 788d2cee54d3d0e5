//! Queries over the models rows: what awaits approval, what is deployed, by status.
//!
//! They read the index columns the store derives from each trail when it writes it, and do
//! not verify them; a reviewer's queue is the exception: it verifies the sealed approvers and
//! the trail of each model it lists. Load a model to get its verified trail.

use modelgate::{Environment, EventKind, Head, Status, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::ModelKey;
use crate::error::{DatabaseError, QueryError};
use crate::key::EnvironmentName;
use crate::store::Store;
use crate::trail::{KIND_MEMBER, KIND_RUN};

/// One model, summarized: from its row's columns as stored (not verified) where
/// [`Store::by_status`], [`Store::current_deployments`] and [`Store::unfinished_runs`] return
/// it; from its verified trail and its registry's sealed index where [`Store::models`] returns
/// it (the row's columns are checked against them). [`Store::load`] verifies a model whole.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// The model's key: its name, version and environment.
    pub key: ModelKey,
    /// Its status after its last event.
    pub status: Status,
    /// Its environment: the key's, with the approval window stored with it.
    pub environment: Environment,
    /// Its head.
    pub head: Head,
    /// Its revision: the number of events.
    pub revision: u64,
    /// The time of its last event.
    pub updated_at: Option<Timestamp>,
    /// When it last became its environment's current deployment (deployed, or reinstated), if
    /// it ever did.
    pub deployed_at: Option<Timestamp>,
    /// Whether it is a run (its first event is `run started`).
    pub is_run: bool,
    /// Whether it is a registry member (written by
    /// [`Store::save_registry`](crate::Store::save_registry); from [`Store::models`], held by
    /// its registry's verified index).
    pub is_member: bool,
}

/// Which models [`Store::awaiting_approval`] lists.
///
/// ```
/// use modelgate_store::Awaiting;
/// let mine = Awaiting::all().in_environment("production").for_reviewer("bob", ["team_lead"]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Awaiting {
    environment: Option<String>,
    reviewer: Option<(String, Vec<String>)>,
}

impl Awaiting {
    /// Every submitted model.
    pub fn all() -> Self {
        Self::default()
    }

    /// Only models of `environment`: its name (`"production"`) or the
    /// [`Environment`](modelgate::Environment) itself.
    #[must_use]
    pub fn in_environment(mut self, environment: impl EnvironmentName) -> Self {
        self.environment = Some(environment.environment_name().to_owned());
        self
    }

    /// Only models that `reviewer` may approve (their approvers name the reviewer's id or one
    /// of `roles`) and that the reviewer has not yet voted on since their latest submission
    /// (or reopening, which counts no earlier vote): a reviewer's queue. A vote on the same
    /// name and version in another environment does not count here.
    #[must_use]
    pub fn for_reviewer<I, S>(mut self, reviewer: impl Into<String>, roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.reviewer = Some((reviewer.into(), roles.into_iter().map(Into::into).collect()));
        self
    }
}

const COLUMNS: &str = "m.name, m.version, m.environment, m.approval_validity_ms, m.status, m.head, m.revision, m.updated_at, m.deployed_at, m.kind";

/// The order of lists: oldest change first, then by key.
const OLDEST_FIRST: &str = " ORDER BY m.updated_at, m.name, m.version, m.environment";

/// A query's text and its text parameters, numbered as they are pushed.
struct Sql {
    text: String,
    params: Vec<String>,
}

impl Sql {
    fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            params: Vec::new(),
        }
    }

    /// Pushes a parameter and returns its placeholder.
    fn param(&mut self, value: impl Into<String>) -> String {
        self.params.push(value.into());
        format!("${}", self.params.len())
    }
}

impl Store {
    /// Submitted models waiting for a decision (each environment's separately), oldest change
    /// first; narrowed by `filter` to an environment and to a reviewer's queue.
    ///
    /// A reviewer's queue routes by the approvers the host sealed
    /// ([`set_approvers`](Self::set_approvers), or a run's pipeline at
    /// [`create`](Self::create)): each model whose approvers rows name the reviewer is listed
    /// only after their seal is verified over all its approvers rows, so a row inserted, edited
    /// or copied from another model without the key is refused, not routed. An approvers row
    /// deleted, or a `status` column set away from `submitted`, can still hide a model from a
    /// queue (routing, not evidence: the policy decides; [`models`](Self::models) lists it
    /// and names the edited column). Each
    /// model of a reviewer's queue is also loaded and verified (like [`load`](Self::load)),
    /// and listed only if its sealed trail waits for the reviewer's vote (the round opened by
    /// its latest submission or reopening is still open, and holds no vote of theirs): a
    /// decided model whose `status` column is set back to `submitted`, or whose vote rows'
    /// columns are edited, is not put into a queue, and whether the reviewer voted is read
    /// from that trail, not from the events' `actor` column. The queue of all models (no reviewer)
    /// reads the columns only.
    ///
    /// # Errors
    ///
    /// [`QueryError`] if the database fails or a row does not hold what its columns should;
    /// for a reviewer's queue, [`QueryError::ForgedApprovers`] naming a model whose approvers
    /// do not verify, [`QueryError::UnsealedApprovers`] naming one stored without a seal,
    /// [`QueryError::Trail`] naming one whose trail does not verify.
    pub async fn awaiting_approval(&self, filter: &Awaiting) -> Result<Vec<Summary>, QueryError> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM modelgate_models m WHERE "));
        let status = sql.param(Status::Submitted.to_string());
        sql.text.push_str(&format!("m.status = {status}"));
        if let Some(environment) = &filter.environment {
            let p = sql.param(environment.clone());
            sql.text.push_str(&format!(" AND m.environment = {p}"));
        }
        if let Some((reviewer, roles)) = &filter.reviewer {
            let who: Vec<String> = std::iter::once(reviewer)
                .chain(roles)
                .map(|w| sql.param(w.clone()))
                .collect();
            // Whether the reviewer voted already is read from the verified trail below, not
            // from the events' `actor` column: a column edited without the key hides nothing.
            sql.text.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM modelgate_approvers a
                    WHERE a.name = m.name AND a.version = m.version
                      AND a.environment = m.environment AND a.approver IN ({}))",
                who.join(", ")
            ));
        }
        sql.text.push_str(OLDEST_FIRST);
        let candidates = self.summaries(sql).await?;
        let Some((reviewer, roles)) = &filter.reviewer else {
            return Ok(candidates);
        };
        // The rows named the reviewer; the routing is what the host sealed, and the model
        // awaits the reviewer's vote by its sealed trail, not by its status column.
        let mut queue = Vec::with_capacity(candidates.len());
        for summary in candidates {
            let approvers = self.verified_approvers(&summary.key).await?;
            if std::iter::once(reviewer)
                .chain(roles)
                .any(|who| approvers.contains(who))
                && self.awaits_vote_by(&summary.key, reviewer).await?
            {
                queue.push(summary);
            }
        }
        Ok(queue)
    }

    /// Whether the verified trail of `key` (rows complete, chain, the host's seal over its
    /// head) waits for a vote of `reviewer`: its last event opened a review round or is a vote
    /// in it (`submitted`, `reopened`, `voted`; a decision, deployment or any other move ends
    /// the round), and no vote of `reviewer` follows the round's opening.
    async fn awaits_vote_by(&self, key: &ModelKey, reviewer: &str) -> Result<bool, QueryError> {
        let loaded = self.load(key).await.map_err(|error| QueryError::Trail {
            error: Box::new(error),
        })?;
        let events = loaded.model.events();
        let open = events.iter().rposition(|e| {
            matches!(
                e.kind(),
                EventKind::Submitted { .. } | EventKind::Reopened { .. }
            )
        });
        let Some(round) = open.and_then(|i| events.get(i..)) else {
            return Ok(false);
        };
        let only_votes = round
            .iter()
            .skip(1)
            .all(|e| matches!(e.kind(), EventKind::Voted { .. }));
        let voted = round.iter().skip(1).any(
            |e| matches!(e.kind(), EventKind::Voted { review } if review.reviewer() == reviewer),
        );
        Ok(only_votes && !voted)
    }

    /// The current deployment of each model name in each environment (of `name` only, if
    /// given): of the versions whose status is [`Status::Deployed`] there, the one that became
    /// current last (deployed, or reinstated by a rollback to it). A superseded or retired
    /// version is not current.
    ///
    /// # Errors
    ///
    /// As [`awaiting_approval`](Self::awaiting_approval).
    pub async fn current_deployments(
        &self,
        name: Option<&str>,
    ) -> Result<Vec<Summary>, QueryError> {
        // The newest deployed version of each name and environment, ranked in one pass (a
        // comparison of every deployed version with every other grew with their square).
        let mut sql = Sql::new("");
        let deployed = sql.param(Status::Deployed.to_string());
        let only = match name {
            Some(name) => format!(" AND name = {}", sql.param(name)),
            None => String::new(),
        };
        sql.text = format!(
            "SELECT {COLUMNS} FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY name, environment
                ORDER BY deployed_at IS NULL, deployed_at DESC, version DESC) AS newest
             FROM modelgate_models WHERE status = {deployed}{only}) m
             WHERE m.newest = 1 ORDER BY m.name, m.environment"
        );
        self.summaries(sql).await
    }

    /// Every model with `status`, in every environment, oldest change first: those awaiting a
    /// decision, approved and not yet deployed, [superseded](Status::Superseded) (rollback
    /// candidates), [retired](Status::Retired) …
    ///
    /// # Errors
    ///
    /// As [`awaiting_approval`](Self::awaiting_approval).
    pub async fn by_status(&self, status: Status) -> Result<Vec<Summary>, QueryError> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM modelgate_models m WHERE "));
        let p = sql.param(status.to_string());
        sql.text.push_str(&format!("m.status = {p}"));
        sql.text.push_str(OLDEST_FIRST);
        self.summaries(sql).await
    }

    /// Runs that have not finished: what a host resumes after a restart, each with
    /// [`restore_run`](Self::restore_run).
    ///
    /// # Errors
    ///
    /// As [`awaiting_approval`](Self::awaiting_approval).
    pub async fn unfinished_runs(&self) -> Result<Vec<Summary>, QueryError> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM modelgate_models m WHERE "));
        let finished = sql.param("run finished");
        sql.text.push_str(&format!(
            "m.kind = '{KIND_RUN}' AND (m.last_action IS NULL OR m.last_action <> {finished})"
        ));
        sql.text.push_str(OLDEST_FIRST);
        self.summaries(sql).await
    }

    async fn summaries(&self, sql: Sql) -> Result<Vec<Summary>, QueryError> {
        let mut query = sqlx::query(&sql.text);
        for p in &sql.params {
            query = query.bind(p.as_str());
        }
        let rows = query
            .fetch_all(&self.pool)
            .await
            .map_err(|e| QueryError::Database(DatabaseError(e)))?;
        rows.iter().map(summary).collect()
    }
}

fn summary(row: &AnyRow) -> Result<Summary, QueryError> {
    let db = |e| QueryError::Database(DatabaseError(e));
    let name: String = row.try_get(0).map_err(db)?;
    let version: String = row.try_get(1).map_err(db)?;
    let environment_name: String = row.try_get(2).map_err(db)?;
    let key = ModelKey::new(name, version).in_environment(environment_name.as_str());
    let window: Option<i64> = row.try_get(3).map_err(db)?;
    let status_text: String = row.try_get(4).map_err(db)?;
    let head_text: String = row.try_get(5).map_err(db)?;
    let revision: i64 = row.try_get(6).map_err(db)?;
    let updated_at: Option<i64> = row.try_get(7).map_err(db)?;
    let deployed_at: Option<i64> = row.try_get(8).map_err(db)?;
    let kind: String = row.try_get(9).map_err(db)?;
    let unreadable = |column, value: &str| QueryError::Unreadable {
        key: key.clone(),
        column,
        value: value.to_owned(),
    };
    let environment = Environment::new(&environment_name)
        .map_err(|_| unreadable("environment", &environment_name))?;
    let environment = match window {
        Some(ms) => {
            let ms = u64::try_from(ms)
                .map_err(|_| unreadable("approval_validity_ms", &ms.to_string()))?;
            environment.with_approval_validity(std::time::Duration::from_millis(ms))
        }
        None => environment,
    };
    let status: Status = status_text
        .parse()
        .map_err(|_| unreadable("status", &status_text))?;
    let head: Head = head_text
        .parse()
        .map_err(|_| unreadable("head", &head_text))?;
    let time = |t: Option<i64>| {
        t.and_then(|t| u64::try_from(t).ok())
            .map(Timestamp::from_unix_millis)
    };
    Ok(Summary {
        status,
        environment,
        head,
        revision: u64::try_from(revision)
            .map_err(|_| unreadable("revision", &revision.to_string()))?,
        updated_at: time(updated_at),
        deployed_at: time(deployed_at),
        is_run: kind == KIND_RUN,
        is_member: kind == KIND_MEMBER,
        key,
    })
}
