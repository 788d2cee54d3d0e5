//! `distinct_roles` and `excluding` in a spec: malformed forms refused with
//! their path, well-formed ones the code's rule, fingerprints apart where verdicts can differ.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use modelgate::policy::Rule;
use modelgate::*;

fn read(json: &str) -> Result<Rule, String> {
    serde_json::from_str::<Rule>(json).map_err(|e| e.to_string())
}

#[test]
fn malformed_separation_of_duties_is_refused_with_its_path() {
    let bad = [
        (
            r#"{"distinct_roles":{"roles":["a","b"]}}"#,
            "distinct_roles",
        ),
        (
            r#"{"distinct_roles":{"required":-1,"roles":["a"]}}"#,
            "distinct_roles.required",
        ),
        (
            r#"{"distinct_roles":{"required":1.5,"roles":["a"]}}"#,
            "distinct_roles.required",
        ),
        (
            r#"{"distinct_roles":{"required":"2","roles":["a"]}}"#,
            "distinct_roles.required",
        ),
        (
            r#"{"distinct_roles":{"required":1,"roles":"a"}}"#,
            "distinct_roles.roles",
        ),
        (
            r#"{"distinct_roles":{"required":1,"roles":[1]}}"#,
            "distinct_roles.roles",
        ),
        (
            r#"{"distinct_roles":{"required":1,"roles":[""]}}"#,
            "distinct_roles.roles",
        ),
        (
            r#"{"distinct_roles":{"required":1,"roles":[" a"]}}"#,
            "distinct_roles.roles",
        ),
        (
            r#"{"distinct_roles":{"required":1,"roles":["a\u0000"]}}"#,
            "distinct_roles.roles",
        ),
        (
            r#"{"distinct_roles":{"required":1,"roles":["a"],"role":["b"]}}"#,
            "distinct_roles",
        ),
        (r#"{"distinct_roles":[1,["a"]]}"#, "distinct_roles"),
        (r#"{"distinct_roles":null}"#, "distinct_roles"),
        (r#"{"excluding":{"roles":["a"]}}"#, "excluding"),
        (
            r#"{"excluding":{"rule":{"quorum":{"required":1}}}}"#,
            "excluding",
        ),
        (
            r#"{"excluding":{"roles":[],"rule":{"quorum":{"required":1}}}}"#,
            "excluding.roles",
        ),
        (
            r#"{"distinct_roles":{"required":1,"roles":[]}}"#,
            "distinct_roles.roles",
        ),
        (
            r#"{"excluding":{"roles":"a","rule":{"quorum":{"required":1}}}}"#,
            "excluding.roles",
        ),
        (
            r#"{"excluding":{"roles":[""],"rule":{"quorum":{"required":1}}}}"#,
            "excluding.roles",
        ),
        (
            r#"{"excluding":{"roles":["a"],"rule":{"quorum":{}}}}"#,
            "excluding.rule.quorum",
        ),
        (
            r#"{"excluding":{"roles":["a"],"rule":{}}}"#,
            "excluding.rule",
        ),
        (
            r#"{"excluding":{"roles":["a"],"rule":{"quorum":{"required":1}},"extra":1}}"#,
            "excluding",
        ),
        (
            r#"{"excluding":{"roles":["a"],"rules":{"quorum":{"required":1}}}}"#,
            "excluding",
        ),
        (
            r#"{"excluding":{"roles":["a"],"rule":"quorum"}}"#,
            "excluding.rule",
        ),
    ];
    let mut accepted = Vec::new();
    let mut pathless = Vec::new();
    for (json, path) in bad {
        match read(json) {
            Ok(rule) => accepted.push(format!(
                "{json} read as {}",
                serde_json::to_string(&rule).unwrap()
            )),
            Err(e) => {
                if !e.contains(path) {
                    pathless.push(format!("{json}: `{e}` does not name `{path}`"));
                }
            }
        }
    }
    assert!(
        accepted.is_empty(),
        "malformed rules accepted:\n{}",
        accepted.join("\n")
    );
    assert!(
        pathless.is_empty(),
        "refused without the path:\n{}",
        pathless.join("\n")
    );
}

#[test]
fn the_spec_reads_as_the_code_and_fingerprints_tell_apart_what_decides_apart() {
    let same = [
        (
            r#"{"distinct_roles":{"required":2,"roles":["b","a"]}}"#,
            Rule::from(DistinctRoles::new(2, ["a", "b"])),
        ),
        (
            r#"{"distinct_roles":{"required":2}}"#,
            Rule::from(DistinctRoles::new(2, Vec::<String>::new())),
        ),
        (
            r#"{"excluding":{"roles":["y","x"],"rule":{"distinct_roles":{"required":1}}}}"#,
            Rule::from(Excluding::roles(
                ["x", "y"],
                Rule::from(DistinctRoles::new(1, Vec::<String>::new())),
            )),
        ),
    ];
    for (json, code) in same {
        let read = read(json).unwrap();
        assert_eq!(read.fingerprint(), code.fingerprint(), "{json}");
        // and it writes back to a form that reads as itself
        let back = Rule::deserialize_json(&serde_json::to_string(&read).unwrap());
        assert_eq!(
            back.fingerprint(),
            code.fingerprint(),
            "{json} written back"
        );
    }
    // Rules that can decide differently: distinct fingerprints.
    let rules: Vec<Rule> = vec![
        Rule::from(DistinctRoles::new(1, Vec::<String>::new())),
        Rule::from(DistinctRoles::new(2, Vec::<String>::new())),
        Rule::from(DistinctRoles::new(1, ["a"])),
        Rule::from(DistinctRoles::new(1, ["a", "b"])),
        Rule::from(DistinctRoles::new(2, ["a", "b"])),
        Rule::from(DistinctRoles::new(2, ["a b", "c"])),
        Rule::from(DistinctRoles::new(2, ["a", "b c"])),
        Rule::from(Quorum::new(1)),
        Rule::from(Quorum::new(1).eligible_roles(["a"])),
        Rule::from(RequiredRole::new("a")),
        Rule::from(Excluding::roles(["a"], Rule::from(Quorum::new(1)))),
        Rule::from(Excluding::roles(["b"], Rule::from(Quorum::new(1)))),
        Rule::from(Excluding::roles(["a", "b"], Rule::from(Quorum::new(1)))),
        Rule::from(Excluding::roles(["a"], Rule::from(Quorum::new(2)))),
        Rule::from(Excluding::roles(
            Vec::<String>::new(),
            Rule::from(Quorum::new(2)),
        )),
        Rule::from(Excluding::roles(
            ["a"],
            Rule::from(DistinctRoles::new(1, ["a"])),
        )),
        Rule::from(DistinctRoles::new(1, ["a"])),
    ];
    for (i, a) in rules.iter().enumerate() {
        for (j, b) in rules.iter().enumerate().skip(i + 1) {
            if i == 2 && j == rules.len() - 1 {
                continue; // the same rule twice
            }
            assert_ne!(
                a.fingerprint(),
                b.fingerprint(),
                "{i} {j}: {} / {}",
                a.name(),
                b.name()
            );
            assert_ne!(a.name(), b.name(), "{i} {j}");
        }
    }
}

trait FromJson {
    fn deserialize_json(json: &str) -> Rule;
}
impl FromJson for Rule {
    fn deserialize_json(json: &str) -> Rule {
        serde_json::from_str(json).unwrap()
    }
}
