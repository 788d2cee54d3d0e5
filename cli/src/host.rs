//! The library's door: [`Cli`], with a host's policies registered by fingerprint, and how a
//! command ended, [`Exit`].

use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use modelgate::{Fingerprint, Policy, PolicyExt};

use crate::text::esc;
use crate::{CliError, Format, Invocation};

/// A policy registered with a [`Cli`], shared by the commands that decide with it.
pub(crate) type Registered = Arc<dyn Policy + Send + Sync>;

/// The `modelgate` command line, with the policies a host registers: each is known by its
/// [fingerprint](PolicyExt::fingerprint), what `modelgate check` prints for a spec's policy and
/// what a decision records, and `--policy <fingerprint>` names it to `verify` and
/// `registry verify`. [`Cli::new`] with nothing registered is the `modelgate` binary.
///
/// ```
/// use modelgate::{MetricGate, PolicyExt, Quorum};
/// use modelgate_cli::{Cli, Exit};
/// let policy = MetricGate::at_least("accuracy", 0.9).and(Quorum::new(2));
/// let fingerprint = policy.fingerprint();
/// let cli = Cli::new().policy(policy)?;
/// assert_eq!(cli.fingerprints().collect::<Vec<_>>(), [fingerprint]);
/// assert_eq!(cli.run_from(["modelgate", "policies"]), Exit::Ok);
/// assert_eq!(cli.run_from(["modelgate", "no-such-command"]), Exit::Error);
/// # Ok::<(), modelgate_cli::RegisterError>(())
/// ```
#[derive(Default)]
pub struct Cli {
    policies: Policies,
}

impl std::fmt::Debug for Cli {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.policies.0.iter().map(|(fp, p)| (fp, p.name())))
            .finish()
    }
}

impl Cli {
    /// The command line with no policies registered: `modelgate` itself.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same command line with `policy` registered, known by its fingerprint.
    ///
    /// # Errors
    ///
    /// [`RegisterError`], handing back this command line and the policy, if a registered
    /// policy has the same fingerprint: a policy is known by it, so two cannot share one (a
    /// closure is known by its name: two closures of one name are one policy to a fingerprint;
    /// name them apart).
    pub fn policy(
        mut self,
        policy: impl Policy + Send + Sync + 'static,
    ) -> Result<Self, RegisterError> {
        let fingerprint = policy.fingerprint();
        if let Some(registered) = self.policies.get(&fingerprint) {
            return Err(RegisterError {
                name: policy.name(),
                registered: registered.name(),
                fingerprint,
                cli: Box::new(self),
                policy: Box::new(policy),
            });
        }
        self.policies.0.push((fingerprint, Arc::new(policy)));
        Ok(self)
    }

    /// The fingerprints of the registered policies, in the order they were registered.
    pub fn fingerprints(&self) -> impl Iterator<Item = Fingerprint> + '_ {
        self.policies.0.iter().map(|(fp, _)| *fp)
    }

    /// Runs the command line of this process ([`std::env::args_os`]) and returns its exit code,
    /// for `main`: results on stdout, problems and refusals on stderr, as `modelgate` does.
    pub fn run(&self) -> ExitCode {
        self.run_from(std::env::args_os()).into()
    }

    /// Runs a command line, `args` with the program's name first, as [`run`](Self::run) does.
    pub fn run_from<I, T>(&self, args: I) -> Exit
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let invocation = match Invocation::try_parse_from(args) {
            Ok(invocation) => invocation,
            Err(e) => {
                // Help and version go to stdout and end well; usage errors to stderr.
                let _ = e.print();
                return if e.exit_code() == 0 {
                    Exit::Ok
                } else {
                    Exit::Error
                };
            }
        };
        let format = invocation.format;
        match crate::run(invocation, &self.policies) {
            Ok(0) => Exit::Ok,
            Ok(_) => Exit::Refused,
            Err(e) => {
                match format {
                    Format::Human if e.is_refusal() => eprintln!("{e}"),
                    Format::Human => eprintln!("error: {e}"),
                    Format::Json => println!(
                        "{}",
                        crate::pretty(&serde_json::json!({"ok": false, "error": e.to_string()}))
                    ),
                }
                if e.is_refusal() {
                    Exit::Refused
                } else {
                    Exit::Error
                }
            }
        }
    }
}

/// How a command ended: the process's exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Exit {
    /// 0: everything checked is fine (or help was asked for).
    Ok,
    /// 1: a check found problems or refused.
    Refused,
    /// 2: a usage error, or a file that cannot be read or parsed.
    Error,
}

impl Exit {
    /// The exit code: 0, 1 or 2.
    pub fn code(self) -> u8 {
        match self {
            Self::Ok => 0,
            Self::Refused => 1,
            Self::Error => 2,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        Self::from(exit.code())
    }
}

/// A policy not registered: a registered one has its fingerprint. It hands back the command
/// line and the policy ([`into_parts`](Self::into_parts)).
#[derive(thiserror::Error)]
#[error(
    "the policy `{}` has the fingerprint {fingerprint}, as the registered policy `{}` does: a \
     policy is known by its fingerprint, so two cannot share one (a closure's is its name: name \
     them apart)",
    esc(.name), esc(.registered)
)]
pub struct RegisterError {
    name: String,
    registered: String,
    fingerprint: Fingerprint,
    cli: Box<Cli>,
    policy: Box<dyn Policy + Send + Sync>,
}

impl std::fmt::Debug for RegisterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterError")
            .field("name", &self.name)
            .field("registered", &self.registered)
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl RegisterError {
    /// The fingerprint the two policies share.
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// The name of the policy that was refused.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name of the registered policy with the same fingerprint.
    pub fn registered(&self) -> &str {
        &self.registered
    }

    /// The command line as it was, and the refused policy.
    pub fn into_parts(self) -> (Cli, Box<dyn Policy + Send + Sync>) {
        (*self.cli, self.policy)
    }
}

/// The registered policies, by fingerprint.
#[derive(Default)]
pub(crate) struct Policies(Vec<(Fingerprint, Registered)>);

impl Policies {
    fn get(&self, fingerprint: &Fingerprint) -> Option<&Registered> {
        self.0
            .iter()
            .find(|(fp, _)| fp == fingerprint)
            .map(|(_, p)| p)
    }

    /// The registered policy with `fingerprint`.
    ///
    /// # Errors
    ///
    /// [`CliError::UnknownPolicy`] if none is.
    pub(crate) fn find(&self, fingerprint: &Fingerprint) -> Result<Registered, CliError> {
        self.get(fingerprint)
            .cloned()
            .ok_or(CliError::UnknownPolicy {
                fingerprint: *fingerprint,
                registered: self.0.len(),
            })
    }

    /// The registered policies, in the order they were registered.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &(Fingerprint, Registered)> {
        self.0.iter()
    }
}

/// `policies`: the registered policies, by fingerprint.
pub(crate) fn print_policies(policies: &Policies, format: Format) -> u8 {
    match format {
        Format::Json => {
            let list: Vec<serde_json::Value> = policies
                .iter()
                .map(|(fp, p)| serde_json::json!({"fingerprint": fp.to_string(), "name": p.name()}))
                .collect();
            println!(
                "{}",
                crate::pretty(&serde_json::json!({"ok": true, "policies": list}))
            );
        }
        Format::Human => {
            let mut any = false;
            for (fp, p) in policies.iter() {
                println!("{fp}  {}", esc(&p.name()));
                any = true;
            }
            if !any {
                println!(
                    "no policies registered: a host registers its own in a binary built with the \
                     modelgate-cli library (cli/README.md)"
                );
            }
        }
    }
    0
}
