//! Values on the tape: flat row-major f64 data in the tape's arenas (a node's shape is in
//! `dims.rs`). Sizes are checked and memory is had fallibly here.

use super::error::TapeError;
use crate::fd::nonfinite_entry;

/// The number of elements of `shape`, or an error naming it when no array can have that
/// shape: the product of its non-zero axes must not overflow, and (as ndarray requires)
/// must stay within `isize::MAX`, as must its size in bytes. So `[2^62, 4, 0]` is refused
/// although it holds no element.
pub(crate) fn element_count(shape: &[usize], what: &str) -> Result<usize, TapeError> {
    let too_many = || {
        TapeError::InvalidArgument(if shape.contains(&0) {
            format!(
                "{what} {shape:?} has 0 elements, but its non-zero dimensions multiply beyond \
                 isize::MAX, which no array may (give 0 for every empty dimension's size)"
            )
        } else {
            format!("{what} {shape:?} has too many elements")
        })
    };
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

/// Makes room for `extra` more doubles in an arena, or `OutOfMemory` naming `what`: the
/// arena grows geometrically, and when that much is refused, by exactly what is needed.
/// Inline when there is room already (every backward pass asks twice).
#[inline]
pub(crate) fn reserve(arena: &mut Vec<f64>, extra: usize, what: &str) -> Result<(), TapeError> {
    if arena.capacity() - arena.len() >= extra {
        return Ok(());
    }
    grow(arena, extra, what)
}

/// [`reserve`] when the arena must grow.
#[inline(never)]
fn grow(arena: &mut Vec<f64>, extra: usize, what: &str) -> Result<(), TapeError> {
    if arena.try_reserve(extra).is_ok() || arena.try_reserve_exact(extra).is_ok() {
        return Ok(());
    }
    Err(TapeError::OutOfMemory {
        what: what.to_string(),
        elements: extra,
    })
}
