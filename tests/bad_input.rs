//! The bad-input catalogue: every public entry point fed what a host might wrongly feed it —
//! names, versions, metrics, digests, reviewer ids, times that run backwards, votes after a
//! decision, forged and truncated JSON, unknown format versions, spec errors, checkpoint
//! mismatches. Each case gives its typed error (the messages are pinned by one snapshot) and
//! checks that the model, record or run is handed back intact.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::error::Error;

use common::*;
use modelgate::{
    Action, AnyModel, Checkpoint, DecisionContext, Metrics, Model, PipelineSpec, Receipt, Restored,
    Review, Run, RunError, Status, Trained, TrainingOutcome, TransitionError,
};
use serde_json::json;

/// What one bad input gave: the error's message with its sources, and whether what it was
/// applied to came back intact (`None` where nothing was handed in).
struct Case {
    name: &'static str,
    message: String,
    intact: Option<bool>,
}

fn chain(err: &dyn Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(&format!(" (caused by: {s})"));
        source = s.source();
    }
    out
}

fn plain(name: &'static str, err: impl Error) -> Case {
    Case {
        name,
        message: chain(&err),
        intact: None,
    }
}

/// A refused transition: the model inside the error must be the model handed in.
fn transition<M, E: Error>(
    name: &'static str,
    before: AnyModel,
    result: Result<impl Sized, TransitionError<M, E>>,
) -> Case
where
    for<'a> &'a M: Into<AnyModel>,
    M: std::fmt::Debug,
{
    let Err(err) = result else {
        panic!("{name}: expected an error")
    };
    let message = chain(err.error());
    let intact = (err.model()).into() == before;
    Case {
        name,
        message,
        intact: Some(intact),
    }
}

fn vote(name: &'static str, review: Review) -> Case {
    let mut model = submitted(0.9);
    let before = AnyModel::from(&model);
    let err = model.record(review).expect_err(name);
    Case {
        name,
        message: chain(&err),
        intact: Some(AnyModel::from(&model) == before),
    }
}

fn restore(name: &'static str, stored: AnyModel) -> Case {
    let err = stored.clone().restore(&policy()).expect_err(name);
    let message = chain(err.error());
    Case {
        name,
        message,
        intact: Some(err.into_model() == stored),
    }
}

fn tampered(name: &'static str, edit: fn(&mut serde_json::Value)) -> Case {
    restore(name, tamper(approved(), edit))
}

fn unreadable(name: &'static str, text: &str) -> Case {
    plain(
        name,
        serde_json::from_str::<AnyModel>(text).expect_err(name),
    )
}

fn spec(name: &'static str, text: &str) -> Case {
    let spec: PipelineSpec = serde_json::from_str(text).unwrap();
    plain(name, spec.validate().expect_err(name))
}

fn seed_pipeline() -> modelgate::Pipeline {
    let text = include_str!("../examples/pipeline.yaml");
    serde_saphyr::from_str::<PipelineSpec>(text)
        .unwrap()
        .validate()
        .unwrap()
}

/// A run paused for approval, and its checkpoint as JSON.
fn paused_run() -> (Run, serde_json::Value) {
    let mut run = Run::new(seed_pipeline(), untrained(), "mlbot").unwrap();
    run.handle_trained(Trained::new(DIGEST, Metrics::default()).unwrap(), t(1))
        .unwrap();
    run.handle_evaluated(
        "evaluate",
        Metrics::new([("accuracy", 0.85)]).unwrap(),
        t(2),
    )
    .unwrap();
    assert!(matches!(
        run.poll(t(3)).unwrap(),
        Action::AwaitApproval { .. }
    ));
    let json = serde_json::to_value(run.checkpoint()).unwrap();
    (run, json)
}

fn checkpoint(
    name: &'static str,
    edit: fn(&mut serde_json::Value),
    pipeline: modelgate::Pipeline,
) -> Case {
    let (_, mut json) = paused_run();
    edit(&mut json);
    let checkpoint: Checkpoint = serde_json::from_value(json).unwrap();
    plain(
        name,
        Run::restore(checkpoint, pipeline)
            .map(|_| ())
            .expect_err(name),
    )
}

