//! Values on the tape: `ndarray` arrays of f64, always in standard (row-major) layout so
//! every op can work on flat slices.

use super::error::TapeError;
use ndarray::{ArrayD, IxDyn};

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
pub(crate) fn array(shape: &[usize], data: Vec<f64>) -> ArrayD<f64> {
    ArrayD::from_shape_vec(IxDyn(shape), data).expect("data length matches the shape")
}

/// `a` in standard layout (a copy only when it is not already).
pub(crate) fn standard(a: ArrayD<f64>) -> ArrayD<f64> {
    if a.is_standard_layout() {
        a
    } else {
        a.as_standard_layout().into_owned()
    }
}

/// The number of elements of `shape`, or an error naming it when that overflows.
pub(crate) fn element_count(shape: &[usize], what: &str) -> Result<usize, TapeError> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| {
            TapeError::InvalidArgument(format!("{what} {shape:?} has too many elements"))
        })
}

/// Checks that every entry is finite; `what` names the array in the message.
pub(crate) fn check_finite(what: &str, values: &[f64]) -> Result<(), TapeError> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(TapeError::InvalidArgument(format!(
            "{what}[{i}] = {} is not finite",
            values[i]
        ))),
    }
}

/// Adds `g` into the adjoint slot `acc` (which starts empty).
pub(crate) fn accumulate(acc: &mut Option<ArrayD<f64>>, g: ArrayD<f64>) {
    match acc {
        None => *acc = Some(g),
        Some(a) => {
            for (x, y) in flat_mut(a).iter_mut().zip(flat(&g)) {
                *x += y;
            }
        }
    }
}
