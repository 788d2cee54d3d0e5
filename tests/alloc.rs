//! Judging W1 allocates nothing: a counting allocator (the `allocation-counter` dev-dependency,
//! which counts on the measuring thread only) proves it.
#![allow(clippy::unwrap_used)]

#[path = "common/w1.rs"]
mod w1;

use modelgate::{Policy, VerdictKind};

#[test]
fn judging_w1_allocates_nothing_and_agrees_with_the_baseline() {
    let policy = w1::policy();
    for (name, case, expected) in [
        ("a", w1::case_a(), VerdictKind::Approve),
        ("b", w1::case_b(), VerdictKind::Reject),
        ("c", w1::case_c(), VerdictKind::Approve),
    ] {
        let ctx = case.context();
        let mut kind = VerdictKind::Pending;
        let info = allocation_counter::measure(|| kind = policy.judge(&ctx));
        assert_eq!(kind, expected, "case {name}");
        assert_eq!(case.baseline(), expected, "baseline, case {name}");
        assert_eq!(info.count_total, 0, "judging case {name} allocated");
        // Explaining allocates (the findings' messages) and agrees.
        assert_eq!(
            policy.evaluate(&ctx).kind(),
            expected,
            "evaluate, case {name}"
        );
    }
}

#[test]
fn the_counter_sees_allocations() {
    let info = allocation_counter::measure(|| {
        std::hint::black_box(vec![1u8; 16]);
    });
    assert_eq!(info.count_total, 1);
}

#[test]
fn end_to_end_the_host_data_decides_as_the_baseline() {
    let policy = w1::policy();
    for data in [w1::host_a(), w1::host_b(), w1::host_c()] {
        assert_eq!(w1::host_judge(&policy, &data), w1::host_baseline(&data));
        assert_eq!(
            w1::host_evaluate(&policy, &data).kind(),
            w1::host_baseline(&data)
        );
    }
}

#[test]
fn judging_from_the_host_data_borrowed_allocates_nothing() {
    let policy = w1::policy();
    for (name, data) in [
        ("a", w1::host_a()),
        ("b", w1::host_b()),
        ("c", w1::host_c()),
    ] {
        let mut kind = VerdictKind::Pending;
        let info = allocation_counter::measure(|| kind = w1::host_judge_borrowed(&policy, &data));
        assert_eq!(kind, w1::host_baseline(&data), "case {name}");
        assert_eq!(
            info.count_total, 0,
            "checking and judging the borrowed host data of case {name} allocated"
        );
        assert_eq!(
            w1::host_evaluate_borrowed(&policy, &data).kind(),
            w1::host_baseline(&data),
            "explained, case {name}"
        );
        assert_eq!(
            w1::host_decide_model(&policy, &data),
            w1::host_baseline(&data),
            "through the model, case {name}"
        );
    }
}
