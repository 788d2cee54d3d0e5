//! Pipelines: strict validation with every problem reported, the sans-I/O run on the seed's
//! three paths, checkpoints across "processes", and hooks.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fmt;

use modelgate::event::RunOutcome;
use modelgate::pipeline::{DriveError, Finished};
use modelgate::trail::{PipelineRule, ReplayError};
use modelgate::{
    Action, Approved, Artifact, Deployer, Evaluator, HmacSealer, Metrics, Model, Pipeline,
    PipelineSpec, Receipt, RestoreError, Review, Run, RunError, Status, StoredModel, Timestamp,
    Trainer,
};

fn t(s: u64) -> Timestamp {
    Timestamp::from_unix_secs(s)
}

fn yaml(text: &str) -> PipelineSpec {
    let options = serde_saphyr::options! {
        non_finite_float_policy: serde_saphyr::options::NonFiniteFloatPolicy::PassThrough,
    };
    serde_saphyr::from_str_with_options(text, options).unwrap()
}

fn seed(on_reject: &str) -> Pipeline {
    let text = include_str!("../examples/pipeline.yaml")
        .replace("on_reject: retrain", &format!("on_reject: {on_reject}"));
    yaml(&text).validate().unwrap()
}

// ----------------------------------------------------------------------------------------------
// Validation.

fn problems(text: &str) -> String {
    match yaml(text).validate() {
        Ok(_) => String::from("valid"),
        Err(errors) => errors.to_string(),
    }
}

#[test]
fn the_seed_pipeline_is_valid() {
    let p = seed("retrain");
    let names: Vec<&str> = p.steps().iter().map(|s| s.name()).collect();
    assert_eq!(
        names,
        ["train_model", "evaluate", "approve_model", "deploy"]
    );
    let policy = modelgate::Policy::name(&p.policy());
    assert_eq!(
        policy,
        "all(all(accuracy at least 0.8), no veto from alice or team_lead or role alice or role \
         team_lead, when accuracy above 0.9 approve automatically, otherwise 1 approval from alice \
         or team_lead or role alice or role team_lead)"
    );
}

