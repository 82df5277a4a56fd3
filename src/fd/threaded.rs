//! Parallel evaluation: a batch of points spread over threads.
//!
//! Why scoped threads and not a persistent pool: a pool's hand-over (rayon's latches, or
//! any std `Mutex`/`Condvar`, which are futexes) is invisible to ThreadSanitizer in a C
//! program linked against this uninstrumented library, so every write a callback makes on
//! a pool thread and the caller reads after the call is reported as a data race (issue
//! 15: `test_threads` under TSan failed on its own evaluation counter); a pool also
//! outlives `fork()` without its threads, so a forked child's first threaded call would
//! wait forever. Starting and joining threads (`pthread_create`/`pthread_join`) is
//! visible to TSan and safe across `fork`. Its cost is kept small instead: the calling
//! thread takes its share (a batch on t threads starts t - 1), and points are handed out
//! one at a time, so a thread slowed by the machine's other work takes fewer of them
//! instead of holding back the batch.

use super::function::{BatchFailure, BatchOutcome, Function};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Evaluates each batch of points on up to `threads` threads, the caller's among them (the
/// others scoped, joined before the batch returns). Wrapping a function in it declares that `f` may be called concurrently.
///
/// Results are bit-for-bit those of serial evaluation: each point's value is computed by
/// the same `f` on the same input, and the drivers combine them in a fixed order. Only the
/// order of the calls changes. Give the options a batch of a few points per thread
/// ([`crate::fd::Options::set_batch`]) so that there is work to share.
pub struct Threaded<'f, F: Function + Sync + ?Sized> {
    f: &'f F,
    threads: usize,
}

impl<'f, F: Function + Sync + ?Sized> Threaded<'f, F> {
    /// `threads` of 0 or 1 means serial.
    pub fn new(f: &'f F, threads: usize) -> Self {
        Self {
            f,
            threads: threads.max(1),
        }
    }
}

impl<F: Function + Sync + ?Sized> Function for Threaded<'_, F> {
    fn eval(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        self.f.eval(x, y)
    }

    fn eval_many(&self, xs: &[f64], ys: &mut [f64], n: usize, m: usize) -> BatchOutcome {
        let k = ys.len() / m.max(1);
        let threads = self.threads.min(k);
        if threads <= 1 {
            return self.f.eval_many(xs, ys, n, m);
        }
        let work = Work {
            points: Mutex::new(ys.chunks_mut(m).enumerate()),
            first_failure: Mutex::new(None),
            evaluated: AtomicUsize::new(0),
        };
        std::thread::scope(|scope| {
            // A thread the system refuses to start leaves its share to the others.
            let helpers: Vec<_> = (1..threads)
                .filter_map(|_| {
                    let run = || work.run(self.f, xs, n);
                    std::thread::Builder::new().spawn_scoped(scope, run).ok()
                })
                .collect();
            work.run(self.f, xs, n);
            // Joined one by one (`pthread_join`), not left to the scope's own wait (a
            // futex): TSan sees only the former order the threads' writes before ours.
            for helper in helpers {
                if let Err(panic) = helper.join() {
                    std::panic::resume_unwind(panic);
                }
            }
        });
        let first_failure = *lock(&work.first_failure);
        let evaluated = work.evaluated.load(Ordering::Relaxed);
        first_failure.map_or(Ok(()), |(point, code)| {
            Err(BatchFailure {
                point,
                code,
                evaluated,
            })
        })
    }

    fn explain_failure(&self, code: i32) -> Option<String> {
        self.f.explain_failure(code)
    }

    fn progress(&self, done: usize, total: usize) -> bool {
        self.f.progress(done, total)
    }
}

/// One batch's points, handed out one at a time to the threads evaluating it.
struct Work<'y> {
    /// The points not yet taken, with their index in the batch.
    points: Mutex<std::iter::Enumerate<std::slice::ChunksMut<'y, f64>>>,
    /// The lowest failing point so far and its code.
    first_failure: Mutex<Option<(usize, i32)>>,
    /// Points f was called on (the report's evaluations after a failure).
    evaluated: AtomicUsize,
}

impl Work<'_> {
    /// Takes points until none is left. A point past a known failure is skipped (a
    /// serial run would have stopped before it); every point before it is evaluated, so
    /// the failure reported is the one a serial run meets first.
    fn run<F: Function + Sync + ?Sized>(&self, f: &F, xs: &[f64], n: usize) {
        loop {
            let Some((p, y)) = lock(&self.points).next() else {
                return;
            };
            if lock(&self.first_failure).is_some_and(|(q, _)| q < p) {
                continue;
            }
            self.evaluated.fetch_add(1, Ordering::Relaxed);
            if let Err(code) = f.eval(&xs[p * n..(p + 1) * n], y) {
                let mut first = lock(&self.first_failure);
                if first.is_none_or(|(q, _)| p < q) {
                    *first = Some((p, code));
                }
            }
        }
    }
}

/// The lock; a poisoned one is still consistent (every update under it is one step).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
