//! Who may approve a model, for a reviewer's queue: the rows of `modelgate_approvers`, and the
//! host's seal over them (`approvers_seal` in the models row), so that a row inserted, deleted
//! or copied without the key routes nothing.
//!
//! The sealed message is the SHA-256 of a canonical encoding (every text as its length, a
//! big-endian `u64`, then its UTF-8 bytes, as in the core's encoding): the label
//! `modelgate-store.approvers`, the model's name, version and environment, the number of
//! approvers (`u64`), then each approver in byte order, once. The host's [`Sealer`] seals it
//! as it seals a head.
//!
//! [`Sealer`]: modelgate::Sealer

use std::collections::BTreeSet;

use modelgate::Head;
use modelgate::trail::Seal;
use sha2::{Digest as _, Sha256};
use sqlx::Row;

use crate::ModelKey;
use crate::error::{ApproversError, DatabaseError, QueryError};
use crate::store::Store;

/// The hash the host seals over the approvers of `key`.
pub(crate) fn approvers_head(key: &ModelKey, approvers: &BTreeSet<String>) -> Head {
    fn text(hasher: &mut Sha256, text: &str) {
        hasher.update((text.len() as u64).to_be_bytes());
        hasher.update(text.as_bytes());
    }
    let mut hasher = Sha256::new();
    text(&mut hasher, "modelgate-store.approvers");
    text(&mut hasher, key.name());
    text(&mut hasher, key.version());
    text(&mut hasher, key.environment());
    hasher.update((approvers.len() as u64).to_be_bytes());
    for approver in approvers {
        text(&mut hasher, approver);
    }
    Head::from_bytes(hasher.finalize().into())
}

/// Writes `approvers` (replacing any) and their `seal` for `key`, in the caller's transaction.
pub(crate) async fn write_approvers(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    key: &ModelKey,
    approvers: &BTreeSet<String>,
    seal: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM modelgate_approvers WHERE name = $1 AND version = $2 AND environment = $3",
    )
    .bind(key.name())
    .bind(key.version())
    .bind(key.environment())
    .execute(&mut **tx)
    .await?;
    for approver in approvers {
        sqlx::query(
            "INSERT INTO modelgate_approvers (name, version, environment, approver)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(key.name())
        .bind(key.version())
        .bind(key.environment())
        .bind(approver)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query(
        "UPDATE modelgate_models SET approvers_seal = $4
         WHERE name = $1 AND version = $2 AND environment = $3",
    )
    .bind(key.name())
    .bind(key.version())
    .bind(key.environment())
    .bind(seal)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The approvers of `key` as stored, and the text of their seal (none if unsealed), read in
/// the caller's transaction; not verified.
pub(crate) async fn stored_approvers(
    conn: &mut sqlx::AnyConnection,
    key: &ModelKey,
) -> Result<(Option<String>, BTreeSet<String>), sqlx::Error> {
    let seal: Option<String> = sqlx::query(
        "SELECT approvers_seal FROM modelgate_models
         WHERE name = $1 AND version = $2 AND environment = $3",
    )
    .bind(key.name())
    .bind(key.version())
    .bind(key.environment())
    .fetch_optional(&mut *conn)
    .await?
    .map(|row| row.try_get(0))
    .transpose()?
    .flatten();
    let mut approvers = BTreeSet::new();
    for row in sqlx::query(
        "SELECT approver FROM modelgate_approvers
         WHERE name = $1 AND version = $2 AND environment = $3",
    )
    .bind(key.name())
    .bind(key.version())
    .bind(key.environment())
    .fetch_all(&mut *conn)
    .await?
    {
        approvers.insert(row.try_get::<String, _>(0)?);
    }
    Ok((seal, approvers))
}

impl Store {
    /// Replaces the ids and roles that may approve the model, for
    /// [`awaiting_approval`](Self::awaiting_approval), sealed with the host's key: a reviewer's
    /// queue routes by them only if the seal verifies over the rows as they are. They route,
    /// they are not evidence: the policy alone decides who counts.
    ///
    /// # Errors
    ///
    /// [`ApproversError::NotFound`]; [`ApproversError::Seal`] if the sealer fails;
    /// [`ApproversError::Database`]. Nothing is written on any error.
    pub async fn set_approvers<I, S>(
        &self,
        key: &ModelKey,
        approvers: I,
    ) -> Result<(), ApproversError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let approvers: BTreeSet<String> = approvers
            .into_iter()
            .map(|a| a.as_ref().to_owned())
            .collect();
        let seal = self
            .keys
            .seal(&approvers_head(key, &approvers))
            .map_err(|error| ApproversError::Seal {
                key: key.clone(),
                error,
            })?;
        let seal = crate::write::seal_json(&seal);
        let db = |e| ApproversError::Database {
            key: key.clone(),
            error: DatabaseError(e),
        };
        let mut tx = self.begin_write().await.map_err(db)?;
        let exists = sqlx::query(
            "SELECT 1 FROM modelgate_models WHERE name = $1 AND version = $2 AND environment = $3",
        )
        .bind(key.name())
        .bind(key.version())
        .bind(key.environment())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        if exists.is_none() {
            return Err(ApproversError::NotFound { key: key.clone() });
        }
        write_approvers(&mut tx, key, &approvers, Some(&seal))
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    /// The approvers of `key`, read in one snapshot with their seal and verified with the
    /// host's key.
    pub(crate) async fn verified_approvers(
        &self,
        key: &ModelKey,
    ) -> Result<BTreeSet<String>, QueryError> {
        let db = |e| QueryError::Database(DatabaseError(e));
        let mut tx = self.begin_read().await.map_err(db)?;
        let (seal, approvers) = stored_approvers(&mut tx, key).await.map_err(db)?;
        tx.rollback().await.map_err(db)?;
        let Some(seal) = seal else {
            return Err(QueryError::UnsealedApprovers { key: key.clone() });
        };
        let seal: Seal = serde_json::from_str(&seal).map_err(|_| QueryError::Unreadable {
            key: key.clone(),
            column: "approvers_seal",
            value: seal.clone(),
        })?;
        self.keys
            .verifier()
            .verify(&approvers_head(key, &approvers), &seal)
            .map_err(|error| QueryError::ForgedApprovers {
                key: key.clone(),
                error,
            })?;
        Ok(approvers)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::approvers_head;
    use crate::ModelKey;

    /// The encoding is pinned: a store written by this version verifies with the next.
    #[test]
    fn approvers_head_test_vector() {
        let key = ModelKey::new("churn", "4").in_environment("production");
        let set: BTreeSet<String> = ["team_lead", "bob"].map(String::from).into();
        insta::assert_snapshot!(approvers_head(&key, &set).to_string());
        let none = approvers_head(&key, &BTreeSet::new());
        assert_ne!(none, approvers_head(&key, &set));
        // The key is bound: the same set for another environment is another hash.
        assert_ne!(
            approvers_head(&ModelKey::new("churn", "4"), &set),
            approvers_head(&key, &set)
        );
        // Lengths are bound: `ab` + `c` is not `a` + `bc`.
        let a: BTreeSet<String> = ["ab", "c"].map(String::from).into();
        let b: BTreeSet<String> = ["a", "bc"].map(String::from).into();
        assert_ne!(approvers_head(&key, &a), approvers_head(&key, &b));
    }
}
