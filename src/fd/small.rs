//! A small VJP in one flat pass: the common case of a dense central VJP with n, m <= 64
//! (issue 15 item 2), on the stack, with the per-column decision made of a few comparisons;
//! and a VJP of any larger n with at most [`HEAP_M`] outputs, its arrays on the heap (issue
//! 11's overhead row, 1000 -> 2: the general path's per-column dispatch, its evaluator
//! behind `dyn Function` and its probe's bookkeeping were 6.6% over the bare loop, 3%
//! here).
//!
//! Why: a VJP of a cheap f with n = 4 or 8 and m = 1 cost 3.5-5 times the bare loop doing
//! the same evaluations, and almost none of that was the evaluations: the general path
//! (`columns.rs`) takes and gives back about ten vectors of the thread's spares, builds a
//! probe, a plan and a workspace, and sends every column through the sweep's dispatch. For
//! the columns that need none of that (well-scaled axis directions whose plain central
//! stencil fits and stays finite, on an f that shows no noise) the general path's work
//! reduces to: the step, the stencil's two evaluations, the fused pass's sums
//! ([`fused::column_sums`]), and [`refine::after_sums`]'s bookkeeping. That is all this
//! path does, into fixed arrays, and it publishes the same report at the end.
//!
//! Everything else goes to the general path, in one of two ways:
//!
//! - before any evaluation, when the options or a column call for more (a sparsity
//!   pattern, batches, adaptive or caller-chosen steps, a declared noise, another scheme, a
//!   column that [`refine::need_at`] suspects a priori or whose stencil does not fit);
//! - after some, when an evaluation fails or is cancelled, f(x) or a stencil point is not
//!   finite, or the noise trigger fires at the end: the general path then runs the whole
//!   call from the start on [`Replayed`], which serves the evaluations already made from
//!   their record (the same points, in the same order) instead of calling f again. So f
//!   is called exactly as the general path alone would call it, and every value, count,
//!   decision, error and report field is the general path's own.
//!
//! Results: bit for bit the general path's (`small/tests.rs` compares the two on random
//! problems of every kind, and checks that it notices a perturbed decision).

use super::alloc::{recycle, zeros};
use super::error::{all_finite, check_finite, FdError};
use super::function::Function;
use super::fused::{self, Plan};
use super::noise;
use super::options::{NoiseMode, Options};
use super::plan::planned_per_direction;
use super::refine::{self, Evidence};
use super::report::{publish, Report};
use super::scheme::Scheme;
use super::step::{exact_step, nominal_step};
use super::vjp::general_vjp;
use replay::{Record, Replayed, Slots};

mod replay;
#[cfg(test)]
mod tests;

/// The largest n and m the flat path takes (its arrays are on the stack).
pub(crate) const MAX_N: usize = 64;
const MAX_M: usize = 64;
/// The most outputs a call of more than [`MAX_N`] inputs may have to take the flat path,
/// its arrays then on the heap: the fused pass's own loop for few outputs
/// (`fused::column_sums`).
const HEAP_M: usize = 3;
/// The most inputs a call may have to take the flat path with its arrays on the heap:
/// `(2n + 1) m + 3n` doubles (the record, kept until a hand-over's replay ends, a moved
/// point, the trigger's second differences), at most 9n where the general path takes
/// about 2n. Capped so that the flat path never adds more than 4.7 MB to a call's peak
/// (n = 2e6 took 175 MB against 65 MB, stop 39's review 5); above it the general path's
/// fixed cost per column is the same share of an f whose cost grows with n.
const HEAP_MAX_N: usize = 1 << 16;
/// The sizes of its arrays, smallest first: n at most `N`, `(2n + 1) m` values at most
/// `V`. Arrays are zeroed when made, so a call takes the smallest that holds it (8 KiB
/// zeroed per call of n = 4 cost as much as the call's other work).
const TIERS: [(usize, usize); 2] = [(8, 64), (MAX_N, 1024)];
/// The arrays of a call with one output and n at most 8 (the small rows of issue 15),
/// whose flat path is compiled for m = 1: its loops over the outputs and the bounds
/// checks of their slices fold away (a third of its instructions per column).
const ONE: (usize, usize) = (8, 2 * 8 + 1);
/// The central stencil's points other than x, in order, and its default relative step.
const OFFSETS: [f64; 2] = [-1.0, 1.0];
const R: f64 = Scheme::Central.default_relative_step();

