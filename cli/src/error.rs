//! What stops a command before it can check anything: [`CliError`], exit code 2.

use crate::text::esc;

/// What stops a command before it can check anything: exit code 2.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum CliError {
    /// A file cannot be read.
    #[error("cannot read `{}`: {source}", esc(.file))]
    Io {
        /// The file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not what the command reads.
    #[error("cannot read `{}`: {}", esc(.file), esc(.why))]
    Parse {
        /// The file.
        file: String,
        /// Why.
        why: String,
    },
    /// An export that reads, but one of whose rows says something its record does not, or
    /// whose events do not chain: refused (exit 1), not unreadable.
    #[error("refused: `{}` is not the record it stands for: {}", esc(.file), esc(.why))]
    Edited {
        /// The file.
        file: String,
        /// The line and column, and what it says.
        why: String,
    },
    /// A pipeline spec given to `verify` has problems.
    #[error("`{}` is not a valid pipeline spec (`modelgate check` shows where): {errors}", esc(.file))]
    Spec {
        /// The file.
        file: String,
        /// The problems, as the validator writes them (host text escaped).
        errors: modelgate::pipeline::SpecErrors,
    },
    /// A `--spec-from` whose time is not RFC 3339, or whose spec is for an environment no
    /// `--spec` names or with another approval window.
    #[error("`--spec-from … {}`: {}", esc(.spec), esc(.error))]
    SpecFrom {
        /// The spec.
        spec: String,
        /// What is wrong.
        error: String,
    },
    /// Two specs given to `registry verify` are for one environment.
    #[error(
        "`{}` and `{}` are both specs for the environment `{}`: pass one spec per environment",
        esc(.first), esc(.second), esc(.environment)
    )]
    SpecTwice {
        /// The environment.
        environment: String,
        /// The first spec for it.
        first: String,
        /// The second.
        second: String,
    },
    /// A registry given to `registry verify` has members in an environment no spec is for.
    #[error(
        "the registry has members in `{}`, and no --spec is for it: pass one whose `environment:` is `{}`",
        esc(.environment), esc(.environment)
    )]
    NoSpec {
        /// The environment.
        environment: String,
    },
    /// `--key-id` names one key, and several `--key` files were given.
    #[error(
        "`--key-id` names a single key, and {count} `--key` files were given: pass one `--key` \
         with it, or leave the keys their default ids"
    )]
    KeyIdForSeveralKeys {
        /// The number of `--key` files.
        count: usize,
    },
    /// Arguments that do not go together.
    #[error("{why}")]
    Usage {
        /// What to pass.
        why: &'static str,
    },
    /// A key file is not a key.
    #[error("key file `{}`: {}", esc(.file), esc(.why))]
    Key {
        /// The file.
        file: String,
        /// Why.
        why: String,
    },
    /// `--policy` names a fingerprint no registered policy has.
    #[error(
        "no policy with the fingerprint {fingerprint} is registered in this binary ({registered} \
         are; `policies` lists them): a host registers its policies in its own binary, built \
         with the modelgate-cli library (cli/README.md)"
    )]
    UnknownPolicy {
        /// The fingerprint.
        fingerprint: modelgate::Fingerprint,
        /// How many policies are registered.
        registered: usize,
    },
    /// `--policy` names an environment no `--spec` is for, or one with a `--spec-from` too.
    #[error("`--policy {}=…`: {why}", esc(.environment))]
    PolicyFor {
        /// The environment.
        environment: String,
        /// What is wrong.
        why: &'static str,
    },
}

impl CliError {
    /// Whether the error is a refusal of what was read (exit 1), not a file or usage error
    /// (exit 2).
    pub(crate) fn is_refusal(&self) -> bool {
        matches!(self, Self::Edited { .. })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The messages of the usage errors a test cannot reach through a binary's output.
    #[test]
    fn usage_errors_name_the_flag_and_what_to_pass() {
        let fingerprint: modelgate::Fingerprint =
            "7c37b94b5a53a46aed63ffecbf9ff6e65322bc0f4584c2f241bdcacab43cdc89"
                .parse()
                .unwrap();
        let errors = [
            CliError::UnknownPolicy {
                fingerprint,
                registered: 2,
            },
            CliError::PolicyFor {
                environment: "staging".into(),
                why: "no `--spec` is for this environment",
            },
            CliError::SpecFrom {
                spec: "v2.yaml".into(),
                error: "2027-13-01T00:00:00Z"
                    .parse::<modelgate::Timestamp>()
                    .unwrap_err()
                    .to_string(),
            },
        ];
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        insta::assert_snapshot!(text.join("\n"));
    }
}
