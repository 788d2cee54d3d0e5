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
mod spec_rule;
mod state;

use std::time::Duration;

use crate::policy::{
    Fingerprinted, Fresh, Lint, MetricGate, OnlineMetric, Policy, PolicyExt, Quorum, RequiredRole,
    ReviewContext, Rule, Soak, Verdict, VerdictKind, Veto, all, any, when,
};
use crate::value::Environment;
use crate::value::text::esc;

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
    Approval(Box<Approval>),
    /// The host deploys the approved model.
    Deploy,
}

/// The approval step's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Approval {
    approvers: Vec<String>,
    users: Vec<String>,
    roles: Vec<String>,
    required: usize,
    veto: bool,
    auto_approve: Option<MetricGate>,
    gates: Vec<MetricGate>,
    soak_hours: Option<u64>,
    online: Vec<MetricGate>,
    required_roles: Vec<String>,
    vote_window_hours: Option<u64>,
    policy: Option<Box<Rule>>,
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
    /// The names of the older `approvers:` list, each matched as a user id and as a role
    /// (a user whose id is a role's name counts as that role: prefer [`users`](Self::users) and
    /// [`roles`](Self::roles); [`Pipeline::lints`] says so).
    pub fn approvers(&self) -> &[String] {
        &self.approvers
    }

    /// The user ids that may approve (`users:`).
    pub fn users(&self) -> &[String] {
        &self.users
    }

    /// The roles whose holders may approve (`roles:`).
    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    /// Roles of which at least one approval is required (`required_roles:`), each
    /// [`RequiredRole`].
    pub fn required_roles(&self) -> &[String] {
        &self.required_roles
    }

    /// The vote window, in hours (`vote_window_hours:`): the approval rules and the veto count
    /// only the votes cast that long before the decision ([`Fresh`]).
    pub fn vote_window_hours(&self) -> Option<u64> {
        self.vote_window_hours
    }

    /// Further rules the approval requires (`policy:`), any [`Rule`] in its spec form: only
    /// this key's rule; the whole policy the step decides by (the quorum, the veto, the gates
    /// and this rule) is [`Pipeline::policy`].
    pub fn policy(&self) -> Option<&Rule> {
        self.policy.as_deref()
    }

    /// Whether the step names its approvers or rules in the newer keys (`users`, `roles`,
    /// `required_roles`, `vote_window_hours`, `policy`), which the pipeline's fingerprint
    /// encodes in its second grammar.
    pub(crate) fn uses_rules(&self) -> bool {
        !self.users.is_empty()
            || !self.roles.is_empty()
            || !self.required_roles.is_empty()
            || self.vote_window_hours.is_some()
            || self.policy.is_some()
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

    /// What is worth a second look in a valid pipeline: its policy's [lints](PolicyExt::lints)
    /// (rules that can never be met), and an approval step that names its approvers in the
    /// older `approvers:` list, which matches each name as a user id *and* as a role (a user
    /// whose id is `risk_officer` would count as the role): the lint says which names it took
    /// both ways and how to say which is meant.
    ///
    /// ```
    /// # use modelgate::*;
    /// let spec: PipelineSpec = serde_json::from_str(r#"{"steps": [
    ///     {"name": "approve", "type": "approval", "inputs": {"approvers": ["alice", "risk_officer"]}}
    /// ]}"#)?;
    /// let lints = spec.validate()?.lints();
    /// assert_eq!(lints[0].to_string(), "`step approve`: `approvers` matches each of `alice`, \
    ///     `risk_officer` as a user id and as a role; write them under `users:` or `roles:`");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lints(&self) -> Vec<Lint> {
        let mut lints = self.policy().lints();
        if let Some((name, a)) = self.approval()
            && !a.approvers.is_empty()
        {
            let names: Vec<String> = a
                .approvers
                .iter()
                .map(|n| format!("`{}`", esc(n)))
                .collect();
            lints.push(Lint::new(
                format!("step {}", esc(name)),
                format!(
                    "`approvers` matches each of {} as a user id and as a role; write them \
                     under `users:` or `roles:`",
                    names.join(", ")
                ),
            ));
        }
        lints
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
    /// In the newer keys: the gates (left out when there are none), the promotion rules, then
    /// the veto of the named users and roles, then the approval rules: the quorum of them,
    /// each [`RequiredRole`] of `required_roles`, and the rule under `policy:`, "all of" them
    /// when there are several. With `vote_window_hours`, the veto and the approval rules are
    /// each wrapped in their own [`Fresh`]; with `auto_approve`, the approval rules are its
    /// "otherwise". [`Policy::rule`] shows the tree, and a policy built in code to the same
    /// tree has the same [fingerprint](PolicyExt::fingerprint) (the structure counts, not
    /// only the meaning: `all(a, all(b, c))` is not `all(a, b, c)`).
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
    /// let pipeline = spec.validate()?;
    /// assert_eq!(pipeline.policy().fingerprint(), in_code.fingerprint());
    /// assert_eq!(pipeline.policy().name(), in_code.name());
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
        let gates: Vec<Rule> = gates.map(Rule::from).collect();
        // A pipeline in the newer keys leaves out an empty `all()` of no gates; the older keep
        // it, so that the policy named in their recorded decisions stays the same.
        let newer = self.approval().is_some_and(|(_, a)| a.uses_rules());
        let mut parts: Vec<Rule> = Vec::new();
        if !(newer && gates.is_empty()) {
            parts.push(Rule::from(all(gates)));
        }
        // The promotion rules, when the approval step names them (both fail closed without a
        // promotion's evidence).
        if let Some((_, a)) = self.approval() {
            if let Some(hours) = a.soak_hours {
                let soak = Duration::from_secs(hours.saturating_mul(3600));
                parts.push(Rule::from(Soak::at_least(soak)));
            }
            if !a.online.is_empty() {
                let online = a.online.iter().map(|g| {
                    Rule::from(OnlineMetric::new(g.metric(), g.comparison(), g.threshold()))
                });
                parts.push(Rule::from(all(online)));
            }
        }
        let nobody = || Rule::from(any(Vec::<Rule>::new()));
        match self.approval() {
            None => parts.push(nobody()),
            Some((_, a)) => {
                let window = a
                    .vote_window_hours
                    .map(|h| Duration::from_secs(h.saturating_mul(3600)));
                let fresh = |rule: Rule| match window {
                    Some(w) => Rule::from(Fresh::within(w, rule)),
                    None => rule,
                };
                let (ids, roles) = if a.approvers.is_empty() {
                    (&a.users, &a.roles)
                } else {
                    (&a.approvers, &a.approvers)
                };
                let named = !ids.is_empty() || !roles.is_empty();
                if named && a.veto {
                    let veto = Veto::new()
                        .eligible_ids(ids.iter().cloned())
                        .eligible_roles(roles.iter().cloned());
                    parts.push(fresh(Rule::from(veto)));
                }
                let mut votes: Vec<Rule> = Vec::new();
                if named {
                    let quorum = Quorum::new(a.required)
                        .eligible_ids(ids.iter().cloned())
                        .eligible_roles(roles.iter().cloned());
                    votes.push(Rule::from(quorum));
                }
                votes.extend(
                    a.required_roles
                        .iter()
                        .map(|r| Rule::from(RequiredRole::new(r))),
                );
                votes.extend(a.policy.as_deref().cloned());
                let votes = match votes.len() {
                    0 => nobody(),
                    1 => fresh(votes.remove(0)),
                    _ => fresh(Rule::from(all(votes))),
                };
                match &a.auto_approve {
                    None => parts.push(votes),
                    Some(auto) => parts.push(Rule::from(
                        when(Rule::from(auto.clone()))
                            .approve_automatically()
                            .otherwise(votes),
                    )),
                }
            }
        }
        PipelinePolicy(Fingerprinted::new(Rule::from(all(parts))))
    }
}

/// The approval policy of a [`Pipeline`] (see [`Pipeline::policy`]): "all of" the gates and the
/// approval rules, named as the tuple written in code would be; its name and fingerprint are
/// computed once, when the pipeline makes it (a run records both at every decision).
pub struct PipelinePolicy(Fingerprinted<Rule>);

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

    fn rule(&self) -> Option<Rule> {
        self.0.rule()
    }

    fn structure(&self, out: &mut crate::policy::Structure<'_>) {
        self.0.structure(out);
    }

    fn kept_fingerprint(&self) -> Option<crate::value::hash::Fingerprint> {
        self.0.kept_fingerprint()
    }
}
