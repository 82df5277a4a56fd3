//! Estimating the noise of f's outputs from a table of values along one direction.
//!
//! Why: many functions handed to a finite-difference library are not exact (an ODE solver
//! with a tolerance, an iterative solver, a simulation): their values carry noise far above
//! rounding, and the best step depends on it.
//!
//! The sampling is ECnoise's (J. J. Moré and S. M. Wild, "Estimating computational noise",
//! SIAM J. Sci. Comput. 33(3), 2011), written here from the paper: f at `x + k δ u`, `k =
//! -6..=6`, along a fixed pseudo-random sign vector `u` scaled by each element's plain
//! step `δ_j`, where a smooth f is a polynomial of low degree to far below its noise. So
//! is the test that noise, not the trend, is measured: an estimate counts only where it
//! agrees with the next two orders. The estimate itself is the residual root mean square
//! of the least-squares polynomial of degree q, `sqrt(RSS_q / (13 - q - 1))`, unbiased for
//! σ² once the trend is below the noise (the residual mean square of linear least
//! squares; e.g. N. R. Draper and H. Smith, "Applied Regression Analysis", 3rd ed., 1998,
//! ch. 2 and 5), at the first q where it agrees with q + 1 and q + 2 within 1.5: ECnoise's
//! scaled k-th differences of 9 points (`σ_k² = mean (Δ^k f)² (k!)² / (2k)!`) have only
//! `9 - k` correlated samples, and put σ at 0.22..2.07 of the true one over 50 random
//! points (hash noise on a sum of 20 sines; 1.8% of simulated draws outside a factor 3);
//! the residuals of 13 points keep `12 - q` degrees of freedom (0.1%). When no degree
//! qualifies the output gets no estimate (a smooth trend dominates even at degree 8).
//!
//! Cost: 12 evaluations (f(x) is known). Points that leave the bounds use `k = 0..=12`
//! instead, or under [`NoiseMode::Estimate`] a direction turned or shortened to fit
//! ([`turned_inside`]); if no element can move, or f is not finite at one of the points,
//! there is no estimate.

use super::bounds::Bounds;
use super::derivative::move_to;
use super::derivative::Direction;
use super::error::FdError;
use super::function::Function;
use super::options::{NoiseMode, Options};
use super::probe::Probe;
use super::quantum;
use super::report::NoiseSource;
use super::step::{noise_step, nominal_step, typical_step};

/// Evaluations one estimate makes.
pub(crate) const NOISE_POINTS: usize = 12;

/// Highest degree of the polynomials fitted.
const DEGREES: usize = 8;

/// Residual levels of three consecutive degrees within this factor: the trend is gone.
const AGREE: f64 = 1.5;

/// The largest coefficient of variation (standard deviation over mean) of the nonzero
/// `|D2|` of a call's directions that still reads as noise spread over every direction.
const EVEN: f64 = 0.9;

/// The sum of the squares of a call's second differences, kept at a power-of-two scale
/// fixed by the first one that is not zero, so that it neither overflows nor underflows
/// whatever f's size: squared plainly, second differences of outputs near 1e-270 summed
/// to 0 and those of outputs near 1e160 to infinity, and the trigger and the bound's
/// widening lost them (review 4). A power of two scales exactly: every decision and bound
/// is bit for bit that of f scaled back.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Squares {
    scaled: f64,
    /// 0 until the first second difference that is not zero.
    scale: f64,
    /// Whether the scale is 1: the plain sum, at a small call's cost.
    plain: bool,
}

impl Squares {
    /// No second difference yet (`-0.0`, `Iterator::sum`'s start).
    pub(crate) const fn new() -> Self {
        Self {
            scaled: -0.0,
            scale: 0.0,
            plain: false,
        }
    }

    /// Counts a second difference: its plain square once the scale is 1 (every f whose
    /// first second difference that is not zero lies within 1e-100..1e100).
    #[inline(always)]
    pub(crate) fn add(&mut self, d2: f64) {
        if self.plain {
            self.scaled += d2 * d2;
        } else {
            self.add_scaled(d2);
        }
    }

