//! The checks that need every step: unique names, and the order of the steps.
//!
//! They go by the type each step *declares*, so that a step with problems of its own (an
//! approval step with `approvers: 'bob'`) still counts as what it is, and no false problem is
//! reported for the steps around it.

use std::collections::HashMap;

use super::spec::{At, Declared, StepRead, Validator};
use super::spec_error::SpecProblem;
use super::{OnReject, StepKind};

impl Validator {
    pub(super) fn unique_names(&mut self, steps: &[StepRead<'_>]) {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, step) in steps.iter().enumerate() {
            let Some(name) = step.name else {
                continue;
            };
            match seen.get(name) {
                Some(first) => {
                    let steps = At::root("steps");
                    let step_at = steps.index(i);
                    let named = step_at.named(Some(name));
                    let at = named.key("name");
                    let problem = SpecProblem::DuplicateName {
                        name: name.to_owned(),
                        first: first + 1,
                    };
                    self.push(&at, problem);
                }
                None => {
                    seen.insert(name, i);
                }
            }
        }
    }

    /// At most one training step, first; tests after it; one approval after them; at most one
    /// deploy after. A step type is reported missing only when every step's type could be read.
    /// Without a training step, `on_reject: retrain` has nothing to go back to.
    pub(super) fn order(&mut self, steps: &[StepRead<'_>]) {
        let declared = || {
            steps
                .iter()
                .enumerate()
                .filter_map(|(i, s)| s.declared.map(|d| (i, s, d)))
        };
        let position = |kind: Declared| declared().find(|(_, _, d)| *d == kind).map(|(i, ..)| i);
        let training = position(Declared::Training);
        let approval = position(Declared::Approval);
        let root = At::root("steps");
        if steps.iter().all(|s| s.declared.is_some()) && approval.is_none() {
            self.push(&root, SpecProblem::MissingStep { kind: "approval" });
        }
        let mut deploy = None;
        for (i, step, kind) in declared() {
            let indexed = root.index(i);
            let at = indexed.named(step.name);
            let problem = match kind {
                Declared::Training if training != Some(i) => Some(SpecProblem::TooMany {
                    kind: "training",
                    first: training.unwrap_or(0) + 1,
                }),
                Declared::Training if i != 0 => Some(SpecProblem::Order {
                    kind: "training",
                    rule: "first",
                }),
                Declared::Test if training.is_some_and(|t| i < t) => Some(SpecProblem::Order {
                    kind: "test",
                    rule: "after the training step",
                }),
                Declared::Test if approval.is_some_and(|a| i > a) => Some(SpecProblem::Order {
                    kind: "test",
                    rule: "before the approval step",
                }),
                Declared::Approval if approval != Some(i) => Some(SpecProblem::TooMany {
                    kind: "approval",
                    first: approval.unwrap_or(0) + 1,
                }),
                Declared::Approval if training.is_none() => retrain_without_training(step),
                Declared::Deploy if approval.is_none_or(|a| i < a) => {
                    Some(SpecProblem::DeployBeforeApproval)
                }
                Declared::Deploy => match deploy {
                    Some(first) => Some(SpecProblem::TooMany {
                        kind: "deploy",
                        first,
                    }),
                    None => {
                        deploy = Some(i + 1);
                        None
                    }
                },
                _ => None,
            };
            if let Some(problem) = problem {
                match problem {
                    SpecProblem::RetrainWithoutTraining => self.push(&at.key("on_reject"), problem),
                    _ => self.push(&at, problem),
                }
            }
        }
    }
}

/// An approval step that retrains, in a pipeline without a training step.
fn retrain_without_training(step: &StepRead<'_>) -> Option<SpecProblem> {
    match step.step.as_ref().map(|s| &s.kind) {
        Some(StepKind::Approval(a)) if matches!(a.on_reject, OnReject::Retrain { .. }) => {
            Some(SpecProblem::RetrainWithoutTraining)
        }
        _ => None,
    }
}
