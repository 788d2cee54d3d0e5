//! Policy benchmarks on workload W1 (see `tests/common/w1.rs` and `benches/README.md`), each beside
//! the hand-written baseline measured in the same run.
//!
//! - `w1_a`, `w1_b`, `w1_c`: the baseline, `Policy::judge` (the verdict alone) and
//!   `Policy::evaluate` (the verdict with its findings) of the composed built-in W1 policy.
//! - `w1_a_end_to_end` …: the same cases from the host's own data (plain Rust values): building
//!   the crate's inputs and deciding, beside the rule written by hand over the host's data
//!   (`baseline_host_data`, what a host pays) and over the crate's inputs already built
//!   (`baseline_prebuilt`, labelled: a host does not have them).
//! - `quorum_scaling`: `Quorum::judge` over 1,000 and 10,000 distinct approvals.
//! - `distinct_roles_scaling`: `DistinctRoles::judge` (separation of duties, a matching) over
//!   1k, 10k and 100k approvals each holding two of three named roles, the third held by none
//!   (so every search runs to its end), beside `Quorum::judge` over the same votes.
//! - `distinct_roles_many_required`: `DistinctRoles::new(n, [])` over n approvals each holding
//!   a role of its own (n pairs to match), beside the same quorum.
#![allow(missing_docs, clippy::unwrap_used)]

#[path = "../tests/common/w1.rs"]
mod w1;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use modelgate::value::CountedVotes;
use modelgate::{DistinctRoles, Excluding, Policy, Quorum, Review, ReviewContext, Timestamp};

fn w1_cases(c: &mut Criterion) {
    let policy = w1::policy();
    for (name, case) in [
        ("w1_a", w1::case_a()),
        ("w1_b", w1::case_b()),
        ("w1_c", w1::case_c()),
    ] {
        let ctx = case.context();
        let mut g = c.benchmark_group(name);
        g.bench_function("baseline", |b| {
            b.iter(|| {
                w1::baseline(
                    case.outcome.metrics(),
                    &case.champion,
                    black_box(&case.votes),
                    w1::SUBMITTER,
                )
            })
        });
        g.bench_function("judge", |b| {
            b.iter(|| black_box(&policy).judge(black_box(&ctx)))
        });
        g.bench_function("evaluate", |b| {
            b.iter(|| black_box(&policy).evaluate(black_box(&ctx)))
        });
        g.finish();
    }
}

/// End to end: the host's own data → the crate's inputs → the decision, beside the rule written
/// by hand straight over the host's data.
fn w1_end_to_end(c: &mut Criterion) {
    let policy = w1::policy();
    let kept = modelgate::policy::Fingerprinted::new(w1::policy());
    for (name, data, case) in [
        ("w1_a_end_to_end", w1::host_a(), w1::case_a()),
        ("w1_b_end_to_end", w1::host_b(), w1::case_b()),
        ("w1_c_end_to_end", w1::host_c(), w1::case_c()),
    ] {
        let mut g = c.benchmark_group(name);
        g.bench_function("baseline_host_data", |b| {
            b.iter(|| w1::host_baseline(black_box(&data)))
        });
        // The same rule over the crate's inputs already built: what a host does not have.
        g.bench_function("baseline_prebuilt", |b| {
            b.iter(|| black_box(&case).baseline())
        });
        g.bench_function("judge", |b| {
            b.iter(|| w1::host_judge(black_box(&policy), black_box(&data)))
        });
        g.bench_function("evaluate", |b| {
            b.iter(|| w1::host_evaluate(black_box(&policy), black_box(&data)))
        });
        // From the host's data borrowed: checked as a recording would, nothing copied.
        g.bench_function("judge_borrowed", |b| {
            b.iter(|| w1::host_judge_borrowed(black_box(&policy), black_box(&data)))
        });
        g.bench_function("evaluate_borrowed", |b| {
            b.iter(|| w1::host_evaluate_borrowed(black_box(&policy), black_box(&data)))
        });
        // Through the typestate model, which records every vote and the decision.
        g.bench_function("model_decide", |b| {
            b.iter(|| w1::host_decide_model(black_box(&policy), black_box(&data)))
        });
        // The same, with the policy's name and fingerprint computed once, as a service would.
        g.bench_function("model_decide_fingerprinted", |b| {
            b.iter(|| w1::host_decide_model(black_box(&kept), black_box(&data)))
        });
        g.finish();
    }
}

