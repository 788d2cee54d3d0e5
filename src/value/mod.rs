//! Leaf values the host builds and hands in: time, identifiers, metrics and outcomes, reviews,
//! receipts; and [`Refused`], which hands a refused input back.

pub(crate) mod ballot;
pub(crate) mod canonical;
pub(crate) mod environment;
pub(crate) mod hash;
pub(crate) mod hex;
pub(crate) mod identity;
pub(crate) mod metrics_view;
pub(crate) mod name;
pub(crate) mod outcome;
pub(crate) mod promotion;
pub(crate) mod receipt;
pub(crate) mod refused;
pub(crate) mod review;
pub(crate) mod signature;
pub(crate) mod text;
pub(crate) mod time;

pub use ballot::{Ballot, Ballots};
pub use environment::{DEFAULT_ENVIRONMENT, Environment};
pub use metrics_view::MetricsView;
pub use outcome::{Digest, Metrics, OutcomeError, TrainingOutcome};
pub use promotion::Promotion;
pub use receipt::Receipt;
pub use refused::Refused;
pub use review::{CountedVotes, Review, Vote};
#[cfg(feature = "signed-votes")]
pub(crate) use signature::Form as SignatureForm;
pub use signature::{SignatureFormError, SignatureKind, VoteSignature};
pub use text::{MAX_LEN, MAX_TEXT_LEN, TextError, TextProblem, escaped};
pub use time::{CLOCK_SKEW, ParseTimestampError, TimeWentBackwards, Timestamp};
