//! The fuzz targets' seed corpora are valid format-2 records that restore (so the fuzzer starts
//! from records that go deep into the replay). `MODELGATE_WRITE_SEEDS=1 cargo test --test
//! fuzz_corpus` writes them again after a format change.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::PathBuf;

use common::*;
use modelgate::{
    Artifact, MetricGate, Metrics, Model, PipelineSpec, Quorum, Receipt, Review, Run, StoredModel,
};

fn corpus(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

fn fuzz_pipeline() -> modelgate::Pipeline {
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets/stored_run.rs"),
    )
    .unwrap();
    let start = text.find("r#\"").unwrap() + 3;
    let end = text[start..].find("\"#").unwrap() + start;
    serde_json::from_str::<PipelineSpec>(&text[start..end])
        .unwrap()
        .validate()
        .unwrap()
}

fn models() -> Vec<(&'static str, StoredModel)> {
    vec![
        ("untrained", StoredModel::from(&untrained())),
        ("submitted", StoredModel::from(&submitted(0.93))),
        ("approved", StoredModel::from(&approved())),
        ("rejected", StoredModel::from(&rejected())),
        ("retraining", StoredModel::from(&retraining())),
        ("deployed", StoredModel::from(&deployed())),
        ("revoked", StoredModel::from(&revoked())),
        ("superseded", StoredModel::from(&superseded())),
        ("retired", StoredModel::from(&retired())),
        ("promoted", StoredModel::from(&promoted())),
    ]
}

fn runs() -> Vec<(&'static str, StoredModel)> {
    let mut run = Run::start(fuzz_pipeline(), untrained(), "mlbot", t(0)).unwrap();
    let mut out = Vec::new();
    run.handle_artifact(Artifact::new(DIGEST, Metrics::default()).unwrap(), t(1))
        .unwrap();
    run.handle_evaluated("evaluate", Metrics::new([("accuracy", 0.5)]).unwrap(), t(2))
        .unwrap();
    run.poll(t(3)).unwrap();
    run.handle_artifact(
        Artifact::new("sha256:bbbb", Metrics::default()).unwrap(),
        t(4),
    )
    .unwrap();
    run.handle_evaluated(
        "evaluate",
        Metrics::new([("accuracy", 0.85)]).unwrap(),
        t(5),
    )
    .unwrap();
    run.poll(t(6)).unwrap();
    out.push(("awaiting-approval", StoredModel::from(&run)));
    run.record_vote(Review::approve("carol", "sha256:bbbb", t(7)).with_role("team_lead"))
        .unwrap();
    run.poll(t(8)).unwrap();
    run.handle_deploy_failed("registry down", t(9)).unwrap();
    run.handle_deployed(Receipt::new("prod"), t(10)).unwrap();
    out.push(("deployed", StoredModel::from(&run)));
    out
}

#[test]
fn the_seed_corpora_restore() {
    let write = std::env::var_os("MODELGATE_WRITE_SEEDS").is_some();
    let policy = (MetricGate::at_least("accuracy", 0.9), Quorum::new(2));
    for (target, seeds) in [("restore_json", models()), ("stored_run", runs())] {
        for (name, stored) in seeds {
            let path = corpus(target).join(format!("seed-{name}.json"));
            if write {
                std::fs::write(&path, serde_json::to_string_pretty(&stored).unwrap()).unwrap();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let read: StoredModel = serde_json::from_str(&text).unwrap();
            assert_eq!(read, stored, "{}", path.display());
            if target == "restore_json" {
                assert!(read.restore_unsealed(&policy).is_ok(), "{name}");
            } else {
                assert!(
                    Run::restore_unsealed(read, fuzz_pipeline()).is_ok(),
                    "{name}"
                );
            }
        }
    }
    let _ = Model::new("m", "1");
}

/// Records written before decisions recorded their policy's fingerprint (`legacy-*`, the seeds
/// of that format) still restore, and replay to the very same head: their decisions are decided
/// again without a fingerprint, as they were recorded.
#[test]
fn records_from_before_policy_fingerprints_restore_to_the_same_head() {
    let policy = (MetricGate::at_least("accuracy", 0.9), Quorum::new(2));
    let mut read = 0;
    for target in ["restore_json", "stored_run"] {
        for entry in std::fs::read_dir(corpus(target)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.starts_with("legacy-") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(text.contains("\"decided\""), "{name} holds a decision");
            assert!(
                !text.contains("fingerprint\": \""),
                "{name} is of the older form"
            );
            let stored: StoredModel = serde_json::from_str(&text).unwrap();
            let head = stored.head();
            let restored = if target == "restore_json" {
                stored.restore_unsealed(&policy).unwrap().head()
            } else {
                Run::restore_unsealed(stored, fuzz_pipeline())
                    .unwrap()
                    .head()
            };
            assert_eq!(restored, head, "{name}");
            read += 1;
        }
    }
    assert_eq!(read, 9, "every legacy record was read");
}
