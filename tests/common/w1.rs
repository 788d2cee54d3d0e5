//! Workload W1 of the policy benchmarks, shared by `benches/policy.rs` and `tests/alloc.rs`.
//!
//! Metrics accuracy and latency_p99_ms, and the champion's accuracy. Rule: accuracy ≥ 0.90,
//! latency_p99_ms ≤ 50, accuracy ≥ champion − 0.005 (else reject); accuracy > 0.97 approves
//! automatically; else approve when ≥ 2 distinct eligible approvers (roles team_lead or
//! ml_reviewer, the submitter excluded) include a team_lead; else pending.
#![allow(dead_code, clippy::unwrap_used)]

use modelgate::policy::Subject;
use modelgate::value::{Ballot, Ballots, CountedVotes, MetricsView};
use modelgate::{
    DecisionContext, MetricGate, Metrics, Model, NoRegression, Policy, Quorum, RequiredRole,
    Review, ReviewContext, Timestamp, TrainingOutcome, VerdictKind, Vote, when,
};

pub const DIGEST: &str = "sha256:w1";
pub const SUBMITTER: &str = "alice";

/// W1 written with the library's built-in rules.
pub fn policy() -> impl Policy {
    (
        MetricGate::at_least("accuracy", 0.90),
        MetricGate::at_most("latency_p99_ms", 50.0),
        NoRegression::higher_is_better("accuracy").absolute(0.005),
        when(MetricGate::above("accuracy", 0.97))
            .approve_automatically()
            .otherwise((
                Quorum::new(2).eligible_roles(["team_lead", "ml_reviewer"]),
                RequiredRole::new("team_lead"),
            )),
    )
}

/// W1 written by hand over the same inputs: no explanations.
pub fn baseline(
    metrics: &Metrics,
    champion: &Metrics,
    votes: &CountedVotes,
    submitter: &str,
) -> VerdictKind {
    let (Some(accuracy), Some(latency)) = (metrics.get("accuracy"), metrics.get("latency_p99_ms"))
    else {
        return VerdictKind::Reject;
    };
    let floor = champion
        .get("accuracy")
        .map_or(f64::NEG_INFINITY, |c| c - 0.005);
    if accuracy < 0.90 || latency > 50.0 || accuracy < floor {
        return VerdictKind::Reject;
    }
    if accuracy > 0.97 {
        return VerdictKind::Approve;
    }
    let (mut approvers, mut lead) = (0, false);
    for v in votes {
        if v.vote() == Vote::Approve && !v.is_by(submitter) {
            let is_lead = v.has_role("team_lead");
            if is_lead || v.has_role("ml_reviewer") {
                approvers += 1;
                lead |= is_lead;
            }
        }
    }
    if approvers >= 2 && lead {
        VerdictKind::Approve
    } else {
        VerdictKind::Pending
    }
}

/// One W1 case: its outcome, champion and counted votes.
pub struct Case {
    pub outcome: TrainingOutcome,
    pub champion: Metrics,
    pub votes: CountedVotes,
}

impl Case {
    pub fn context(&self) -> ReviewContext<'_> {
        ReviewContext::new(
            &self.outcome,
            &self.votes,
            SUBMITTER,
            1,
            Timestamp::from_unix_secs(1_000),
        )
        .with_champion(&self.champion)
    }

    pub fn baseline(&self) -> VerdictKind {
        baseline(
            self.outcome.metrics(),
            &self.champion,
            &self.votes,
            SUBMITTER,
        )
    }
}

fn case(accuracy: f64, votes: impl IntoIterator<Item = Review>) -> Case {
    Case {
        outcome: TrainingOutcome::new(
            DIGEST,
            Metrics::new([("accuracy", accuracy), ("latency_p99_ms", 42.0)]).unwrap(),
        )
        .unwrap(),
        champion: Metrics::new([("accuracy", 0.93)]).unwrap(),
        votes: votes.into_iter().collect(),
    }
}

fn vote(who: &str, vote: Vote, at: u64, role: &str) -> Review {
    Review::new(who, vote, DIGEST, Timestamp::from_unix_secs(at)).with_role(role)
}

/// (a) Two approvals, one by a team lead: approve.
pub fn case_a() -> Case {
    case(
        0.94,
        [
            vote("bob", Vote::Approve, 1, "team_lead"),
            vote("carol", Vote::Approve, 2, "ml_reviewer"),
        ],
    )
}

