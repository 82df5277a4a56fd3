//! C function pointers adapted to the core's [`Function`] trait: one point per call, or a
//! batch of points per call, run serially or on threads, with progress reports.

use super::boundary::Failure;
use super::contract::required;
use super::guard_words::{call_guarded, Held, OverrunLog, Reset};
use crate::fd::{BatchFailure, BatchOutcome, Function, Threaded};
use std::ffi::c_void;

/// The caller's function `y = f(x)`: reads `n` doubles at `x`, writes `m` doubles at `y`,
/// returns 0 on success and any other value to abort the computation (that value is
/// reported in the last error). `user` is passed through untouched; fdvjp never
/// dereferences it. Called on the calling thread, never concurrently, unless the config
/// asks for threads (`fdvjp_config_set_threads`), which declares f thread-safe.
/// `y` is fdvjp's private buffer followed by `FDVJP_GUARD_WORDS` guard doubles: a write
/// past `y[m-1]` is reported as `FDVJP_CALLBACK_FAILED` ("the function wrote past y[m-1]").
/// f must write all m entries of `y`: on entry `y` holds unspecified values (not zeros;
/// a NaN pattern on a thread's first call with this m, so that an entry left unwritten
/// then shows as a non-finite f(x)).
pub type fdvjp_fn = Option<
    unsafe extern "C" fn(user: *mut c_void, x: *const f64, n: usize, y: *mut f64, m: usize) -> i32,
>;

/// The caller's function evaluated at `k` points in one call: point `p` is
/// `xs[p*n .. p*n + n]` (the points are the columns of a column-major n×k array), its
/// value goes to `ys[p*m .. p*m + m]` (every entry written: as for `fdvjp_fn`, `ys` holds
/// unspecified values on entry). Returns 0 on success, anything else aborts (the
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
/// column with adaptive steps, 1 + 14n for the estimates (1 + 14 for a JVP), n + 3 for the
/// complex step (4 for a JVP; its analyticity check may add a Richardson stage). `done` only rises and never exceeds `total`; `total` never
/// decreases. It grows, by the evaluations added, only when a column needs more than
/// planned (a fall-back near bounds or non-finite values, or a column the default step
/// refines); it stays when fewer are needed (adaptive trial steps outside the bounds), so
/// the last report may have `done < total`. A call with learned sparsity runs in phases
/// (learning, the grouped columns, the check, a dense fall-back): `done` counts every
/// evaluation of the call, and `total` grows as each phase starts by what it plans, so the
/// last report agrees with `fdvjp_report::evaluations`.
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
pub(crate) struct CFunction {
    call: Call,
    user: *mut c_void,
    execution: Execution,
    /// Writes past the end of an output, caught by the guard words (on any thread).
    log: OverrunLog,
    /// The calling thread's guarded buffer, held for the computation's serial
    /// evaluations ([`CFunction::holding`]); `None`: taken per evaluation.
    held: Option<Held>,
}

impl CFunction {
    /// A point function run as `execution` says; `FDVJP_NULL_POINTER` when `f` is NULL.
    pub fn point(f: fdvjp_fn, user: *mut c_void, execution: Execution) -> Result<Self, Failure> {
        Ok(Self {
            call: Call::Point(required(f, "f")?),
            user,
            execution,
            log: OverrunLog::default(),
            held: None,
        })
    }

    /// A batch function with `execution`'s progress reports (its threads do not apply: the
    /// batch function runs its points as it likes); `FDVJP_NULL_POINTER` when `f` is NULL.
    pub fn batch(
        f: fdvjp_batch_fn,
        user: *mut c_void,
        execution: Execution,
    ) -> Result<Self, Failure> {
        Ok(Self {
            call: Call::Batch(required(f, "f")?),
            user,
            execution,
            log: OverrunLog::default(),
            held: None,
        })
    }
}

impl CFunction {
    /// The same function holding the calling thread's guarded buffer for its serial
    /// evaluations until it is dropped (see [`Held`]): for a computation that ends with
    /// the call that made it (a product), not for one a tape keeps.
    pub fn holding(self) -> Self {
        Self {
            held: Some(Held::default()),
            ..self
        }
    }

