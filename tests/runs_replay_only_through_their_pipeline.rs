//! A run's trail replays only through its pipeline: as a run, as a model with its later
//! moves, in a registry and in the CLI; nothing a run could not record passes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use modelgate::RestoreError;
use modelgate::registry::PolicyBook;
use modelgate::trail::ReplayError;
use modelgate::{
    AnyModel, Artifact, DecisionContext, Event, EventKind, Head, HmacSealer, Metrics, Model,
    Pipeline, PipelineSpec, Receipt, Review, Run, Status, StoredModel, Timestamp, Trail,
};

fn t(s: u64) -> Timestamp {
    Timestamp::from_unix_secs(s)
}

fn key() -> HmacSealer {
    HmacSealer::new("runs", *b"0123456789abcdef0123456789abcdef")
}

fn pipeline(on_reject: &str, deploy: bool) -> Pipeline {
    let deploy = if deploy {
        r#", {"name": "ship", "type": "deploy"}"#
    } else {
        ""
    };
    let text = format!(
        r#"{{"steps": [
        {{"name": "train", "type": "training"}},
        {{"name": "approve", "type": "approval", "on_reject": "{on_reject}", "inputs": {{"approvers": ["bob"]}}}}{deploy}
    ]}}"#
    );
    let spec: PipelineSpec = serde_json::from_str(&text).unwrap();
    spec.validate().unwrap()
}

