//! Errors of the numerical core. Each message names the argument and the value at fault.

use std::fmt;

/// Why a finite-difference computation did not produce a result.
#[derive(Debug, Clone, PartialEq)]
pub enum FdError {
    /// An argument has a value outside its domain; the message names it.
    InvalidArgument(String),
    /// An array's length disagrees with the problem size.
    LengthMismatch {
        /// The array at fault, e.g. "v" or "config steps".
        what: &'static str,
        /// Its length.
        len: usize,
        /// The length it must have.
        expected: usize,
        /// The size it must match, e.g. "m" or "n".
        against: &'static str,
    },
    /// The function reported failure with a non-zero code.
    Callback {
        /// The code the function returned.
        code: i32,
        /// 1-based number of the evaluation that failed within this computation.
        evaluation: usize,
        /// Where it was evaluated, e.g. "x[5] + h".
        point: String,
    },
    /// The function misbehaved in a way its wrapper caught (a C callback that wrote past
    /// the end of its output), instead of returning a failure code.
    CallbackFault {
        /// What happened, e.g. "the function wrote past y[m-1] (m = 2)".
        what: String,
        /// 1-based number of the evaluation within this computation.
        evaluation: usize,
        /// Where it was evaluated, e.g. "x[5] + h".
        point: String,
    },
    /// f(x) at the unperturbed point has a NaN or infinite entry.
    NonFiniteAtX {
        /// Output index of the first non-finite entry.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// The function's progress report asked to stop.
    Cancelled {
        /// Evaluations done when it stopped.
        done: usize,
        /// Evaluations planned at that moment.
        total: usize,
    },
    /// A callback returned success but its output is unusable (e.g. a custom VJP that
    /// wrote NaN); the message says what it wrote.
    CallbackOutput(String),
    /// A result buffer could not be allocated (the problem is too large for memory).
    OutOfMemory {
        /// The buffer, e.g. "the Jacobian".
        what: &'static str,
        /// Its number of doubles.
        elements: usize,
    },
    /// Every stencil tried for one direction met a NaN or infinite value.
    NonFinitePerturbed {
        /// The direction, e.g. "column 3" or "direction u".
        direction: String,
        /// Output index of the last non-finite entry seen.
        index: usize,
        /// Its value.
        value: f64,
        /// The last point tried.
        point: String,
    },
    /// A bug in fdvjp caught before it could give a wrong result; the message says what
    /// (the C API reports it as `FDVJP_INTERNAL_ERROR`).
    Internal(String),
}

impl fmt::Display for FdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FdError::InvalidArgument(msg) => f.write_str(msg),
            FdError::LengthMismatch {
                what,
                len,
                expected,
                against,
            } => write!(f, "{what} has length {len}, but {against} = {expected}"),
            FdError::Callback {
                code,
                evaluation,
                point,
            } => write!(
                f,
                "callback returned {code} at evaluation {evaluation} ({point})"
            ),
            FdError::CallbackFault {
                what,
                evaluation,
                point,
            } => write!(f, "{what} at evaluation {evaluation} ({point})"),
            FdError::Cancelled { done, total } => {
                write!(
                    f,
                    "cancelled by the progress callback after {done} of {total} evaluations"
                )
            }
            FdError::CallbackOutput(msg) => f.write_str(msg),
            FdError::Internal(msg) => write!(f, "internal error: {msg}"),
            FdError::OutOfMemory { what, elements } => write!(
                f,
                "cannot allocate {what}: {elements} doubles ({:.3e} bytes)",
                *elements as f64 * 8.0
            ),
            FdError::NonFiniteAtX { index, value } => {
                write!(f, "f(x) is not finite: y[{index}] = {value}")
            }
            FdError::NonFinitePerturbed {
                direction,
                index,
                value,
                point,
            } => write!(
                f,
                "{direction}: f is not finite at any stencil and step tried (last: y[{index}] = \
                 {value} at {point})"
            ),
        }
    }
}

impl std::error::Error for FdError {}