/// (b) Accuracy below the gate: reject on metrics.
pub fn case_b() -> Case {
    case(
        0.85,
        [
            vote("bob", Vote::Approve, 1, "team_lead"),
            vote("carol", Vote::Approve, 2, "ml_reviewer"),
        ],
    )
}

/// (c) Eight votes with duplicates and a self-vote; the latest of each counts: approve.
pub fn case_c() -> Case {
    case(
        0.94,
        [
            vote("bob", Vote::Reject, 1, "team_lead"),
            vote("alice", Vote::Approve, 2, "team_lead"),
            vote("carol", Vote::Approve, 3, "ml_reviewer"),
            vote("dave", Vote::Approve, 4, "intern"),
            vote("bob", Vote::Approve, 5, "team_lead"),
            vote("erin", Vote::Reject, 6, "ml_reviewer"),
            vote("carol", Vote::Approve, 7, "ml_reviewer"),
            vote("erin", Vote::Approve, 8, "ml_reviewer"),
        ],
    )
}

/// `n` distinct approving reviewers (none the submitter), for the quorum scaling benchmark.
pub fn many_votes(n: usize) -> CountedVotes {
    (0..n)
        .map(|i| {
            Review::approve(
                format!("reviewer-{i}"),
                DIGEST,
                Timestamp::from_unix_secs(i as u64),
            )
        })
        .collect()
}

/// What a host has before it calls modelgate: its own plain types.
#[derive(Clone, Debug)]
pub struct HostData {
    pub accuracy: f64,
    pub latency_p99_ms: f64,
    pub champion_accuracy: f64,
    /// (reviewer, approves, role, seconds)
    pub votes: Vec<(&'static str, bool, &'static str, u64)>,
}

/// The host's data of each case.
pub fn host_a() -> HostData {
    HostData {
        accuracy: 0.94,
        latency_p99_ms: 42.0,
        champion_accuracy: 0.93,
        votes: vec![
            ("bob", true, "team_lead", 1),
            ("carol", true, "ml_reviewer", 2),
        ],
    }
}

pub fn host_b() -> HostData {
    HostData {
        accuracy: 0.85,
        ..host_a()
    }
}

pub fn host_c() -> HostData {
    HostData {
        votes: vec![
            ("bob", false, "team_lead", 1),
            ("alice", true, "team_lead", 2),
            ("carol", true, "ml_reviewer", 3),
            ("dave", true, "intern", 4),
            ("bob", true, "team_lead", 5),
            ("erin", false, "ml_reviewer", 6),
            ("carol", true, "ml_reviewer", 7),
            ("erin", true, "ml_reviewer", 8),
        ],
        ..host_a()
    }
}

/// W1 by hand, straight from the host's data (the latest vote of each reviewer counts).
pub fn host_baseline(d: &HostData) -> VerdictKind {
    if d.accuracy < 0.90 || d.latency_p99_ms > 50.0 || d.accuracy < d.champion_accuracy - 0.005 {
        return VerdictKind::Reject;
    }
    if d.accuracy > 0.97 {
        return VerdictKind::Approve;
    }
    let (mut approvers, mut lead) = (0, false);
    for (i, (who, approve, role, _)) in d.votes.iter().enumerate() {
        let later = d.votes.iter().skip(i + 1);
        let latest = !later.clone().any(|(w, ..)| w == who);
        if latest
            && *approve
            && *who != SUBMITTER
            && (*role == "team_lead" || *role == "ml_reviewer")
        {
            approvers += 1;
            lead |= *role == "team_lead";
        }
    }
    if approvers >= 2 && lead {
        VerdictKind::Approve
    } else {
        VerdictKind::Pending
    }
}

/// The host's data turned into the crate's inputs, then decided: what a host does end to end.
pub fn host_judge(policy: &impl Policy, d: &HostData) -> VerdictKind {
    let inputs = HostInputs::new(d);
    policy.judge(&inputs.context())
}

/// The same, explained.
pub fn host_evaluate(policy: &impl Policy, d: &HostData) -> modelgate::Verdict {
    let inputs = HostInputs::new(d);
    policy.evaluate(&inputs.context())
}

/// The host's votes as the crate's ballots, borrowed where they lie: no copy, no allocation.
pub struct HostVotes<'a>(pub &'a [(&'static str, bool, &'static str, u64)]);

