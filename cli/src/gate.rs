//! `modelgate attest verify`'s flags: what the deploy gate expects of an attestation, and whose
//! word it takes for who approved (a roster's keys, or, told so, the attestation's signer).

use std::path::PathBuf;

use clap::{ArgGroup, Args, Subcommand};
use modelgate::attest::{ArtifactDigest, Expected};
use modelgate::event::{Fingerprint, Head};

use crate::{CliError, Format, attest, log, now, parse_digest, parse_fingerprint, roster};

#[derive(Subcommand)]
pub(crate) enum AttestCommand {
    /// The deploy gate: verify a DSSE envelope against trusted public keys, the model, the
    /// digest of the artifact about to be deployed and the environment it is deployed to.
    /// Strict by default: only an approval not yet deployed, not lapsed, by the policy
    /// `--policy` pins (or any policy, with `--any-policy`), whose approvals `--roster`'s keys
    /// signed (or, with `--trust-signer-approvals`, as the signer lists them), passes.
    Verify(Box<GateArgs>),
}

/// The deploy gate's flags.
#[derive(Args)]
#[command(group(ArgGroup::new("policy_pin").required(true).args(["policy", "any_policy"])))]
#[command(group(
    ArgGroup::new("approvers").required(true).args(["roster", "trust_signer_approvals"])
))]
pub(crate) struct GateArgs {
    /// The envelope (JSON).
    envelope: PathBuf,
    /// Ed25519 public key files (PEM `PUBLIC KEY` or 64 hex digits).
    #[arg(long = "key", required = true)]
    keys: Vec<PathBuf>,
    /// A name for the key, shown as the signer (default: the hex SHA-256 of the public
    /// key); only with a single `--key`. Signatures are matched by key, whatever key id
    /// they name.
    #[arg(long)]
    key_id: Option<String>,
    /// How many of the `--key`s must have signed the envelope (distinct keys; each signature
    /// counts for one key). Default: one.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..))]
    threshold: u64,
    /// The name of the model being deployed (required: an approval of the same artifact as
    /// another model never passes).
    #[arg(long, required = true)]
    name: String,
    /// The version of the model being deployed (default: any version of `--name`).
    #[arg(long)]
    version: Option<String>,
    /// The artifact's digest, `sha256:<64 hex>` (or sha384, sha512).
    #[arg(long, value_parser = parse_digest)]
    digest: ArtifactDigest,
    /// The environment the approval must be for (required: an approval for staging never
    /// passes a production gate).
    #[arg(long, required = true)]
    environment: String,
    /// Also accept the attestation of a model already deployed, for re-verifying a running
    /// deployment (e.g. on restart), and only within the validity its signer gave it.
    /// Without it, a deployed model's attestation is refused: it is not an approval to
    /// deploy.
    #[arg(long)]
    accept_running_deployment: bool,
    /// The fingerprint of the policy the approval must have been decided by (what
    /// `modelgate check` prints as `policy fingerprint`): an approval by another policy, or
    /// by one recorded before policies had fingerprints, is refused.
    #[arg(long, value_name = "FINGERPRINT", value_parser = parse_fingerprint)]
    policy: Option<Fingerprint>,
    /// Accept an approval whatever policy decided it (instead of `--policy`): the gate then
    /// trusts the signer to have decided by the right one.
    #[arg(long)]
    any_policy: bool,
    /// The roster (JSON: its versions, oldest first) whose keys must have signed the
    /// approvals: the gate counts the reviewers' own signatures, with the roster's roles, not
    /// the roles or the word of the attestation's signer.
    #[arg(long, value_name = "ROSTER", requires_all = ["roster_first", "signed_approvals"])]
    roster: Option<PathBuf>,
    /// The hash of the roster's first version, pinned by the gate (`modelgate roster show`
    /// prints it): a roster from another first version is refused.
    #[arg(long, value_name = "HASH", requires = "roster", value_parser = roster::parse_hash)]
    roster_first: Option<Head>,
    /// The hash of the latest roster version the gate has seen before: a roster cut back
    /// before it (a removal undone) is refused.
    #[arg(long, value_name = "HASH", requires = "roster", value_parser = roster::parse_hash)]
    roster_held: Option<Head>,
    /// How many distinct reviewers must have signed an approval with their roster keys.
    #[arg(long, value_name = "N", requires = "roster",
          value_parser = clap::value_parser!(u64).range(1..))]
    signed_approvals: Option<u64>,
    /// A role one of the signed approvals must hold in the roster (repeatable).
    #[arg(long = "signed-role", value_name = "ROLE", requires = "roster")]
    signed_roles: Vec<String>,
    /// Accept the approvals as the attestation's signer lists them (instead of `--roster`):
    /// the gate then trusts the signer's word for who approved, with which roles.
    #[arg(long)]
    trust_signer_approvals: bool,
    /// A clock override, to reproduce a past gate: the deployment time, in seconds since the
    /// Unix epoch or RFC 3339 (default: now). An approval whose environment's window has passed by then
    /// is refused, and so is a running deployment's attestation past its validity; a time
    /// before the attested decision (or deployment) is refused.
    #[arg(long, value_name = "TIME", value_parser = crate::parse_time)]
    at: Option<modelgate::Timestamp>,
    /// A signed checkpoint of the host's log of heads that the gate holds: with it, the
    /// approval must also be its trail's latest head in the log as of the checkpoint (not
    /// revoked, retired or otherwise moved on), by the head proof in `--proof`, and the
    /// checkpoint signed by `--log-key`. Without it, the log is not consulted.
    #[arg(long, requires_all = ["proof", "log_key"])]
    checkpoint: Option<PathBuf>,
    /// The head proof (JSON, from `modelgate log prove` or the store's `prove_head`).
    #[arg(long, requires = "checkpoint")]
    proof: Option<PathBuf>,
    /// The log's note verifier key file (`<name>+<hash>+<base64>`).
    #[arg(long, requires = "checkpoint")]
    log_key: Option<PathBuf>,
    /// The log's origin (default: the log key's name).
    #[arg(long, requires = "checkpoint")]
    log_origin: Option<String>,
}

