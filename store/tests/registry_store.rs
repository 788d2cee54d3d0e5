//! A registry in the store is what the live one was: saved after every move and loaded by a
//! second store on the same database, equal to the live one; rollbacks and retirements; rows
//! put back to an older sealed state refused; a save that loses the compare-and-swap refused
//! whole; books made with `Store::append` outside the registry refused on load. On SQLite
//! (memory and file) and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use modelgate::policy::Soak;
use modelgate::registry::{PolicyBook, RegistryError, RestoreRegistryError};
use modelgate::{
    AnyModel, Environment, MetricGate, Metrics, Model, Policy, PolicyExt, Receipt, Registry,
    RestoreError, Run, Status, TrainingOutcome,
};
use modelgate_store::{
    LoadError, LoadRegistryError, MembershipError, ModelKey, SaveRegistryError, Store,
};
use sqlx::Row;

use common::{Backend, TestDb, raw, submitted_at, submitted_in, t};

const HOUR: u64 = 3600;
const NAME: &str = "churn";

fn staging() -> Environment {
    Environment::new("staging").unwrap()
}

/// Production, where an approval lapses after an hour undeployed.
fn production() -> Environment {
    Environment::new("production")
        .unwrap()
        .with_approval_validity(Duration::from_secs(HOUR))
}

fn staging_policy() -> MetricGate {
    MetricGate::at_least("accuracy", 0.9)
}

/// Production's policy: accuracy, and 48 hours in staging before the promotion.
fn production_policy() -> impl Policy + Send + Sync + 'static {
    MetricGate::at_least("accuracy", 0.9).and(Soak::at_least(Duration::from_secs(48 * HOUR)))
}

fn book() -> PolicyBook {
    PolicyBook::new()
        .with("staging", staging_policy())
        .with("production", production_policy())
}

fn member_key(version: &str, environment: &Environment) -> ModelKey {
    ModelKey::new(NAME, version).in_environment(environment)
}

/// Two stores on one database: the live one, and a second "process" that loads what the
/// first saved.
struct Hosts {
    live: Store,
    other: Store,
}

impl Hosts {
    async fn open(db: &TestDb) -> Self {
        Self {
            live: db.open().await,
            other: db.open().await,
        }
    }

    /// Saves `registry` with the live store and loads it with the other: equal.
    async fn save(&self, registry: &Registry, step: &str) -> modelgate_store::SavedRegistry {
        let saved = self
            .live
            .save_registry(registry)
            .await
            .unwrap_or_else(|e| panic!("{step}: {e}"));
        let loaded = self
            .other
            .load_registry(NAME, &book())
            .await
            .unwrap_or_else(|e| panic!("{step}: {e}"));
        assert!(loaded == *registry, "{step}: the loaded registry differs");
        assert_eq!(
            saved.members.len(),
            registry.members().count(),
            "{step}: every member"
        );
        saved
    }

    async fn close(self) {
        self.live.close().await;
        self.other.close().await;
    }
}

/// Submits `version` to staging at hour `at`, decides and deploys it there through the
/// registry, saving after every move.
async fn release_in_staging(hosts: &Hosts, registry: &mut Registry, version: &str, at: u64) {
    let outcome = TrainingOutcome::new(
        format!("sha256:{NAME}-{version}"),
        Metrics::new([("accuracy", 0.95)]).unwrap(),
    )
    .unwrap();
    let model = Model::new(NAME, version)
        .unwrap()
        .in_environment(staging())
        .submit(outcome, "alice", t(at * HOUR))
        .unwrap();
    registry.put(model).unwrap();
    let saved = hosts.save(registry, "submitted to staging").await;
    assert_eq!(saved.created, [member_key(version, &staging())]);
    assert!(saved.appended.is_empty(), "the others are unchanged");
    let verdict = registry
        .decide(&staging(), version, &staging_policy(), t(at * HOUR + 1))
        .unwrap();
    assert!(verdict.is_approved(), "{verdict}");
    hosts.save(registry, "approved in staging").await;
    let AnyModel::Approved(approved) = registry.take(&staging(), version).unwrap() else {
        panic!("approved")
    };
    // Taken out, the member is missing from the registry: a save would drop it, and is refused.
    let err = hosts.live.save_registry(registry).await.unwrap_err();
    assert!(
        matches!(err, SaveRegistryError::Missing { ref key } if *key == member_key(version, &staging())),
        "{err}"
    );
    registry
        .deploy(
            approved,
            Receipt::new(format!("staging/{version}")),
            "ci",
            t(at * HOUR + 2),
        )
        .unwrap();
    hosts.save(registry, "deployed to staging").await;
}

