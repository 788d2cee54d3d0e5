//! No deployment goes unrecorded, and nothing is recorded that a restore would refuse: a run's
//! deploy goes through the model's checked transitions (lapsed approval, over-long receipt),
//! live (`handle_deployed`, `drive`) and on restore.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::convert::Infallible;

use modelgate::{
    AnyModel, Approved, Artifact, Deployer, Digest, Evaluator, Event, EventKind, Finding, Head,
    HmacSealer, Metrics, Model, Pipeline, PipelineSpec, Receipt, Review, Run, StoredModel,
    Timestamp, Trail, Trainer,
};

fn t(s: u64) -> Timestamp {
    Timestamp::from_unix_secs(s)
}

fn key() -> HmacSealer {
    HmacSealer::new("runs", *b"0123456789abcdef0123456789abcdef")
}

/// train → approve (bob) → deploy, in `production` with a one-hour approval window.
fn pipeline() -> Pipeline {
    let spec: PipelineSpec = serde_json::from_str(
        r#"{"environment": {"name": "production", "approval_validity_hours": 1},
            "steps": [
        {"name": "train", "type": "training"},
        {"name": "approve", "type": "approval", "inputs": {"approvers": ["bob"]}},
        {"name": "ship", "type": "deploy"}
    ]}"#,
    )
    .unwrap();
    spec.validate().unwrap()
}

/// A run approved at 3 s, waiting for its deployment.
fn approved_run(p: &Pipeline) -> Run {
    let model = Model::new("churn", "1")
        .unwrap()
        .in_environment(p.environment().clone());
    let mut run = Run::start(p.clone(), model, "alice", t(0)).unwrap();
    run.handle_artifact(
        Artifact::new("sha256:1", Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap(),
        t(1),
    )
    .unwrap();
    run.record_vote(Review::approve("bob", "sha256:1", t(2)))
        .unwrap();
    let _ = run.poll(t(3)).unwrap();
    assert!(run.approved().is_some(), "waits for the deployment");
    run
}

struct Host {
    deploys: u32,
    receipt: String,
}

impl Trainer for Host {
    type Error = Infallible;
    fn train(&mut self, _: u32, _: &[Finding]) -> Result<Artifact, Infallible> {
        unreachable!()
    }
}
impl Evaluator for Host {
    type Error = Infallible;
    fn evaluate(&mut self, _: &str, _: &Digest) -> Result<Metrics, Infallible> {
        unreachable!()
    }
}
impl Deployer for Host {
    type Error = Infallible;
    fn deploy(&mut self, _: &Model<Approved>) -> Result<Receipt, Infallible> {
        self.deploys += 1;
        Ok(Receipt::new(self.receipt.clone()))
    }
}

#[test]
fn handle_deployed_refuses_a_lapsed_approval() {
    let p = pipeline();
    let mut run = approved_run(&p);
    let r = run.handle_deployed(Receipt::new("r"), t(3 + 7200));
    assert!(r.is_err(), "lapsed approval deployed");
}

#[test]
fn drive_does_not_call_the_deployer_for_a_lapsed_approval() {
    let p = pipeline();
    let mut run = approved_run(&p);
    let mut host = Host {
        deploys: 0,
        receipt: "r".into(),
    };
    let mut clock = 7200;
    for _ in 0..3 {
        let driven = run.drive(&mut host, || {
            clock += 1;
            t(clock)
        });
        // The lapsed approval is reopened: the run waits for fresh votes.
        let action = driven.map(|a| a.to_string()).map_err(|e| e.to_string());
        assert!(
            action.as_deref().is_ok_and(|a| a.starts_with("await")),
            "{action:?}"
        );
    }
    assert_eq!(
        host.deploys, 0,
        "Run::drive calls the host's Deployer (the model goes live) for an approval \
         that lapsed, then handle_deployed refuses to record it; the trail has no deployment. \
         Model::deploy checks the lapse before calling the deployer."
    );
}

#[test]
fn drive_with_an_over_long_receipt_leaves_no_unrecorded_deployment() {
    let p = pipeline();
    let mut run = approved_run(&p);
    let mut host = Host {
        deploys: 0,
        receipt: "x".repeat(modelgate::value::MAX_TEXT_LEN + 1),
    };
    let mut clock = 10;
    for _ in 0..3 {
        let driven = run.drive(&mut host, || {
            clock += 1;
            t(clock)
        });
        assert!(driven.is_err());
    }
    let recorded = run
        .history()
        .iter()
        .filter(|e| {
            matches!(
                e.kind(),
                EventKind::Deployed { .. } | EventKind::DeployFailed { .. }
            )
        })
        .count();
    assert!(
        host.deploys as usize <= recorded,
        "the deployer ran {} time(s) but the trail records {recorded} deploy event(s)",
        host.deploys
    );
}

#[test]
fn model_deploy_with_an_over_long_receipt_still_restores() {
    // Model::deploy (live) against mark_deployed (what restore replays).
    let env = pipeline().environment().clone();
    let outcome =
        modelgate::TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.95)]).unwrap())
            .unwrap();
    let mut m = Model::new("churn", "1")
        .unwrap()
        .in_environment(env)
        .submit(outcome, "alice", t(1))
        .unwrap();
    m.record(Review::approve("bob", "sha256:1", t(2))).unwrap();
    let policy = modelgate::Quorum::new(1);
    let m = m
        .decide(&policy, &modelgate::DecisionContext::at(t(3)))
        .unwrap()
        .approved()
        .unwrap();
    let mut host = Host {
        deploys: 0,
        receipt: "x".repeat(modelgate::value::MAX_TEXT_LEN + 1),
    };
    let live = m.deploy(&mut host, "carol", t(4));
    let Ok(deployed) = live else { return };
    let stored = StoredModel::from(&AnyModel::Deployed(deployed))
        .sealed_by(&key())
        .unwrap();
    let back = stored.restore(&key(), &policy);
    assert!(
        back.is_ok(),
        "Model::deploy records an over-long receipt that restore then refuses: {}",
        back.err().unwrap().error()
    );
}

