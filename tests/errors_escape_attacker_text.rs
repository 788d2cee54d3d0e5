//! Error messages carry attacker text escaped: the text of a stored model, run, registry or spec
//! that an error quotes (a hash that does not parse, a key given twice) cannot forge an audit
//! line or a terminal escape. (Each failed before its fix: the input was quoted raw.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use modelgate::*;

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
