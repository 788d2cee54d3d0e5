//! `modelgate show` and `modelgate verify`: a stored model (or run), as JSON.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use modelgate::{
    AnyModel, Environment, Pipeline, PipelineSpec, Policy, PolicyExt, Run, SealVerifier,
    StoredModel,
};
use serde_json::{Value, json};

use crate::host::Registered;
use crate::text::esc;
use crate::{CliError, Format, keys, read};

/// Reads a stored model, run or registry.
pub(crate) fn load<T: serde::de::DeserializeOwned>(file: &Path) -> Result<T, CliError> {
    let text = read(file)?;
    serde_json::from_str(&text).map_err(|e| CliError::Parse {
        file: file.display().to_string(),
        why: e.to_string(),
    })
}

pub(crate) use keys::seal_keys;

fn table(stored: &StoredModel) -> String {
    let mut out = format!(
        "{:>4}  {:<24}  {:<13}  {:<24}  detail\n",
        "seq", "time", "action", "actor"
    );
    for e in stored.events() {
        out.push_str(&format!(
            "{:>4}  {:<24}  {:<13}  {:<24}  {}\n",
            e.seq(),
            e.at().to_string(),
            e.action(),
            e.actor().to_string(),
            e.detail()
        ));
    }
    out
}

fn events_json(stored: &StoredModel) -> Vec<Value> {
    stored
        .events()
        .iter()
        .map(|e| {
            json!({"seq": e.seq(), "at": e.at().to_string(), "action": e.action(),
                   "actor": e.actor().to_string(), "detail": e.detail()})
        })
        .collect()
}

/// `show`: status, head, seal and the audit trail as a table. The status is the trail replayed
/// with its decisions as recorded (a run's: through the pipeline of `--spec`, which a run
/// needs); the seal is checked only with `--key`.
///
/// # Errors
///
/// [`CliError`] if the record, a key file or the spec cannot be read, or the spec is invalid.
pub fn show(
    file: &Path,
    key_files: &[PathBuf],
    spec: Option<&Path>,
    format: Format,
) -> Result<u8, CliError> {
    let stored: StoredModel = load(file)?;
    let keys = seal_keys(key_files)?;
    let pipeline = spec.map(pipeline).transpose()?;
    let replayed = match (&pipeline, keys.is_empty()) {
        (Some(p), true) if stored.run_pipeline().is_some() => {
            Run::restore_model(stored.clone(), p, &AsStored)
        }
        (Some(p), false) if stored.run_pipeline().is_some() => {
            Run::restore_model(stored.clone(), p, &keys)
        }
        (_, true) => stored.clone().restore_trusting_decisions(&AsStored),
        (_, false) => stored.clone().restore_trusting_decisions(&keys),
    };
    let (status, problem) = match &replayed {
        Ok(model) => (model.status().to_string(), None),
        Err(refused) => (String::from("unknown"), Some(refused.error().to_string())),
    };
    let seal = match (stored.seal(), keys.is_empty(), &problem) {
        (None, ..) => String::from("none"),
        (Some(seal), true, _) => {
            format!("by key `{}`, not checked (pass --key)", esc(seal.key_id()))
        }
        (Some(seal), false, None) => format!("by key `{}`, verified", esc(seal.key_id())),
        (Some(seal), false, Some(_)) => format!(
            "by key `{}`, not verified: the record is refused (below)",
            esc(seal.key_id())
        ),
    };
    match format {
        Format::Json => println!(
            "{}",
            crate::pretty(&json!({
                "ok": problem.is_none(),
                "name": stored.name(), "version": stored.version(),
                "environment": stored.environment().name(), "status": status,
                "head": stored.head().to_string(), "revision": stored.revision(),
                "seal": stored.seal().map(|s| s.key_id()),
                "seal_checked": !keys.is_empty() && problem.is_none(),
                "events": events_json(&stored),
                "error": problem,
            }))
        ),
        Format::Human => {
            println!("model:    {} {}", esc(stored.name()), esc(stored.version()));
            println!("env:      {}", esc(stored.environment().name()));
            println!("status:   {status}");
            println!("head:     {} ({} events)", stored.head(), stored.revision());
            println!("seal:     {seal}\n");
            print!("{}", table(&stored));
            if let Some(problem) = &problem {
                eprintln!("error: the trail does not replay: {problem}");
            }
        }
    }
    Ok(u8::from(problem.is_some()))
}

/// A seal verifier for `show` without keys: it accepts every seal, so that the trail can be
/// replayed for display; `show` says that the seal was not checked.
pub(crate) struct AsStored;

impl SealVerifier for AsStored {
    fn verify(
        &self,
        _: &modelgate::Head,
        _: &modelgate::trail::Seal,
    ) -> Result<(), modelgate::trail::SealError> {
        Ok(())
    }
}

