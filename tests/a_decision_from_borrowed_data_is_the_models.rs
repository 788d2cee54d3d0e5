//! A decision from the host's own data, borrowed where it lies (`ReviewContext::borrowed`), is
//! the decision the typestate model makes from the same values recorded into it: the same
//! verdict, kind and findings, whatever the votes (superseded, tied in time, by look-alike ids,
//! past the 16 a scan counts), the metrics and the champion.
#![allow(clippy::unwrap_used)]

#[path = "common/w1.rs"]
mod w1;

use std::time::Duration;

use modelgate::policy::ContextError;
use modelgate::value::{Ballot, MetricsView, OutcomeError};
use modelgate::{
    DecisionContext, DistinctRoles, Excluding, Fresh, Metrics, Model, Policy, PolicyExt, Quorum,
    RequiredRole, Review, ReviewContext, Timestamp, TrainingOutcome, Veto, Vote,
};
use proptest::prelude::*;

const DIGEST: &str = "sha256:borrowed";
const IDS: [&str; 9] = [
    "alice", "alıce", "bob", "b0b", "carol", "dave", "erin", "frank", "grace",
];
const ROLES: [&str; 5] = [
    "team_lead",
    "ml_reviewer",
    "intern",
    "risk_officer",
    "team_Iead",
];

