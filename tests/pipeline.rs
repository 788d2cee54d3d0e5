//! Pipelines: strict validation with every problem reported, the sans-I/O run on the seed's
//! three paths, checkpoints across "processes", and hooks.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fmt;

use modelgate::{
    Action, Approved, Checkpoint, CheckpointError, Deployer, DriveError, Evaluator, Finished,
    Metrics, Model, Pipeline, PipelineSpec, Receipt, Restored, Review, Run, RunError, Status,
    Timestamp, Trained, Trainer,
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
        let run = Run::new(
            pipeline,
            Model::new("fraud-detector", "7").unwrap(),
            "mlbot",
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
            .handle_trained(Trained::new(digest, Metrics::default()).unwrap(), now)
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
            Action::Finished(Finished::Deployed { .. })
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
    let Restored::Deployed(model) = s.run.model() else {
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
    let Action::Finished(Finished::Failed { attempts, findings }) = s.poll() else {
        panic!("an approver rejects")
    };
    assert_eq!(attempts, 1);
    assert_eq!(
        findings[0].to_string(),
        "vetoed: alice rejects: label leakage"
    );
    insta::assert_snapshot!(s.log.join("\n"));
}

#[test]
fn failing_a_test_gate_fails_without_waiting_for_votes() {
    let mut s = Script::new(seed("fail_pipeline"));
    s.expect_train("sha256:b1");
    s.expect_evaluate(0.5);
    let Action::Finished(Finished::Failed { findings, .. }) = s.poll() else {
        panic!("must fail")
    };
    assert_eq!(
        findings[0].to_string(),
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
        .handle_trained(Trained::new("sha256:a2", Metrics::default()).unwrap(), now)
        .unwrap();
    s.expect_evaluate(0.6);
    let Action::Finished(Finished::Failed { attempts, .. }) = s.poll() else {
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
        "the run is waiting for training, not for a vote"
    );
    assert!(s.run.handle_deployed(Receipt::new("x"), t(1)).is_err());
    s.expect_train("sha256:a1");
    let err = s
        .run
        .handle_evaluated("deploy", Metrics::default(), t(500))
        .unwrap_err();
    assert_eq!(
        err,
        RunError::WrongStep {
            expected: "evaluate".into(),
            found: "deploy".into()
        }
    );
    let err = s
        .run
        .handle_trained(
            Trained::new("sha256:x", Metrics::default()).unwrap(),
            t(500),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the run is waiting for an evaluation, not for a trained model"
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
// Checkpoints.

#[test]
fn a_paused_run_survives_a_restart() {
    let mut s = Script::new(seed("retrain"));
    s.expect_train("sha256:a1");
    s.expect_evaluate(0.86);
    assert!(matches!(s.poll(), Action::AwaitApproval { .. }));
    let json = serde_json::to_string_pretty(&s.run.checkpoint()).unwrap();
    insta::assert_snapshot!("checkpoint_awaiting_approval", json);
    drop(s);

    // A new process: the host reads its own pipeline file and the checkpoint.
    let checkpoint: Checkpoint = serde_json::from_str(&json).unwrap();
    let mut run = Run::restore(checkpoint, seed("retrain")).unwrap();
    run.record_vote(Review::approve("alice", "sha256:a1", t(86_400)))
        .unwrap();
    assert!(matches!(
        run.poll(t(86_401)).unwrap(),
        Action::Deploy { .. }
    ));
    run.handle_deployed(Receipt::new("prod"), t(86_402))
        .unwrap();
    assert_eq!(run.model().status(), Status::Deployed);
}

#[test]
fn checkpoints_are_checked_on_restore() {
    let mut s = Script::new(seed("retrain"));
    s.expect_train("sha256:a1");
    s.expect_evaluate(0.86);
    s.poll();
    let saved = serde_json::to_value(s.run.checkpoint()).unwrap();
    let restore = |edit: fn(&mut serde_json::Value), pipeline: Pipeline| {
        let mut v = saved.clone();
        edit(&mut v);
        Run::restore(serde_json::from_value(v).unwrap(), pipeline)
            .map(|_| ())
            .unwrap_err()
    };
    let other =
        yaml(&include_str!("../examples/pipeline.yaml").replace("required: 1", "required: 2"))
            .validate()
            .unwrap();
    let errs = [
        restore(|_| {}, other),
        restore(|v| v["format_version"] = 2.into(), seed("retrain")),
        restore(|v| v["phase"] = "deploy".into(), seed("retrain")),
        restore(|v| v["submitter"] = "".into(), seed("retrain")),
        restore(
            |v| v["model"]["history"][0]["seq"] = 5.into(),
            seed("retrain"),
        ),
    ];
    assert!(matches!(errs[0], CheckpointError::Pipeline { .. }));
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
    fn train(&mut self, attempt: u32, _feedback: &[modelgate::Finding]) -> Result<Trained, Down> {
        self.trained += 1;
        Ok(Trained::new(format!("sha256:attempt-{attempt}"), Metrics::default()).unwrap())
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
    let mut run = Run::new(seed("retrain"), Model::new("m", "1").unwrap(), "mlbot").unwrap();
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

    // The deployer fails: the error says so, and the run waits to deploy again.
    let err = run.drive(&mut hooks, &mut now).unwrap_err();
    assert!(matches!(err, DriveError::Deploy(Down("registry"))));
    assert_eq!(
        std::error::Error::source(&err).unwrap().to_string(),
        "registry is down"
    );
    assert!(matches!(run.poll(now()).unwrap(), Action::Deploy { .. }));

    hooks.registry_up = true;
    let done = run.drive(&mut hooks, &mut now).unwrap();
    assert_eq!(
        done.to_string(),
        "finished: deployed, receipt `prod/sha256:attempt-2`"
    );
}
