//! A model-based test of runs: proptest drives a [`Run`] of one of four pipelines (the seed's with
//! `retrain` and `max_attempts: 2`, with `fail_pipeline`, without a training step, without a
//! deploy step) with random inputs — artifacts, evaluations of the right and the wrong step,
//! votes, deployments that succeed and fail, polls, times that run backwards — beside a naive
//! model of where the run stands. After every step: the run accepts exactly what the naive model
//! expects; attempts never pass `max_attempts`; a finished run takes nothing more; and the run,
//! sealed, stored and restored against its pipeline, is the same run (same trail, same next
//! action). Edited and re-sealed with the host's key, a stored run restores only into a trail
//! the pipeline could have recorded.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{key, rechain};
use modelgate::event::RunOutcome;
use modelgate::{
    Action, Artifact, EventKind, Metrics, Model, Pipeline, PipelineSpec, Policy, Receipt, Review,
    ReviewContext, Run, StoredModel, Timestamp, TrainingOutcome, VerdictKind,
};
use proptest::prelude::*;

const PEOPLE: [&str; 4] = ["alice", "bob", "carol", "mlbot"];

fn pipeline(k: u8) -> Pipeline {
    let seed = include_str!("../examples/pipeline.yaml");
    let text = match k % 4 {
        0 => seed.replace("required: 1", "required: 1\n      max_attempts: 2"),
        1 => seed.replace("on_reject: retrain", "on_reject: fail_pipeline"),
        2 => String::from(
            "steps:\n  - {name: check, type: test, inputs: {gates: [{metric: accuracy, at_least: 0.8}]}}\n  - {name: approve, type: approval, inputs: {approvers: [bob, team_lead], required: 2}}\n  - {name: ship, type: deploy}\n",
        ),
        _ => seed.replace("  - name: deploy\n    type: deploy\n", ""),
    };
    serde_saphyr::from_str::<PipelineSpec>(&text)
        .unwrap()
        .validate()
        .unwrap()
}

#[derive(Clone, Debug)]
enum Op {
    Poll,
    Artifact {
        accuracy: f64,
        digest: u8,
    },
    Evaluate {
        right_step: bool,
        accuracy: f64,
    },
    Vote {
        who: usize,
        approve: bool,
        lead: bool,
    },
    Deployed,
    DeployFailed,
    StoreAndRestore,
    Tamper {
        pick: usize,
        how: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Poll),
        2 => (0.0..1.0f64, 0..3u8).prop_map(|(accuracy, digest)| Op::Artifact { accuracy, digest }),
        2 => (prop::bool::weighted(0.9), 0.0..1.0f64)
            .prop_map(|(right_step, accuracy)| Op::Evaluate { right_step, accuracy }),
        3 => (0..PEOPLE.len(), any::<bool>(), any::<bool>())
            .prop_map(|(who, approve, lead)| Op::Vote { who, approve, lead }),
        1 => Just(Op::Deployed),
        1 => Just(Op::DeployFailed),
        2 => Just(Op::StoreAndRestore),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(pick, how)| Op::Tamper { pick, how }),
    ]
}

/// Where the naive model thinks the run stands.
#[derive(Clone, Debug, PartialEq)]
enum Phase {
    Artifact,
    Evaluate(usize),
    Review,
    Deploy,
    Finished(RunOutcome),
}

#[derive(Clone, Debug)]
struct Naive {
    phase: Phase,
    attempts: u32,
    digest: String,
    metrics: Vec<(String, f64)>,
    votes: modelgate::value::CountedVotes,
    submitted_at: Timestamp,
    last: Timestamp,
}

impl Naive {
    fn in_time(&self, at: Timestamp) -> bool {
        at >= self.last
    }
}

fn tests(p: &Pipeline) -> Vec<String> {
    p.steps()
        .iter()
        .filter(|s| matches!(s.kind(), modelgate::pipeline::StepKind::Test { .. }))
        .map(|s| s.name().to_owned())
        .collect()
}

fn max_attempts(p: &Pipeline) -> Option<u32> {
    p.steps().iter().find_map(|s| match s.kind() {
        modelgate::pipeline::StepKind::Approval(a) => match a.on_reject() {
            modelgate::pipeline::OnReject::Retrain { max_attempts } => Some(max_attempts),
            _ => None,
        },
        _ => None,
    })
}

fn deploys(p: &Pipeline) -> bool {
    p.steps()
        .iter()
        .any(|s| matches!(s.kind(), modelgate::pipeline::StepKind::Deploy))
}

/// After the artifact or an evaluation: the next test step, or the review.
fn next_after(naive: &mut Naive, tests: &[String], next: usize, at: Timestamp) {
    naive.phase = if next < tests.len() {
        Phase::Evaluate(next)
    } else {
        naive.attempts += 1;
        naive.votes = modelgate::value::CountedVotes::new();
        naive.submitted_at = at;
        Phase::Review
    };
}

