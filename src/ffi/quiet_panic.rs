//! Catching panics without printing them. A panic inside fdvjp is a bug that the boundary
//! turns into `FDVJP_INTERNAL_ERROR` with a message; the default panic hook would also
//! print it (and a backtrace) to the host's stderr, which a library must not do. A hook
//! installed once stays silent for panics on a thread that is inside [`catch`], and hands
//! every other panic (the host's own Rust code) to the hook that was there before.

use super::call_state::{self, CallState};
use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

static INSTALL: Once = Once::new();

/// Installs the quiet hook in front of the current one.
fn install() {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        // try_with: during thread exit the thread-local may be gone; then print as usual.
        if call_state::with(|s| s.is_some_and(|s| s.depth.get() > 0)) {
            return;
        }
        previous(info);
    }));
}

/// Runs `body`, returning its result or the payload of a panic, which is not printed.
#[inline]
pub(crate) fn catch<R>(body: impl FnOnce() -> R) -> Result<R, Box<dyn Any + Send>> {
    call_state::with(|state| catch_in(state, body))
}

/// [`catch`] with this thread's state already at hand (`None` once it is gone: the
/// panic is then not silenced).
#[inline]
pub(crate) fn catch_in<R>(
    state: Option<&CallState>,
    body: impl FnOnce() -> R,
) -> Result<R, Box<dyn Any + Send>> {
    INSTALL.call_once(install);
    if let Some(s) = state {
        s.depth.set(s.depth.get() + 1);
    }
    let result = panic::catch_unwind(AssertUnwindSafe(body));
    if let Some(s) = state {
        s.depth.set(s.depth.get() - 1);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// Panics that reached the hook behind the quiet one, on this test's thread only
        /// (other tests may panic concurrently).
        static PRINTED: Cell<usize> = const { Cell::new(0) };
    }

    #[test]
    fn a_caught_panic_reaches_no_hook_and_others_still_do() {
        // Whatever hook is current, put a counting one behind a fresh quiet hook.
        INSTALL.call_once(|| {});
        panic::set_hook(Box::new(|_| {
            let _ = PRINTED.try_with(|p| p.set(p.get() + 1));
        }));
        install();
        let caught = catch(|| panic!("inside"));
        let message = caught.unwrap_err().downcast_ref::<&str>().copied();
        assert_eq!(message, Some("inside"));
        assert_eq!(PRINTED.with(Cell::get), 0);
        assert_eq!(catch(|| 7).ok(), Some(7));
        let outside = std::panic::catch_unwind(|| panic!("outside"));
        assert!(outside.is_err());
        assert_eq!(PRINTED.with(Cell::get), 1);
        let _ = panic::take_hook();
    }
}
