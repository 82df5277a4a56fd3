//! Values on the tape: `ndarray` arrays of f64, always in standard (row-major) layout so
//! every op can work on flat slices.

use super::error::TapeError;
use super::spare;
use crate::fd::nonfinite_entry;
use ndarray::{arr0, Array1, ArrayD, IxDyn};

/// The flat row-major data of a tape value.
pub(crate) fn flat(a: &ArrayD<f64>) -> &[f64] {
    a.as_slice().expect("tape values are in standard layout")
}

/// The flat row-major data of a tape value, mutable.
pub(crate) fn flat_mut(a: &mut ArrayD<f64>) -> &mut [f64] {
    a.as_slice_mut()
        .expect("tape values are in standard layout")
}

/// An array of `shape` holding `data` (whose length is the shape's product).
///
/// Vectors and scalars, nearly every value a tape holds, skip the general constructor's
/// shape and stride checks, which cost as much as a short op itself (issue 15: the
/// tape's per-node cost at length 10); the result is the same array.
pub(crate) fn array(shape: &[usize], data: Vec<f64>) -> ArrayD<f64> {
    match *shape {
        [len] if len == data.len() => Array1::from_vec(data).into_dyn(),
        [] if data.len() == 1 => arr0(data[0]).into_dyn(),
        _ => ArrayD::from_shape_vec(IxDyn(shape), data).expect("data length matches the shape"),
    }
}

/// A scalar (shape `[]`) holding `x`: one allocation, where [`array`] of `vec![x]` makes
/// two (the vector, then the array's own).
pub(crate) fn scalar(x: f64) -> ArrayD<f64> {
    arr0(x).into_dyn()
}

/// `a` in standard layout (a copy only when it is not already).
pub(crate) fn standard(a: ArrayD<f64>) -> ArrayD<f64> {
    if a.is_standard_layout() {
        a
    } else {
        a.as_standard_layout().into_owned()
    }
}

/// The number of elements of `shape`, or an error naming it when no array can have that
/// shape: the product of its non-zero axes must not overflow, and (as ndarray requires)
/// must stay within `isize::MAX`, as must its size in bytes. So `[2^62, 4, 0]` is refused
/// although it holds no element.
pub(crate) fn element_count(shape: &[usize], what: &str) -> Result<usize, TapeError> {
    let too_many = || TapeError::InvalidArgument(format!("{what} {shape:?} has too many elements"));
    let nonzero = shape
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&c| c <= isize::MAX as usize)
        .ok_or_else(too_many)?;
    if shape.contains(&0) {
        return Ok(0);
    }
    nonzero
        .checked_mul(std::mem::size_of::<f64>())
        .filter(|&b| b <= isize::MAX as usize)
        .ok_or_else(too_many)?;
    Ok(nonzero)
}

/// An empty vector with room for `len` doubles, or `OutOfMemory` naming `what` when the
/// allocator refuses: every tape value whose size the caller controls (a matmul's result,
/// a concatenation, a callback's x) is allocated through here, never by an aborting
/// allocation.
pub(crate) fn with_capacity(len: usize, what: &str) -> Result<Vec<f64>, TapeError> {
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|_| TapeError::OutOfMemory {
            what: what.to_string(),
            elements: len,
        })?;
    Ok(v)
}

/// The total number of elements of arrays of `lengths` put end to end, or an error naming
/// `what` when no array can be that long.
pub(crate) fn total_len(
    lengths: impl IntoIterator<Item = usize>,
    what: &str,
) -> Result<usize, TapeError> {
    let total = lengths
        .into_iter()
        .try_fold(0usize, |acc, l| acc.checked_add(l));
    total
        .filter(|&t| t <= isize::MAX as usize / std::mem::size_of::<f64>())
        .ok_or_else(|| {
            TapeError::InvalidArgument(format!(
                "{what}: the operands together have more elements than an array can hold"
            ))
        })
}

/// Checks that every entry is finite; `what` names the array in the message.
pub(crate) fn check_finite(what: &str, values: &[f64]) -> Result<(), TapeError> {
    nonfinite_entry(what, values).map_or(Ok(()), |e| Err(TapeError::InvalidArgument(e)))
}

/// Adds `g` into the adjoint slot `acc` (which starts empty).
pub(crate) fn accumulate(acc: &mut Option<ArrayD<f64>>, g: ArrayD<f64>) {
    match acc {
        None => *acc = Some(g),
        Some(a) => {
            for (x, y) in flat_mut(a).iter_mut().zip(flat(&g)) {
                *x += y;
            }
            spare::give_array(g);
        }
    }
}
