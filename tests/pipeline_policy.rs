//! The policy a spec builds and the same policy written in code with the library decide
//! identically, on random specs and random scenarios.
#![cfg(feature = "proptest")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use modelgate::policy::Comparison;
use modelgate::testing::{METRICS, scenario};
use modelgate::{MetricGate, PipelineSpec, Policy, Quorum, Veto, all, any as any_of, when};
use proptest::prelude::*;
use serde_json::{Value, json};

const NAMES: [&str; 5] = ["alice", "bob", "carol", "team_lead", "ml_reviewer"];
const OPS: [(&str, Comparison); 4] = [
    ("at_least", Comparison::AtLeast),
    ("at_most", Comparison::AtMost),
    ("above", Comparison::Above),
    ("below", Comparison::Below),
];

#[derive(Clone, Debug)]
struct Condition {
    metric: &'static str,
    op: usize,
    threshold: f64,
}

impl Condition {
    fn json(&self) -> Value {
        json!({ "metric": self.metric, OPS[self.op].0: self.threshold })
    }

    fn gate(&self) -> MetricGate {
        MetricGate::new(self.metric, OPS[self.op].1, self.threshold)
    }
}

fn condition() -> impl Strategy<Value = Condition> {
    (
        prop::sample::select(METRICS.to_vec()),
        0..4usize,
        prop::sample::select(vec![0.5, 0.8, 0.9, 0.95, 50.0]),
    )
        .prop_map(|(metric, op, threshold)| Condition {
            metric,
            op,
            threshold,
        })
}

#[derive(Clone, Debug)]
struct Params {
    test_gates: Vec<Condition>,
    approval_gates: Vec<Condition>,
    approvers: Vec<&'static str>,
    required: usize,
    auto: Option<Condition>,
}

fn params() -> impl Strategy<Value = Params> {
    (
        prop::collection::vec(condition(), 0..3),
        prop::collection::vec(condition(), 0..2),
        prop::sample::subsequence(NAMES.to_vec(), 0..=4),
        1..=4usize,
        prop::option::of(condition()),
    )
        .prop_filter_map(
            "a valid spec",
            |(test_gates, approval_gates, approvers, required, auto)| {
                if approvers.is_empty() && auto.is_none() {
                    return None;
                }
                let required = if approvers.is_empty() {
                    1
                } else {
                    required.min(approvers.len())
                };
                Some(Params {
                    test_gates,
                    approval_gates,
                    approvers,
                    required,
                    auto,
                })
            },
        )
}

fn spec(p: &Params) -> PipelineSpec {
    let mut inputs = serde_json::Map::new();
    if !p.approvers.is_empty() {
        inputs.insert("approvers".into(), json!(p.approvers));
        inputs.insert("required".into(), json!(p.required));
    }
    if let Some(auto) = &p.auto {
        inputs.insert("auto_approve".into(), auto.json());
    }
    inputs.insert(
        "gates".into(),
        Value::Array(p.approval_gates.iter().map(Condition::json).collect()),
    );
    let gates: Vec<Value> = p.test_gates.iter().map(Condition::json).collect();
    serde_json::from_value(json!({ "steps": [
        { "name": "train", "type": "training" },
        { "name": "evaluate", "type": "test", "inputs": { "gates": gates } },
        { "name": "approve", "type": "approval", "inputs": inputs, "on_reject": "retrain" },
        { "name": "deploy", "type": "deploy" },
    ]}))
    .unwrap()
}

/// The same policy, written by hand with the library.
fn in_code(p: &Params) -> Box<dyn Policy> {
    let gates = all(p
        .test_gates
        .iter()
        .chain(&p.approval_gates)
        .map(Condition::gate));
    let names = p.approvers.clone();
    if names.is_empty() {
        let auto = p.auto.as_ref().unwrap().gate();
        return Box::new((
            gates,
            when(auto)
                .approve_automatically()
                .otherwise(any_of(Vec::<Quorum>::new())),
        ));
    }
    let veto = Veto::new()
        .eligible_ids(names.clone())
        .eligible_roles(names.clone());
    let quorum = Quorum::new(p.required)
        .eligible_ids(names.clone())
        .eligible_roles(names);
    match &p.auto {
        None => Box::new((gates, veto, quorum)),
        Some(auto) => Box::new((
            gates,
            veto,
            when(auto.gate()).approve_automatically().otherwise(quorum),
        )),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn a_spec_policy_decides_like_the_same_policy_in_code(p in params(), s in scenario()) {
        let from_spec = spec(&p).validate().unwrap().policy();
        let from_code = in_code(&p);
        let ctx = s.context();
        let (a, b) = (from_spec.evaluate(&ctx), from_code.evaluate(&ctx));
        prop_assert_eq!(a.kind(), b.kind());
        prop_assert_eq!(format!("{:?}", a), format!("{:?}", b));
        prop_assert_eq!(from_spec.judge(&ctx), b.kind());
        prop_assert_eq!(from_spec.name(), from_code.name());
    }
}
