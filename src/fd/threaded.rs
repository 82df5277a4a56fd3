//! Parallel evaluation: a batch of points spread over threads.

use super::function::{BatchOutcome, Function};

/// Evaluates each batch of points on up to `threads` threads (scoped, joined before the
/// batch returns). Wrapping a function in it declares that `f` may be called concurrently.
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
        let k = ys.len() / m;
        if self.threads == 1 || k <= 1 {
            return self.f.eval_many(xs, ys, n, m);
        }
        let per_thread = k.div_ceil(self.threads);
        let results: Vec<BatchOutcome> = std::thread::scope(|scope| {
            let handles: Vec<_> = xs
                .chunks(per_thread * n)
                .zip(ys.chunks_mut(per_thread * m))
                .enumerate()
                .map(|(c, (xc, yc))| {
                    scope.spawn(move || {
                        self.f
                            .eval_many(xc, yc, n, m)
                            .map_err(|(p, code)| (c * per_thread + p, code))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
        // The lowest failing point, as a serial run would have reported first.
        results
            .into_iter()
            .filter_map(Result::err)
            .min_by_key(|(p, _)| *p)
            .map_or(Ok(()), Err)
    }

    fn explain_failure(&self, code: i32) -> Option<String> {
        self.f.explain_failure(code)
    }

    fn progress(&self, done: usize, total: usize) -> bool {
        self.f.progress(done, total)
    }
}
