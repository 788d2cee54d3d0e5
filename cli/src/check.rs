//! `modelgate check`: every problem of each pipeline spec, with its step, path, line and column.

use std::path::Path;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};
use modelgate::{PipelineSpec, Policy as _, PolicyExt as _};
use serde_json::{Value, json};

use crate::positions::{Pos, Positions};
use crate::text::esc;
use crate::{CliError, Format, read};

/// One problem of a spec file.
struct Problem {
    step: Option<String>,
    path: Option<String>,
    pos: Option<Pos>,
    message: String,
}

/// A valid pipeline's environment, policy name (what a decision made in code must be named),
/// policy fingerprint (its identity) and lints.
#[derive(Clone)]
struct Checked {
    environment: String,
    policy: String,
    fingerprint: String,
    /// The policy's tree, in the form a spec writes under `policy:` (to build it in code).
    rule: serde_json::Value,
    lints: Vec<String>,
}

/// What checking one file found.
pub struct Report {
    file: String,
    text: String,
    steps: usize,
    /// The valid pipeline: what `verify` and `registry verify` decide recorded decisions again
    /// with.
    pipeline: Option<Checked>,
    problems: Vec<Problem>,
}

impl Report {
    /// Whether the spec is valid.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Reads and checks the spec `file`: JSON if its name ends in `.json`, else YAML.
///
/// # Errors
///
/// [`CliError::Io`] if the file cannot be read; problems in it are in the [`Report`].
pub fn check(file: &Path, allow_lints: bool) -> Result<Report, CliError> {
    let text = read(file)?;
    let json = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let name = file.display().to_string();
    let parsed: Result<PipelineSpec, Problem> = if json {
        serde_json::from_str(&text).map_err(|e| {
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            let message = e.to_string();
            let message = message.strip_suffix(&suffix).unwrap_or(&message).to_owned();
            syntax(&text, e.line(), e.column(), message)
        })
    } else {
        serde_saphyr::from_str(&text).map_err(|e| {
            let message = e.without_snippet().to_string();
            let (line, column) = e
                .location()
                .map_or((0, 0), |l| (to_usize(l.line()), to_usize(l.column())));
            let suffix = format!(" at line {line}, column {column}");
            let message = message.strip_suffix(&suffix).unwrap_or(&message).to_owned();
            syntax(&text, line, column, message)
        })
    };
    let spec = match parsed {
        Ok(spec) => spec,
        Err(problem) => {
            return Ok(Report {
                file: name,
                text,
                steps: 0,
                pipeline: None,
                problems: vec![problem],
            });
        }
    };
    let problems = match spec.validate() {
        Ok(pipeline) => {
            // A policy with lints (a rule that can never pass) is refused unless allowed.
            let policy_lints = pipeline.policy().lints();
            let problems = if allow_lints {
                Vec::new()
            } else {
                policy_lints
                    .iter()
                    .map(|lint| Problem {
                        step: None,
                        path: None,
                        pos: None,
                        message: format!(
                            "the policy {lint} (pass --allow-lints to accept it as a warning)"
                        ),
                    })
                    .collect()
            };
            return Ok(Report {
                file: name,
                text,
                steps: pipeline.steps().len(),
                pipeline: Some(Checked {
                    environment: pipeline.environment().name().to_owned(),
                    policy: pipeline.policy().name(),
                    fingerprint: pipeline.policy().fingerprint().to_string(),
                    rule: pipeline
                        .policy()
                        .rule()
                        .and_then(|r| serde_json::to_value(r).ok())
                        .unwrap_or_default(),
                    lints: pipeline.lints().iter().map(ToString::to_string).collect(),
                }),
                problems,
            });
        }
        Err(errors) => errors,
    };
    let positions = if json {
        Positions::json(&text)
    } else {
        Positions::yaml(&text)
    };
    let problems = problems
        .errors()
        .iter()
        .map(|e| Problem {
            step: e.step().map(str::to_owned),
            path: Some(e.path().to_owned()),
            pos: positions.find(e.path()),
            message: e.problem().to_string(),
        })
        .collect();
    Ok(Report {
        file: name,
        text,
        steps: 0,
        pipeline: None,
        problems,
    })
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// A syntax problem at 1-based `line` and `column` (0 if unknown).
fn syntax(text: &str, line: usize, column: usize, message: String) -> Problem {
    let pos = (line > 0).then(|| {
        let start: usize = text
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum();
        let line_text = text
            .get(start..)
            .and_then(|s| s.lines().next())
            .unwrap_or("");
        let in_line: usize = line_text
            .chars()
            .take(column.saturating_sub(1))
            .map(char::len_utf8)
            .sum();
        Pos {
            line,
            column: column.max(1),
            offset: start + in_line,
            len: 1,
        }
    });
    Problem {
        step: None,
        path: None,
        pos,
        message: format!("syntax: {}", esc(&message)),
    }
}

/// Prints the reports; the exit code is 1 if any file has a problem.
pub fn print(reports: &[Report], format: Format) -> u8 {
    let ok = reports.iter().all(Report::is_ok);
    match format {
        Format::Json => {
            let files: Vec<Value> = reports.iter().map(to_json).collect();
            println!("{}", crate::pretty(&json!({"ok": ok, "files": files})));
        }
        Format::Human => {
            for report in reports {
                if report.is_ok() {
                    let s = if report.steps == 1 { "" } else { "s" };
                    println!("ok: {} ({} step{s})", esc(&report.file), report.steps);
                    if let Some(p) = &report.pipeline {
                        println!("  environment: {}", esc(&p.environment));
                        println!("  policy: {}", esc(&p.policy));
                        println!("  policy fingerprint: {}", p.fingerprint);
                        for lint in &p.lints {
                            println!("  warning: {lint}");
                        }
                    }
                    continue;
                }
                for problem in &report.problems {
                    eprint!("{}", render(report, problem));
                }
                let n = report.problems.len();
                eprintln!(
                    "{}: {n} problem{}\n",
                    esc(&report.file),
                    if n == 1 { "" } else { "s" }
                );
            }
        }
    }
    u8::from(!ok)
}

fn to_json(report: &Report) -> Value {
    let problems: Vec<Value> = report
        .problems
        .iter()
        .map(|p| {
            json!({
                "step": p.step,
                "path": p.path,
                "line": p.pos.map(|p| p.line),
                "column": p.pos.map(|p| p.column),
                "message": p.message,
            })
        })
        .collect();
    let p = report.pipeline.as_ref();
    json!({"file": report.file, "ok": report.is_ok(), "steps": report.steps,
           "environment": p.map(|p| &p.environment), "policy": p.map(|p| &p.policy),
           "policy_fingerprint": p.map(|p| &p.fingerprint), "policy_rule": p.map(|p| &p.rule),
           "warnings": p.map(|p| &p.lints),
           "problems": problems})
}

/// The file's text as the snippet shows it: what the library escapes in host text (control,
/// invisible, bidi characters, line separators), but the file's own newlines and tabs, replaced
/// by `?`, one per byte, so that no file can drive the terminal or forge a line and every byte
/// offset still points where it did.
fn shown(text: &str) -> String {
    text.chars()
        .map(|ch| {
            if ch != '\n' && ch != '\t' && crate::text::is_escaped(ch) {
                "?".repeat(ch.len_utf8())
            } else {
                ch.to_string()
            }
        })
        .collect()
}

/// One problem as a diagnostic with the source snippet: `file:line:column`, the message, the
/// lines around it with the place underlined, and the step and path.
fn render(report: &Report, problem: &Problem) -> String {
    let mut head = esc(&report.file);
    if let Some(pos) = problem.pos {
        head = format!("{head}:{}:{}", pos.line, pos.column);
    }
    let mut diagnostic = MietteDiagnostic::new(format!("{head}: {}", problem.message));
    let label = match (&problem.step, &problem.path) {
        (Some(step), Some(path)) => format!("step `{}` at `{}`", esc(step), esc(path)),
        (None, Some(path)) => format!("at `{}`", esc(path)),
        _ => String::from("here"),
    };
    if let Some(pos) = problem.pos {
        diagnostic =
            diagnostic.with_label(LabeledSpan::at(pos.offset..pos.offset + pos.len, label));
    } else if problem.path.is_some() {
        diagnostic = diagnostic.with_help(label);
    }
    let report_ = miette::Report::new(diagnostic)
        .with_source_code(NamedSource::new(esc(&report.file), shown(&report.text)));
    let mut out = String::new();
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .with_context_lines(1);
    if handler.render_report(&mut out, report_.as_ref()).is_err() {
        out = format!("{head}: {}\n", problem.message);
    }
    out
}
