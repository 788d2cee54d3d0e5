//! What a policy says: a verdict and the findings that explain it.

use std::fmt;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::message::Message;
use crate::value::name::Name;
use crate::value::text::Escaped;

/// The three possible verdicts, ordered `Reject < Pending < Approve`.
///
/// The order is the policy algebra's: "all of" takes the lowest verdict (deny overrides),
/// "any of" the highest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerdictKind {
    /// The model must not go on: reject it.
    Reject,
    /// Not decided yet: more evidence (votes) is needed.
    Pending,
    /// The model may go on.
    Approve,
}

impl VerdictKind {
    /// Approve and Reject swapped; Pending stays.
    pub fn negate(self) -> Self {
        match self {
            Self::Reject => Self::Approve,
            Self::Pending => Self::Pending,
            Self::Approve => Self::Reject,
        }
    }
}

impl fmt::Display for VerdictKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Reject => "reject",
            Self::Pending => "pending",
            Self::Approve => "approve",
        })
    }
}

/// An observed or required value in a [`Finding`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingValue {
    /// A number, such as a metric value or threshold.
    Number(f64),
    /// A count, such as a number of approvals.
    Count(u64),
    /// Nothing was there (a missing metric).
    Missing,
    /// A text, such as a role.
    Text(String),
}

impl fmt::Display for FindingValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Count(n) => write!(f, "{n}"),
            Self::Missing => f.write_str("missing"),
            Self::Text(t) => write!(f, "{}", crate::value::text::esc(t)),
        }
    }
}

/// One explained observation behind a verdict: which rule, about what, what was observed, what
/// was required, and a one-line message for people.
///
/// ```
/// use modelgate::{Finding, VerdictKind}; use modelgate::policy::FindingValue;
/// let f = Finding::new(VerdictKind::Reject, "metric_at_least", "accuracy", "accuracy 0.82 is below the minimum 0.9")
///     .with_observed(FindingValue::Number(0.82))
///     .with_required(FindingValue::Number(0.9));
/// assert_eq!(f.to_string(), "accuracy 0.82 is below the minimum 0.9");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "FindingForm", into = "FindingForm")]
pub struct Finding {
    kind: VerdictKind,
    rule: Cow<'static, str>,
    subject: Name,
    observed: FindingValue,
    required: FindingValue,
    message: Message,
}

/// The stored form of a [`Finding`]: its message written out.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FindingForm {
    kind: VerdictKind,
    rule: String,
    subject: Name,
    observed: FindingValue,
    required: FindingValue,
    message: String,
}

impl From<FindingForm> for Finding {
    fn from(form: FindingForm) -> Self {
        Self {
            kind: form.kind,
            rule: Cow::Owned(form.rule),
            subject: form.subject,
            observed: form.observed,
            required: form.required,
            message: Message::Text(form.message),
        }
    }
}

impl From<Finding> for FindingForm {
    fn from(f: Finding) -> Self {
        let message = f.message.text().into_owned();
        Self {
            kind: f.kind,
            rule: f.rule.into_owned(),
            subject: f.subject,
            observed: f.observed,
            required: f.required,
            message,
        }
    }
}

impl Finding {
    /// A finding of `rule` about `subject` that on its own would give `kind`.
    pub fn new(
        kind: VerdictKind,
        rule: impl Into<Cow<'static, str>>,
        subject: impl AsRef<str>,
        message: impl Into<String>,
    ) -> Self {
        Self::built(
            kind,
            rule,
            Name::new(subject.as_ref()),
            Message::Text(message.into()),
        )
    }

    /// A finding of a built-in rule, its message kept as data until shown.
    pub(crate) fn built(
        kind: VerdictKind,
        rule: impl Into<Cow<'static, str>>,
        subject: Name,
        message: Message,
    ) -> Self {
        Self {
            kind,
            rule: rule.into(),
            subject,
            observed: FindingValue::Missing,
            required: FindingValue::Missing,
            message,
        }
    }

    /// The same finding with the observed value.
    #[must_use]
    pub fn with_observed(mut self, observed: FindingValue) -> Self {
        self.observed = observed;
        self
    }

    /// The same finding with the required value.
    #[must_use]
    pub fn with_required(mut self, required: FindingValue) -> Self {
        self.required = required;
        self
    }

    /// The verdict this finding alone supports.
    pub fn kind(&self) -> VerdictKind {
        self.kind
    }

    /// The rule that made the finding, e.g. `metric_at_least` or `quorum`.
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// What it is about: a metric name, `approvals`, a reviewer.
    pub fn subject(&self) -> &str {
        self.subject.as_str()
    }

    /// What was observed.
    pub fn observed(&self) -> &FindingValue {
        &self.observed
    }

    /// What was required.
    pub fn required(&self) -> &FindingValue {
        &self.required
    }