    /// [`Squares::add`] before the scale is fixed, or at a scale other than 1. A value far
    /// above those before it (outputs of mixed sizes, weighted by a v of 1 and 1e-250:
    /// a first D2 of 1e-266, then 1e-11) moves the scale down to it, the sum with it
    /// (a power of two: exactly, or to 0 where the earlier squares are negligible).
    #[cold]
    #[inline(never)]
    fn add_scaled(&mut self, d2: f64) {
        let top = d2.abs();
        if d2 != 0.0 && (self.scale == 0.0 || top * self.scale > *IN_RANGE.end()) {
            let scale = power_of_two_near_one(top);
            if self.scale != 0.0 {
                self.scaled *= (scale / self.scale).powi(2);
            }
            (self.scale, self.plain) = (scale, scale == 1.0);
        }
        let a = d2 * self.scale();
        self.scaled += a * a;
    }

    fn scale(&self) -> f64 {
        if self.scale == 0.0 {
            1.0
        } else {
            self.scale
        }
    }

    /// Their root mean square over `count`.
    pub(crate) fn rms(&self, count: usize) -> f64 {
        (self.scaled / count as f64).sqrt() / self.scale()
    }

    /// Whether the sum exceeds `count` squares of `level`.
    pub(crate) fn above(&self, level: f64, count: usize) -> bool {
        self.scaled > (level * self.scale()).powi(2) * count as f64
    }

    /// Whether `nonzero` values summing to `sum` have a coefficient of variation below
    /// `spread`: `nonzero squares < (1 + spread^2) sum^2`.
    pub(crate) fn even(&self, nonzero: usize, sum: f64, spread: f64) -> bool {
        let sum = sum * self.scale();
        nonzero as f64 * self.scaled < (1.0 + spread * spread) * sum * sum
    }
}

/// Sizes whose squares, and sums of any number of them, stay normal.
const IN_RANGE: std::ops::RangeInclusive<f64> = 1e-100..=1e100;

/// 1 where `top` (finite) lies within [`IN_RANGE`], where sums of squares of values of
/// its size stay normal over any number of terms a call makes; elsewhere the power of two
/// that brings it into [1, 2).
fn power_of_two_near_one(top: f64) -> f64 {
    if !top.is_finite() || IN_RANGE.contains(&top) {
        return 1.0;
    }
    // 2^-e with 2^e <= top < 2^(e+1); e lies in -1074..=1023.
    let e = top.log2().floor() as i32;
    2f64.powi(-e.clamp(-1022, 1023))
}

/// The noise a call with no noise known may carry unseen, in units of `1 / t` (the
/// widening of [`widen_bound`] without the step), from its `count` second differences
/// (`squares`: their squares' sum; `largest`: the largest in magnitude) and its largest
/// change `max_change`; `None` when it widens nothing (not [`NoiseMode::Auto`], no
/// second difference, or below the band). Where the squares overflow all the same (an
/// infinite second difference, or one beyond 1e154 after a first within [`IN_RANGE`]),
/// the largest stands for their root mean square, above it by at most `sqrt(count)`: the
/// sum was infinite, and so was the bound (probe14 finding 9). Shared with the small calls' flat path (`small.rs`).
pub(crate) fn unseen_noise(
    opts: &Options,
    (count, squares, largest): (usize, &Squares, f64),
    max_change: f64,
) -> Option<f64> {
    if opts.noise_mode() != NoiseMode::Auto || count == 0 {
        return None;
    }
    let rms = squares.rms(count);
    let rms = if rms.is_infinite() { largest } else { rms };
    let r = opts
        .relative_step()
        .unwrap_or_else(|| opts.scheme().default_relative_step());
    if rms.is_nan() || rms * few(count) < UNSEEN_BAND * r * r * max_change {
        return None;
    }
    Some(UNSEEN_SHARE * fewer(count) * rms)
}

/// The smallest nominal step of a call at x (before a noise step's scale), the `t` of
/// [`widen_bound`].
/// The smallest axis step at the step scale `scale` ([`noise_step`]; the smallest
/// nominal step times `scale` when no element is far above its typical magnitude).
fn smallest_noise_step(opts: &Options, x: &[f64], scale: f64) -> f64 {
    (0..x.len())
        .map(|j| noise_step(opts, x, j, nominal_step(opts, x, j), scale))
        .fold(f64::INFINITY, f64::min)
}

pub(crate) fn smallest_nominal_step(opts: &Options, x: &[f64]) -> f64 {
    (0..x.len())
        .map(|j| nominal_step(opts, x, j))
        .fold(f64::INFINITY, f64::min)
}

