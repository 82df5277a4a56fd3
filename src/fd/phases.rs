//! One call's progress across its phases (learned sparsity: learning, the grouped pass,
//! the check, the dense fall-back), each of which counts its evaluations from 1.
//!
//! Why: each phase reported its own `(done, total)`, so the caller saw `(62/62)` then
//! `(1/60)` and a last report that disagreed with the report's evaluations. Here `done`
//! is every evaluation of the call so far, and `total` the larger of the last total told
//! and `done` plus what the current phase still plans: it never decreases and, when the
//! last phase made what it planned, ends equal to the evaluations made.

use super::function::{BatchOutcome, Function};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// `f` for every phase of one call: counts its evaluations and rewrites the phases'
/// progress reports into the call's.
pub(crate) struct Phases<'f, F: Function + ?Sized> {
    f: &'f F,
    /// Evaluations of the call so far (batch points counted when evaluated).
    done: AtomicUsize,
    /// The last total told to `f`.
    total: AtomicUsize,
}

impl<'f, F: Function + ?Sized> Phases<'f, F> {
    pub fn new(f: &'f F) -> Self {
        Self {
            f,
            done: AtomicUsize::new(0),
            total: AtomicUsize::new(0),
        }
    }

    /// The call's `(done, total)` as last told (for a cancellation's message).
    pub fn told(&self) -> (usize, usize) {
        let done = self.done.load(Relaxed);
        (done, self.total.load(Relaxed).max(done))
    }
}

impl<F: Function + ?Sized> Function for Phases<'_, F> {
    fn eval(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        self.done.fetch_add(1, Relaxed);
        self.f.eval(x, y)
    }

    fn eval_many(&self, xs: &[f64], ys: &mut [f64], n: usize, m: usize) -> BatchOutcome {
        let outcome = self.f.eval_many(xs, ys, n, m);
        let made = match outcome {
            Ok(()) => ys.len() / m.max(1),
            Err(failed) => failed.evaluated,
        };
        self.done.fetch_add(made, Relaxed);
        outcome
    }

    fn explain_failure(&self, code: i32) -> Option<String> {
        self.f.explain_failure(code)
    }

    fn progress(&self, done: usize, total: usize) -> bool {
        let made = self.done.load(Relaxed);
        let left = total.saturating_sub(done);
        let total = self.total.load(Relaxed).max(made.saturating_add(left));
        self.total.store(total, Relaxed);
        self.f.progress(made, total)
    }
}