/// `grad = v^T J(x)` (n entries), as [`vjp`] computes it: by the flat path when it
/// applies, by [`vjp`] otherwise. `grad` must be scratch, not the caller's output: the
/// flat path writes its columns as it goes and may then hand the call to the general
/// path, which can fail, leaving `grad` partly written (`ffi/product.rs` passes a stack
/// array, or scratch for a large n, and copies it out only on success).
pub(crate) fn vjp_into<F: Function + ?Sized>(
    f: &F,
    x: &[f64],
    v: &[f64],
    opts: &Options,
    grad: &mut [f64],
) -> Result<(), FdError> {
    let (n, m) = (x.len(), v.len());
    if takes(opts, n, m) {
        let values = (2 * n + 1) * m;
        if m == 1 && n <= ONE.0 {
            let mut arrays = Arrays::<[f64; ONE.0], [f64; ONE.1]>::stack();
            return vjp_in::<_, _, _, 1>(&mut arrays, f, x, v, opts, grad);
        }
        if n <= TIERS[0].0 && values <= TIERS[0].1 {
            let mut arrays = Arrays::<[f64; TIERS[0].0], [f64; TIERS[0].1]>::stack();
            return vjp_in::<_, _, _, 0>(&mut arrays, f, x, v, opts, grad);
        }
        if n <= TIERS[1].0 && values <= TIERS[1].1 {
            let mut arrays = Arrays::<[f64; TIERS[1].0], [f64; TIERS[1].1]>::stack();
            return vjp_in::<_, _, _, 0>(&mut arrays, f, x, v, opts, grad);
        }
        if let Some(mut arrays) = Arrays::heap(n, m) {
            let result = vjp_in::<_, _, _, 0>(&mut arrays, f, x, v, opts, grad);
            arrays.recycle();
            return result;
        }
    }
    general(f, x, v, opts, grad)
}

/// Whether a VJP of n inputs and m outputs goes to [`vjp_into`] with scratch for its
/// gradient rather than straight to [`vjp`] (`ffi/product.rs`): a large n with at most
/// [`HEAP_M`] outputs, which the flat path may take with its arrays on the heap.
pub(crate) fn takes_large(n: usize, m: usize) -> bool {
    (MAX_N + 1..=HEAP_MAX_N).contains(&n) && (1..=HEAP_M).contains(&m)
}

/// A flat call's arrays: its record, and for n elements each the point moved along a
/// column and the second differences the noise trigger keeps. `S`, `V`: [`Slots`] of at
/// least n and `(2n + 1) m` doubles.
struct Arrays<S, V> {
    record: Record<S, V>,
    point: S,
    kept: S,
}

impl<const N: usize, const V: usize> Arrays<[f64; N], [f64; V]> {
    /// On the stack, for n at most N and `(2n + 1) m` values at most V.
    fn stack() -> Self {
        Self {
            record: Record::new([0.0; N], [0.0; V]),
            point: [0.0; N],
            kept: [0.0; N],
        }
    }
}

impl Arrays<Vec<f64>, Vec<f64>> {
    /// On the heap, for n at most [`HEAP_MAX_N`] and m at most [`HEAP_M`]; `None` when
    /// any array cannot be had (the general path then answers, with its own error if it
    /// cannot either: never an abort, stop 39's review 5).
    fn heap(n: usize, m: usize) -> Option<Self> {
        let values = n.checked_mul(2)?.checked_add(1)?.checked_mul(m)?;
        let values = zeros(values, "the flat path's values").ok()?;
        let each = || zeros(n, "the flat path's arrays").ok();
        let (steps, point, kept) = (each()?, each()?, each()?);
        Some(Self {
            record: Record::new(steps, values),
            point,
            kept,
        })
    }

    /// Gives the vectors back to the thread's spares.
    fn recycle(self) {
        for v in [self.record.steps, self.record.values, self.point, self.kept] {
            recycle(v);
        }
    }
}

/// [`vjp_into`] with the flat path's arrays in `arrays`; `M`: v's length when it is
/// compiled for one (the caller has checked it), 0 for any.
fn vjp_in<F: Function + ?Sized, S: Slots, V: Slots, const M: usize>(
    arrays: &mut Arrays<S, V>,
    f: &F,
    x: &[f64],
    v: &[f64],
    opts: &Options,
    grad: &mut [f64],
) -> Result<(), FdError> {
    // As the general path checks them first.
    check_finite("v", v)?;
    opts.check_point(x)?;
    // `Plan::new(opts)`: the options `takes` admits are the central scheme at the default
    // relative step.
    let plan = Plan::default_central();
    if flat::<_, S, V, M>(f, x, v, (opts, plan), arrays, grad).is_ok() {
        return Ok(());
    }
    let record = &arrays.record;
    if record.evaluated == 0 {
        return general(f, x, v, opts, grad);
    }
    general(&Replayed::new(f, x, plan, record), x, v, opts, grad)
}

/// The general path's gradient into `grad`.
fn general<F: Function + ?Sized>(
    f: &F,
    x: &[f64],
    v: &[f64],
    opts: &Options,
    grad: &mut [f64],
) -> Result<(), FdError> {
    let general = general_vjp(f, x, v, opts)?;
    grad.copy_from_slice(&general);
    recycle(general);
    Ok(())
}

