//! Ops that only move elements: reshape, a contiguous slice of the flattened array, and
//! concatenation of flattened arrays (their values are copies, made in `node.rs`). The
//! checks of their arguments, and the slice's pull-back.

use crate::tape::adjoint::Sink;
use crate::tape::error::TapeError;
use crate::tape::value::element_count;

/// Checks that `shape` holds as many elements as `from`.
pub(crate) fn reshape_check(from: &[usize], shape: &[usize]) -> Result<(), TapeError> {
    if element_count(shape, "reshape: the shape")? == element_count(from, "reshape: the input")? {
        Ok(())
    } else {
        Err(TapeError::ShapeMismatch {
            op: "reshape".to_string(),
            left: from.to_vec(),
            right: shape.to_vec(),
            rule: "reshape keeps the number of elements",
        })
    }
}

/// Checks that `start..start + len` lies inside the `total` elements of the operand.
pub(crate) fn slice_check(total: usize, start: usize, len: usize) -> Result<(), TapeError> {
    match start.checked_add(len) {
        Some(end) if end <= total => Ok(()),
        _ => Err(TapeError::InvalidArgument(format!(
            "slice: start = {start} with len = {len} exceeds the {total} elements of the operand"
        ))),
    }
}

/// Puts `g`, the adjoint of a slice starting at `start`, into node `to`'s adjoint (of `len`
/// elements): `g` where the slice took its elements, 0 elsewhere.
pub(crate) fn slice_pullback(len: usize, start: usize, g: &[f64], to: usize, sink: &mut Sink) {
    let end = start + g.len();
    sink.put(
        to,
        (0..len).map(|k| {
            if (start..end).contains(&k) {
                g[k - start]
            } else {
                0.0
            }
        }),
    );
}
