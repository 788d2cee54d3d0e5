//! A deliberately naive reference evaluator over plain data, and the properties that tie the
//! real policies to it: every built-in and random combinations of them agree with the reference
//! on random inputs (duplicate voters, self-votes, boundary values, missing metrics, stale
//! votes, vetoes, promotions with and without evidence); the algebra laws hold; one more approval never lowers a monotone policy.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::time::Duration;

use modelgate::policy::{Comparison, OnlineMetric, Soak};
use modelgate::value::CountedVotes;
use modelgate::value::Promotion;
use modelgate::{
    Fresh, MetricGate, Metrics, NoRegression, Policy, PolicyExt, Quorum, RequiredRole, Review,
    ReviewContext, Timestamp, TrainingOutcome, VerdictKind, Veto, Vote, all, any as any_of, not,
    when,
};
use proptest::prelude::*;

const PEOPLE: [&str; 5] = ["alice", "bob", "carol", "dave", "erin"];
const ROLES: [&str; 3] = ["team_lead", "ml_reviewer", "security"];
const METRICS: [&str; 3] = ["accuracy", "latency", "recall"];
const THRESHOLDS: [f64; 5] = [0.5, 0.9, 0.95, 0.97, 50.0];

// ---------------------------------------------------------------------------------------------
// Plain data and the naive evaluator. Verdicts are numbers: -1 reject, 0 pending, 1 approve.

#[derive(Clone, Debug)]
struct RawVote {
    who: &'static str,
    roles: Vec<&'static str>,
    approve: bool,
    at: u64,
}

