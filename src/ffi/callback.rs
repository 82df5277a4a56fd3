//! C function pointers adapted to the core's [`Function`] trait.

use crate::fd::Function;
use std::ffi::c_void;

/// The caller's function `y = f(x)`: reads `n` doubles at `x`, writes `m` doubles at `y`,
/// returns 0 on success and any other value to abort the computation (that value is
/// reported in the last error). `user` is passed through untouched; fdvjp never
/// dereferences it. Called on the calling thread, never concurrently.
pub type fdvjp_fn = Option<
    unsafe extern "C" fn(user: *mut c_void, x: *const f64, n: usize, y: *mut f64, m: usize) -> i32,
>;

/// A non-NULL [`fdvjp_fn`] with its user pointer.
#[derive(Clone, Copy)]
pub(crate) struct CFunction {
    f: unsafe extern "C" fn(*mut c_void, *const f64, usize, *mut f64, usize) -> i32,
    user: *mut c_void,
}

impl CFunction {
    /// `None` when `f` is NULL.
    pub fn new(f: fdvjp_fn, user: *mut c_void) -> Option<Self> {
        f.map(|f| Self { f, user })
    }
}

impl Function for CFunction {
    fn eval(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        // SAFETY: the caller of the exported function promised that `f` may be called with
        // its `user` pointer and buffers of `n` and `m` doubles; `x` and `y` are private
        // Rust buffers of exactly those lengths, alive for the duration of the call.
        let code = unsafe { (self.f)(self.user, x.as_ptr(), x.len(), y.as_mut_ptr(), y.len()) };
        if code == 0 {
            Ok(())
        } else {
            Err(code)
        }
    }
}