/// Promotes `version`, current in staging, to production after a soak of 49 hours, decides it
/// with production's policy and deploys it, saving after every move.
async fn promote_to_production(hosts: &Hosts, registry: &mut Registry, version: &str, at: u64) {
    let soaked = (at + 49) * HOUR;
    let in_staging = registry.current(&staging()).unwrap();
    assert_eq!(in_staging.version(), version);
    let target = Model::new(NAME, version)
        .unwrap()
        .in_environment(production());
    let online = Metrics::new([("error_rate", 0.01)]).unwrap();
    let promoted = in_staging
        .promote(target, online, "alice", t(soaked))
        .unwrap();
    registry.put(promoted).unwrap();
    hosts.save(registry, "promoted to production").await;
    let verdict = registry
        .decide(&production(), version, &production_policy(), t(soaked + 1))
        .unwrap();
    assert!(verdict.is_approved(), "{verdict}");
    hosts.save(registry, "approved in production").await;
    let AnyModel::Approved(approved) = registry.take(&production(), version).unwrap() else {
        panic!("approved")
    };
    registry
        .deploy(
            approved,
            Receipt::new(format!("production/{version}")),
            "release-bot",
            t(soaked + 2),
        )
        .unwrap();
    hosts.save(registry, "deployed to production").await;
}

/// Versions 1 and 2, each through staging and production: 2 supersedes 1 in both.
async fn two_releases(hosts: &Hosts) -> Registry {
    let mut registry = Registry::new(NAME).unwrap();
    release_in_staging(hosts, &mut registry, "1", 0).await;
    promote_to_production(hosts, &mut registry, "1", 0).await;
    release_in_staging(hosts, &mut registry, "2", 100).await;
    promote_to_production(hosts, &mut registry, "2", 100).await;
    for environment in [staging(), production()] {
        assert_eq!(registry.current(&environment).unwrap().version(), "2");
        assert_eq!(
            registry.get(&environment, "1").unwrap().status(),
            Status::Superseded
        );
    }
    registry
}

/// Every row of the registry's name, as text: what a refused save must leave as it was.
async fn all_rows(store: &Store) -> Vec<String> {
    let mut out = Vec::new();
    for row in sqlx::query(
        "SELECT environment, version, revision, head, seal, status, kind FROM modelgate_models
         WHERE name = $1 ORDER BY environment, version",
    )
    .bind(NAME)
    .fetch_all(store.pool())
    .await
    .unwrap()
    {
        let (environment, version): (String, String) = (row.get(0), row.get(1));
        let revision: i64 = row.get(2);
        let (head, seal, status, kind): (String, String, String, String) =
            (row.get(3), row.get(4), row.get(5), row.get(6));
        out.push(format!(
            "{environment} {version} {revision} {head} {seal} {status} {kind}"
        ));
    }
    for row in sqlx::query(
        "SELECT environment, version, seq, hash FROM modelgate_events WHERE name = $1
         ORDER BY environment, version, seq",
    )
    .bind(NAME)
    .fetch_all(store.pool())
    .await
    .unwrap()
    {
        let (environment, version): (String, String) = (row.get(0), row.get(1));
        let seq: i64 = row.get(2);
        let hash: String = row.get(3);
        out.push(format!("{environment} {version} {seq} {hash}"));
    }
    for row in
        sqlx::query("SELECT revision, members, seal FROM modelgate_registries WHERE name = $1")
            .bind(NAME)
            .fetch_all(store.pool())
            .await
            .unwrap()
    {
        let (revision, members, seal): (i64, String, String) = (row.get(0), row.get(1), row.get(2));
        out.push(format!("index {revision} {members} {seal}"));
    }
    out
}