    /// The one-line explanation, as given (host text in it unescaped; `Display` escapes it).
    /// Built-in rules keep it as data and write it out here.
    pub fn message(&self) -> Cow<'_, str> {
        self.message.text()
    }

    /// The same finding with its message written out, as a record keeps it.
    pub(crate) fn written(mut self) -> Self {
        if !matches!(self.message, Message::Text(_)) {
            self.message = Message::Text(self.message.text().into_owned());
        }
        self
    }
}

/// The message, with host text in it (a veto's comment …) escaped: one line, always.
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Escaped(&self.message.text()).fmt(f)
    }
}

/// A policy's answer: approve, pending or reject, with the findings that explain it.
///
/// `Display` is one line a reviewer understands:
///
/// ```
/// use modelgate::{Finding, Verdict, VerdictKind};
/// let v = Verdict::new(VerdictKind::Pending, vec![Finding::new(
///     VerdictKind::Pending, "quorum", "approvals",
///     "1 of 2 approvals (alice is the submitter and does not count)",
/// )]);
/// assert_eq!(v.to_string(), "pending: 1 of 2 approvals (alice is the submitter and does not count)");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    kind: VerdictKind,
    findings: Vec<Finding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    automatic: Option<String>,
}

impl Verdict {
    /// A verdict with its findings.
    pub fn new(kind: VerdictKind, findings: Vec<Finding>) -> Self {
        Self {
            kind,
            findings,
            automatic: None,
        }
    }

    /// An approval given automatically (without reviewers) by the rule named `rule`; the
    /// decision record of a model approved this way names the rule.
    pub fn automatic(rule: impl Into<String>, findings: Vec<Finding>) -> Self {
        Self {
            kind: VerdictKind::Approve,
            findings,
            automatic: Some(rule.into()),
        }
    }

    /// Approve, pending or reject.
    pub fn kind(&self) -> VerdictKind {
        self.kind
    }

    /// Whether the verdict approves.
    pub fn is_approved(&self) -> bool {
        self.kind == VerdictKind::Approve
    }

    /// The findings that explain the verdict.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// The rule that approved automatically, if this is an automatic approval.
    pub fn automatic_rule(&self) -> Option<&str> {
        match self.kind {
            VerdictKind::Approve => self.automatic.as_deref(),
            _ => None,
        }
    }

    /// "All of": the lowest verdict wins (deny overrides); the findings of the parts that gave
    /// it are kept. With no parts it approves.
    pub(crate) fn all(parts: impl IntoIterator<Item = Verdict>) -> Verdict {
        Self::combine(parts, VerdictKind::Approve, |part, best| part < best)
    }

    /// "Any of": the highest verdict wins; the findings of the parts that gave it are kept.
    /// With no parts it rejects.
    pub(crate) fn any(parts: impl IntoIterator<Item = Verdict>) -> Verdict {
        Self::combine(parts, VerdictKind::Reject, |part, best| part > best)
    }

    fn combine(
        parts: impl IntoIterator<Item = Verdict>,
        empty: VerdictKind,
        wins: impl Fn(VerdictKind, VerdictKind) -> bool,
    ) -> Verdict {
        let mut out: Option<Verdict> = None;
        for part in parts {
            match &mut out {
                Some(best) if wins(part.kind, best.kind) => *best = part,
                Some(best) if part.kind == best.kind => {
                    best.findings.extend(part.findings);
                    best.automatic = best.automatic.take().or(part.automatic);
                }
                Some(_) => {}
                None => out = Some(part),
            }
        }
        out.unwrap_or_else(|| {
            let message = match empty {
                VerdictKind::Approve => "no rules to satisfy",
                _ => "no alternative to satisfy",
            };
            let finding =
                Finding::built(empty, "empty", Name::new("rules"), Message::Static(message));
            Verdict::new(empty, vec![finding])
        })
    }

    /// Approve and reject swapped, pending kept, findings kept; never automatic.
    pub(crate) fn negate(self) -> Verdict {
        Verdict {
            kind: self.kind.negate(),
            findings: self.findings,
            automatic: None,
        }
    }

    /// The automatic rule as stored, whatever the kind (for the canonical encoding).
    pub(crate) fn automatic_raw(&self) -> Option<&String> {
        self.automatic.as_ref()
    }

    /// The same verdict as a record keeps it: every message written out, and every number in
    /// its findings finite (a non-finite one, which only a custom policy can produce, becomes
    /// text: `inf`, `-inf`, `NaN`), so that the record reads back from any format.
    pub(crate) fn recordable(mut self) -> Verdict {
        self.findings = self.findings.into_iter().map(Finding::written).collect();
        for finding in &mut self.findings {
            for value in [&mut finding.observed, &mut finding.required] {
                if let FindingValue::Number(x) = value
                    && !x.is_finite()
                {
                    *value = FindingValue::Text(x.to_string());
                }
            }
        }
        self
    }

    /// The same verdict with more findings after its own.
    pub(crate) fn with_findings(mut self, findings: impl IntoIterator<Item = Finding>) -> Verdict {
        self.findings.extend(findings);
        self
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        let mut sep = ": ";
        for finding in &self.findings {
            write!(f, "{sep}{finding}")?;
            sep = "; ";
        }
        Ok(())
    }
}