/// One vote as the host keeps it: (reviewer, approves, roles, seconds).
type HostVote = (String, bool, Vec<&'static str>, u64);

fn host_vote() -> impl Strategy<Value = HostVote> {
    let reviewer = prop_oneof![
        3 => prop::sample::select(&IDS[..]).prop_map(str::to_owned),
        1 => (0..30u32).prop_map(|i| format!("reviewer-{i}")),
    ];
    (
        reviewer,
        any::<bool>(),
        prop::sample::subsequence(&ROLES[..], 0..3),
        10..40u64,
    )
}

fn policies() -> Vec<(&'static str, Box<dyn Policy>)> {
    vec![
        ("w1", Box::new(w1::policy())),
        (
            "duties and vetoes",
            Box::new((
                Veto::new().eligible_roles(["risk_officer"]),
                Quorum::new(3).eligible_ids(["bob", "carol", "erin", "reviewer-3"]),
                DistinctRoles::new(2, ["team_lead", "ml_reviewer", "risk_officer"]),
            )),
        ),
        (
            "fresh, excluding",
            Box::new(Fresh::within(
                Duration::from_secs(15),
                Excluding::roles(
                    ["intern"],
                    Quorum::new(2).and(RequiredRole::new("team_lead")),
                ),
            )),
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_borrowed_decision_is_the_models(
        accuracy in 0.85..1.0f64,
        latency in 30.0..60.0f64,
        champion in 0.88..0.98f64,
        votes in prop::collection::vec(host_vote(), 0..24),
    ) {
        let now = Timestamp::from_unix_secs(50);
        let metrics = [("accuracy", accuracy), ("latency_p99_ms", latency)];
        let champion_pairs = [("accuracy", champion)];
        let ballots: Vec<Ballot<'_>> = votes
            .iter()
            .map(|(who, approves, roles, at)| {
                let vote = if *approves { Vote::Approve } else { Vote::Reject };
                Ballot::new(who, vote, Timestamp::from_unix_secs(*at)).with_roles(roles)
            })
            .collect();
        let borrowed = ReviewContext::borrowed(
            DIGEST,
            MetricsView::borrowed(&metrics).unwrap(),
            &ballots,
            "alice",
            1,
            now,
        )
        .unwrap()
        .with_champion_view(MetricsView::borrowed(&champion_pairs).unwrap());

        for (name, policy) in policies() {
            let mut model = Model::new("fraud-detector", "1")
                .unwrap()
                .submit(
                    TrainingOutcome::new(DIGEST, Metrics::new(metrics).unwrap()).unwrap(),
                    "alice",
                    Timestamp::from_unix_secs(10),
                )
                .unwrap();
            for (who, approves, roles, at) in &votes {
                let vote = if *approves { Vote::Approve } else { Vote::Reject };
                let review = roles.iter().fold(
                    Review::new(who, vote, DIGEST, Timestamp::from_unix_secs(*at)),
                    |r, role| r.with_role(role),
                );
                model.record(review).unwrap();
            }
            let decided = model
                .decide(
                    &policy,
                    &DecisionContext::at(now).with_champion(Metrics::new(champion_pairs).unwrap()),
                )
                .unwrap();
            prop_assert_eq!(&policy.evaluate(&borrowed), decided.verdict(), "{}", name);
            prop_assert_eq!(policy.judge(&borrowed), decided.verdict().kind(), "{}", name);
        }
    }
}

#[test]
fn the_latest_vote_of_each_reviewer_counts_in_the_order_they_first_voted() {
    let t = Timestamp::from_unix_secs;
    let ballots = [
        Ballot::new("bob", Vote::Approve, t(5)),
        Ballot::new("carol", Vote::Approve, t(2)),
        Ballot::new("bob", Vote::Reject, t(3)), // earlier by bob's clock: does not replace
        Ballot::new("carol", Vote::Reject, t(2)), // a tie: the later one counts
        Ballot::new("b0b", Vote::Reject, t(5)), // bob by identity, a tie: counts
    ];
    let metrics = [("accuracy", 0.9)];
    let ctx = ReviewContext::borrowed(
        DIGEST,
        MetricsView::borrowed(&metrics).unwrap(),
        &ballots,
        "alice",
        1,
        t(9),
    )
    .unwrap();
    let counted: Vec<(&str, Vote)> = ctx.votes().map(|b| (b.reviewer(), b.vote())).collect();
    assert_eq!(counted, [("b0b", Vote::Reject), ("carol", Vote::Reject)]);
}

#[test]
fn host_data_recording_would_refuse_is_refused_naming_the_field() {
    let t = Timestamp::from_unix_secs;
    let metrics = [("accuracy", 0.9)];
    let view = MetricsView::borrowed(&metrics).unwrap();
    let refuse = |digest: &str, ballots: &[Ballot<'_>]| {
        ReviewContext::borrowed(digest, view, &ballots, "alice", 1, t(9))
            .unwrap_err()
            .to_string()
    };
    let spaced = ["team lead\u{200b}"];
    let long = "x".repeat(5_000);
    insta::assert_snapshot!(
        [
            refuse("", &[]),
            refuse(DIGEST, &[Ballot::new("alice\u{200b}", Vote::Approve, t(1))]),
            refuse(
                DIGEST,
                &[
                    Ballot::new("bob", Vote::Approve, t(1)),
                    Ballot::new("carol", Vote::Approve, t(1)).with_roles(&spaced),
                ]
            ),
            refuse(
                DIGEST,
                &[Ballot::new("bob", Vote::Approve, t(1)).with_comment(&long)]
            ),
        ]
        .join("\n")
    );
    let metric = |pairs: &[(&str, f64)]| MetricsView::borrowed(pairs).unwrap_err();
    assert!(matches!(
        metric(&[("accuracy", f64::NAN)]),
        OutcomeError::NonFinite { .. }
    ));
    assert!(matches!(
        metric(&[("accuracy", 0.9), ("accuracу", 0.99)]),
        OutcomeError::MetricName(_) | OutcomeError::DuplicateMetric { .. }
    ));
    assert!(matches!(
        metric(&[("rnse", 0.1), ("mse", 0.2)]),
        OutcomeError::DuplicateMetric { .. }
    ));
    insta::assert_snapshot!(
        "metrics_refused",
        [
            metric(&[("accuracy", f64::INFINITY)]).to_string(),
            metric(&[("rnse", 0.1), ("mse", 0.2)]).to_string(),
            metric(&[("", 0.1)]).to_string(),
        ]
        .join("\n")
    );
    let _: fn(OutcomeError) -> ContextError = ContextError::Metrics;
}

/// The submitter's look-alike approving their own model counts no more from borrowed data than
/// from a model: `alıce` is `alice`.
#[test]
fn a_submitters_look_alike_never_approves_their_own_model() {
    let t = Timestamp::from_unix_secs;
    let lead = ["team_lead"];
    let ballots = [
        Ballot::new("alıce", Vote::Approve, t(1)).with_roles(&lead),
        Ballot::new("bob", Vote::Approve, t(2)).with_roles(&lead),
    ];
    let metrics = [("accuracy", 0.9)];
    let ctx = ReviewContext::borrowed(
        DIGEST,
        MetricsView::borrowed(&metrics).unwrap(),
        &ballots,
        "alice",
        1,
        t(9),
    )
    .unwrap();
    assert_eq!(Quorum::new(2).judge(&ctx), modelgate::VerdictKind::Pending);
}