/// Staging, then production with a soak, for two versions; saved after every move and loaded
/// by a second store, equal every time. Runs and models stored one by one under the same name
/// are not members, and a member is not saved over them.
async fn registry_saved_after_every_move(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let hosts = Hosts::open(&db).await;
    let err = hosts.other.load_registry(NAME, &book()).await.unwrap_err();
    assert!(
        matches!(err, LoadRegistryError::NotFound { ref name } if name == NAME),
        "{err}"
    );
    assert_eq!(err.to_string(), "no registry `churn` is stored");
    // A model stored one by one and a run, under the registry's name.
    let plain = submitted_in(NAME, "9", &staging());
    hosts.live.create(&plain).await.unwrap();
    let pipeline = common::pipeline_spec().validate().unwrap();
    let run = Run::start(pipeline, Model::new(NAME, "8").unwrap(), "alice", t(0)).unwrap();
    hosts.live.create(&run).await.unwrap();

    let registry = two_releases(&hosts).await;
    // Saved again unchanged: nothing written.
    let before = all_rows(&hosts.live).await;
    let saved = hosts.save(&registry, "unchanged").await;
    assert!(saved.created.is_empty() && saved.appended.is_empty());
    assert_eq!(all_rows(&hosts.live).await, before);
    // The members, verified, by environment and then version; the plain model and the run are
    // not among them.
    let members = hosts.other.members(NAME).await.unwrap();
    let keys: Vec<_> = members
        .iter()
        .map(|m| {
            ModelKey::new(m.model.name(), m.model.version()).in_environment(m.model.environment())
        })
        .collect();
    assert_eq!(
        keys,
        [
            member_key("1", &production()),
            member_key("2", &production()),
            member_key("1", &staging()),
            member_key("2", &staging()),
        ]
    );
    let written: Vec<_> = saved.members.iter().map(|w| w.key.clone()).collect();
    assert_eq!(written, keys);
    for (loaded, written) in members.iter().zip(&saved.members) {
        assert_eq!(
            (loaded.head, loaded.revision),
            (written.head, written.revision)
        );
    }
    // Queries tell members from the rest.
    let current = hosts.other.current_deployments(Some(NAME)).await.unwrap();
    assert_eq!(current.len(), 2);
    assert!(
        current
            .iter()
            .all(|s| s.is_member && s.key.version() == "2")
    );
    let submitted = hosts.other.by_status(Status::Submitted).await.unwrap();
    assert_eq!(submitted.len(), 1);
    assert!(!submitted[0].is_member && !submitted[0].is_run);
    // A registry with a member under the plain model's key is refused, and writes nothing.
    let mut clash = hosts.other.load_registry(NAME, &book()).await.unwrap();
    // (Submitted after the registry's latest move in staging: its clock refuses earlier ones.)
    clash
        .put(submitted_at(NAME, "9", &staging(), 10_000_000))
        .unwrap();
    let err = hosts.live.save_registry(&clash).await.unwrap_err();
    assert!(
        matches!(err, SaveRegistryError::NotAMember { ref key, ref kind }
            if *key == member_key("9", &staging()) && kind == "model"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "member `churn@9 in staging`: the store holds a model under this key, not a registry member"
    );
    assert_eq!(all_rows(&hosts.live).await, before);
    // The plain model and the run still load as themselves.
    hosts
        .live
        .restore(&ModelKey::of(&plain), &staging_policy())
        .await
        .unwrap();
    assert_eq!(hosts.live.unfinished_runs().await.unwrap().len(), 1);
    hosts.close().await;
    db.drop_db().await;
}

/// Production rolled back from 2 to 1, then 2 retired for cause: saved, and loaded equal.
async fn registry_rollback_and_retire_saved(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let hosts = Hosts::open(&db).await;
    let mut registry = two_releases(&hosts).await;
    registry
        .roll_back(
            &production(),
            &production_policy(),
            "error rate doubled",
            "oncall",
            t(300 * HOUR),
        )
        .unwrap();
    let saved = hosts.save(&registry, "rolled back").await;
    assert_eq!(
        saved.appended,
        [
            member_key("1", &production()),
            member_key("2", &production())
        ],
        "both trails record the rollback"
    );
    registry
        .retire(
            &production(),
            "2",
            "error rate doubled",
            true,
            "oncall",
            t(300 * HOUR + 1),
        )
        .unwrap();
    let saved = hosts.save(&registry, "retired").await;
    assert_eq!(saved.appended, [member_key("2", &production())]);
    let loaded = hosts.other.load_registry(NAME, &book()).await.unwrap();
    assert_eq!(loaded.current(&production()).unwrap().version(), "1");
    assert_eq!(
        loaded.get(&production(), "2").unwrap().status(),
        Status::Retired
    );
    assert_eq!(loaded.current(&staging()).unwrap().version(), "2");
    // A rollback to a version retired for cause is refused by the loaded registry too.
    let mut loaded = loaded;
    let err = loaded
        .roll_back(
            &production(),
            &production_policy(),
            "again",
            "oncall",
            t(301 * HOUR),
        )
        .unwrap_err();
    assert!(matches!(err, RegistryError::RetiredTarget { .. }), "{err}");
    // And the book decides: without production's policy, nothing loads.
    let err = hosts
        .other
        .load_registry(NAME, &PolicyBook::new().with("staging", staging_policy()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, LoadRegistryError::Refused { ref error, .. }
            if matches!(**error, RestoreRegistryError::NoPolicy { ref environment } if environment == "production")),
        "{err}"
    );
    hosts.close().await;
    db.drop_db().await;
}

/// A member's row put back to an older state the host sealed: with its later events left, or
/// with them deleted too (a consistent older trail that verifies alone), the registry's sealed
/// index refuses it, naming the member, on load, on `members` and on a save (which writes
/// nothing). A member whose own seal does not verify is named by the core. Nothing is repaired.
async fn registry_member_at_an_old_head_is_refused(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let hosts = Hosts::open(&db).await;
    let mut registry = Registry::new(NAME).unwrap();
    release_in_staging(&hosts, &mut registry, "1", 0).await;
    promote_to_production(&hosts, &mut registry, "1", 0).await;
    // The attacker saves staging 1's row while it is staging's current deployment …
    let victim = member_key("1", &staging());
    let row = "WHERE name = 'churn' AND version = '1' AND environment = 'staging'";
    let old = sqlx::query(&format!(
        "SELECT head, revision, seal, status FROM modelgate_models {row}"
    ))
    .fetch_one(hosts.live.pool())
    .await
    .unwrap();
    let (head, revision, seal, status): (String, i64, String, String) =
        (old.get(0), old.get(1), old.get(2), old.get(3));
    assert_eq!(status, "deployed");
    release_in_staging(&hosts, &mut registry, "2", 100).await;
    promote_to_production(&hosts, &mut registry, "2", 100).await;

    // A member whose seal does not verify (another member's, at the indexed head) is named.
    let production_1 = "WHERE name = 'churn' AND version = '1' AND environment = 'production'";
    let own: String = sqlx::query(&format!("SELECT seal FROM modelgate_models {production_1}"))
        .fetch_one(hosts.live.pool())
        .await
        .unwrap()
        .get(0);
    raw(
        &hosts.live,
        &format!(
            "UPDATE modelgate_models SET seal = (SELECT seal FROM modelgate_models
                 WHERE name = 'churn' AND version = '2' AND environment = 'production')
             {production_1}"
        ),
    )
    .await;
    let err = hosts.other.load_registry(NAME, &book()).await.unwrap_err();
    assert!(
        matches!(err, LoadRegistryError::Refused { ref error, .. }
            if matches!(**error, RestoreRegistryError::Member { ref version, ref environment, ref error }
                if version == "1" && environment == "production" && matches!(**error, RestoreError::Seal(_)))),
        "{err}"
    );
    let err = hosts.other.members(NAME).await.unwrap_err();
    assert!(
        matches!(err, LoadRegistryError::Member { error: LoadError::Refused { ref key, .. } }
            if *key == member_key("1", &production())),
        "{err}"
    );
    raw(
        &hosts.live,
        &format!("UPDATE modelgate_models SET seal = '{own}' {production_1}"),
    )
    .await;
    assert!(hosts.other.load_registry(NAME, &book()).await.is_ok());

    // … and puts staging 1 back once 2 superseded it: a head and seal the host really made.
    raw(
        &hosts.live,
        &format!(
            "UPDATE modelgate_models SET head = '{head}', revision = {revision}, seal = '{seal}',
                status = '{status}' {row}"
        ),
    )
    .await;
    let before = all_rows(&hosts.live).await;
    let stale = |err: &LoadRegistryError| {
        matches!(err, LoadRegistryError::Membership(MembershipError::Stale { key, .. })
            if *key == victim)
    };
    let err = hosts.other.load_registry(NAME, &book()).await.unwrap_err();
    assert!(stale(&err), "{err}");
    assert!(
        err.to_string().starts_with(&format!(
            "member `churn@1 in staging` is stored at head `{head}`, not at head `"
        )),
        "{err}"
    );
    let err = hosts.other.members(NAME).await.unwrap_err();
    assert!(stale(&err), "{err}");
    // A save that moves production and passes staging 1's old head: refused before any
    // write, naming the member.
    let mut moved = registry;
    moved
        .roll_back(
            &production(),
            &production_policy(),
            "latency",
            "oncall",
            t(300 * HOUR),
        )
        .unwrap();
    let err = hosts.live.save_registry(&moved).await.unwrap_err();
    assert!(
        matches!(err, SaveRegistryError::Membership(MembershipError::Stale { ref key, .. })
            if *key == victim),
        "{err}"
    );
    assert_eq!(
        all_rows(&hosts.live).await,
        before,
        "nothing is written or repaired"
    );
    // The events after the old head deleted too: the member verifies on its own, but not
    // against the index.
    raw(
        &hosts.live,
        &format!("DELETE FROM modelgate_events {row} AND seq > {revision}"),
    )
    .await;
    let before = all_rows(&hosts.live).await;
    let err = hosts.other.members(NAME).await.unwrap_err();
    assert!(stale(&err), "{err}");
    let err = hosts.other.load_registry(NAME, &book()).await.unwrap_err();
    assert!(stale(&err), "{err}");
    assert_eq!(all_rows(&hosts.live).await, before, "nothing is repaired");
    hosts.close().await;
    db.drop_db().await;
}