impl Ballots for HostVotes<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn get(&self, index: usize) -> Option<Ballot<'_>> {
        let (who, approve, role, at) = self.0.get(index)?;
        let vote = if *approve {
            Vote::Approve
        } else {
            Vote::Reject
        };
        Some(Ballot::new(who, vote, Timestamp::from_unix_secs(*at)).with_role(role))
    }
}

/// Decides from the host's data borrowed: metrics as the host's pairs, votes as the host's
/// tuples, checked as a recording would check them; `f` sees the context.
pub fn host_borrowed<T>(d: &HostData, f: impl FnOnce(&ReviewContext<'_>) -> T) -> T {
    let metrics = [
        ("accuracy", d.accuracy),
        ("latency_p99_ms", d.latency_p99_ms),
    ];
    let champion = [("accuracy", d.champion_accuracy)];
    let votes = HostVotes(&d.votes);
    let ctx = ReviewContext::borrowed(
        Subject::new(DIGEST, SUBMITTER, Timestamp::from_unix_secs(0)),
        MetricsView::borrowed(&metrics).unwrap(),
        &votes,
        Timestamp::from_unix_secs(1_000),
    )
    .unwrap()
    .with_champion_view(MetricsView::borrowed(&champion).unwrap());
    f(&ctx)
}

/// End to end from the host's data, borrowed, verdict only.
pub fn host_judge_borrowed(policy: &impl Policy, d: &HostData) -> VerdictKind {
    host_borrowed(d, |ctx| policy.judge(ctx))
}

/// The same, explained.
pub fn host_evaluate_borrowed(policy: &impl Policy, d: &HostData) -> modelgate::Verdict {
    host_borrowed(d, |ctx| policy.evaluate(ctx))
}

/// The host's data through the typestate model, which records: a model submitted with the
/// host's metrics, each vote recorded (checked and chained into its trail), then decided with
/// the champion's metrics. The verdict, explained, as recorded.
pub fn host_decide_model(policy: &impl Policy, d: &HostData) -> VerdictKind {
    let metrics = Metrics::new([
        ("accuracy", d.accuracy),
        ("latency_p99_ms", d.latency_p99_ms),
    ])
    .unwrap();
    let outcome = TrainingOutcome::new(DIGEST, metrics).unwrap();
    let mut model = Model::new("w1", "1")
        .unwrap()
        .submit(outcome, SUBMITTER, Timestamp::from_unix_secs(0))
        .unwrap();
    for (who, approve, role, at) in &d.votes {
        let vote = if *approve {
            Vote::Approve
        } else {
            Vote::Reject
        };
        let review =
            Review::new(who, vote, DIGEST, Timestamp::from_unix_secs(*at)).with_role(*role);
        model.record(review).unwrap();
    }
    let champion = Metrics::new([("accuracy", d.champion_accuracy)]).unwrap();
    let ctx = DecisionContext::at(Timestamp::from_unix_secs(1_000)).with_champion(champion);
    model.decide(policy, &ctx).unwrap().verdict().kind()
}

/// The crate's inputs built from the host's data.
pub struct HostInputs {
    outcome: TrainingOutcome,
    champion: Metrics,
    votes: CountedVotes,
}

impl HostInputs {
    pub fn new(d: &HostData) -> Self {
        let metrics = Metrics::new([
            ("accuracy", d.accuracy),
            ("latency_p99_ms", d.latency_p99_ms),
        ])
        .unwrap();
        let outcome = TrainingOutcome::new(DIGEST, metrics).unwrap();
        let champion = Metrics::new([("accuracy", d.champion_accuracy)]).unwrap();
        let votes = d
            .votes
            .iter()
            .map(|(who, approve, role, at)| {
                let vote = if *approve {
                    Vote::Approve
                } else {
                    Vote::Reject
                };
                Review::new(who, vote, DIGEST, Timestamp::from_unix_secs(*at)).with_role(*role)
            })
            .collect();
        HostInputs {
            outcome,
            champion,
            votes,
        }
    }

    pub fn context(&self) -> ReviewContext<'_> {
        ReviewContext::new(
            &self.outcome,
            &self.votes,
            SUBMITTER,
            1,
            Timestamp::from_unix_secs(1_000),
        )
        .with_champion(&self.champion)
    }
}
