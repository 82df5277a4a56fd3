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
/// The most doubles the arenas of a freed tape may hold for the C API to keep it whole
/// for the thread's next tape (512 KiB; `ffi/tape.rs`), besides [`KEEP`].
pub(crate) const KEEP_WHOLE: usize = 1 << 16;
/// The most arenas a thread keeps (one tape's three, and one more).
const ARENAS: usize = 4;

/// The most nodes (and inputs' gradient elements) whose bookkeeping a thread keeps.
const SMALL: usize = 1 << 12;

thread_local! {
    static KEPT: RefCell<Kept> = const {
        RefCell::new(Kept {
            arenas: Vec::new(),
            bookkeeping: None,
        })
    };
}

/// What the thread keeps, in one thread-local (each access to one costs a call into the
/// dynamic loader's TLS lookup from the shared library).
struct Kept {
    arenas: Vec<Vec<f64>>,
    bookkeeping: Option<Bookkeeping>,
}

impl Kept {
    /// The largest kept arena, or a new one without memory.
    fn take_arena(&mut self) -> Vec<f64> {
        let best = (0..self.arenas.len()).max_by_key(|&k| self.arenas[k].capacity());
        best.map_or_else(Vec::new, |k| self.arenas.swap_remove(k))
    }

    /// Keeps `v` when there is room (its capacity was checked by [`give_arena`]'s rule).
    fn give_arena(&mut self, v: Vec<f64>) {
        if v.capacity() == 0 || v.capacity() > KEEP {
            return;
        }
        let kept: usize = self.arenas.iter().map(Vec::capacity).sum();
        if self.arenas.len() < ARENAS && kept + v.capacity() <= KEEP {
            self.arenas.push(v);
        }
    }
}

/// `f` of what the thread keeps; `None` while the thread exits, or from inside another
/// access (never, but then nothing is taken or kept).
fn with_kept<R>(f: impl FnOnce(&mut Kept) -> R) -> Option<R> {
    KEPT.try_with(|k| k.try_borrow_mut().ok().map(|mut k| f(&mut k)))
        .ok()
        .flatten()
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

/// Whether bookkeeping buffers of these capacities are small enough to keep.
pub(crate) fn small(capacities: [usize; 4]) -> bool {
    capacities.iter().all(|&c| c <= SMALL)
}

impl Bookkeeping {
    /// Whether it is small enough to keep.
    fn small(&self) -> bool {
        self.nodes.capacity() <= SMALL
            && self.touched.capacity() <= SMALL
            && self.grad_at.capacity() <= SMALL
            && self.grads.capacity() <= SMALL
    }
}

/// What a new tape starts with, in one access: the bookkeeping buffers the last tape
/// dropped on this thread left (or new ones), and two arenas (for its values and its
/// adjoints; new ones without memory when none is kept).
pub(crate) fn take_for_tape() -> (Bookkeeping, [Vec<f64>; 2]) {
    with_kept(|k| {
        let b = k.bookkeeping.take().unwrap_or_default();
        let values = k.take_arena();
        (b, [values, k.take_arena()])
    })
    .unwrap_or_default()
}

/// Keeps a dropped tape's bookkeeping buffers (emptied, unless they are large) and arenas
/// for the next tape on this thread, in one access.
pub(crate) fn give_from_tape(mut b: Bookkeeping, arenas: [Vec<f64>; 3]) {
    let keep = b.small();
    if keep {
        b.nodes.clear();
        b.touched.clear();
        b.grad_at.clear();
        b.grads.clear();
    }
    with_kept(|k| {
        if keep {
            k.bookkeeping = Some(b);
        }
        for v in arenas {
            k.give_arena(v);
        }
    });
}

/// An empty arena: the largest the thread kept, else a new one without memory.
pub(crate) fn take_arena() -> Vec<f64> {
    with_kept(Kept::take_arena).unwrap_or_default()
}

/// Keeps `v` for a later [`take_arena`] on this thread when there is room. Its contents
/// stay: the next tape writes before it reads, and memory that is already initialised
/// need not be zero-filled again (`Vec::resize`) before it is written.
pub(crate) fn give_arena(v: Vec<f64>) {
    if v.capacity() == 0 || v.capacity() > KEEP {
        return;
    }
    with_kept(|k| k.give_arena(v));
}
