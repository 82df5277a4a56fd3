//! Errors of the tape. Each message names the variable, node or argument at fault and the
//! value that is wrong, so the C skin can pass it on unchanged.

use crate::fd::FdError;
use std::fmt;

/// The pass in which a callback node failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// While recording the node (its first forward evaluation).
    Record,
    /// While pulling a gradient back through it.
    Backward,
    /// While re-evaluating it at new inputs.
    Replay,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Record => "recording",
            Phase::Backward => "backward",
            Phase::Replay => "replay",
        })
    }
}

/// Why a tape operation did not happen. After any of these the tape is as it was before
/// the call.
#[derive(Debug, Clone, PartialEq)]
pub enum TapeError {
    /// A variable id this tape never issued: from another tape, from before a clear, or 0.
    UnknownVar {
        /// The raw id.
        id: u64,
        /// Why it is unknown, e.g. "it belongs to another tape or predates a clear".
        reason: String,
    },
    /// An array's length disagrees with the variable or output it must match.
    LengthMismatch {
        /// The array at fault, e.g. "seed" or "x".
        what: String,
        /// Its length.
        len: usize,
        /// The length it must have.
        expected: usize,
        /// What fixes the expected length, e.g. "the elements of var 3".
        against: String,
    },
    /// Operand shapes that an op cannot combine.
    ShapeMismatch {
        /// The op, e.g. "add".
        op: String,
        /// The first operand's (or the input's) shape.
        left: Vec<usize>,
        /// The second operand's (or the requested) shape.
        right: Vec<usize>,
        /// The rule that was broken.
        rule: &'static str,
    },
    /// An argument outside its domain (a non-finite input, a slice out of range, ...).
    InvalidArgument(String),
    /// A value the op would make is too large for memory (its size is valid, but the
    /// allocator refused it): e.g. the `[2^20, 2^20]` product of `[2^20, 0]` and `[0, 2^20]`.
    OutOfMemory {
        /// The value, e.g. "the result of a matmul".
        what: String,
        /// Its number of doubles.
        elements: usize,
    },
    /// A callback node (opaque or custom-VJP) failed: its callback returned non-zero, its
    /// output was not finite, or finite differences could not be formed.
    Node {
        /// The node's index on the tape.
        index: usize,
        /// "opaque call" or "custom-VJP call".
        kind: &'static str,
        /// The pass that failed.
        phase: Phase,
        /// The underlying failure.
        source: FdError,
    },
}

impl fmt::Display for TapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TapeError::UnknownVar { id, reason } => {
                let var = super::Var::from_raw(*id);
                if super::var::issued(var.serial()) {
                    write!(f, "{var} (id {id}) is unknown to this tape: {reason}")
                } else {
                    // Its low bits name no node of any tape: "var N" would mislead.
                    write!(f, "id {id} is unknown to this tape: {reason}")
                }
            }
            TapeError::LengthMismatch {
                what,
                len,
                expected,
                against,
            } => write!(f, "{what} has length {len}, but {against} = {expected}"),
            TapeError::ShapeMismatch {
                op,
                left,
                right,
                rule,
            } => write!(
                f,
                "{op}: shapes {left:?} and {right:?} do not agree ({rule})"
            ),
            TapeError::InvalidArgument(msg) => f.write_str(msg),
            TapeError::OutOfMemory { what, elements } => write!(
                f,
                "cannot allocate {what}: {elements} doubles ({:.3e} bytes)",
                *elements as f64 * 8.0
            ),
            TapeError::Node {
                index,
                kind,
                phase,
                source,
            } => write!(f, "node {index} ({kind}) failed in {phase}: {source}"),
        }
    }
}

impl std::error::Error for TapeError {}
