//! C adjoint callbacks (`fdvjp_vjp_fn`) adapted to the tape's [`Vjp`] trait.

use super::boundary::Failure;
use super::contract::required;
use super::guard_words::{call_guarded, OverrunLog, Reset};
use crate::tape::Vjp;
use std::ffi::c_void;
use std::sync::Arc;

/// The caller's adjoint of `y = f(x)`: given `x` (n doubles), `y = f(x)` (m doubles) and
/// `v` (m doubles), OVERWRITES `grad` (n doubles) with `v^T J(x)`; fdvjp accumulates it.
/// Returns 0 on success and any other value to abort the backward pass (that value is
/// reported in the last error). `user` is the one given with `f`; fdvjp never dereferences
/// it. Called on the calling thread, never concurrently. `grad` is zeroed before each
/// call, so a callback that adds into it gets the same result; an entry left unwritten
/// therefore counts as 0, and fdvjp cannot tell it from a zero derivative.
pub type fdvjp_vjp_fn = Option<
    unsafe extern "C" fn(
        user: *mut c_void,
        x: *const f64,
        n: usize,
        y: *const f64,
        m: usize,
        v: *const f64,
        grad: *mut f64,
    ) -> i32,
>;

type RawVjp = unsafe extern "C" fn(
    *mut c_void,
    *const f64,
    usize,
    *const f64,
    usize,
    *const f64,
    *mut f64,
) -> i32;

/// A non-NULL [`fdvjp_vjp_fn`] with its user pointer.
#[derive(Clone)]
pub(crate) struct CVjp {
    f: RawVjp,
    user: *mut c_void,
    /// Writes past the end of `grad`, caught by the guard words.
    log: Arc<OverrunLog>,
}

impl CVjp {
    /// `FDVJP_NULL_POINTER` ("vjp is NULL") when `f` is NULL.
    pub fn new(f: fdvjp_vjp_fn, user: *mut c_void) -> Result<Self, Failure> {
        Ok(Self {
            f: required(f, "vjp")?,
            user,
            log: Arc::default(),
        })
    }
}

impl Vjp for CVjp {
    fn vjp(&self, x: &[f64], y: &[f64], v: &[f64], grad: &mut [f64]) -> Result<(), i32> {
        assert_eq!(v.len(), y.len(), "v and y lengths");
        assert_eq!(grad.len(), x.len(), "grad and x lengths");
        let n = grad.len();
        let past = || format!("the vjp callback wrote past grad[n-1] (n = {n})");
        call_guarded(grad, &self.log, Reset::All, past, |buf| {
            // SAFETY: the caller of fdvjp_tape_call_vjp promised that `vjp` may be called
            // with its `user` pointer (valid until the tape is freed or cleared) and buffers
            // of n and m doubles; x, y and v are private Rust buffers of exactly those
            // lengths (checked above), alive for the duration of the call, and `buf`, the
            // only one written, a private guarded one of n doubles (plus guard words).
            unsafe {
                (self.f)(
                    self.user,
                    x.as_ptr(),
                    x.len(),
                    y.as_ptr(),
                    y.len(),
                    v.as_ptr(),
                    buf,
                )
            }
        })
    }

    fn explain_failure(&self, code: i32) -> Option<String> {
        self.log.explain(code)
    }
}
