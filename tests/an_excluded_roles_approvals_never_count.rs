//! An excluded role's approvals never count for the inner rule, whatever it
//! is; its rejections always do; and the written form reads as the code does.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use modelgate::policy::Rule;
use modelgate::value::CountedVotes;
use modelgate::*;

const DIGEST: &str = "sha256:1";

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

fn judge(policy: &(impl Policy + ?Sized), reviews: &[Review]) -> VerdictKind {
    let outcome =
        TrainingOutcome::new(DIGEST, Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap();
    let votes: CountedVotes = reviews.iter().cloned().collect();
    let ctx = ReviewContext::new(&outcome, &votes, "alice", 1, t(1000));
    let judged = policy.judge(&ctx);
    assert_eq!(
        judged,
        policy.evaluate(&ctx).kind(),
        "judge and evaluate disagree"
    );
    judged
}

fn rule(json: &str) -> Rule {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

/// Inner rules that the team's approvals alone could satisfy (or flip).
const INNERS: &[&str] = &[
    r#"{"quorum":{"required":1}}"#,
    r#"{"quorum":{"required":2}}"#,
    r#"{"quorum":{"required":1,"roles":["fraud_ml"]}}"#,
    r#"{"quorum":{"required":1,"users":["bob"]}}"#,
    r#"{"required_role":"fraud_ml"}"#,
    r#"{"required_role":"risk_officer"}"#,
    r#"{"distinct_roles":{"required":1}}"#,
    r#"{"distinct_roles":{"required":2,"roles":["fraud_ml","risk_officer"]}}"#,
    r#"{"any":[{"quorum":{"required":1}},{"gate":{"metric":"accuracy","at_least":0.99}}]}"#,
    r#"{"all":[{"quorum":{"required":1}},{"gate":{"metric":"accuracy","at_least":0.5}}]}"#,
    r#"{"not":{"not":{"quorum":{"required":1}}}}"#,
    r#"{"fresh":{"hours":1,"rule":{"quorum":{"required":1}}}}"#,
    r#"{"excluding":{"roles":["other_team"],"rule":{"quorum":{"required":1}}}}"#,
    r#"{"when":{"condition":{"quorum":{"required":1}},"then":"approve_automatically","otherwise":{"gate":{"metric":"accuracy","at_least":0.99}}}}"#,
    r#"{"when":{"condition":{"quorum":{"required":1}},"then":{"gate":{"metric":"accuracy","at_least":0.5}},"otherwise":{"veto":{}}}}"#,
    r#"{"when":{"condition":{"not":{"quorum":{"required":1}}},"then":{"quorum":{"required":5}},"otherwise":{"gate":{"metric":"accuracy","at_least":0.5}}}}"#,
    r#"{"not":{"veto":{}}}"#,
];

/// Spellings of the excluded role a reviewer might carry: one identity.
const SPELLINGS: &[&str] = &[
    "fraud_ml",
    "FRAUD_ML",
    "Fraud_Ml",
    "fraud_mI",
    "fraud_rnl",
    "fraud_m1",
];

#[test]
fn an_excluded_roles_approvals_never_count_for_any_inner_rule() {
    for inner in INNERS {
        let inner_rule = rule(inner);
        for excluded in ["fraud_ml", "FRAUD_ML", "fraud_mI"] {
            let policy = rule(&format!(
                r#"{{"excluding":{{"roles":["{excluded}"],"rule":{inner}}}}}"#
            ));
            let code = Excluding::roles([excluded], inner_rule.clone());
            assert_eq!(policy.fingerprint(), code.fingerprint(), "{inner}");
            for spelling in SPELLINGS {
                // The team approves (bob, who may also hold another role); nobody else votes.
                let team: Vec<Review> = vec![
                    Review::approve("bob", DIGEST, t(999))
                        .with_role(spelling)
                        .with_role("risk_officer"),
                    Review::approve("carol", DIGEST, t(999)).with_role(spelling),
                ];
                let without_them = judge(&inner_rule, &[]);
                assert_eq!(
                    judge(&policy, &team),
                    without_them,
                    "excluding {excluded} around {inner}: approvals from role `{spelling}` counted"
                );
                assert_eq!(
                    judge(&code, &team),
                    without_them,
                    "code: {inner} / {spelling}"
                );
                // Nested anywhere: inside not/any/all/fresh/when around the exclusion.
                for outer in [
                    format!(
                        r#"{{"not":{{"not":{0}}}}}"#,
                        serde_json::to_string(&policy).unwrap()
                    ),
                    format!(
                        r#"{{"any":[{0}]}}"#,
                        serde_json::to_string(&policy).unwrap()
                    ),
                    format!(
                        r#"{{"fresh":{{"hours":100,"rule":{0}}}}}"#,
                        serde_json::to_string(&policy).unwrap()
                    ),
                ] {
                    let outer_rule = rule(&outer);
                    let baseline = judge(&outer_rule, &[]);
                    assert_eq!(judge(&outer_rule, &team), baseline, "{outer} / {spelling}");
                }
            }
        }
    }
}

#[test]
fn an_excluded_roles_rejection_is_never_lost() {
    let reject = |spelling: &str| Review::reject("bob", DIGEST, t(999)).with_role(spelling);
    let approvals: Vec<Review> = (0..3)
        .map(|i| Review::approve(format!("ok{i}"), DIGEST, t(999)).with_role("risk_officer"))
        .collect();
    let vetoes: Vec<Box<dyn Policy>> = vec![
        Box::new(Excluding::roles(
            ["fraud_ml"],
            (Veto::new(), Quorum::new(1)),
        )),
        Box::new(Excluding::roles(
            ["fraud_ml"],
            (Veto::new().eligible_roles(["FRAUD_ML"]), Quorum::new(1)),
        )),
        Box::new(Excluding::roles(
            ["fraud_ml"],
            Excluding::roles(["fraud_ml"], (Veto::new(), Quorum::new(1))),
        )),
        Box::new(Excluding::roles(
            ["fraud_ml"],
            Fresh::within(Duration::from_secs(3600), (Veto::new(), Quorum::new(1))),
        )),
        Box::new(Fresh::within(
            Duration::from_secs(3600),
            Excluding::roles(["fraud_ml"], (Veto::new(), Quorum::new(1))),
        )),
        Box::new((
            Veto::new().eligible_roles(["fraud_ml"]),
            Excluding::roles(["fraud_ml"], Quorum::new(1)),
        )),
        Box::new(Excluding::roles(
            ["fraud_ml"],
            (Quorum::new(1), Veto::new().eligible_roles(["fraud_ml"])),
        )),
    ];
    for (i, policy) in vetoes.iter().enumerate() {
        for spelling in SPELLINGS {
            let mut votes = approvals.clone();
            votes.push(reject(spelling));
            assert_eq!(
                judge(policy.as_ref(), &votes),
                VerdictKind::Reject,
                "policy {i} ({}) lost `{spelling}`'s veto",
                policy.name()
            );
        }
    }
}
