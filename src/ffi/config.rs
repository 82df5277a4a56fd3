//! The `fdvjp_config` handle: options shared by every driver, set through validated setters.

use super::boundary::Failure;
use super::callback::{fdvjp_progress_fn, Execution};
use super::contract::{handle, new_boxed_handle};
use super::enums::CEnum;
use super::export::{export, exports};
use super::retired::Pool;
use crate::fd::{Layout, Options, Scheme, Sparsity};
use std::ffi::c_void;
use std::sync::{Arc, OnceLock};

/// Options of a computation (scheme, steps, bounds, layout). Opaque: create with
/// `fdvjp_config_new`, free with `fdvjp_config_free`.
///
/// Threads: a computation receives the config as `const fdvjp_config *` and only reads
/// it, so any number of threads may use one config at once (one config, an OpenMP or
/// pthreads parallel loop of VJPs). Only the setters and `fdvjp_config_free` change it:
/// those need the caller's lock against every other use of the same config.
///
/// Reentrancy: each computation takes a snapshot of the config when it starts (options,
/// threads, batch size, progress callback) and never looks at the config again. A
/// callback (f, progress, batch, custom VJP) may therefore change the config it runs
/// under, or free it: the running computation goes on with the snapshot, unaffected, and
/// the change applies to the calls that start afterwards (a progress callback removed or
/// replaced mid-call keeps being called, with its `user`, until that call returns). The
/// snapshot shares the config's arrays (steps, bounds, sparsity) by reference counting,
/// so taking it costs no copy; a setter called while a computation holds the snapshot
/// copies the options first.
pub struct fdvjp_config {
    magic: u64,
    /// Shared with the snapshots of running computations; setters copy on write.
    pub(super) options: Arc<Options>,
    pub(super) execution: Execution,
    /// Whether the caller chose the batch size; otherwise threads get 4 points each.
    pub(super) batch_chosen: bool,
}

/// Marks a live config; cleared on free, so a freed or foreign pointer is usually caught.
const CONFIG_MAGIC: u64 = 0x6664_766a_705f_6366;

/// What a computation takes from its config when it starts (the defaults for a NULL
/// config), owned by the computation: callbacks may change or free the config while it
/// runs.
pub(crate) struct Snapshot {
    pub options: Arc<Options>,
    /// Threads and progress callback.
    pub execution: Execution,
}

impl Snapshot {
    /// The snapshot of `cfg`, a live config or `None`.
    pub fn of(cfg: Option<&fdvjp_config>) -> Result<Self, Failure> {
        let Some(cfg) = cfg else {
            // One shared default: a call without a config allocates no options.
            static DEFAULT: OnceLock<Arc<Options>> = OnceLock::new();
            return Ok(Self {
                options: Arc::clone(DEFAULT.get_or_init(Arc::default)),
                execution: Execution::default(),
            });
        };
        let threads = cfg.execution.threads;
        let options = if threads <= 1 || cfg.batch_chosen {
            Arc::clone(&cfg.options)
        } else {
            let mut options = Options::clone(&cfg.options);
            options.set_batch(THREAD_BATCH * threads)?;
            Arc::new(options)
        };
        Ok(Self {
            options,
            execution: cfg.execution,
        })
    }
}

/// Points per thread in a batch when the caller did not choose the batch size. Every batch
/// starts its threads and waits for the slowest before the next (see `fd/threaded.rs`):
/// at 4 per thread, a 1 ms function at n = 32 on 2 threads ran 8 batches and reached 0.96
/// of two bare pthreads even with the CPUs idle (a sleeping function, issue 15); with 16,
/// 2 batches and 0.99-1.00. Memory: `16 * threads * (n + m)` doubles.
const THREAD_BATCH: usize = 16;

/// The largest thread count `fdvjp_config_set_threads` accepts. It keeps the planner's
/// products (16 points per thread, times n or m) far from overflow and a typo from
/// starting millions of OS threads.
pub const FDVJP_MAX_THREADS: usize = 1024;

handle!(fdvjp_config, "cfg", CONFIG_MAGIC);

