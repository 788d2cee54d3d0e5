//! Run checkpoints of any shape, restored against the host's pipeline: never a panic, and a
//! restored run never holds an approval its pipeline's policy does not uphold.
#![no_main]

use libfuzzer_sys::fuzz_target;
use modelgate::{Checkpoint, PipelineSpec, Policy, AnyModel, Run, Timestamp};

const PIPELINE: &str = r#"{"steps": [
    {"name": "train_model", "type": "training"},
    {"name": "evaluate", "type": "test", "inputs": {"gates": [{"metric": "accuracy", "at_least": 0.8}]}},
    {"name": "approve_model", "type": "approval", "on_reject": "retrain", "inputs": {
        "approvers": ["alice", "team_lead"], "required": 1, "auto_approve": {"metric": "accuracy", "above": 0.9}}},
    {"name": "deploy", "type": "deploy"}
]}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(checkpoint) = serde_json::from_str::<Checkpoint>(text) else {
        return;
    };
    let Ok(spec) = serde_json::from_str::<PipelineSpec>(PIPELINE) else {
        return;
    };
    let Ok(pipeline) = spec.validate() else {
        return;
    };
    let policy = pipeline.policy();
    let Ok(mut run) = Run::restore(checkpoint, pipeline) else {
        return;
    };
    match run.model() {
        AnyModel::Approved(m) => {
            assert!(policy.evaluate(&m.stage().review_context()).is_approved())
        }
        AnyModel::Deployed(m) => assert!(
            policy
                .evaluate(&m.stage().approved().review_context())
                .is_approved()
        ),
        _ => {}
    }
    for s in [1u64, 2, 4_000_000_000] {
        let _ = run
            .poll(Timestamp::from_unix_secs(s))
            .map(|a| a.to_string());
    }
});