#[test]
fn validation_errors() {
    let cases = [
        (
            "approvers as a string",
            "steps:\n- {name: t, type: training}\n- name: approve_model\n  type: approval\n  inputs: {approvers: 'bob'}\n",
        ),
        (
            "empty approver list",
            "steps:\n- {name: t, type: training}\n- {name: a, type: approval, inputs: {approvers: []}}\n",
        ),
        (
            "required above the approvers",
            "steps:\n- {name: t, type: training}\n- {name: a, type: approval, inputs: {approvers: [bob, carol], required: 3}}\n",
        ),
        (
            "unknown keys",
            "steps:\n- {name: t, type: training, inputs: {epochs: 3}}\n- {name: a, type: approval, inputs: {approvers: [bob], quorum: 2}, timeout: 3d}\nversion: 2\n",
        ),
        (
            "unknown step type",
            "steps:\n- {name: t, type: training}\n- {name: s, type: shadow}\n- {name: a, type: approval, inputs: {approvers: [bob]}}\n",
        ),
        (
            "unknown on_reject",
            "steps:\n- {name: t, type: training}\n- {name: a, type: approval, inputs: {approvers: [bob]}, on_reject: ignore}\n",
        ),
        (
            "duplicate step names",
            "steps:\n- {name: t, type: training}\n- {name: t, type: test}\n- {name: a, type: approval, inputs: {approvers: [bob]}}\n",
        ),
        (
            "deploy before approval",
            "steps:\n- {name: t, type: training}\n- {name: d, type: deploy}\n- {name: a, type: approval, inputs: {approvers: [bob]}}\n",
        ),
        (
            "neither approvers nor auto-approval",
            "steps:\n- {name: t, type: training}\n- {name: a, type: approval}\n",
        ),
        (
            "max_attempts of 0",
            "steps:\n- {name: t, type: training}\n- {name: a, type: approval, inputs: {approvers: [bob], max_attempts: 0}, on_reject: retrain}\n",
        ),
        (
            "non-finite thresholds",
            "steps:\n- {name: t, type: training}\n- {name: e, type: test, inputs: {gates: [{metric: loss, at_most: .inf}]}}\n- {name: a, type: approval, inputs: {auto_approve: {metric: accuracy, above: .nan}}}\n",
        ),
        (
            "no approval step",
            "steps:\n- {name: t, type: training}\n- {name: d, type: deploy}\n",
        ),
        (
            "bad conditions and types",
            "steps:\n- {name: t, type: training}\n- {name: a, type: approval, inputs: {approvers: [bob, bob, 7], required: two, auto_approve: {metric: accuracy, above: 0.9, below: 1.0}, gates: {metric: f1}}}\n",
        ),
        (
            "order and counts",
            "steps:\n- {name: e, type: test}\n- {name: t, type: training}\n- {name: a, type: approval, inputs: {approvers: [bob]}}\n- {name: a2, type: approval, inputs: {approvers: [bob]}}\n- {name: t2, type: training}\n",
        ),
        (
            "max_attempts without retrain",
            "steps:\n- {name: t, type: training, on_reject: retrain}\n- {name: a, type: approval, inputs: {approvers: [bob], max_attempts: 2}}\n",
        ),
        (
            "step problems and order problems at once",
            "steps:\n- {name: d, type: deploy}\n- {name: t, type: training, inputs: {epochs: 3}}\n- {name: a, type: approval, inputs: {approvers: [bob]}}\n- 42\n",
        ),
        ("not a spec", "- just\n- a list\n"),
        (
            "steps missing names and types",
            "steps:\n- {type: training}\n- {name: \"a\\tb\"}\n- 42\n",
        ),
    ];
    let mut out = String::new();
    for (case, text) in cases {
        out.push_str(&format!("{case}:\n{}\n\n", problems(text)));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn a_single_approver_string_never_validates_into_a_pipeline_that_does_not_pause() {
    for spelling in ["'bob'", "bob", "\"team_lead\""] {
        let text = format!(
            "steps:\n- {{name: t, type: training}}\n- {{name: a, type: approval, inputs: {{approvers: {spelling}}}}}\n"
        );
        let errors = yaml(&text).validate().unwrap_err();
        assert_eq!(errors.errors().len(), 1);
        assert_eq!(errors.errors()[0].path(), "steps[1].inputs.approvers");
        assert_eq!(errors.errors()[0].step(), Some("a"));
        assert!(
            errors.to_string().contains("write `approvers: ['"),
            "{errors}"
        );
    }
}

#[test]
fn json_and_yaml_specs_validate_alike() {
    let json: PipelineSpec = serde_json::from_str(
        r#"{"steps": [{"name": "train_model", "type": "training"},
            {"name": "evaluate", "type": "test", "inputs": {"gates": [{"metric": "accuracy", "at_least": 0.8}]}},
            {"name": "approve_model", "type": "approval", "on_reject": "retrain", "inputs": {
                "approvers": ["alice", "team_lead"], "required": 1,
                "auto_approve": {"metric": "accuracy", "above": 0.9}}},
            {"name": "deploy", "type": "deploy"}]}"#,
    )
    .unwrap();
    assert_eq!(json.validate().unwrap(), seed("retrain"));
}

// ----------------------------------------------------------------------------------------------
// The run.

/// Polls, answers, and writes down every action, as a host would.
struct Script {
    run: Run,
    clock: u64,
    log: Vec<String>,
}

impl Script {
    fn new(pipeline: Pipeline) -> Self {
        let run = Run::start(
            pipeline,
            Model::new("fraud-detector", "7").unwrap(),
            "mlbot",
            t(0),
        )
        .unwrap();
        Script {
            run,
            clock: 0,
            log: Vec::new(),
        }
    }

    fn now(&mut self) -> Timestamp {
        self.clock += 60;
        t(self.clock)
    }

    fn poll(&mut self) -> Action {
        let now = self.now();
        let action = self.run.poll(now).unwrap();
        self.log.push(action.to_string());
        action
    }

    fn expect_train(&mut self, digest: &str) {
        assert!(matches!(self.poll(), Action::Train { .. }));
        let now = self.now();
        self.run
            .handle_artifact(Artifact::new(digest, Metrics::default()).unwrap(), now)
            .unwrap();
    }

