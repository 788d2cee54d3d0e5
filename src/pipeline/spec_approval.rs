//! The approval step of a spec: who approves and how many, the veto, automatic approval, the
//! gates and promotion rules checked at approval, and what a rejection does.

use std::collections::HashMap;

use super::raw::Raw;
use super::spec::{At, Validator, get};
use super::spec_error::SpecProblem;
use super::{Approval, OnReject};
use crate::value::identity::Ident;
use crate::value::text;

const APPROVAL_KEYS: &[&str] = &[
    "approvers",
    "users",
    "roles",
    "required_roles",
    "vote_window_hours",
    "policy",
    "required",
    "veto",
    "auto_approve",
    "gates",
    "soak_hours",
    "online",
    "max_attempts",
];

const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// The longest soak a spec can ask for: ten years, in hours.
const MAX_SOAK_HOURS: u32 = 10 * 366 * 24;

impl Validator {
    pub(super) fn approval(
        &mut self,
        at: &At<'_>,
        inputs: &[(String, Raw)],
        on_reject: Option<&Raw>,
    ) -> Option<Approval> {
        let inputs_at = at.key("inputs");
        self.keys(&inputs_at, inputs, APPROVAL_KEYS);
        let approvers = self.approvers(&inputs_at.key("approvers"), get(inputs, "approvers"));
        let users = self.names(&inputs_at.key("users"), get(inputs, "users"), "users");
        let roles = self.names(&inputs_at.key("roles"), get(inputs, "roles"), "roles");
        let required_roles = self.names(
            &inputs_at.key("required_roles"),
            get(inputs, "required_roles"),
            "required_roles",
        );
        if get(inputs, "approvers").is_some()
            && (get(inputs, "users").is_some() || get(inputs, "roles").is_some())
        {
            self.push(
                &inputs_at.key("approvers"),
                SpecProblem::ApproversBesideUsersOrRoles,
            );
        }
        let vote_window_hours = match get(inputs, "vote_window_hours") {
            None | Some(Raw::Null) => Some(None),
            Some(raw) => self
                .positive(
                    &inputs_at.key("vote_window_hours"),
                    raw,
                    MAX_SOAK_HOURS.into(),
                )
                .and_then(|h| u64::try_from(h).ok())
                .map(Some),
        };
        let policy = match get(inputs, "policy") {
            None | Some(Raw::Null) => Some(None),
            Some(raw) => self
                .rule(&inputs_at.key("policy"), raw)
                .map(|r| Some(Box::new(r))),
        };
        let auto_approve = match get(inputs, "auto_approve") {
            None | Some(Raw::Null) => Some(None),
            Some(raw) => self
                .condition(&inputs_at.key("auto_approve"), raw)
                .map(Some),
        };
        let required = match get(inputs, "required") {
            None => Some(1),
            Some(raw) => self.positive(&inputs_at.key("required"), raw, u32::MAX.into()),
        };
        let veto = match get(inputs, "veto") {
            None => Some(true),
            Some(Raw::Bool(b)) => Some(*b),
            Some(other) => {
                self.wrong(&inputs_at.key("veto"), "`true` or `false`", other);
                None
            }
        };
        // The most distinct approvers the names admit, when it is known (a role has any number
        // of holders).
        let eligible = if get(inputs, "approvers").is_some() {
            approvers.as_ref().map(Vec::len)
        } else if get(inputs, "users").is_some() && get(inputs, "roles").is_none() {
            users.as_ref().map(Vec::len)
        } else if ["roles", "required_roles", "policy"]
            .iter()
            .all(|k| get(inputs, k).is_none())
        {
            Some(0)
        } else {
            None
        };
        if let (Some(required), Some(n)) = (required, eligible) {
            let explicit = get(inputs, "required").is_some();
            if required > n as i128 && (explicit || n > 0) {
                let problem = SpecProblem::RequiredTooLarge {
                    required,
                    approvers: n,
                };
                self.push(&inputs_at.key("required"), problem);
            }
        }
        // `required` and `veto` are about the named approvers: with only `required_roles` or
        // `policy`, they would silently do nothing.
        if ["approvers", "users", "roles"]
            .iter()
            .all(|k| get(inputs, k).is_none())
            && ["required_roles", "policy"]
                .iter()
                .any(|k| get(inputs, k).is_some())
        {
            let named = "`users`, `roles` or `approvers`";
            self.not_applicable(&inputs_at, get(inputs, "required"), "required", named);
            self.not_applicable(&inputs_at, get(inputs, "veto"), "veto", named);
        }
        let names_votes = ["approvers", "users", "roles", "required_roles", "policy"]
            .iter()
            .any(|k| get(inputs, k).is_some());
        if !names_votes && matches!(auto_approve, Some(None)) {
            self.push(&inputs_at, SpecProblem::NoApprovers);
        }
        let gates = self.gates(&inputs_at.key("gates"), get(inputs, "gates"));
        // The promotion rules: evidence a version brings from the environment before this one.
        let soak_hours = match get(inputs, "soak_hours") {
            None | Some(Raw::Null) => Some(None),
            Some(raw) => self
                .positive(&inputs_at.key("soak_hours"), raw, MAX_SOAK_HOURS.into())
                .and_then(|h| u64::try_from(h).ok())
                .map(Some),
        };
        let online = self.gates(&inputs_at.key("online"), get(inputs, "online"));
        let max_attempts = get(inputs, "max_attempts");
        let choice = match on_reject {
            None | Some(Raw::Null) => Ok("fail_pipeline"),
            Some(Raw::Str(s)) => Ok(s.as_str()),
            Some(other) => Err(other),
        };
        let on_reject = match choice {
            Ok("fail_pipeline") => {
                self.not_applicable(
                    &inputs_at,
                    max_attempts,
                    "max_attempts",
                    "`on_reject: retrain`",
                );
                Some(OnReject::FailPipeline)
            }
            Ok("retrain") => match max_attempts {
                None => Some(OnReject::Retrain {
                    max_attempts: DEFAULT_MAX_ATTEMPTS,
                }),
                Some(raw) => self
                    .positive(&inputs_at.key("max_attempts"), raw, u32::MAX.into())
                    .and_then(|n| u32::try_from(n).ok())
                    .map(|max_attempts| OnReject::Retrain { max_attempts }),
            },
            Ok(found) => {
                self.push(
                    &at.key("on_reject"),
                    SpecProblem::UnknownOnReject {
                        found: found.to_owned(),
                    },
                );
                None
            }
            Err(other) => {
                self.wrong(&at.key("on_reject"), "`retrain` or `fail_pipeline`", other);
                None
            }
        };
        let required = usize::try_from(required?).ok()?;
        Some(Approval {
            approvers: approvers?,
            users: users?,
            roles: roles?,
            required,
            veto: veto?,
            auto_approve: auto_approve?,
            gates,
            soak_hours: soak_hours?,
            online,
            required_roles: required_roles?,
            vote_window_hours: vote_window_hours?,
            policy: policy?,
            on_reject: on_reject?,
        })
    }