#[derive(Clone, Debug)]
struct Data {
    metrics: Vec<(&'static str, f64)>,
    champion: Option<Vec<(&'static str, f64)>>,
    /// Every vote in the order cast, duplicates included.
    votes: Vec<RawVote>,
    submitter: &'static str,
    now: u64,
    /// Evidence of a promotion: how long it ran before it was observed, and online metrics.
    promotion: Option<(u64, Vec<(&'static str, f64)>)>,
}

/// When the evidence of a promotion was observed.
const OBSERVED: u64 = 90;

#[derive(Clone, Debug)]
enum Rule {
    Gate(&'static str, Comparison, f64),
    Champion {
        metric: &'static str,
        higher: bool,
        absolute: bool,
        tolerance: f64,
    },
    Quorum {
        n: usize,
        ids: Vec<&'static str>,
        roles: Vec<&'static str>,
    },
    Role(&'static str),
    Veto {
        ids: Vec<&'static str>,
        roles: Vec<&'static str>,
    },
    Fresh(u64, Box<Rule>),
    Soak(u64),
    Online(&'static str, Comparison, f64),
    All(Vec<Rule>),
    Any(Vec<Rule>),
    Not(Box<Rule>),
    When(Box<Rule>, Box<Rule>, Box<Rule>),
    Auto(Box<Rule>, Box<Rule>),
}

fn lookup(pairs: &[(&'static str, f64)], name: &str) -> Option<f64> {
    let mut found = None;
    for (k, v) in pairs {
        if *k == name {
            found = Some(*v);
        }
    }
    found
}

/// The latest vote of each reviewer at or after `since`: scan every vote, keep the last per name.
fn latest(data: &Data, since: u64) -> Vec<RawVote> {
    let mut out: Vec<RawVote> = Vec::new();
    for v in &data.votes {
        out.retain(|o| o.who != v.who);
        out.push(v.clone());
    }
    out.into_iter().filter(|v| v.at >= since).collect()
}

fn eligible(v: &RawVote, ids: &[&str], roles: &[&str]) -> bool {
    if ids.is_empty() && roles.is_empty() {
        return true;
    }
    ids.contains(&v.who) || v.roles.iter().any(|r| roles.contains(r))
}

/// A metric against a threshold; a missing metric rejects.
fn compare(value: Option<f64>, op: Comparison, t: f64) -> i8 {
    let Some(v) = value else {
        return -1;
    };
    // Decimal boundaries are inclusive: within 8 ulps counts as equal.
    let same = (v - t).abs() <= 8.0 * f64::EPSILON * v.abs().max(t.abs());
    let ok = match op {
        Comparison::AtLeast => v >= t || same,
        Comparison::AtMost => v <= t || same,
        Comparison::Above => v > t && !same,
        Comparison::Below => v < t && !same,
    };
    if ok { 1 } else { -1 }
}

fn naive(rule: &Rule, d: &Data, since: u64) -> i8 {
    match rule {
        Rule::Gate(metric, op, t) => compare(lookup(&d.metrics, metric), *op, *t),
        Rule::Online(metric, op, t) => compare(
            d.promotion
                .as_ref()
                .and_then(|(_, online)| lookup(online, metric)),
            *op,
            *t,
        ),
        Rule::Soak(secs) => match &d.promotion {
            Some((ran, _)) if ran >= secs => 1,
            _ => -1,
        },
        Rule::Champion {
            metric,
            higher,
            absolute,
            tolerance,
        } => {
            let Some(v) = lookup(&d.metrics, metric) else {
                return -1;
            };
            let Some(c) = d.champion.as_ref().and_then(|c| lookup(c, metric)) else {
                return 1;
            };
            let slack = if *absolute {
                *tolerance
            } else {
                c.abs() * tolerance
            };
            let bound = if *higher { c - slack } else { c + slack };
            let scale = v.abs().max(c.abs()).max(slack.abs());
            let same = (v - bound).abs() <= 8.0 * f64::EPSILON * scale;
            let ok = same || if *higher { v >= bound } else { v <= bound };
            if ok { 1 } else { -1 }
        }
        Rule::Quorum { n, ids, roles } => {
            let mut names: Vec<&str> = latest(d, since)
                .iter()
                .filter(|v| v.approve && v.who != d.submitter && eligible(v, ids, roles))
                .map(|v| v.who)
                .collect();
            names.sort();
            names.dedup();
            if names.len() >= *n { 1 } else { 0 }
        }
        Rule::Role(role) => {
            let found = latest(d, since)
                .iter()
                .any(|v| v.approve && v.who != d.submitter && v.roles.contains(role));
            if found { 1 } else { 0 }
        }
        Rule::Veto { ids, roles } => {
            let vetoed = latest(d, since)
                .iter()
                .any(|v| !v.approve && v.who != d.submitter && eligible(v, ids, roles));
            if vetoed { -1 } else { 1 }
        }
        Rule::Fresh(secs, inner) => naive(inner, d, since.max(d.now.saturating_sub(*secs))),
        Rule::All(rules) => rules.iter().map(|r| naive(r, d, since)).min().unwrap_or(1),
        Rule::Any(rules) => rules.iter().map(|r| naive(r, d, since)).max().unwrap_or(-1),
        Rule::Not(inner) => -naive(inner, d, since),
        Rule::When(c, a, b) => {
            if naive(c, d, since) == 1 {
                naive(a, d, since)
            } else {
                naive(b, d, since)
            }
        }
        Rule::Auto(c, b) => {
            if naive(c, d, since) == 1 {
                1
            } else {
                naive(b, d, since)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The same rules built with the library.

fn build(rule: &Rule) -> Box<dyn Policy> {
    match rule {
        Rule::Gate(metric, op, t) => Box::new(MetricGate::new(*metric, *op, *t)),
        Rule::Champion {
            metric,
            higher,
            absolute,
            tolerance,
        } => {
            let r = if *higher {
                NoRegression::higher_is_better(*metric)
            } else {
                NoRegression::lower_is_better(*metric)
            };
            Box::new(if *absolute {
                r.absolute(*tolerance)
            } else {
                r.relative(*tolerance)
            })
        }
        Rule::Quorum { n, ids, roles } => Box::new(
            Quorum::new(*n)
                .eligible_ids(ids.clone())
                .eligible_roles(roles.clone()),
        ),
        Rule::Role(role) => Box::new(RequiredRole::new(*role)),
        Rule::Veto { ids, roles } => Box::new(
            Veto::new()
                .eligible_ids(ids.clone())
                .eligible_roles(roles.clone()),
        ),
        Rule::Fresh(secs, inner) => {
            Box::new(Fresh::within(Duration::from_secs(*secs), build(inner)))
        }
        Rule::Soak(secs) => Box::new(Soak::at_least(Duration::from_secs(*secs))),
        Rule::Online(metric, op, t) => Box::new(OnlineMetric::new(*metric, *op, *t)),
        Rule::All(rules) => Box::new(all(rules.iter().map(build))),
        Rule::Any(rules) => Box::new(any_of(rules.iter().map(build))),
        Rule::Not(inner) => Box::new(not(build(inner))),
        Rule::When(c, a, b) => Box::new(when(build(c)).then(build(a)).otherwise(build(b))),
        Rule::Auto(c, b) => Box::new(when(build(c)).approve_automatically().otherwise(build(b))),
    }
}

struct Built {
    outcome: TrainingOutcome,
    champion: Option<Metrics>,
    votes: CountedVotes,
    promotion: Option<Promotion>,
}

fn built(d: &Data) -> Built {
    let outcome =
        TrainingOutcome::new("sha256:ref", Metrics::new(d.metrics.clone()).unwrap()).unwrap();
    let champion = d.champion.clone().map(|c| Metrics::new(c).unwrap());
    let votes = d
        .votes
        .iter()
        .map(|v| {
            let vote = if v.approve {
                Vote::Approve
            } else {
                Vote::Reject
            };
            let review = Review::new(v.who, vote, "sha256:ref", Timestamp::from_unix_secs(v.at));
            v.roles.iter().fold(review, |r, role| r.with_role(*role))
        })
        .collect();
    // Evidence as a host's stored record carries it.
    let promotion = d.promotion.as_ref().map(|(ran, online)| {
        let online: serde_json::Map<String, serde_json::Value> = online
            .iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::json!(v)))
            .collect();
        serde_json::from_value(serde_json::json!({
            "from": "staging",
            "deployment": "07".repeat(32),
            "deployed_at": (OBSERVED - ran) * 1000,
            "online": online,
            "observed_at": OBSERVED * 1000,
        }))
        .unwrap()
    });
    Built {
        outcome,
        champion,
        votes,
        promotion,
    }
}

fn context<'a>(b: &'a Built, d: &'a Data) -> ReviewContext<'a> {
    ReviewContext::new(
        &b.outcome,
        &b.votes,
        d.submitter,
        1,
        Timestamp::from_unix_secs(d.now),
    )
    .with_champion(b.champion.as_ref())
    .with_promotion(b.promotion.as_ref())
}

fn kind(k: VerdictKind) -> i8 {
    match k {
        VerdictKind::Reject => -1,
        VerdictKind::Pending => 0,
        VerdictKind::Approve => 1,
    }
}

fn real(policy: &dyn Policy, d: &Data) -> i8 {
    let b = built(d);
    let ctx = context(&b, d);
    let verdict = policy.evaluate(&ctx);
    assert_eq!(
        policy.judge(&ctx),
        verdict.kind(),
        "judge agrees with evaluate for {}",
        policy.name()
    );
    assert!(
        !verdict.findings().is_empty(),
        "{} explains its verdict",
        policy.name()
    );
    kind(verdict.kind())
}

// ---------------------------------------------------------------------------------------------
// Strategies.

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        prop::sample::select(THRESHOLDS.to_vec()),
        0.0..1.0f64,
        0.0..100.0f64
    ]
}

fn pairs() -> impl Strategy<Value = Vec<(&'static str, f64)>> {
    prop::collection::btree_map(prop::sample::select(METRICS.to_vec()), value(), 0..=3)
        .prop_map(|m| m.into_iter().collect())
}

fn data() -> impl Strategy<Value = Data> {
    let vote = (
        prop::sample::select(PEOPLE.to_vec()),
        prop::sample::subsequence(ROLES.to_vec(), 0..=2),
        any::<bool>(),
        0..100u64,
    )
        .prop_map(|(who, roles, approve, at)| RawVote {
            who,
            roles,
            approve,
            at,
        });
    (
        pairs(),
        prop::option::of(pairs()),
        prop::collection::vec(vote, 0..10),
        prop::sample::select(PEOPLE[..2].to_vec()),
        prop::option::of((prop::sample::select(vec![0u64, 9, 10, 11, 90]), pairs())),
    )
        .prop_map(|(metrics, champion, mut votes, submitter, promotion)| {
            votes.sort_by_key(|v| v.at);
            Data {
                metrics,
                champion,
                votes,
                submitter,
                now: 100,
                promotion,
            }
        })
}

fn ids() -> impl Strategy<Value = Vec<&'static str>> {
    prop::sample::subsequence(PEOPLE.to_vec(), 0..=3)
}

fn roles() -> impl Strategy<Value = Vec<&'static str>> {
    prop::sample::subsequence(ROLES.to_vec(), 0..=2)
}

fn metric_leaf() -> impl Strategy<Value = Rule> {
    let ops = prop::sample::select(vec![
        Comparison::AtLeast,
        Comparison::AtMost,
        Comparison::Above,
        Comparison::Below,
    ]);
    prop_oneof![
        (prop::sample::select(METRICS.to_vec()), ops.clone(), value())
            .prop_map(|(m, op, t)| Rule::Gate(m, op, t)),
        (
            prop::sample::select(METRICS.to_vec()),
            any::<bool>(),
            any::<bool>(),
            prop::sample::select(vec![0.0, 0.005, 0.1])
        )
            .prop_map(|(metric, higher, absolute, tolerance)| Rule::Champion {
                metric,
                higher,
                absolute,
                tolerance
            }),
        (prop::sample::select(METRICS.to_vec()), ops.clone(), value())
            .prop_map(|(m, op, t)| Rule::Online(m, op, t)),
        prop::sample::select(vec![0u64, 10, 50]).prop_map(Rule::Soak),
    ]
}

/// Leaves whose verdict never drops when an approval is added.
fn monotone_leaf() -> impl Strategy<Value = Rule> {
    prop_oneof![
        metric_leaf(),
        (0..4usize, ids(), roles()).prop_map(|(n, ids, roles)| Rule::Quorum { n, ids, roles }),
        prop::sample::select(ROLES.to_vec()).prop_map(Rule::Role),
    ]
}

fn leaf() -> impl Strategy<Value = Rule> {
    prop_oneof![
        3 => monotone_leaf(),
        1 => (ids(), roles()).prop_map(|(ids, roles)| Rule::Veto { ids, roles }),
    ]
}

fn rule() -> impl Strategy<Value = Rule> {
    leaf().prop_recursive(3, 24, 3, |inner| {
        let boxed = || inner.clone().prop_map(Box::new);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Rule::All),
            prop::collection::vec(inner.clone(), 0..3).prop_map(Rule::Any),
            boxed().prop_map(Rule::Not),
            (prop::sample::select(vec![0u64, 10, 50, 200]), boxed())
                .prop_map(|(s, r)| Rule::Fresh(s, r)),
            (boxed(), boxed(), boxed()).prop_map(|(c, a, b)| Rule::When(c, a, b)),
            (boxed(), boxed()).prop_map(|(c, b)| Rule::Auto(c, b)),
        ]
    })
}

/// Combinations without veto, vote window or `not`, with conditions on metrics only.
fn monotone_rule() -> impl Strategy<Value = Rule> {
    monotone_leaf().prop_recursive(3, 24, 3, |inner| {
        let boxed = || inner.clone().prop_map(Box::new);
        let condition = || metric_leaf().prop_map(Box::new);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Rule::All),
            prop::collection::vec(inner.clone(), 0..3).prop_map(Rule::Any),
            (condition(), boxed(), boxed()).prop_map(|(c, a, b)| Rule::When(c, a, b)),
            (condition(), boxed()).prop_map(|(c, b)| Rule::Auto(c, b)),
        ]
    })
}

// ---------------------------------------------------------------------------------------------
// Properties.

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn policies_agree_with_the_reference(rule in rule(), d in data()) {
        prop_assert_eq!(real(&*build(&rule), &d), naive(&rule, &d, 0), "{:?}", rule);
    }

    #[test]
    fn all_and_any_are_commutative_and_associative(p in rule(), q in rule(), r in rule(), d in data()) {
        let (p, q, r) = (build(&p), build(&q), build(&r));
        prop_assert_eq!(real(&all([&p, &q]), &d), real(&all([&q, &p]), &d));
        prop_assert_eq!(real(&any_of([&p, &q]), &d), real(&any_of([&q, &p]), &d));
        prop_assert_eq!(real(&all([all([&p, &q]), all([&r])]), &d), real(&all([all([&p]), all([&q, &r])]), &d));
        prop_assert_eq!(real(&any_of([any_of([&p, &q]), any_of([&r])]), &d), real(&any_of([any_of([&p]), any_of([&q, &r])]), &d));
        // Tuples, `and` and `or` are the same algebra.
        prop_assert_eq!(real(&(&p, &q), &d), real(&all([&p, &q]), &d));
        prop_assert_eq!(real(&(&p).and(&q), &d), real(&all([&p, &q]), &d));
        prop_assert_eq!(real(&(&p).or(&q), &d), real(&any_of([&p, &q]), &d));
    }

    #[test]
    fn identities_and_double_negation(p in rule(), d in data()) {
        let p = build(&p);
        let none: [&dyn Policy; 0] = [];
        prop_assert_eq!(real(&all(none), &d), 1);
        prop_assert_eq!(real(&any_of(none), &d), -1);
        prop_assert_eq!(real(&all([&p]), &d), real(&p, &d));
        prop_assert_eq!(real(&any_of([&p]), &d), real(&p, &d));
        let b = built(&d);
        let ctx = context(&b, &d);
        let (twice, once) = (not(not(&p)).evaluate(&ctx), p.evaluate(&ctx));
        prop_assert_eq!(format!("{:?}", twice.findings()), format!("{:?}", once.findings()));
        prop_assert_eq!(not(not(&p)).judge(&ctx), p.judge(&ctx));
    }

    #[test]
    fn one_more_approval_never_lowers_a_monotone_policy(
        rule in monotone_rule(),
        d in data(),
        roles in roles(),
    ) {
        let policy = build(&rule);
        let before = real(&policy, &d);
        let mut more = d.clone();
        more.votes.push(RawVote { who: "zed", roles, approve: true, at: d.now });
        prop_assert!(real(&policy, &more) >= before, "{:?}", rule);
    }
}

#[test]
fn the_reference_agrees_on_the_seed_examples() {
    let d = Data {
        metrics: vec![("accuracy", 0.93)],
        champion: Some(vec![("accuracy", 0.935)]),
        votes: vec![
            RawVote {
                who: "alice",
                roles: vec![],
                approve: true,
                at: 1,
            },
            RawVote {
                who: "bob",
                roles: vec!["team_lead"],
                approve: true,
                at: 2,
            },
        ],
        submitter: "alice",
        now: 100,
        promotion: None,
    };
    let rules = [
        (
            Rule::Quorum {
                n: 2,
                ids: vec![],
                roles: vec![],
            },
            0,
        ),
        (
            Rule::Quorum {
                n: 1,
                ids: vec![],
                roles: vec!["team_lead"],
            },
            1,
        ),
        (
            Rule::Champion {
                metric: "accuracy",
                higher: true,
                absolute: true,
                tolerance: 0.005,
            },
            1,
        ),
        (
            Rule::Champion {
                metric: "accuracy",
                higher: true,
                absolute: true,
                tolerance: 0.004,
            },
            -1,
        ),
        (
            Rule::Fresh(
                50,
                Box::new(Rule::Quorum {
                    n: 1,
                    ids: vec![],
                    roles: vec![],
                }),
            ),
            0,
        ),
        (
            Rule::Auto(
                Box::new(Rule::Gate("accuracy", Comparison::Above, 0.9)),
                Box::new(Rule::Not(Box::new(Rule::All(vec![])))),
            ),
            1,
        ),
    ];
    for (rule, expected) in rules {
        assert_eq!(naive(&rule, &d, 0), expected, "{rule:?}");
        assert_eq!(real(&*build(&rule), &d), expected, "{rule:?}");
    }
}
