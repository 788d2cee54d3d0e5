//! Identifiers no one can mistake: ids, roles and metric names follow UTS #39 (the General
//! Security Profile, a Highly Restrictive restriction level, NFC, no invisible joiners), and two
//! of them with one confusable skeleton are one identity wherever they meet.
//!
//! Every look-alike an attacker showed is here, as an id, a role, a metric name and an approver
//! of a spec: either it is refused where it enters, or it is the same identity as the Latin
//! original (the submitter's vote under it never counts, a quorum counts it once, a gate reads
//! the same metric, a spec cannot list both).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use modelgate::value::{CountedVotes, MAX_TEXT_LEN, OutcomeError, TextProblem};
use modelgate::{
    DecisionContext, MetricGate, Metrics, Model, PipelineSpec, Policy, PolicyExt, Quorum,
    RequiredRole, Review, ReviewContext, Submitted, TrainingOutcome, VerdictKind, when,
};
use proptest::prelude::*;

/// What became of a look-alike where it entered.
#[derive(Debug)]
enum Entry {
    /// Refused, with this message.
    Refused(String),
    /// Accepted.
    Accepted,
}

/// `alice`-like submitters: `latin` submits, `lookalike` approves. Returns how the vote entered
/// and, if it did, the verdict of a quorum of one.
fn self_approval(latin: &str, lookalike: &str) -> (Entry, Option<VerdictKind>) {
    let mut model = untrained()
        .submit(outcome(DIGEST, 0.95), latin, t(10))
        .unwrap();
    match model.record(Review::approve(lookalike, DIGEST, t(11))) {
        Err(e) => (Entry::Refused(e.to_string()), None),
        Ok(()) => {
            let verdict = quorum_of(&model, 1);
            (Entry::Accepted, Some(verdict))
        }
    }
}

fn quorum_of(model: &Model<Submitted>, n: usize) -> VerdictKind {
    let (ctx_votes, submitter) = (
        model.stage().votes().clone(),
        model.stage().submission().submitter().to_owned(),
    );
    let outcome = model.stage().submission().outcome().clone();
    let ctx = ReviewContext::new(&outcome, &ctx_votes, &submitter, 1, t(30));
    Quorum::new(n).judge(&ctx)
}

/// A reviewer holding the role `lookalike` votes where a quorum of one needs role `latin`.
fn role_vote(latin: &str, lookalike: &str) -> (Entry, Option<bool>) {
    let mut model = submitted(0.95);
    match model.record(Review::approve("bob", DIGEST, t(11)).with_role(lookalike)) {
        Err(e) => (Entry::Refused(e.to_string()), None),
        Ok(()) => {
            let review = model.stage().votes().of("bob").unwrap();
            (Entry::Accepted, Some(review.has_role(latin)))
        }
    }
}

/// An artifact whose metric `latin` is 0.5 and whose `lookalike` is 0.99, gated on `lookalike`
/// above 0.9, with automatic approval.
fn metric_attack(latin: &str, lookalike: &str) -> Result<VerdictKind, String> {
    let metrics = Metrics::new([(latin, 0.5), (lookalike, 0.99)]).map_err(|e| e.to_string())?;
    let outcome = TrainingOutcome::new(DIGEST, metrics).unwrap();
    let votes = CountedVotes::new();
    let ctx = ReviewContext::new(&outcome, &votes, "alice", 1, t(30));
    let policy = when(MetricGate::above(latin, 0.9))
        .approve_automatically()
        .otherwise(Quorum::new(1));
    Ok(policy.judge(&ctx))
}

/// A spec whose approval step lists `latin` and `lookalike`.
fn spec_with_approvers(latin: &str, lookalike: &str) -> Result<(), String> {
    let spec: PipelineSpec = serde_json::from_value(serde_json::json!({"steps": [
        {"name": "train", "type": "training"},
        {"name": "approve_model", "type": "approval",
         "inputs": {"approvers": [latin, lookalike], "required": 1}},
        {"name": "deploy", "type": "deploy"},
    ]}))
    .unwrap();
    spec.validate().map(|_| ()).map_err(|e| e.to_string())
}