fn quorum_scaling(c: &mut Criterion) {
    let case = w1::case_a();
    let quorum = Quorum::new(usize::MAX).eligible_roles(["reviewer"]);
    let mut g = c.benchmark_group("quorum_scaling");
    for n in [1_000, 10_000] {
        let votes = w1::many_votes(n);
        let ctx = ReviewContext::new(
            &case.outcome,
            &votes,
            w1::SUBMITTER,
            1,
            Timestamp::from_unix_secs(1),
        );
        g.bench_with_input(BenchmarkId::new("judge", n), &ctx, |b, ctx| {
            b.iter(|| black_box(&quorum).judge(black_box(ctx)))
        });
    }
    g.finish();
}

fn distinct_roles_scaling(c: &mut Criterion) {
    let duties = DistinctRoles::new(3, ["model_validator", "risk_officer", "compliance"]);
    let quorum = Quorum::new(usize::MAX).eligible_roles(["model_validator", "compliance"]);
    let roles = ["model_validator".to_owned(), "risk_officer".to_owned()];
    scaling(c, "distinct_roles_scaling", &roles, &quorum, &duties);
}

/// `DistinctRoles` requiring as many distinct roles as there are approvers, each holding a role
/// of its own (every approver matched, each found at once), beside an unmeetable quorum over the
/// same votes: the matching is linear here (it was quadratic: every pair found unmarked every
/// approver).
fn distinct_roles_many_required(c: &mut Criterion) {
    let case = w1::case_a();
    let quorum = Quorum::new(usize::MAX);
    let mut g = c.benchmark_group("distinct_roles_many_required");
    for n in [1_000usize, 10_000, 100_000] {
        let votes = approvals(n, |i| vec![format!("role-{i}")]);
        let ctx = approvals_context(&case, &votes);
        let duties = DistinctRoles::new(n, Vec::<String>::new());
        g.bench_with_input(BenchmarkId::new("quorum_baseline", n), &ctx, |b, ctx| {
            b.iter(|| black_box(&quorum).judge(black_box(ctx)))
        });
        g.bench_with_input(BenchmarkId::new("judge", n), &ctx, |b, ctx| {
            b.iter(|| black_box(&duties).judge(black_box(ctx)))
        });
    }
    g.finish();
}

/// `Excluding` of 1,000 roles around an unmeetable quorum, over n approvals each holding 8
/// roles none excluded (so every role of every vote is looked up), beside the same quorum alone
/// (a linear scan) as the baseline: the exclusion's cost per vote is one lookup per role held.
fn excluding_scaling(c: &mut Criterion) {
    let excluded: Vec<String> = (0..1_000).map(|i| format!("excluded_{i}")).collect();
    let excluding = Excluding::roles(excluded, Quorum::new(usize::MAX));
    let roles: Vec<String> = (0..8).map(|k| format!("team_{k}")).collect();
    scaling(
        c,
        "excluding_scaling",
        &roles,
        &Quorum::new(usize::MAX),
        &excluding,
    );
}

/// `rule` beside `baseline` in the group `group`, over 1k, 10k and 100k approvals of W1's case
/// (a), each reviewer holding `roles`.
fn scaling(
    c: &mut Criterion,
    group: &str,
    roles: &[String],
    baseline: &dyn Policy,
    rule: &dyn Policy,
) {
    let case = w1::case_a();
    let mut g = c.benchmark_group(group);
    for n in [1_000usize, 10_000, 100_000] {
        let votes = approvals(n, |_| roles.to_vec());
        let ctx = approvals_context(&case, &votes);
        g.bench_with_input(BenchmarkId::new("quorum_baseline", n), &ctx, |b, ctx| {
            b.iter(|| black_box(baseline).judge(black_box(ctx)))
        });
        g.bench_with_input(BenchmarkId::new("judge", n), &ctx, |b, ctx| {
            b.iter(|| black_box(rule).judge(black_box(ctx)))
        });
    }
    g.finish();
}

/// n approvals of W1's artifact by distinct reviewers, reviewer i holding `roles_of(i)`.
fn approvals(n: usize, roles_of: impl Fn(usize) -> Vec<String>) -> CountedVotes {
    (0..n)
        .map(|i| {
            roles_of(i).into_iter().fold(
                Review::approve(
                    format!("reviewer-{i}"),
                    w1::DIGEST,
                    Timestamp::from_unix_secs(1),
                ),
                |r, role| r.with_role(role),
            )
        })
        .collect()
}

/// The context of W1's case over `votes`.
fn approvals_context<'a>(case: &'a w1::Case, votes: &'a CountedVotes) -> ReviewContext<'a> {
    ReviewContext::new(
        &case.outcome,
        votes,
        w1::SUBMITTER,
        1,
        Timestamp::from_unix_secs(2),
    )
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! { name = benches; config = config(); targets = w1_cases, w1_end_to_end, quorum_scaling, distinct_roles_scaling, distinct_roles_many_required, excluding_scaling }
criterion_main!(benches);
