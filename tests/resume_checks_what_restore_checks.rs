//! Going on from a verified model with the events stored after it (`AnyModel::resume`) checks
//! what a restore of the whole trail checks: the same model where the whole restore accepts,
//! a refusal where it refuses — a forged, cut, reordered or replayed continuation, a seal by
//! another key, a decision the policy does not uphold, a run's trail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{DIGEST, attacker_key, key, outcome, policy, t};
use modelgate::{
    AnyModel, ChainError, Decided, DecisionContext, Event, MetricGate, Model, Quorum, RestoreError,
    Review, StoredModel, Submitted,
};
use proptest::prelude::*;

/// A model under review with `votes` votes, then (if `decide`) decided at the end.
fn trail(votes: usize, decide: bool) -> AnyModel {
    let mut model: Model<Submitted> = Model::new("churn", "1")
        .unwrap()
        .submit(outcome(DIGEST, 0.95), "alice", t(10))
        .unwrap();
    for i in 0..votes {
        let review = if i % 3 == 2 {
            Review::reject(format!("r{}", i % 5), DIGEST, t(11 + i as u64))
        } else {
            Review::approve(format!("r{}", i % 5), DIGEST, t(11 + i as u64))
        };
        model.record(review).unwrap();
    }
    if decide {
        let at = t(20 + votes as u64);
        return match model.decide(&policy(), &DecisionContext::at(at)).unwrap() {
            Decided::Approved(m) => m.into(),
            Decided::Rejected(m) => m.into(),
            Decided::Pending(m, _) => m.into(),
        };
    }
    model.into()
}

/// The first `n` events of `model`, restored (verified) under the host's key.
fn verified_prefix(model: &AnyModel, n: usize) -> AnyModel {
    let events = model.history()[..n].to_vec();
    let trail =
        modelgate::Trail::from_parts("churn", "1", model.environment().clone(), events).unwrap();
    StoredModel::new(trail, None)
        .sealed_by(&key())
        .unwrap()
        .restore(&key(), &policy())
        .unwrap()
}

fn sealed(model: &AnyModel) -> StoredModel {
    StoredModel::from(model).sealed_by(&key()).unwrap()
}

proptest! {
    #[test]
    fn resume_agrees_with_a_whole_restore(votes in 0usize..12, decide: bool, cut in 1usize..14) {
        let whole = trail(votes, decide);
        let cut = cut.min(whole.history().len());
        let stored = sealed(&whole);
        let resumed = verified_prefix(&whole, cut)
            .resume(stored.events()[cut..].to_vec(), stored.seal().unwrap(), &key(), &policy())
            .unwrap();
        let restored = stored.restore(&key(), &policy()).unwrap();
        prop_assert_eq!(resumed.head(), restored.head());
        prop_assert_eq!(resumed.status(), restored.status());
        prop_assert_eq!(StoredModel::from(&resumed), StoredModel::from(&restored));
    }
}

fn resume_error(base: AnyModel, events: Vec<Event>, stored: &StoredModel) -> (bool, RestoreError) {
    let refused = base
        .resume(events, stored.seal().unwrap(), &key(), &policy())
        .unwrap_err();
    let ((model, _), error) = refused.into_parts();
    (model.is_some(), error)
}

#[test]
fn a_continuation_with_an_event_missing_or_moved_is_refused_and_hands_the_model_back() {
    let whole = trail(4, false);
    let stored = sealed(&whole);
    let base = || verified_prefix(&whole, 2);
    // One event skipped.
    let (back, err) = resume_error(base(), stored.events()[3..].to_vec(), &stored);
    assert!(
        back && matches!(err, RestoreError::Chain(ChainError::Sequence { .. })),
        "{err}"
    );
    // Two swapped.
    let mut swapped = stored.events()[2..].to_vec();
    swapped.swap(0, 1);
    let (back, err) = resume_error(base(), swapped, &stored);
    assert!(
        back && matches!(err, RestoreError::Chain(ChainError::Sequence { .. })),
        "{err}"
    );
    // Another version's events: the same votes, numbered to fit, on another chain.
    let mut other = Model::new("churn", "2")
        .unwrap()
        .submit(outcome(DIGEST, 0.95), "alice", t(10))
        .unwrap();
    for event in &whole.history()[1..] {
        if let modelgate::EventKind::Voted { review } = event.kind() {
            other.record(review.clone()).unwrap();
        }
    }
    let (back, err) = resume_error(base(), other.history()[2..].to_vec(), &stored);
    assert!(
        back && matches!(err, RestoreError::Chain(ChainError::Chain { .. })),
        "{err}"
    );
    // The continuation of an older head replayed onto a newer one.
    let (back, err) = resume_error(
        verified_prefix(&whole, 3),
        stored.events()[2..].to_vec(),
        &stored,
    );
    assert!(
        back && matches!(err, RestoreError::Chain(ChainError::Sequence { .. })),
        "{err}"
    );
}

#[test]
fn a_continuation_sealed_by_another_key_is_refused() {
    let whole = trail(4, false);
    let forged = StoredModel::from(&whole)
        .sealed_by(&attacker_key())
        .unwrap();
    let (back, err) = resume_error(
        verified_prefix(&whole, 2),
        forged.events()[2..].to_vec(),
        &forged,
    );
    assert!(back && matches!(err, RestoreError::Seal(_)), "{err}");
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn a_decision_the_policy_does_not_uphold_is_refused() {
    // Sealed by the host, but decided under a laxer policy than the one resumed with: the
    // decision is decided again, as a whole restore does.
    let mut model: Model<Submitted> = Model::new("churn", "1")
        .unwrap()
        .submit(outcome(DIGEST, 0.95), "alice", t(10))
        .unwrap();
    model.record(Review::approve("bob", DIGEST, t(11))).unwrap();
    let lax = (MetricGate::at_least("accuracy", 0.9), Quorum::new(1));
    let approved: AnyModel = model
        .decide(&lax, &DecisionContext::at(t(12)))
        .unwrap()
        .approved()
        .unwrap()
        .into();
    let stored = sealed(&approved);
    assert!(
        stored.clone().restore(&key(), &policy()).is_err(),
        "a whole restore refuses"
    );
    let (back, err) = resume_error(
        verified_prefix(&approved, 2),
        stored.events()[2..].to_vec(),
        &stored,
    );
    assert!(
        !back,
        "the replay had started: the model does not come back"
    );
    assert!(matches!(err, RestoreError::Replay { .. }), "{err}");
}

#[test]
fn a_runs_model_is_refused() {
    let spec: modelgate::PipelineSpec = serde_json::from_str(
        r#"{"steps": [{"name": "train", "type": "training"},
                      {"name": "approve", "type": "approval", "inputs": {"approvers": ["bob"]}}]}"#,
    )
    .unwrap();
    let mut run = modelgate::Run::start(
        spec.validate().unwrap(),
        Model::new("churn", "1").unwrap(),
        "alice",
        t(0),
    )
    .unwrap();
    run.poll(t(1)).unwrap();
    run.handle_artifact(
        modelgate::Artifact::new(DIGEST, modelgate::Metrics::default()).unwrap(),
        t(2),
    )
    .unwrap();
    let stored = StoredModel::from(&run).sealed_by(&key()).unwrap();
    let model = run.into_model();
    let (back, err) = resume_error(model, Vec::new(), &stored);
    assert!(back && matches!(err, RestoreError::Run { .. }), "{err}");
}
