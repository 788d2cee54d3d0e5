//! The `modelgate` command line, as a library: a host whose policy has code a spec cannot say
//! (a closure, a call into its own systems) builds its own verify binary with its policies
//! registered, each known by its fingerprint, and its CI verifies with that binary as it would
//! with `modelgate`.
//!
//! ```no_run
//! use modelgate::{MetricGate, PolicyExt, Quorum, Verdict, VerdictKind, from_fn};
//!
//! fn main() -> std::process::ExitCode {
//!     let in_house = from_fn("in-house risk score below 0.2", |ctx| {
//!         let low = ctx.metrics().get("risk_score").is_some_and(|s| s < 0.2);
//!         let kind = if low { VerdictKind::Approve } else { VerdictKind::Reject };
//!         Verdict::new(kind, Vec::new())
//!     });
//!     let bank = MetricGate::at_least("accuracy", 0.9).and(Quorum::new(2)).and(in_house);
//!     match modelgate_cli::Cli::new().policy(bank) {
//!         Ok(cli) => cli.run(),
//!         Err(e) => {
//!             eprintln!("error: {e}");
//!             std::process::ExitCode::from(2)
//!         }
//!     }
//! }
//! ```
//!
//! It takes every command and flag of `modelgate`; with `--policy <fingerprint>`, `verify`
//! and `registry verify` decide each decision again by the registered policy with that
//! fingerprint instead of the spec's (the spec still gives the environment), and `policies`
//! lists what is registered. Exit codes: 0 when everything checked is fine; 1 when a check
//! found problems or refused (a spec `check` finds invalid, a stored model that does not
//! verify, an attestation refused); 2 for usage errors and files that cannot be read or parsed
//! (a missing file, a key file in the wrong format, an invalid spec given to `verify`, a
//! fingerprint no policy is registered by). See
//! `cli/README.md`.

mod attest;
mod check;
mod error;
mod export;
mod gate;
mod host;
mod keys;
mod log;
mod positions;
mod registry;
mod reseal;
mod roster;
mod stored;
mod text;
mod vote;

pub use host::{Cli, Exit, RegisterError};

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};
use modelgate::attest::ArtifactDigest;

pub(crate) use error::CliError;

/// Gate machine-learning models on their way to production: check pipeline specs, show and
/// verify stored models and registries, verify signed approvals at deploy time.
///
/// Exit codes: 0 ok; 1 problems found or verification refused; 2 usage or I/O error.
#[derive(Parser)]
#[command(name = "modelgate", version)]
pub(crate) struct Invocation {
    /// Output for people (errors on stderr) or JSON on stdout for machines.
    #[arg(long, value_enum, default_value_t = Format::Human, global = true)]
    pub(crate) format: Format,
    #[command(subcommand)]
    command: Command,
}

/// How results are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Readable lines; problems and refusals on stderr, with the source snippet for specs.
    Human,
    /// One JSON document on stdout.
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Validate pipeline specs (YAML, or JSON if the name ends in `.json`): every problem, with
    /// its step, path, line and column. A valid spec whose policy has lints (a rule that can
    /// never pass, look-alike names) is refused too, unless `--allow-lints`.
    Check {
        /// The spec files.
        #[arg(required = true)]
        specs: Vec<PathBuf>,
        /// Accept a spec whose policy has lints (printed as warnings).
        #[arg(long)]
        allow_lints: bool,
    },
    /// Show a stored model: status, head, seal and the audit trail as a table.
    Show {
        /// The stored model (JSON).
        stored: PathBuf,
        /// Seal key files (JSON); with one, the seal is verified too.
        #[arg(long = "key")]
        keys: Vec<PathBuf>,
        /// The pipeline spec of a stored run: a run replays only through its pipeline.
        #[arg(long)]
        spec: Option<PathBuf>,
    },
    /// Verify a stored model: the hash chain, the seal, the replay, and the decisions decided
    /// again by the spec's policy (or trusted as recorded).
    Verify(VerifyArgs),
    /// Signed approvals (in-toto attestations in DSSE envelopes).
    Attest {
        #[command(subcommand)]
        command: gate::AttestCommand,
    },
    /// Votes signed by their reviewers: what a reviewer signs.
    Vote {
        #[command(subcommand)]
        command: vote::VoteCommand,
    },
    /// Rosters: who may sign votes, with which keys and roles.
    Roster {
        #[command(subcommand)]
        command: roster::RosterCommand,
    },
    /// Seal a stored model or registry again under a new key, after a rotation: its chain and
    /// seals verified under `--key` first (the old keys, with their validity), then each seal
    /// made again by `--to`; the resealed record on stdout, the old seals (with the heads they
    /// sealed) written to `--evidence`. Nothing but the seals changes.
    Reseal {
        /// The stored model or registry (JSON).
        stored: PathBuf,
        /// Seal key files that verify it now (JSON).
        #[arg(long = "key", required = true)]
        keys: Vec<PathBuf>,
        /// The new key's file: `hmac_sha256` or `ed25519_private_key`.
        #[arg(long, required = true)]
        to: PathBuf,
        /// Where the old seals are written (JSON), as evidence of what the old key sealed.
        #[arg(long, required = true)]
        evidence: PathBuf,
    },
    /// The host's log of heads: signed checkpoints and their proofs.
    Log {
        #[command(subcommand)]
        command: LogCommand,
    },
    /// Stored registries: the versions of one model across its environments.
    Registry {
        #[command(subcommand)]
        command: RegistryCommand,
    },
    /// List the policies this binary has registered (by fingerprint, for `--policy`): none in
    /// `modelgate`; a host registers its own in a binary built with the `modelgate-cli`
    /// library.
    Policies,
}