    fn expect_evaluate(&mut self, accuracy: f64) {
        let Action::Evaluate { step, .. } = self.poll() else {
            panic!("expected an evaluation")
        };
        let now = self.now();
        self.run
            .handle_evaluated(&step, Metrics::new([("accuracy", accuracy)]).unwrap(), now)
            .unwrap();
    }

    fn expect_deploy_and_finish(&mut self) {
        assert!(matches!(self.poll(), Action::Deploy { .. }));
        let now = self.now();
        self.run
            .handle_deployed(Receipt::new("prod/fraud-detector@7"), now)
            .unwrap();
        assert!(matches!(
            self.poll(),
            Action::Finished {
                outcome: RunOutcome::Deployed,
                ..
            }
        ));
    }

    fn vote(&mut self, review: Review) {
        self.log.push(format!(
            "(vote by {}: {})",
            review.reviewer(),
            review.vote()
        ));
        self.run.record_vote(review).unwrap();
    }
}

#[test]
fn path_approve_then_deploy() {
    let mut s = Script::new(seed("retrain"));
    s.expect_train("sha256:a1");
    s.expect_evaluate(0.86);
    assert!(matches!(s.poll(), Action::AwaitApproval { .. }));
    let at = s.now();
    s.vote(Review::approve("mlbot", "sha256:a1", at)); // the submitter: does not count
    assert!(matches!(s.poll(), Action::AwaitApproval { .. }));
    let at = s.now();
    s.vote(Review::approve("carol", "sha256:a1", at).with_role("team_lead"));
    s.expect_deploy_and_finish();
    insta::assert_snapshot!(s.log.join("\n"));
}

#[test]
fn path_reject_retrain_approve_deploy() {
    let mut s = Script::new(seed("retrain"));
    s.expect_train("sha256:a1");
    s.expect_evaluate(0.72); // below the test gate: rejected without waiting for votes
    s.expect_train("sha256:a2");
    s.expect_evaluate(0.95); // above 0.90: approved automatically
    s.expect_deploy_and_finish();
    let Some(Finished::Deployed(model)) = s.run.finished() else {
        panic!()
    };
    assert_eq!(model.stage().approved().submission().attempt(), 2);
    assert_eq!(
        model.stage().approved().decision().automatic_rule(),
        Some("accuracy above 0.9")
    );
    insta::assert_snapshot!(s.log.join("\n"));
}

#[test]
fn path_reject_with_fail_pipeline() {
    let mut s = Script::new(seed("fail_pipeline"));
    s.expect_train("sha256:a1");
    s.expect_evaluate(0.86);
    assert!(matches!(s.poll(), Action::AwaitApproval { .. }));
    let at = s.now();
    s.vote(Review::reject("alice", "sha256:a1", at).with_comment("label leakage"));
    let Action::Finished {
        outcome: RunOutcome::Failed,
        attempts,
    } = s.poll()
    else {
        panic!("an approver rejects")
    };
    assert_eq!(attempts, 1);
    let Some(Finished::Failed(model)) = s.run.finished() else {
        panic!()
    };
    assert_eq!(
        model.stage().findings()[0].to_string(),
        "vetoed: alice rejects: label leakage"
    );
    insta::assert_snapshot!(s.log.join("\n"));
}

#[test]
fn failing_a_test_gate_fails_without_waiting_for_votes() {
    let mut s = Script::new(seed("fail_pipeline"));
    s.expect_train("sha256:b1");
    s.expect_evaluate(0.5);
    assert!(matches!(
        s.poll(),
        Action::Finished {
            outcome: RunOutcome::Failed,
            ..
        }
    ));
    let Some(Finished::Failed(model)) = s.run.finished() else {
        panic!("must fail")
    };
    assert_eq!(
        model.stage().findings()[0].to_string(),
        "accuracy 0.5 is below the minimum 0.8"
    );
}

#[test]
fn an_approvers_reject_sends_the_model_back_to_training() {
    let mut s = Script::new(seed("retrain"));
    s.expect_train("sha256:a1");
    s.expect_evaluate(0.86);
    s.poll();
    let at = s.now();
    s.vote(Review::reject("dave", "sha256:a1", at).with_role("team_lead"));
    let Action::Train {
        attempt: 2,
        feedback,
    } = s.poll()
    else {
        panic!("back to training")
    };
    assert_eq!(feedback[0].to_string(), "vetoed: dave rejects");
}

