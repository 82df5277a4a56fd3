//! The thread-local message of the last failed call.

use std::cell::RefCell;
use std::ffi::c_char;

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Replaces this thread's last-error message.
pub(crate) fn set(message: String) {
    LAST_ERROR.with(|e| *e.borrow_mut() = message);
}

/// Empties this thread's last-error message (each fallible call starts with this).
pub(crate) fn clear() {
    LAST_ERROR.with(|e| e.borrow_mut().clear());
}

/// Copies this thread's last-error message into `buf` and returns its full length in bytes
/// (without the terminating NUL).
///
/// The message belongs to the most recent fallible call on this thread and is empty when
/// that call succeeded. It names the function, the argument and the value at fault, e.g.
/// "fdvjp_vjp: callback returned 7 at evaluation 12 (x[5] + h, h = 6.1e-6)". At most
/// `len - 1` bytes are copied, always followed by a NUL; `buf == NULL` or `len == 0` copies
/// nothing, so `fdvjp_last_error(NULL, 0) + 1` is the buffer size needed.
///
/// # Safety
/// `buf` is NULL or writable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn fdvjp_last_error(buf: *mut c_char, len: usize) -> usize {
    LAST_ERROR.with(|e| {
        let message = e.borrow();
        let bytes = message.as_bytes();
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
    })
}