/// Runs the gate.
///
/// # Errors
///
/// [`CliError`] for `--key-id` with several keys, and for a file that cannot be read.
pub(crate) fn run(args: GateArgs, format: Format) -> Result<u8, CliError> {
    if args.key_id.is_some() && args.keys.len() > 1 {
        return Err(CliError::KeyIdForSeveralKeys {
            count: args.keys.len(),
        });
    }
    let at = args.at.unwrap_or_else(now);
    let mut expected = Expected::deploying(args.name, args.digest, args.environment, at)
        .signers(usize::try_from(args.threshold).unwrap_or(usize::MAX));
    if let Some(version) = args.version {
        expected = expected.version(version);
    }
    if args.accept_running_deployment {
        expected = expected.accepting_running_deployment();
    }
    if let Some(policy) = args.policy {
        expected = expected.policy(policy);
    }
    let anchor = match (args.checkpoint, args.log_key) {
        (Some(checkpoint), Some(log_key)) => Some(log::Anchor {
            checkpoint,
            log_key,
            origin: args.log_origin,
        }),
        _ => None,
    };
    let log = anchor.as_ref().zip(args.proof.as_deref());
    let signed = match (args.roster, args.roster_first, args.signed_approvals) {
        (Some(file), Some(first), Some(count)) => Some(roster::Count {
            file,
            first,
            held: args.roster_held,
            approvals: usize::try_from(count).unwrap_or(usize::MAX),
            roles: args.signed_roles,
        }),
        _ => None,
    };
    let gate = attest::Gate {
        key_id: args.key_id.as_deref(),
        expected: &expected,
        log,
        signed: signed.as_ref(),
    };
    attest::verify(&args.envelope, &args.keys, &gate, format)
}
