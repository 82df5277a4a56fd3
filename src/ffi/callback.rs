//! C function pointers adapted to the core's [`Function`] trait: one point per call, or a
//! batch of points per call, run serially or on threads, with progress reports.

use super::boundary::Failure;
use super::status::fdvjp_status::*;
use crate::fd::{Function, Threaded};
use std::ffi::c_void;

/// The caller's function `y = f(x)`: reads `n` doubles at `x`, writes `m` doubles at `y`,
/// returns 0 on success and any other value to abort the computation (that value is
/// reported in the last error). `user` is passed through untouched; fdvjp never
/// dereferences it. Called on the calling thread, never concurrently, unless the config
/// asks for threads (`fdvjp_config_set_threads`), which declares f thread-safe.
pub type fdvjp_fn = Option<
    unsafe extern "C" fn(user: *mut c_void, x: *const f64, n: usize, y: *mut f64, m: usize) -> i32,
>;

/// The caller's function evaluated at `k` points in one call: point `p` is
/// `xs[p*n .. p*n + n]` (the points are the columns of a column-major n×k array), its
/// value goes to `ys[p*m .. p*m + m]`. Returns 0 on success, anything else aborts (the
/// whole batch is then reported as failed at its first point). This is the hook for
/// running evaluations on a GPU, on MPI ranks or on a cluster queue: fdvjp hands over up
/// to the config's batch size (`fdvjp_config_set_batch_size`) points at once.
pub type fdvjp_batch_fn = Option<
    unsafe extern "C" fn(
        user: *mut c_void,
        xs: *const f64,
        n: usize,
        k: usize,
        ys: *mut f64,
        m: usize,
    ) -> i32,
>;

/// Told after each batch of evaluations (each evaluation when not batching) how many are
/// done and how many are planned, by every driver (finite differences, adaptive steps,
/// estimates, complex step, complex functions, a tape's opaque nodes).
///
/// From the first report on, `total` is the planned number of evaluations: 1 + (stencil
/// points) per column or group (e.g. 1 + 2n central), 18 times the stencil points per
/// column with adaptive steps, 1 + 12n for the estimates (1 + 12 for a JVP), n for complex
/// step (1 for a JVP). `done` only rises and never exceeds `total`; `total` never
/// decreases. It grows, by the evaluations added, only when a column needs more than
/// planned (a fall-back near bounds or non-finite values, or a column the default step
/// refines); it stays when fewer are needed (adaptive trial steps outside the bounds), so
/// the last report may have `done < total`.
/// Return 0 to go on, anything else to cancel: the call then returns `FDVJP_CANCELLED`
/// with every output untouched. Called on the calling thread.
pub type fdvjp_progress_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, done: usize, total: usize) -> i32>;

type PointFn = unsafe extern "C" fn(*mut c_void, *const f64, usize, *mut f64, usize) -> i32;
type BatchFn = unsafe extern "C" fn(*mut c_void, *const f64, usize, usize, *mut f64, usize) -> i32;
type ProgressFn = unsafe extern "C" fn(*mut c_void, usize, usize) -> i32;

/// How a config runs the caller's function: on how many threads, with which progress
/// callback.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Execution {
    /// 0 or 1: serial.
    pub threads: usize,
    pub progress: Option<(ProgressFn, *mut c_void)>,
}

impl Execution {
    /// Calls the progress callback, if any; `false` when it asks to cancel.
    pub fn report(&self, done: usize, total: usize) -> bool {
        match self.progress {
            None => true,
            // SAFETY: the caller registered `f` with `user` on the config this computation
            // took its snapshot of, and it is called on the calling thread; the header
            // asks `user` to stay valid until such computations return.
            Some((f, user)) => unsafe { f(user, done, total) == 0 },
        }
    }
}

#[derive(Clone, Copy)]
enum Call {
    Point(PointFn),
    Batch(BatchFn),
}

/// A non-NULL C function (one point or a batch per call) with its user pointer and the
/// config's execution settings.
#[derive(Clone, Copy)]
pub(crate) struct CFunction {
    call: Call,
    user: *mut c_void,
    execution: Execution,
}

impl CFunction {
    /// `None` when `f` is NULL. Serial, no progress reports.
    pub fn new(f: fdvjp_fn, user: *mut c_void) -> Option<Self> {
        f.map(|f| Self {
            call: Call::Point(f),
            user,
            execution: Execution::default(),
        })
    }

    /// A point function run as `execution` says; `FDVJP_NULL_POINTER` when `f` is NULL.
    pub fn point(f: fdvjp_fn, user: *mut c_void, execution: Execution) -> Result<Self, Failure> {
        let f = f.ok_or_else(|| Failure::new(FDVJP_NULL_POINTER, "f is NULL"))?;
        Ok(Self {
            call: Call::Point(f),
            user,
            execution,
        })
    }

    /// A batch function with `execution`'s progress reports (its threads do not apply: the
    /// batch function runs its points as it likes); `FDVJP_NULL_POINTER` when `f` is NULL.
    pub fn batch(
        f: fdvjp_batch_fn,
        user: *mut c_void,
        execution: Execution,
    ) -> Result<Self, Failure> {
        let f = f.ok_or_else(|| Failure::new(FDVJP_NULL_POINTER, "f is NULL"))?;
        Ok(Self {
            call: Call::Batch(f),
            user,
            execution,
        })
    }
}

impl Function for CFunction {
    fn eval(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        match self.call {
            Call::Point(f) => PointFunction { f, user: self.user }.eval(x, y),
            Call::Batch(_) => self
                .eval_many(x, y, x.len(), y.len())
                .map_err(|(_, code)| code),
        }
    }

    fn eval_many(
        &self,
        xs: &[f64],
        ys: &mut [f64],
        n: usize,
        m: usize,
    ) -> Result<(), (usize, i32)> {
        match self.call {
            Call::Point(f) if self.execution.threads > 1 && ys.len() > m => {
                let shared = ThreadSafe(PointFunction { f, user: self.user });
                Threaded::new(&shared, self.execution.threads).eval_many(xs, ys, n, m)
            }
            Call::Point(f) => PointFunction { f, user: self.user }.eval_many(xs, ys, n, m),
            Call::Batch(f) => {
                let k = ys.len() / m.max(1);
                // SAFETY: the caller promised `f` may be called with `user` and column-major
                // arrays of k points; `xs` (n*k) and `ys` (m*k) are private Rust buffers of
                // exactly those sizes, alive for the call.
                let code = unsafe { f(self.user, xs.as_ptr(), n, k, ys.as_mut_ptr(), m) };
                if code == 0 {
                    Ok(())
                } else {
                    Err((0, code))
                }
            }
        }
    }

    fn progress(&self, done: usize, total: usize) -> bool {
        self.execution.report(done, total)
    }
}

/// A point function alone: what worker threads call.
#[derive(Clone, Copy)]
struct PointFunction {
    f: PointFn,
    user: *mut c_void,
}

impl Function for PointFunction {
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

/// A point function that the caller declared thread-safe by asking for threads.
struct ThreadSafe(PointFunction);

// SAFETY: only built when the caller set threads > 1 on the config, which the header
// documents as declaring `f` (with its `user`) safe to call concurrently. fdvjp itself
// never dereferences `user`.
unsafe impl Sync for ThreadSafe {}

impl Function for ThreadSafe {
    fn eval(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        self.0.eval(x, y)
    }
}
