//! Stored runs of any shape, restored against the host's pipeline (the seed's, `retrain` with
//! `max_attempts: 2`). The chain is recomputed first so that the replay itself is fuzzed. Never
//! a panic; and a run that restores obeys the pipeline's rules: its trail is exactly what the
//! live run records, it starts with this pipeline's fingerprint, it has at most `max_attempts`
//! submissions, each submission's metrics are the artifact's merged with every test step's
//! evaluation in the pipeline's order, its submitter never changes, nothing follows the end, and
//! an approval in it is one the pipeline's policy makes.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use modelgate::{EventKind, Head, PipelineSpec, Policy, Run, StoredModel, Timestamp};

const PIPELINE: &str = r#"{"steps": [
    {"name": "train_model", "type": "training"},
    {"name": "evaluate", "type": "test", "inputs": {"gates": [{"metric": "accuracy", "at_least": 0.8}]}},
    {"name": "approve_model", "type": "approval", "on_reject": "retrain", "inputs": {
        "approvers": ["alice", "team_lead"], "required": 1, "max_attempts": 2,
        "auto_approve": {"metric": "accuracy", "above": 0.9}}},
    {"name": "deploy", "type": "deploy"}
]}"#;

fn rechained(mut json: serde_json::Value) -> Option<StoredModel> {
    let n = json.get("events")?.as_array()?.len();
    for i in 0..n {
        let stored: StoredModel = serde_json::from_value(json.clone()).ok()?;
        let prev = match i {
            0 => Head::of_header(stored.name(), stored.version(), stored.environment()),
            _ => stored.events().get(i - 1)?.hash(),
        };
        *json.get_mut("events")?.get_mut(i)?.get_mut("prev")? = prev.to_string().into();
    }
    serde_json::from_value(json).ok()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let Some(stored) = rechained(json) else {
        return;
    };
    let Ok(spec) = serde_json::from_str::<PipelineSpec>(PIPELINE) else {
        return;
    };
    let Ok(pipeline) = spec.validate() else {
        return;
    };
    let fingerprint = pipeline.fingerprint();
    let policy = pipeline.policy();
    let mut run = match Run::restore_unsealed(stored.clone(), pipeline) {
        Ok(run) => run,
        Err(e) => {
            let _ = e.to_string();
            assert_eq!(e.into_input().0, stored, "a refused record comes back intact");
            return;
        }
    };
    let events = run.history().to_vec();
    assert_eq!(events.as_slice(), stored.events(), "exactly what the live run records");
    let Some(EventKind::RunStarted { pipeline: fp, submitter }) = events.first().map(|e| e.kind())
    else {
        panic!("a restored run starts with `run started`");
    };
    assert_eq!(*fp, fingerprint);
    let mut submissions = 0;
    let mut candidate: BTreeMap<String, f64> = BTreeMap::new();
    let mut evaluated = 0;
    for (i, e) in events.iter().enumerate() {
        match e.kind() {
            EventKind::Artifact { metrics, .. } => {
                candidate = metrics.iter().map(|(k, v)| (k.to_owned(), v)).collect();
                evaluated = 0;
            }
            EventKind::Evaluated { step, metrics, .. } => {
                assert_eq!(step, "evaluate", "test steps in the pipeline's order");
                candidate.extend(metrics.iter().map(|(k, v)| (k.to_owned(), v)));
                evaluated += 1;
            }
            EventKind::Submitted {
                outcome,
                submitter: s,
                ..
            } => {
                submissions += 1;
                assert_eq!(s, submitter, "the submitter never changes");
                assert_eq!(evaluated, 1, "every test step evaluated");
                let submitted: BTreeMap<String, f64> =
                    outcome.metrics().iter().map(|(k, v)| (k.to_owned(), v)).collect();
                assert_eq!(submitted, candidate, "the evaluated metrics, nothing injected");
            }
            EventKind::RunFinished { .. } => {
                assert_eq!(i + 1, events.len(), "nothing follows the end");
            }
            _ => {}
        }
    }
    assert!(submissions <= 2, "at most max_attempts submissions");
    let ctx = match run.finished() {
        Some(modelgate::pipeline::Finished::Approved(m)) => Some(m.stage().review_context()),
        Some(modelgate::pipeline::Finished::Deployed(m)) => Some(m.stage().approved().review_context()),
        _ => run.approved().map(|m| m.stage().review_context()),
    };
    if let Some(ctx) = ctx {
        assert!(policy.evaluate(&ctx).is_approved(), "upheld by the pipeline's policy");
    }
    for s in [1u64, 2, 4_000_000_000] {
        let _ = run.poll(Timestamp::from_unix_secs(s)).map(|a| a.to_string());
    }
});
