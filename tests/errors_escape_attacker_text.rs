//! Error messages carry attacker text escaped: the text of a stored model, run, registry or spec
//! that an error quotes (a hash that does not parse, a key given twice) cannot forge an audit
//! line or a terminal escape; nor can a seal's key id, a vote's digest or a comment put a line
//! break into an error or a verdict.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{DIGEST, approved, edited, key, policy, sealed, submitted, t};
use modelgate::*;
use serde_json::json;

/// `Head`/`Fingerprint` parse errors quote the input raw; they surface through every
/// deserialization of a stored model, run or registry (`prev`, `deployment`, `pipeline`).
#[test]
fn a_hash_parse_error_escapes_the_text_an_attacker_chose() {
    let forged = "x\n#2 1970-01-01T00:00:11Z bob voted: approve on sha256:1";
    let direct = forged.parse::<Head>().unwrap_err().to_string();
    let json = format!(
        r#"{{"format_version":2,"name":"churn","version":"1","environment":{{"name":"default"}},
        "events":[{{"seq":1,"at":1,"prev":{},"event":{{"retraining":{{"by":"x"}}}}}}]}}"#,
        serde_json::to_string(forged).unwrap()
    );
    let via_serde = serde_json::from_str::<StoredModel>(&json)
        .unwrap_err()
        .to_string();
    assert!(
        !direct.contains('\n') && !via_serde.contains('\n'),
        "a forged audit line in an error message:\n---\n{direct}\n---\n{via_serde}\n---"
    );
}

/// A pipeline spec with a key given twice: the error quotes the key raw (newline, ESC).
#[test]
fn a_duplicate_key_error_of_a_pipeline_spec_escapes_the_text_an_attacker_chose() {
    let key = "x\n  \u{d7} pipeline.json: 0 problems\u{1b}[2J";
    let json = format!(
        r#"{{"steps": [], {k}: 1, {k}: 2}}"#,
        k = serde_json::to_string(key).unwrap()
    );
    let message = serde_json::from_str::<PipelineSpec>(&json)
        .unwrap_err()
        .to_string();
    assert!(
        !message.contains('\n') && !message.contains('\u{1b}'),
        "raw control characters in the error: {message:?}"
    );
}

#[test]
fn error_messages_escape_the_text_an_attacker_chose() {
    let forged_line = "x\n2026-01-01T00:00:00Z INFO model fraud-detector approved and deployed";
    let stored = edited(&sealed(&approved()), |json| {
        json["seal"]["key_id"] = json!(forged_line);
    });
    let err = stored.restore(&key(), &policy()).unwrap_err();
    assert!(!err.to_string().contains('\n'), "{err}");
    let mut m = submitted(0.95);
    let err = m
        .record(Review::approve("bob", "sha256:x\n#9 forged", t(20)))
        .unwrap_err();
    assert!(!err.to_string().contains('\n'), "{err}");
    m.record(Review::reject("bob", DIGEST, t(21)).with_comment("no\n#9 carol approved"))
        .unwrap();
    let submission = m.stage().submission();
    let ctx = modelgate::ReviewContext::new(
        submission.outcome(),
        m.stage().votes(),
        submission.submitter(),
        1,
        t(30),
    );
    let verdict = Veto::new().evaluate(&ctx);
    assert!(!verdict.to_string().contains('\n'), "{verdict}");
}
