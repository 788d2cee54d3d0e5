//! The borrowed decision is the model's (written by an independent attacker; it held), over a
//! wider space than `a_decision_from_borrowed_data_is_the_models.rs`: look-alike ids and roles
//! in and out of ASCII, invalid ids, roles and comments among the votes, up to 40 votes, and
//! policies on both sides of every 16-item threshold.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use modelgate::policy::{Rule, Subject};
use modelgate::value::{Ballot, MetricsView};
use modelgate::{
    DecisionContext, DistinctRoles, Excluding, Fresh, MetricGate, Metrics, Model, NoRegression,
    Policy, PolicyExt, Quorum, RequiredRole, Review, ReviewContext, Timestamp, TrainingOutcome,
    Veto, Vote, all, any, not, when,
};
use proptest::prelude::*;

const DIGEST: &str = "sha256:look-alikes";

const BAD_IDS: [&str; 4] = ["zoe\u{301}", "b\u{43e}b", "x\u{200b}", "frank "];

const IDS: [&str; 20] = [
    "alice",
    "Alice",
    "ALICE",
    "a1ice",
    "al\u{131}ce",
    "bob",
    "b0b",
    "B0B",
    "rnary",
    "mary",
    "Mary",
    "zo\u{e9}",
    "ZO\u{c9}",
    "\u{431}\u{43e}\u{431}", // all Cyrillic: valid
    "carol",
    "car0l",
    "dave",
    "erin",
    "gr\u{101}ce",
    "grace",
];

const BAD_ROLES: [&str; 2] = ["team lead ", "\u{fe0f}role"];

const ROLES: [&str; 8] = [
    "team_lead",
    "team_Iead",
    "TEAM_LEAD",
    "tearn_lead",
    "ml_reviewer",
    "intern",
    "risk_officer",
    "r1sk_officer",
];