/// The whole attack with one look-alike pair: as an id, a role, a metric name, an approver.
/// Returns the messages of every refusal, for the snapshot.
fn attack(latin: &str, lookalike: &str) -> Vec<String> {
    let mut messages = Vec::new();
    // As an id: the submitter's own vote, in another spelling, never counts.
    match self_approval(latin, lookalike) {
        (Entry::Refused(m), _) => messages.push(format!("id: {m}")),
        (Entry::Accepted, verdict) => {
            assert_eq!(verdict, Some(VerdictKind::Pending), "{lookalike:?}")
        }
    }
    // And the other way round: the look-alike submits, the Latin id approves.
    if let Ok(mut model) = untrained().submit(outcome(DIGEST, 0.95), lookalike, t(10)) {
        model.record(Review::approve(latin, DIGEST, t(11))).unwrap();
        assert_eq!(quorum_of(&model, 1), VerdictKind::Pending, "{lookalike:?}");
    }
    // As a role: refused, or the same role.
    match role_vote(latin, lookalike) {
        (Entry::Refused(m), _) => messages.push(format!("role: {m}")),
        (Entry::Accepted, held) => assert_eq!(held, Some(true), "{lookalike:?}"),
    }
    // As a metric name: two names of one metric never enter, so no gate reads the other.
    match metric_attack(latin, lookalike) {
        Err(m) => messages.push(format!("metric: {m}")),
        Ok(kind) => panic!("{lookalike:?} entered beside {latin:?}, gate said {kind:?}"),
    }
    // As an approver of a spec: listing both is an error naming the step.
    match spec_with_approvers(latin, lookalike) {
        Err(m) => {
            assert!(m.contains("approve_model"), "{m}");
            messages.push(format!("spec: {m}"));
        }
        Ok(()) => panic!("a spec listed {latin:?} and {lookalike:?}"),
    }
    messages
}

fn snapshot(name: &str, latin: &str, lookalike: &str) {
    let messages = attack(latin, lookalike);
    insta::assert_snapshot!(name, messages.join("\n"));
}

#[test]
fn the_hangul_filler_is_refused_as_id_role_metric_and_approver() {
    snapshot("hangul_filler", "alice", "alice\u{3164}");
}

#[test]
fn the_latin_letter_dental_click_is_refused_for_l() {
    snapshot("dental_click", "alice", "a\u{1C0}ice");
}

#[test]
fn the_latin_alpha_is_refused_for_a() {
    snapshot("latin_alpha", "alice", "\u{251}lice");
}

#[test]
fn the_dotless_i_is_the_same_identity_as_i() {
    snapshot("dotless_i", "alice", "al\u{131}ce");
}

#[test]
fn small_capitals_are_refused() {
    snapshot("small_capital", "alice", "\u{1D00}lice");
}

#[test]
fn armenian_mixed_with_latin_is_refused() {
    snapshot("armenian", "bob", "b\u{585}b");
}

#[test]
fn lisu_letters_are_refused() {
    snapshot("lisu", "alice", "\u{A4EE}lice");
}

#[test]
fn cherokee_letters_are_refused() {
    snapshot("cherokee", "alice", "\u{13AA}lice");
}

#[test]
fn coptic_letters_are_refused() {
    snapshot("coptic", "bob", "b\u{2C9F}b");
}

#[test]
fn the_micro_sign_is_refused_for_greek_mu() {
    snapshot("micro_sign", "\u{3BC}", "\u{B5}");
}

#[test]
fn combining_marks_outside_the_profile_are_refused() {
    snapshot("combining_latin_letter", "alice", "alice\u{363}");
}

#[test]
fn a_decomposed_letter_is_refused_for_the_composed_one() {
    snapshot("decomposed", "zo\u{E9}", "zoe\u{301}");
}

#[test]
fn a_repeated_combining_mark_is_refused() {
    snapshot("repeated_mark", "zo\u{E9}", "zo\u{E9}\u{301}\u{301}");
}

#[test]
fn the_zero_width_joiners_are_refused() {
    snapshot("zero_width_joiner", "alice", "ali\u{200D}ce");
    snapshot("zero_width_non_joiner", "alice", "ali\u{200C}ce");
}

#[test]
fn a_digit_one_is_the_same_identity_as_l() {
    snapshot("digit_one", "alice", "a1ice");
}

#[test]
fn rn_is_the_same_identity_as_m() {
    snapshot("rn_for_m", "mary", "rnary");
}

#[test]
fn hosts_keep_their_punctuation_and_inner_spaces() {
    for ok in [
        "alice@example.com",
        "team lead",
        "sha256:7d1e",
        "Zoë",
        "иван",
        "Σωκράτης",
        "数据科学家",
        "田中さん",
        "tanaka田中",
    ] {
        let model = untrained().submit(outcome(DIGEST, 0.9), ok, t(1));
        assert!(model.is_ok(), "{ok:?}");
    }
}

