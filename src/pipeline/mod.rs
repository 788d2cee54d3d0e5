//! Declarative pipelines: the spec users write, the validated [`Pipeline`], and a sans-I/O
//! [`Run`] that drives a model through it.

mod action;
mod fingerprint;
mod hooks;
pub(crate) mod raw;
mod replay;
mod run;
mod run_error;
mod spec;
mod spec_approval;
mod spec_error;
mod spec_order;
mod state;

use std::time::Duration;

use crate::policy::{
    All, Lint, MetricGate, OnlineMetric, Policy, Quorum, ReviewContext, Soak, Verdict, VerdictKind,
    Veto, all, any, when,
};
use crate::value::Environment;

pub use action::{Action, Artifact};
pub use hooks::{DriveError, Evaluator, HookError, Trainer};
pub use run::Run;
pub use run_error::RunError;
pub use spec::PipelineSpec;
pub use spec_error::{SpecError, SpecErrors, SpecProblem};
pub use state::Finished;

/// A validated pipeline: at most one training step (first), test steps, one approval step, at
/// most one deploy step.
///
/// Made by [`PipelineSpec::validate`]; driven by a [`Run`]. Without a training step the run
/// starts by asking the host for the artifact to review (a model trained elsewhere).
#[derive(Clone, Debug, PartialEq)]
pub struct Pipeline {
    steps: Vec<Step>,
    environment: Environment,
    /// Where the test steps are, in order; where the approval step is; whether a training and a
    /// deploy step are there: found once, so that a run looks each up in constant time.
    tests: Vec<usize>,
    approval: Option<usize>,
    trains: bool,
    deploys: bool,
}

/// One validated step.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    name: String,
    kind: StepKind,
}

/// What a step does.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum StepKind {
    /// The host trains the model.
    Training,
    /// The host evaluates the artifact; the gates join the approval policy.
    Test {
        /// Metric gates on the evaluation's metrics.
        gates: Vec<MetricGate>,
    },
    /// The model waits for its approval policy.
    Approval(Approval),
    /// The host deploys the approved model.
    Deploy,
}

/// The approval step's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Approval {
    approvers: Vec<String>,
    required: usize,
    veto: bool,
    auto_approve: Option<MetricGate>,
    gates: Vec<MetricGate>,
    soak_hours: Option<u64>,
    online: Vec<MetricGate>,
    on_reject: OnReject,
}

/// What happens when the approval policy rejects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnReject {
    /// Back to training with the findings as feedback, at most `max_attempts` attempts in all.
    Retrain {
        /// Attempts in all, the first included.
        max_attempts: u32,
    },
    /// The run ends as failed.
    FailPipeline,
}

impl Step {
    /// The step's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the step does.
    pub fn kind(&self) -> &StepKind {
        &self.kind
    }
}

impl Approval {
    /// The user ids or roles that may approve (a name matches either).
    pub fn approvers(&self) -> &[String] {
        &self.approvers
    }

    /// How many distinct approvals are required.
    pub fn required(&self) -> usize {
        self.required
    }

    /// Whether a reject vote by any approver rejects (`veto`, default `true`).
    pub fn veto(&self) -> bool {
        self.veto
    }

    /// The condition under which the model is approved automatically.
    pub fn auto_approve(&self) -> Option<&MetricGate> {
        self.auto_approve.as_ref()
    }

    /// Metric gates checked at approval.
    pub fn gates(&self) -> &[MetricGate] {
        &self.gates
    }

    /// The promotion rule on time: hours the version must have been deployed in the previous
    /// environment ([`Soak`]).
    pub fn soak_hours(&self) -> Option<u64> {
        self.soak_hours
    }

    /// The promotion rules on metrics observed online in the previous environment
    /// ([`OnlineMetric`]), as gates on the online metrics.
    pub fn online(&self) -> &[MetricGate] {
        &self.online
    }

    /// What happens on rejection.
    pub fn on_reject(&self) -> OnReject {
        self.on_reject
    }
}

impl Pipeline {
    /// The steps, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The approval step (validation guarantees exactly one).
    pub(crate) fn approval(&self) -> Option<(&str, &Approval)> {
        match self.approval.and_then(|i| self.steps.get(i)) {
            Some(Step {
                name,
                kind: StepKind::Approval(a),
            }) => Some((name.as_str(), a)),
            _ => None,
        }
    }