/// Two hosts load the registry; one saves a move; the other's save, of a move that touches a
/// member the first moved, loses the compare-and-swap: refused, naming that member, with
/// nothing written, not even its members that were not in conflict.
async fn registry_save_that_loses_is_refused_whole(b: Backend) {
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let hosts = Hosts::open(&db).await;
    two_releases(&hosts).await;
    let mut first = hosts.live.load_registry(NAME, &book()).await.unwrap();
    let mut second = hosts.other.load_registry(NAME, &book()).await.unwrap();
    // The first retires staging 1.
    first
        .retire(&staging(), "1", "end of life", false, "ops", t(300 * HOUR))
        .unwrap();
    hosts.live.save_registry(&first).await.unwrap();
    let after_first = all_rows(&hosts.live).await;
    // The second rolls production back (production 1 and 2: no conflict there), then retires
    // staging 1 with another reason: a conflict.
    second
        .roll_back(
            &production(),
            &production_policy(),
            "latency",
            "oncall",
            t(301 * HOUR),
        )
        .unwrap();
    second
        .retire(&staging(), "1", "replaced", false, "ops", t(302 * HOUR))
        .unwrap();
    let err = hosts.other.save_registry(&second).await.unwrap_err();
    let stored_1 = first.get(&staging(), "1").unwrap();
    match &err {
        SaveRegistryError::Conflict {
            key,
            head,
            revision,
        } => {
            assert_eq!(*key, member_key("1", &staging()));
            assert_eq!((*head, *revision), (stored_1.head(), stored_1.revision()));
        }
        other => panic!("expected a conflict, got {other}"),
    }
    assert_eq!(err.key(), Some(&member_key("1", &staging())));
    assert_eq!(
        all_rows(&hosts.live).await,
        after_first,
        "nothing was written"
    );
    let loaded = hosts.other.load_registry(NAME, &book()).await.unwrap();
    assert!(loaded == first);
    // Loaded again, redone, saved.
    let mut second = loaded;
    second
        .roll_back(
            &production(),
            &production_policy(),
            "latency",
            "oncall",
            t(301 * HOUR),
        )
        .unwrap();
    let saved = hosts.other.save_registry(&second).await.unwrap();
    assert_eq!(saved.appended.len(), 2);
    assert!(hosts.live.load_registry(NAME, &book()).await.unwrap() == second);
    // A registry that was built anew, not loaded, does not continue the stored trails.
    let anew = two_releases_offline();
    let err = hosts.live.save_registry(&anew).await.unwrap_err();
    assert!(matches!(err, SaveRegistryError::Conflict { .. }), "{err}");
    hosts.close().await;
    db.drop_db().await;
}

