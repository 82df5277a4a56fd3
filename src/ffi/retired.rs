//! Freed handles' memory, kept by the thread that freed them for its next handle of the
//! same kind instead of going back to the allocator.
//!
//! Why: a freed config or tape passed again is a contract violation that the handle's live
//! tag exists to catch (the common mistakes: a double free, a use right after free). Reading
//! that tag must not itself read freed memory, which the allocator may have reused for
//! something else or unmapped (probe13 finding 1: valgrind's "invalid read" in `is_live`).
//! A retired handle stays the library's, emptied and tagged 0, until a `_new` function on
//! the same thread takes it again, or the thread exits, or [`KEPT`] handles of its kind
//! freed later on that thread push it out: then it goes back to the allocator, and a use of
//! it is no longer caught. Why the cap: a thread that frees handles another thread made
//! (a worker freeing what the main thread made, a garbage collector's finaliser thread)
//! never takes them back; without it its pool grew by every handle it freed (probe14
//! finding 7: 26 MB per 100,000 configs). The handles freed last, the ones a double free
//! or a use right after free passes again, are the ones kept. Per thread, so that no
//! handle's memory passes between threads (a global pool handed one thread's writes to
//! another through a lock ThreadSanitizer cannot see in the library's Rust code).

use std::cell::RefCell;
use std::collections::VecDeque;

/// The most retired handles of one kind a thread keeps.
pub(crate) const KEPT: usize = 256;

/// The retired handles of one kind on one thread (held in a `thread_local!`), oldest first.
pub(crate) struct Pool<H>(RefCell<VecDeque<Box<H>>>);

impl<H> Pool<H> {
    pub(crate) const fn new() -> Self {
        Self(RefCell::new(VecDeque::new()))
    }

    /// A retired handle to make a new one in, if any (the one freed last).
    pub(crate) fn take(&self) -> Option<Box<H>> {
        self.0.try_borrow_mut().ok()?.pop_back()
    }

    /// Keeps an emptied, retired (tag 0) handle's memory for [`Pool::take`], returning the
    /// oldest one kept to the allocator beyond [`KEPT`] (dropped at once if the pool is in
    /// use, which nothing here can cause).
    pub(crate) fn keep(&self, emptied: Box<H>) {
        let oldest = match self.0.try_borrow_mut() {
            Ok(mut kept) => {
                kept.push_back(emptied);
                if kept.len() > KEPT {
                    kept.pop_front()
                } else {
                    None
                }
            }
            Err(_) => Some(emptied),
        };
        drop(oldest); // outside the borrow: a handle's drop may free another
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_keeps_the_last_kept_handles_only() {
        let pool = Pool::new();
        for i in 0..3 * KEPT {
            pool.keep(Box::new(i));
        }
        assert_eq!(pool.0.borrow().len(), KEPT);
        assert_eq!(pool.take().map(|b| *b), Some(3 * KEPT - 1));
        assert_eq!(pool.0.borrow().front().map(|b| **b), Some(2 * KEPT));
    }
}