#[test]
fn retrain_stops_after_max_attempts() {
    let text = include_str!("../examples/pipeline.yaml")
        .replace("required: 1", "required: 1\n      max_attempts: 2");
    let mut s = Script::new(yaml(&text).validate().unwrap());
    s.expect_train("sha256:a1");
    s.expect_evaluate(0.5);
    let Action::Train { attempt, feedback } = s.poll() else {
        panic!()
    };
    assert_eq!((attempt, feedback.len()), (2, 1));
    let now = s.now();
    s.run
        .handle_artifact(Artifact::new("sha256:a2", Metrics::default()).unwrap(), now)
        .unwrap();
    s.expect_evaluate(0.6);
    let Action::Finished {
        outcome: RunOutcome::Failed,
        attempts,
    } = s.poll()
    else {
        panic!("gives up")
    };
    assert_eq!(attempts, 2);
}

#[test]
fn inputs_out_of_turn_are_refused_and_change_nothing() {
    let mut s = Script::new(seed("retrain"));
    let err = s
        .run
        .record_vote(Review::approve("carol", "sha256:a1", t(1)))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the run is waiting for an artifact, not for a vote"
    );
    assert_eq!(err.into_input().reviewer(), "carol", "the vote comes back");
    assert!(s.run.handle_deployed(Receipt::new("x"), t(1)).is_err());
    s.expect_train("sha256:a1");
    let err = s
        .run
        .handle_evaluated("deploy", Metrics::default(), t(500))
        .unwrap_err();
    assert_eq!(
        err.error(),
        &RunError::WrongStep {
            expected: "evaluate".into(),
            found: "deploy".into()
        }
    );
    let err = s
        .run
        .handle_artifact(
            Artifact::new("sha256:x", Metrics::default()).unwrap(),
            t(500),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the run is waiting for an evaluation, not for an artifact"
    );
    s.run
        .handle_evaluated(
            "evaluate",
            Metrics::new([("accuracy", 0.85)]).unwrap(),
            t(500),
        )
        .unwrap();
    // Deciding at a time before the submission is refused and leaves the run as it was.
    let err = s.run.poll(t(1)).unwrap_err();
    assert!(matches!(err, RunError::TimeWentBackwards(_)), "{err}");
    assert!(matches!(
        s.run.poll(t(501)).unwrap(),
        Action::AwaitApproval { .. }
    ));
}

// ----------------------------------------------------------------------------------------------
// Stored runs: the trail is the checkpoint.

fn key() -> HmacSealer {
    HmacSealer::new("runs", *b"0123456789abcdef0123456789abcdef")
}

fn stored(run: &Run) -> StoredModel {
    StoredModel::from(run).sealed_by(&key()).unwrap()
}

#[test]
fn a_paused_run_survives_a_restart() {
    let mut s = Script::new(seed("retrain"));
    s.expect_train("sha256:a1");
    s.expect_evaluate(0.86);
    assert!(matches!(s.poll(), Action::AwaitApproval { .. }));
    let json = serde_json::to_string_pretty(&stored(&s.run)).unwrap();
    insta::assert_snapshot!("checkpoint_awaiting_approval", json);
    drop(s);

    // A new process: the host reads its own pipeline file and the stored run.
    let checkpoint: StoredModel = serde_json::from_str(&json).unwrap();
    let mut run = Run::restore(checkpoint, seed("retrain"), &key()).unwrap();
    run.record_vote(Review::approve("alice", "sha256:a1", t(86_400)))
        .unwrap();
    assert!(matches!(
        run.poll(t(86_401)).unwrap(),
        Action::Deploy { .. }
    ));
    run.handle_deployed(Receipt::new("prod"), t(86_402))
        .unwrap();
    assert_eq!(run.status(), Status::Deployed);
}