// A stored run that recorded a lapsed deploy / an over-long receipt anyway (re-sealed with the
// host's key: the replay is the protection) is refused by restore and restore_model.

fn rechain(
    name: &str,
    version: &str,
    env: &modelgate::Environment,
    kinds: Vec<(Timestamp, EventKind)>,
) -> Trail {
    let mut prev = Head::of_header(name, version, env);
    let mut events = Vec::new();
    for (i, (at, kind)) in kinds.into_iter().enumerate() {
        let e = Event::from_parts(i as u64 + 1, at, prev, kind);
        prev = e.hash();
        events.push(e);
    }
    Trail::from_parts(name, version, env.clone(), events).unwrap()
}

#[test]
fn a_stored_run_with_a_lapsed_or_over_long_deploy_is_refused() {
    let p = pipeline();
    let run = approved_run(&p);
    let base: Vec<_> = run
        .history()
        .iter()
        .map(|e| (e.at(), e.kind().clone()))
        .collect();
    let cases = [
        ("lapsed", t(3 + 7200), "r".to_owned()),
        (
            "long receipt",
            t(4),
            "x".repeat(modelgate::value::MAX_TEXT_LEN + 1),
        ),
    ];
    for (what, at, receipt) in cases {
        let mut kinds = base.clone();
        kinds.push((
            at,
            EventKind::Deployed {
                receipt: Receipt::new(receipt),
                by: "alice".into(),
            },
        ));
        kinds.push((
            at,
            EventKind::RunFinished {
                outcome: modelgate::event::RunOutcome::Deployed,
                attempts: 1,
            },
        ));
        let stored = StoredModel::new(rechain("churn", "1", p.environment(), kinds), None)
            .sealed_by(&key())
            .unwrap();
        let r = Run::restore(stored.clone(), p.clone(), &key());
        assert!(r.is_err(), "{what} deploy restores as a run");
        let m = Run::restore_model(stored, &p, &key());
        assert!(m.is_err(), "{what} deploy restores as a run's model");
    }
}

#[derive(Debug)]
struct LongError;
impl std::fmt::Display for LongError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&"e".repeat(modelgate::value::MAX_TEXT_LEN + 1))
    }
}
impl std::error::Error for LongError {}
struct Failing;
impl Deployer for Failing {
    type Error = LongError;
    fn deploy(&mut self, _: &Model<Approved>) -> Result<Receipt, LongError> {
        Err(LongError)
    }
}

#[test]
fn model_deploy_failing_with_an_over_long_error_still_restores() {
    let env = pipeline().environment().clone();
    let outcome =
        modelgate::TrainingOutcome::new("sha256:1", Metrics::new([("accuracy", 0.95)]).unwrap())
            .unwrap();
    let mut m = Model::new("churn", "1")
        .unwrap()
        .in_environment(env)
        .submit(outcome, "alice", t(1))
        .unwrap();
    m.record(Review::approve("bob", "sha256:1", t(2))).unwrap();
    let policy = modelgate::Quorum::new(1);
    let m = m
        .decide(&policy, &modelgate::DecisionContext::at(t(3)))
        .unwrap()
        .approved()
        .unwrap();
    let Err(refused) = m.deploy(&mut Failing, "carol", t(4)) else {
        panic!()
    };
    let (model, _) = refused.into_parts();
    let stored = StoredModel::from(&AnyModel::Approved(model))
        .sealed_by(&key())
        .unwrap();
    let back = stored.restore(&key(), &policy);
    assert!(
        back.is_ok(),
        "Model::deploy records an over-long deployer error that restore then refuses: {}",
        back.err().unwrap().error()
    );
}

#[test]
fn a_run_whose_approval_lapsed_is_reopened_for_a_fresh_decision() {
    let p = pipeline();
    let mut run = approved_run(&p);
    let late = t(3 + 7200);
    // Not told to deploy what may no longer be deployed: the approval is reopened, and the run
    // waits for fresh votes.
    let action = run.poll(late).unwrap();
    assert!(
        matches!(action, modelgate::Action::AwaitApproval { .. }),
        "{action}"
    );
    assert_eq!(run.status(), modelgate::Status::Submitted);
    assert_eq!(run.history().last().map(Event::action), Some("reopened"));
    // A fresh approval, then the deployment, and the whole trail restores through the pipeline.
    run.record_vote(Review::approve("bob", "sha256:1", t(3 + 7201)))
        .unwrap();
    let action = run.poll(t(3 + 7202)).unwrap();
    assert!(
        matches!(action, modelgate::Action::Deploy { .. }),
        "{action}"
    );
    run.handle_deployed(Receipt::new("prod"), t(3 + 7203))
        .unwrap();
    let stored = StoredModel::from(&run).sealed_by(&key()).unwrap();
    let restored = Run::restore(stored, p, &key()).unwrap();
    assert_eq!(restored.status(), modelgate::Status::Deployed);
    assert_eq!(restored.history(), run.history());
}
