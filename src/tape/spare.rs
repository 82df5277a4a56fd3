//! Large value buffers that each thread keeps between tapes, replays and backward passes.
//!
//! Why: a tape of long vectors allocates a new array for every node's value and every
//! adjoint. Above the allocator's mapping threshold each such array is fresh memory that
//! the kernel maps and zeroes page by page, and gives back when it is freed; at length
//! 100,000 (0.8 MB per array) recording a tape of 8 nodes, its backward pass and freeing
//! it cost 4 times a hand-written gradient, about 2.8 of that in faulting memory in again
//! (issue 15). Arrays of at least [`SMALLEST`] doubles that a tape drops (a node's value
//! when the tape is freed or replayed, an adjoint once added) come back here, and the
//! elementwise ops, reductions' pull-backs and accumulations take their results from
//! here: once a thread has run a tape, running it again (or another of the same sizes)
//! maps no new memory. Smaller arrays go to the allocator, whose per-thread caches serve
//! them faster than a search here would.
//!
//! Bounded: at most [`KEEP`] doubles (16 MiB) per thread, none bigger than that; the
//! rest is freed as before. Nothing here changes a value: a buffer is always filled
//! before it is read.

use ndarray::ArrayD;
use std::cell::RefCell;

/// Arrays below this many doubles (32 KiB) are left to the allocator.
pub(crate) const SMALLEST: usize = 1 << 12;
/// The most doubles a thread keeps, all buffers together.
const KEEP: usize = 1 << 21;

thread_local! {
    static SPARES: RefCell<Vec<Vec<f64>>> = const { RefCell::new(Vec::new()) };
}

/// An empty vector with room for `len` doubles: the smallest kept buffer that holds them
/// when `len` is large, else a new one.
#[inline]
pub(crate) fn take(len: usize) -> Vec<f64> {
    if len >= SMALLEST {
        return take_kept(len);
    }
    Vec::with_capacity(len)
}

/// [`take`] of a large buffer.
fn take_kept(len: usize) -> Vec<f64> {
    let kept = SPARES.try_with(|s| {
        let mut s = s.try_borrow_mut().ok()?;
        let best = s
            .iter()
            .enumerate()
            .filter(|(_, v)| v.capacity() >= len)
            .min_by_key(|(_, v)| v.capacity())
            .map(|(k, _)| k)?;
        Some(s.swap_remove(best))
    });
    match kept {
        Ok(Some(v)) => v,
        _ => Vec::with_capacity(len),
    }
}

/// `len` copies of `value`, in a buffer from [`take`].
#[inline]
pub(crate) fn filled(len: usize, value: f64) -> Vec<f64> {
    let mut v = take(len);
    v.resize(len, value);
    v
}

/// `f` of each element of `x`, in a buffer from [`take`].
#[inline]
pub(crate) fn mapped(x: &[f64], f: impl Fn(f64) -> f64) -> Vec<f64> {
    let mut v = take(x.len());
    v.extend(x.iter().map(|&e| f(e)));
    v
}

/// A copy of `x`, in a buffer from [`take`].
#[inline]
pub(crate) fn copy(x: &[f64]) -> Vec<f64> {
    let mut v = take(x.len());
    v.extend_from_slice(x);
    v
}

/// Keeps `v` for a later [`take`] on this thread when it is large and there is room.
pub(crate) fn give(mut v: Vec<f64>) {
    if v.capacity() < SMALLEST || v.capacity() > KEEP {
        return;
    }
    v.clear();
    let _ = SPARES.try_with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            let kept: usize = s.iter().map(Vec::capacity).sum();
            if kept + v.capacity() <= KEEP {
                s.push(v);
            }
        }
    });
}

/// Keeps the buffer of an array that is no longer needed (see [`give`]).
#[inline]
pub(crate) fn give_array(a: ArrayD<f64>) {
    if a.len() >= SMALLEST {
        give(a.into_raw_vec_and_offset().0);
    }
}