#[derive(Subcommand)]
enum RegistryCommand {
    /// Show a stored registry: its index, seal, and every member's environment, version,
    /// status and head (decisions as recorded; seals checked only with `--key`).
    Show {
        /// The stored registry (JSON, or an export: JSON Lines or CSV).
        stored: PathBuf,
        /// Seal key files (JSON); with one, the index's and every member's seal are verified.
        #[arg(long = "key")]
        keys: Vec<PathBuf>,
        /// Pipeline specs: a member that is a run replays only through its pipeline.
        #[arg(long = "spec")]
        specs: Vec<PathBuf>,
    },
    /// Verify a stored registry: the index's seal, every member's chain, seal and replay, every
    /// decision decided again by the policy of its environment's spec, and the books across
    /// members (one current deployment per environment, champions, promotions).
    Verify {
        /// The stored registry (JSON, or an export: JSON Lines or CSV, read back row by row).
        stored: PathBuf,
        /// Seal key files (JSON), as for `verify`.
        #[arg(long = "key", required = true)]
        keys: Vec<PathBuf>,
        /// A pipeline spec per environment (the environment it names; `default` if none):
        /// its policy decides again every decision in that environment.
        #[arg(long = "spec", required = true)]
        specs: Vec<PathBuf>,
        /// A later version of an environment's policy: the spec (for an environment a `--spec`
        /// names, with the same approval window) whose policy is in force from the RFC 3339
        /// time on (`2027-01-01T00:00:00Z`); each decision is decided again by the version in
        /// force when it was made.
        #[arg(long = "spec-from", num_args = 2, value_names = ["FROM", "SPEC"])]
        spec_from: Vec<String>,
        /// A registered policy (see `policies`) that decides again the decisions of an
        /// environment a `--spec` names, instead of that spec's policy (a run there, decided by
        /// its pipeline's policy, is refused unless that is the registered one).
        #[arg(long = "policy", value_name = "ENVIRONMENT=FINGERPRINT", value_parser = parse_environment_policy)]
        policies: Vec<(String, modelgate::Fingerprint)>,
    },
    /// Export a stored registry's whole record for an auditor, on stdout: one row per event
    /// (who, when, what, the policy and its fingerprint, the chain, the event itself), per
    /// member (its head and seal) and for the index (its seal). Written only if the index's
    /// and every member's seal verify under the keys; `registry verify` reads it back.
    Export {
        /// The stored registry (JSON, or an export).
        stored: PathBuf,
        /// Seal key files (JSON), as for `verify`.
        #[arg(long = "key", required = true)]
        keys: Vec<PathBuf>,
        /// The format.
        #[arg(long, value_enum)]
        to: export::To,
    },
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("decisions").required(true).args(["spec", "trust_decisions"])))]
struct VerifyArgs {
    /// The stored model or run (JSON).
    stored: PathBuf,
    /// Seal key files (JSON: `{"key_id": …, "hmac_sha256": <hex>}` or
    /// `{"key_id": …, "ed25519_public_key": <hex>}`); several for key rotation.
    #[arg(long = "key", required = true)]
    keys: Vec<PathBuf>,
    /// The pipeline spec whose policy decides every recorded decision again (and, for a run,
    /// whose rules the trail must follow).
    #[arg(long)]
    spec: Option<PathBuf>,
    /// Trust the recorded decisions (check chain, seal and replay only).
    #[arg(long)]
    trust_decisions: bool,
    /// A registered policy (see `policies`) that decides every recorded decision again instead
    /// of the spec's policy (the spec still gives the environment); not for a run, which is
    /// decided by its pipeline's policy.
    #[arg(long, value_name = "FINGERPRINT", value_parser = parse_fingerprint)]
    policy: Option<modelgate::Fingerprint>,
}

