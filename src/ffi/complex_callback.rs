//! C complex callbacks adapted to the core's [`ComplexFunction`] trait.

use super::boundary::Failure;
use super::callback::Execution;
use super::contract::required;
use super::guard_words::{call_guarded, OverrunLog, Reset};
use crate::fd::{Complex64, ComplexFunction};
use std::ffi::c_void;
use std::sync::Arc;

/// The caller's complex function `w = f(z)`, `C^n -> C^m`: reads `2n` doubles at `z` and
/// writes `2m` doubles at `w`, interleaved re/im (`z[2j] = Re z_j`, `z[2j+1] = Im z_j`),
/// which is the memory layout of C99 `double _Complex`, C++ `std::complex<double>`,
/// Fortran `complex(c_double_complex)` and Julia `ComplexF64`, so an array of those can be
/// passed as is. `n` and `m` count complex numbers. Returns 0 on success and any other
/// value to abort the computation (reported in the last error). `user` is passed through
/// untouched. Called on the calling thread, never concurrently. Every entry of `w` must be
/// written: as for `fdvjp_fn`, `w` holds unspecified values on entry.
pub type fdvjp_cfn = Option<
    unsafe extern "C" fn(user: *mut c_void, z: *const f64, n: usize, w: *mut f64, m: usize) -> i32,
>;

/// A non-NULL [`fdvjp_cfn`] with its user pointer and the config's progress callback
/// (complex functions always run serially).
#[derive(Clone)]
pub(crate) struct CComplexFunction {
    f: unsafe extern "C" fn(*mut c_void, *const f64, usize, *mut f64, usize) -> i32,
    user: *mut c_void,
    execution: Execution,
    /// Writes past the end of `w`, caught by the guard words.
    log: Arc<OverrunLog>,
}

impl CComplexFunction {
    /// `Err(FDVJP_NULL_POINTER)` when `f` is NULL.
    pub fn new(f: fdvjp_cfn, user: *mut c_void, execution: Execution) -> Result<Self, Failure> {
        Ok(Self {
            f: required(f, "f")?,
            user,
            execution,
            log: Arc::default(),
        })
    }
}

impl ComplexFunction for CComplexFunction {
    fn eval(&self, z: &[Complex64], w: &mut [Complex64]) -> Result<(), i32> {
        let m = w.len();
        // SAFETY: `Complex64` is `#[repr(C)]` with fields re, im (two f64), so the m complex
        // numbers of `w`, exclusively borrowed here, are 2m contiguous, aligned doubles.
        let out = unsafe { std::slice::from_raw_parts_mut(w.as_mut_ptr().cast::<f64>(), 2 * m) };
        let past = || format!("the function wrote past w[2m-1] (m = {m})");
        call_guarded(out, &self.log, Reset::Guard, past, |buf| {
            // SAFETY: as above `z` is 2n contiguous doubles, a private Rust buffer alive for
            // the call, and `buf` a private guarded one of 2m doubles (plus guard words);
            // the caller of the exported function promised that `f` may be called with
            // `user` and buffers of 2n and 2m doubles.
            unsafe { (self.f)(self.user, z.as_ptr().cast::<f64>(), z.len(), buf, m) }
        })
    }

    fn explain_failure(&self, code: i32) -> Option<String> {
        self.log.explain(code)
    }

    fn progress(&self, done: usize, total: usize) -> bool {
        self.execution.report(done, total)
    }
}