/// A refused run input: the run must answer the next poll as before.
fn run_input(name: &'static str, input: fn(&mut Run) -> Result<(), RunError>) -> Case {
    let (mut run, _) = paused_run();
    let before = run.poll(t(4)).unwrap();
    let err = input(&mut run).expect_err(name);
    let after = run.poll(t(4)).unwrap();
    Case {
        name,
        message: chain(&err),
        intact: Some(before == after),
    }
}

/// Which hook fails.
#[derive(Clone, Copy, PartialEq)]
enum Fails {
    Train,
    Evaluate,
    Deploy,
}

impl modelgate::Trainer for Fails {
    type Error = RegistryDown;
    fn train(&mut self, _: u32, _: &[modelgate::Finding]) -> Result<Trained, RegistryDown> {
        if *self == Fails::Train {
            Err(RegistryDown)
        } else {
            Ok(Trained::new(DIGEST, Metrics::default()).unwrap())
        }
    }
}

impl modelgate::Evaluator for Fails {
    type Error = RegistryDown;
    fn evaluate(&mut self, _: &str, _: &modelgate::Digest) -> Result<Metrics, RegistryDown> {
        if *self == Fails::Evaluate {
            Err(RegistryDown)
        } else {
            Ok(Metrics::new([("accuracy", 0.95)]).unwrap())
        }
    }
}

impl modelgate::Deployer for Fails {
    type Error = RegistryDown;
    fn deploy(&mut self, _: &Model<modelgate::Approved>) -> Result<Receipt, RegistryDown> {
        Err(RegistryDown)
    }
}

/// Drives a fresh run of the seed pipeline with `fails`; the run must wait where it failed.
fn drive(name: &'static str, mut fails: Fails) -> Case {
    let mut run = Run::new(seed_pipeline(), untrained(), "mlbot").unwrap();
    let mut clock = 0;
    let err = run.drive(&mut fails, || {
        clock += 1;
        t(clock)
    });
    let Err(err) = err else {
        panic!("{name}: expected an error")
    };
    let waiting = run.poll(t(100)).unwrap();
    let intact = match fails {
        Fails::Train => matches!(waiting, Action::Train { .. }),
        Fails::Evaluate => matches!(waiting, Action::Evaluate { .. }),
        Fails::Deploy => matches!(waiting, Action::Deploy { .. }),
    };
    Case {
        name,
        message: chain(&err),
        intact: Some(intact),
    }
}

