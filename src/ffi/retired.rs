//! Freed handles' memory, kept for the next handle of the same kind instead of going back
//! to the allocator.
//!
//! Why: a freed config or tape passed again is a contract violation that the handle's live
//! tag exists to catch (the common mistakes: a double free, a use right after free). Reading
//! that tag must not itself read freed memory, which the allocator may have reused for
//! something else or unmapped (probe13 finding 1: valgrind's "invalid read" in `is_live`).
//! A retired handle stays the library's, emptied and tagged 0, until a `_new` function
//! takes it again: the pool never holds more handles than were ever live at once, each
//! emptied of everything it owned (options, callbacks, `user` pointers, tape arenas).

use std::sync::Mutex;

/// An emptied handle of type `H`, moved between threads only through its [`Pool`].
struct Retired<H>(Box<H>);

// SAFETY: a retired handle has been emptied by its `free` function (it holds defaults: no
// callback, no `user` pointer, no tape node), so nothing in it is tied to the thread that
// freed it; it is only moved, under the pool's lock, never shared.
unsafe impl<H> Send for Retired<H> {}

/// The retired handles of one kind.
pub(crate) struct Pool<H>(Mutex<Vec<Retired<H>>>);

impl<H> Pool<H> {
    pub(crate) const fn new() -> Self {
        Self(Mutex::new(Vec::new()))
    }

    /// A retired handle to make a new one in, if any.
    pub(crate) fn take(&self) -> Option<Box<H>> {
        self.0.lock().ok()?.pop().map(|r| r.0)
    }

    /// Keeps an emptied, retired (tag 0) handle's memory for [`Pool::take`]. Where the
    /// lock is poisoned (a panic while it was held, which nothing here can cause) the
    /// handle is dropped.
    ///
    /// # Safety
    /// `emptied` holds only defaults: no callback, no `user` pointer, nothing tied to the
    /// calling thread (the pool hands it to any thread).
    pub(crate) unsafe fn keep(&self, emptied: Box<H>) {
        if let Ok(mut kept) = self.0.lock() {
            kept.push(Retired(emptied));
        }
    }
}