/// The first two releases, not saved anywhere, with other times.
fn two_releases_offline() -> Registry {
    let mut registry = Registry::new(NAME).unwrap();
    for (version, at) in [("1", 1), ("2", 101)] {
        let outcome = TrainingOutcome::new(
            format!("sha256:{NAME}-{version}"),
            Metrics::new([("accuracy", 0.95)]).unwrap(),
        )
        .unwrap();
        let model = Model::new(NAME, version)
            .unwrap()
            .in_environment(staging())
            .submit(outcome, "alice", t(at * HOUR))
            .unwrap();
        registry.put(model).unwrap();
        registry
            .decide(&staging(), version, &staging_policy(), t(at * HOUR + 1))
            .unwrap();
        let AnyModel::Approved(approved) = registry.take(&staging(), version).unwrap() else {
            panic!("approved")
        };
        registry
            .deploy(approved, Receipt::new("staging"), "ci", t(at * HOUR + 2))
            .unwrap();
    }
    registry
}

/// Hosts that load the registry at once and save at once, each with a new member: exactly one
/// wins each round; the other is refused (the winner's member is stored and not in its
/// registry), and the store holds the winner's registry.
async fn registry_concurrent_saves_one_wins(b: Backend) {
    const ROUNDS: usize = 8;
    let Some(db) = TestDb::new(b).await else {
        return;
    };
    let hosts = Hosts::open(&db).await;
    let mut registry = Registry::new(NAME).unwrap();
    release_in_staging(&hosts, &mut registry, "1", 0).await;
    let stores = Arc::new([hosts.live.clone(), hosts.other.clone()]);
    for round in 0..ROUNDS {
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let tasks: Vec<_> = (0..2)
            .map(|i| {
                let (stores, barrier) = (Arc::clone(&stores), Arc::clone(&barrier));
                tokio::spawn(async move {
                    let store = &stores[i];
                    let mut registry = store.load_registry(NAME, &book()).await.unwrap();
                    let version = format!("{}", 10 + round * 2 + i);
                    registry
                        .put(submitted_in(NAME, &version, &staging()))
                        .unwrap();
                    barrier.wait().await;
                    (store.save_registry(&registry).await, registry)
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap());
        }
        let winners: Vec<_> = outcomes.iter().filter(|(r, _)| r.is_ok()).collect();
        assert_eq!(winners.len(), 1, "round {round}: exactly one save wins");
        let (_, winner) = winners[0];
        for (result, _) in &outcomes {
            if let Err(err) = result {
                assert!(matches!(err, SaveRegistryError::Missing { .. }), "{err}");
            }
        }
        let loaded = hosts.other.load_registry(NAME, &book()).await.unwrap();
        assert!(loaded == *winner, "round {round}: the winner's registry");
    }
    let count = hosts.other.members(NAME).await.unwrap().len();
    assert_eq!(count, 1 + ROUNDS, "one new member a round");
    hosts.close().await;
    db.drop_db().await;
}

common::conformance!(
    registry_saved_after_every_move,
    registry_rollback_and_retire_saved,
    registry_member_at_an_old_head_is_refused,
    registry_save_that_loses_is_refused_whole,
    registry_concurrent_saves_one_wins,
);

/// A stale approval deployed over a better champion with `Store::append`, outside the
/// registry, into books no live registry reaches: refused on load, since the restore checks
/// the chain of deployments and the freshness of every approval that replaced one (SQLite in
/// a file).
mod appended_outside_the_registry {
    use modelgate::registry::PolicyBook;
    use modelgate::{
        AnyModel, Environment, HmacSealer, Metrics, Model, NoRegression, Receipt, Registry,
        Timestamp, TrainingOutcome,
    };
    use modelgate_store::{Keys, ModelKey, Store};

    fn t(secs: u64) -> Timestamp {
        Timestamp::from_unix_secs(secs)
    }

    /// `1` (0.99) deployed at 10 through the registry; `2` (0.80) approved at 5, before 1 began:
    /// the registry refuses to deploy it (`StaleApproval`). Outside it, with `append`: 1
    /// superseded by 2 at 20, 2 deployed at 21. `load_registry` must refuse those books: a stale
    /// approval deployed over a better champion.
    #[tokio::test]
    async fn a_stale_approval_deployed_with_append_does_not_load() {
        let key = HmacSealer::new("db", *b"0123456789abcdef0123456789abcdef");
        let store = Store::open("sqlite::memory:", Keys::new(key.clone(), key))
            .await
            .unwrap();
        let env = Environment::default();
        let policy = NoRegression::higher_is_better("accuracy");
        let book = PolicyBook::new().with("default", NoRegression::higher_is_better("accuracy"));
        let submitted = |version: &str, accuracy: f64, at: u64| {
            let outcome = TrainingOutcome::new(
                format!("sha256:{version}"),
                Metrics::new([("accuracy", accuracy)]).unwrap(),
            )
            .unwrap();
            Model::new("churn", version)
                .unwrap()
                .submit(outcome, "alice", t(at))
                .unwrap()
        };

        let mut registry = Registry::new("churn").unwrap();
        registry.put(submitted("2", 0.80, 1)).unwrap();
        assert!(
            registry
                .decide(&env, "2", &policy, t(5))
                .unwrap()
                .is_approved()
        );
        registry.put(submitted("1", 0.99, 6)).unwrap();
        assert!(
            registry
                .decide(&env, "1", &policy, t(6))
                .unwrap()
                .is_approved()
        );
        let AnyModel::Approved(one) = registry.take(&env, "1").unwrap() else {
            panic!()
        };
        registry
            .deploy(one, Receipt::new("1"), "ci", t(10))
            .unwrap();
        store.save_registry(&registry).await.unwrap();

        // Outside the registry, each member moved with `append`.
        let k1 = ModelKey::new("churn", "1");
        let loaded = store.restore(&k1, &policy).await.unwrap();
        let AnyModel::Deployed(one) = loaded.model else {
            panic!()
        };
        let one = one.supersede("2", "ops", t(20)).unwrap();
        store.append(loaded.head, &one).await.unwrap();
        let k2 = ModelKey::new("churn", "2");
        let loaded = store.restore(&k2, &policy).await.unwrap();
        let AnyModel::Approved(two) = loaded.model else {
            panic!()
        };
        let two = two.mark_deployed(Receipt::new("2"), "ops", t(21)).unwrap();
        store.append(loaded.head, &two).await.unwrap();

        let reloaded = store.load_registry("churn", &book).await;
        assert!(
            reloaded.is_err(),
            "0.80 approved before champion 0.99 began, deployed over it, loaded: current {:?}",
            reloaded
                .ok()
                .and_then(|r| r.current(&env).map(|m| m.version().to_owned()))
        );
    }
}