#[test]
fn a_run_restores_at_every_point_and_goes_on_identically() {
    let mut s = Script::new(seed("retrain"));
    let mut points = vec![stored(&s.run)];
    s.expect_train("sha256:a1");
    points.push(stored(&s.run));
    s.expect_evaluate(0.72);
    points.push(stored(&s.run));
    s.expect_train("sha256:a2");
    points.push(stored(&s.run));
    s.expect_evaluate(0.86);
    s.poll();
    let at = s.now();
    s.vote(Review::approve("carol", "sha256:a2", at).with_role("team_lead"));
    points.push(stored(&s.run));
    s.expect_deploy_and_finish();
    points.push(stored(&s.run));
    for point in points {
        let head = point.head();
        let run = Run::restore(point, seed("retrain"), &key()).unwrap();
        assert_eq!(run.head(), head);
    }
    let done = Run::restore(stored(&s.run), seed("retrain"), &key()).unwrap();
    assert_eq!(done.history(), s.run.history());
    assert!(matches!(done.finished(), Some(Finished::Deployed(_))));
}

/// A run's trail, edited as JSON, re-chained, and re-sealed *with the host's own key*: the
/// pipeline's rules must hold on replay even for a record the seal vouches for.
fn forged_run(run: &Run, edit: impl FnOnce(&mut serde_json::Value)) -> StoredModel {
    let mut json = serde_json::to_value(StoredModel::from(run)).unwrap();
    edit(&mut json);
    let n = json["events"].as_array().unwrap().len();
    for i in 0..n {
        json["events"][i]["seq"] = (i + 1).into();
    }
    for i in 0..n {
        let s: StoredModel = serde_json::from_value(json.clone()).unwrap();
        let prev = if i == 0 {
            modelgate::Head::of_header(s.name(), s.version(), s.environment())
        } else {
            s.events()[i - 1].hash()
        };
        json["events"][i]["prev"] = prev.to_string().into();
    }
    let s: StoredModel = serde_json::from_value(json).unwrap();
    s.sealed_by(&key()).unwrap()
}

fn restore_error(stored: StoredModel, pipeline: Pipeline) -> RestoreError {
    Run::restore(stored, pipeline, &key())
        .map(|_| ())
        .unwrap_err()
        .into_error()
}

fn event(action: &str, event: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"seq": 0, "at": 10_000_000, "prev": "00".repeat(32), "event": {action: event}})
}

/// A run that failed under `fail_pipeline`.
fn failed_run() -> Run {
    let mut s = Script::new(seed("fail_pipeline"));
    s.expect_train("sha256:a1");
    s.expect_evaluate(0.5);
    s.poll();
    assert!(matches!(s.run.finished(), Some(Finished::Failed(_))));
    s.run
}

#[test]
fn a_failed_run_cannot_be_continued_with_a_retraining() {
    let run = failed_run();
    let forged = forged_run(&run, |json| {
        let events = json["events"].as_array_mut().unwrap();
        events.pop(); // run finished
        events.push(event("retraining", serde_json::json!({"by": "mlbot"})));
        events.push(event(
            "artifact",
            serde_json::json!({"digest": "sha256:a2", "metrics": {}, "by": "mlbot"}),
        ));
    });
    let error = restore_error(forged, seed("fail_pipeline"));
    assert_eq!(
        error,
        RestoreError::Replay {
            seq: 6,
            action: "retraining",
            error: ReplayError::Diverges {
                derived: "run finished",
                rule: Some(PipelineRule::FailPipeline {
                    step: "approve_model".into()
                }),
            }
        }
    );
    // The refusal names the pipeline's rule, not only the event it records.
    insta::assert_snapshot!(error.to_string(), @"event 6 (`retraining`): the pipeline records `run finished` here: step `approve_model` says `on_reject: fail_pipeline`, so a rejection ends the run");
}

#[test]
fn a_run_cannot_retrain_past_max_attempts() {
    let text = include_str!("../examples/pipeline.yaml")
        .replace("required: 1", "required: 1\n      max_attempts: 1");
    let pipeline = || yaml(&text).validate().unwrap();
    let mut s = Script::new(pipeline());
    s.expect_train("sha256:a1");
    s.expect_evaluate(0.5);
    s.poll();
    let forged = forged_run(&s.run, |json| {
        let events = json["events"].as_array_mut().unwrap();
        events.pop();
        events.push(event("retraining", serde_json::json!({"by": "mlbot"})));
    });
    let error = restore_error(forged, pipeline());
    assert!(matches!(
        &error,
        RestoreError::Replay {
            error: ReplayError::Diverges {
                rule: Some(PipelineRule::Retrain {
                    max_attempts: 1,
                    attempt: 1,
                    ..
                }),
                ..
            },
            ..
        }
    ));
    insta::assert_snapshot!(error.to_string(), @"event 6 (`retraining`): the pipeline records `run finished` here: step `approve_model` says `on_reject: retrain` with `max_attempts: 1`, and this was attempt 1");
}

