//! A refused call hands back what it took.

use std::error::Error;
use std::fmt;

/// A call was refused; what it took is handed back unchanged, with the reason.
///
/// Like [`std::sync::mpsc::SendError`], nothing is lost: a refused transition hands back the
/// model, a refused vote the review, a refused restore the stored record. Take it back with
/// [`into_input`](Self::into_input), or both with [`into_parts`](Self::into_parts). `Display`
/// and [`source`](Error::source) are those of the reason.
///
/// ```
/// use modelgate::{Metrics, Model, Timestamp, TrainingOutcome, Status};
/// let model = Model::new("churn", "2")?;
/// let outcome = TrainingOutcome::new("sha256:1", Metrics::default())?;
/// let err = model.submit(outcome, "", Timestamp::from_unix_secs(1)).unwrap_err();
/// assert_eq!(err.to_string(), "invalid submitter: submitter must not be empty");
/// let (model, outcome) = err.into_input(); // both, unchanged: ready to try again
/// assert_eq!(model.status(), Status::Untrained);
/// assert_eq!(outcome.digest().as_str(), "sha256:1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Refused<T, E> {
    // Boxed so that a `Result` holding this error stays small on the success path.
    input: Box<T>,
    error: E,
}

impl<T, E> Refused<T, E> {
    pub(crate) fn new(input: T, error: E) -> Self {
        Self {
            input: Box::new(input),
            error,
        }
    }

    /// The reason the call was refused.
    pub fn error(&self) -> &E {
        &self.error
    }

    /// What the call took, unchanged.
    pub fn input(&self) -> &T {
        &self.input
    }

    /// Takes back what the call took.
    pub fn into_input(self) -> T {
        *self.input
    }

    /// Takes the reason, dropping the input.
    pub fn into_error(self) -> E {
        self.error
    }

    /// Takes both.
    pub fn into_parts(self) -> (T, E) {
        (*self.input, self.error)
    }

    /// The same refusal with the reason converted.
    pub(crate) fn map_err<F>(self, f: impl FnOnce(E) -> F) -> Refused<T, F> {
        Refused {
            input: self.input,
            error: f(self.error),
        }
    }
}

/// Shows the reason only: the input may be large (a whole model) and is not part of the message.
impl<T, E: fmt::Debug> fmt::Debug for Refused<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refused")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<T, E: fmt::Display> fmt::Display for Refused<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl<T, E: Error> Error for Refused<T, E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.error.source()
    }
}