#[derive(Subcommand)]
enum LogCommand {
    /// Sign a checkpoint of a log file (the JSON array of the log's leaves): its origin, size
    /// and root as a C2SP signed note, on stdout.
    Checkpoint {
        /// The log file (JSON).
        log: PathBuf,
        /// The note signer key file (`PRIVATE+KEY+<name>+<hash>+<base64>`).
        #[arg(long = "signer-key", required = true)]
        key: PathBuf,
        /// The log's origin (default: the key's name).
        #[arg(long)]
        origin: Option<String>,
        /// Sign the log at this many leaves (default: all of the file's).
        #[arg(long)]
        size: Option<u64>,
    },
    /// Prove from a log file, as of a checkpoint it must match: that a model's latest head is
    /// the one the log holds (`--name`, `--version`, `--environment`; for `attest verify
    /// --proof`), or that the checkpoint extends an older one (`--old`).
    Prove {
        /// The log file (JSON).
        log: PathBuf,
        /// The signed checkpoint the proof is for.
        #[arg(long, required = true)]
        checkpoint: PathBuf,
        /// The log's note verifier key file.
        #[arg(long, required = true)]
        log_key: PathBuf,
        /// The log's origin (default: the log key's name).
        #[arg(long)]
        log_origin: Option<String>,
        /// The model's name.
        #[arg(long, requires_all = ["version", "environment"], conflicts_with = "old", required_unless_present = "old")]
        name: Option<String>,
        /// The model's version.
        #[arg(long, requires = "name")]
        version: Option<String>,
        /// The model's environment.
        #[arg(long, requires = "name")]
        environment: Option<String>,
        /// An older signed checkpoint: prove that `--checkpoint` extends it.
        #[arg(long)]
        old: Option<PathBuf>,
    },
    /// Verify that a newer checkpoint extends an older one: nothing logged by then was changed,
    /// removed or reordered. Exit 1 if not.
    VerifyConsistency {
        /// The older signed checkpoint (the one held).
        #[arg(long, required = true)]
        old: PathBuf,
        /// The newer signed checkpoint.
        #[arg(long, required = true)]
        new: PathBuf,
        /// The consistency proof (JSON, from `modelgate log prove --old`).
        #[arg(long, required = true)]
        proof: PathBuf,
        /// The log's note verifier key file.
        #[arg(long, required = true)]
        log_key: PathBuf,
        /// The log's origin (default: the log key's name).
        #[arg(long)]
        log_origin: Option<String>,
    },
}

/// The clock, read once, at the edge (the library never reads it).
fn now() -> modelgate::Timestamp {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    modelgate::Timestamp::from_unix_millis(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
}

fn parse_fingerprint(text: &str) -> Result<modelgate::event::Fingerprint, String> {
    text.parse()
        .map_err(|e: modelgate::event::ParseHashError| e.to_string())
}

fn parse_environment_policy(text: &str) -> Result<(String, modelgate::Fingerprint), String> {
    let (environment, fingerprint) = text
        .split_once('=')
        .ok_or("expected ENVIRONMENT=FINGERPRINT")?;
    Ok((environment.to_owned(), parse_fingerprint(fingerprint)?))
}

/// A time: seconds since the Unix epoch, or RFC 3339.
pub(crate) fn parse_time(text: &str) -> Result<modelgate::Timestamp, String> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse()
            .map(modelgate::Timestamp::from_unix_secs)
            .map_err(|e: std::num::ParseIntError| e.to_string());
    }
    text.parse()
        .map_err(|e: modelgate::value::ParseTimestampError| e.to_string())
}

fn parse_digest(text: &str) -> Result<ArtifactDigest, String> {
    text.parse()
        .map_err(|e: modelgate::attest::DigestError| e.to_string())
}

