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
        let mut message = e.to_string();
        if let FdError::NonFiniteAtX { value, .. } = e {
            if super::guard_words::is_pattern(value) {
                // The NaN fdvjp filled y with: f wrote fewer than m outputs (a Fortran
                // `vjp` whose size(v) exceeds f's outputs said only "not finite").
                message.push_str(
                    " (left unwritten by f: f must write all m outputs, and m is the \
                     length of v, of the output or the m given)",
                );
            }
        }
        Self::new(status, message)
    }
}

/// Runs `body` for the exported function that `func` names: clears the last error, catches
/// panics, and on failure records "name: message" and returns the failure's status (the
/// name is asked for only then). A success
/// leaves the message empty, even when a callback made failing fdvjp calls of its own
/// during `body` (the last error means the last call). The thread-local record is only
/// touched under `catch_unwind`, and never panics when the thread's storage is gone (calls
/// from pthread-key destructors and `atexit` handlers).
///
/// A success passes one `catch_unwind` and one access to the thread's call state
/// ([`super::call_state`]), which says whether the record needs clearing; everything a
/// failure needs (the message, the name, a second boundary around them) is out of line in
/// [`failed`]: the boundary was most of a small call's fixed cost (issue 15, the tape's
/// per-node cost).
#[inline]
pub(crate) fn guard(
    func: impl FnOnce() -> &'static str,
    body: impl FnOnce() -> Result<(), Failure>,
) -> fdvjp_status {
    super::call_state::with(|state| {
        let outcome = super::quiet_panic::catch_in(state, || {
            last_error::clear_in(state);
            body()
        });
        if let Ok(Ok(())) = outcome {
            last_error::clear_in(state);
            return FDVJP_OK;
        }
        failed(func, outcome)
    })
}

/// The failure path of [`guard`]: the status of a failure or a panic, with "name: message"
/// as the last error, under a boundary of its own (formatting the message must not unwind
/// into C either).
#[cold]
#[inline(never)]
fn failed(
    func: impl FnOnce() -> &'static str,
    outcome: Result<Result<(), Failure>, Box<dyn std::any::Any + Send>>,
) -> fdvjp_status {
    let recorded = super::quiet_panic::catch(move || {
        let failure = match outcome {
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
    recorded.unwrap_or(FDVJP_INTERNAL_ERROR)
}
