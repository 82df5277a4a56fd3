//! The record of the last computation on this thread: what it cost, which columns needed
//! more than the plain step rule and why, the noise it saw and a bound of its error.
//!
//! Why: a finite difference can be quietly wrong (a step far too large for f's own scale,
//! rounding or noise swamping the difference); the caller deserves to know what the
//! library noticed and did. Each computation keeps a [`Report`] in its probe and publishes
//! it when it ends: complete on success, marked failed (with the counts so far) on error.

use std::cell::RefCell;

/// Where the noise level of a computation came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NoiseSource {
    /// No noise was declared or estimated: f is taken to be exact to rounding.
    #[default]
    None,
    /// The caller declared it ([`crate::fd::Options::set_noise`]).
    Declared,
    /// Estimated from a difference table along a random direction (see `noise.rs`).
    Estimated,
}

/// What the last computation on this thread did. Counts are of this computation only.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Whether it ran to success (false: it failed, and the counts are those made so far;
    /// also false before any computation ran on this thread).
    pub completed: bool,
    /// Evaluations of f made (those served from a batch count once, when evaluated).
    pub evaluations: usize,
    /// Directions differentiated: columns (or column groups), or 1 for a JVP.
    pub directions: usize,
    /// Directions refined because the plain step was too large for f's own scale.
    pub refined_large: usize,
    /// Directions refined because rounding swamped the difference (the step was grown).
    pub refined_rounding: usize,
    /// Directions whose step was chosen from f's noise level.
    pub refined_noise: usize,
    /// Directions that fell back (one-sided stencil, smaller step) after a NaN or infinity,
    /// at the plain stencil or at a point a refinement evaluates (counted once per
    /// refinement that met one).
    pub nonfinite_fallbacks: usize,
    /// Directions whose scheme's stencil did not fit inside the bounds at the plain step.
    pub bound_fallbacks: usize,
    /// The largest estimated absolute error over the result's entries (truncation +
    /// rounding + noise); NaN when the computation gives no estimate, or none for some of
    /// its directions ([`Report::unbounded`] > 0): a bound over the others would not cover
    /// those.
    pub error_bound: f64,
    /// Noise level of each output of f used or estimated; empty when none (then every
    /// output's level is 0), so that an exact f costs no m-sized record.
    pub noise: Vec<f64>,
    /// The number of outputs of f in this computation.
    pub outputs: usize,
    /// Where `noise` came from.
    pub noise_source: NoiseSource,
    /// With a learned sparsity pattern: the largest ratio, over f's outputs, of the
    /// disagreement between a random-direction JVP and the product of the sparse Jacobian
    /// with that direction to its tolerance (above 1: the check failed). NaN when no check
    /// ran.
    pub sparsity_check: f64,
    /// With a learned sparsity pattern: whether the check failed, so that this call was
    /// computed densely and the pattern learned again.
    pub sparsity_relearned: bool,
    /// Directions whose error the computation could not bound: forward or backward
    /// differences not suspect a priori (no third point), fourth-order stencils, steps the
    /// caller chose, adaptive steps, column groups near bounds whose columns took their own
    /// stencils. When any, `error_bound` is NaN.
    pub unbounded: usize,
}

impl Default for Report {
    fn default() -> Self {
        Self {
            completed: false,
            evaluations: 0,
            directions: 0,
            refined_large: 0,
            refined_rounding: 0,
            refined_noise: 0,
            nonfinite_fallbacks: 0,
            bound_fallbacks: 0,
            error_bound: f64::NAN,
            noise: Vec::new(),
            outputs: 0,
            noise_source: NoiseSource::None,
            sparsity_check: f64::NAN,
            sparsity_relearned: false,
            unbounded: 0,
        }
    }
}

impl Report {
    /// Raises `error_bound` to `e` (a NaN bound becomes `e`; a NaN `e` is ignored, an
    /// infinite one counts a direction unbounded), unless some direction has no bound:
    /// then it stays NaN.
    pub(crate) fn bound(&mut self, e: f64) {
        if e == f64::INFINITY {
            // An estimate that overflowed is no bound (drivers that record one bound per
            // direction here directly: the flat path, complex step).
            self.unbounded_direction();
        } else if self.unbounded > 0 {
            self.error_bound = f64::NAN;
        } else if !e.is_nan() && (self.error_bound.is_nan() || e > self.error_bound) {
            self.error_bound = e;
        }
    }

    /// Counts a direction that recorded no bound: the computation's bound becomes NaN.
    pub(crate) fn unbounded_direction(&mut self) {
        self.unbounded += 1;
        self.error_bound = f64::NAN;
    }

    /// The report of a successful computation that had nothing to compute (`n == 0` or
    /// `m == 0`): no evaluation, and an exact (empty or zero) result.
    pub(crate) fn empty(outputs: usize) -> Self {
        Self {
            completed: true,
            error_bound: 0.0,
            outputs,
            ..Self::default()
        }
    }

    /// Adds the counts of `other` (a part of this computation) to this report and raises
    /// the bound to its bound; the noise and the sparsity check become `other`'s when it
    /// has them. `completed` is left to the caller.
    pub(crate) fn merge(&mut self, other: &Report) {
        self.evaluations += other.evaluations;
        self.directions += other.directions;
        self.refined_large += other.refined_large;
        self.refined_rounding += other.refined_rounding;
        self.refined_noise += other.refined_noise;
        self.nonfinite_fallbacks += other.nonfinite_fallbacks;
        self.bound_fallbacks += other.bound_fallbacks;
        self.unbounded += other.unbounded;
        self.bound(other.error_bound);
        if other.noise_source != NoiseSource::None {
            self.noise.clone_from(&other.noise);
            self.noise_source = other.noise_source;
        }
        self.outputs = other.outputs;
        if !other.sparsity_check.is_nan() {
            self.sparsity_check = self.sparsity_check.max(other.sparsity_check);
            self.sparsity_relearned |= other.sparsity_relearned;
        }
    }
}

thread_local! {
    static LAST: RefCell<Report> = RefCell::new(Report::default());
}

/// A copy of the report of the last computation on this thread (a default, not completed,
/// report before any, and in thread-exit code once the thread's storage is gone).
pub fn last_report() -> Report {
    LAST.try_with(|r| r.try_borrow().map(|r| r.clone()).unwrap_or_default())
        .unwrap_or_default()
}

/// Replaces this thread's report; nothing is kept once the thread's storage is gone (a
/// call from a pthread-key destructor or an `atexit` handler must not panic).
pub(crate) fn publish(mut report: Report) {
    if !report.completed {
        // A failed computation has no result to bound: a finite bound beside it would
        // read as one (probe13 finding 12: 130 of 419 failures kept a partial bound).
        report.error_bound = f64::NAN;
    }
    if report.error_bound == f64::INFINITY {
        // A bound scaled or summed past the doubles (a JVP along u = 1e300) is no bound:
        // NaN, with a direction counted (a review, 1 December: +inf with none counted).
        report.error_bound = f64::NAN;
        report.unbounded = report.unbounded.max(1);
    }
    let _ = LAST.try_with(|r| {
        if let Ok(mut slot) = r.try_borrow_mut() {
            *slot = report;
        }
    });
}

/// Marks this thread's last report as failed (its counts kept): the computation finished,
/// but its caller refused the result (a gradient beyond the doubles).
pub(crate) fn withdraw() {
    let _ = LAST.try_with(|r| {
        if let Ok(mut slot) = r.try_borrow_mut() {
            slot.completed = false;
            slot.error_bound = f64::NAN;
        }
    });
}