/// Whether `nonzero` second differences `|D2|` (sum `sum`, sum of squares `squares`) are
/// shared evenly enough between the directions to be noise: their coefficient of
/// variation is below [`EVEN`], i.e. `nonzero squares < (1 + EVEN^2) sum^2`.
///
/// Why: three points per direction cannot tell noise from curvature by size (noise ε
/// makes `|D2| ≈ ε`, the size a curvature of `ε / t^2` makes), but they differ in how
/// the directions share it. Noise gives every direction a second difference of the same
/// law, `u(x+t) + u(x-t) - 2 u(x)` (its common part `-2 u(x)` only makes them more
/// alike): their spread is that of a sum of two or three draws, a coefficient of
/// variation of 0.3..0.9 (uniform noise, n = 8..50, 5th..95th percentile). An exact f
/// whose root mean square `|D2|` passes the spread rule gets there from a few
/// directions of high frequency or amplitude (`t^2 f''_jj` differs from one direction to
/// the next): the sums of sines of `tests/fd_refine.rs` at n = 8..12 that met the rule
/// (1 in 100..200 draws) had 0.95..2.2. The two overlap at n = 8..9, where 8 or 9 values
/// estimate the spread poorly: 0.9 keeps 0.05% of those sums (1% before) and misses 4%
/// more of hash noise of 1e-10 (92% noticed; simulated). Exact zeros are left out: an
/// input f does not see (a solver that ignores it) moves no value and says nothing of
/// the others.
pub(crate) fn spread_evenly(nonzero: usize, sum: f64, squares: &Squares) -> bool {
    squares.even(nonzero, sum, EVEN)
}

/// The noise share of an entry's error bound, in units of `ε / t` (ε the noise level, a
/// standard deviation; t the step): each direction's bound counts `ε / t` once, and the
/// call's bound takes `NOISE_SHARE` times it ([`widen_bound`]). Why: one entry's noise
/// error is `(u(x+t) - u(x-t)) / 2t`, up to `√3 ε / t` for uniform noise (`2.1 ε / t` at
/// three standard deviations of Gaussian noise), and an estimated ε may be 0.4 of the
/// true one (`tests/noisy_random_points.rs`).
pub(crate) const NOISE_SHARE: f64 = 3.0;

/// The root mean square of the call's `|D2|` (weighted sums over outputs), in units of
/// `r^2 M` (M the call's largest change of f over the step rule's scale), from which the
/// noise f may carry unseen is counted in the bound ([`widen_bound`]): the lower edge of
/// the band where three points cannot tell noise from curvature (the trigger's spread
/// rule starts at 3.5). Hash noise of 3.2e-11 on a sum of sines reaches it at every one
/// of 120 random points (n = 8, 20, 50), 1e-11 at about half; exact functions reach it
/// too (random sums of sines of `tests/noisy_random_points.rs`'s `Exact`: 44%, cubics
/// 15%, sums of exp or log 2%), and their bounds widen (up to 1.3e5 times).
const UNSEEN_BAND: f64 = 1.0;

/// The possible noise error of an entry, in units of `rms |D2| / t`: noise of amplitude ε
/// (uniform, standard deviation `ε / √3`) gives `E D2^2 = 2 ε^2`, or `4/3 ε^2` where f(x)'s
/// own noise is near 0, so `ε <= 0.87 rms |D2|`; an entry's noise error is at most
/// `ε / t`, and 8 directions estimate the root mean square within a factor of about 2
/// (1.5 left one of 40 points at n = 8 uncovered, by 5%).
const UNSEEN_SHARE: f64 = 2.0;

/// The multiple of [`UNSEEN_SHARE`], and the divisor of [`UNSEEN_BAND`], for a call of
/// `count` directions: one second difference (a JVP, or a sparse pattern of one column
/// group) estimates the noise's root mean square poorly. The noise error of an entry is
/// `|u(x+t) - u(x-t)| / 2t`; a single `|u(x+t) + u(x-t) - 2 u(x)|` falls below a quarter
/// of `|u(x+t) - u(x-t)|` in 8% of uniform draws, below a 32nd in 1% (simulated), so one
/// direction counts `16 |D2| / t` (1% of pure-noise draws uncovered, against 8% at the
/// dense share of 2), and from `|D2| = r^2 M / 8` on: at the dense band, hash noise of
/// 3.2e-11 along random directions was uncovered at 3 to 5 of 20 points
/// (`tests/noisy_report_bound_paths.rs`). Two or more directions keep the factors of 1
/// (`tests/noisy_report_bound.rs`).
fn few(count: usize) -> f64 {
    if count == 1 {
        SINGLE
    } else {
        1.0
    }
}

/// See [`few`].
const SINGLE: f64 = 8.0;