    /// The environment the pipeline approves and deploys for: its runs take models of that
    /// environment only (`default` unless the spec names one).
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// The validated steps, indexed.
    pub(crate) fn new(steps: Vec<Step>, environment: Environment) -> Self {
        let tests = steps
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s.kind, StepKind::Test { .. }))
            .map(|(i, _)| i)
            .collect();
        let approval = steps
            .iter()
            .position(|s| matches!(s.kind, StepKind::Approval(_)));
        let trains = steps.iter().any(|s| matches!(s.kind, StepKind::Training));
        let deploys = steps.iter().any(|s| matches!(s.kind, StepKind::Deploy));
        Self {
            steps,
            environment,
            tests,
            approval,
            trains,
            deploys,
        }
    }

    /// The test steps, in order.
    pub(crate) fn tests(&self) -> impl Iterator<Item = &Step> {
        self.tests.iter().filter_map(|&i| self.steps.get(i))
    }

    /// The `n`-th test step, in constant time.
    pub(crate) fn test(&self, n: usize) -> Option<&Step> {
        self.tests.get(n).and_then(|&i| self.steps.get(i))
    }

    /// Whether the pipeline has a training step.
    pub(crate) fn trains(&self) -> bool {
        self.trains
    }

    /// Whether the pipeline has a deploy step.
    pub(crate) fn deploys(&self) -> bool {
        self.deploys
    }

    /// The approval policy the pipeline stands for: every gate of the test and approval steps;
    /// then the promotion rules, if the approval step names them (`soak_hours` as
    /// [`Soak::at_least`], `online` as `all` of [`OnlineMetric`]s); then, if approvers are
    /// named, a veto by any of them (an approver's reject rejects;
    /// `veto: false` leaves it out) and a quorum of them (a name matches a reviewer id or a
    /// role), approved automatically when `auto_approve` holds. With `auto_approve` and no
    /// approvers, it rejects when the condition does not hold.
    ///
    /// It is the same policy as one written in code:
    ///
    /// ```
    /// # use modelgate::*;
    /// let spec: PipelineSpec = serde_json::from_str(r#"{"steps": [
    ///     {"name": "train", "type": "training"},
    ///     {"name": "approve", "type": "approval", "inputs": {
    ///         "approvers": ["alice", "team_lead"], "required": 1,
    ///         "auto_approve": {"metric": "accuracy", "above": 0.9}}}
    /// ]}"#)?;
    /// let approvers = ["alice", "team_lead"];
    /// let in_code = (
    ///     all(Vec::<MetricGate>::new()),
    ///     Veto::new().eligible_ids(approvers).eligible_roles(approvers),
    ///     when(MetricGate::above("accuracy", 0.9))
    ///         .approve_automatically()
    ///         .otherwise(Quorum::new(1).eligible_ids(approvers).eligible_roles(approvers)),
    /// );
    /// assert_eq!(spec.validate()?.policy().name(), in_code.name());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn policy(&self) -> PipelinePolicy {
        let gates = self
            .tests()
            .flat_map(|s| match &s.kind {
                StepKind::Test { gates } => gates.clone(),
                _ => Vec::new(),
            })
            .chain(
                self.approval()
                    .map(|(_, a)| a.gates.clone())
                    .unwrap_or_default(),
            );
        let mut parts: Vec<Box<dyn Policy + Send + Sync>> = vec![Box::new(all(gates))];
        // The promotion rules, when the approval step names them (both fail closed without a
        // promotion's evidence).
        if let Some((_, a)) = self.approval() {
            if let Some(hours) = a.soak_hours {
                let soak = Duration::from_secs(hours.saturating_mul(3600));
                parts.push(Box::new(Soak::at_least(soak)));
            }
            if !a.online.is_empty() {
                let online = a
                    .online
                    .iter()
                    .map(|g| OnlineMetric::new(g.metric(), g.comparison(), g.threshold()));
                parts.push(Box::new(all(online.collect::<Vec<_>>())));
            }
        }
        match self.approval() {
            None => parts.push(Box::new(any(Vec::<Quorum>::new()))),
            Some((_, a)) if a.approvers.is_empty() => {
                let nobody = any(Vec::<Quorum>::new());
                match &a.auto_approve {
                    Some(auto) => parts.push(Box::new(
                        when(auto.clone()).approve_automatically().otherwise(nobody),
                    )),
                    None => parts.push(Box::new(nobody)),
                }
            }
            Some((_, a)) => {
                let names = || a.approvers.iter().cloned();
                if a.veto {
                    parts.push(Box::new(
                        Veto::new().eligible_ids(names()).eligible_roles(names()),
                    ));
                }
                let quorum = Quorum::new(a.required)
                    .eligible_ids(names())
                    .eligible_roles(names());
                match &a.auto_approve {
                    None => parts.push(Box::new(quorum)),
                    Some(auto) => parts.push(Box::new(
                        when(auto.clone()).approve_automatically().otherwise(quorum),
                    )),
                }
            }
        }
        PipelinePolicy(all(parts))
    }
}

/// The approval policy of a [`Pipeline`] (see [`Pipeline::policy`]): "all of" the gates and the
/// approval rules, named as the tuple written in code would be.
pub struct PipelinePolicy(All<Vec<Box<dyn Policy + Send + Sync>>>);

impl std::fmt::Debug for PipelinePolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PipelinePolicy").field(&self.name()).finish()
    }
}

impl Policy for PipelinePolicy {
    fn evaluate(&self, ctx: &ReviewContext<'_>) -> Verdict {
        self.0.evaluate(ctx)
    }

    fn judge(&self, ctx: &ReviewContext<'_>) -> VerdictKind {
        self.0.judge(ctx)
    }

    fn name(&self) -> String {
        self.0.name()
    }

    fn lint(&self, lints: &mut Vec<Lint>) {
        self.0.lint(lints);
    }
}