fn outcome(d: &str) -> modelgate::TrainingOutcome {
    modelgate::TrainingOutcome::new(d, Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap()
}

/// A run of `p` rejected by bob (finished failed under fail_pipeline).
fn failed_run(p: &Pipeline) -> Run {
    let mut run = Run::start(p.clone(), Model::new("churn", "1").unwrap(), "alice", t(0)).unwrap();
    run.handle_artifact(
        Artifact::new("sha256:1", Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap(),
        t(1),
    )
    .unwrap();
    run.record_vote(Review::reject("bob", "sha256:1", t(2)))
        .unwrap();
    let _ = run.poll(t(3)).unwrap();
    assert!(run.finished().is_some(), "the run finished");
    run
}

/// A run of `p` (no deploy step) approved by bob: finished approved.
fn approved_run(p: &Pipeline) -> Run {
    let mut run = Run::start(p.clone(), Model::new("churn", "1").unwrap(), "alice", t(0)).unwrap();
    run.handle_artifact(
        Artifact::new("sha256:1", Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap(),
        t(1),
    )
    .unwrap();
    run.record_vote(Review::approve("bob", "sha256:1", t(2)))
        .unwrap();
    let _ = run.poll(t(3)).unwrap();
    assert!(run.finished().is_some(), "the run finished");
    run
}

/// A forgery by whoever holds the seal key: the run's events, then `tail` (events a model that
/// never ran recorded), chained on and sealed. The live model refuses to record such a tail
/// (its run finished); the forgery shows that a replay refuses it too.
fn forged_after_run(run: &AnyModel, tail: &[Event]) -> StoredModel {
    let kinds = run
        .history()
        .iter()
        .chain(tail)
        .map(|e| (e.at(), e.kind().clone()))
        .collect();
    StoredModel::new(rechain("churn", "1", kinds), None)
        .sealed_by(&key())
        .unwrap()
}

/// The failed run's trail, continued by a retraining outside the run and an approval under the
/// pipeline's policy (a forgery: see [`forged_after_run`]).
fn failed_then_retrained(p: &Pipeline) -> StoredModel {
    let run = failed_run(p).into_model();
    // The same steps on a model that never ran: rejected, retrained, approved.
    let mut m = Model::new("churn", "1")
        .unwrap()
        .submit(outcome("sha256:1"), "alice", t(1))
        .unwrap();
    m.record(Review::reject("bob", "sha256:1", t(2))).unwrap();
    let m = m
        .decide(&p.policy(), &DecisionContext::at(t(3)))
        .unwrap()
        .rejected()
        .unwrap();
    let m = m.retrain("mallory", t(10)).unwrap();
    let mut m = m.submit(outcome("sha256:2"), "mallory", t(11)).unwrap();
    m.record(Review::approve("bob", "sha256:2", t(12))).unwrap();
    let decided = m.decide(&p.policy(), &DecisionContext::at(t(13))).unwrap();
    let approved = decided.approved().expect("policy approves");
    forged_after_run(&run, approved.history().get(3..).unwrap())
}

#[test]
fn the_model_of_a_finished_run_takes_no_new_decision() {
    let p = pipeline("fail_pipeline", false);
    let AnyModel::Rejected(m) = failed_run(&p).into_model() else {
        panic!("failed run is rejected")
    };
    let refused = m.retrain("mallory", t(10)).unwrap_err();
    assert_eq!(refused.error(), &modelgate::model::ActionError::RunFinished);
    let AnyModel::Approved(m) = approved_run(&p).into_model() else {
        panic!("approved run")
    };
    let refused = m.revoke("oops", "mallory", t(10)).unwrap_err();
    assert_eq!(refused.error(), &modelgate::model::ActionError::RunFinished);
    let (m, _) = refused.into_parts();
    let refused = m.reopen("mallory", t(10)).unwrap_err();
    assert_eq!(refused.error(), &modelgate::model::ActionError::RunFinished);
    let (m, _) = refused.into_parts();
    assert!(
        m.trail().is_run_finished(),
        "the model comes back unchanged"
    );
    insta::assert_snapshot!(
        "the_model_of_a_finished_run_takes_no_new_decision",
        modelgate::model::ActionError::RunFinished.to_string()
    );
}

// ------------------------------------------------------------------------------------------
// 1. A run that finished `failed` (fail_pipeline) then retrained outside.

#[test]
fn run_restore_refuses_a_failed_run_retrained_outside() {
    let p = pipeline("fail_pipeline", false);
    let stored = failed_then_retrained(&p);
    assert!(
        Run::restore(stored, p, &key()).is_err(),
        "fail_pipeline: no retraining"
    );
}

#[test]
fn restore_model_refuses_a_failed_run_retrained_outside() {
    let p = pipeline("fail_pipeline", false);
    let stored = failed_then_retrained(&p);
    let err = Run::restore_model(stored, &p, &key())
        .map(|m| m.status())
        .unwrap_err();
    assert!(matches!(
        err.error(),
        RestoreError::Replay {
            error: ReplayError::NotExpected { .. },
            ..
        }
    ));
}

#[test]
fn registry_refuses_a_member_run_failed_then_retrained_outside() {
    let p = pipeline("fail_pipeline", false);
    let member = failed_then_retrained(&p);
    let book = PolicyBook::new().with_pipeline(p);
    let restored = modelgate::Registry::restore_members("churn", vec![member], &key(), &book);
    assert!(restored.is_err());
}

// ------------------------------------------------------------------------------------------
// 2. A run that finished `approved` (no deploy step) then moved outside: revoked, retrained,
//    resubmitted — restore_model must agree with restore.

#[test]
fn restore_model_agrees_with_restore_on_an_approved_run_revoked_and_resubmitted() {
    let p = pipeline("fail_pipeline", false);
    let run = approved_run(&p).into_model();
    // The same steps on a model that never ran: approved, revoked, retrained, approved again.
    let mut m = Model::new("churn", "1")
        .unwrap()
        .submit(outcome("sha256:1"), "alice", t(1))
        .unwrap();
    m.record(Review::approve("bob", "sha256:1", t(2))).unwrap();
    let m = m
        .decide(&p.policy(), &DecisionContext::at(t(3)))
        .unwrap()
        .approved()
        .unwrap();
    let m = m.revoke("oops", "mallory", t(10)).unwrap();
    let m = m.retrain("mallory", t(11)).unwrap();
    let mut m = m.submit(outcome("sha256:9"), "mallory", t(12)).unwrap();
    m.record(Review::approve("bob", "sha256:9", t(13))).unwrap();
    let m = m
        .decide(&p.policy(), &DecisionContext::at(t(14)))
        .unwrap()
        .approved()
        .unwrap();
    let stored = forged_after_run(&run, m.history().get(3..).unwrap());
    let by_restore = Run::restore(stored.clone(), p.clone(), &key()).map(|r| r.status());
    let by_model = Run::restore_model(stored, &p, &key()).map(|m| m.status());
    assert!(
        by_model.is_err(),
        "restore_model restores a run revoked/retrained/resubmitted after it finished \
         (moves outside superseded/rolled back/reinstated/retired) as {:?}; restore says {:?}",
        by_model.ok(),
        by_restore.map_err(|e| e.error().to_string())
    );
}

#[test]
fn a_run_without_a_deploy_step_is_deployed_after_it_finished_approved() {
    let p = pipeline("fail_pipeline", false);
    let run = approved_run(&p);
    let AnyModel::Approved(m) = run.into_model() else {
        panic!()
    };
    let m = m
        .mark_deployed(Receipt::new("r"), "mallory", t(10))
        .unwrap();
    let stored = StoredModel::from(&AnyModel::Deployed(m))
        .sealed_by(&key())
        .unwrap();
    let by_restore = Run::restore(stored.clone(), p.clone(), &key()).map(|r| r.status());
    let by_model = Run::restore_model(stored, &p, &key()).map(|m| m.status());
    // The run itself ended approved; its model's deployment (by a registry) is a later move
    // that `restore_model` replays, and a run restored as a run refuses (it is finished).
    assert!(by_restore.is_err());
    assert_eq!(by_model.ok(), Some(modelgate::Status::Deployed));
}

// ------------------------------------------------------------------------------------------
// 3. A run dressed as a model: `run started` dropped, chain rebuilt, re-sealed (the host's key:
//    the promise says the replay, not the seal, refuses it).

fn rechain(name: &str, version: &str, kinds: Vec<(Timestamp, EventKind)>) -> Trail {
    let env = modelgate::Environment::default();
    let mut prev = Head::of_header(name, version, &env);
    let mut events = Vec::new();
    for (i, (at, kind)) in kinds.into_iter().enumerate() {
        let e = Event::from_parts(i as u64 + 1, at, prev, kind);
        prev = e.hash();
        events.push(e);
    }
    Trail::from_parts(name, version, env, events).unwrap()
}

#[test]
fn a_run_without_run_started_does_not_restore_as_a_model() {
    let p = pipeline("fail_pipeline", false);
    let run = approved_run(&p);
    let kinds: Vec<_> = run.history()[1..]
        .iter()
        .map(|e| (e.at(), e.kind().clone()))
        .collect();
    let stored = StoredModel::new(rechain("churn", "1", kinds), None)
        .sealed_by(&key())
        .unwrap();
    let r = stored.clone().restore(&key(), &p.policy());
    assert!(
        r.is_err(),
        "a run without `run started` restores as a model"
    );
    let r = stored.clone().restore_trusting_decisions(&key());
    assert!(r.is_err(), "trusting decisions");
    let r = stored.restore_unsealed(&p.policy());
    assert!(r.is_err(), "unsealed");
}

#[test]
fn a_model_trail_with_run_events_spliced_in_is_refused() {
    let p = pipeline("fail_pipeline", false);
    let mut m = Model::new("churn", "1")
        .unwrap()
        .submit(outcome("sha256:1"), "alice", t(1))
        .unwrap();
    m.record(Review::approve("bob", "sha256:1", t(2))).unwrap();
    let m = m
        .decide(&p.policy(), &DecisionContext::at(t(3)))
        .unwrap()
        .approved()
        .unwrap();
    let base: Vec<_> = m
        .history()
        .iter()
        .map(|e| (e.at(), e.kind().clone()))
        .collect();
    let run = approved_run(&p);
    // run started in the middle; an artifact in the middle; run finished at the end.
    for (pos, from_run) in [(1usize, 0usize), (1, 1), (3, run.history().len() - 1)] {
        let mut kinds = base.clone();
        let (at, kind) = (
            run.history()[from_run].at(),
            run.history()[from_run].kind().clone(),
        );
        let at = if pos == 3 {
            t(3)
        } else {
            at.max(kinds[pos - 1].0)
        };
        kinds.insert(pos, (at, kind));
        let stored = StoredModel::new(rechain("churn", "1", kinds), None)
            .sealed_by(&key())
            .unwrap();
        let r = stored.clone().restore_trusting_decisions(&key());
        assert!(
            r.is_err(),
            "spliced run event {from_run} at {pos} restores: {:?}",
            r.ok().map(|m| m.status())
        );
    }
}

// ------------------------------------------------------------------------------------------
// 4. A registry member that is a run of another pipeline.

#[test]
fn a_registry_member_run_of_another_pipeline_is_refused() {
    let p = pipeline("fail_pipeline", false);
    let other = pipeline("retrain", false);
    let run = approved_run(&other);
    let mut registry = modelgate::Registry::new("churn").unwrap();
    registry.put(run.into_model()).unwrap();
    let stored = registry.sealed_by(&key()).unwrap();
    let book = PolicyBook::new().with_pipeline(p);
    let r = stored.restore(&key(), &book);
    assert!(r.is_err(), "member run of another pipeline restores");
}

// ------------------------------------------------------------------------------------------
// 5. A run whose events continue after `run finished` with events the run never records.

#[test]
fn run_restore_refuses_events_after_run_finished() {
    let p = pipeline("retrain", true);
    let mut run = Run::start(p.clone(), Model::new("churn", "1").unwrap(), "alice", t(0)).unwrap();
    run.handle_artifact(
        Artifact::new("sha256:1", Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap(),
        t(1),
    )
    .unwrap();
    run.record_vote(Review::approve("bob", "sha256:1", t(2)))
        .unwrap();
    let _ = run.poll(t(3)).unwrap();
    run.handle_deployed(Receipt::new("r1"), t(4)).unwrap();
    assert!(run.finished().is_some());
    let mut kinds: Vec<_> = run
        .history()
        .iter()
        .map(|e| (e.at(), e.kind().clone()))
        .collect();
    let extras = [
        EventKind::Voted {
            review: Review::approve("bob", "sha256:1", t(5)),
        },
        EventKind::Deployed {
            receipt: Receipt::new("r2"),
            by: "mallory".into(),
        },
        EventKind::Retired {
            reason: "x".into(),
            for_cause: false,
            by: "mallory".into(),
        },
    ];
    for extra in extras {
        let mut k = kinds.clone();
        k.push((t(5), extra.clone()));
        let stored = StoredModel::new(rechain("churn", "1", k), None)
            .sealed_by(&key())
            .unwrap();
        let r = Run::restore(stored.clone(), p.clone(), &key());
        let action = format!("{:?}", extra).chars().take(12).collect::<String>();
        let model = Run::restore_model(stored, &p, &key()).map(|m| m.status());
        assert!(
            r.is_err(),
            "Run::restore accepts {action} after run finished"
        );
        if matches!(extra, EventKind::Voted { .. } | EventKind::Deployed { .. }) {
            assert!(
                model.is_err(),
                "restore_model accepts {action} after run finished"
            );
        }
    }
    kinds.truncate(kinds.len());
    let _ = Status::Deployed;
}