/// The multiple of [`UNSEEN_SHARE`] for `count` directions: [`few`]'s for one, and for two
/// to seven a root mean square of so few `|D2|` still reads the noise low. The largest
/// noise error of n entries over the root mean square of their n second differences
/// (uniform noise, 2 10^5 draws simulated) exceeds the dense share of 2 at 3.7% of draws
/// for n = 2, 2.1% for 3, 1.3% for 4, 0.8% for 5, 0.3% for 8; with these factors at 0.5%,
/// 0.3%, 0.3%, 0.4% and 0.3% (hash noise of 1e-8 on sums of sines, n = 2..5, unseen by
/// the trigger: 10 of 2,400 bounds short by up to 2.9 times, `tests/noisy_step_bound_floor.rs`).
/// Only the widening changes, not the band where it applies ([`few`]).
fn fewer(count: usize) -> f64 {
    match count {
        1 => SINGLE,
        2 => 3.0,
        3 => 2.0,
        4 => 1.5,
        5..=7 => 1.25,
        _ => 1.0,
    }
}

/// At the end of a column loop or a JVP, with the call's error bound recorded: widens it
/// by what noise may add beyond the `ε / t` each direction counted. Only the bound
/// changes: values, steps and evaluations are those of the call. `step` is a JVP's step
/// along its direction; a column loop's is the smallest step of the call.
///
/// - A noise level known (declared or estimated): by `(NOISE_SHARE - 1) ε / t`, t the
///   smallest step of the call and ε the outputs' levels weighted as the entries are.
///   With `ε / t` alone the largest of 8 entries exceeded the bound at 2 of 40 random
///   points (hash noise of 1e-9 estimated, n = 8; by 19%).
/// - None known, under [`NoiseMode::Auto`]: by [`UNSEEN_SHARE`] `rms |D2| / t` where the
///   root mean square of the call's second differences is at least [`UNSEEN_BAND`] `r^2
///   M`, as if all of it were noise (one direction: see [`few`]). Three points per
///   direction cannot tell noise from curvature by size, and the trigger only fires well
///   above this band: hash noise of
///   3.2e-11..1e-10 that it missed lost 1e-6..1.6e-5 at the plain step where the bound
///   said 1e-10 (1.6e4 times too low; `tests/noisy_report_bound.rs`). Noise below
///   the band stays unseen and uncounted, from where its error `ε / t` passes the
///   exact-function bound (`ε ≈ 2 eps |f|`: hash noise on a sum of sines, |f| ≈ 2,
///   uncovered at 2 of 60 random points at 1e-15, 24 to 44 of 60 at 1e-14..1e-11, by up
///   to 1.4e4) up to the band (3.2e-11: none): its second differences are below the
///   curvature's, whose root mean square exact functions reach too. Counting every
///   call's `2 rms |D2| / t` would cover it and make every exact function's bound first
///   order, about `r |f'|` (1e4 to 1e5 times wider; a quadratic's, exact to rounding,
///   1e-5 of its derivative). [`NoiseMode::Off`] keeps the exact-function bound.
pub(crate) fn widen_bound<F: Function + ?Sized>(p: &mut Probe<'_, '_, F>, step: Option<f64>) {
    let bound = p.report.error_bound;
    if !bound.is_finite() || p.report.unbounded > 0 {
        return;
    }
    let (opts, x) = (p.opts, p.x);
    let smallest_step =
        || step.unwrap_or_else(|| smallest_noise_step(opts, x, p.step_scale.max(1.0)));
    // Columns of a call judged one by one (`refine/lone_noise.rs`, `some_columns`): the
    // noise their tables showed is not the other columns', whose bound still counts what
    // their second differences may hide (an exact column with a feature below its step,
    // 3.7 times short without it, stop 38's third review).
    let unseen = p.report.noise_source == NoiseSource::None || p.noise_by_column;
    let unseen = if unseen {
        let evidence = (
            p.second_difference_count,
            &p.second_difference_squares,
            p.second_difference_largest,
        );
        unseen_noise(opts, evidence, p.max_change)
    } else {
        None
    };
    let known = (p.report.noise_source != NoiseSource::None).then(|| {
        let level = match p.weights {
            Some(w) => p
                .report
                .noise
                .iter()
                .zip(w)
                .map(|(e, v)| e * v.abs())
                .sum::<f64>(),
            None => p.report.noise.iter().fold(0.0f64, |a, &e| a.max(e)),
        };
        (NOISE_SHARE - 1.0) * level
    });
    let noise = match (unseen, known) {
        (None, None) => return,
        (a, b) => a.unwrap_or(0.0).max(b.unwrap_or(0.0)),
    };
    let t = smallest_step();
    if noise > 0.0 && t > 0.0 && t.is_finite() {
        p.report.error_bound = bound + noise / t;
    }
}