#[test]
fn a_digest_is_printable_ascii_without_spaces() {
    let mut messages = Vec::new();
    for bad in ["sha256:7d1\u{435}", "sha256 7d1e", "sha256:\u{3164}7d1e"] {
        let e = TrainingOutcome::new(bad, Metrics::new([("accuracy", 0.9)]).unwrap()).unwrap_err();
        messages.push(e.to_string());
    }
    assert!(TrainingOutcome::new("sha256:7d1e", Metrics::default()).is_ok());
    insta::assert_snapshot!(messages.join("\n"));
}

#[test]
fn a_metric_named_twice_is_an_error_not_last_wins() {
    let e = Metrics::new([("accuracy", 0.5), ("accuracy", 0.99)]).unwrap_err();
    assert!(matches!(e, OutcomeError::DuplicateMetric { .. }));
    insta::assert_snapshot!(e.to_string());
}

#[test]
fn a_metric_gate_finds_its_metric_by_skeleton() {
    let metrics = Metrics::new([("prec\u{131}sion", 0.5)]).unwrap();
    assert_eq!(metrics.get("precision"), Some(0.5));
    let outcome = TrainingOutcome::new(DIGEST, metrics).unwrap();
    let votes = CountedVotes::new();
    let ctx = ReviewContext::new(&outcome, &votes, "alice", 1, t(30));
    let auto = when(MetricGate::above("precision", 0.9))
        .approve_automatically()
        .otherwise(Quorum::new(1));
    assert_eq!(auto.judge(&ctx), VerdictKind::Pending);
    assert_eq!(
        MetricGate::at_least("precision", 0.4).judge(&ctx),
        VerdictKind::Approve
    );
}

#[test]
fn a_quorum_counts_one_identity_once_and_its_latest_vote() {
    let mut model = submitted(0.95);
    model.record(Review::approve("bob", DIGEST, t(11))).unwrap();
    // `b0b` displays as `bOb`, which a reader takes for `bob`: one identity (case folded).
    model.record(Review::approve("b0b", DIGEST, t(12))).unwrap();
    model
        .record(Review::approve("carol", DIGEST, t(13)))
        .unwrap();
    model
        .record(Review::approve("caro1", DIGEST, t(14)))
        .unwrap();
    model
        .record(Review::approve("Dave", DIGEST, t(14)))
        .unwrap();
    assert_eq!(model.stage().votes().len(), 3);
    assert_eq!(quorum_of(&model, 3), VerdictKind::Approve);
    assert_eq!(quorum_of(&model, 4), VerdictKind::Pending);
    // carol's latest vote, in either spelling, replaces her earlier one; and DAVE is Dave.
    model
        .record(Review::reject("caro1", DIGEST, t(15)))
        .unwrap();
    model
        .record(Review::approve("DAVE", DIGEST, t(16)))
        .unwrap();
    assert_eq!(model.stage().votes().len(), 3);
    assert_eq!(
        model.stage().votes().of("carol").map(Review::vote),
        Some(modelgate::Vote::Reject)
    );
    assert_eq!(quorum_of(&model, 3), VerdictKind::Pending);
}

#[test]
fn eligibility_by_id_and_role_matches_by_skeleton() {
    let mut model = submitted(0.95);
    model
        .record(Review::approve("caro1", DIGEST, t(11)).with_role("1ead"))
        .unwrap();
    let votes = model.stage().votes().clone();
    let outcome = model.stage().submission().outcome().clone();
    let ctx = ReviewContext::new(&outcome, &votes, "alice", 1, t(30));
    assert_eq!(
        Quorum::new(1).eligible_ids(["carol"]).judge(&ctx),
        VerdictKind::Approve
    );
    assert_eq!(
        Quorum::new(1).eligible_roles(["lead"]).judge(&ctx),
        VerdictKind::Approve
    );
    assert_eq!(RequiredRole::new("lead").judge(&ctx), VerdictKind::Approve);
    // Past the scan threshold, the sets look up by skeleton too.
    let many: Vec<String> = (0..40).map(|i| format!("user-{i}")).collect();
    let ids = many.iter().cloned().chain(["carol".to_owned()]);
    let roles = many.iter().cloned().chain(["lead".to_owned()]);
    assert_eq!(
        Quorum::new(1).eligible_ids(ids).judge(&ctx),
        VerdictKind::Approve
    );
    assert_eq!(
        Quorum::new(1).eligible_roles(roles).judge(&ctx),
        VerdictKind::Approve
    );
}