/// Whether the options and sizes are the flat path's: a dense central VJP with the
/// default step rule, one point per evaluation, no noise declared or always estimated;
/// sizes for its stack arrays, or a large n with few outputs ([`takes_large`]).
pub(crate) fn takes(opts: &Options, n: usize, m: usize) -> bool {
    let stack =
        (1..=MAX_N).contains(&n) && (1..=MAX_M).contains(&m) && (2 * n + 1) * m <= TIERS[1].1;
    (stack || takes_large(n, m))
        && opts.scheme() == Scheme::Central
        && opts.learned().is_none()
        && opts.sparsity().is_none()
        && opts.batch() == 1
        && !opts.adaptive()
        && opts.steps().is_none()
        && opts.relative_step().is_none()
        && opts.noise().is_none()
        && opts.noise_mode() != NoiseMode::Estimate
}

/// The flat path stopped: the call goes to the general path (with the evaluations made so
/// far in the record).
pub(crate) struct Handed;

/// The flat path with the columns' stencil `plan`: the gradient into `grad` and the report
/// published, or [`Handed`]. `M`: as [`vjp_in`].
fn flat<F: Function + ?Sized, S: Slots, V: Slots, const M: usize>(
    f: &F,
    x: &[f64],
    v: &[f64],
    (opts, plan): (&Options, &Plan),
    arrays: &mut Arrays<S, V>,
    grad: &mut [f64],
) -> Result<(), Handed> {
    let Arrays {
        record,
        point,
        kept,
    } = arrays;
    let m = if M == 0 { v.len() } else { M };
    let (n, v) = (x.len(), &v[..m]);
    // Each column's step, and whether it is an ordinary one (as `fused::axis_product`
    // decides, before evaluating): `refine::need_at(opts, x, 1.0, Direction::Axis(j), t)`
    // is `Need::Sums` for these options (`takes`: central, default step rule) unless
    // `central_axis_suspect`.
    if !plan.central() {
        return Err(Handed);
    }
    // The central plan's stencil and step rule, as constants (`Plan::of`: its offsets are
    // exactly these; `takes`: the default relative step): what only they decide, and the
    // thresholds made of r, fold at compile time, to the same values.
    let (offsets, r) = (OFFSETS, R);
    let points = offsets.len();
    debug_assert!(plan.offsets() == offsets && r == refine::relative_step_of(opts));
    let steps = &mut record.steps.as_mut()[..n];
    let ordinary = match opts.typical() {
        None => ordinary_steps(opts, plan, x, steps, |_| 1.0),
        Some(typical) => ordinary_steps(opts, plan, x, steps, |j| typical[j]),
    };
    if !ordinary {
        return Err(Handed);
    }
    // `planned_per_direction(opts)`: the central stencil's points (no adaptive steps).
    debug_assert_eq!(planned_per_direction(opts), points);
    let planned = 1 + points.saturating_mul(n);
    record.evaluate(f, x, 0, m, planned)?;
    if !all_finite(record.value(0, m)) {
        return Err(Handed);
    }
    let xp = &mut point.as_mut()[..n];
    xp.copy_from_slice(x);
    let mut report = Report {
        outputs: m,
        ..Report::default()
    };
    let mut trigger = Trigger::new(kept.as_mut());
    let mut bounded = 0;
    let mut lone = false;
    let shared = fused::Shared::new(record.value(0, m), v);
    for j in 0..n {
        let t = record.steps.as_ref()[j];
        let first = 1 + j * points;
        for (k, &o) in offsets.iter().enumerate() {
            // As `move_to` moves and restores the element (`x_j + 0.0` restores -0.0 as 0).
            xp[j] = x[j] + o * t;
            let at = record.evaluate(f, xp, first + k, m, planned);
            xp[j] = x[j] + 0.0;
            at?;
            if k + 1 < points && !all_finite(record.value(first + k, m)) {
                return Err(Handed);
            }
        }
        let values = record.values.as_ref();
        let (stored, y0) = (&values[first * m..(first + points) * m], &values[..m]);
        let (dot, s) = fused::column_sums((stored, y0), v, t, &[], (trigger.max_change, &shared));
        if !dot.is_finite() && !all_finite(record.value(first + points - 1, m)) {
            return Err(Handed);
        }
        // `refine::after_sums` with no noise step (its f_scale is not used after it), then
        // the sweep's count of the direction.
        trigger.max_change = trigger.max_change.max(s.m);
        trigger.note(s.d2, r);
        // A direction `refine/lone.rs` checks once the trigger has declined.
        lone |= refine::lone::may_look_noisy(s.d2, s.m, r)
            && refine::lone::above_size(s.d2, fused::y0_size(y0, v), r);
        let bound = s.trunc
            + refine::truncation_floor(s.d1, r)
            + s.round
            // `s.noise / t`: no noise is known, and t > 0.
            + 0.0
            + s.grid
            + refine::refuted_floor_of(s.d1, s.d2, t, r);
        let mark = bounded;
        if !bound.is_nan() {
            bounded += 1;
        }
        report.bound(bound);
        report.directions += 1;
        if bounded == mark {
            report.unbounded_direction();
        }
        grad[j] = dot;
    }
    if opts.noise_mode() == NoiseMode::Auto
        && !perturbed(Perturb::SkipTrigger)
        && trigger
            .evidence()
            .calls_for_estimate(r * r * trigger.max_change, n)
    {
        return Err(Handed);
    }
    if lone {
        return Err(Handed);
    }
    // `noise::widen_bound` with no noise known.
    let bound = report.error_bound;
    if bound.is_finite() && report.unbounded == 0 {
        let evidence = (trigger.count, &trigger.squares, trigger.largest);
        if let Some(noise) = noise::unseen_noise(opts, evidence, trigger.max_change) {
            let t = noise::smallest_nominal_step(opts, x) * 1.0;
            if noise > 0.0 && t > 0.0 && t.is_finite() {
                report.error_bound = bound + noise / t;
            }
        }
    }
    if perturbed(Perturb::BoundUlp) {
        report.error_bound = f64::from_bits(report.error_bound.to_bits() + 1);
    }
    report.completed = true;
    report.evaluations = record.evaluated;
    publish(report);
    #[cfg(test)]
    FLAT_RUNS.with(|c| c.set(c.get() + 1));
    Ok(())
}

