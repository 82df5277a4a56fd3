//! Fallible allocation of the large result buffers, so that a problem too big for memory
//! is an error the caller can handle ([`FdError::OutOfMemory`]) rather than an abort; and
//! a per-thread store of small vectors that finished computations give back, so that a
//! small call (n, m up to a few thousand) allocates nothing once the thread has made one
//! (issue 15: the fixed cost of a call is what a tape in an optimisation loop pays).
//!
//! Only the O(n), O(m) and O(m·n) results go through [`zeros`]; the small scratch vectors
//! of a computation come from [`scratch`] (Rust aborts if even those cannot be had).

use super::error::FdError;
use std::cell::RefCell;

/// Vectors longer than this are not kept (so a thread holds at most `SPARE * 512 KiB`).
const KEEP_AT_MOST: usize = 1 << 16;
/// How many spare vectors a thread keeps.
const SPARE: usize = 16;

thread_local! {
    static SPARES: RefCell<Vec<Vec<f64>>> = const { RefCell::new(Vec::new()) };
}

/// A spare vector of this thread for `len` elements, if any (none in thread-exit code):
/// the smallest that holds `len`, else the largest, so that each vector keeps serving the
/// same sizes and none has to grow once the calls repeat.
fn take_spare(len: usize) -> Option<Vec<f64>> {
    SPARES
        .try_with(|s| {
            let mut s = s.try_borrow_mut().ok()?;
            let fits = |v: &&Vec<f64>| v.capacity() >= len;
            let best = s
                .iter()
                .enumerate()
                .filter(|(_, v)| fits(v))
                .min_by_key(|(_, v)| v.capacity())
                .or_else(|| s.iter().enumerate().max_by_key(|(_, v)| v.capacity()))
                .map(|(k, _)| k)?;
            Some(s.swap_remove(best))
        })
        .ok()
        .flatten()
}

/// `len` zeros, from this thread's spare vectors when one is there.
pub(crate) fn scratch(len: usize) -> Vec<f64> {
    scratch_for(len, len)
}

/// `len` zeros for a vector that will grow to `later` elements: from the spare vector that
/// best holds `later`.
pub(crate) fn scratch_for(len: usize, later: usize) -> Vec<f64> {
    match take_spare(len.max(later)) {
        Some(mut v) => {
            v.clear();
            v.resize(len, 0.0);
            v
        }
        None => vec![0.0; len],
    }
}

/// Resizes `v` to `len` (new elements 0) as `Vec::resize` does; a vector with no
/// allocation yet (`Vec::new()`, the state of scratch a call may never need) first
/// becomes a spare vector of this thread, so that scratch taken only when needed still
/// allocates nothing on a repeated small call.
pub(crate) fn resize(v: &mut Vec<f64>, len: usize) {
    if v.capacity() == 0 && len > 0 {
        *v = scratch_for(0, len);
    }
    v.resize(len, 0.0);
}

/// A copy of `x`, from this thread's spare vectors when one is there.
pub(crate) fn scratch_copy(x: &[f64]) -> Vec<f64> {
    match take_spare(x.len()) {
        Some(mut v) => {
            v.clear();
            v.extend_from_slice(x);
            v
        }
        None => x.to_vec(),
    }
}

/// Gives `v` back for a later [`scratch`] or [`zeros`] on this thread (dropped when it is
/// large, the store is full, or the thread's storage is gone).
pub(crate) fn recycle(v: Vec<f64>) {
    if v.capacity() == 0 || v.capacity() > KEEP_AT_MOST {
        return;
    }
    let _ = SPARES.try_with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            if s.len() < SPARE {
                s.push(v);
            }
        }
    });
}

/// `len` zeros, or `OutOfMemory` naming `what` when the allocator refuses.
pub(crate) fn zeros(len: usize, what: &'static str) -> Result<Vec<f64>, FdError> {
    if len <= KEEP_AT_MOST {
        return Ok(scratch(len));
    }
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| FdError::OutOfMemory {
        what,
        elements: len,
    })?;
    v.resize(len, 0.0);
    Ok(v)
}

/// `len` copies of `value` (flags, indices: not this thread's spare vectors of f64), or
/// `OutOfMemory` naming `what` when the allocator refuses: a length of the caller's (m)
/// must fail, not abort the host.
pub(crate) fn filled<T: Clone>(
    len: usize,
    value: T,
    what: &'static str,
) -> Result<Vec<T>, FdError> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| FdError::OutOfMemory {
        what,
        elements: len,
    })?;
    v.resize(len, value);
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

/// Empty room for `points` points of `n` coordinates each, reserved fallibly: the batch
/// size is the caller's (any `size_t`), so a batch's planned points may not fit in memory,
/// and that must be `OutOfMemory` before f is called, not an abort. `points` is `None`
/// when the caller's count already overflowed.
pub(crate) fn batch_points(points: Option<usize>, n: usize) -> Result<Vec<f64>, FdError> {
    let len = points.and_then(|p| p.checked_mul(n));
    let mut xs = Vec::new();
    len.and_then(|len| xs.try_reserve_exact(len).ok())
        .ok_or(FdError::OutOfMemory {
            what: "the points of a batch",
            elements: len.unwrap_or(usize::MAX),
        })?;
    Ok(xs)
}
