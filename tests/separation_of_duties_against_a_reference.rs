//! Separation of duties against a reference maximum matching (more than 16 named roles, open
//! roles, case and look-alike spellings, the submitter's look-alike), on adversarial inputs, and
//! an exclusion of many roles. (What they cost: `distinct_roles_scaling` and
//! `excluding_scaling` in `benches/policy.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use modelgate::value::CountedVotes;
use modelgate::*;

const DIGEST: &str = "sha256:1";

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

fn outcome() -> TrainingOutcome {
    TrainingOutcome::new(DIGEST, Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap()
}

fn judge(policy: &impl Policy, reviews: &[Review]) -> VerdictKind {
    let outcome = outcome();
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

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A spelling of base role `r`: one identity, several byte forms.
fn spell(rng: &mut Rng, r: usize) -> String {
    let base = format!(
        "role_{}",
        ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"][r % 6]
    );
    let base = format!("{base}{}", r / 6);
    match rng.below(4) {
        0 => base,
        1 => base.to_uppercase(),
        // l -> I (capital i) and o -> 0 are look-alikes the identity folds
        2 => base.replace('l', "I"),
        _ => base.replace('o', "0"),
    }
}

/// Reference: maximum matching of roles (by base index) to approvers (by index), by Kuhn's DFS.
fn max_matching(roles: &[usize], held: &[Vec<usize>]) -> usize {
    fn try_role(
        r: usize,
        held: &[Vec<usize>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for (a, h) in held.iter().enumerate() {
            if h.contains(&r) && !seen[a] {
                seen[a] = true;
                if owner[a].is_none_or(|o| try_role(o, held, seen, owner)) {
                    owner[a] = Some(r);
                    return true;
                }
            }
        }
        false
    }
    let mut owner = vec![None; held.len()];
    let mut n = 0;
    for &r in roles {
        let mut seen = vec![false; held.len()];
        if try_role(r, held, &mut seen, &mut owner) {
            n += 1;
        }
    }
    n
}

#[test]
fn distinct_roles_agrees_with_a_maximum_matching_over_many_roles_and_spellings() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let pool = 30;
    for case in 0..4000 {
        // Named roles: none (any role), few (scanned) or many (hashed), in mixed spellings,
        // with duplicates of one identity.
        let named_n = match case % 3 {
            0 => 0,
            1 => rng.below(8) + 1,
            _ => 17 + rng.below(12),
        };
        let named_base: Vec<usize> = (0..named_n).map(|_| rng.below(pool)).collect();
        let named: Vec<String> = named_base.iter().map(|&r| spell(&mut rng, r)).collect();
        let approvers = rng.below(14);
        let mut reviews = Vec::new();
        let mut held_counted: Vec<Vec<usize>> = Vec::new();
        for a in 0..approvers {
            // the submitter, or a case / look-alike variant of her id, now and then
            let who = match rng.below(10) {
                0 => "alice".to_owned(),
                1 => "ALICE".to_owned(),
                2 => "a1ice".to_owned(),
                _ => format!("rev{a}"),
            };
            let k = rng.below(5);
            let bases: Vec<usize> = (0..k).map(|_| rng.below(pool)).collect();
            let mut review = Review::approve(&who, DIGEST, t(a as u64));
            for &b in &bases {
                review = review.with_role(spell(&mut rng, b));
            }
            reviews.push(review);
            let is_submitter = who != format!("rev{a}");
            held_counted.push(if is_submitter { Vec::new() } else { bases });
        }
        let mut counted_roles: Vec<usize> = if named.is_empty() {
            held_counted.iter().flatten().copied().collect()
        } else {
            named_base.clone()
        };
        counted_roles.sort_unstable();
        counted_roles.dedup();
        let covered = max_matching(&counted_roles, &held_counted);
        for required in [1, 2, 3, 4, 5, 7, 9, 12] {
            let policy = DistinctRoles::new(required, named.clone());
            let expected = if covered >= required {
                VerdictKind::Approve
            } else {
                VerdictKind::Pending
            };
            assert_eq!(
                judge(&policy, &reviews),
                expected,
                "case {case}: required {required}, named {named:?}, matching {covered}, reviews {reviews:?}"
            );
        }
    }
}

/// Long augmenting paths: approver i holds roles i and i+1, the roles listed so that the greedy
/// choice is always wrong, and many more roles than approvers.
#[test]
fn distinct_roles_decides_adversarial_inputs() {
    let n = 3000;
    let role = |i: usize| format!("r{i}");
    // a path: approver i holds r(i+1) first, then r(i); named roles r0..rn
    let reviews: Vec<Review> = (0..n)
        .map(|i| {
            Review::approve(format!("p{i}"), DIGEST, t(i as u64))
                .with_role(role(i + 1))
                .with_role(role(i))
        })
        .collect();
    let named: Vec<String> = (0..=n).rev().map(role).collect();
    let policy = DistinctRoles::new(n, named.clone());
    assert_eq!(judge(&policy, &reviews), VerdictKind::Approve);
    // many approvers who all hold the same many roles, far fewer than required
    let few: Vec<Review> = (0..50)
        .map(|i| {
            (0..2000).fold(Review::approve(format!("q{i}"), DIGEST, t(i)), |r, k| {
                r.with_role(role(k))
            })
        })
        .collect();
    assert_eq!(
        judge(&DistinctRoles::new(2000, Vec::<String>::new()), &few),
        VerdictKind::Pending
    );
    assert_eq!(
        judge(&DistinctRoles::new(51, Vec::<String>::new()), &few),
        VerdictKind::Pending
    );
    assert_eq!(
        judge(&DistinctRoles::new(50, Vec::<String>::new()), &few),
        VerdictKind::Approve
    );
}

/// An exclusion of many roles around separation of duties, reviewers holding many roles (past
/// 16 excluded roles they are looked up by identity, not scanned).
#[test]
fn an_exclusion_of_many_roles_decides_as_its_rule() {
    let excluded: Vec<String> = (0..1000).map(|i| format!("team_excluded_{i}")).collect();
    let reviews: Vec<Review> = (0..1000)
        .map(|i| {
            (0..50).fold(Review::approve(format!("p{i}"), DIGEST, t(i)), |r, k| {
                r.with_role(format!("team_member_{k}"))
            })
        })
        .collect();
    let policy = Excluding::roles(
        excluded.clone(),
        DistinctRoles::new(50, Vec::<String>::new()),
    );
    let outcome = outcome();
    let votes: CountedVotes = reviews.into_iter().collect();
    let ctx = ReviewContext::new(&outcome, &votes, "alice", 1, t(1000));
    assert_eq!(policy.judge(&ctx), VerdictKind::Approve);
    assert_eq!(
        DistinctRoles::new(50, Vec::<String>::new()).judge(&ctx),
        VerdictKind::Approve
    );
    // Half of them hold an excluded role (each another one, one in another case): their
    // approvals do not count.
    let reviews: Vec<Review> = (0..1000)
        .map(|i| {
            let review = Review::approve(format!("p{i}"), DIGEST, t(i));
            match i % 2 {
                0 if i == 2 => review.with_role("TEAM_EXCLUDED_2"),
                0 => review.with_role(format!("team_excluded_{i}")),
                _ => review,
            }
        })
        .collect();
    let votes: CountedVotes = reviews.into_iter().collect();
    let ctx = ReviewContext::new(&outcome, &votes, "alice", 1, t(1000));
    assert_eq!(
        Excluding::roles(excluded.clone(), Quorum::new(500)).judge(&ctx),
        VerdictKind::Approve
    );
    assert_eq!(
        Excluding::roles(excluded, Quorum::new(501)).judge(&ctx),
        VerdictKind::Pending
    );
}
