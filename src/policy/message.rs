//! The one-line explanation of a finding, kept as data and written out only when shown (or
//! recorded), so that evaluating a policy does not format text nobody reads.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::time::Duration;

use super::metric::Comparison;
use crate::value::name::Name;

/// A finding's message: text given by a custom policy, or the data a built-in rule writes it
/// from.
#[derive(Clone, Debug)]
pub(crate) enum Message {
    Text(String),
    Static(&'static str),
    Gate {
        metric: Name,
        value: Option<f64>,
        op: Comparison,
        threshold: f64,
        passed: bool,
    },
    Regression {
        metric: Name,
        value: Option<f64>,
        champion: Option<f64>,
        limit: f64,
        passed: bool,
    },
    Approvals {
        n: usize,
        required: usize,
        from: Vec<Name>,
        notes: Vec<Note>,
    },
    Role {
        role: Name,
        from: Vec<Name>,
        own: Option<Name>,
    },
    Duties {
        required: usize,
        covered: Vec<(Name, Name)>,
    },
    Vetoes {
        vetoes: Vec<(Name, String)>,
        notes: Vec<Note>,
    },
    Stale {
        window: Duration,
        stale: Vec<Name>,
    },
}

/// A vote that did not count, and why.
#[derive(Clone, Debug)]
pub(crate) struct Note {
    pub(crate) who: Name,
    pub(crate) submitter: bool,
}

impl Message {
    /// The message as text.
    pub(crate) fn text(&self) -> Cow<'_, str> {
        match self {
            Message::Text(text) => Cow::Borrowed(text),
            Message::Static(text) => Cow::Borrowed(text),
            other => Cow::Owned(other.to_string()),
        }
    }
}

/// Equal when they read the same, however they are kept.
impl PartialEq for Message {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text()
    }
}

fn list(f: &mut fmt::Formatter<'_>, names: &[Name], sep: &str) -> fmt::Result {
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        f.write_str(name.as_str())?;
    }
    Ok(())
}

fn notes(f: &mut fmt::Formatter<'_>, notes: &[Note]) -> fmt::Result {
    for (i, note) in notes.iter().enumerate() {
        f.write_str(if i == 0 { " (" } else { "; " })?;
        let why = if note.submitter {
            "is the submitter and does not count"
        } else {
            "is not eligible"
        };
        write!(f, "{} {why}", note.who)?;
    }
    if !notes.is_empty() {
        f.write_char(')')?;
    }
    Ok(())
}

/// A duration as people write it: `7d`, `12h`, `90s`, `1500ms`.
pub(crate) fn human(d: Duration) -> String {
    let s = d.as_secs();
    match (d.subsec_millis(), s) {
        (0, 0) => String::from("0s"),
        (0, s) if s % 86_400 == 0 => format!("{}d", s / 86_400),
        (0, s) if s % 3_600 == 0 => format!("{}h", s / 3_600),
        (0, s) if s % 60 == 0 => format!("{}m", s / 60),
        (0, s) => format!("{s}s"),
        _ => format!("{}ms", d.as_millis()),
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Message::Text(text) => f.write_str(text),
            Message::Static(text) => f.write_str(text),
            Message::Gate {
                metric,
                value,
                op,
                threshold,
                passed,
            } => match value {
                None => write!(f, "{metric} is missing; it must be {op} {threshold}"),
                Some(v) if *passed => write!(f, "{metric} {v} is {op} {threshold}"),
                Some(v) => write!(f, "{metric} {v} {} {threshold}", op.failure()),
            },
            Message::Regression {
                metric,
                value,
                champion,
                limit,
                passed,
            } => match (value, champion) {
                (None, _) => write!(f, "{metric} is missing; it is compared with the champion's"),
                (Some(v), None) => write!(f, "{metric} {v}: no champion value to compare with"),
                (Some(v), Some(c)) => {
                    let verb = if *passed {
                        "is within"
                    } else {
                        "regresses beyond"
                    };
                    write!(f, "{metric} {v} {verb} the champion's {c} (limit {limit})")
                }
            },
            Message::Approvals {
                n,
                required,
                from,
                notes: uncounted,
            } => {
                if n > required {
                    write!(f, "{n} approvals ({required} required)")?;
                } else {
                    write!(f, "{n} of {required} approvals")?;
                }
                if !from.is_empty() {
                    f.write_str(" from ")?;
                    list(f, from, ", ")?;
                }
                notes(f, uncounted)
            }
            Message::Role { role, from, own } => {
                if from.is_empty() {
                    write!(f, "no approval from a {role} yet")?;
                } else {
                    write!(f, "{role} approval from ")?;
                    list(f, from, ", ")?;
                }
                if let Some(submitter) = own {
                    write!(f, " ({submitter} is the submitter and does not count)")?;
                }
                Ok(())
            }
            Message::Duties { required, covered } => {
                write!(f, "{} of {required} different roles", covered.len())?;
                for (i, (role, who)) in covered.iter().enumerate() {
                    f.write_str(if i == 0 { ": " } else { ", " })?;
                    write!(f, "{role} by {who}")?;
                }
                Ok(())
            }
            Message::Vetoes {
                vetoes,
                notes: uncounted,
            } => {
                if vetoes.is_empty() {
                    f.write_str("no veto")?;
                } else {
                    f.write_str("vetoed: ")?;
                    for (i, (who, why)) in vetoes.iter().enumerate() {
                        if i > 0 {
                            f.write_str("; ")?;
                        }
                        match why.as_str() {
                            "" => write!(f, "{who} rejects")?,
                            why => write!(f, "{who} rejects: {why}")?,
                        }
                    }
                }
                notes(f, uncounted)
            }
            Message::Stale { window, stale } => {
                write!(f, "votes older than {} do not count: ", human(*window))?;
                list(f, stale, ", ")
            }
        }
    }
}