#[test]
fn a_run_without_a_deploy_step_cannot_be_continued_with_a_deployment() {
    let text = include_str!("../examples/pipeline.yaml")
        .replace("  - name: deploy\n    type: deploy\n", "");
    let pipeline = || yaml(&text).validate().unwrap();
    let mut s = Script::new(pipeline());
    s.expect_train("sha256:a1");
    s.expect_evaluate(0.95);
    s.poll();
    assert!(matches!(s.run.finished(), Some(Finished::Approved(_))));
    let forged = forged_run(&s.run, |json| {
        let events = json["events"].as_array_mut().unwrap();
        events.pop(); // run finished
        events.push(event(
            "deployed",
            serde_json::json!({"receipt": "prod/churn", "by": "mlbot"}),
        ));
    });
    let error = restore_error(forged, pipeline());
    assert!(
        matches!(
            &error,
            RestoreError::Replay {
                error: ReplayError::Diverges {
                    rule: Some(PipelineRule::NoDeployStep),
                    ..
                },
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn a_run_restored_against_another_pipeline_is_refused() {
    // The same step names and the same policy name; only `on_reject` differs.
    let run = failed_run();
    let err = restore_error(stored(&run), seed("retrain"));
    assert!(matches!(err, RestoreError::Pipeline { .. }), "{err}");
    let required = yaml(
        &include_str!("../examples/pipeline.yaml")
            .replace("required: 1", "required: 1\n      veto: false"),
    );
    let err = restore_error(stored(&run), required.validate().unwrap());
    assert!(matches!(err, RestoreError::Pipeline { .. }), "{err}");
}

#[test]
fn a_changed_submitter_is_refused() {
    let mut s = Script::new(seed("retrain"));
    s.expect_train("sha256:a1");
    s.expect_evaluate(0.86);
    let forged = forged_run(&s.run, |json| {
        json["events"][3]["event"]["submitted"]["submitter"] = "eve".into();
    });
    assert_eq!(
        restore_error(forged, seed("retrain")),
        RestoreError::Replay {
            seq: 4,
            action: "submitted",
            error: ReplayError::Differs { field: "submitter" }
        }
    );
}

#[test]
fn a_skipped_test_step_is_refused() {
    let mut s = Script::new(seed("retrain"));
    s.expect_train("sha256:a1");
    s.expect_evaluate(0.95);
    let forged = forged_run(&s.run, |json| {
        json["events"].as_array_mut().unwrap().remove(2); // evaluated
    });
    assert_eq!(
        restore_error(forged, seed("retrain")),
        RestoreError::Replay {
            seq: 3,
            action: "submitted",
            error: ReplayError::NotExpected {
                waiting_for: "an evaluation"
            }
        }
    );
}

#[test]
fn an_injected_metric_that_would_auto_approve_is_refused() {
    let mut s = Script::new(seed("retrain"));
    s.expect_train("sha256:a1");
    s.expect_evaluate(0.85);
    let forged = forged_run(&s.run, |json| {
        json["events"][3]["event"]["submitted"]["outcome"]["metrics"]["accuracy"] = 0.99.into();
    });
    assert_eq!(
        restore_error(forged, seed("retrain")),
        RestoreError::Replay {
            seq: 4,
            action: "submitted",
            error: ReplayError::Differs { field: "metrics" }
        }
    );
}

#[test]
fn forged_finish_data_is_refused() {
    let run = failed_run();
    let forged = forged_run(&run, |json| {
        let last = json["events"].as_array().unwrap().len() - 1;
        json["events"][last]["event"]["run_finished"]["attempts"] = 3.into();
    });
    assert!(matches!(
        restore_error(forged, seed("fail_pipeline")),
        RestoreError::Replay {
            error: ReplayError::Differs { field: "attempts" },
            ..
        }
    ));
}

#[test]
fn a_finished_run_that_continues_is_refused() {
    let run = failed_run();
    let forged = forged_run(&run, |json| {
        json["events"].as_array_mut().unwrap().push(event(
            "voted",
            serde_json::json!({"review": {"reviewer": "bob", "vote": "approve",
                "digest": "sha256:a1", "at": 10_000_000}}),
        ));
    });
    assert!(matches!(
        restore_error(forged, seed("fail_pipeline")),
        RestoreError::Replay {
            error: ReplayError::NotExpected {
                waiting_for: "nothing (it is finished)"
            },
            ..
        }
    ));
}

#[test]
fn a_step_cut_in_half_is_refused() {
    let mut s = Script::new(seed("fail_pipeline"));
    s.expect_train("sha256:a1");
    s.expect_evaluate(0.5);
    s.poll(); // decided + run finished, recorded together
    let forged = forged_run(&s.run, |json| {
        json["events"].as_array_mut().unwrap().pop();
    });
    assert_eq!(
        restore_error(forged, seed("fail_pipeline")),
        RestoreError::Truncated {
            seq: 5,
            missing: "run finished"
        }
    );
}

#[test]
fn stored_runs_are_checked_on_restore() {
    let mut s = Script::new(seed("retrain"));
    s.expect_train("sha256:a1");
    s.expect_evaluate(0.86);
    s.poll();
    let saved = serde_json::to_value(stored(&s.run)).unwrap();
    let restore = |edit: fn(&mut serde_json::Value), pipeline: Pipeline| {
        let mut v = saved.clone();
        edit(&mut v);
        restore_error(serde_json::from_value(v).unwrap(), pipeline)
    };
    let other =
        yaml(&include_str!("../examples/pipeline.yaml").replace("required: 1", "required: 2"))
            .validate()
            .unwrap();
    let not_a_run = StoredModel::from(&Model::new("m", "1").unwrap())
        .sealed_by(&key())
        .unwrap();
    let errs = [
        restore(|_| {}, other),
        restore(|v| v["format_version"] = 1.into(), seed("retrain")),
        restore(
            |v| v["events"][0]["event"]["run_started"]["submitter"] = "".into(),
            seed("retrain"),
        ),
        restore(|v| v["events"][1]["seq"] = 5.into(), seed("retrain")),
        restore(|v| v["events"][1]["at"] = 1.into(), seed("retrain")),
        restore_error(not_a_run, seed("retrain")),
    ];
    assert!(matches!(errs[0], RestoreError::Pipeline { .. }));
    let messages: Vec<String> = errs.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(messages.join("\n"));
}

// ----------------------------------------------------------------------------------------------
// Hooks.

#[derive(Debug)]
struct Down(&'static str);

impl fmt::Display for Down {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is down", self.0)
    }
}

impl std::error::Error for Down {}

/// Scripted hooks: each attempt's accuracy, and whether the registry is up.
struct Hooks {
    accuracies: Vec<f64>,
    registry_up: bool,
    trained: u32,
}

impl Trainer for Hooks {
    type Error = Down;
    fn train(&mut self, attempt: u32, _feedback: &[modelgate::Finding]) -> Result<Artifact, Down> {
        self.trained += 1;
        Ok(Artifact::new(format!("sha256:attempt-{attempt}"), Metrics::default()).unwrap())
    }
}

impl Evaluator for Hooks {
    type Error = Down;
    fn evaluate(&mut self, _step: &str, _artifact: &modelgate::Digest) -> Result<Metrics, Down> {
        let accuracy = self
            .accuracies
            .get(self.trained as usize - 1)
            .copied()
            .ok_or(Down("evaluator"))?;
        Ok(Metrics::new([("accuracy", accuracy)]).unwrap())
    }
}

impl Deployer for Hooks {
    type Error = Down;
    fn deploy(&mut self, model: &Model<Approved>) -> Result<Receipt, Down> {
        if !self.registry_up {
            return Err(Down("registry"));
        }
        Ok(Receipt::new(format!(
            "prod/{}",
            model.stage().submission().outcome().digest()
        )))
    }
}

#[test]
fn drive_runs_a_sync_host_until_it_must_pause_or_is_finished() {
    let mut run = Run::start(
        seed("retrain"),
        Model::new("m", "1").unwrap(),
        "mlbot",
        t(0),
    )
    .unwrap();
    let mut hooks = Hooks {
        accuracies: vec![0.5, 0.85],
        registry_up: false,
        trained: 0,
    };
    let mut clock = 0;
    let mut now = || {
        clock += 1;
        t(clock)
    };
    let paused = run.drive(&mut hooks, &mut now).unwrap();
    assert!(matches!(paused, Action::AwaitApproval { .. }), "{paused}");
    assert_eq!(hooks.trained, 2);
    run.record_vote(Review::approve("bob", "sha256:attempt-2", now()).with_role("team_lead"))
        .unwrap();

    // The deployer fails: the error says so, the trail records it, and the run waits to
    // deploy again.
    let err = run.drive(&mut hooks, &mut now).unwrap_err();
    assert!(matches!(err, DriveError::Deploy(Down("registry"))));
    assert_eq!(run.history().last().unwrap().action(), "deploy failed");
    assert_eq!(
        std::error::Error::source(&err).unwrap().to_string(),
        "registry is down"
    );
    assert!(matches!(run.poll(now()).unwrap(), Action::Deploy { .. }));

    hooks.registry_up = true;
    let done = run.drive(&mut hooks, &mut now).unwrap();
    assert_eq!(done.to_string(), "finished: deployed after 2 attempt(s)");
}

// ----------------------------------------------------------------------------------------------
// The course's snippets, verbatim (the text the pipeline format comes from).

#[test]
fn the_courses_one_step_approval_pipeline_validates() {
    let text = "steps:\n  - name: manual_approval\n    type: approval\n    inputs:\n      approvers: ['team_lead']\n";
    let pipeline = yaml(text).validate().unwrap();
    assert_eq!(pipeline.steps().len(), 1);
    // Without a training step, the run asks the host for the artifact to review.
    let mut run = Run::start(pipeline, Model::new("m", "1").unwrap(), "alice", t(0)).unwrap();
    assert_eq!(run.poll(t(1)).unwrap(), Action::ProvideArtifact);
    run.handle_artifact(Artifact::new("sha256:1", Metrics::default()).unwrap(), t(2))
        .unwrap();
    run.record_vote(Review::approve("carol", "sha256:1", t(3)).with_role("team_lead"))
        .unwrap();
    assert_eq!(
        run.poll(t(4)).unwrap().to_string(),
        "finished: approved after 1 attempt(s)"
    );
}

#[test]
fn the_courses_train_and_approval_with_fail_pipeline_validates() {
    let text = "steps:\n  - name: train_model\n    type: training\n  - name: approve_model\n    type: approval\n    inputs:\n      approvers: ['alice', 'team_lead']\n    on_reject: fail_pipeline\n";
    let pipeline = yaml(text).validate().unwrap();
    assert_eq!(pipeline.steps().len(), 2);
}

#[test]
fn the_courses_single_approver_string_reports_exactly_that_problem() {
    let text = "steps:\n  - name: train_model\n    type: training\n  - name: approve_model\n    type: approval\n    inputs:\n      approvers: 'bob'\n  - name: deploy\n    type: deploy\n";
    assert_eq!(
        problems(text),
        "invalid pipeline spec (1 problem):\n  - step `approve_model` at `steps[1].inputs.approvers`: \
         `approvers` must be a list of user ids or roles: write `approvers: ['bob']`"
    );
    // The seed's whole pipeline with that one mistake: one problem, not a false "deploy must
    // come after the approval step" besides.
    let seed = include_str!("../examples/pipeline.yaml")
        .replace("approvers: ['alice', 'team_lead']", "approvers: 'bob'");
    let found = problems(&seed);
    assert!(
        found.starts_with("invalid pipeline spec (1 problem)"),
        "{found}"
    );
    for broken in ["[]", "['bob', 'bob']", "['']"] {
        let seed =
            include_str!("../examples/pipeline.yaml").replace("['alice', 'team_lead']", broken);
        let found = problems(&seed);
        assert!(!found.contains("deploy step"), "{broken}: {found}");
    }
    let zero = include_str!("../examples/pipeline.yaml").replace("required: 1", "required: 0");
    assert!(!problems(&zero).contains("deploy step"));
}
