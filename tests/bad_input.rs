//! The bad-input catalogue: every public entry point fed what a host might wrongly feed it —
//! names, versions, metrics, digests, look-alike ids, times that run backwards, votes after a
//! decision, forged, truncated and unsealed records, unknown format versions, spec errors,
//! stored runs of another pipeline. Each case gives its typed error (the messages are pinned by
//! one snapshot) and checks that what was handed in comes back intact.
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
    Action, Artifact, DecisionContext, Metrics, Model, PipelineSpec, Receipt, Refused, Review, Run,
    RunError, Status, StoredModel, TrainingOutcome,
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

/// What a refused transition hands back, as the model it holds.
trait HandedBack {
    fn stored(&self) -> StoredModel;
}

impl<S: modelgate::model::Stage> HandedBack for Model<S> {
    fn stored(&self) -> StoredModel {
        StoredModel::from(self)
    }
}

impl<S: modelgate::model::Stage, T> HandedBack for (Model<S>, T) {
    fn stored(&self) -> StoredModel {
        StoredModel::from(&self.0)
    }
}

/// A refused transition: the model inside the error must be the model handed in.
fn transition<M: HandedBack, E: Error>(
    name: &'static str,
    before: StoredModel,
    result: Result<impl Sized, Refused<M, E>>,
) -> Case {
    let Err(err) = result else {
        panic!("{name}: expected an error")
    };
    let message = chain(err.error());
    let intact = err.input().stored() == before;
    Case {
        name,
        message,
        intact: Some(intact),
    }
}

/// A refused vote: the model is untouched and the review comes back.
fn vote(name: &'static str, review: Review) -> Case {
    let mut model = submitted(0.9);
    let before = StoredModel::from(&model);
    let err = model.record(review.clone()).expect_err(name);
    Case {
        name,
        message: chain(err.error()),
        intact: Some(StoredModel::from(&model) == before && err.into_input() == review),
    }
}

fn restore(name: &'static str, stored: StoredModel) -> Case {
    let err = stored.clone().restore(&key(), &policy()).expect_err(name);
    let message = chain(err.error());
    Case {
        name,
        message,
        intact: Some(err.into_input() == stored),
    }
}

/// The sealed approved model, edited (chain and seal untouched).
fn tampered(name: &'static str, edit: fn(&mut serde_json::Value)) -> Case {
    restore(name, edited(&sealed(&approved()), edit))
}

/// The approved model, edited, re-chained and re-sealed with the host's key: what only the
/// replay can refuse.
fn resealed(name: &'static str, edit: fn(&mut serde_json::Value)) -> Case {
    let stored = forged(&StoredModel::from(&approved()), edit)
        .sealed_by(&key())
        .unwrap();
    restore(name, stored)
}

