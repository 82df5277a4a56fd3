//! Fallible allocation of the large result buffers, so that a problem too big for memory
//! is an error the caller can handle ([`FdError::OutOfMemory`]) rather than an abort.
//!
//! Only the O(n), O(m) and O(m·n) results go through here; the small scratch vectors of
//! a computation are allocated as usual (Rust aborts if even those cannot be had).

use super::error::FdError;

/// `len` zeros, or `OutOfMemory` naming `what` when the allocator refuses.
pub(crate) fn zeros(len: usize, what: &'static str) -> Result<Vec<f64>, FdError> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| FdError::OutOfMemory {
        what,
        elements: len,
    })?;
    v.resize(len, 0.0);
    Ok(v)
}

/// `rows * cols` zeros; a product that overflows `usize` is an invalid argument (no such
/// array can exist), one the allocator refuses is `OutOfMemory`.
pub(crate) fn zeros_2d(rows: usize, cols: usize, what: &'static str) -> Result<Vec<f64>, FdError> {
    let len = rows.checked_mul(cols).ok_or_else(|| {
        FdError::InvalidArgument(format!("{what}: m*n = {rows}*{cols} overflows usize"))
    })?;
    zeros(len, what)
}