/// A loud spread: the root mean square of the call's `|D2|`, over at least 8 directions,
/// above `LOUD r^2 M` (M the call's largest change) with a coefficient of variation below
/// [`LOUD_EVEN`]: noise, though shared less evenly than [`spread_evenly`] asks.
const LOUD: f64 = 9.0;
/// See [`LOUD`].
const LOUD_EVEN: f64 = 1.3;

/// Whether `count` second differences `|D2|` (`nonzero` of them not zero, sum `sum`, sum
/// of squares `squares`) spread loudly over the directions ([`LOUD`]); `unit` is `r^2 M`.
///
/// Why: at n = 8..11 the evenness test of the spread rule misses hash noise of 3.2e-10
/// at 1.7% of random points (34 of 2,000 simulated; 3% of the README's 40 at n = 8, with
/// errors up to 108 ε^(2/3)): 8..11 values estimate a coefficient of variation poorly, and
/// those points had 0.9..1.24 at a root mean square of 9.8..20 `r^2 M`. Exact functions
/// that far above the rule's 3.5 are rare and uneven: over 5,841 simulated random sums of
/// sines (n >= 8, 70% at 8..12) the loudest had 8.3 (coefficient of variation 1.87) and
/// 7.4 (1.11); cubics at most 2.8, sums of exp or log 1.0; none meets this rule, which
/// catches 33 of those 34 points. Noise of 1e-10 missed at n = 8..11 (134 of 2,000) has
/// a root mean square of 1.8..4.7 `r^2 M`, where the exact sums of sines lie too: no
/// rule on these sums separates them (1 caught).
pub(crate) fn loud_spread(
    count: usize,
    nonzero: usize,
    sum: f64,
    squares: &Squares,
    unit: f64,
) -> bool {
    count >= 8 && squares.above(LOUD * unit, count) && squares.even(nonzero, sum, LOUD_EVEN)
}

/// How far the noise estimate moves element j per point: its plain step; far above
/// typ_j, typ_j's scale (`typical_step`); far below it (`0 < |x_j| < typ_j / 100`, no
/// absolute steps of the caller), `r |x_j|`. Why the last: six plain steps `r typ_j`
/// reach across an element nearer 0 than that, and the table read f's own variation
/// there as noise: `0.2 log|x_1|` at `x_1 = 2.9e-12` was read as noise of 0.88, and every
/// column of the call then took the noise step (`tests/fd_refine.rs`, a VJP entry 86.49
/// for 14.37 and one -1.0e-11 for -1.2e10, with a bound of 87.5).
fn sampling_step(opts: &Options, x: &[f64], j: usize) -> f64 {
    if let Some(h) = typical_step(opts, x, j) {
        return h;
    }
    let (ax, typ) = (x[j].abs(), opts.typical().map_or(1.0, |t| t[j]));
    if opts.steps().is_none() && ax != 0.0 && ax < typ / FAR_BELOW {
        let r = opts
            .relative_step()
            .unwrap_or_else(|| opts.scheme().default_relative_step());
        return r * ax;
    }
    nominal_step(opts, x, j)
}

/// `|x_j|` below `typ_j / FAR_BELOW`: x_j's own scale ([`sampling_step`]; `refine.rs`'s
/// `SMALL_X`).
const FAR_BELOW: f64 = 100.0;

