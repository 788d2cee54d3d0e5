//! Valid pipeline specs.

use proptest::prelude::*;

use super::{METRICS, REVIEWERS, ROLES, metric_value};
use crate::PipelineSpec;
use crate::pipeline::raw::Raw;

/// A valid pipeline spec: training, 0 to 2 test steps with gates, an approval step (approvers
/// from [`REVIEWERS`] and [`ROLES`], a `required` they can meet, sometimes `auto_approve`,
/// sometimes gates, `retrain` or `fail_pipeline`), sometimes a deploy step.
pub fn pipeline_spec() -> impl Strategy<Value = PipelineSpec> {
    let names: Vec<&'static str> = REVIEWERS.iter().chain(ROLES.iter()).copied().collect();
    (
        prop::collection::vec(prop::collection::vec(condition(), 0..3), 0..3),
        prop::sample::subsequence(names, 0..=4),
        1..=4usize,
        prop::option::of(condition()),
        prop::collection::vec(condition(), 0..2),
        prop::option::of(1..5u32),
        any::<bool>(),
    )
        .prop_filter_map(
            "approvers or auto-approval",
            |(tests, approvers, required, auto, gates, retrain, deploy)| {
                if approvers.is_empty() && auto.is_none() {
                    return None;
                }
                let mut steps = vec![step("train", "training", Vec::new(), None)];
                for (i, gates) in tests.into_iter().enumerate() {
                    steps.push(step(
                        &format!("test_{i}"),
                        "test",
                        vec![("gates", Raw::List(gates))],
                        None,
                    ));
                }
                let mut inputs = vec![("gates", Raw::List(gates))];
                if !approvers.is_empty() {
                    let required = required.min(approvers.len());
                    inputs.push((
                        "approvers",
                        Raw::List(
                            approvers
                                .iter()
                                .map(|a| Raw::Str((*a).to_owned()))
                                .collect(),
                        ),
                    ));
                    inputs.push(("required", Raw::Int(required as i128)));
                }
                if let Some(auto) = auto {
                    inputs.push(("auto_approve", auto));
                }
                let on_reject = match retrain {
                    Some(max) => {
                        inputs.push(("max_attempts", Raw::Int(max.into())));
                        "retrain"
                    }
                    None => "fail_pipeline",
                };
                steps.push(step("approve", "approval", inputs, Some(on_reject)));
                if deploy {
                    steps.push(step("deploy", "deploy", Vec::new(), None));
                }
                Some(PipelineSpec::from_raw(Raw::Map(vec![(
                    "steps".to_owned(),
                    Raw::List(steps),
                )])))
            },
        )
}

fn condition() -> impl Strategy<Value = Raw> {
    (
        prop::sample::select(METRICS.to_vec()),
        prop::sample::select(vec!["at_least", "at_most", "above", "below"]),
        metric_value(),
    )
        .prop_map(|(metric, op, threshold)| {
            Raw::Map(vec![
                ("metric".to_owned(), Raw::Str(metric.to_owned())),
                (op.to_owned(), Raw::Float(threshold)),
            ])
        })
}

fn step(name: &str, kind: &str, inputs: Vec<(&str, Raw)>, on_reject: Option<&str>) -> Raw {
    let mut entries = vec![
        ("name".to_owned(), Raw::Str(name.to_owned())),
        ("type".to_owned(), Raw::Str(kind.to_owned())),
    ];
    if !inputs.is_empty() {
        let inputs = inputs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        entries.push(("inputs".to_owned(), Raw::Map(inputs)));
    }
    if let Some(on_reject) = on_reject {
        entries.push(("on_reject".to_owned(), Raw::Str(on_reject.to_owned())));
    }
    Raw::Map(entries)
}
