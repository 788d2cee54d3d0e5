//! `modelgate registry show` and `modelgate registry verify`: a stored registry, as JSON.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use modelgate::event::FORMAT_VERSION;
use modelgate::policy::Versions;
use modelgate::registry::{PolicyBook, StoredRegistry};
use modelgate::{
    AnyModel, Pipeline, Policy, PolicyExt, Registry, SealVerifier, StoredModel, Timestamp,
};
use serde_json::{Value, json};

use crate::host::Registered;
use crate::stored::{AsStored, other_environment, pipeline, seal_keys};
use crate::text::esc;
use crate::{CliError, Format};

/// One member as `show` reports it: replayed with its decisions as recorded.
struct Member<'a> {
    stored: &'a StoredModel,
    status: String,
    error: Option<String>,
}

fn member<'a, V: SealVerifier + ?Sized>(
    stored: &'a StoredModel,
    keys: &V,
    pipelines: &[Spec<'_>],
) -> Member<'a> {
    let pipeline = stored
        .run_pipeline()
        .and_then(|f| pipelines.iter().find(|(p, _)| p.fingerprint() == *f));
    let replayed = match pipeline {
        Some((pipeline, _)) => modelgate::Run::restore_model(stored.clone(), pipeline, keys),
        None => stored.clone().restore_trusting_decisions(keys),
    };
    match replayed {
        Ok(model) => Member {
            stored,
            status: model.status().to_string(),
            error: None,
        },
        Err(refused) => Member {
            stored,
            status: String::from("unknown"),
            error: Some(refused.error().to_string()),
        },
    }
}

/// `registry show`: the index, its seal, and every member's environment, version, status and
/// head. Each member is replayed with its decisions as recorded (a run through its pipeline,
/// from `--spec`); seals (the index's and every member's) are checked only with `--key`. Not a
/// verification: the checks across members are `registry verify`'s.
///
/// # Errors
///
/// [`CliError`] if the record, a key file or a spec cannot be read, or a spec is invalid.
pub fn show(
    file: &Path,
    key_files: &[PathBuf],
    specs: &[PathBuf],
    format: Format,
) -> Result<u8, CliError> {
    let stored: StoredRegistry = crate::export::load(file)?;
    let keys = seal_keys(key_files)?;
    let (pipelines, _) = pipelines(specs)?;
    let index_seal = match (stored.seal(), keys.is_empty()) {
        (None, _) => Err(String::from("the index is not sealed")),
        (Some(_), true) => Ok(false),
        (Some(seal), false) => keys
            .verify(&stored.index(), seal)
            .map(|()| true)
            .map_err(|e| format!("the index's seal: {e}")),
    };
    let members: Vec<Member<'_>> = stored
        .members()
        .iter()
        .map(|m| {
            if keys.is_empty() {
                member(m, &AsStored, &pipelines)
            } else {
                member(m, &keys, &pipelines)
            }
        })
        .collect();
    let mut problems: Vec<String> = index_seal.clone().err().into_iter().collect();
    if stored.format_version() != FORMAT_VERSION {
        problems.insert(
            0,
            format!(
                "format version {}; this modelgate reads format {FORMAT_VERSION}",
                stored.format_version()
            ),
        );
    }
    problems.extend(members.iter().filter_map(|m| {
        m.error.as_ref().map(|e| {
            format!(
                "version `{}` in `{}` is refused: {e}",
                esc(m.stored.version()),
                esc(m.stored.environment().name())
            )
        })
    }));
    match format {
        Format::Json => {
            let rows: Vec<Value> = members
                .iter()
                .map(|m| {
                    json!({"environment": m.stored.environment().name(),
                           "version": m.stored.version(), "status": m.status,
                           "head": m.stored.head().to_string(),
                           "revision": m.stored.revision(), "error": m.error})
                })
                .collect();
            println!(
                "{}",
                crate::pretty(&json!({
                    "ok": problems.is_empty(), "name": stored.name(),
                    "index": stored.index().to_string(),
                    "seal": stored.seal().map(|s| s.key_id()),
                    "seal_checked": index_seal == Ok(true),
                    "members": rows, "problems": problems,
                }))
            );
        }
        Format::Human => {
            let seal = match (stored.seal(), &index_seal) {
                (Some(seal), Ok(true)) if problems.is_empty() => format!(
                    "by key `{}`, verified (and every member's seal)",
                    esc(seal.key_id())
                ),
                (Some(seal), Ok(true)) => format!(
                    "by key `{}`: the index verified, but not every member (below)",
                    esc(seal.key_id())
                ),
                (Some(seal), Ok(false)) => format!(
                    "by key `{}`, not checked, nor are the members' seals (pass --key)",
                    esc(seal.key_id())
                ),
                (Some(seal), Err(_)) => format!("by key `{}`, refused", esc(seal.key_id())),
                (None, _) => String::from("none"),
            };
            println!("registry: {}", esc(stored.name()));
            println!(
                "index:    {} ({} members)",
                stored.index(),
                stored.members().len()
            );
            println!("seal:     {seal}\n");
            println!(
                "{:<16}  {:<16}  {:<11}  {:>6}  head",
                "environment", "version", "status", "events"
            );
            for m in &members {
                println!(
                    "{:<16}  {:<16}  {:<11}  {:>6}  {}",
                    esc(m.stored.environment().name()),
                    esc(m.stored.version()),
                    m.status,
                    m.stored.revision(),
                    m.stored.head()
                );
            }
            for problem in &problems {
                eprintln!("error: {problem}");
            }
        }
    }
    Ok(u8::from(!problems.is_empty()))
}