/// Per output, the estimated noise (standard deviation) of f, or `None` where the table
/// shows none (a smooth trend dominates) and the whole estimate when the points do not
/// fit inside the bounds or f is not finite at one of them.
pub(crate) fn estimate<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
) -> Result<Option<Vec<Option<f64>>>, FdError> {
    let (opts, x) = (p.opts, p.x);
    let n = x.len();
    let m = p.y0.len();
    // The direction: signs from a fixed linear congruential sequence (reproducible), each
    // element moved by its own plain step.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut delta: Vec<f64> = (0..n)
        .map(|j| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let sign = if state >> 63 == 0 { 1.0 } else { -1.0 };
            sign * sampling_step(opts, x, j)
        })
        .collect();
    let fits = |lo: f64, hi: f64| match opts.bounds() {
        None => true,
        Some(b) => (0..n).all(|j| {
            let (a, c) = (lo * delta[j], hi * delta[j]);
            b.admits(j, x[j], (a.min(c), a.max(c)))
        }),
    };
    let half = (NOISE_POINTS / 2) as i32;
    let first = if fits(-f64::from(half), f64::from(half)) {
        -half
    } else if fits(0.0, NOISE_POINTS as f64) {
        0
    } else {
        // Only where the caller asked for the estimate: under the default the trigger's
        // estimate beside a bound keeps its count (exact functions at small x, whose second
        // differences call for it, would make 12 more evaluations).
        let asked = opts.noise_mode() == NoiseMode::Estimate;
        match opts.bounds() {
            Some(b) if asked && turned_inside(b, x, &mut delta) => 0,
            _ => return Ok(None),
        }
    };
    let points = NOISE_POINTS + 1;
    let mut values = vec![0.0; points * m];
    let dir = Direction::Vector(&delta);
    for k in 0..points {
        let o = f64::from(first + k as i32);
        let row = &mut values[k * m..(k + 1) * m];
        if o == 0.0 {
            row.copy_from_slice(&p.y0);
            continue;
        }
        move_to(&mut p.ws.xp, x, dir, o);
        let result = p.ev.eval(&p.ws.xp, &mut p.ws.y, || {
            format!("x + {o}*d (noise estimate, d = the plain steps with random signs)")
        });
        move_to(&mut p.ws.xp, x, dir, 0.0);
        result?;
        if p.ws.y[..m].iter().any(|v| !v.is_finite()) {
            return Ok(None);
        }
        row.copy_from_slice(&p.ws.y[..m]);
    }
    let r = opts
        .relative_step()
        .unwrap_or_else(|| opts.scheme().default_relative_step());
    let (last, span) = ((points - 1) * m, (points - 1) as f64 * r);
    p.sampled_change = (0..m)
        .map(|i| (values[last + i] - values[i]).abs() / span)
        .fold(p.sampled_change, f64::max);
    Ok(Some(
        (0..m)
            .map(|i| {
                let column: Vec<f64> = (0..points).map(|k| values[k * m + i]).collect();
                level(&column)
            })
            .collect(),
    ))
}

/// Turns the estimate's direction `delta` to one whose points `x + k delta`, `k =
/// 0..=12`, stay inside the bounds `b`: each element moves towards the side with room for
/// its whole step, else by the most that the roomier side takes (0 for an element pinned
/// at both bounds). False when no element can move.
///
/// Why: noise is a property of f's values, not of a direction, so any direction that
/// moves f will do; skipping the estimate beside a bound left the bound blind to noise
/// (probe13 finding 6: an upper bound 8e-6 above x0, noise 2.4e-11, 1.1e4 times short).
fn turned_inside(b: &Bounds, x: &[f64], delta: &mut [f64]) -> bool {
    let span = NOISE_POINTS as f64;
    for (j, d) in delta.iter_mut().enumerate() {
        let reach = span * d.abs();
        let (ahead, behind) = (
            b.room(j, x[j], (0.0, reach)),
            b.room(j, x[j], (0.0, -reach)),
        );
        let (sign, room) = match (d.signum(), ahead >= behind) {
            (s, _) if b.admits(j, x[j], (0.0, s * reach)) => (s, 1.0),
            (_, true) => (1.0, ahead),
            (_, false) => (-1.0, behind),
        };
        *d = sign * d.abs() * room.min(1.0);
        // Rounding at the bound: one ulp's shortfall leaves the element where it is.
        if !b.admits(j, x[j], (0.0, span * *d)) {
            *d = 0.0;
        }
    }
    delta.iter().any(|&d| d != 0.0)
}

/// The noise level of one output from its values at equally spaced points: the residual
/// root mean square `s_q = sqrt(RSS_q / (N - q - 1))` of the least-squares polynomial of
/// degree q (orthonormal polynomials on the grid, so each degree removes one projection),
/// at the first q where `s_q`, `s_(q+1)` and `s_(q+2)` agree within [`AGREE`]: the smooth
/// trend is then below the noise, and a higher degree only loses degrees of freedom.
/// `None` when no degree up to [`DEGREES`] qualifies (a smooth trend dominates).
pub(crate) fn level(values: &[f64]) -> Option<f64> {
    let len = values.len();
    // Exactly linear (or constant) along the direction: no noise at all.
    if values
        .windows(3)
        .all(|w| (w[2] - w[1]) - (w[1] - w[0]) == 0.0)
    {
        return Some(0.0);
    }
    let centre = values[len / 2];
    let mut residual: Vec<f64> = values.iter().map(|v| v - centre).collect();
    let scale = square_safe_scale(&residual);
    residual.iter_mut().for_each(|r| *r *= scale);
    level_of_centred(residual, len).map(|rms| rms / scale)
}

