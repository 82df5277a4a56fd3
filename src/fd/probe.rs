//! What the directional derivatives of one computation share: the evaluator, the options,
//! the point x with f(x) there, and scratch space. One value instead of six arguments.

use super::alloc::{recycle, resize, scratch, scratch_copy, scratch_for};
use super::error::FdError;
use super::evaluator::Evaluator;
use super::function::Function;
use super::noise;
use super::options::Options;
use super::refine;
use super::report::{publish, NoiseSource, Report};

/// The state of one computation (a VJP, JVP, Jacobian or estimate) at one point.
pub(crate) struct Probe<'a, 'f, F: Function + ?Sized> {
    /// Runs and counts the evaluations.
    pub ev: Evaluator<'f, F>,
    pub opts: &'a Options,
    /// The caller's point (never written).
    pub x: &'a [f64],
    /// f(x), checked finite.
    pub y0: Vec<f64>,
    pub ws: Workspace,
    /// What this computation did; published when the probe is dropped (see [`Probe::finish`]).
    pub report: Report,
    /// The cotangent of a VJP: weights of the outputs in the refinement's tests and bounds.
    pub weights: Option<&'a [f64]>,
    /// The multiple of the plain step that f's noise calls for (1: none known or needed).
    pub step_scale: f64,
    /// Whether the noise estimate has run in this computation.
    pub noise_tried: bool,
    /// A noise estimate an estimate's check made and set aside (`richardson/resolve.rs`):
    /// the report's noise, its source and the step scale it gave, taken up without
    /// evaluations when the estimate is asked for again.
    pub noise_set_aside: Option<(Vec<f64>, super::report::NoiseSource, f64)>,
    /// The noise was estimated by a refinement of the first pass whose value was in doubt
    /// (`refine.rs`, [`super::refine::doubtful`]), not by the trigger: the trigger takes its
    /// verdict at the end of the pass.
    pub noise_mid_pass: bool,
    /// The direction being refined was called suspect by its second difference alone (not
    /// a priori): the plain value's truncation is then what that difference predicts.
    pub curved: bool,
    /// The direction being refined was called suspect a priori (its step straddles x_j,
    /// or x_j lies far above typ_j): a refined value that only its levels' noise puts far
    /// from the plain one is checked between them (`refine.rs`, `shrink_levels`).
    pub a_priori: bool,
    /// The target of the refinement under way before a floor of a few ulps of x raised it
    /// (0: none set; `refine/vector.rs`): `target / r` is the scale f is taken to vary on.
    pub nominal: f64,
    /// The (weighted) second differences `|D2|` of the directions of the first pass judged
    /// not suspect or noise-like (see `refine.rs`) that may still count for the noise
    /// trigger, weighed at the end of the pass against [`Probe::max_change`]: only those
    /// above the faint threshold of the largest change seen so far are kept (that change
    /// only grows), so that a call's memory does not grow with n on a smooth f.
    pub second_differences: Vec<f64>,
    /// Every second difference the trigger counted, whatever its size (while no noise is
    /// known; the first `noise::EVERY_KEPT`): an estimated noise must show in most of them
    /// (`noise::everywhere`).
    pub every_second: Vec<f64>,
    /// How many second differences the trigger has seen, and the sum of their squares
    /// (all of them, kept or not).
    pub second_difference_count: usize,
    pub second_difference_squares: noise::Squares,
    /// Their sum and how many are not zero: how evenly the directions share them
    /// ([`super::noise::spread_evenly`]).
    pub second_difference_sum: f64,
    /// The largest `|D2|` of the pass (stands for the squares' mean where they overflow).
    pub second_difference_largest: f64,
    pub second_difference_nonzero: usize,
    /// Axis directions to refine (`refine.rs`) left until the noise trigger has spoken, in
    /// the first pass of a column loop under `NoiseMode::Auto` (`None` elsewhere): a noisy
    /// f makes large second differences, and the second pass at the noise step would
    /// redo them anyway. With batches, under every mode: their first points are then
    /// evaluated together (`refine/ahead.rs`).
    pub deferred: Option<Vec<refine::Deferred>>,
    /// The largest (weighted) change of f over the step rule's scale, `sum_i |v_i|
    /// max(0.01 |f_i|, |D1_i| t / r)`, over the directions of this pass (central stencils).
    pub max_change: f64,
    /// The largest change of an output of f over the scale the step rule assumes, seen so
    /// far (`|D1| t / r` of plain central stencils; not D2, which noise inflates): the size against which
    /// an estimated noise is significant (f near 0 as a sum of larger terms rounds on
    /// their scale, not on |f|'s).
    pub f_scale: f64,
    /// The largest change of an output over the step rule's scale along the noise
    /// estimate's table (`|f(x + 6δ) - f(x - 6δ)| / 12 r`), 0 before one: under
    /// `NoiseMode::Estimate` the estimate comes before any direction has shown
    /// [`Probe::f_scale`], and an estimated ε below 16 eps of it is the rounding of x's own
    /// moves, not noise (`refine::noise_scale`).
    pub sampled_change: f64,
    /// The step a JVP's direction took where the bounds shrank its stencil (the bound
    /// fall-backs of `derivative.rs` and `bound_edge.rs`, `refine::note_vector_fallback`;
    /// `None`: the nominal step), which its noise widening divides by (`noise::widen_bound`).
    pub fallback_step: Option<f64>,
    /// Bounds recorded so far ([`Probe::bound`]): a direction that adds none is unbounded
    /// ([`Probe::end_direction`]).
    pub bounded: usize,
    /// Set by the drivers before a direction whose first stencil a batch plans
    /// (`plan.rs`) and taken by the derivative along it: without batches, a NaN at one of
    /// that stencil's points has the rest evaluated too, as a batch would have
    /// ([`super::derivative::complete_plan`]).
    pub planned: bool,
    /// What the fused columns share ([`super::fused::Shared`], from f(x) and the VJP's
    /// cotangent), with the address and length of the cotangent it was worked out for.
    pub shared: Option<((usize, usize), super::fused::Shared)>,
    /// Whether a batched run would leave an axis direction refined here for later
    /// ([`Probe::deferred`]: the first sweep of the column loop, outside the paths that
    /// refine their columns in place), and so plan its first levels ahead: the serial run
    /// refining it in place then completes them ([`Probe::ahead_plan`]).
    pub batch_defers: bool,
    /// Serially, the deferred direction being refined and its first levels' steps, which
    /// a batch would have evaluated ahead ([`super::refine::ahead::complete`]).
    pub ahead_plan: Option<(usize, super::refine::ahead::Steps)>,
    /// Central directions whose second difference looked like noise, to check once the
    /// call has found none (`refine/lone.rs`).
    pub lone: Vec<super::refine::lone::Lone>,
    /// More such directions than `lone.rs` keeps: the call has no bound if none was noise.
    pub lone_overflow: bool,
    /// A JVP's vector kept in `lone`: its plain second differences, output by output.
    pub lone_second: Vec<f64>,
    /// f's size at x as `lone.rs` weighs it (`sum |v_i| |f_i(x)|`, or unweighted), formed
    /// at the first direction that asks: neither f(x) nor the weights change within a
    /// computation, and forming it at every such direction was a pass over m each
    /// (3% of a 1000 -> 1000 VJP's time, issue 15).
    pub lone_size: Option<f64>,
    /// The levels of a noise estimate the call's directions refuted (`noise::reject`).
    pub refuted_noise: Vec<f64>,
    /// Whether the report's noise is some columns' own (`refine/lone_noise.rs`,
    /// `some_columns`), not the whole call's.
    pub noise_by_column: bool,
    /// Whether a vector's refinement found no step that serves every element it moves (the
    /// floor of one above the scale another needs, `refine/vector.rs`): the JVP then takes
    /// that direction column by column.
    pub mixed_scales: bool,
}

