//! Freed handles' memory, kept by the thread that freed them for its next handle of the
//! same kind instead of going back to the allocator.
//!
//! Why: a freed config or tape passed again is a contract violation that the handle's live
//! tag exists to catch (the common mistakes: a double free, a use right after free). Reading
//! that tag must not itself read freed memory, which the allocator may have reused for
//! something else or unmapped (probe13 finding 1: valgrind's "invalid read" in `is_live`).
//! A retired handle stays the library's, emptied and tagged 0, until a `_new` function on
//! the same thread takes it again, or the thread exits: a pool never holds more handles
//! than its thread ever had live at once, each emptied of everything it owned (options,
//! callbacks, `user` pointers, tape arenas). Per thread, so that no handle's memory passes
//! between threads (a global pool handed one thread's writes to another through a lock
//! ThreadSanitizer cannot see in the library's Rust code).

use std::cell::RefCell;

/// The retired handles of one kind on one thread (held in a `thread_local!`).
pub(crate) struct Pool<H>(RefCell<Vec<Box<H>>>);

impl<H> Pool<H> {
    pub(crate) const fn new() -> Self {
        Self(RefCell::new(Vec::new()))
    }

    /// A retired handle to make a new one in, if any.
    pub(crate) fn take(&self) -> Option<Box<H>> {
        self.0.try_borrow_mut().ok()?.pop()
    }

    /// Keeps an emptied, retired (tag 0) handle's memory for [`Pool::take`] (dropped if
    /// the pool is in use, which nothing here can cause).
    pub(crate) fn keep(&self, emptied: Box<H>) {
        if let Ok(mut kept) = self.0.try_borrow_mut() {
            kept.push(emptied);
        }
    }
}