    fn approvers(&mut self, at: &At<'_>, raw: Option<&Raw>) -> Option<Vec<String>> {
        self.names(at, raw, "approvers")
    }

    /// The list of names under `key`, one per identity: equal names, or names with one
    /// confusable skeleton, are refused.
    pub(super) fn names(
        &mut self,
        at: &At<'_>,
        raw: Option<&Raw>,
        key: &'static str,
    ) -> Option<Vec<String>> {
        let items = match raw {
            None => return Some(Vec::new()),
            Some(Raw::List(items)) if items.is_empty() => {
                self.push(at, SpecProblem::EmptyApprovers { key });
                return None;
            }
            Some(Raw::List(items)) => items,
            Some(Raw::Str(single)) => {
                self.push(
                    at,
                    SpecProblem::ApproversNotAList {
                        key,
                        single: single.clone(),
                    },
                );
                return None;
            }
            Some(other) => {
                let expected = match key {
                    "users" => "a list of user ids",
                    "approvers" => "a list of user ids or roles",
                    _ => "a list of roles",
                };
                self.wrong(at, expected, other);
                return None;
            }
        };
        let before = self.problems();
        let mut names: Vec<String> = Vec::new();
        // One approver per identity: equal names, or names with one confusable skeleton.
        let mut seen: HashMap<Ident, &str> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            match item {
                Raw::Str(name) => match text::check(field(key), name) {
                    Ok(()) => match seen.get(&Ident::of(name)) {
                        Some(first) if *first == name.as_str() => self.push(
                            &at.index(i),
                            SpecProblem::DuplicateApprover {
                                key,
                                name: name.clone(),
                            },
                        ),
                        Some(first) => self.push(
                            &at.index(i),
                            SpecProblem::LookAlikeApprovers {
                                key,
                                first: (*first).to_owned(),
                                second: name.clone(),
                            },
                        ),
                        None => {
                            seen.insert(Ident::of(name), name);
                            names.push(name.clone());
                        }
                    },
                    Err(e) => self.push(&at.index(i), SpecProblem::Text(e)),
                },
                other => self.wrong(&at.index(i), "a user id or role", other),
            }
        }
        (self.problems() == before).then_some(names)
    }
}

/// What one entry of the list under `key` is, for a text error.
fn field(key: &str) -> &'static str {
    match key {
        "users" => "id",
        "roles" | "required_roles" => "role",
        _ => "approver",
    }
}
