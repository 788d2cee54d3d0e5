//! Promise (as a property): whatever registry is stored and whichever member is tampered with
//! (rows deleted, re-kinded, renamed, put back to an older sealed copy, or a sealed model added
//! as a member), `load_registry` refuses, naming that member; untampered, it loads the registry
//! saved. On SQLite in memory (the conformance files run the same attacks on every backend).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use modelgate::registry::PolicyBook;
use modelgate::{Environment, Metrics, Model, NoRegression, Registry, Review, TrainingOutcome};
use modelgate_store::{LoadRegistryError, ModelKey, Retry, Store};
use proptest::prelude::*;
use sqlx::Row;

use common::{Backend, TestDb, raw, t};

const NAME: &str = "churn";
const ENVIRONMENTS: [&str; 2] = ["production", "staging"];

fn book() -> PolicyBook {
    PolicyBook::new()
        .with("production", NoRegression::higher_is_better("accuracy"))
        .with("staging", NoRegression::higher_is_better("accuracy"))
}

#[derive(Clone, Debug)]
enum Tamper {
    Delete,
    Rekind(&'static str),
    RenameVersion,
    Older,
    AddExtra,
}

fn tamper() -> impl Strategy<Value = Tamper> {
    prop_oneof![
        Just(Tamper::Delete),
        Just(Tamper::Rekind("model")),
        Just(Tamper::Rekind("run")),
        Just(Tamper::RenameVersion),
        Just(Tamper::Older),
        Just(Tamper::AddExtra),
    ]
}

/// Members: `(environment index, version)`, distinct.
fn members() -> impl Strategy<Value = Vec<(usize, u8)>> {
    proptest::collection::btree_set((0usize..2, 1u8..6), 1..5)
        .prop_map(|set| set.into_iter().collect())
}

/// Saves the registry of `members` (each submitted, then one vote recorded on it with
/// `record_vote`, which moves the index); returns, per member, its models row before the vote
/// (head, revision, seal).
async fn stored(store: &Store, members: &[(usize, u8)]) -> Vec<(String, i64, String)> {
    let mut registry = Registry::new(NAME).unwrap();
    for (env, version) in members {
        let environment = Environment::new(ENVIRONMENTS[*env]).unwrap();
        let outcome = TrainingOutcome::new(
            format!("sha256:{version}"),
            Metrics::new([("accuracy", 0.9)]).unwrap(),
        )
        .unwrap();
        let model = Model::new(NAME, version.to_string())
            .unwrap()
            .in_environment(environment)
            .submit(outcome, "alice", t(1))
            .unwrap();
        registry.put(model).unwrap();
    }
    store.save_registry(&registry).await.unwrap();
    let mut older = Vec::new();
    for (env, version) in members {
        let row = sqlx::query(
            "SELECT head, revision, seal FROM modelgate_models
             WHERE name = $1 AND version = $2 AND environment = $3",
        )
        .bind(NAME)
        .bind(version.to_string())
        .bind(ENVIRONMENTS[*env])
        .fetch_one(store.pool())
        .await
        .unwrap();
        older.push((row.get(0), row.get(1), row.get(2)));
        let key = ModelKey::new(NAME, version.to_string()).in_environment(ENVIRONMENTS[*env]);
        let vote = Review::approve("carol", format!("sha256:{version}"), t(2));
        store
            .record_vote(
                &key,
                &NoRegression::higher_is_better("accuracy"),
                &vote,
                &Retry::default(),
            )
            .await
            .unwrap();
    }
    older
}

/// Applies `tamper` to member `i`; the key the refusal must name.
async fn apply(
    store: &Store,
    members: &[(usize, u8)],
    older: &[(String, i64, String)],
    i: usize,
    tamper: &Tamper,
) -> ModelKey {
    let (env, version) = members[i];
    let environment = ENVIRONMENTS[env];
    let key = ModelKey::new(NAME, version.to_string()).in_environment(environment);
    let row = format!(
        "WHERE name = '{NAME}' AND version = '{version}' AND environment = '{environment}'"
    );
    match tamper {
        Tamper::Delete => {
            for table in [
                "modelgate_events",
                "modelgate_approvers",
                "modelgate_models",
            ] {
                raw(store, &format!("DELETE FROM {table} {row}")).await;
            }
        }
        Tamper::Rekind(kind) => {
            raw(
                store,
                &format!("UPDATE modelgate_models SET kind = '{kind}' {row}"),
            )
            .await;
        }
        Tamper::RenameVersion => {
            // Every row copied under the new version, then the originals deleted.
            raw(
                store,
                &format!(
                    "INSERT INTO modelgate_models (name, version, environment,
                        approval_validity_ms, revision, head, seal, status, kind, last_action,
                        updated_at, submitted_seq, deployed_at, approvers_seal)
                     SELECT name, '9{version}', environment, approval_validity_ms, revision,
                        head, seal, status, kind, last_action, updated_at, submitted_seq,
                        deployed_at, approvers_seal
                     FROM modelgate_models {row}"
                ),
            )
            .await;
            raw(
                store,
                &format!(
                    "INSERT INTO modelgate_events (name, version, environment, seq, at, prev,
                        hash, action, actor, event)
                     SELECT name, '9{version}', environment, seq, at, prev, hash, action, actor,
                        event
                     FROM modelgate_events {row}"
                ),
            )
            .await;
            for table in [
                "modelgate_events",
                "modelgate_approvers",
                "modelgate_models",
            ] {
                raw(store, &format!("DELETE FROM {table} {row}")).await;
            }
        }
        Tamper::Older => {
            let (head, revision, seal) = &older[i];
            raw(
                store,
                &format!("DELETE FROM modelgate_events {row} AND seq > {revision}"),
            )
            .await;
            raw(
                store,
                &format!(
                    "UPDATE modelgate_models SET head = '{head}', revision = {revision},
                        seal = '{seal}' {row}"
                ),
            )
            .await;
        }
        Tamper::AddExtra => {
            let outcome =
                TrainingOutcome::new("sha256:extra", Metrics::new([("accuracy", 0.99)]).unwrap())
                    .unwrap();
            let model = Model::new(NAME, "extra")
                .unwrap()
                .in_environment(Environment::new(environment).unwrap())
                .submit(outcome, "alice", t(3))
                .unwrap();
            store.create(&model).await.unwrap();
            raw(
                store,
                "UPDATE modelgate_models SET kind = 'member' WHERE version = 'extra'",
            )
            .await;
            return ModelKey::new(NAME, "extra").in_environment(environment);
        }
    }
    key
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn a_tampered_member_is_always_refused_by_name(
        members in members(),
        pick in any::<prop::sample::Index>(),
        tamper in tamper(),
    ) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let db = TestDb::new(Backend::SqliteMemory).await.unwrap();
            let store = db.open().await;
            let older = stored(&store, &members).await;
            let untampered = store.load_registry(NAME, &book()).await;
            assert!(untampered.is_ok(), "{:?}", untampered.err());
            let i = pick.index(members.len());
            let named = apply(&store, &members, &older, i, &tamper).await;
            let err = store.load_registry(NAME, &book()).await.unwrap_err();
            let LoadRegistryError::Membership(error) = &err else {
                panic!("{tamper:?}: not a membership refusal: {err}");
            };
            assert_eq!(error.key(), Some(&named), "{tamper:?}: {err}");
            store.close().await;
            db.drop_db().await;
        });
    }
}