/// A spec's pipeline, with the spec's file.
type Spec<'a> = (Pipeline, &'a PathBuf);

/// The pipelines of the specs, one per environment, and their policies as a book.
fn pipelines(specs: &[PathBuf]) -> Result<(Vec<Spec<'_>>, PolicyBook), CliError> {
    let mut book = PolicyBook::new();
    let mut pipelines: Vec<Spec<'_>> = Vec::with_capacity(specs.len());
    for spec in specs {
        let pipeline = pipeline(spec)?;
        let environment = pipeline.environment().name().to_owned();
        if let Some((_, first)) = pipelines
            .iter()
            .find(|(p, _)| p.environment().name() == environment)
        {
            return Err(CliError::SpecTwice {
                environment,
                first: first.display().to_string(),
                second: spec.display().to_string(),
            });
        }
        book = book.with_pipeline(pipeline.clone());
        pipelines.push((pipeline, spec));
    }
    Ok((pipelines, book))
}

/// The book with the later versions of environments' policies (`--spec-from`): each
/// environment's policy becomes its [`Versions`], the first from its `--spec`; their pipelines
/// join `pipelines` (a run of a later version replays through it).
fn versions<'a>(
    pipelines: &mut Vec<Spec<'a>>,
    mut book: PolicyBook,
    later: &'a [(Timestamp, PathBuf)],
) -> Result<PolicyBook, CliError> {
    let mut read: Vec<(Timestamp, Spec<'a>)> = Vec::with_capacity(later.len());
    for (from, spec) in later {
        let pipeline = pipeline(spec)?;
        let name = pipeline.environment().name();
        let problem = match spec_of(name, pipelines) {
            None => Some(format!(
                "no `--spec` is for its environment `{}`",
                esc(name)
            )),
            Some((first, _)) => other_environment(pipeline.environment(), first.environment()),
        };
        if let Some(error) = problem {
            return Err(CliError::SpecFrom {
                spec: spec.display().to_string(),
                error,
            });
        }
        read.push((*from, (pipeline, spec)));
    }
    let environments: Vec<String> = pipelines
        .iter()
        .map(|(p, _)| p.environment().name().to_owned())
        .collect();
    for environment in environments {
        let mut dated = read
            .iter()
            .filter(|(_, (p, _))| p.environment().name() == environment)
            .peekable();
        if dated.peek().is_none() {
            continue;
        }
        let Some((first, _)) = spec_of(&environment, pipelines) else {
            continue;
        };
        let mut versions = Versions::new(first.policy());
        for (from, (pipeline, _)) in dated {
            versions = versions.from(*from, pipeline.policy());
            book = book.with_pipeline(pipeline.clone());
        }
        book = book.with(environment, versions);
    }
    pipelines.extend(read.into_iter().map(|(_, spec)| spec));
    Ok(book)
}

/// What a member must be beyond what a registry's restore checks: for the environment its spec
/// describes (the name and the approval window).
fn check_against_specs(member: &StoredModel, pipelines: &[Spec<'_>]) -> Result<(), String> {
    let name = member.environment().name();
    let Some((pipeline, spec)) = spec_of(name, pipelines) else {
        return Ok(()); // the book has no policy for it: the caller reports that first
    };
    let about = || format!("version `{}` in `{}`", esc(member.version()), esc(name));
    if let Some(problem) = other_environment(member.environment(), pipeline.environment()) {
        return Err(format!(
            "{}: {problem} (`{}`)",
            about(),
            esc(&spec.display().to_string())
        ));
    }
    Ok(())
}

/// The spec of the environment `name`, if one was given.
fn spec_of<'s, 'a>(name: &str, pipelines: &'s [Spec<'a>]) -> Option<&'s Spec<'a>> {
    pipelines
        .iter()
        .find(|(p, _)| p.environment().name() == name)
}

/// A member that is a run must be a run of its environment's spec's pipeline.
fn check_run_of_spec(member: &StoredModel, pipelines: &[Spec<'_>]) -> Result<(), String> {
    let name = member.environment().name();
    let Some((pipeline, spec)) = spec_of(name, pipelines) else {
        return Ok(());
    };
    let about = || format!("version `{}` in `{}`", esc(member.version()), esc(name));
    let of_a_version = |stored: &modelgate::event::Fingerprint| {
        pipelines
            .iter()
            .any(|(p, _)| p.environment().name() == name && p.fingerprint() == *stored)
    };
    if let Some(stored) = member.run_pipeline()
        && !of_a_version(stored)
    {
        return Err(format!(
            "{} is not a run of `{}`: it was started for pipeline `{stored}`, the spec's is `{}`",
            about(),
            esc(&spec.display().to_string()),
            pipeline.fingerprint()
        ));
    }
    Ok(())
}

/// Each environment's current version, in order of environment.
fn current(registry: &Registry) -> Vec<(String, String)> {
    registry
        .members()
        .filter(|m| matches!(m, AnyModel::Deployed(_)))
        .map(|m| (m.environment().name().to_owned(), m.version().to_owned()))
        .collect()
}

/// `registry verify`: every member for the environment its spec describes (name and approval
/// window) and, for a run, a run of that spec's pipeline; the index's seal, every member (chain,
/// seal, replay, every decision decided again by the policy of its environment's spec), and the
/// checks across members; the exit code is 1 if the registry is refused.
///
/// # Errors
///
/// [`CliError`] if the record, a key file or a spec cannot be read, a spec is invalid, two
/// specs are for one environment, or no spec is for an environment of a member.
pub fn verify(
    file: &Path,
    key_files: &[PathBuf],
    specs: &[PathBuf],
    later: &[(Timestamp, PathBuf)],
    registered: &[(String, Registered)],
    format: Format,
) -> Result<u8, CliError> {
    let stored: StoredRegistry = crate::export::load(file)?;
    let keys = seal_keys(key_files)?;
    let (mut pipelines, mut book) = pipelines(specs)?;
    book = versions(&mut pipelines, book, later)?;
    for (environment, policy) in registered {
        let why = if spec_of(environment, &pipelines).is_none() {
            Some("no `--spec` is for this environment")
        } else if later.iter().any(|(_, spec)| {
            pipelines
                .iter()
                .any(|(p, file)| *file == spec && p.environment().name() == environment)
        }) {
            Some("the environment has a `--spec-from` too: its versions are specs")
        } else if registered
            .iter()
            .filter(|(env, _)| env == environment)
            .count()
            > 1
        {
            Some("two `--policy` for one environment")
        } else {
            None
        };
        if let Some(why) = why {
            return Err(CliError::PolicyFor {
                environment: environment.clone(),
                why,
            });
        }
        book = book.with(environment.clone(), Arc::clone(policy));
    }
    if let Some(missing) = stored
        .members()
        .iter()
        .map(|m| m.environment().name())
        .find(|env| book.policy(env).is_none())
    {
        return Err(CliError::NoSpec {
            environment: missing.to_owned(),
        });
    }
    let (name, index, members) = (
        stored.name().to_owned(),
        stored.index(),
        stored.members().len(),
    );
    // The records and the books first (a changed header is a broken chain, not another
    // environment), then what the specs say beyond their policies.
    let members_stored = stored.members().to_vec();
    // A run of another pipeline than its environment's spec is named with the spec (the
    // restore would only say the book lacks its pipeline).
    let runs_of_specs = members_stored
        .iter()
        .try_for_each(|m| check_run_of_spec(m, &pipelines));
    let result = runs_of_specs
        .and_then(|()| {
            stored
                .restore(&keys, &book)
                .map_err(|r| r.into_error().to_string())
        })
        .and_then(|registry| {
            members_stored
                .iter()
                .try_for_each(|m| check_against_specs(m, &pipelines))
                .map(|()| registry)
        });
    let code = u8::from(result.is_err());
    let by_registered: Vec<(&str, String, String)> = registered
        .iter()
        .map(|(env, p)| (env.as_str(), p.fingerprint().to_string(), p.name()))
        .collect();
    match format {
        Format::Json => {
            let by_registered: Vec<Value> = by_registered
                .iter()
                .map(|(env, fp, name)| json!({"environment": env, "fingerprint": fp, "name": name}))
                .collect();
            let (current, error) = match &result {
                Ok(registry) => (
                    current(registry)
                        .into_iter()
                        .map(|(env, version)| json!({"environment": env, "version": version}))
                        .collect(),
                    None,
                ),
                Err(e) => (Vec::new(), Some(e.to_string())),
            };
            println!(
                "{}",
                crate::pretty(&json!({
                    "ok": result.is_ok(), "name": name, "index": index.to_string(),
                    "members": members, "current": current, "error": error,
                    "registered_policies": by_registered,
                }))
            );
        }
        Format::Human => match &result {
            Ok(registry) => {
                println!(
                    "verified: registry {} ({members} members); index {index}",
                    esc(&name)
                );
                for (env, version) in current(registry) {
                    println!("current in {}: {}", esc(&env), esc(&version));
                }
                println!(
                    "checked: index seal; every member's chain, seal and replay, its decisions \
                     by its environment's spec; the books across members"
                );
                for (env, fp, name) in &by_registered {
                    println!(
                        "decisions in {} by the registered policy {fp} (`{}`), not its spec's",
                        esc(env),
                        esc(name)
                    );
                }
            }
            Err(e) => eprintln!("refused: registry {}: {e}", esc(&name)),
        },
    }
    Ok(code)
}