impl<'a, 'f, F: Function + ?Sized> Probe<'a, 'f, F> {
    /// Announces `planned` evaluations (for progress reports), then evaluates f(x), or takes
    /// the caller's `known` value of it.
    pub fn new(
        f: &'f F,
        opts: &'a Options,
        x: &'a [f64],
        m: usize,
        known: Option<&[f64]>,
        planned: usize,
    ) -> Result<Self, FdError> {
        opts.check_noise(m)?;
        let mut ev = Evaluator::new(f);
        ev.plan(planned);
        let y0 = match ev.base(x, m, known) {
            Ok(y0) => y0,
            Err(e) => {
                publish(Report {
                    evaluations: ev.count(),
                    ..Report::default()
                });
                return Err(e);
            }
        };
        let mut report = Report {
            outputs: m,
            ..Report::default()
        };
        if let Some(levels) = opts.noise() {
            report.noise = (0..m).map(|i| levels[i.min(levels.len() - 1)]).collect();
            report.noise_source = NoiseSource::Declared;
        }
        Ok(Self {
            ev,
            opts,
            x,
            y0,
            ws: Workspace::new(x, m),
            report,
            weights: None,
            step_scale: 1.0,
            noise_tried: false,
            noise_set_aside: None,
            noise_mid_pass: false,
            curved: false,
            a_priori: false,
            nominal: 0.0,
            // Taken at the first entry, with room for one per axis direction, from the
            // thread's spare vectors: a small call allocates nothing
            // (tests/c/native_small_calls.c), and one that keeps no entry takes nothing.
            second_differences: Vec::new(),
            every_second: Vec::new(),
            second_difference_count: 0,
            // As `Iterator::sum` starts: the trigger's sum of squares, bit for bit.
            second_difference_squares: noise::Squares::new(),
            second_difference_sum: 0.0,
            second_difference_largest: 0.0,
            second_difference_nonzero: 0,
            deferred: None,
            max_change: 0.0,
            f_scale: 0.0,
            sampled_change: 0.0,
            fallback_step: None,
            bounded: 0,
            planned: false,
            shared: None,
            batch_defers: false,
            ahead_plan: None,
            lone: Vec::new(),
            lone_overflow: false,
            lone_second: Vec::new(),
            lone_size: None,
            refuted_noise: Vec::new(),
            noise_by_column: false,
            mixed_scales: false,
        })
    }