/// A power of two that brings the largest `|r|` near 1 where squaring the values could
/// overflow or underflow (outputs of 1e200 gave an infinite noise and bound, review 4),
/// and 1 elsewhere: a power of two scales exactly, so levels in range are bit for bit
/// unchanged.
pub(crate) fn square_safe_scale(values: &[f64]) -> f64 {
    power_of_two_near_one(values.iter().fold(0.0f64, |a, r| a.max(r.abs())))
}

/// [`level`] of residuals already centred and scaled.
fn level_of_centred(mut residual: Vec<f64>, len: usize) -> Option<f64> {
    let basis = orthonormal(len, DEGREES);
    let mut rms = [0.0; DEGREES + 1];
    for (q, p) in basis.iter().enumerate() {
        let c: f64 = residual.iter().zip(p).map(|(r, b)| r * b).sum();
        residual.iter_mut().zip(p).for_each(|(r, b)| *r -= c * b);
        let rss: f64 = residual.iter().map(|r| r * r).sum();
        rms[q] = (rss / (len - q - 1) as f64).sqrt();
    }
    (0..=DEGREES - 2).find_map(|q| {
        let window = &rms[q..=q + 2];
        let hi = window.iter().fold(0.0f64, |a, &b| a.max(b));
        let lo = window.iter().fold(f64::INFINITY, |a, &b| a.min(b));
        (hi <= AGREE * lo).then_some(rms[q])
    })
}

/// The polynomials of degree 0..=`degrees` on `len` equally spaced points, orthonormal
/// over them (Gram–Schmidt of the powers of the centred, scaled abscissa, twice).
fn orthonormal(len: usize, degrees: usize) -> Vec<Vec<f64>> {
    let half = (len - 1) as f64 / 2.0;
    let mut basis: Vec<Vec<f64>> = Vec::with_capacity(degrees + 1);
    for q in 0..=degrees {
        let mut v: Vec<f64> = (0..len)
            .map(|k| ((k as f64 - half) / half).powi(q as i32))
            .collect();
        for _ in 0..2 {
            for b in &basis {
                let c: f64 = v.iter().zip(b).map(|(x, y)| x * y).sum();
                v.iter_mut().zip(b).for_each(|(x, y)| *x -= c * y);
            }
        }
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        v.iter_mut().for_each(|x| *x /= norm);
        basis.push(v);
    }
    basis
}

/// The second differences a call keeps for [`everywhere`]: its first directions' (a
/// sample where n is larger), so that a call's memory stays within `2n + 6m` doubles
/// plus a constant (`tests/c/limits_memory.c`: n = 100,000 took n more).
pub(crate) const EVERY_KEPT: usize = 4096;

/// A second difference below this share of the (weighted) estimated noise is one the
/// noise did not reach: three values with noise ε give `|D2|` of about `2.4 ε`, below
/// `ε / 100` about once in 300 directions.
const UNREACHED: f64 = 0.01;

/// Whether the noise just estimated shows in the call's directions: fewer than a quarter
/// of the second differences counted (and none where there are fewer than four) lie below
/// [`UNREACHED`] times the noise, weighted as they are (an input f ignores, with `D2 = 0`,
/// refutes it too: noise of f moves with every input).
///
/// Why: the trigger fires on large second differences in a few directions, and the
/// estimate's table, whose points move every element by its step, crosses whatever made
/// them. A pole or a narrow step of f within the step of two elements of three made the
/// table "noisy", and the noise step then kept values off by up to 8e3 times their bound
/// (probe18 class 1). Noise of f reaches every direction; such features leave the others
/// smooth, their second differences far below the "noise".
///
/// Outputs on a coarse grid (float32 inside f) are taken at their estimate: the rounding
/// of the inputs' casts is noise whose size differs from element to element (`|f'| ulp32(x_j)`
/// along one axis, the sum of them along the estimate's table), so that the axes of small
/// elements show little of it.
pub(crate) fn everywhere<F: Function + ?Sized>(p: &Probe<'_, '_, F>) -> bool {
    if gridded(p) {
        return true;
    }
    let all = p.every_second.len();
    let unreached = all - reached(p);
    !(unreached > 0 && 4 * unreached >= all)
}

