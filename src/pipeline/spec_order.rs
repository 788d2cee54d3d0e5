//! The checks that need every step: unique names, and the order of the steps.

use super::spec::{At, Validator};
use super::spec_error::SpecProblem;
use super::{Step, StepKind};

impl Validator {
    pub(super) fn unique_names(&mut self, steps: &[Option<Step>]) {
        let mut seen: Vec<(&str, usize)> = Vec::new();
        for (i, step) in steps.iter().enumerate() {
            let Some(step) = step else { continue };
            match seen.iter().find(|(name, _)| *name == step.name) {
                Some((_, first)) => {
                    let at = At {
                        step: Some(&step.name),
                        path: format!("steps[{i}].name"),
                    };
                    self.push(
                        &at,
                        SpecProblem::DuplicateName {
                            name: step.name.clone(),
                            first: first + 1,
                        },
                    );
                }
                None => seen.push((&step.name, i)),
            }
        }
    }

    /// One training step first; tests after it; one approval after them; at most one deploy
    /// after. Steps that had problems of their own (`None`) are left out, keeping the others'
    /// positions; a step type is reported missing only when every step could be read.
    pub(super) fn order(&mut self, steps: &[Option<Step>]) {
        let parsed = || {
            steps
                .iter()
                .enumerate()
                .filter_map(|(i, s)| s.as_ref().map(|s| (i, s)))
        };
        let position =
            |kind: fn(&StepKind) -> bool| parsed().find(|(_, s)| kind(&s.kind)).map(|(i, _)| i);
        let training = position(|k| matches!(k, StepKind::Training));
        let approval = position(|k| matches!(k, StepKind::Approval(_)));
        let root = At {
            step: None,
            path: String::from("steps"),
        };
        let complete = steps.iter().all(Option::is_some);
        if complete && training.is_none() {
            self.push(&root, SpecProblem::MissingStep { kind: "training" });
        }
        if complete && approval.is_none() {
            self.push(&root, SpecProblem::MissingStep { kind: "approval" });
        }
        let mut deploy = None;
        for (i, step) in parsed() {
            let at = At {
                step: Some(&step.name),
                path: format!("steps[{i}]"),
            };
            match step.kind {
                StepKind::Training if training != Some(i) => {
                    self.push(
                        &at,
                        SpecProblem::TooMany {
                            kind: "training",
                            first: training.unwrap_or(0) + 1,
                        },
                    );
                }
                StepKind::Training if i != 0 => {
                    self.push(
                        &at,
                        SpecProblem::Order {
                            kind: "training",
                            rule: "first",
                        },
                    );
                }
                StepKind::Test { .. } if training.is_some_and(|t| i < t) => {
                    self.push(
                        &at,
                        SpecProblem::Order {
                            kind: "test",
                            rule: "after the training step",
                        },
                    );
                }
                StepKind::Test { .. } if approval.is_some_and(|a| i > a) => {
                    self.push(
                        &at,
                        SpecProblem::Order {
                            kind: "test",
                            rule: "before the approval step",
                        },
                    );
                }
                StepKind::Approval(_) if approval != Some(i) => {
                    self.push(
                        &at,
                        SpecProblem::TooMany {
                            kind: "approval",
                            first: approval.unwrap_or(0) + 1,
                        },
                    );
                }
                StepKind::Deploy if approval.is_none_or(|a| i < a) => {
                    self.push(&at, SpecProblem::DeployBeforeApproval);
                }
                StepKind::Deploy => match deploy {
                    Some(first) => self.push(
                        &at,
                        SpecProblem::TooMany {
                            kind: "deploy",
                            first,
                        },
                    ),
                    None => deploy = Some(i + 1),
                },
                _ => {}
            }
        }
    }
}
