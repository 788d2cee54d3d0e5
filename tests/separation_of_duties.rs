//! Separation of duties (issue 18): `DistinctRoles` needs approvals from different roles, one
//! person for one role, in code and in a spec alike, and agrees with the rule counted by hand.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use modelgate::policy::Rule;
use modelgate::value::CountedVotes;
use modelgate::*;
use proptest::prelude::*;

const DIGEST: &str = "sha256:1";
const ROLES: [&str; 4] = ["model_validator", "risk_officer", "compliance", "security"];

fn t(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(secs)
}

fn outcome() -> TrainingOutcome {
    TrainingOutcome::new(DIGEST, Metrics::new([("accuracy", 0.95)]).unwrap()).unwrap()
}

/// Approvals by `(reviewer, roles)`, in order.
fn votes(approvals: &[(&str, &[&str])]) -> CountedVotes {
    approvals
        .iter()
        .enumerate()
        .map(|(i, (who, roles))| {
            roles
                .iter()
                .fold(Review::approve(who, DIGEST, t(i as u64)), |review, role| {
                    review.with_role(role)
                })
        })
        .collect()
}

fn judge(policy: &impl Policy, approvals: &[(&str, &[&str])]) -> VerdictKind {
    let (outcome, votes) = (outcome(), votes(approvals));
    policy.judge(&ReviewContext::new(&outcome, &votes, "alice", 1, t(100)))
}

fn evaluate(policy: &impl Policy, approvals: &[(&str, &[&str])]) -> Verdict {
    let (outcome, votes) = (outcome(), votes(approvals));
    policy.evaluate(&ReviewContext::new(&outcome, &votes, "alice", 1, t(100)))
}

fn two_of_validator_and_risk() -> DistinctRoles {
    DistinctRoles::new(2, ["model_validator", "risk_officer"])
}

#[test]
fn one_person_holding_two_roles_stands_for_one_role() {
    let both: &[&str] = &["model_validator", "risk_officer"];
    assert_eq!(
        judge(&two_of_validator_and_risk(), &[("vic", both)]),
        VerdictKind::Pending
    );
    // A quorum of two roles' holders and a required role would take the one person's approval
    // twice over: the rule the issue's "two different roles" needs is not their conjunction.
    let conjunction = (
        Quorum::new(1).eligible_roles(["model_validator"]),
        RequiredRole::new("risk_officer"),
    );
    assert_eq!(judge(&conjunction, &[("vic", both)]), VerdictKind::Approve);
}

#[test]
fn two_people_of_two_roles_meet_it() {
    let approvals: &[(&str, &[&str])] =
        &[("vic", &["model_validator"]), ("rita", &["risk_officer"])];
    let verdict = evaluate(&two_of_validator_and_risk(), approvals);
    assert_eq!(verdict.kind(), VerdictKind::Approve);
    insta::assert_snapshot!(verdict.findings()[0].message());
    // Two people of one role are one role.
    let one_role: &[(&str, &[&str])] =
        &[("vic", &["model_validator"]), ("val", &["model_validator"])];
    let verdict = evaluate(&two_of_validator_and_risk(), one_role);
    assert_eq!(verdict.kind(), VerdictKind::Pending);
    insta::assert_snapshot!("one_role_of_two", verdict.findings()[0].message());
}

#[test]
fn an_approver_of_two_roles_stands_for_the_one_that_lets_another_cover_the_other() {
    // vic holds both roles and approves first; rita holds only one of them. Taking vic for the
    // first role named would leave rita nothing to cover; the matching gives vic the other one.
    let approvals: &[(&str, &[&str])] = &[
        ("vic", &["risk_officer", "model_validator"]),
        ("rita", &["model_validator"]),
    ];
    assert_eq!(
        judge(&two_of_validator_and_risk(), approvals),
        VerdictKind::Approve
    );
    let three = DistinctRoles::new(3, ["model_validator", "risk_officer", "compliance"]);
    let chain: &[(&str, &[&str])] = &[
        ("a", &["model_validator", "risk_officer"]),
        ("b", &["risk_officer", "compliance"]),
        ("c", &["model_validator"]),
    ];
    assert_eq!(judge(&three, chain), VerdictKind::Approve);
}

#[test]
fn the_submitter_stands_for_no_role() {
    let approvals: &[(&str, &[&str])] =
        &[("alice", &["model_validator"]), ("rita", &["risk_officer"])];
    assert_eq!(
        judge(&two_of_validator_and_risk(), approvals),
        VerdictKind::Pending
    );
    // Nor under a look-alike of the submitter's id.
    let look_alike: &[(&str, &[&str])] =
        &[("ALICE", &["model_validator"]), ("rita", &["risk_officer"])];
    assert_eq!(
        judge(&two_of_validator_and_risk(), look_alike),
        VerdictKind::Pending
    );
}