/// How a stored model's environment differs from the one a spec describes, if it does: its
/// name, or its approval window.
pub(crate) fn other_environment(model: &Environment, spec: &Environment) -> Option<String> {
    let window = |e: &Environment| {
        e.approval_validity().map_or_else(
            || String::from("no approval window"),
            |d| match d.as_secs() {
                s if s % 3600 == 0 => format!("an approval window of {} h", s / 3600),
                s => format!("an approval window of {s} s"),
            },
        )
    };
    if model.name() != spec.name() {
        Some(format!(
            "the model is for environment `{}`, the spec for `{}`",
            esc(model.name()),
            esc(spec.name())
        ))
    } else if model != spec {
        Some(format!(
            "the model's environment `{}` has {}, the spec's has {}",
            esc(model.name()),
            window(model),
            window(spec)
        ))
    } else {
        None
    }
}

/// How `verify` decides the recorded decisions again.
pub enum Decisions<'a> {
    /// With the policy of the pipeline in this spec file (and, for a run, its rules), or the
    /// registered policy given with it.
    Spec(&'a Path, Option<Registered>),
    /// As recorded (chain, seal and replay only).
    AsRecorded,
}

pub(crate) fn pipeline(file: &Path) -> Result<Pipeline, CliError> {
    let text = read(file)?;
    let bad = |why: String| CliError::Parse {
        file: file.display().to_string(),
        why,
    };
    let json = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let spec: PipelineSpec = if json {
        serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?
    } else {
        serde_saphyr::from_str(&text).map_err(|e| bad(e.without_snippet().to_string()))?
    };
    spec.validate().map_err(|errors| CliError::Spec {
        file: file.display().to_string(),
        errors,
    })
}

/// `verify`: chain, seal, replay, and the decisions decided again (or trusted as recorded);
/// the exit code is 1 if the record is refused.
///
/// # Errors
///
/// [`CliError`] if the record, a key file or the spec cannot be read, or the spec is invalid.
pub fn verify(
    file: &Path,
    key_files: &[PathBuf],
    decisions: Decisions<'_>,
    format: Format,
) -> Result<u8, CliError> {
    let stored: StoredModel = load(file)?;
    let keys = seal_keys(key_files)?;
    let is_run = stored.run_pipeline().is_some();
    let (checked, result): (String, Result<AnyModel, String>) = match decisions {
        Decisions::Spec(spec, registered) => {
            let pipeline = pipeline(spec)?;
            if is_run && registered.is_some() {
                return Err(CliError::Usage {
                    why: "`--policy` is for a stored model: a run is decided by its pipeline's \
                          policy, from its `--spec`",
                });
            }
            if is_run {
                let restored = Run::restore_model(stored.clone(), &pipeline, &keys);
                (
                    "chain, seal, replay through the pipeline's rules, decisions by its policy"
                        .to_owned(),
                    restored.map_err(|r| r.into_error().to_string()),
                )
            } else {
                let (policy, checked): (Registered, String) = match registered {
                    None => (
                        Arc::new(pipeline.policy()),
                        "the environment, chain, seal, replay, decisions by the spec's policy \
                         (a promotion's evidence as recorded: `registry verify` checks it against \
                         the environment it came from)"
                            .to_owned(),
                    ),
                    Some(policy) => {
                        let checked = format!(
                            "the environment, chain, seal, replay, decisions by the registered \
                             policy {} (`{}`; a promotion's evidence as recorded)",
                            policy.fingerprint(),
                            esc(&policy.name())
                        );
                        (policy, checked)
                    }
                };
                // The record first (a changed header is a broken chain, not another
                // environment), then the environment, then the replay under the spec's policy.
                let result = stored
                    .verify(&keys)
                    .map_err(|e| e.to_string())
                    .and_then(|_| {
                        other_environment(stored.environment(), pipeline.environment())
                            .map_or(Ok(()), Err)
                    })
                    .and_then(|()| {
                        let restored = stored.clone().restore(&keys, &policy);
                        restored.map_err(|r| r.into_error().to_string())
                    });
                (checked, result)
            }
        }
        Decisions::AsRecorded => (
            "chain, seal, replay; decisions trusted as recorded".to_owned(),
            stored
                .clone()
                .restore_trusting_decisions(&keys)
                .map_err(|r| r.into_error().to_string()),
        ),
    };
    let code = u8::from(result.is_err());
    match format {
        Format::Json => {
            let (status, error) = match &result {
                Ok(model) => (Some(model.status().to_string()), None),
                Err(e) => (None, Some(e.clone())),
            };
            let out = json!({
                "ok": result.is_ok(), "name": stored.name(), "version": stored.version(),
                "head": stored.head().to_string(), "checked": checked,
                "status": status, "error": error,
            });
            println!("{}", crate::pretty(&out));
        }
        Format::Human => match &result {
            Ok(model) => println!(
                "verified: {} {} is {}; head {}\nchecked: {checked}",
                esc(model.name()),
                esc(model.version()),
                model.status(),
                model.head()
            ),
            Err(e) => eprintln!(
                "refused: {} {}: {e}\nchecked: {checked}",
                esc(stored.name()),
                esc(stored.version())
            ),
        },
    }
    Ok(code)
}
