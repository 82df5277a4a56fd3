//! Ops that only move elements: reshape, a contiguous slice of the flattened array, and
//! concatenation of flattened arrays. Their pull-backs move the gradient back.

use crate::tape::error::TapeError;
use crate::tape::value::{array, element_count, flat, total_len, with_capacity};
use ndarray::ArrayD;

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

/// `a` with the same row-major data under a new shape.
pub(crate) fn reshape(a: &ArrayD<f64>, shape: &[usize]) -> ArrayD<f64> {
    array(shape, flat(a).to_vec())
}

/// Moves `g` back into the shape of `a` (no copy).
pub(crate) fn reshape_pullback(a: &ArrayD<f64>, g: ArrayD<f64>) -> ArrayD<f64> {
    g.into_shape_with_order(a.shape())
        .expect("same element count")
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

/// Elements `start..start + len` of the flattened `a`, as a vector of shape `[len]`.
pub(crate) fn slice(a: &ArrayD<f64>, start: usize, len: usize) -> ArrayD<f64> {
    array(&[len], flat(a)[start..start + len].to_vec())
}

/// `g` placed at `start` in a zero array shaped like `a`.
pub(crate) fn slice_pullback(a: &ArrayD<f64>, start: usize, g: &ArrayD<f64>) -> ArrayD<f64> {
    let mut data = vec![0.0; a.len()];
    let g = flat(g);
    data[start..start + g.len()].copy_from_slice(g);
    array(a.shape(), data)
}

/// The flattened parts one after another, as a vector. The parts may repeat one operand
/// any number of times, so the length is checked and the memory allocated fallibly.
pub(crate) fn concat(parts: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, TapeError> {
    let len = total_len(parts.iter().map(|p| p.len()), "concat")?;
    let mut data = with_capacity(len, "the result of a concat")?;
    for p in parts {
        data.extend_from_slice(flat(p));
    }
    Ok(array(&[data.len()], data))
}

/// The piece of `g` that belongs to the part of shape `shape` starting at `offset`.
pub(crate) fn concat_piece(g: &ArrayD<f64>, offset: usize, shape: &[usize]) -> ArrayD<f64> {
    let len = shape.iter().product::<usize>();
    array(shape, flat(g)[offset..offset + len].to_vec())
}