    /// Marks the computation successful; its report is published when the probe drops.
    pub fn finish(&mut self) {
        self.report.completed = true;
    }

    /// Raises the report's bound to one direction's entry bound `e`; a NaN or infinite `e`
    /// (no bound) is not recorded.
    pub fn bound(&mut self, e: f64) {
        // An infinite bound (an estimate that overflowed) is no bound: the direction then
        // counts as unbounded, as the report's contract says (an independent probe, 1
        // December: +inf with nothing unbounded).
        let e = if e.is_finite() { e } else { f64::NAN };
        if !e.is_nan() {
            self.bounded += 1;
        }
        self.report.bound(e);
    }

    /// The mark to pass to [`Probe::end_direction`] before differentiating a direction.
    pub fn start_direction(&self) -> usize {
        self.bounded
    }

    /// Differentiates one part of a direction (a sub-group or a column of a column group
    /// taken apart) by `part`, and says whether the part recorded a bound. Why: a part
    /// without one makes the whole direction unbounded ([`Probe::part_unbounded`]), which
    /// the other parts' bounds must not hide, and the direction must count once.
    pub fn part<R>(&mut self, part: impl FnOnce(&mut Self) -> R) -> (R, bool) {
        let mark = self.bounded;
        let r = part(self);
        (r, self.bounded > mark)
    }

    /// Counts the current direction unbounded, once, after some part of it recorded no
    /// bound ([`Probe::part`]); as a recorded (no-)bound, so that
    /// [`Probe::end_direction`] does not count it again.
    pub fn part_unbounded(&mut self) {
        self.report.unbounded_direction();
        self.bounded += 1;
    }

    /// After a direction: counts it unbounded when it recorded no bound since `mark`
    /// (a forward difference not refined, ...), which makes the report's bound NaN rather
    /// than a bound of the other directions only. Under adaptive steps always: the scan
    /// records none, and the fixed-step fall-back it may end in (a stencil across a pole)
    /// bounds a value its own stencil cannot judge (probe13 7: 7.8 times short).
    pub fn end_direction(&mut self, mark: usize) {
        if self.bounded == mark || self.opts.adaptive() {
            self.report.unbounded_direction();
        }
    }
}

impl<F: Function + ?Sized> Drop for Probe<'_, '_, F> {
    /// Publishes the report: completed if [`Probe::finish`] was called, else failed with
    /// the counts so far; gives f(x) back to the thread's spare vectors.
    fn drop(&mut self) {
        self.report.evaluations = self.ev.count();
        publish(std::mem::take(&mut self.report));
        recycle(std::mem::take(&mut self.y0));
        recycle(std::mem::take(&mut self.second_differences));
        recycle(std::mem::take(&mut self.every_second));
    }
}

/// Scratch space for one direction: the perturbed point and one output.
pub(crate) struct Workspace {
    /// A private copy of x (the caller's x is never written).
    pub xp: Vec<f64>,
    /// One output (the fused path's product terms, `fused.rs`: it evaluates into
    /// `points`).
    pub y: Vec<f64>,
    /// After [`super::derivative::apply`] (empty before the first, see [`Workspace::columns`]):
    /// `sum_k |w_k| |f_i(x + o_k t d)| / t`, the scale
    /// of the rounding error of each output's difference quotient (in units of the
    /// relative error of f).
    pub magnitude: Vec<f64>,
    /// After [`super::derivative::apply`]: `sum (f(x + o t d) - f(x))` over the stencil's
    /// points at `o = ±1`: the second difference `D2` of a central stencil.
    pub second: Vec<f64>,
    /// The outputs at a stencil's points, point after point (`fused.rs`; empty until used).
    pub points: Vec<f64>,
    /// The points (besides x) [`super::derivative::apply`] evaluated in its last call: all
    /// of the stencil's, or up to the first non-finite value.
    pub evaluated: usize,
}

impl Workspace {
    /// From the thread's spare vectors when it has them (no allocation on a small call).
    pub fn new(x: &[f64], m: usize) -> Self {
        Self {
            xp: scratch_copy(x),
            y: scratch(m),
            magnitude: Vec::new(),
            second: Vec::new(),
            points: scratch_for(0, 2 * m),
            evaluated: 0,
        }
    }
}

impl Workspace {
    /// Sizes `magnitude` and `second` for `m` outputs: only a column built output by
    /// output needs them (a VJP's fused columns do not, see `fused.rs`), so they are not
    /// taken before (a small VJP's call then spends nothing on them).
    pub fn columns(&mut self, m: usize) {
        for v in [&mut self.magnitude, &mut self.second] {
            if v.len() < m {
                resize(v, m);
            }
        }
    }
}

impl Drop for Workspace {
    /// Gives the vectors back to the thread's spare vectors.
    fn drop(&mut self) {
        for v in [
            &mut self.xp,
            &mut self.y,
            &mut self.magnitude,
            &mut self.second,
            &mut self.points,
        ] {
            recycle(std::mem::take(v));
        }
    }
}
