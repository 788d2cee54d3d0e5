//! Every error message, produced by a real failing call and pinned by a snapshot.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use std::error::Error;
use std::fmt::Write as _;

use common::*;
use modelgate::{AnyModel, DecisionContext, Metrics, Model, Receipt, Review, TrainingOutcome};
use serde_json::json;

/// The message with its chain of sources, one `caused by` a line.
fn chain(err: &dyn Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let _ = write!(out, "\n    caused by: {s}");
        source = s.source();
    }
    out
}

fn add(out: &mut String, case: &str, err: &dyn Error) {
    let _ = writeln!(out, "{case}:\n  {}", chain(err));
}

#[test]
fn error_messages() {
    let mut out = String::new();
    let o = &mut out;

    // Names and versions.
    add(o, "empty name", &Model::new("", "1").unwrap_err());
    add(
        o,
        "control character in version",
        &Model::new("m", "1\n2").unwrap_err(),
    );
    add(
        o,
        "name too long",
        &Model::new("n".repeat(300), "1").unwrap_err(),
    );

    // Training outcomes.
    add(
        o,
        "NaN metric",
        &Metrics::new([("accuracy", f64::NAN)]).unwrap_err(),
    );
    add(
        o,
        "infinite metric",
        &Metrics::new([("loss", f64::INFINITY)]).unwrap_err(),
    );
    add(
        o,
        "negative infinite metric",
        &Metrics::new([("loss", f64::NEG_INFINITY)]).unwrap_err(),
    );
    add(
        o,
        "empty metric name",
        &Metrics::new([("", 1.0)]).unwrap_err(),
    );
    add(
        o,
        "empty digest",
        &TrainingOutcome::new("", Metrics::default()).unwrap_err(),
    );

    // Transitions.
    add(
        o,
        "empty submitter",
        &untrained()
            .submit(outcome(DIGEST, 0.9), "", t(1))
            .unwrap_err(),
    );
    add(
        o,
        "submit back in time",
        &retraining()
            .submit(outcome(DIGEST, 0.9), "alice", t(1))
            .unwrap_err(),
    );
    let mut m = submitted(0.9);
    add(
        o,
        "empty reviewer",
        &m.record(Review::approve("", DIGEST, t(11))).unwrap_err(),
    );
    add(
        o,
        "bad role",
        &m.record(Review::approve("bob", DIGEST, t(11)).with_role("lead\u{7}"))
            .unwrap_err(),
    );
    add(
        o,
        "vote for another digest",
        &m.record(Review::approve("bob", "sha256:bbbb", t(11)))
            .unwrap_err(),
    );
    add(
        o,
        "vote back in time",
        &m.record(Review::approve("bob", DIGEST, t(9))).unwrap_err(),
    );
    add(
        o,
        "decide back in time",
        &m.decide(&policy(), &DecisionContext::at(t(9))).unwrap_err(),
    );
    add(
        o,
        "deployer failed",
        &approved()
            .deploy(&mut FakeDeployer::failing(), t(40))
            .unwrap_err(),
    );
    add(
        o,
        "deploy back in time",
        &approved()
            .deploy(&mut FakeDeployer::working(), t(1))
            .unwrap_err(),
    );
    add(
        o,
        "mark deployed back in time",
        &approved()
            .mark_deployed(Receipt::new("r"), t(1))
            .unwrap_err(),
    );
    add(
        o,
        "retrain back in time",
        &rejected().retrain(t(1)).unwrap_err(),
    );

    // Restoring.
    let restore = |model: AnyModel| model.restore(&policy()).unwrap_err();
    let edit = |edit: fn(&mut serde_json::Value)| restore(tamper(approved(), edit));
    add(
        o,
        "format version",
        &edit(|v| v["format_version"] = json!(9)),
    );
    add(o, "stored name", &edit(|v| v["name"] = json!("")));
    add(
        o,
        "sequence gap",
        &edit(|v| v["history"][2]["seq"] = json!(9)),
    );
    add(
        o,
        "event out of order",
        &edit(|v| v["history"].as_array_mut().unwrap().swap(1, 3)),
    );
    add(
        o,
        "attempt",
        &edit(|v| v["history"][0]["event"]["submitted"]["attempt"] = json!(3)),
    );
    add(
        o,
        "pending decision",
        &edit(|v| v["history"][3]["event"]["decided"]["verdict"]["kind"] = json!("pending")),
    );
    add(
        o,
        "vote time",
        &edit(|v| v["history"][1]["at"] = json!(20500)),
    );
    add(
        o,
        "event time",
        &edit(|v| v["history"][3]["at"] = json!(5000)),
    );
    add(
        o,
        "submitter in trail",
        &edit(|v| v["history"][0]["event"]["submitted"]["submitter"] = json!("")),
    );
    add(
        o,
        "vote in trail",
        &edit(|v| v["history"][1]["event"]["voted"]["review"]["digest"] = json!("sha256:b")),
    );
    add(
        o,
        "status",
        &edit(|v| v["history"].as_array_mut().unwrap().truncate(3)),
    );
    add(
        o,
        "stage data",
        &edit(|v| v["stage"]["approved"]["submission"]["submitter"] = json!("mallory")),
    );
    add(
        o,
        "not upheld",
        &approved()
            .mark_deployed(Receipt::new("r"), t(40))
            .map(AnyModel::from)
            .unwrap()
            .restore(&modelgate::Quorum::new(3))
            .unwrap_err(),
    );

    insta::assert_snapshot!(out);
}