fn apply(run: &mut Run, naive: &mut Naive, p: &Pipeline, op: &Op, now: Timestamp) {
    let tests = tests(p);
    match op {
        Op::Poll => {
            let result = run.poll(now);
            if naive.phase == Phase::Review && !naive.in_time(now) {
                assert!(result.is_err(), "a decision back in time is refused");
                return;
            }
            let action = result.unwrap();
            if naive.phase == Phase::Review {
                // The naive decision: the pipeline's policy on what the naive model recorded.
                let metrics = Metrics::new(naive.metrics.iter().cloned()).unwrap();
                let outcome = TrainingOutcome::new(naive.digest.clone(), metrics).unwrap();
                let ctx = ReviewContext::new(&outcome, &naive.votes, "mlbot", naive.attempts, now);
                match p.policy().judge(&ctx) {
                    VerdictKind::Pending => {}
                    VerdictKind::Approve if deploys(p) => {
                        naive.phase = Phase::Deploy;
                        naive.last = now;
                    }
                    VerdictKind::Approve => {
                        naive.phase = Phase::Finished(RunOutcome::Approved);
                        naive.last = now;
                    }
                    VerdictKind::Reject => {
                        naive.last = now;
                        naive.phase = match max_attempts(p) {
                            Some(max) if naive.attempts < max => Phase::Artifact,
                            _ => Phase::Finished(RunOutcome::Failed),
                        };
                    }
                }
            }
            let expected = match (&naive.phase, &action) {
                (Phase::Artifact, Action::Train { attempt, .. }) => *attempt == naive.attempts + 1,
                (Phase::Artifact, Action::ProvideArtifact) => naive.attempts == 0,
                (Phase::Evaluate(i), Action::Evaluate { step, .. }) => *step == tests[*i],
                (Phase::Review, Action::AwaitApproval { .. }) => true,
                (Phase::Deploy, Action::Deploy { .. }) => true,
                (Phase::Finished(o), Action::Finished { outcome, attempts }) => {
                    o == outcome && *attempts == naive.attempts
                }
                _ => false,
            };
            assert!(expected, "naive {:?}, run says {action}", naive.phase);
        }
        Op::Artifact { accuracy, digest } => {
            let digest = format!("sha256:{digest}");
            let artifact = Artifact::new(
                digest.clone(),
                Metrics::new([("accuracy", *accuracy)]).unwrap(),
            )
            .unwrap();
            let accepted = naive.phase == Phase::Artifact && naive.in_time(now);
            let result = run.handle_artifact(artifact.clone(), now);
            assert_eq!(result.is_ok(), accepted, "{op:?} in {:?}", naive.phase);
            match result {
                Ok(()) => {
                    naive.digest = digest;
                    naive.metrics = vec![("accuracy".into(), *accuracy)];
                    naive.last = now;
                    next_after(naive, &tests, 0, now);
                }
                Err(e) => assert_eq!(e.into_input(), artifact, "the artifact comes back"),
            }
        }
        Op::Evaluate {
            right_step,
            accuracy,
        } => {
            let (step, accepted) = match &naive.phase {
                Phase::Evaluate(i) if *right_step => (tests[*i].clone(), naive.in_time(now)),
                _ => (String::from("nope"), false),
            };
            let metrics = Metrics::new([("accuracy", *accuracy)]).unwrap();
            let result = run.handle_evaluated(&step, metrics, now);
            assert_eq!(result.is_ok(), accepted, "{op:?} in {:?}", naive.phase);
            if result.is_ok() {
                let Phase::Evaluate(i) = naive.phase else {
                    unreachable!()
                };
                naive.metrics = vec![("accuracy".into(), *accuracy)];
                naive.last = now;
                next_after(naive, &tests, i + 1, now);
            }
        }
        Op::Vote { who, approve, lead } => {
            let mut review = if *approve {
                Review::approve(PEOPLE[*who], naive.digest.clone(), now)
            } else {
                Review::reject(PEOPLE[*who], naive.digest.clone(), now)
            };
            if *lead {
                review = review.with_role("team_lead");
            }
            // A vote keeps its reviewer's time, however behind the last event (its event is
            // never earlier than the last), unless it was cast more than a minute before the round began.
            let accepted = naive.phase == Phase::Review
                && now
                    >= naive
                        .submitted_at
                        .saturating_sub(modelgate::value::CLOCK_SKEW);
            let result = run.record_vote(review.clone());
            assert_eq!(result.is_ok(), accepted, "{op:?} in {:?}", naive.phase);
            if accepted {
                naive.votes.count(review);
                naive.last = naive.last.max(now);
            }
        }
        Op::Deployed => {
            let accepted = naive.phase == Phase::Deploy && naive.in_time(now);
            let result = run.handle_deployed(Receipt::new("prod"), now);
            assert_eq!(result.is_ok(), accepted, "{op:?} in {:?}", naive.phase);
            if accepted {
                naive.phase = Phase::Finished(RunOutcome::Deployed);
                naive.last = now;
            }
        }
        Op::DeployFailed => {
            let accepted = naive.phase == Phase::Deploy && naive.in_time(now);
            let result = run.handle_deploy_failed("registry down", now);
            assert_eq!(result.is_ok(), accepted, "{op:?} in {:?}", naive.phase);
            if accepted {
                naive.last = now;
            }
        }
        Op::StoreAndRestore => {
            let stored = StoredModel::from(&*run).sealed_by(&key()).unwrap();
            let json = serde_json::to_string(&stored).unwrap();
            let back: StoredModel = serde_json::from_str(&json).unwrap();
            let restored = Run::restore(back, p.clone(), &key()).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                restored.history(),
                run.history(),
                "restore(store(run)) == run"
            );
            assert_eq!(restored.head(), run.head());
            *run = restored;
        }
        Op::Tamper { pick, how } => {
            let mut json = serde_json::to_value(StoredModel::from(&*run)).unwrap();
            let n = json["events"].as_array().unwrap().len();
            let i = pick % n;
            match how % 4 {
                0 => {
                    json["events"].as_array_mut().unwrap().remove(i);
                }
                1 => {
                    let copy = json["events"][i].clone();
                    json["events"].as_array_mut().unwrap().insert(i, copy);
                }
                2 => json["events"].as_array_mut().unwrap().truncate(i),
                _ => {
                    let moved = json["events"].as_array_mut().unwrap().remove(i);
                    json["events"].as_array_mut().unwrap().push(moved);
                }
            }
            for (j, e) in json["events"]
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .enumerate()
            {
                e["seq"] = (j + 1).into();
            }
            if json["events"].as_array().unwrap().is_empty() {
                return;
            }
            let forged = rechain(json).sealed_by(&key()).unwrap();
            if let Ok(restored) = Run::restore(forged.clone(), p.clone(), &key()) {
                // What restores is exactly what the live run records for those inputs.
                assert_eq!(restored.history(), forged.events());
                let finished = restored
                    .history()
                    .iter()
                    .position(|e| matches!(e.kind(), EventKind::RunFinished { .. }));
                if let Some(f) = finished {
                    assert_eq!(f + 1, restored.history().len(), "nothing after the end");
                }
                let submissions = restored
                    .history()
                    .iter()
                    .filter(|e| matches!(e.kind(), EventKind::Submitted { .. }))
                    .count() as u32;
                assert!(
                    submissions <= max_attempts(p).unwrap_or(1),
                    "attempts within bounds"
                );
            }
        }
    }
}

