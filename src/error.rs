//! The error of a transition that failed: it hands the model back.

use std::error::Error;
use std::fmt;

/// A transition was refused; the model is handed back unchanged, with the reason.
///
/// Like [`std::sync::mpsc::SendError`], nothing is lost: take the model back with
/// [`into_model`](Self::into_model), or both with [`into_parts`](Self::into_parts). `Display` and
/// [`source`](Error::source) are those of the reason.
///
/// ```
/// use modelgate::{Metrics, Model, Timestamp, TrainingOutcome, Status};
/// let model = Model::new("churn", "2")?;
/// let outcome = TrainingOutcome::new("sha256:1", Metrics::default())?;
/// let err = model.submit(outcome, "", Timestamp::from_unix_secs(1)).unwrap_err();
/// assert_eq!(err.to_string(), "invalid submitter: submitter must not be empty");
/// let model = err.into_model(); // still untrained, ready to try again
/// assert_eq!(model.status(), Status::Untrained);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TransitionError<M, E> {
    // Boxed so that a `Result` holding this error stays small on the success path.
    model: Box<M>,
    error: E,
}

impl<M, E> TransitionError<M, E> {
    pub(crate) fn new(model: M, error: E) -> Self {
        Self {
            model: Box::new(model),
            error,
        }
    }

    /// The reason the transition was refused.
    pub fn error(&self) -> &E {
        &self.error
    }

    /// The model, unchanged.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// Takes the model back.
    pub fn into_model(self) -> M {
        *self.model
    }

    /// Takes the reason, dropping the model.
    pub fn into_error(self) -> E {
        self.error
    }

    /// Takes both.
    pub fn into_parts(self) -> (M, E) {
        (*self.model, self.error)
    }
}

impl<M, E: fmt::Display> fmt::Display for TransitionError<M, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl<M: fmt::Debug, E: Error> Error for TransitionError<M, E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.error.source()
    }
}