type HostVote = (String, bool, Vec<&'static str>, u64, bool);

fn host_vote() -> impl Strategy<Value = HostVote> {
    let reviewer = prop_oneof![
        40 => prop::sample::select(&IDS[..]).prop_map(str::to_owned),
        10 => (0..25u32).prop_map(|i| format!("reviewer-{i}@bank.example")),
        1 => prop::sample::select(&BAD_IDS[..]).prop_map(str::to_owned),
    ];
    let roles = prop_oneof![
        60 => prop::sample::subsequence(&ROLES[..], 0..4),
        1 => prop::sample::subsequence(&BAD_ROLES[..], 1..2),
    ];
    (
        reviewer,
        prop::bool::ANY,
        roles,
        0..40u64,
        prop::bool::weighted(0.002),
    )
}

fn many(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

fn policies() -> Vec<(&'static str, Box<dyn Policy>)> {
    let mut ids = many("nobody-", 16);
    ids.extend(
        [
            "B0B",
            "Mary",
            "\u{431}\u{43e}\u{431}",
            "reviewer-3@bank.example",
        ]
        .map(str::to_owned),
    );
    let mut roles = many("other-role-", 16);
    roles.extend(["TEAM_LEAD", "r1sk_officer"].map(str::to_owned));
    let mut excluded = many("excluded-role-", 16);
    excluded.push("INTERN".to_owned());
    let combined = all([
        Rule::from(Veto::new().eligible_roles(["risk_officer"])),
        Rule::from(Quorum::new(2).eligible_ids(["bob", "MARY", "carol", "zoé", "grace"])),
        Rule::from(any([
            Rule::from(RequiredRole::new("TEAM_LEAD")),
            Rule::from(DistinctRoles::new(2, Vec::<String>::new())),
        ])),
    ]);
    let spec = serde_json::to_string(&combined.rule().unwrap()).unwrap();
    let read: Rule = serde_json::from_str(&spec).unwrap();
    vec![
        ("quorum 3", Box::new(Quorum::new(3))),
        (
            "quorum many ids",
            Box::new(Quorum::new(2).eligible_ids(ids)),
        ),
        (
            "quorum many roles",
            Box::new(Quorum::new(2).eligible_roles(roles)),
        ),
        ("required role", Box::new(RequiredRole::new("tearn_Iead"))),
        (
            "distinct open 3",
            Box::new(DistinctRoles::new(3, Vec::<String>::new())),
        ),
        (
            "distinct named",
            Box::new(DistinctRoles::new(
                2,
                ["team_lead", "ml_reviewer", "RISK_OFFICER", "intern"],
            )),
        ),
        (
            "veto",
            Box::new(Veto::new().eligible_roles(["risk_officer"])),
        ),
        (
            "fresh excluding",
            Box::new(Fresh::within(
                Duration::from_secs(15),
                Excluding::roles(
                    ["intern"],
                    Quorum::new(2).and(RequiredRole::new("team_lead")),
                ),
            )),
        ),
        (
            "excluding many",
            Box::new(Excluding::roles(excluded, Quorum::new(3))),
        ),
        (
            "nested windows",
            Box::new(Fresh::within(
                Duration::from_secs(30),
                Fresh::within(Duration::from_secs(12), not(Veto::new())),
            )),
        ),
        (
            "auto",
            Box::new(
                when(MetricGate::at_least("accuracy", 0.97))
                    .approve_automatically()
                    .otherwise(NoRegression::higher_is_better("accuracy").and(Quorum::new(2))),
            ),
        ),
        ("spec", Box::new(read)),
    ]
}

fn record(review: &HostVote) -> Review {
    let (who, approves, roles, at, long) = review;
    let vote = if *approves {
        Vote::Approve
    } else {
        Vote::Reject
    };
    let comment = if *long {
        "x".repeat(5_000)
    } else {
        String::new()
    };
    roles
        .iter()
        .fold(
            Review::new(who, vote, DIGEST, Timestamp::from_unix_secs(*at)),
            |r, role| r.with_role(role),
        )
        .with_comment(comment)
}

fn build(
    votes: &[HostVote],
    metrics: &[(&str, f64)],
    submitter: &str,
) -> (Model<modelgate::Submitted>, Option<usize>) {
    let mut model = Model::new("m", "1")
        .unwrap()
        .submit(
            TrainingOutcome::new(DIGEST, Metrics::new(metrics.iter().copied()).unwrap()).unwrap(),
            submitter,
            Timestamp::from_unix_secs(10),
        )
        .unwrap();
    let mut first_refused = None;
    for (i, v) in votes.iter().enumerate() {
        if model.record(record(v)).is_err() && first_refused.is_none() {
            first_refused = Some(i);
        }
    }
    (model, first_refused)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn a_borrowed_decision_is_the_models_over_look_alikes_and_refusals(
        accuracy in 0.90..1.0f64,
        champion in 0.90..1.0f64,
        submitter in prop::sample::select(&["alice", "ALICE", "a1ice", "mary", "zoé"][..]),
        votes in prop::collection::vec(host_vote(), 0..40),
    ) {
        let now = Timestamp::from_unix_secs(50);
        let long = "x".repeat(5_000);
        let metrics = [("accuracy", accuracy)];
        let champion_pairs = [("accuracy", champion)];
        let ballots: Vec<Ballot<'_>> = votes
            .iter()
            .map(|(who, approves, roles, at, l)| {
                let vote = if *approves { Vote::Approve } else { Vote::Reject };
                let b = Ballot::new(who, vote, Timestamp::from_unix_secs(*at)).with_roles(roles);
                if *l { b.with_comment(&long) } else { b }
            })
            .collect();
        let borrowed = ReviewContext::borrowed(
            Subject::new(DIGEST, submitter, Timestamp::from_unix_secs(10)),
            MetricsView::borrowed(&metrics).unwrap(),
            &ballots,
            now,
        );
        let (_, first_refused) = build(&votes, &metrics, submitter);
        match (&borrowed, first_refused) {
            (Err(e), Some(_)) => {
                // The error names the first refused vote's place.
                let shown = e.to_string();
                prop_assert!(shown.starts_with(&format!("vote {}:", first_refused.unwrap())), "{}", shown);
                return Ok(());
            }
            (Err(e), None) => prop_assert!(false, "borrowed refused what the model records: {}", e),
            (Ok(_), Some(i)) => prop_assert!(false, "borrowed accepted vote {} the model refuses", i),
            (Ok(_), None) => {}
        }
        let borrowed = borrowed.unwrap().with_champion_view(MetricsView::borrowed(&champion_pairs).unwrap());
        for (name, policy) in policies() {
            let (model, _) = build(&votes, &metrics, submitter);
            let decided = model
                .decide(&policy, &DecisionContext::at(now).with_champion(Metrics::new(champion_pairs).unwrap()))
                .unwrap();
            prop_assert_eq!(policy.judge(&borrowed), decided.verdict().kind(), "{}", name);
            prop_assert_eq!(&policy.evaluate(&borrowed), decided.verdict(), "{}", name);
        }
    }

    #[test]
    fn metrics_a_model_refuses_a_view_refuses(
        pairs in prop::collection::vec(
            (
                prop::sample::select(&["accuracy", "rnse", "mse", "MSE", "latency_p99_ms", "acc\u{200b}", "", "ACCURACY", "accuracy "][..]),
                prop::sample::select(&[0.9, f64::NAN, f64::INFINITY, -0.0, f64::NEG_INFINITY, 1e308][..]),
            ),
            0..20,
        ),
    ) {
        let view = MetricsView::borrowed(&pairs);
        let built = Metrics::new(pairs.iter().copied());
        prop_assert_eq!(view.is_ok(), built.is_ok());
        if let (Err(a), Err(b)) = (&view, &built) {
            prop_assert_eq!(a.to_string(), b.to_string());
        }
        if let (Ok(v), Ok(m)) = (view, built) {
            for name in ["accuracy", "rnse", "mse", "MSE", "ACCURACY", "latency_p99_ms", "accuracу"] {
                prop_assert_eq!(v.get(name), m.get(name));
            }
        }
    }
}
