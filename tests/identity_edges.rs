//! Identities no one can mistake, at their edges: marks that display as nothing (`ı` + U+0307),
//! right-to-left ids that the bidi algorithm reorders (`א2`, `2א`), repeated spaces and marks,
//! look-alike environments in promotions, free text limits. Each test states the promise; each
//! broke once (an independent attacker's findings).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use modelgate::value::CountedVotes;
use modelgate::{
    Environment, MetricGate, Metrics, Model, PipelineSpec, Policy, Quorum, Review, ReviewContext,
    TrainingOutcome, VerdictKind, when,
};

/// Whether `a` and `b` are both accepted as reviewer ids and count as two reviewers.
fn two_reviewers(a: &str, b: &str) -> Option<usize> {
    let mut m = submitted(0.95);
    m.record(Review::approve(a, DIGEST, t(11))).ok()?;
    m.record(Review::approve(b, DIGEST, t(12))).ok()?;
    Some(m.stage().votes().len())
}

/// Pairs that display alike (or nearly) within one allowed script / Highly Restrictive mix.
const PAIRS: &[(&str, &str, &str)] = &[
    ("han/katakana ro", "\u{53E3}", "\u{30ED}"), // 口 vs ロ
    ("han/katakana ka", "\u{529B}", "\u{30AB}"), // 力 vs カ
    ("han/katakana e", "\u{5DE5}", "\u{30A8}"),  // 工 vs エ
    ("han/katakana ni", "\u{4E8C}", "\u{30CB}"), // 二 vs ニ
    ("han/katakana ha", "\u{516B}", "\u{30CF}"), // 八 vs ハ
    ("han/katakana to", "\u{535C}", "\u{30C8}"), // 卜 vs ト
    ("han/katakana ta", "\u{5915}", "\u{30BF}"), // 夕 vs タ
    ("han one/long vowel", "\u{4E00}", "\u{30FC}"), // 一 vs ー
    ("han one/hangul eu", "a\u{4E00}b", "a\u{3161}b"), // 一 vs ㅡ
    ("latin+han one/long vowel", "alice\u{4E00}", "alice\u{30FC}"),
    (
        "arabic-indic/persian digits",
        "\u{0661}\u{0662}\u{0663}",
        "\u{06F1}\u{06F2}\u{06F3}",
    ),
    ("arabic-indic 1 / latin l", "\u{0661}", "l"),
    ("devanagari digit zero / o", "\u{0966}", "o"),
    (
        "cyrillic whole-script",
        "alice",
        "\u{0430}\u{04CF}\u{0456}\u{0441}\u{0435}",
    ),
    ("greek whole-script", "ox", "\u{03BF}\u{03C7}"),
    ("vv / w", "wendy", "vvendy"),
    ("cl / d", "dan", "clan"),
    ("0 / o", "bob", "b0b"),
    ("case", "alice", "Alice"),
    ("ASCII space twice", "team lead", "team  lead"),
    ("hangul jamo / composed", "\u{AC00}", "\u{1100}\u{1161}"),
    ("latin long s", "sam", "\u{017F}am"),
    ("dotless j", "jo", "\u{0237}o"),
    ("i with ogonek dot", "li", "l\u{012F}"),
    ("eszett / ss", "strasse", "stra\u{00DF}e"),
    ("thai", "\u{0E1A}", "\u{0E9A}"),
];

