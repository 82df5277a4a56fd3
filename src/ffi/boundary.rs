//! The panic boundary: every exported body runs here, so a panic never crosses into C and
//! every failure leaves a status and a message.

use super::last_error;
use super::status::fdvjp_status::{self, *};
use crate::fd::FdError;

/// A failed call: the status to return and the message (without the function name).
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: fdvjp_status,
    pub message: String,
}

impl Failure {
    pub fn new(status: fdvjp_status, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(FDVJP_INVALID_ARGUMENT, message)
    }
}

impl From<FdError> for Failure {
    fn from(e: FdError) -> Self {
        let status = match &e {
            FdError::InvalidArgument(_) => FDVJP_INVALID_ARGUMENT,
            FdError::LengthMismatch { .. } => FDVJP_LENGTH_MISMATCH,
            FdError::Callback { .. }
            | FdError::CallbackOutput(_)
            | FdError::CallbackFault { .. } => FDVJP_CALLBACK_FAILED,
            FdError::Cancelled { .. } => FDVJP_CANCELLED,
            FdError::OutOfMemory { .. } => FDVJP_OUT_OF_MEMORY,
            FdError::NonFiniteAtX { .. } => FDVJP_NONFINITE_AT_X,
            FdError::NonFinitePerturbed { .. } => FDVJP_NONFINITE_PERTURBED,
            FdError::Internal(_) => FDVJP_INTERNAL_ERROR,
        };
        Self::new(status, e.to_string())
    }
}

/// Runs `body` for the exported function that `func` names: clears the last error, catches
/// panics, and on failure records "name: message" and returns the failure's status (the
/// name is asked for only then). A success
/// leaves the message empty, even when a callback made failing fdvjp calls of its own
/// during `body` (the last error means the last call). The thread-local record is only
/// touched in here, under `catch_unwind`, and never panics when the thread's storage is
/// gone (calls from pthread-key destructors and `atexit` handlers).
pub(crate) fn guard(
    func: impl FnOnce() -> &'static str,
    body: impl FnOnce() -> Result<(), Failure>,
) -> fdvjp_status {
    let outcome = super::quiet_panic::catch(|| {
        last_error::clear();
        let failure = match super::quiet_panic::catch(body) {
            Ok(Ok(())) => {
                last_error::clear();
                return FDVJP_OK;
            }
            Ok(Err(failure)) => failure,
            Err(payload) => {
                let what = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_string());
                Failure::new(FDVJP_INTERNAL_ERROR, format!("internal error: {what}"))
            }
        };
        last_error::set(format!("{}: {}", func(), failure.message));
        failure.status
    });
    outcome.unwrap_or(FDVJP_INTERNAL_ERROR)
}
