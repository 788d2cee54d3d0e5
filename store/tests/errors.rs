//! Every error message of the store, pinned.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use modelgate::model::RecordError;
use modelgate::registry::{RegistryError, RestoreRegistryError};
use modelgate::trail::SealError;
use modelgate::{Head, RestoreError, RunError, Status};
use modelgate_store::{
    AdoptRegistryError, AppendError, ApproversError, CreateError, DatabaseError, LoadError,
    LoadRegistryError, MembershipError, ModelKey, OpenError, QueryError, SaveRegistryError, Store,
    TransactError, VoteError,
};

fn key() -> ModelKey {
    ModelKey::new("churn", "1")
}

fn db() -> DatabaseError {
    DatabaseError::from(sqlx::Error::PoolTimedOut)
}

fn head(b: u8) -> Head {
    Head::from_bytes([b; 32])
}

#[tokio::test]
async fn every_error_message() {
    let url = Store::open("mysql://admin:hunter2@db.example/models", common::keys())
        .await
        .unwrap_err();
    let messages: Vec<String> = vec![
        url.to_string(),
        OpenError::NewerSchema {
            found: 3,
            supported: 1,
        }
        .to_string(),
        OpenError::Database(db()).to_string(),
        CreateError::Exists { key: key() }.to_string(),
        CreateError::Seal {
            key: key(),
            error: SealError::Host("kms unavailable".into()),
        }
        .to_string(),
        CreateError::Encode {
            key: key(),
            seq: 2,
            error: "no".into(),
        }
        .to_string(),
        CreateError::OutOfRange {
            key: key().in_environment("production"),
            field: "approval_validity_ms",
            value: u64::MAX,
        }
        .to_string(),
        CreateError::Database {
            key: key(),
            error: db(),
        }
        .to_string(),
        AppendError::NotFound { key: key() }.to_string(),
        AppendError::Conflict {
            key: key(),
            expected: head(1),
            head: head(2),
            revision: 7,
        }
        .to_string(),
        AppendError::NotAContinuation {
            key: key(),
            expected: head(1),
        }
        .to_string(),
        AppendError::NothingToAppend {
            key: key(),
            expected: head(1),
        }
        .to_string(),
        AppendError::BadStoredHead {
            key: key(),
            head: "zz\n".into(),
        }
        .to_string(),
        AppendError::Seal {
            key: key(),
            error: SealError::Host("kms unavailable".into()),
        }
        .to_string(),
        AppendError::Encode {
            key: key(),
            seq: 2,
            error: "no".into(),
        }
        .to_string(),
        AppendError::Database {
            key: key(),
            error: db(),
        }
        .to_string(),
        LoadError::NotFound { key: key() }.to_string(),
        LoadError::NotFound {
            key: key().in_environment("production"),
        }
        .to_string(),
        LoadError::MissingEvent { key: key(), seq: 2 }.to_string(),
        LoadError::TrailTooShort {
            key: key(),
            revision: 4,
            found: 2,
        }
        .to_string(),
        LoadError::TrailTooLong {
            key: key(),
            revision: 2,
            found: 4,
        }
        .to_string(),
        LoadError::HeadMismatch {
            key: key(),
            head: head(1).to_string(),
            trail: head(2),
        }
        .to_string(),
        LoadError::Unreadable {
            key: key(),
            what: "seal".into(),
            error: "expected `{`".into(),
        }
        .to_string(),
        LoadError::Refused {
            key: key(),
            error: Box::new(RestoreError::Unsealed),
        }
        .to_string(),
        LoadError::Database {
            key: key(),
            error: db(),
        }
        .to_string(),
        VoteError::Load(LoadError::NotFound { key: key() }).to_string(),
        VoteError::NotSubmitted {
            key: key(),
            status: Status::Deployed,
        }
        .to_string(),
        VoteError::Refused {
            key: key(),
            error: Box::new(RecordError::WrongDigest {
                reviewer: "bob".into(),
                expected: "sha256:1".into(),
                found: "sha256:2".into(),
            }),
        }
        .to_string(),
        VoteError::RunRefused {
            key: key(),
            error: Box::new(RunError::NotExpected {
                input: "a vote",
                waiting_for: "an artifact",
            }),
        }
        .to_string(),
        VoteError::Contended {
            key: key(),
            attempts: 32,
        }
        .to_string(),
        VoteError::Append(AppendError::NotFound { key: key() }).to_string(),
        QueryError::Unreadable {
            key: key(),
            column: "status",
            value: "frozen".into(),
        }
        .to_string(),
        QueryError::Database(db()).to_string(),
        ApproversError::NotFound { key: key() }.to_string(),
        ApproversError::Database {
            key: key(),
            error: db(),
        }
        .to_string(),
        LoadRegistryError::NotFound {
            name: "churn\n".into(),
        }
        .to_string(),
        LoadRegistryError::Member {
            error: LoadError::TrailTooLong {
                key: key().in_environment("production"),
                revision: 5,
                found: 6,
            },
        }
        .to_string(),
        LoadRegistryError::Refused {
            name: "churn".into(),
            error: Box::new(RestoreRegistryError::Inconsistent(
                "versions `1` and `2` are both the current deployment of `production`".into(),
            )),
        }
        .to_string(),
        LoadRegistryError::Database {
            name: "churn".into(),
            error: db(),
        }
        .to_string(),
        SaveRegistryError::Conflict {
            key: key().in_environment("production"),
            head: head(2),
            revision: 7,
        }
        .to_string(),
        SaveRegistryError::Missing {
            key: key().in_environment("staging"),
        }
        .to_string(),
        SaveRegistryError::NotAMember {
            key: key(),
            kind: "run".into(),
        }
        .to_string(),
        SaveRegistryError::BadStoredHead {
            key: key(),
            head: "zz\n".into(),
        }
        .to_string(),
        SaveRegistryError::Seal {
            key: key(),
            error: SealError::Host("kms unavailable".into()),
        }
        .to_string(),
        SaveRegistryError::Encode {
            key: key(),
            seq: 2,
            error: "no".into(),
        }
        .to_string(),
        SaveRegistryError::OutOfRange {
            key: key().in_environment("production"),
            field: "approval_validity_ms",
            value: u64::MAX,
        }
        .to_string(),
        SaveRegistryError::Database {
            name: "churn".into(),
            error: db(),
        }
        .to_string(),
        AppendError::Membership {
            key: key().in_environment("production"),
            error: MembershipError::Missing {
                key: ModelKey::new("churn", "2").in_environment("production"),
            },
        }
        .to_string(),
        LoadRegistryError::Unindexed {
            name: "churn\n".into(),
        }
        .to_string(),
        LoadRegistryError::Membership(MembershipError::Missing {
            key: key().in_environment("production"),
        })
        .to_string(),
        MembershipError::Rekinded {
            key: key(),
            kind: "model\n".into(),
        }
        .to_string(),
        MembershipError::Extra { key: key() }.to_string(),
        MembershipError::Stale {
            key: key(),
            head: "zz\n".into(),
            indexed: head(3),
        }
        .to_string(),
        MembershipError::Seal {
            name: "churn".into(),
            error: SealError::UnknownKey {
                key_id: "attacker".into(),
            },
        }
        .to_string(),
        MembershipError::Unreadable {
            name: "churn".into(),
            error: "expected `,`\n".into(),
        }
        .to_string(),
        MembershipError::Moved {
            name: "churn".into(),
        }
        .to_string(),
        SaveRegistryError::Membership(MembershipError::Extra { key: key() }).to_string(),
        SaveRegistryError::IndexSeal {
            name: "churn".into(),
            error: SealError::Host("kms unavailable".into()),
        }
        .to_string(),
        ApproversError::Seal {
            key: key(),
            error: SealError::Host("kms unavailable".into()),
        }
        .to_string(),
        QueryError::UnsealedApprovers { key: key() }.to_string(),
        QueryError::ForgedApprovers {
            key: key(),
            error: SealError::UnknownKey {
                key_id: "attacker".into(),
            },
        }
        .to_string(),
        ModelKey::new("a\u{202e}b", "1\n").to_string(),
        QueryError::Trail {
            error: Box::new(LoadError::NotFound { key: key() }),
        }
        .to_string(),
        SaveRegistryError::Membership(MembershipError::Unindexed {
            name: "churn\n".into(),
        })
        .to_string(),
        AdoptRegistryError::Indexed {
            name: "churn\n".into(),
        }
        .to_string(),
        AdoptRegistryError::Load(LoadRegistryError::NotFound {
            name: "churn".into(),
        })
        .to_string(),
        AdoptRegistryError::Seal {
            name: "churn".into(),
            error: SealError::Host("kms unavailable".into()),
        }
        .to_string(),
        AdoptRegistryError::Database {
            name: "churn".into(),
            error: db(),
        }
        .to_string(),
        ModelKey::new("a", "1")
            .in_environment("prod\u{202e}\nx")
            .to_string(),
        TransactError::<RegistryError>::Refused {
            name: "churn".into(),
            error: RegistryError::NoSuchVersion {
                version: "9".into(),
                environment: "production".into(),
            },
        }
        .to_string(),
        TransactError::<RegistryError>::Contended {
            name: "churn".into(),
            attempts: 32,
        }
        .to_string(),
        LoadRegistryError::Remnants {
            name: "churn".into(),
            rows: 2,
        }
        .to_string(),
    ];
    insta::assert_snapshot!(messages.join("\n"));
}