impl FdError {
    /// The error for failure `code` of evaluation `evaluation` at `point`: a
    /// [`FdError::CallbackFault`] when `fault` (the function's own
    /// [`crate::fd::Function::explain_failure`]) says the code stands for a caught fault.
    pub(crate) fn callback(
        code: i32,
        fault: Option<String>,
        evaluation: usize,
        point: String,
    ) -> Self {
        match fault {
            Some(what) => FdError::CallbackFault {
                what,
                evaluation,
                point,
            },
            None => FdError::Callback {
                code,
                evaluation,
                point,
            },
        }
    }

    /// This error of a pass that numbered its evaluations from 1, as part of a computation
    /// that made `earlier` evaluations before it: the message's evaluation number is then
    /// the function's own count of its calls (probe13 finding 13: a learned pattern's
    /// grouped columns and check were numbered from 1 again).
    pub(crate) fn after(self, earlier: usize) -> Self {
        match self {
            FdError::Callback {
                code,
                evaluation,
                point,
            } => FdError::Callback {
                code,
                evaluation: evaluation + earlier,
                point,
            },
            FdError::CallbackFault {
                what,
                evaluation,
                point,
            } => FdError::CallbackFault {
                what,
                evaluation: evaluation + earlier,
                point,
            },
            FdError::Cancelled { done, total } => FdError::Cancelled {
                done: done + earlier,
                total: total + earlier,
            },
            other => other,
        }
    }

    /// Whether this error only says that one way to a direction's values is closed (every
    /// stencil tried met a NaN or infinity, or none fits the bounds), so that a caller
    /// with another way may take it. Every other error (the function failed, the progress
    /// report cancelled, memory ran out) ends the computation and must reach the caller:
    /// a failure swallowed there left `FDVJP_OK` with a wrong value (probe12 finding 1).
    pub(crate) fn is_stencil_miss(&self) -> bool {
        matches!(
            self,
            FdError::NonFinitePerturbed { .. } | FdError::InvalidArgument(_)
        )
    }
}

/// Checks that `values` has `expected` entries.
pub(crate) fn check_len(
    what: &'static str,
    values: &[f64],
    expected: usize,
    against: &'static str,
) -> Result<(), FdError> {
    if values.len() == expected {
        Ok(())
    } else {
        Err(FdError::LengthMismatch {
            what,
            len: values.len(),
            expected,
            against,
        })
    }
}

/// Checks that every entry of `values` is finite.
pub(crate) fn check_finite(what: &str, values: &[f64]) -> Result<(), FdError> {
    nonfinite_entry(what, values).map_or(Ok(()), |e| Err(FdError::InvalidArgument(e)))
}

/// Whether every value is finite, in one pass without early exit: `v * 0` is 0 exactly
/// when v is finite (NaN for a NaN or an infinity), a comparison that vectorises (the
/// exponent's bits would need 64-bit integer comparisons, which SSE2 lacks). A search for
/// the first entry that is not cost about 6 instructions per entry on every call (issue
/// 15): [`nonfinite_entry`] searches only when this fails.
#[inline]
pub(crate) fn all_finite(values: &[f64]) -> bool {
    values.iter().fold(true, |ok, &v| ok & (v * 0.0 == 0.0))
}

/// A double as a message names it: its shortest round-trip digits, in scientific form
/// outside [1e-5, 1e16), so a subnormal or huge value takes a dozen characters, not the
/// 330 digits of `{}` (x = 5e-324), and an ordinary one reads as written (`1`, `0.25`).
pub(crate) struct Num(pub f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0.abs();
        if a == 0.0 || !a.is_finite() || (1e-5..1e16).contains(&a) {
            write!(f, "{}", self.0)
        } else {
            write!(f, "{:e}", self.0)
        }
    }
}

/// The message naming the first entry of `values` that is not finite ("x[3] = NaN is not
/// finite"; `what` names the array), if there is one. The tape's check uses it too.
pub(crate) fn nonfinite_entry(what: &str, values: &[f64]) -> Option<String> {
    if all_finite(values) {
        return None;
    }
    let i = values.iter().position(|v| !v.is_finite())?;
    Some(format!("{what}[{i}] = {} is not finite", values[i]))
}
