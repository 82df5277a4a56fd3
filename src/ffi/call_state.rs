//! What this thread's fdvjp calls share, in one thread-local: how many panic boundaries are
//! running ([`super::quiet_panic`]) and whether the last-error record may hold a message
//! ([`super::last_error`]).
//!
//! Why one: from the shared library every thread-local access is a call to
//! `__tls_get_addr`, and the boundary made four per call (two for each), about 2% of a
//! tape of length 10 (issue 15). [`guard`](super::boundary::guard) now reaches this once
//! per call and hands it down.

use std::cell::Cell;

/// This thread's state of its fdvjp calls (plain values: the thread-local needs no
/// destructor, so no registration and no check of one).
pub(crate) struct CallState {
    /// How many `quiet_panic` boundaries are running on this thread (callbacks may
    /// reenter).
    pub depth: Cell<u32>,
    /// Whether the last-error record may hold a message: a clear skips the record when it
    /// cannot (every call clears it twice).
    pub may_hold: Cell<bool>,
}

thread_local! {
    static STATE: CallState = const {
        CallState {
            depth: Cell::new(0),
            may_hold: Cell::new(false),
        }
    };
}

/// Runs `f` with this thread's state, or with `None` where the thread's storage is already
/// gone (a call from a pthread-key destructor or an `atexit` handler).
#[inline]
pub(crate) fn with<R>(f: impl FnOnce(Option<&CallState>) -> R) -> R {
    let mut f = Some(f);
    match STATE.try_with(|s| f.take().map(|f| f(Some(s)))) {
        Ok(Some(r)) => r,
        _ => f
            .take()
            .map(|f| f(None))
            .expect("try_with runs f only when it succeeds"),
    }
}