impl fdvjp_config {
    /// Runs a setter on the options, copying them first if a running computation shares
    /// them.
    pub(crate) fn set_options(
        &mut self,
        set: impl FnOnce(&mut Options) -> Result<(), Failure>,
    ) -> Result<(), Failure> {
        set(Arc::make_mut(&mut self.options))
    }
}

/// A new config with the defaults: central differences, default steps, no bounds,
/// row-major Jacobians. Free it with `fdvjp_config_free`. NULL only if out of memory.
#[no_mangle]
pub extern "C" fn fdvjp_config_new() -> *mut fdvjp_config {
    export!(or std::ptr::null_mut(), |c| new_boxed_handle(|| {
        let fresh = defaults(CONFIG_MAGIC);
        match RETIRED.try_with(Pool::take).ok().flatten() {
            Some(mut kept) => {
                *kept = fresh;
                kept
            }
            None => Box::new(fresh),
        }
    }))
}

/// Frees a config. `fdvjp_config_free(NULL)` does nothing; so does a pointer that is not a
/// live config (its tag is checked). Its memory is emptied and kept by this thread for a
/// later `fdvjp_config_new` (returned to the allocator when the thread exits, or when 256
/// configs freed later on this thread push it out), so that checking the tag of a freed
/// config (a double free, a use after free) reads memory that is still the library's: such
/// a mistake is caught only while the config is among the last 256 this thread freed.
///
/// # Safety
/// `cfg` is NULL or came from `fdvjp_config_new` and is not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn fdvjp_config_free(cfg: *mut fdvjp_config) {
    export!(or(), |c| c.free_into(cfg, |mut freed| {
        // Drops the options and the progress callback with its `user` pointer.
        *freed = defaults(0);
        // Where the thread is exiting (its pool gone), the handle is dropped.
        let mut freed = Some(freed);
        let _ = RETIRED.try_with(|pool| freed.take().map(|f| pool.keep(f)));
    }))
}

thread_local! {
    /// Freed configs' memory, per thread (see [`super::retired`]).
    static RETIRED: Pool<fdvjp_config> = const { Pool::new() };
}

/// A config with the defaults and the tag `magic` (0: retired).
fn defaults(magic: u64) -> fdvjp_config {
    fdvjp_config {
        magic,
        options: Arc::new(Options::default()),
        execution: Execution::default(),
        batch_chosen: false,
    }
}