#[test]
fn look_alike_roles_are_one_role() {
    let twins = DistinctRoles::new(2, ["risk_officer", "Risk_Officer"]);
    let approvals: &[(&str, &[&str])] = &[("rita", &["risk_officer"]), ("rob", &["Risk_Officer"])];
    assert_eq!(judge(&twins, approvals), VerdictKind::Pending);
    let mut lints = Vec::new();
    twins.lint(&mut lints);
    let text: Vec<String> = lints.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(text.join("\n"));
}

#[test]
fn with_no_roles_named_any_two_roles_count() {
    let any_two = DistinctRoles::new(2, Vec::<String>::new());
    let approvals: &[(&str, &[&str])] = &[("x", &["security"]), ("y", &["compliance"])];
    assert_eq!(judge(&any_two, approvals), VerdictKind::Approve);
    let no_roles: &[(&str, &[&str])] = &[("x", &[]), ("y", &[])];
    assert_eq!(judge(&any_two, no_roles), VerdictKind::Pending);
}

#[test]
fn a_spec_says_it_and_means_the_same_rule() {
    let yaml = "steps:
  - name: approve
    type: approval
    inputs:
      roles: [model_validator, risk_officer]
      required: 2
      policy: {distinct_roles: {required: 2, roles: [model_validator, risk_officer]}}
";
    let pipeline = serde_saphyr::from_str::<PipelineSpec>(yaml)
        .unwrap()
        .validate()
        .unwrap();
    let roles = ["model_validator", "risk_officer"];
    let in_code = (
        Veto::new().eligible_roles(roles),
        (
            Quorum::new(2).eligible_roles(roles),
            DistinctRoles::new(2, roles),
        ),
    );
    assert_eq!(pipeline.policy().fingerprint(), in_code.fingerprint());
    let rule = Rule::from(DistinctRoles::new(2, roles));
    assert_eq!(
        serde_json::to_string(&rule).unwrap(),
        r#"{"distinct_roles":{"required":2,"roles":["model_validator","risk_officer"]}}"#
    );
    let missing = "steps:
  - name: approve
    type: approval
    inputs:
      policy: {distinct_roles: {roles: [model_validator], count: 2}}
";
    let errors = serde_saphyr::from_str::<PipelineSpec>(missing)
        .unwrap()
        .validate()
        .unwrap_err();
    insta::assert_snapshot!(errors.to_string());
}

#[test]
fn the_fingerprint_tells_the_count_and_the_roles_apart_and_not_their_order() {
    let fp = |n, roles: &[&str]| DistinctRoles::new(n, roles.iter().copied()).fingerprint();
    assert_eq!(fp(2, &["a", "b"]), fp(2, &["b", "a"]));
    assert_ne!(fp(2, &["a", "b"]), fp(1, &["a", "b"]));
    assert_ne!(fp(2, &["a", "b"]), fp(2, &["a", "c"]));
    assert_ne!(
        fp(2, &["a", "b"]),
        Quorum::new(2).eligible_roles(["a", "b"]).fingerprint()
    );
}

/// The rule by hand: the most roles that distinct approvers can cover, by trying every way.
fn by_hand(approvals: &[(String, Vec<usize>)], roles: &[usize], submitter: &str) -> usize {
    fn best(approvals: &[&Vec<usize>], roles: &[usize], taken: &mut Vec<bool>) -> usize {
        let Some((role, rest)) = roles.split_first() else {
            return 0;
        };
        let mut most = best(approvals, rest, taken); // the role left uncovered
        for (i, held) in approvals.iter().enumerate() {
            if !taken[i] && held.contains(role) {
                taken[i] = true;
                most = most.max(1 + best(approvals, rest, taken));
                taken[i] = false;
            }
        }
        most
    }
    let counted: Vec<&Vec<usize>> = approvals
        .iter()
        .filter(|(who, _)| who != submitter)
        .map(|(_, held)| held)
        .collect();
    best(&counted, roles, &mut vec![false; counted.len()])
}

