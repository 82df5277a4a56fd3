//! Batches for the directions refined or checked after the first pass (`src/fd/refine/
//! ahead.rs`): elements far below their typical magnitude (`0 < |x_j| < typ_j / 100`)
//! are checked at their own scale, or refined, after the noise trigger has spoken; their
//! first points used to go to a batch callback one at a time (k elements: up to 2k
//! round trips). Now they go in one batch: the same values bit for bit and the same
//! evaluations as serially, and the number of calls for k such elements stays at most
//! `2 + levels` above the plain rule's, whatever k.
//!
//! Exact answers: bit-for-bit the serial default (itself compared with exact derivatives
//! in `tests/fd_refine_own_scale.rs` and `tests/fd_refine.rs`).

use fdvjp::fd::{self, BatchOutcome, Function, Options};
use std::cell::{Cell, RefCell};

/// A scalar f counted, with every call recorded: `eval_many` with its batch size, a
/// single `eval` as 0 (one round trip each).
struct Counted<G> {
    g: G,
    evals: Cell<usize>,
    calls: RefCell<Vec<usize>>,
}

impl<G: Fn(&[f64]) -> f64> Counted<G> {
    fn new(g: G) -> Self {
        Self {
            g,
            evals: Cell::new(0),
            calls: RefCell::new(Vec::new()),
        }
    }
}

impl<G: Fn(&[f64]) -> f64> Function for Counted<G> {
    fn eval(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        self.calls.borrow_mut().push(0);
        self.evals.set(self.evals.get() + 1);
        y[0] = (self.g)(x);
        Ok(())
    }

    fn eval_many(&self, xs: &[f64], ys: &mut [f64], n: usize, _m: usize) -> BatchOutcome {
        self.calls.borrow_mut().push(xs.len() / n);
        for (x, y) in xs.chunks_exact(n).zip(ys.iter_mut()) {
            self.evals.set(self.evals.get() + 1);
            *y = (self.g)(x);
        }
        Ok(())
    }
}

/// The default VJP (v = 1) of `g` at x, serially and with batches of `batch` points:
/// asserts the same gradient bit for bit and the same evaluations; returns the batched
/// calls beyond the plain rule's (its base point and first pass), and the evaluations.
fn extra_calls(g: impl Fn(&[f64]) -> f64 + Copy, x: &[f64], batch: usize) -> (usize, usize) {
    let serial = Counted::new(g);
    let want = fd::vjp(&serial, x, &[1.0], &Options::new()).unwrap();
    let mut opts = Options::new();
    opts.set_batch(batch).unwrap();
    let batched = Counted::new(g);
    let got = fd::vjp(&batched, x, &[1.0], &opts).unwrap();
    for (a, b) in got.iter().zip(&want) {
        assert_eq!(
            a.to_bits(),
            b.to_bits(),
            "batched {a:e} against serial {b:e}"
        );
    }
    assert_eq!(batched.evals.get(), serial.evals.get());
    // The plain rule's calls: f(x), then 2n points in batches of `batch`.
    let plain = 1 + (2 * x.len()).div_ceil(batch);
    let calls = batched.calls.borrow().len();
    (calls - plain, batched.evals.get())
}

/// A well-scaled sum of sines with k elements at 1e-4..1e-3 (checked at their own scale,
/// which agrees): 2 evaluations each, in one batch.
#[test]
fn own_scale_checks_of_k_elements_take_one_batch() {
    let g = |x: &[f64]| {
        x.iter()
            .enumerate()
            .map(|(j, v)| (0.7 * v + 0.3 * j as f64).sin())
            .sum::<f64>()
    };
    for k in [1, 2, 5, 12] {
        let n = 16;
        let mut x: Vec<f64> = (0..n).map(|j| 0.2 + 0.05 * j as f64).collect();
        for (i, xj) in x.iter_mut().take(k).enumerate() {
            *xj = 10f64.powf(-4.0 + i as f64 / k as f64);
        }
        let (extra, evals) = extra_calls(g, &x, 64);
        assert_eq!(evals, 1 + 2 * n + 2 * k, "k = {k}");
        assert!(extra <= 1, "k = {k}: {extra} calls for the checks");
    }
}

/// Sums of logs with k elements at 1e-4..1e-3 (f varies on x_j's own scale: refined
/// down, two levels each): the levels in one batch.
#[test]
fn refinements_of_k_elements_take_one_batch_for_their_levels() {
    let g = |x: &[f64]| x.iter().map(|v| v.ln()).sum::<f64>();
    for k in [1, 3, 8] {
        let n = 12;
        let mut x: Vec<f64> = (0..n).map(|j| 0.5 + 0.1 * j as f64).collect();
        for (i, xj) in x.iter_mut().take(k).enumerate() {
            *xj = 10f64.powf(-4.0 + i as f64 / k as f64);
        }
        let (extra, evals) = extra_calls(g, &x, 64);
        assert!(evals >= 1 + 2 * n + 4 * k, "k = {k}: {evals} evaluations");
        // One batch for the two levels of every column (and a second call where a batch
        // of 64 points does not hold them all).
        assert!(extra <= 2, "k = {k}: {extra} extra calls");
    }
}

/// Cosines near 0 (the step grows): the first level of every column in one batch, the
/// levels after it (which depend on it) one point per call.
#[test]
fn growing_steps_take_one_batch_for_their_first_level() {
    let g = |x: &[f64]| x.iter().map(|v| v.cos()).sum::<f64>();
    let n = 10;
    let x: Vec<f64> = (0..n)
        .map(|j| 10f64.powf(-7.0 + j as f64 / n as f64))
        .collect();
    let (extra, evals) = extra_calls(g, &x, 64);
    let after_first = evals - (1 + 2 * n) - 2 * n;
    assert_eq!(extra, 1 + after_first);
}