fn cases() -> Vec<Case> {
    let nan_yaml = serde_saphyr::options! {
        non_finite_float_policy: serde_saphyr::options::NonFiniteFloatPolicy::PassThrough,
    };
    vec![
        // Names and versions.
        plain("empty name", Model::new("", "1").unwrap_err()),
        plain("empty version", Model::new("m", "").unwrap_err()),
        plain(
            "control character in version",
            Model::new("m", "1\n2").unwrap_err(),
        ),
        plain(
            "name too long",
            Model::new("n".repeat(300), "1").unwrap_err(),
        ),
        // Metrics and digests.
        plain(
            "NaN metric",
            Metrics::new([("accuracy", f64::NAN)]).unwrap_err(),
        ),
        plain(
            "infinite metric",
            Metrics::new([("loss", f64::INFINITY)]).unwrap_err(),
        ),
        plain(
            "negative infinite metric",
            Metrics::new([("loss", f64::NEG_INFINITY)]).unwrap_err(),
        ),
        plain("empty metric name", Metrics::new([("", 1.0)]).unwrap_err()),
        plain(
            "control character in metric name",
            Metrics::new([("acc\u{0}", 1.0)]).unwrap_err(),
        ),
        plain(
            "NaN metric read from YAML",
            serde_saphyr::from_str_with_options::<Metrics>("accuracy: .nan", nan_yaml.clone())
                .unwrap_err(),
        ),
        plain(
            "empty digest",
            TrainingOutcome::new("", Metrics::default()).unwrap_err(),
        ),
        plain(
            "digest with a newline",
            TrainingOutcome::new("sha256:\n", Metrics::default()).unwrap_err(),
        ),
        plain(
            "empty digest read from JSON",
            serde_json::from_str::<TrainingOutcome>(r#"{"digest":"","metrics":{}}"#).unwrap_err(),
        ),
        // Transitions.
        transition(
            "empty submitter",
            AnyModel::from(&untrained()),
            untrained().submit(outcome(DIGEST, 0.9), "", t(1)),
        ),
        transition(
            "submit back in time",
            AnyModel::from(&retraining()),
            retraining().submit(outcome(DIGEST, 0.9), "alice", t(1)),
        ),
        vote("empty reviewer", Review::approve("", DIGEST, t(11))),
        vote(
            "reviewer id too long",
            Review::approve("r".repeat(257), DIGEST, t(11)),
        ),
        vote(
            "control character in a role",
            Review::approve("bob", DIGEST, t(11)).with_role("lead\u{7}"),
        ),
        vote(
            "vote for another digest",
            Review::approve("bob", "sha256:bbbb", t(11)),
        ),
        vote("vote back in time", Review::approve("bob", DIGEST, t(9))),
        transition(
            "decide back in time",
            AnyModel::from(&submitted(0.9)),
            submitted(0.9).decide(&policy(), &DecisionContext::at(t(9))),
        ),
        transition(
            "deployer failed",
            AnyModel::from(&approved()),
            approved().deploy(&mut FakeDeployer::failing(), t(40)),
        ),
        transition(
            "deploy back in time",
            AnyModel::from(&approved()),
            approved().deploy(&mut FakeDeployer::working(), t(1)),
        ),
        transition(
            "mark deployed back in time",
            AnyModel::from(&approved()),
            approved().mark_deployed(Receipt::new("r"), t(1)),
        ),
        transition(
            "retrain back in time",
            AnyModel::from(&rejected()),
            rejected().retrain(t(1)),
        ),
        // Votes after a decision: impossible on typed models (no `record` on `Model<Approved>`);
        // through a finished run, refused.
        {
            let mut run = Run::new(seed_pipeline(), untrained(), "mlbot").unwrap();
            run.handle_trained(Trained::new(DIGEST, Metrics::default()).unwrap(), t(1))
                .unwrap();
            run.handle_evaluated("evaluate", Metrics::new([("accuracy", 0.5)]).unwrap(), t(2))
                .unwrap();
            let before = run.poll(t(3)).unwrap();
            let err = run
                .record_vote(Review::approve("alice", DIGEST, t(4)))
                .unwrap_err();
            Case {
                name: "vote after the decision",
                message: chain(&err),
                intact: Some(run.poll(t(5)).unwrap() == before),
            }
        },
        // Stored JSON.
        unreadable(
            "truncated JSON",
            &serde_json::to_string(&AnyModel::from(&approved())).unwrap()[..200],
        ),
        unreadable("not JSON", "modelgate"),
        unreadable(
            "unknown field",
            r#"{"format_version":1,"name":"m","version":"1","stage":{"untrained":{}},"history":[],"approved":true}"#,
        ),
        unreadable(
            "unknown stage",
            r#"{"format_version":1,"name":"m","version":"1","stage":{"shipped":{}},"history":[]}"#,
        ),
        tampered("unknown format version", |v| v["format_version"] = json!(9)),
        tampered("stored name", |v| v["name"] = json!("")),
        tampered("sequence gap", |v| v["history"][2]["seq"] = json!(9)),
        tampered("events out of order", |v| {
            v["history"].as_array_mut().unwrap().swap(1, 3)
        }),
        tampered("attempt", |v| {
            v["history"][0]["event"]["submitted"]["attempt"] = json!(3)
        }),
        tampered("pending decision", |v| {
            v["history"][3]["event"]["decided"]["verdict"]["kind"] = json!("pending")
        }),
        tampered("vote time", |v| v["history"][1]["at"] = json!(20500)),
        tampered("event back in time", |v| {
            v["history"][3]["at"] = json!(5000)
        }),
        tampered("submitter in the trail", |v| {
            v["history"][0]["event"]["submitted"]["submitter"] = json!("")
        }),
        tampered("vote digest in the trail", |v| {
            v["history"][1]["event"]["voted"]["review"]["digest"] = json!("sha256:b")
        }),
        tampered("status the trail does not reach", |v| {
            v["history"].as_array_mut().unwrap().truncate(3)
        }),
        tampered("a vote after the decision in the trail", |v| {
            let mut vote = v["history"][2].clone();
            vote["seq"] = json!(5);
            vote["at"] = json!(40000);
            vote["event"]["voted"]["review"]["at"] = json!(40000);
            v["history"].as_array_mut().unwrap().push(vote);
        }),
        tampered("stage data against the trail", |v| {
            v["stage"]["approved"]["submission"]["submitter"] = json!("mallory")
        }),
        {
            let stored =
                AnyModel::from(approved().mark_deployed(Receipt::new("r"), t(40)).unwrap());
            let err = stored
                .clone()
                .restore(&modelgate::Quorum::new(3))
                .unwrap_err();
            let message = chain(err.error());
            Case {
                name: "approval not upheld",
                message,
                intact: Some(err.into_model() == stored),
            }
        },
        // Rules read from a config.
        plain(
            "non-finite threshold in a metric gate",
            serde_saphyr::from_str_with_options::<modelgate::MetricGate>(
                "{metric: accuracy, op: at_least, threshold: .nan}",
                nan_yaml,
            )
            .unwrap_err(),
        ),
        // Specs.
        spec(
            "approvers as a string",
            r#"{"steps":[{"name":"t","type":"training"},{"name":"a","type":"approval","inputs":{"approvers":"bob"}}]}"#,
        ),
        spec(
            "unknown step type",
            r#"{"steps":[{"name":"t","type":"training"},{"name":"x","type":"canary"}]}"#,
        ),
        spec("empty spec", "{}"),
        spec("spec that is a list", "[]"),
        // Checkpoints.
        checkpoint("checkpoint for another pipeline", |_| {}, {
            let text =
                include_str!("../examples/pipeline.yaml").replace("required: 1", "required: 2");
            serde_saphyr::from_str::<PipelineSpec>(&text)
                .unwrap()
                .validate()
                .unwrap()
        }),
        checkpoint(
            "checkpoint phase against its model",
            |v| v["phase"] = json!("deploy"),
            seed_pipeline(),
        ),
        checkpoint(
            "checkpoint format version",
            |v| v["format_version"] = json!(7),
            seed_pipeline(),
        ),
        checkpoint(
            "checkpoint with a forged trail",
            |v| v["model"]["history"][0]["seq"] = json!(3),
            seed_pipeline(),
        ),
        plain(
            "truncated checkpoint",
            serde_json::from_str::<Checkpoint>(r#"{"format_version":1,"pipeline":"#).unwrap_err(),
        ),
        // Hooks that fail while driving a run: the run waits at the same step.
        drive("trainer failed", Fails::Train),
        drive("evaluator failed", Fails::Evaluate),
        drive("deployer failed while driving", Fails::Deploy),
        // Run inputs out of turn.
        run_input("evaluation out of turn", |run| {
            run.handle_evaluated("evaluate", Metrics::default(), t(5))
        }),
        run_input("training out of turn", |run| {
            run.handle_trained(Trained::new("sha256:x", Metrics::default()).unwrap(), t(5))
        }),
        run_input("deployment before approval", |run| {
            run.handle_deployed(Receipt::new("r"), t(5))
        }),
        run_input("vote for another artifact in a run", |run| {
            run.record_vote(Review::approve("alice", "sha256:zzz", t(5)))
        }),
    ]
}

#[test]
fn every_bad_input_gives_its_typed_error_and_loses_nothing() {
    let cases = cases();
    assert!(cases.len() >= 40, "the catalogue has {} cases", cases.len());
    let mut out = String::new();
    for case in &cases {
        assert_ne!(
            case.intact,
            Some(false),
            "{}: what was handed in did not come back intact",
            case.name
        );
        assert!(!case.message.is_empty(), "{}", case.name);
        out.push_str(&format!("{}:\n  {}\n", case.name, case.message));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn the_catalogue_covers_every_stage_of_storage() {
    // A model refused on restore is still usable once fixed: nothing of it was consumed.
    let stored = tamper(approved(), |v| v["format_version"] = json!(2));
    let err = stored.restore(&policy()).unwrap_err();
    let mut fixed = serde_json::to_value(err.into_model()).unwrap();
    fixed["format_version"] = json!(1);
    let fixed: AnyModel = serde_json::from_value(fixed).unwrap();
    assert_eq!(fixed.restore(&policy()).unwrap().status(), Status::Approved);
    let _ = Restored::Untrained(untrained()).status();
}
