//! Arenas that each thread keeps between tapes.
//!
//! Why: a tape keeps its values, adjoints and replayed values in three arenas (`Tape`).
//! A fresh tape would allocate them again, and above the allocator's mapping threshold
//! each is fresh memory that the kernel maps and zeroes page by page and takes back when
//! it is freed: at length 100,000, recording a tape of 8 nodes, its backward pass and
//! freeing it cost 4 times a hand-written gradient, about 2.8 of that in faulting memory
//! in again (issue 15). At length 10 the allocations themselves were a large part of a
//! node's cost. A dropped tape gives its arenas back here, and the next tape on the
//! thread takes them: recording it again (or another of the same sizes) allocates no
//! value memory.
//!
//! Bounded: at most [`ARENAS`] arenas and [`KEEP`] doubles (32 MiB) per thread, none
//! bigger than that; the rest is freed as before. Nothing here changes a value: every
//! element of an arena is written before it is read.

use super::node::Node;
use std::cell::RefCell;

/// The most doubles a thread keeps, all arenas together; larger arenas are also given
/// back by their tape after each pass rather than kept.
pub(crate) const KEEP: usize = 1 << 22;
/// The most arenas a thread keeps (one tape's three, and one more).
const ARENAS: usize = 4;

/// The most nodes (and inputs' gradient elements) whose bookkeeping a thread keeps.
const SMALL: usize = 1 << 12;

thread_local! {
    static SPARES: RefCell<Vec<Vec<f64>>> = const { RefCell::new(Vec::new()) };
    static BOOKKEEPING: RefCell<Option<Bookkeeping>> = const { RefCell::new(None) };
}

/// The small buffers of a tape besides its arenas, all empty: a tape of length 10 spent
/// a third of its recording in allocating and freeing them (issue 15).
#[derive(Default)]
pub(crate) struct Bookkeeping {
    pub nodes: Vec<Node>,
    pub touched: Vec<bool>,
    pub grad_at: Vec<usize>,
    pub grads: Vec<f64>,
}

/// The bookkeeping buffers the last tape dropped on this thread left, or new ones.
pub(crate) fn take_bookkeeping() -> Bookkeeping {
    let kept = BOOKKEEPING.try_with(|b| b.try_borrow_mut().ok().and_then(|mut b| b.take()));
    kept.ok().flatten().unwrap_or_default()
}

/// Keeps a dropped tape's bookkeeping buffers (emptied) for the next tape on this thread,
/// unless they are large.
pub(crate) fn give_bookkeeping(mut b: Bookkeeping) {
    let small = b.nodes.capacity() <= SMALL
        && b.touched.capacity() <= SMALL
        && b.grad_at.capacity() <= SMALL
        && b.grads.capacity() <= SMALL;
    if !small {
        return;
    }
    b.nodes.clear();
    b.touched.clear();
    b.grad_at.clear();
    b.grads.clear();
    let _ = BOOKKEEPING.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            *slot = Some(b);
        }
    });
}

/// An empty arena: the largest the thread kept, else a new one without memory.
pub(crate) fn take_arena() -> Vec<f64> {
    let kept = SPARES.try_with(|s| {
        let mut s = s.try_borrow_mut().ok()?;
        let best = (0..s.len()).max_by_key(|&k| s[k].capacity())?;
        Some(s.swap_remove(best))
    });
    match kept {
        Ok(Some(v)) => v,
        _ => Vec::new(),
    }
}

/// Keeps `v` for a later [`take_arena`] on this thread when there is room. Its contents
/// stay: the next tape writes before it reads, and memory that is already initialised
/// need not be zero-filled again (`Vec::resize`) before it is written.
pub(crate) fn give_arena(v: Vec<f64>) {
    if v.capacity() == 0 || v.capacity() > KEEP {
        return;
    }
    let _ = SPARES.try_with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            let kept: usize = s.iter().map(Vec::capacity).sum();
            if s.len() < ARENAS && kept + v.capacity() <= KEEP {
                s.push(v);
            }
        }
    });
}
