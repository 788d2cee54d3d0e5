//! `modelgate vote statement`: what a reviewer signs, on their own machine, with their own key
//! (`ssh-keygen -Y sign -n modelgate-vote`).

use std::io::Write as _;
use std::path::PathBuf;

use clap::{ArgGroup, Subcommand};
use modelgate::{AnyModel, Review, StoredModel, Timestamp};
use serde_json::json;

use crate::stored::{load, seal_keys};
use crate::text::esc;
use crate::{CliError, Format};

#[derive(Subcommand)]
pub(crate) enum VoteCommand {
    /// Write the bytes a reviewer signs to cast a vote on a stored model in review: its name,
    /// version, environment, round of review and artifact, the reviewer's id, vote, time and
    /// comment (raw bytes on stdout; with `--format json`, described, with their hex). Sign
    /// them with `ssh-keygen -Y sign -f ~/.ssh/id_ed25519 -n modelgate-vote FILE`; the service
    /// records the vote with exactly these fields and the `.sig` file's text.
    #[command(group(ArgGroup::new("vote").required(true).args(["approve", "reject"])))]
    Statement {
        /// The stored model (JSON), as the service shows it for review.
        stored: PathBuf,
        /// Seal key files (JSON): the record's seal must verify under one before anything is
        /// written (a reviewer signs only what the service sealed).
        #[arg(long = "key", required = true)]
        keys: Vec<PathBuf>,
        /// The reviewer's id, as the roster has it.
        #[arg(long, required = true)]
        reviewer: String,
        /// Approve the model.
        #[arg(long)]
        approve: bool,
        /// Reject it.
        #[arg(long)]
        reject: bool,
        /// The vote's time: RFC 3339 (`2026-12-05T10:00:00Z`) or seconds since the Unix epoch.
        #[arg(long, required = true, value_parser = crate::parse_time)]
        at: Timestamp,
        /// The comment.
        #[arg(long, default_value = "")]
        comment: String,
    },
}

/// `vote statement`: exit 1 if the stored model is not in review or does not verify.
///
/// # Errors
///
/// [`CliError`] if the record or a key file cannot be read, or stdout cannot be written.
pub(crate) fn run(command: VoteCommand, format: Format) -> Result<u8, CliError> {
    let VoteCommand::Statement {
        stored,
        keys,
        reviewer,
        approve: _,
        reject,
        at,
        comment,
    } = command;
    let file = stored.display().to_string();
    let record: StoredModel = load(&stored)?;
    let verifiers = seal_keys(&keys)?;
    let replayed = record.restore_trusting_decisions(&verifiers);
    let refuse = |why: String| {
        match format {
            Format::Json => println!("{}", crate::pretty(&json!({"ok": false, "error": why}))),
            Format::Human => eprintln!("refused: {}", esc(&why)),
        }
        Ok(1)
    };
    let model = match replayed {
        Ok(AnyModel::Submitted(model)) => model,
        Ok(other) => {
            return refuse(format!(
                "the model is {}, not in review: there is no vote to sign",
                other.status()
            ));
        }
        Err(refused) => return refuse(format!("`{file}` does not verify: {}", refused.error())),
    };
    let digest = model.stage().submission().digest().to_string();
    let review = if reject {
        Review::reject(&reviewer, &digest, at)
    } else {
        Review::approve(&reviewer, &digest, at)
    }
    .with_comment(&comment);
    let statement = model.vote_statement(&review);
    let bytes = statement.to_bytes();
    match format {
        Format::Json => println!(
            "{}",
            crate::pretty(&json!({
                "ok": true, "name": statement.name(), "version": statement.version(),
                "environment": statement.environment(), "round": statement.round().to_string(),
                "reviewer": statement.reviewer(), "vote": statement.vote().to_string(),
                "digest": statement.digest(), "at": statement.at().to_string(),
                "comment": comment,
                "statement_hex": bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            }))
        ),
        Format::Human => std::io::stdout()
            .write_all(&bytes)
            .map_err(|e| CliError::Io {
                file: String::from("<stdout>"),
                source: e,
            })?,
    }
    Ok(0)
}