fn unreadable(name: &'static str, text: &str) -> Case {
    plain(
        name,
        serde_json::from_str::<StoredModel>(text).expect_err(name),
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

/// A run paused for approval, and its stored form as JSON.
fn paused_run() -> (Run, serde_json::Value) {
    let mut run = Run::start(seed_pipeline(), untrained(), "mlbot", t(0)).unwrap();
    run.handle_artifact(Artifact::new(DIGEST, Metrics::default()).unwrap(), t(1))
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
    let json = serde_json::to_value(StoredModel::from(&run).sealed_by(&key()).unwrap()).unwrap();
    (run, json)
}

/// A stored run, edited, restored: what was handed in (record and pipeline) comes back.
fn stored_run(
    name: &'static str,
    edit: fn(&mut serde_json::Value),
    pipeline: modelgate::Pipeline,
) -> Case {
    let (_, mut json) = paused_run();
    edit(&mut json);
    let stored: StoredModel = serde_json::from_value(json).unwrap();
    let err = Run::restore(stored.clone(), pipeline.clone(), &key())
        .map(|_| ())
        .expect_err(name);
    let message = chain(err.error());
    Case {
        name,
        message,
        intact: Some(err.into_input() == (stored, pipeline)),
    }
}

/// A refused run input: the run must answer the next poll as before, its trail unchanged.
fn run_input(name: &'static str, input: fn(&mut Run) -> Result<(), RunError>) -> Case {
    let (mut run, _) = paused_run();
    let before = (run.poll(t(4)).unwrap(), run.head());
    let err = input(&mut run).expect_err(name);
    let after = (run.poll(t(4)).unwrap(), run.head());
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
    fn train(&mut self, _: u32, _: &[modelgate::Finding]) -> Result<Artifact, RegistryDown> {
        if *self == Fails::Train {
            Err(RegistryDown)
        } else {
            Ok(Artifact::new(DIGEST, Metrics::default()).unwrap())
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
    let mut run = Run::start(seed_pipeline(), untrained(), "mlbot", t(0)).unwrap();
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
        // Identifiers that display like another.
        vote("reviewer with a trailing space", Review::approve("bob ", DIGEST, t(11))),
        vote("reviewer with a zero-width space", Review::approve("bob\u{200b}", DIGEST, t(11))),
        vote("reviewer with a byte-order mark", Review::approve("\u{feff}bob", DIGEST, t(11))),
        vote("reviewer in Cyrillic and Latin", Review::approve("b\u{043e}b", DIGEST, t(11))),
        vote("reviewer in full-width forms", Review::approve("\u{ff42}\u{ff4f}\u{ff42}", DIGEST, t(11))),
        vote(
            "role with a bidi override",
            Review::approve("carol", DIGEST, t(11)).with_role("team\u{202e}lead"),
        ),
        vote(
            "role with a line separator",
            Review::approve("carol", DIGEST, t(11)).with_role("team\u{2028}lead"),
        ),
        plain("name with a no-break space", Model::new("fraud\u{a0}detector", "1").unwrap_err()),
        // Transitions.
        transition(
            "empty submitter",
            StoredModel::from(&untrained()),
            untrained().submit(outcome(DIGEST, 0.9), "", t(1)),
        ),
        transition(
            "submit back in time",
            StoredModel::from(&retraining()),
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
        transition(
            "decide back in time",
            StoredModel::from(&submitted(0.9)),
            submitted(0.9).decide(&policy(), &DecisionContext::at(t(9))),
        ),
        {
            // The failure is recorded: the model comes back approved, one event longer.
            let err = approved()
                .deploy(&mut FakeDeployer::failing(), "deployer", t(40))
                .unwrap_err();
            let message = chain(&err);
            let back = err.into_input();
            Case {
                name: "deployer failed",
                message,
                intact: Some(
                    back.stage() == approved().stage()
                        && back.history()[..4] == *approved().history(),
                ),
            }
        },
        transition(
            "deploy back in time",
            StoredModel::from(&approved()),
            approved().deploy(&mut FakeDeployer::working(), "deployer", t(1)),
        ),
        transition(
            "deploy by nobody",
            StoredModel::from(&approved()),
            approved().deploy(&mut FakeDeployer::working(), "", t(40)),
        ),
        transition(
            "mark deployed back in time",
            StoredModel::from(&approved()),
            approved().mark_deployed(Receipt::new("r"), "deployer", t(1)),
        ),
        transition(
            "retrain back in time",
            StoredModel::from(&rejected()),
            rejected().retrain("alice", t(1)),
        ),
        transition(
            "retrain by a look-alike id",
            StoredModel::from(&rejected()),
            rejected().retrain("alice\u{200d}", t(40)),
        ),
        {
            let (pipeline, model) = (seed_pipeline(), untrained());
            let err = Run::start(pipeline.clone(), untrained(), " mlbot", t(0))
                .map(|_| ())
                .unwrap_err();
            let message = chain(err.error());
            Case {
                name: "run started by a look-alike submitter",
                message,
                intact: Some(err.into_input() == (pipeline, model)),
            }
        },
        // Votes after a decision: impossible on typed models (no `record` on `Model<Approved>`);
        // through a finished run, refused.
        {
            let mut run = Run::start(seed_pipeline(), untrained(), "mlbot", t(0)).unwrap();
            run.handle_artifact(Artifact::new(DIGEST, Metrics::default()).unwrap(), t(1))
                .unwrap();
            run.handle_evaluated("evaluate", Metrics::new([("accuracy", 0.5)]).unwrap(), t(2))
                .unwrap();
            let before = run.poll(t(3)).unwrap();
            let review = Review::approve("alice", DIGEST, t(4));
            let err = run.record_vote(review.clone()).unwrap_err();
            Case {
                name: "vote after the decision",
                message: chain(err.error()),
                intact: Some(run.poll(t(5)).unwrap() == before && err.into_input() == review),
            }
        },
        // Stored JSON.
        unreadable(
            "truncated JSON",
            &serde_json::to_string(&sealed(&approved())).unwrap()[..200],
        ),
        unreadable("not JSON", "modelgate"),
        unreadable(
            "format 1 record",
            r#"{"format_version":1,"name":"m","version":"1","stage":{"untrained":{}},"history":[]}"#,
        ),
        unreadable(
            "unknown field",
            r#"{"format_version":2,"name":"m","version":"1","events":[],"approved":true}"#,
        ),
        unreadable(
            "duplicate key",
            r#"{"format_version":2,"name":"m","name":"n","version":"1","events":[]}"#,
        ),
        unreadable(
            "seal that is not hex",
            r#"{"format_version":2,"name":"m","version":"1","events":[],"seal":{"key_id":"k","value":"zz"}}"#,
        ),
        tampered("unknown format version", |v| v["format_version"] = json!(9)),
        tampered("stored name", |v| v["name"] = json!("")),
        tampered("stored name that is a look-alike", |v| {
            v["name"] = json!("fraud-detector\u{200b}")
        }),
        tampered("sequence gap", |v| v["events"][2]["seq"] = json!(9)),
        tampered("events out of order", |v| {
            v["events"].as_array_mut().unwrap().swap(1, 3)
        }),
        tampered("an edited event", |v| {
            v["events"][1]["event"]["voted"]["review"]["comment"] = json!("forged")
        }),
        tampered("a truncated trail", |v| {
            v["events"].as_array_mut().unwrap().truncate(3)
        }),
        tampered("no seal", |v| {
            v.as_object_mut().unwrap().remove("seal");
        }),
        tampered("a seal by an untrusted key", |v| v["seal"]["key_id"] = json!("old-key")),
        resealed("attempt", |v| {
            v["events"][0]["event"]["submitted"]["attempt"] = json!(3)
        }),
        resealed("pending decision", |v| {
            v["events"][3]["event"]["decided"]["verdict"]["kind"] = json!("pending")
        }),
        resealed("vote time", |v| v["events"][1]["at"] = json!(20500)),
        resealed("event back in time", |v| v["events"][3]["at"] = json!(5000)),
        resealed("submitter in the trail", |v| {
            v["events"][0]["event"]["submitted"]["submitter"] = json!("")
        }),
        resealed("vote digest in the trail", |v| {
            v["events"][1]["event"]["voted"]["review"]["digest"] = json!("sha256:b")
        }),
        resealed("a vote after the decision in the trail", |v| {
            let mut vote = v["events"][2].clone();
            vote["seq"] = json!(5);
            vote["at"] = json!(40000);
            vote["event"]["voted"]["review"]["at"] = json!(40000);
            v["events"].as_array_mut().unwrap().push(vote);
        }),
        resealed("a decision's policy name", |v| {
            v["events"][3]["event"]["decided"]["policy"] = json!("all()")
        }),
        resealed("a run event outside a run's order", |v| {
            let mut started = v["events"][0].clone();
            started["seq"] = json!(5);
            started["at"] = json!(40000);
            started["event"] = json!({"run_started": {"pipeline": "00".repeat(32), "submitter": "alice"}});
            v["events"].as_array_mut().unwrap().push(started);
        }),
        {
            let stored = sealed(
                &approved()
                    .mark_deployed(Receipt::new("r"), "deployer", t(40))
                    .unwrap(),
            );
            let err = stored
                .clone()
                .restore(&key(), &modelgate::Quorum::new(3))
                .unwrap_err();
            let message = chain(err.error());
            Case {
                name: "approval not upheld",
                message,
                intact: Some(err.into_input() == stored),
            }
        },
        // Rules read from a config.
        plain(
            "non-finite threshold in a metric gate",
            serde_saphyr::from_str_with_options::<modelgate::MetricGate>(
                "{metric: accuracy, op: at_least, threshold: .nan}",
                nan_yaml.clone(),
            )
            .unwrap_err(),
        ),
        plain(
            "non-finite range of a metric gate",
            serde_saphyr::from_str_with_options::<modelgate::MetricGate>(
                "{metric: latency, op: at_most, threshold: 50, range: [0, .inf]}",
                nan_yaml.clone(),
            )
            .unwrap_err(),
        ),
        plain(
            "non-finite tolerance of a no-regression rule",
            serde_saphyr::from_str_with_options::<modelgate::NoRegression>(
                "{metric: accuracy, direction: higher_is_better, tolerance: {absolute: .nan}}",
                nan_yaml,
            )
            .unwrap_err(),
        ),
        plain(
            "negative tolerance of a no-regression rule",
            serde_json::from_str::<modelgate::NoRegression>(
                r#"{"metric": "accuracy", "direction": "higher_is_better", "tolerance": {"relative": -0.1}}"#,
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
        plain(
            "the seed's pipeline with approvers: 'bob'",
            serde_saphyr::from_str::<PipelineSpec>(
                &include_str!("../examples/pipeline.yaml")
                    .replace("['alice', 'team_lead']", "'bob'"),
            )
            .unwrap()
            .validate()
            .unwrap_err(),
        ),
        spec("empty spec", "{}"),
        spec("spec that is a list", "[]"),
        spec(
            "max_attempts too large",
            r#"{"steps":[{"name":"t","type":"training"},{"name":"a","type":"approval","on_reject":"retrain","inputs":{"approvers":["bob"],"max_attempts":4294967296}}]}"#,
        ),
        spec(
            "retrain without a training step",
            r#"{"steps":[{"name":"a","type":"approval","on_reject":"retrain","inputs":{"approvers":["bob"]}}]}"#,
        ),
        spec(
            "look-alike approvers",
            r#"{"steps":[{"name":"a","type":"approval","inputs":{"approvers":["bob","bob ","b\u043eb"]}}]}"#,
        ),
        spec(
            "veto that is not a boolean",
            r#"{"steps":[{"name":"a","type":"approval","inputs":{"approvers":["bob"],"veto":"yes"}}]}"#,
        ),
        plain(
            "duplicate key in a JSON spec",
            serde_json::from_str::<PipelineSpec>(r#"{"steps":[],"steps":[]}"#).unwrap_err(),
        ),
        // Stored runs.
        stored_run("stored run for another pipeline", |_| {}, {
            let text =
                include_str!("../examples/pipeline.yaml").replace("required: 1", "required: 2");
            serde_saphyr::from_str::<PipelineSpec>(&text)
                .unwrap()
                .validate()
                .unwrap()
        }),
        {
            let stored = sealed(&approved());
            let err = Run::restore(stored.clone(), seed_pipeline(), &key())
                .map(|_| ())
                .unwrap_err();
            let message = chain(err.error());
            Case {
                name: "stored model that is not a run",
                message,
                intact: Some(err.into_input() == (stored, seed_pipeline())),
            }
        },
        stored_run(
            "stored run format version",
            |v| v["format_version"] = json!(7),
            seed_pipeline(),
        ),
        stored_run(
            "stored run with a forged trail",
            |v| v["events"][0]["seq"] = json!(3),
            seed_pipeline(),
        ),
        // Hooks that fail while driving a run: the run waits at the same step.
        drive("trainer failed", Fails::Train),
        drive("evaluator failed", Fails::Evaluate),
        drive("deployer failed while driving", Fails::Deploy),
        // Run inputs out of turn.
        run_input("evaluation out of turn", |run| {
            run.handle_evaluated("evaluate", Metrics::default(), t(5))
                .map_err(Refused::into_error)
        }),
        run_input("artifact out of turn", |run| {
            run.handle_artifact(Artifact::new("sha256:x", Metrics::default()).unwrap(), t(5))
                .map_err(Refused::into_error)
        }),
        run_input("deployment before approval", |run| {
            run.handle_deployed(Receipt::new("r"), t(5))
                .map_err(Refused::into_error)
        }),
        run_input("failed deployment before approval", |run| {
            run.handle_deploy_failed("boom", t(5))
                .map_err(Refused::into_error)
        }),
        run_input("vote for another artifact in a run", |run| {
            run.record_vote(Review::approve("alice", "sha256:zzz", t(5)))
                .map_err(Refused::into_error)
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
fn a_refused_record_is_usable_once_fixed() {
    // A model refused on restore is handed back whole: nothing of it was consumed.
    let stored = edited(&sealed(&approved()), |v| v["format_version"] = json!(3));
    let err = stored.restore(&key(), &policy()).unwrap_err();
    let mut fixed = serde_json::to_value(err.into_input()).unwrap();
    fixed["format_version"] = json!(2);
    let fixed: StoredModel = serde_json::from_value(fixed).unwrap();
    assert_eq!(
        fixed.restore(&key(), &policy()).unwrap().status(),
        Status::Approved
    );
}

#[test]
fn refused_calls_hand_back_what_they_took() {
    let err = untrained()
        .submit(outcome(DIGEST, 0.9), "", t(1))
        .unwrap_err();
    let (model, outcome_back) = err.into_input();
    assert_eq!((model, outcome_back), (untrained(), outcome(DIGEST, 0.9)));
    let err = approved()
        .mark_deployed(modelgate::Receipt::new("argo/42"), "", t(40))
        .unwrap_err();
    assert_eq!(err.into_input().1, modelgate::Receipt::new("argo/42"));
    let mut m = approved();
    let err = m
        .mark_deploy_failed("registry down", "deployer", t(1))
        .unwrap_err();
    assert_eq!(err.into_input(), "registry down");
}
