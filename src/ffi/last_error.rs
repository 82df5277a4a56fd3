//! The thread-local record of the last call: its error message (empty after a success).
//!
//! Everything here degrades gracefully when the thread's storage is gone (a call from a
//! pthread-key destructor or an `atexit` handler, after the thread-local destructors ran):
//! the record is then simply not kept, and `fdvjp_last_error` reports an empty message.
//! Only the panic boundary ([`super::boundary::guard`]), `fdvjp_last_error`, the one
//! failure of `fdvjp_last_report_noise` (a misaligned `out`) and `fdvjp_last_report`
//! (which puts the message back after its own success) touch it.

use super::call_state::{self, CallState};
use std::cell::RefCell;
use std::ffi::c_char;

/// What this thread remembers about its last fallible call. One record, so that further
/// per-call facts can join the message as fields with the same lifetime and access rules.
#[derive(Default)]
pub(crate) struct Record {
    /// "function: what went wrong", or empty after a success.
    pub error: String,
}

thread_local! {
    static RECORD: RefCell<Record> = const { RefCell::new(Record { error: String::new() }) };
}

/// Runs `f` on this thread's record; `None` (and `f` not run) when the thread's storage is
/// already destroyed or the record is borrowed further up this thread's stack.
pub(crate) fn with_record<R>(f: impl FnOnce(&mut Record) -> R) -> Option<R> {
    RECORD
        .try_with(|r| r.try_borrow_mut().ok().map(|mut r| f(&mut r)))
        .ok()
        .flatten()
}

/// Replaces this thread's last-error message (dropped when the storage is gone).
pub(crate) fn set(message: String) {
    call_state::with(|s| s.map(|s| s.may_hold.set(true)));
    with_record(|r| r.error = message);
}

/// A copy of this thread's last-error message (empty when there is none or the storage
/// is gone).
pub(crate) fn current() -> String {
    with_record(|r| r.error.clone()).unwrap_or_default()
}

/// Empties this thread's last-error message (each fallible call starts and each success
/// ends with this, through [`clear_in`]).
pub(crate) fn clear() {
    call_state::with(clear_in);
}

/// [`clear`] with this thread's state at hand: the record is touched only when the state
/// says it may hold a message (or is gone).
#[inline]
pub(crate) fn clear_in(state: Option<&CallState>) {
    if state.is_none_or(|s| s.may_hold.get()) {
        clear_record(state);
    }
}

/// [`clear_in`] when the record may hold a message.
#[inline(never)]
fn clear_record(state: Option<&CallState>) {
    with_record(|r| r.error.clear());
    if let Some(s) = state {
        s.may_hold.set(false);
    }
}

/// Copies this thread's last-error message into `buf` and returns its full length in bytes
/// (without the terminating NUL).
///
/// The message belongs to the most recent fallible call on this thread and is empty when
/// that call succeeded, even when a callback made failing fdvjp calls of its own during it.
/// It names the function, the argument and the value at fault, e.g.
/// "fdvjp_vjp: callback returned 7 at evaluation 12 (x[5] + h, h = 6.1e-6)". At most
/// `len - 1` bytes are copied, always followed by a NUL; `buf == NULL` or `len == 0` copies
/// nothing, so `fdvjp_last_error(NULL, 0) + 1` is the buffer size needed.
///
/// Safe to call from thread-exit and process-exit code (a pthread-key destructor, an
/// `atexit` handler): once the thread's storage is destroyed no message is kept, and this
/// returns 0 with an empty string in `buf`.
///
/// # Safety
/// `buf` is NULL or writable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn fdvjp_last_error(buf: *mut c_char, len: usize) -> usize {
    let copy = |bytes: &[u8]| {
        if !buf.is_null() && len > 0 {
            let count = bytes.len().min(len - 1);
            // SAFETY: the caller provides `buf` with room for `len > count` bytes; the
            // message is a Rust String and cannot overlap a caller's buffer.
            unsafe {
                std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.cast::<u8>(), count);
                *buf.add(count) = 0;
            }
        }
        bytes.len()
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        with_record(|r| copy(r.error.as_bytes())).unwrap_or_else(|| copy(&[]))
    }))
    .unwrap_or(0)
}

#[cfg(test)]
pub(crate) mod tests {
    /// This thread's last-error message, as a C caller reads it.
    pub(crate) fn last_error_message() -> String {
        let mut message = [0u8; 256];
        // SAFETY: `message` is writable for its length.
        let len = unsafe { super::fdvjp_last_error(message.as_mut_ptr().cast(), message.len()) };
        String::from_utf8_lossy(&message[..len.min(message.len() - 1)]).into_owned()
    }
}