proptest! {
    /// `DistinctRoles` approves exactly when the most roles distinct approvers can cover, found
    /// by trying every assignment, reaches the count.
    #[test]
    fn it_agrees_with_the_rule_counted_by_hand(
        held in prop::collection::vec(prop::sample::subsequence((0..4usize).collect::<Vec<_>>(), 0..=4), 0..6),
        named in prop::sample::subsequence((0..4usize).collect::<Vec<_>>(), 0..=4),
        required in 0..5usize,
        submitter_votes in proptest::arbitrary::any::<bool>(),
    ) {
        let approvals: Vec<(String, Vec<usize>)> = held
            .into_iter()
            .enumerate()
            .map(|(i, roles)| {
                let who = if i == 0 && submitter_votes { "alice".to_owned() } else { format!("r{i}") };
                (who, roles)
            })
            .collect();
        let names = |ids: &[usize]| ids.iter().map(|&r| ROLES[r]).collect::<Vec<_>>();
        let given: Vec<(&str, Vec<&str>)> =
            approvals.iter().map(|(who, roles)| (who.as_str(), names(roles))).collect();
        let given: Vec<(&str, &[&str])> = given.iter().map(|(w, r)| (*w, r.as_slice())).collect();
        // With no roles named, every role held counts.
        let counted_roles: Vec<usize> = if named.is_empty() { (0..4).collect() } else { named.clone() };
        let covered = by_hand(&approvals, &counted_roles, "alice");
        let policy = DistinctRoles::new(required, names(&named));
        let expected = if covered >= required { VerdictKind::Approve } else { VerdictKind::Pending };
        prop_assert_eq!(judge(&policy, &given), expected);
        prop_assert_eq!(evaluate(&policy, &given).kind(), expected);
    }
}

fn with_votes(reviews: &[Review], policy: &impl Policy) -> VerdictKind {
    let outcome = outcome();
    let votes: CountedVotes = reviews.iter().cloned().collect();
    policy.judge(&ReviewContext::new(&outcome, &votes, "alice", 1, t(100)))
}

#[test]
fn a_teams_own_approvals_do_not_count() {
    let independent = Excluding::roles(["fraud_ml"], Quorum::new(2));
    let team = |who: &str, i| Review::approve(who, DIGEST, t(i)).with_role("fraud_ml");
    let other = |who: &str, i| Review::approve(who, DIGEST, t(i)).with_role("risk_officer");
    assert_eq!(
        with_votes(&[team("bob", 1), other("carol", 2)], &independent),
        VerdictKind::Pending
    );
    assert_eq!(
        with_votes(
            &[team("bob", 1), other("carol", 2), other("dave", 3)],
            &independent
        ),
        VerdictKind::Approve
    );
    // Nor for a role the team member also holds, nor as one of the different roles.
    let risk = Excluding::roles(["fraud_ml"], RequiredRole::new("risk_officer"));
    let both = Review::approve("bob", DIGEST, t(1))
        .with_role("fraud_ml")
        .with_role("risk_officer");
    assert_eq!(
        with_votes(std::slice::from_ref(&both), &risk),
        VerdictKind::Pending
    );
    let duties = Excluding::roles(["fraud_ml"], two_of_validator_and_risk());
    let validator = Review::approve("vic", DIGEST, t(2)).with_role("model_validator");
    assert_eq!(
        with_votes(&[both, validator], &duties),
        VerdictKind::Pending
    );
}

#[test]
fn a_team_may_still_veto_its_own_model() {
    let policy = Excluding::roles(["fraud_ml"], (Veto::new(), Quorum::new(1)));
    let reject = Review::reject("bob", DIGEST, t(1)).with_role("fraud_ml");
    let approve = Review::approve("carol", DIGEST, t(2));
    assert_eq!(with_votes(&[reject, approve], &policy), VerdictKind::Reject);
}

#[test]
fn exclusions_nest_and_read_back_from_a_spec() {
    let nested = Excluding::roles(["a_team"], Excluding::roles(["b_team"], Quorum::new(1)));
    let from_a = Review::approve("x", DIGEST, t(1)).with_role("a_team");
    let from_b = Review::approve("y", DIGEST, t(2)).with_role("b_team");
    assert_eq!(with_votes(&[from_a, from_b], &nested), VerdictKind::Pending);
    let rule = nested.rule().unwrap();
    let written = serde_json::to_string(&rule).unwrap();
    assert_eq!(
        written,
        r#"{"excluding":{"roles":["a_team"],"rule":{"excluding":{"roles":["b_team"],"rule":{"quorum":{"required":1}}}}}}"#
    );
    let read: Rule = serde_json::from_str(&written).unwrap();
    assert_eq!(read.fingerprint(), nested.fingerprint());
    assert_ne!(
        nested.fingerprint(),
        Excluding::roles(["a_team", "b_team"], Quorum::new(1)).fingerprint()
    );
    assert_ne!(nested.fingerprint(), Quorum::new(1).fingerprint());
}