#[test]
fn the_submitters_look_alike_cannot_meet_a_required_role_or_a_quorum() {
    let mut model = untrained()
        .submit(outcome(DIGEST, 0.95), "alice", t(10))
        .unwrap();
    model
        .record(Review::approve("al\u{131}ce", DIGEST, t(11)).with_role("security"))
        .unwrap();
    let votes = model.stage().votes().clone();
    let outcome = model.stage().submission().outcome().clone();
    let ctx = ReviewContext::new(&outcome, &votes, "alice", 1, t(30));
    let policy = RequiredRole::new("security").and(Quorum::new(1));
    assert_eq!(policy.judge(&ctx), VerdictKind::Pending);
    let decided = model.decide(&policy, &DecisionContext::at(t(30))).unwrap();
    assert!(
        decided.verdict().to_string().contains("submitter"),
        "{}",
        decided.verdict()
    );
}

#[test]
fn a_stored_record_with_a_look_alike_reviewer_is_refused_on_restore() {
    let mut model = submitted(0.95);
    model.record(Review::approve("bob", DIGEST, t(11))).unwrap();
    let stored = sealed(&model);
    // The attacker edits every copy so that the record agrees with itself, and even has the
    // key: the replay goes through the same checks as the live call.
    let forged = forged(&stored, |json| {
        let events = json["events"].as_array_mut().unwrap();
        let last = events.last_mut().unwrap();
        let text = serde_json::to_string(last).unwrap();
        *last = serde_json::from_str(&text.replace("\"bob\"", "\"alice\u{3164}\"")).unwrap();
    })
    .sealed_by(&key())
    .unwrap();
    let error = forged.restore(&key(), &policy()).unwrap_err().into_error();
    let message = error.to_string();
    assert!(message.contains("reviewer"), "{message}");
    insta::assert_snapshot!(message);
}

#[test]
fn free_text_has_a_length_limit_naming_the_field() {
    let long = "x".repeat(MAX_TEXT_LEN + 1);
    let fits = "x".repeat(MAX_TEXT_LEN);
    let mut messages = Vec::new();

    let mut model = submitted(0.95);
    model
        .record(Review::approve("bob", DIGEST, t(11)).with_comment(fits.clone()))
        .unwrap();
    let refused = model
        .record(Review::approve("carol", DIGEST, t(12)).with_comment(long.clone()))
        .unwrap_err();
    messages.push(refused.to_string());
    assert_eq!(model.stage().votes().len(), 1);

    let notes = outcome(DIGEST, 0.9).with_notes(long.clone());
    let refused = untrained()
        .submit(notes.clone(), "alice", t(1))
        .unwrap_err();
    messages.push(refused.error().to_string());
    let (_, handed_back) = refused.into_input();
    assert_eq!(handed_back, notes);

    let refused = approved()
        .revoke(long.clone(), "security", t(40))
        .unwrap_err();
    messages.push(refused.error().to_string());

    let refused = approved()
        .mark_deployed(modelgate::Receipt::new(long.clone()), "bot", t(40))
        .unwrap_err();
    messages.push(refused.error().to_string());
    assert!(
        approved()
            .mark_deployed(modelgate::Receipt::new(fits), "bot", t(40))
            .is_ok()
    );
    insta::assert_snapshot!(messages.join("\n"));
}

#[test]
fn every_identifier_problem_has_a_message() {
    let mut messages = Vec::new();
    for bad in [
        "zoe\u{301}",
        "zo\u{E9}\u{301}\u{301}",
        "\u{430}lice",
        "alice\u{3164}",
        "alice  smith",
        "\u{5d0}2",
        "al\u{131}\u{307}ce",
    ] {
        let e = untrained()
            .submit(outcome(DIGEST, 0.9), bad, t(1))
            .unwrap_err();
        messages.push(e.error().to_string());
    }
    insta::assert_snapshot!(messages.join("\n"));
    let problem = |s: &str| match untrained().submit(outcome(DIGEST, 0.9), s, t(1)) {
        Err(e) => match e.into_error() {
            modelgate::model::SubmitError::Submitter(e) => Some(e.problem().clone()),
            other => panic!("{other}"),
        },
        Ok(_) => None,
    };
    assert_eq!(problem("zoe\u{301}"), Some(TextProblem::NotNfc));
    assert_eq!(
        problem("zo\u{E9}\u{301}\u{301}"),
        Some(TextProblem::RepeatedMark { ch: '\u{301}' })
    );
    assert_eq!(problem("\u{430}lice"), Some(TextProblem::MixedScript));
    assert_eq!(problem("alice  smith"), Some(TextProblem::RepeatedSpace));
    assert_eq!(problem("\u{5d0}2"), Some(TextProblem::RightToLeftEdge));
    assert_eq!(problem("2\u{5d0}"), Some(TextProblem::RightToLeftEdge));
    assert_eq!(problem("\u{5d0}2\u{5d1}"), None);
    assert_eq!(
        problem("al\u{131}\u{307}ce"),
        Some(TextProblem::LookAlike { ch: '\u{307}' })
    );
    assert_eq!(
        problem("alice\u{3164}"),
        Some(TextProblem::LookAlike { ch: '\u{3164}' })
    );
}