fn check(run: &Run, naive: &Naive, p: &Pipeline) {
    let attempts = run
        .history()
        .iter()
        .filter(|e| matches!(e.kind(), EventKind::Submitted { .. }))
        .count() as u32;
    assert_eq!(attempts, naive.attempts);
    assert!(attempts <= max_attempts(p).unwrap_or(1));
    assert!(matches!(
        run.history().first().map(|e| e.kind()),
        Some(EventKind::RunStarted { .. })
    ));
    if let Phase::Finished(_) = naive.phase {
        assert!(run.finished().is_some());
    }
    let trail = modelgate::Trail::from_parts(
        run.name(),
        run.version(),
        run.environment().clone(),
        run.history().to_vec(),
    )
    .unwrap();
    assert_eq!(
        trail.status(),
        run.status(),
        "the trail's status is the run's"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, ..ProptestConfig::default() })]

    #[test]
    fn runs_agree_with_the_naive_model(
        k in any::<u8>(),
        steps in prop::collection::vec((op(), 0..5u64, prop::bool::weighted(0.05)), 0..30),
    ) {
        let p = pipeline(k);
        let mut run = Run::start(p.clone(), Model::new("m", "1").unwrap(), "mlbot", Timestamp::from_unix_secs(1_000)).unwrap();
        let mut naive = Naive {
            phase: Phase::Artifact,
            attempts: 0,
            digest: String::new(),
            metrics: Vec::new(),
            votes: modelgate::value::CountedVotes::new(),
            submitted_at: Timestamp::from_unix_secs(1_000),
            last: Timestamp::from_unix_secs(1_000),
        };
        let mut clock = 1_000u64;
        for (op, dt, back) in &steps {
            let now = if *back { clock.saturating_sub(dt + 1) } else { clock + dt };
            apply(&mut run, &mut naive, &p, op, Timestamp::from_unix_secs(now));
            clock = clock.max(naive.last.as_unix_millis() / 1000);
            check(&run, &naive, &p);
        }
    }
}
