//! What the flat path evaluated, and the function that serves it again to the general path
//! when the flat path hands a call over after evaluating (`small.rs`).

use super::super::function::Function;
use super::super::fused::Plan;
use super::Handed;
use std::cell::Cell;

/// Storage of the flat path's arrays: fixed arrays on the stack (small n), or vectors (a
/// large n with few outputs, `small.rs`).
pub(crate) trait Slots: AsRef<[f64]> + AsMut<[f64]> {}

impl<T: AsRef<[f64]> + AsMut<[f64]>> Slots for T {}

/// The flat path's evaluations, in order: f(x) first, then each column's stencil points
/// (the plan's offsets times the column's step), m values each; the last may have failed
/// (its code) or been cancelled by the progress report. `S` holds n steps (at least), `V`
/// the values ([`Slots`]).
pub(crate) struct Record<S, V> {
    /// Each column's step.
    pub steps: S,
    pub values: V,
    /// Evaluations made (the failed one included).
    pub evaluated: usize,
    failed: Option<i32>,
    cancelled: bool,
}

impl<S: Slots, V: Slots> Record<S, V> {
    /// A record in `steps` and `values` (zeros).
    pub fn new(steps: S, values: V) -> Self {
        Self {
            steps,
            values,
            evaluated: 0,
            failed: None,
            cancelled: false,
        }
    }

    /// The values of evaluation `k`.
    #[inline]
    pub fn value(&self, k: usize, m: usize) -> &[f64] {
        &self.values.as_ref()[k * m..(k + 1) * m]
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
        if let Err(code) = f.eval(x, &mut self.values.as_mut()[k * m..(k + 1) * m]) {
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
pub(crate) struct Replayed<'a, F: ?Sized, S, V> {
    f: &'a F,
    x: &'a [f64],
    /// The columns' stencil (its offsets).
    plan: &'a Plan,
    record: &'a Record<S, V>,
    /// The next recorded evaluation to serve.
    next: Cell<usize>,
}

impl<'a, F: Function + ?Sized, S: Slots, V: Slots> Replayed<'a, F, S, V> {
    pub fn new(f: &'a F, x: &'a [f64], plan: &'a Plan, record: &'a Record<S, V>) -> Self {
        Self {
            f,
            x,
            plan,
            record,
            next: Cell::new(0),
        }
    }

    /// Whether `xq` is the point of recorded evaluation `k`: x (compared element by
    /// element), or x moved along the axis of its column by the stencil's offset times
    /// the column's step (that element compared bit for bit). The other elements of a
    /// moved point are compared only in debug builds: the general path moves one element
    /// at a time and restores it (`derivative::move_to`), and at a large n the full
    /// comparison cost about 3n instructions per replayed evaluation (a noisy f, whose
    /// call the flat path hands over, at n = 1000: 6.3M instructions more than before the
    /// flat path took large calls, 3.2 times the general path's own overhead).
    fn is_point(&self, k: usize, xq: &[f64]) -> bool {
        let same = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(p, q)| p == q);
        if xq.len() != self.x.len() {
            return false;
        }
        let Some(i) = k.checked_sub(1) else {
            return same(xq, self.x);
        };
        let offsets = self.plan.offsets();
        let j = i / offsets.len();
        let moved = self.x[j] + offsets[i % offsets.len()] * self.record.steps.as_ref()[j];
        let is_moved = xq[j].to_bits() == moved.to_bits();
        debug_assert!(
            !is_moved || (same(&xq[..j], &self.x[..j]) && same(&xq[j + 1..], &self.x[j + 1..])),
            "a replayed point moved more than its column's element"
        );
        is_moved
    }
}

impl<F: Function + ?Sized, S: Slots, V: Slots> Function for Replayed<'_, F, S, V> {
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