/// Characters that are not ASCII and whose skeleton is one ASCII lowercase letter: the
/// confusables UTS #39 ships for Latin letters.
fn confusables_of_latin_letters() -> Vec<(char, char)> {
    let mut out = Vec::new();
    for code in 0x80u32..=0x2_FFFF {
        let Some(ch) = char::from_u32(code) else {
            continue;
        };
        let skeleton: String = unicode_security::skeleton(&ch.to_string()).collect();
        let mut letters = skeleton.chars();
        if let (Some(letter), None) = (letters.next(), letters.next())
            && letter.is_ascii_lowercase()
        {
            out.push((ch, letter));
        }
    }
    out
}

fn confusables() -> &'static [(char, char)] {
    static TABLE: std::sync::OnceLock<Vec<(char, char)>> = std::sync::OnceLock::new();
    TABLE.get_or_init(confusables_of_latin_letters)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Either the look-alike is refused where it enters, or it is the same identity as the
    /// Latin id: the submitter's vote under it never counts, and a quorum counts the two once.
    #[test]
    fn a_confusable_of_a_latin_id_is_refused_or_the_same_identity(
        pick in any::<prop::sample::Index>(),
        prefix in "[a-z]{0,4}",
        suffix in "[a-z]{0,4}",
    ) {
        let table = confusables();
        prop_assume!(!table.is_empty());
        let (ch, letter) = table[pick.index(table.len())];
        let latin = format!("{prefix}{letter}{suffix}");
        let lookalike = format!("{prefix}{ch}{suffix}");
        let mut model = untrained().submit(outcome(DIGEST, 0.9), &latin, t(10)).unwrap();
        if model.record(Review::approve(&lookalike, DIGEST, t(11))).is_ok() {
            prop_assert_eq!(quorum_of(&model, 1), VerdictKind::Pending);
            let mut other = untrained().submit(outcome(DIGEST, 0.9), "zed-x", t(10)).unwrap();
            other.record(Review::approve(&latin, DIGEST, t(11))).unwrap();
            other.record(Review::approve(&lookalike, DIGEST, t(12))).unwrap();
            prop_assert_eq!(other.stage().votes().len(), 1);
            prop_assert_eq!(quorum_of(&other, 2), VerdictKind::Pending);
            prop_assert!(Metrics::new([(latin.as_str(), 0.5), (lookalike.as_str(), 0.9)]).is_err());
        }
    }
}

#[test]
fn the_confusable_table_is_not_empty() {
    // The property above draws from it: a table without look-alikes would test nothing.
    assert!(confusables().len() > 100, "{}", confusables().len());
}

#[test]
fn a_quorum_built_in_code_with_two_look_alike_ids_is_linted() {
    let quorum = Quorum::new(2).eligible_ids(["carol", "caro1"]);
    let lints: Vec<String> = quorum.lints().iter().map(ToString::to_string).collect();
    assert!(lints.iter().any(|l| l.contains("look alike")), "{lints:?}");
    insta::assert_snapshot!(lints.join("\n"));
    assert!(
        Quorum::new(1)
            .eligible_ids(["carol", "dave"])
            .lints()
            .is_empty()
    );
}

#[test]
fn ids_that_display_alike_cannot_make_two_approvers() {
    // Decomposed and composed, a variation selector, an invisible format character, Latin mixed
    // with Cyrillic Extended-C, Cyrillic mixed with Latin IPA, mathematical monospace.
    for (real, look_alike) in [
        ("zo\u{e9}", "zoe\u{301}"),
        ("bob", "bob\u{E0100}"),
        ("bob", "bob\u{180B}"),
        ("bob", "bo\u{1D173}b"),
        ("bob", "b\u{1C82}b"),
        ("ego", "\u{435}\u{261}\u{43e}"),
        ("alice", "\u{1D68A}\u{1D695}\u{1D692}\u{1D68C}\u{1D68E}"),
    ] {
        let mut m = submitted(0.95);
        m.record(Review::approve(real, DIGEST, t(20))).unwrap();
        let err = m
            .record(Review::approve(look_alike, DIGEST, t(20)))
            .unwrap_err();
        assert!(
            matches!(err.error(), modelgate::model::RecordError::Reviewer(_)),
            "{look_alike:?}"
        );
        assert!(Model::new("m", look_alike).is_err(), "{look_alike:?}");
    }
}