    /// [`Function::eval`] of a batch function, or of a point function without a held
    /// buffer.
    #[inline(never)]
    fn eval_unheld(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        match self.call {
            Call::Point(f) => self.point_function(f).eval(x, y),
            Call::Batch(_) => self
                .eval_many(x, y, x.len(), y.len())
                .map_err(|failed| failed.code),
        }
    }

    fn point_function(&self, f: PointFn) -> PointFunction<'_> {
        PointFunction {
            f,
            user: self.user,
            log: &self.log,
        }
    }
}

impl Function for CFunction {
    // Inlined into the small calls' loop (`fd/small/replay.rs`): as a call it cost about
    // 30 instructions per evaluation there in saved registers and moved arguments (issue
    // 15). Only the held point function is inline; the other cases are out of line.
    #[inline(always)]
    fn eval(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        match (self.call, &self.held) {
            (Call::Point(f), Some(held)) => self.point_function(f).eval_in(held, x, y),
            _ => self.eval_unheld(x, y),
        }
    }

    fn eval_many(&self, xs: &[f64], ys: &mut [f64], n: usize, m: usize) -> BatchOutcome {
        match self.call {
            Call::Point(f) if self.execution.threads > 1 && ys.len() > m => {
                let shared = ThreadSafe(self.point_function(f));
                Threaded::new(&shared, self.execution.threads).eval_many(xs, ys, n, m)
            }
            Call::Point(f) => self.point_function(f).eval_many(xs, ys, n, m),
            Call::Batch(f) => {
                let k = ys.len() / m.max(1);
                let past = || format!("the batch function wrote past ys[k*m-1] (k = {k}, m = {m})");
                call_guarded(ys, &self.log, Reset::Guard, past, |buf| {
                    // SAFETY: the caller promised `f` may be called with `user` and
                    // column-major arrays of k points; `xs` (n*k doubles) is a private Rust
                    // buffer and `buf` a private guarded one of m*k doubles (plus guard
                    // words), both alive for the call.
                    unsafe { f(self.user, xs.as_ptr(), n, k, buf, m) }
                })
                .map_err(|code| BatchFailure {
                    point: 0,
                    code,
                    evaluated: k,
                })
            }
        }
    }

    fn explain_failure(&self, code: i32) -> Option<String> {
        self.log.explain(code)
    }

    fn progress(&self, done: usize, total: usize) -> bool {
        self.execution.report(done, total)
    }
}

/// A point function alone: what worker threads call.
#[derive(Clone, Copy)]
struct PointFunction<'a> {
    f: PointFn,
    user: *mut c_void,
    log: &'a OverrunLog,
}

impl PointFunction<'_> {
    /// One evaluation in `held`'s buffer (the calling thread's, held by the computation);
    /// inlined with the guard around it ([`Held::call`]).
    #[inline]
    fn eval_in(&self, held: &Held, x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        let m = y.len();
        let past = || format!("the function wrote past y[m-1] (m = {m})");
        held.call(y, self.log, Reset::Guard, past, |buf| self.call(x, buf, m))
    }

    /// The callback on `x` into the guarded buffer `buf` of `m` doubles.
    fn call(&self, x: &[f64], buf: *mut f64, m: usize) -> i32 {
        // SAFETY: the caller of the exported function promised that `f` may be called with
        // its `user` pointer and buffers of `n` and `m` doubles; `x` (n) is a private Rust
        // buffer and `buf` a private guarded one of m doubles (plus guard words), both
        // alive for the duration of the call.
        unsafe { (self.f)(self.user, x.as_ptr(), x.len(), buf, m) }
    }
}

impl Function for PointFunction<'_> {
    fn eval(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        let m = y.len();
        let past = || format!("the function wrote past y[m-1] (m = {m})");
        call_guarded(y, self.log, Reset::Guard, past, |buf| self.call(x, buf, m))
    }
}

/// A point function that the caller declared thread-safe by asking for threads.
struct ThreadSafe<'a>(PointFunction<'a>);

// SAFETY: only built when the caller set threads > 1 on the config, which the header
// documents as declaring `f` (with its `user`) safe to call concurrently. fdvjp itself
// never dereferences `user`.
unsafe impl Sync for ThreadSafe<'_> {}

impl Function for ThreadSafe<'_> {
    fn eval(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        self.0.eval(x, y)
    }
}
