//! A decision from the host's own data, borrowed where it lies (`ReviewContext::borrowed`), is
//! the decision the typestate model makes from the same values recorded into it: the same
//! verdict, kind and findings, whatever the votes (superseded, tied in time, by look-alike ids,
//! past the 16 a scan counts), the metrics and the champion.
#![allow(clippy::unwrap_used)]

#[path = "common/w1.rs"]
mod w1;

use std::time::Duration;

use modelgate::policy::{ContextError, Subject};
use modelgate::value::{Ballot, Ballots, MetricsView, OutcomeError};
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

/// A context over `ballots` for a model alice submitted at 0, decided at 9 s.
fn submitted_by_alice<B: Ballots>(ballots: &B) -> ReviewContext<'_> {
    const METRICS: &[(&str, f64)] = &[("accuracy", 0.9)];
    let t = Timestamp::from_unix_secs;
    ReviewContext::borrowed(
        Subject::new(DIGEST, "alice", t(0)),
        MetricsView::borrowed(METRICS).unwrap(),
        ballots,
        t(9),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A round of review that began at `since`: the votes cast more than a minute before it are
    /// refused by both paths, naming the first; otherwise both decide alike.
    #[test]
    fn a_borrowed_decision_is_the_models(
        accuracy in 0.85..1.0f64,
        latency in 30.0..60.0f64,
        champion in 0.88..0.98f64,
        votes in prop::collection::vec(host_vote(), 0..24),
        since in 0..120u64,
    ) {
        let now = Timestamp::from_unix_secs(since.max(40) + 10);
        let since = Timestamp::from_unix_secs(since);
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
            Subject::new(DIGEST, "alice", since),
            MetricsView::borrowed(&metrics).unwrap(),
            &ballots,
            now,
        )
        .map(|ctx| ctx.with_champion_view(MetricsView::borrowed(&champion_pairs).unwrap()));

        for (name, policy) in policies() {
            let mut model = Model::new("fraud-detector", "1")
                .unwrap()
                .submit(
                    TrainingOutcome::new(DIGEST, Metrics::new(metrics).unwrap()).unwrap(),
                    "alice",
                    since,
                )
                .unwrap();
            let mut refused = None;
            for (i, (who, approves, roles, at)) in votes.iter().enumerate() {
                let vote = if *approves { Vote::Approve } else { Vote::Reject };
                let review = roles.iter().fold(
                    Review::new(who, vote, DIGEST, Timestamp::from_unix_secs(*at)),
                    |r, role| r.with_role(role),
                );
                if model.record(review).is_err() {
                    refused.get_or_insert(i);
                }
            }
            let borrowed = match &borrowed {
                Err(ContextError::BeforeRound { index, .. }) => {
                    prop_assert_eq!(refused, Some(*index), "{}", name);
                    continue;
                }
                Err(other) => return Err(TestCaseError::fail(format!("{name}: {other}"))),
                Ok(ctx) => ctx,
            };
            prop_assert_eq!(refused, None, "{}", name);
            let decided = model
                .decide(
                    &policy,
                    &DecisionContext::at(now).with_champion(Metrics::new(champion_pairs).unwrap()),
                )
                .unwrap();
            prop_assert_eq!(&policy.evaluate(borrowed), decided.verdict(), "{}", name);
            prop_assert_eq!(policy.judge(borrowed), decided.verdict().kind(), "{}", name);
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
    let ctx = submitted_by_alice(&ballots);
    let counted: Vec<(&str, Vote)> = ctx.votes().map(|b| (b.reviewer(), b.vote())).collect();
    assert_eq!(counted, [("b0b", Vote::Reject), ("carol", Vote::Reject)]);
}

#[test]
fn host_data_recording_would_refuse_is_refused_naming_the_field() {
    let t = Timestamp::from_unix_secs;
    let metrics = [("accuracy", 0.9)];
    let view = MetricsView::borrowed(&metrics).unwrap();
    let refuse = |digest: &str, ballots: &[Ballot<'_>]| {
        ReviewContext::borrowed(Subject::new(digest, "alice", t(0)), view, &ballots, t(9))
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
    let from: ContextError = metric(&[("accuracy", f64::NAN)]).into();
    assert!(matches!(from, ContextError::Metrics(_)));
}

/// What submitting would refuse of the subject is refused too (a padded submitter id would let
/// the submitter's own vote count), and so is a vote a model could not decide after, or a vote
/// the host's list says it has and does not give (it would not be counted, silently).
#[test]
fn the_subject_and_the_votes_times_are_checked_as_a_model_checks_them() {
    struct Lying<'a>(&'a [Ballot<'a>]);
    impl Ballots for Lying<'_> {
        fn len(&self) -> usize {
            self.0.len() + 1
        }
        fn get(&self, index: usize) -> Option<Ballot<'_>> {
            self.0.get(index).copied()
        }
    }
    let t = Timestamp::from_unix_secs;
    let metrics = [("accuracy", 0.9)];
    let view = MetricsView::borrowed(&metrics).unwrap();
    let lead = ["team_lead"];
    let votes = [
        Ballot::new("alice", Vote::Approve, t(1)).with_roles(&lead),
        Ballot::new("bob", Vote::Approve, t(2)),
    ];
    let refuse = |submitter: &str, attempt: u32, votes: &dyn Ballots, now: u64| {
        let subject = Subject::new(DIGEST, submitter, t(0)).with_attempt(attempt);
        ReviewContext::borrowed(subject, view, votes, t(now))
            .unwrap_err()
            .to_string()
    };
    insta::assert_snapshot!(
        "subject_refused",
        [
            refuse("alice ", 1, &votes, 9),
            refuse("", 1, &votes, 9),
            refuse("alice", 0, &votes, 9),
            refuse("alice", 1, &votes, 1),
            refuse("alice", 1, &Lying(&votes), 9),
            {
                let subject = Subject::new(DIGEST, "alice", t(100));
                ReviewContext::borrowed(subject, view, &votes, t(99))
                    .unwrap_err()
                    .to_string()
            },
            {
                let subject = Subject::new(DIGEST, "alice", t(100));
                ReviewContext::borrowed(subject, view, &votes, t(200))
                    .unwrap_err()
                    .to_string()
            },
            {
                let review = Review::approve("bob", "sha256:another", t(1));
                let votes = [Ballot::from(&review)];
                let subject = Subject::new(DIGEST, "alice", t(0));
                ReviewContext::borrowed(subject, view, &votes, t(9))
                    .unwrap_err()
                    .to_string()
            },
        ]
        .join("\n")
    );
    // At `now` exactly, as a model decides at its last event's time.
    let subject = Subject::new(DIGEST, "alice", t(0));
    assert!(ReviewContext::borrowed(subject, view, &votes, t(2)).is_ok());
}

/// A host's roles in any of the forms it holds them read alike.
#[test]
fn a_role_borrowed_from_a_str_a_slice_or_strings_is_one_role() {
    let t = Timestamp::from_unix_secs;
    let owned = vec![String::from("team_lead"), String::from("ml_reviewer")];
    let strs = ["team_lead", "ml_reviewer"];
    let ballots = [
        Ballot::new("bob", Vote::Approve, t(1)).with_role(owned.first().unwrap()),
        Ballot::new("bob", Vote::Approve, t(1)).with_roles(&strs),
        Ballot::new("bob", Vote::Approve, t(1)).with_owned_roles(&owned),
    ];
    for b in &ballots {
        assert!(b.has_role("team_lead") && b.has_role("Team_Lead"));
        assert_eq!(b.roles().next(), Some("team_lead"));
    }
    assert_eq!(ballots[0].roles().len(), 1);
    assert!(!ballots[0].has_role("ml_reviewer"));
    assert_eq!(
        ballots[2].roles().collect::<Vec<_>>(),
        ballots[1].roles().collect::<Vec<_>>()
    );
    assert_eq!(ballots[2].roles().len(), 2);
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
    let ctx = submitted_by_alice(&ballots);
    assert_eq!(Quorum::new(2).judge(&ctx), modelgate::VerdictKind::Pending);
}

/// The votes a context counts are the ones it checked: a host list that grows after the check
/// (past 16 votes, where the latest votes are found on each look) adds nothing unchecked, and a
/// list whose `len` claims far more than it holds is refused at once, not walked.
#[test]
fn a_host_list_is_counted_as_it_was_checked() {
    use std::cell::Cell;
    struct Growing<'a> {
        votes: &'a [Ballot<'a>],
        shown: Cell<usize>,
    }
    impl Ballots for Growing<'_> {
        fn len(&self) -> usize {
            self.shown.get()
        }
        fn get(&self, index: usize) -> Option<Ballot<'_>> {
            self.votes.get(index).copied()
        }
    }
    struct Claims<'a>(&'a [Ballot<'a>]);
    impl Ballots for Claims<'_> {
        fn len(&self) -> usize {
            usize::MAX
        }
        fn get(&self, index: usize) -> Option<Ballot<'_>> {
            self.0.get(index).copied()
        }
    }
    let t = Timestamp::from_unix_secs;
    let ids: Vec<String> = (0..17).map(|i| format!("reviewer-{i}")).collect();
    let mut votes: Vec<Ballot<'_>> = ids
        .iter()
        .map(|id| Ballot::new(id, Vote::Approve, t(1)))
        .collect();
    votes.push(Ballot::new("mallory\u{200b}", Vote::Approve, t(1)));
    let metrics = [("accuracy", 0.9)];
    let view = MetricsView::borrowed(&metrics).unwrap();
    let growing = Growing {
        votes: &votes,
        shown: Cell::new(17),
    };
    let subject = Subject::new(DIGEST, "alice", t(0));
    let ctx = ReviewContext::borrowed(subject, view, &growing, t(9)).unwrap();
    growing.shown.set(18);
    assert_eq!(ctx.votes().count(), 17);
    assert_eq!(Quorum::new(18).judge(&ctx), modelgate::VerdictKind::Pending);

    let claims = Claims(votes.split_at(2).0);
    assert!(matches!(
        ReviewContext::borrowed(subject, view, &claims, t(9)),
        Err(ContextError::MissingVote { index: 2, .. })
    ));
}
