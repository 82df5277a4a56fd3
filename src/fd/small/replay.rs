//! What the flat path evaluated, and the function that serves it again to the general path
//! when the flat path hands a call over after evaluating (`small.rs`).

use super::super::function::Function;
use super::super::fused::Plan;
use super::Handed;
use std::cell::Cell;

/// The flat path's evaluations, in order: f(x) first, then each column's stencil points
/// (the plan's offsets times the column's step), m values each; the last may have failed
/// (its code) or been cancelled by the progress report.
pub(crate) struct Record<const N: usize, const V: usize> {
    /// Each column's step.
    pub steps: [f64; N],
    pub values: [f64; V],
    /// Evaluations made (the failed one included).
    pub evaluated: usize,
    failed: Option<i32>,
    cancelled: bool,
}

impl<const N: usize, const V: usize> Record<N, V> {
    pub fn empty() -> Self {
        Self {
            steps: [0.0; N],
            values: [0.0; V],
            evaluated: 0,
            failed: None,
            cancelled: false,
        }
    }

    /// The values of evaluation `k`.
    #[inline]
    pub fn value(&self, k: usize, m: usize) -> &[f64] {
        &self.values[k * m..(k + 1) * m]
    }

    /// Evaluation `k` of f, at `x`, as the general path's evaluator makes it: counted,
    /// then reported to the progress callback with the planned total (at least the count);
    /// [`Handed`] when f fails or the progress report cancels. Always inlined, with f's
    /// evaluation in it (a call per evaluation cost about 30 instructions, issue 15).
    #[inline(always)]
    pub fn evaluate<F: Function + ?Sized>(
        &mut self,
        f: &F,
        x: &[f64],
        k: usize,
        m: usize,
        planned: usize,
    ) -> Result<(), Handed> {
        self.evaluated += 1;
        if let Err(code) = f.eval(x, &mut self.values[k * m..(k + 1) * m]) {
            self.failed = Some(code);
            return Err(Handed);
        }
        let done = self.evaluated;
        if !f.progress(done, planned.max(done)) {
            self.cancelled = true;
            return Err(Handed);
        }
        Ok(())
    }
}

/// f, with its first evaluations served from a [`Record`]: the general path run after the
/// flat path asks for the same points in the same order, and gets the same values, the
/// same failure and the same progress answers, without f being called again.
pub(crate) struct Replayed<'a, F: ?Sized, const N: usize, const V: usize> {
    f: &'a F,
    x: &'a [f64],
    /// The columns' stencil (its offsets).
    plan: &'a Plan,
    record: &'a Record<N, V>,
    /// The next recorded evaluation to serve.
    next: Cell<usize>,
}

impl<'a, F: Function + ?Sized, const N: usize, const V: usize> Replayed<'a, F, N, V> {
    pub fn new(f: &'a F, x: &'a [f64], plan: &'a Plan, record: &'a Record<N, V>) -> Self {
        Self {
            f,
            x,
            plan,
            record,
            next: Cell::new(0),
        }
    }

    /// Whether `xq` is the point of recorded evaluation `k`: x, or x moved along the axis
    /// of its column by the stencil's offset times the column's step.
    fn is_point(&self, k: usize, xq: &[f64]) -> bool {
        let moved = k.checked_sub(1).map(|i| {
            let offsets = self.plan.offsets();
            let j = i / offsets.len();
            (
                j,
                self.x[j] + offsets[i % offsets.len()] * self.record.steps[j],
            )
        });
        xq.len() == self.x.len()
            && xq
                .iter()
                .zip(self.x)
                .enumerate()
                .all(|(i, (&q, &x))| match moved {
                    Some((j, moved)) if i == j => q.to_bits() == moved.to_bits(),
                    _ => q == x,
                })
    }
}

impl<F: Function + ?Sized, const N: usize, const V: usize> Function for Replayed<'_, F, N, V> {
    fn eval(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        let k = self.next.get();
        if k < self.record.evaluated {
            if self.is_point(k, x) {
                self.next.set(k + 1);
                if k + 1 == self.record.evaluated {
                    if let Some(code) = self.record.failed {
                        return Err(code);
                    }
                }
                y.copy_from_slice(self.record.value(k, y.len()));
                return Ok(());
            }
            // Never: the general path asks for the flat path's points first. Should it
            // not, f answers from here on (a test counting f's calls would see it).
            self.next.set(self.record.evaluated);
        }
        self.f.eval(x, y)
    }

    fn explain_failure(&self, code: i32) -> Option<String> {
        self.f.explain_failure(code)
    }

    fn progress(&self, done: usize, total: usize) -> bool {
        if done <= self.record.evaluated {
            return !(self.record.cancelled && done == self.record.evaluated);
        }
        self.f.progress(done, total)
    }
}