/// Reads a text file.
///
/// # Errors
///
/// [`CliError::Io`] if it cannot be read.
pub(crate) fn read(file: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(file).map_err(|e| CliError::Io {
        file: file.display().to_string(),
        source: e,
    })
}

/// Pretty JSON.
pub(crate) fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

fn run(cli: Invocation, policies: &host::Policies) -> Result<u8, CliError> {
    let format = cli.format;
    match cli.command {
        Command::Policies => Ok(host::print_policies(policies, format)),
        Command::Check { specs, allow_lints } => {
            let mut reports = Vec::with_capacity(specs.len());
            for spec in &specs {
                reports.push(check::check(spec, allow_lints)?);
            }
            Ok(check::print(&reports, format))
        }
        Command::Show { stored, keys, spec } => {
            stored::show(&stored, &keys, spec.as_deref(), format)
        }
        Command::Verify(args) => {
            if args.policy.is_some() && args.spec.is_none() {
                return Err(CliError::Usage {
                    why: "`--policy` decides the recorded decisions again: pass it with `--spec` \
                          (the environment), not with `--trust-decisions`",
                });
            }
            let registered = args.policy.map(|fp| policies.find(&fp)).transpose()?;
            let decisions = match &args.spec {
                Some(spec) => stored::Decisions::Spec(spec, registered),
                None => stored::Decisions::AsRecorded,
            };
            stored::verify(&args.stored, &args.keys, decisions, format)
        }
        Command::Attest {
            command: gate::AttestCommand::Verify(args),
        } => gate::run(*args, format),
        Command::Vote { command } => vote::run(command, format),
        Command::Reseal {
            stored,
            keys,
            to,
            evidence,
        } => reseal::reseal(
            &reseal::Reseal {
                stored: &stored,
                keys: &keys,
                to: &to,
                evidence: &evidence,
            },
            format,
        ),
        Command::Roster { command } => roster::show(command, format),
        Command::Log { command } => run_log(command, format),
        Command::Registry {
            command: RegistryCommand::Export { stored, keys, to },
        } => export::export(&stored, &keys, to),
        Command::Registry {
            command:
                RegistryCommand::Show {
                    stored,
                    keys,
                    specs,
                },
        } => registry::show(&stored, &keys, &specs, format),
        Command::Registry {
            command:
                RegistryCommand::Verify {
                    stored,
                    keys,
                    specs,
                    spec_from,
                    policies: by_environment,
                },
        } => {
            let mut registered = Vec::with_capacity(by_environment.len());
            for (environment, fingerprint) in by_environment {
                registered.push((environment, policies.find(&fingerprint)?));
            }
            let mut later = Vec::with_capacity(spec_from.len() / 2);
            for pair in spec_from.chunks(2) {
                let [from, spec] = pair else {
                    continue;
                };
                let at = from
                    .parse()
                    .map_err(
                        |e: modelgate::value::ParseTimestampError| CliError::SpecFrom {
                            spec: spec.clone(),
                            error: e.to_string(),
                        },
                    )?;
                later.push((at, PathBuf::from(spec)));
            }
            registry::verify(&stored, &keys, &specs, &later, &registered, format)
        }
    }
}

fn run_log(command: LogCommand, format: Format) -> Result<u8, CliError> {
    match command {
        LogCommand::Checkpoint {
            log,
            key,
            origin,
            size,
        } => log::checkpoint(&log, &key, origin.as_deref(), size, format),
        LogCommand::Prove {
            log,
            checkpoint,
            log_key,
            log_origin,
            name,
            version,
            environment,
            old,
        } => {
            let anchor = log::Anchor {
                checkpoint,
                log_key,
                origin: log_origin,
            };
            let what = match (name, version, environment, old) {
                (Some(name), Some(version), Some(environment), _) => log::Prove::Head {
                    name,
                    version,
                    environment,
                },
                (_, _, _, Some(old)) => log::Prove::Extends { old },
                _ => {
                    return Err(CliError::Usage {
                        why: "pass --name, --version and --environment, or --old",
                    });
                }
            };
            log::prove(&log, &anchor, &what, format)
        }
        LogCommand::VerifyConsistency {
            old,
            new,
            proof,
            log_key,
            log_origin,
        } => {
            let anchor = |checkpoint| log::Anchor {
                checkpoint,
                log_key: log_key.clone(),
                origin: log_origin.clone(),
            };
            log::verify_consistency(&anchor(old), &anchor(new), &proof, format)
        }
    }
}