exports! {
    /// Selects the difference scheme: one of `FDVJP_CENTRAL` (default), `FDVJP_FORWARD`,
    /// `FDVJP_BACKWARD`, `FDVJP_CENTRAL4`. Any other value is `FDVJP_INVALID_ARGUMENT`.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config.
    fn fdvjp_config_set_scheme(cfg: *mut fdvjp_config, scheme: i32) |c| {
        c.required_mut(cfg)?.set_options(|o| {
            o.set_scheme(Scheme::from_argument(scheme, "scheme")?);
            Ok(())
        })
    }

    /// Selects the Jacobian layout: `FDVJP_ROW_MAJOR` (default) or `FDVJP_COL_MAJOR`.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config.
    fn fdvjp_config_set_layout(cfg: *mut fdvjp_config, layout: i32) |c| {
        c.required_mut(cfg)?.set_options(|o| {
            o.set_layout(Layout::from_argument(layout, "layout")?);
            Ok(())
        })
    }

    /// Overrides the relative step factor `r` in `h_j = r * max(|x_j|, typ_j)`; `r` must be
    /// finite, > 0 and at most 1 (a larger factor moves x_j by more than its own magnitude
    /// and can reach +-inf), and `r == 0` restores the scheme's default (eps^(1/2) one-sided,
    /// eps^(1/3) central, eps^(1/5) fourth order). Whatever the step, f is never called at a
    /// non-finite point: at x_j near +-DBL_MAX the stencil is one-sided inward.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config.
    fn fdvjp_config_set_relative_step(cfg: *mut fdvjp_config, r: f64) |c| {
        c.required_mut(cfg)?
            .set_options(|o| Ok(o.set_relative_step(if r == 0.0 { None } else { Some(r) })?))
    }

    /// Sets per-element absolute steps `h[0..n]` (each finite and > 0), overriding the
    /// relative rule; `(NULL, 0)` clears them. `n` must equal the `n` of later computations.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `h` is NULL or readable for `n` doubles.
    fn fdvjp_config_set_steps(cfg: *mut fdvjp_config, h: *const f64, n: usize) |c| {
        c.required_mut(cfg)?.set_options(|o| {
            let h = c.input(h, n, "h", "n")?;
            Ok(o.set_steps((n > 0).then(|| h.to_vec()))?)
        })
    }

    /// Sets per-element typical magnitudes `typ[0..n]` (each finite and > 0; default 1), used
    /// in `h_j = r * max(|x_j|, typ_j)`; `(NULL, 0)` clears them.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `typ` is NULL or readable for `n` doubles.
    fn fdvjp_config_set_typical(cfg: *mut fdvjp_config, typ: *const f64, n: usize) |c| {
        c.required_mut(cfg)?.set_options(|o| {
            let typ = c.input(typ, n, "typ", "n")?;
            Ok(o.set_typical((n > 0).then(|| typ.to_vec()))?)
        })
    }

    /// Sets per-element bounds `lower[j] < upper[j]` (`-INFINITY`/`INFINITY` for none; NaN is
    /// invalid). f is then only evaluated inside the box: a stencil that would leave it is
    /// replaced by a one-sided stencil of the same order, or the step is shrunk. x itself must
    /// lie in the box. `(NULL, NULL, 0)` removes the bounds.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `lower` and `upper` are NULL or readable for `n` doubles.
    fn fdvjp_config_set_bounds(
        cfg: *mut fdvjp_config, lower: *const f64, upper: *const f64, n: usize,
    ) |c| {
        c.required_mut(cfg)?.set_options(|o| {
            let [lower, upper] = c.inputs([(lower, "lower"), (upper, "upper")], n, "n")?;
            Ok(o.set_bounds((n > 0).then(|| (lower.to_vec(), upper.to_vec())))?)
        })
    }

    /// Declares the Jacobian's sparsity pattern as `nnz` (row, column) pairs
    /// `(rows[k], cols[k])` (duplicates allowed); entries outside it are taken to be exactly
    /// zero. Columns that share no row are perturbed together (Curtis–Powell–Reid grouping,
    /// largest-first order, computed here once): a VJP or Jacobian then costs one evaluation
    /// per group and stencil point instead of per column, e.g. 1 + 3 (forward) or 1 + 6
    /// (central) for a tridiagonal Jacobian of any size. Indices are checked against m and n
    /// at each computation. `nnz == 0` removes the pattern (dense).
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `rows` and `cols` are NULL or readable for `nnz` values.
    fn fdvjp_config_set_sparsity(
        cfg: *mut fdvjp_config, rows: *const usize, cols: *const usize, nnz: usize,
    ) |c| {
        c.required_mut(cfg)?.set_options(|o| {
            let [rows, cols] = c.inputs([(rows, "rows"), (cols, "cols")], nnz, "nnz")?;
            o.set_sparsity((nnz > 0).then(|| Sparsity::new(rows, cols)).transpose()?);
            Ok(())
        })
    }

    /// Turns adaptive step selection on (`on = 1`) or off (`on = 0`, the default); any other
    /// value is `FDVJP_INVALID_ARGUMENT`. Used by `fdvjp_vjp`, `fdvjp_jvp`, `fdvjp_jacobian`
    /// (and the complex finite-difference drivers and the tape's opaque nodes).
    ///
    /// When on, each column (or direction u) gets its own step: the scheme's stencil is
    /// evaluated at the 18 steps `h * 4^k`, `k = -9..8`, around the nominal step h; two
    /// Richardson steps between neighbouring steps raise the order (to 6 for central
    /// differences), and the extrapolant that agrees best with both neighbours, relative to
    /// its size, is taken. This balances truncation against rounding and noise in f's values
    /// without knowing the scale of f, e.g. `cos(x)` near `x = 1e-6`, `sin(x)` at `x = 1e4`,
    /// `sin(1e8 x)` near `x = 1e-8`, `log(x)` near 0, or f with noise of 1e-10, where the
    /// nominal step loses 4 or more digits.
    /// Cost per column (or JVP): 18 stencil evaluations, i.e. 18 (forward/backward), 36
    /// (central) or 72 (fourth order) evaluations of f instead of 1, 2 or 4 (fewer where trial
    /// steps leave the bounds or meet NaN); with a sparsity pattern, per column group.
    /// The report's `error_bound` is then NaN, every direction counted in
    /// `unbounded_directions`: the scan's disagreement bounds nothing, nor does the
    /// fixed-step fall-back it may end in.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config.
    fn fdvjp_config_set_adaptive(cfg: *mut fdvjp_config, on: i32) |c| {
        c.required_mut(cfg)?.set_options(|o| {
            o.set_adaptive(match on {
                0 => false,
                1 => true,
                _ => return Err(Failure::invalid(format!("on = {on} must be 0 or 1"))),
            });
            Ok(())
        })
    }

    /// Evaluates the perturbed points on `threads` threads (0 or 1: serially, the default).
    /// Setting more than one declares that f may be called concurrently from several threads
    /// (with the same `user`). Results are bit-for-bit those of a serial run, and f is called
    /// at the same points as many times; only the order of the calls changes. Unless a batch
    /// size is set, batches hold 16 points per thread.
    /// Batch functions (`fdvjp_batch_fn`) run their points themselves and ignore this.
    ///
    /// At most `FDVJP_MAX_THREADS` (1024): a larger value is `FDVJP_INVALID_ARGUMENT` and
    /// leaves the config unchanged. A computation never starts more threads than it has
    /// points in a batch to evaluate.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config.
    fn fdvjp_config_set_threads(cfg: *mut fdvjp_config, threads: usize) |c| {
        let cfg = c.required_mut(cfg)?;
        if threads > FDVJP_MAX_THREADS {
            return Err(Failure::invalid(format!(
                "threads = {threads} exceeds the limit FDVJP_MAX_THREADS = \
                 {FDVJP_MAX_THREADS}"
            )));
        }
        cfg.execution.threads = threads;
        Ok(())
    }

    /// Sets the largest number of points handed to f at once: to a `fdvjp_batch_fn` in one
    /// call, or shared among the threads. fdvjp plans the first stencil points of as many
    /// columns as fit and evaluates them together (a serial stencil that meets a NaN has
    /// its other points evaluated too, as a batch has; a column whose stencil leaves the
    /// bounds is not planned but evaluated as serially), and the first levels of the
    /// refinements that follow (a step grown for rounding, or refined down; serially, a
    /// level that meets a NaN has the other planned points evaluated then): results do not
    /// depend on it, nor do the report and the points f is called at. Extra memory
    /// grows to `points * (n + m)` doubles. `points == 0` restores the default (1, or 16
    /// per thread with threads). Any value is accepted: a batch larger than the points a
    /// computation plans is simply that computation's points (`SIZE_MAX` means "all at
    /// once"); when the planned points do not fit in memory the computation fails with
    /// `FDVJP_OUT_OF_MEMORY` after f(x) and before f is called at any perturbed point.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config.
    fn fdvjp_config_set_batch_size(cfg: *mut fdvjp_config, points: usize) |c| {
        let cfg = c.required_mut(cfg)?;
        cfg.set_options(|o| Ok(o.set_batch(points.max(1))?))?;
        cfg.batch_chosen = points > 0;
        Ok(())
    }

    /// Registers a progress callback, called with (`done`, `total`) evaluations after each
    /// batch (each evaluation when not batching); a non-zero return cancels the computation,
    /// which then returns `FDVJP_CANCELLED` with every output untouched. `f == NULL` removes
    /// it. `user` is passed to f untouched and must stay valid while the config is used, and
    /// until every computation that started with this callback has returned.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `f` is NULL or callable with `user`.
    fn fdvjp_config_set_progress(
        cfg: *mut fdvjp_config, f: fdvjp_progress_fn, user: *mut c_void,
    ) |c| {
        let cfg = c.required_mut(cfg)?;
        cfg.execution.progress = f.map(|f| (f, user));
        Ok(())
    }
}