/// Promise: a look-alike pair accepted as two ids must be one identity. Katakana/Han pairs.
#[test]
fn katakana_and_han_look_alikes_are_one_identity_or_refused() {
    let mut bad = Vec::new();
    for (what, a, b) in PAIRS.iter().take(10) {
        if two_reviewers(a, b) == Some(2) {
            bad.push(format!("{what}: {a} and {b} are two reviewers"));
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

/// Promise: the submitter's look-alike never counts (Han/Katakana: 口 submits, ロ approves).
#[test]
fn a_katakana_look_alike_of_the_submitter_does_not_count() {
    let mut m = untrained()
        .submit(outcome(DIGEST, 0.95), "\u{53E3}", t(10))
        .unwrap();
    if m.record(Review::approve("\u{30ED}", DIGEST, t(11))).is_ok() {
        let votes = m.stage().votes().clone();
        let o = m.stage().submission().outcome().clone();
        let ctx = ReviewContext::new(&o, &votes, "\u{53E3}", 1, t(30));
        assert_eq!(Quorum::new(1).judge(&ctx), VerdictKind::Pending);
    }
}

/// Promise: a stored record holding an identifier that breaks the rule is refused on restore.
/// The promotion's `from` environment is never checked: a hangul filler / bidi override /
/// newline, or the model's own environment in a look-alike spelling.
#[test]
fn forged_promotion_from_is_refused_on_restore() {
    let model = promoted();
    let stored = sealed(&model);
    let mut accepted = Vec::new();
    for from in [
        "staging\u{3164}",
        "\u{202E}production",
        "prod\nuction",
        "production\u{200B}",
        "productio\u{0578}",
    ] {
        let forged = forged(&stored, |json| {
            let events = json["events"].as_array_mut().unwrap();
            for e in events.iter_mut() {
                let text = serde_json::to_string(e).unwrap();
                if text.contains("\"from\"") {
                    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
                    fn set(v: &mut serde_json::Value, to: &str) {
                        match v {
                            serde_json::Value::Object(map) => {
                                for (k, val) in map.iter_mut() {
                                    if k == "from" && val.is_string() {
                                        *val = serde_json::Value::String(to.to_owned());
                                    } else {
                                        set(val, to);
                                    }
                                }
                            }
                            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| set(x, to)),
                            _ => {}
                        }
                    }
                    set(&mut v, from);
                    *e = v;
                }
            }
        })
        .sealed_by(&key())
        .unwrap();
        let json = serde_json::to_string(&forged).unwrap();
        assert!(json.contains("from"), "{json}");
        if let Ok(restored) = forged.restore(&key(), &()) {
            let p = match &restored {
                modelgate::model::AnyModel::Submitted(m) => m
                    .stage()
                    .submission()
                    .promotion()
                    .map(|p| p.from().to_owned()),
                _ => None,
            };
            accepted.push(format!("{from:?} restored, promotion from {p:?}"));
        }
    }
    assert!(accepted.is_empty(), "{accepted:#?}");
}

/// Environments follow the identifier rule, but `prod1` and `prodl` (one skeleton) are two
/// environments, compared byte for byte: a version deployed in `prod1` is "promoted" into
/// `prodl` (a promotion must come from another environment). Out of the letter of the promise
/// (which names ids, roles and metric names), reported as a note.
#[test]
fn a_version_is_not_promoted_into_a_look_alike_of_its_environment() {
    let source = Model::new("fraud-detector", "2026.11")
        .unwrap()
        .in_environment(Environment::new("prod1").unwrap());
    let mut m = source
        .submit(outcome(DIGEST, 0.95), "alice", t(10))
        .unwrap();
    m.record(Review::approve("bob", DIGEST, t(11))).unwrap();
    let deployed = m
        .decide(&Quorum::new(1), &modelgate::DecisionContext::at(t(20)))
        .unwrap()
        .approved()
        .unwrap()
        .mark_deployed(modelgate::Receipt::new("r"), "ci", t(30))
        .unwrap();
    let target = Model::new("fraud-detector", "2026.11")
        .unwrap()
        .in_environment(Environment::new("prodl").unwrap());
    let online = Metrics::new([("error_rate", 0.01)]).unwrap();
    let r = deployed.promote(target, online, "alice", t(100));
    assert!(
        r.is_err(),
        "promoted from `prod1` into its look-alike `prodl`"
    );
}

/// `auto_approve` on a look-alike metric: gate `rnse` below 0.1, metrics `mse` 0.5.
#[test]
fn auto_approve_reads_the_look_alike_metric() {
    let metrics = Metrics::new([("mse", 0.5)]).unwrap();
    let o = TrainingOutcome::new(DIGEST, metrics).unwrap();
    let votes = CountedVotes::new();
    let ctx = ReviewContext::new(&o, &votes, "alice", 1, t(30));
    let p = when(MetricGate::below("rnse", 0.1))
        .approve_automatically()
        .otherwise(Quorum::new(1));
    assert_ne!(p.judge(&ctx), VerdictKind::Approve);
}

/// Promise: free text (comments, receipts, notes, reasons) has a documented length limit
/// (`MAX_TEXT_LEN`), refused where it enters.
#[test]
fn every_reason_has_the_length_limit() {
    use modelgate::value::MAX_TEXT_LEN;
    let long = || "x".repeat(MAX_TEXT_LEN * 25); // 100 KiB
    let mut accepted = Vec::new();
    if deployed().retire(long(), true, "ops", t(60)).is_ok() {
        accepted.push("retire reason");
    }
    if deployed()
        .roll_back("2026.10", long(), "ops", t(60))
        .is_ok()
    {
        accepted.push("roll_back reason");
    }
    if superseded()
        .reinstate(&(), Some("2026.12"), long(), "ops", t(90))
        .is_ok()
    {
        accepted.push("reinstate reason");
    }
    let mut a = approved();
    if a.mark_deploy_failed(long(), "ops", t(60)).is_ok() {
        accepted.push("deploy-failed error");
    }
    if approved().revoke(long(), "ops", t(60)).is_ok() {
        accepted.push("revoke reason");
    }
    assert!(
        accepted.is_empty(),
        "accepted 100 KiB free text: {accepted:?}"
    );
}

/// Promise: look-alike ids are refused when they enter, or are one identity. `alice  smith`
/// (two inner spaces) displays like `alice smith` (HTML, many UIs and log viewers collapse
/// runs of spaces; in a terminal the difference is one column), yet it enters and is another
/// reviewer: the submitter approves their own model.
#[test]
fn two_spaces_in_a_row_are_refused() {
    let mut m = untrained()
        .submit(outcome(DIGEST, 0.95), "alice smith", t(10))
        .unwrap();
    let entered = m.record(Review::approve("alice  smith", DIGEST, t(11)));
    if entered.is_ok() {
        let votes = m.stage().votes().clone();
        let o = m.stage().submission().outcome().clone();
        let ctx = ReviewContext::new(&o, &votes, "alice smith", 1, t(30));
        assert_ne!(
            Quorum::new(1).judge(&ctx),
            VerdictKind::Approve,
            "`alice  smith` approved the model `alice smith` submitted"
        );
    }
}

/// The visual order (left to right) of `text` on a left-to-right line, per UAX #9.
fn visual(text: &str) -> String {
    let info = unicode_bidi::BidiInfo::new(text, Some(unicode_bidi::Level::ltr()));
    let para = &info.paragraphs[0];
    info.reorder_line(para, para.range.clone()).into_owned()
}

/// Promise: look-alikes are refused or one identity; the submitter's look-alike never counts.
/// `א2` and `2א` (Hebrew alef and an ASCII digit, single script) display identically on any
/// left-to-right line (UAX #9 puts the digit left of the alef in both), but their skeletons
/// differ (UTS #39's `bidiSkeleton` exists for exactly this). The one approves what the other
/// submitted. Same with Arabic (`ب1` / `1ب`) and with an inner space (`א 7` / `7 א`).
#[test]
fn ids_the_bidi_algorithm_reorders_are_refused() {
    let mut broken = Vec::new();
    for (submitter, reviewer) in [
        ("\u{05D0}2", "2\u{05D0}"),
        ("\u{0628}1", "1\u{0628}"),
        ("\u{05D0} 7", "7 \u{05D0}"),
        ("\u{05E9}\u{05E8}\u{05D4} 42", "42 \u{05E9}\u{05E8}\u{05D4}"),
    ] {
        assert_eq!(
            visual(submitter),
            visual(reviewer),
            "{submitter:?} {reviewer:?}"
        );
        let Ok(mut m) = untrained().submit(outcome(DIGEST, 0.95), submitter, t(10)) else {
            continue;
        };
        if m.record(Review::approve(reviewer, DIGEST, t(11))).is_err() {
            continue;
        }
        let votes = m.stage().votes().clone();
        let o = m.stage().submission().outcome().clone();
        let ctx = ReviewContext::new(&o, &votes, submitter, 1, t(30));
        if Quorum::new(1).judge(&ctx) == VerdictKind::Approve {
            broken.push(format!(
                "submitter {submitter:?} approved by {reviewer:?}, both shown as {:?}",
                visual(submitter)
            ));
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

/// Promise: look-alikes are refused or one identity. `i` + U+0307 (combining dot above) is in
/// NFC (no precomposed form), every character is Allowed, the mark is not repeated, and most
/// fonts draw the extra dot onto the dot the `i` already has: `ali̇ce` displays as `alice`. UTS
/// #39 §5.4 names exactly this case ("i + U+0307") among the sequences to forbid. The skeleton
/// keeps the mark, so it is another reviewer: `alice`'s own vote counts.
#[test]
fn a_dot_above_on_an_i_is_refused() {
    let mut broken = Vec::new();
    for (submitter, reviewer) in [
        ("alice", "ali\u{0307}ce"),
        ("jim", "j\u{0307}im"),
        ("alice", "al\u{0131}\u{0307}ce"), // dotless i + dot above
    ] {
        let mut m = untrained()
            .submit(outcome(DIGEST, 0.95), submitter, t(10))
            .unwrap();
        if m.record(Review::approve(reviewer, DIGEST, t(11))).is_err() {
            continue;
        }
        let votes = m.stage().votes().clone();
        let o = m.stage().submission().outcome().clone();
        let ctx = ReviewContext::new(&o, &votes, submitter, 1, t(30));
        if Quorum::new(1).judge(&ctx) == VerdictKind::Approve {
            broken.push(format!(
                "{reviewer:?} approved what {submitter:?} submitted"
            ));
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

/// Promise: "no combining mark follows itself (`é` + U+0301 twice)". The check runs on the NFC
/// text, where a precomposed `é` (U+00E9) followed by one U+0301 is two different characters;
/// UTS #39's rule ("forbid sequences of the same nonspacing mark") is about the decomposed
/// text, which is `e` + U+0301 + U+0301. Renderers draw the second acute onto the first.
#[test]
fn a_mark_repeated_on_a_precomposed_letter_is_refused() {
    let mut accepted = Vec::new();
    for (plain, doubled) in [
        ("zo\u{E9}", "zo\u{E9}\u{301}"),
        ("j\u{F6}rg", "j\u{F6}\u{308}rg"),
        ("\u{E5}sa", "\u{E5}\u{30A}sa"),
        ("ren\u{E9}e", "ren\u{E9}\u{301}e"),
    ] {
        if let (Some(n), _) = (two_reviewers(plain, doubled), ()) {
            accepted.push(format!(
                "{doubled:?} entered beside {plain:?}: {n} reviewers"
            ));
        }
    }
    assert!(accepted.is_empty(), "{accepted:#?}");
}

/// Promise: a quorum counts distinct skeletons. `alice` and `alı̇ce` (dotless ı + U+0307),
/// both drawn `alice`, meet a quorum of two; the verdict reads "2 of 2 approvals from alice,
/// alice" to the eye.
#[test]
fn a_quorum_is_never_met_by_one_person_twice() {
    let mut m = untrained()
        .submit(outcome(DIGEST, 0.95), "carol", t(10))
        .unwrap();
    m.record(Review::approve("alice", DIGEST, t(11))).unwrap();
    let second = m.record(Review::approve("al\u{131}\u{307}ce", DIGEST, t(12)));
    if second.is_ok() {
        let votes = m.stage().votes().clone();
        let o = m.stage().submission().outcome().clone();
        let ctx = ReviewContext::new(&o, &votes, "carol", 1, t(30));
        let verdict = Quorum::new(2).evaluate(&ctx);
        assert_ne!(verdict.kind(), VerdictKind::Approve, "{verdict}");
    }
}

/// Promise: spec approver lists naming one identity twice are refused (and look-alikes are
/// refused where they enter). Both lists below name entries drawn identically.
#[test]
fn a_spec_cannot_list_one_person_twice() {
    let mut accepted = Vec::new();
    for (a, b) in [
        ("alice", "al\u{131}\u{307}ce"),
        ("zo\u{E9}", "zo\u{E9}\u{301}"),
        ("\u{05D0}2", "2\u{05D0}"),
        ("team lead", "team  lead"),
    ] {
        let spec: PipelineSpec = serde_json::from_value(serde_json::json!({"steps": [
            {"name": "train", "type": "training"},
            {"name": "approve_model", "type": "approval",
             "inputs": {"approvers": [a, b], "required": 2}},
            {"name": "deploy", "type": "deploy"},
        ]}))
        .unwrap();
        if spec.validate().is_ok() {
            accepted.push(format!("approvers [{a:?}, {b:?}], required 2: valid"));
        }
    }
    assert!(accepted.is_empty(), "{accepted:#?}");
}

/// Promise: `Metrics::new` refuses two names of one metric; look-alikes are refused where they
/// enter. `precision` and `precı̇sion` (dotless ı + U+0307) are drawn alike, and both enter: an
/// audit line shows `precision=0.5, precision=0.99`.
#[test]
fn metrics_never_hold_one_name_twice() {
    let m = Metrics::new([("precision", 0.5), ("prec\u{131}\u{307}sion", 0.99)]);
    assert!(m.is_err(), "{m:?}");
}
