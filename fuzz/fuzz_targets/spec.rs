//! Pipeline specs from JSON and YAML: validation never panics; a valid spec builds a policy and
//! a run that can be polled.
#![no_main]

use libfuzzer_sys::fuzz_target;
use modelgate::{Model, PipelineSpec, Policy, PolicyExt, Run, Timestamp};

fn exercise(spec: PipelineSpec) {
    match spec.validate() {
        Ok(pipeline) => {
            let policy = pipeline.policy();
            let _ = (policy.name(), policy.lints());
            let Ok(model) = Model::new("fuzz", "1") else {
                return;
            };
            let fingerprint = pipeline.fingerprint();
            let Ok(mut run) = Run::start(pipeline, model, "fuzzer", Timestamp::from_unix_secs(0))
            else {
                return;
            };
            assert!(matches!(
                run.history().first().map(|e| e.kind()),
                Some(modelgate::EventKind::RunStarted { pipeline, .. }) if *pipeline == fingerprint
            ));
            let _ = run.poll(Timestamp::from_unix_secs(1));
        }
        Err(errors) => assert!(!errors.errors().is_empty() && !errors.to_string().is_empty()),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(spec) = serde_json::from_str::<PipelineSpec>(text) {
        exercise(spec);
    }
    let options = serde_saphyr::options! {
        non_finite_float_policy: serde_saphyr::options::NonFiniteFloatPolicy::PassThrough,
    };
    if let Ok(spec) = serde_saphyr::from_str_with_options::<PipelineSpec>(text, options) {
        exercise(spec);
    }
});
