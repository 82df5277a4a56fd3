//! The black-box function the core differentiates.

/// The outcome of [`Function::eval_many`] on a batch of points.
pub type BatchOutcome = Result<(), BatchFailure>;

/// A batch that failed: the first point that failed, its code, and how many of the batch's
/// points f was called on (the report counts them, whatever order threads took them in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchFailure {
    /// The lowest failing point of the batch.
    pub point: usize,
    /// Its failure code.
    pub code: i32,
    /// Points evaluated (or handed to a batch function) before the batch returned.
    pub evaluated: usize,
}

/// A function `y = f(x)` from `R^n` to `R^m`, evaluated into a caller-provided `y`.
///
/// `Err(code)` (a non-zero code of the function's choosing) aborts the computation; the
/// code is reported with the evaluation that failed. Closures
/// `Fn(&[f64], &mut [f64]) -> Result<(), i32>` implement it.
pub trait Function {
    /// Writes `f(x)` into `y` (`y.len() == m`).
    fn eval(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32>;

    /// Evaluates `k` points at once: point `p` is `xs[p*n..(p+1)*n]`, its value goes to
    /// `ys[p*m..(p+1)*m]`. An error names the first point that failed.
    ///
    /// The default evaluates one point after the other; a function that can run many
    /// points at once (threads, a GPU, MPI ranks, a cluster queue) overrides it. The
    /// drivers hand over up to [`crate::fd::Options::batch`] points per call.
    fn eval_many(&self, xs: &[f64], ys: &mut [f64], n: usize, m: usize) -> BatchOutcome {
        for (p, (x, y)) in xs.chunks_exact(n).zip(ys.chunks_exact_mut(m)).enumerate() {
            self.eval(x, y).map_err(|code| BatchFailure {
                point: p,
                code,
                evaluated: p + 1,
            })?;
        }
        Ok(())
    }

    /// What a failure `code` of [`Function::eval`] or [`Function::eval_many`] stands for
    /// when it is not the function's own code but a fault its wrapper caught (a C callback
    /// that wrote past the end of its output); `None` (the default) for an ordinary code.
    fn explain_failure(&self, _code: i32) -> Option<String> {
        None
    }

    /// Told after each batch of evaluations how many are done of how many planned (the
    /// plan grows when a column needs a fall-back); `false` cancels the computation.
    fn progress(&self, _done: usize, _total: usize) -> bool {
        true
    }
}

impl<F> Function for F
where
    F: Fn(&[f64], &mut [f64]) -> Result<(), i32>,
{
    fn eval(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        self(x, y)
    }
}
