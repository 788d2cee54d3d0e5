//! The CLI's messages carry attacker text escaped: it escapes syntax messages and shows control
//! characters of a source snippet as `?` (each test failed before its fix).
//! cli/README.md: "host text (ids, comments, receipts) escaped so no value in a file can forge
//! an output line".
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;

fn check(name: &str, contents: &[u8]) -> (String, String) {
    let dir = std::env::temp_dir().join(format!("mg-cli-attack2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, contents).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_modelgate"))
        .arg("check")
        .arg(&file)
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A JSON spec whose key is given twice: the key (a newline, a forged summary line, a
/// clear-screen escape) is printed raw in the `syntax:` message.
#[test]
fn check_escapes_a_duplicate_json_key() {
    let key = r#""x\n  \u00d7 spec.json: 0 problems\u001b[2J""#;
    let json = format!(r#"{{"steps": [], {key}: 1, {key}: 2}}"#);
    let (stdout, stderr) = check("spec.json", json.as_bytes());
    let all = format!("{stdout}{stderr}");
    assert!(
        !all.contains('\u{1b}') && !all.contains("\n  \u{d7} spec.json: 0 problems"),
        "raw terminal escape / forged line in the output:\n{all:?}"
    );
}

/// A YAML spec with an ESC sequence in a comment next to an error: the source snippet is
/// printed raw (terminal escape injection).
#[test]
fn check_masks_control_characters_of_the_source_snippet() {
    let (stdout, stderr) = check(
        "spec.yaml",
        b"steps:\n  - name: a\n    type: training\n    zz: 1 # \x1b[2J\x1b[31m evil\n",
    );
    let all = format!("{stdout}{stderr}");
    assert!(!all.contains('\u{1b}'), "raw ESC in the output:\n{all:?}");
}