/// Each column's step into `steps`, and whether every column is an ordinary one, with
/// `typ(j)` the typical magnitude of element j: compiled apart for the default of 1, where
/// the step rule's and the suspicion's thresholds fold (about 20 instructions per column).
#[inline(always)]
fn ordinary_steps(
    opts: &Options,
    plan: &Plan,
    x: &[f64],
    steps: &mut [f64],
    typ: impl Fn(usize) -> f64,
) -> bool {
    for (j, &xj) in x.iter().enumerate() {
        // `nominal_step(opts, x, j)`: no steps of the caller's, r the default (`takes`).
        let h = R * xj.abs().max(typ(j));
        debug_assert_eq!(h.to_bits(), nominal_step(opts, x, j).to_bits());
        let t = exact_step(xj, h);
        if !(t > 0.0 && plan.fits(opts, x, j, t))
            || refine::central_axis_suspect(xj.abs(), typ(j), t)
        {
            return false;
        }
        steps[j] = t;
    }
    true
}

/// A decision of the flat path that `small/tests.rs` perturbs, to see that its comparison
/// with the general path notices.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Perturb {
    /// The noise trigger is not asked.
    SkipTrigger,
    /// The reported bound is one ulp larger.
    BoundUlp,
}

#[cfg(test)]
thread_local! {
    static PERTURB: std::cell::Cell<Option<Perturb>> = const { std::cell::Cell::new(None) };
    /// Calls the flat path completed.
    static FLAT_RUNS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
fn perturbed(p: Perturb) -> bool {
    PERTURB.with(|c| c.get() == Some(p))
}

#[cfg(not(test))]
#[inline(always)]
fn perturbed(_: Perturb) -> bool {
    false
}

/// The noise trigger's evidence of one pass, as the probe keeps it
/// (`refine::note_second_difference`), with the second differences kept in `kept` (room
/// for one per column).
struct Trigger<'a> {
    kept: &'a mut [f64],
    len: usize,
    count: usize,
    squares: noise::Squares,
    largest: f64,
    sum: f64,
    nonzero: usize,
    max_change: f64,
}

impl<'a> Trigger<'a> {
    fn new(kept: &'a mut [f64]) -> Self {
        Self {
            kept,
            len: 0,
            count: 0,
            squares: noise::Squares::new(),
            largest: 0.0,
            sum: 0.0,
            nonzero: 0,
            max_change: 0.0,
        }
    }

    /// `refine::note_second_difference`.
    fn note(&mut self, d2: f64, r: f64) {
        self.count += 1;
        self.squares.add(d2);
        self.largest = self.largest.max(d2.abs());
        self.sum += d2;
        self.nonzero += usize::from(d2 != 0.0);
        if refine::kept_for_trigger(d2, r, self.max_change) {
            self.kept[self.len] = d2;
            self.len += 1;
        }
    }

    fn evidence(&self) -> Evidence<'_> {
        Evidence {
            kept: &self.kept[..self.len],
            count: self.count,
            squares: self.squares,
            nonzero: self.nonzero,
            sum: self.sum,
        }
    }
}
