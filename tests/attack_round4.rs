//! Attacks from the fourth review (of the CLI's `registry verify`), kept as tests: promotion
//! evidence that `Model::promote` cannot record — observed before the deployment it observes
//! began, at another time than its submission (in the past, in the far future), from the
//! model's own environment — forged consistently and sealed with the host's own key (an
//! insider, or a bug in a host that builds trails itself). A restore refuses each, naming the
//! event, so no policy reads impossible soak time and no registry's clock jumps to year
//! 584,556,019.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{key, promoted};
use modelgate::trail::ReplayError;
use modelgate::{RestoreError, StoredModel};

/// The promoted model's stored form with its promotion's evidence edited by `edit`, the chain
/// recomputed and sealed again with the host's key: a consistent forgery.
fn with_evidence(edit: impl FnOnce(&mut serde_json::Value)) -> StoredModel {
    let stored = StoredModel::from(&promoted());
    let mut json = serde_json::to_value(&stored).unwrap();
    edit(&mut json["events"][0]["event"]["submitted"]["promotion"]);
    json.as_object_mut().unwrap().remove("seal");
    common::rechain(json).sealed_by(&key()).unwrap()
}

fn refused(stored: StoredModel) -> RestoreError {
    stored
        .restore_trusting_decisions(&key())
        .unwrap_err()
        .into_error()
}

fn assert_impossible(error: &RestoreError, why: &str) {
    match error {
        RestoreError::Replay {
            seq: 1,
            error: ReplayError::Promotion { why: found },
            ..
        } => assert!(found.contains(why), "{found}"),
        other => panic!("expected an impossible promotion at event 1, got {other:?}"),
    }
}

#[test]
fn the_untouched_promotion_restores() {
    let stored = with_evidence(|_| {});
    assert!(stored.restore_trusting_decisions(&key()).is_ok());
}

#[test]
fn promotion_observed_before_its_deployment_began_is_refused() {
    let error = refused(with_evidence(|p| {
        p["observed_at"] = 0.into();
        p["deployed_at"] = 50_000.into();
    }));
    assert_impossible(&error, "another time than the submission");
    let error = refused(with_evidence(|p| {
        let observed = p["observed_at"].as_u64().unwrap();
        p["deployed_at"] = (observed + 1).into();
    }));
    assert_impossible(&error, "before the deployment it observes began");
    insta::assert_snapshot!(error.to_string());
}

#[test]
fn promotion_observed_at_another_time_than_its_submission_is_refused() {
    for observed in [0, 1, 4_000_000_000_000, u64::MAX] {
        let error = refused(with_evidence(|p| p["observed_at"] = observed.into()));
        assert_impossible(&error, "another time than the submission");
    }
}

#[test]
fn promotion_from_the_models_own_environment_is_refused() {
    let error = refused(with_evidence(|p| p["from"] = "production".into()));
    assert_impossible(&error, "own environment");
}