/// Whether an output that counts (a weight that is not 0) may lie on a coarse grid, as a
/// float32 value inside f does ([`quantum::may_be_coarse`], normal values).
pub(crate) fn gridded<F: Function + ?Sized>(p: &Probe<'_, '_, F>) -> bool {
    (0..p.y0.len()).any(|i| {
        let y = p.y0[i];
        y.is_normal() && quantum::may_be_coarse(y) && p.weights.is_none_or(|w| w[i] != 0.0)
    })
}

/// How many of the call's second differences the estimated noise reaches (at least
/// [`UNREACHED`] of it, weighted as they are).
pub(crate) fn reached<F: Function + ?Sized>(p: &Probe<'_, '_, F>) -> usize {
    let level = weighted_level(p);
    p.every_second
        .iter()
        .filter(|&&d2| d2 >= UNREACHED * level)
        .count()
}

/// The estimated noise, weighted as the call's second differences are (`|v_i|` for a VJP,
/// 1 for a Jacobian).
pub(crate) fn weighted_level<F: Function + ?Sized>(p: &Probe<'_, '_, F>) -> f64 {
    match p.weights {
        Some(w) => p.report.noise.iter().zip(w).map(|(e, v)| e * v.abs()).sum(),
        None => p.report.noise.iter().sum(),
    }
}

/// Takes back a noise estimate the call's directions refute ([`everywhere`]): no noise
/// known, the plain step. Its levels are set aside ([`Probe::refuted_noise`]): a column
/// whose own check fails may still be noisy (`refine/lone_noise.rs`).
pub(crate) fn reject<F: Function + ?Sized>(p: &mut Probe<'_, '_, F>) {
    p.refuted_noise = std::mem::take(&mut p.report.noise);
    p.report.noise_source = NoiseSource::None;
    p.step_scale = 1.0;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A smooth trend plus pseudo-random noise of standard deviation sigma: the estimate
    /// is within a factor 2 of sigma from 1e-12 to 1e-4.
    #[test]
    fn recovers_the_noise_level_of_a_trend_plus_noise() {
        for &sigma in &[1e-12, 1e-10, 1e-8, 1e-6, 1e-4] {
            let mut state: u64 = 12345;
            let values: Vec<f64> = (0..13)
                .map(|k| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    // uniform in [-sqrt(3), sqrt(3)): variance 1
                    let u = ((state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * 3f64.sqrt();
                    let t = (k as f64 - 6.0) * 1e-5;
                    (1.0 + t).exp() + sigma * u
                })
                .collect();
            let got = level(&values).expect("an estimate");
            assert!(
                got > sigma / 2.0 && got < 2.0 * sigma,
                "sigma {sigma}: {got}"
            );
        }
    }

    #[test]
    fn exact_polynomial_has_no_noise_above_rounding() {
        let values: Vec<f64> = (0..13).map(|k| 3.0 + 2.0 * k as f64).collect();
        assert_eq!(level(&values), Some(0.0));
    }

    /// The sum of squares is the plain one, bit for bit, for values of ordinary size, and
    /// that of the values scaled back for any other: scaled by 2^k, k from -950 to 1000,
    /// in any order, and mixed with values far below the largest (review 5: a first value
    /// of 1e-266 then 1e-11 had overflowed the scaled sum).
    #[test]
    fn squares_are_blind_to_size() {
        let values = [3.0e-9, -1.5e-8, 0.0, 7.25e-9, 2.0e-8, -4.0e-10];
        let sum = |vs: &[f64]| {
            let mut s = Squares::new();
            vs.iter().for_each(|&v| s.add(v));
            s
        };
        let plain = values.iter().map(|v| v * v).sum::<f64>();
        let rms = (plain / values.len() as f64).sqrt();
        assert_eq!(sum(&values).rms(values.len()).to_bits(), rms.to_bits());
        for k in (-950..=1000).step_by(50) {
            let scale = 2f64.powi(k);
            let scaled: Vec<f64> = values.iter().map(|v| v * scale).collect();
            let mut reversed = scaled.clone();
            reversed.reverse();
            for vs in [scaled, reversed] {
                let got = sum(&vs).rms(vs.len()) / scale;
                assert!(
                    (got - rms).abs() <= 1e-15 * rms,
                    "2^{k}: {got:e} for {rms:e}"
                );
            }
        }
        let mixed = [1e-266, 1e-11, -2e-11];
        let want = ((1e-22f64 + 4e-22) / 3.0).sqrt();
        let got = sum(&mixed).rms(3);
        assert!((got - want).abs() <= 1e-15 * want, "{got:e} for {want:e}");
    }
}
