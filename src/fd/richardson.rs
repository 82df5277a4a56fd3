//! Richardson extrapolation of central differences, with an error estimate per entry.
//!
//! Why: a central difference has error `c1 t^2 + c2 t^4 + ...`; combining quotients at
//! steps `t, t/2, ..., t/2^(L-1)` in a Neville tableau removes one term per column, so
//! a fairly large starting step (little rounding error) still gives a tiny truncation
//! error, and the tableau itself says how far the answer still moves.
//!
//! Choices (measured on smooth test functions, see `tests/accuracy_table.rs`): starting
//! step `t0 = 2^-3 * max(|x_j|, typ_j)` (the caller's absolute steps or relative factor
//! replace it; where f varies on another scale, other starts compete, see
//! [`super::richardson_start`]), [`LEVELS`] = 6 levels halving the step, so `2 * LEVELS =
//! 12` evaluations per tableau; the max relative error on well-scaled smooth functions is
//! then about 1e-13.
//!
//! Error estimate of each entry: `2 |T[L-1][L-1] - T[L-1][L-2]| + 2 max(rounding, noise)`:
//! the difference of the last two extrapolants (the best one and the one of one order
//! less, both from the smallest steps); the worst-case rounding error carried through the
//! tableau from `eps * sum_k |w_k f(x + o_k t)| / t` at each level (f accurate to about one
//! unit in the last place; along a vector u, plus the rounding of the points `x + o t u`,
//! see [`displacement_rounding`]); and a noise term for f less accurate than that: the larger of
//! the noise probed from the tableau itself (see [`NoiseProbe`]) and, when a noise level
//! is declared or estimated (`NoiseMode::Estimate`), three standard deviations of that
//! noise carried through the tableau (a quotient at step t with stencil weights `w_k`
//! carries `sigma sqrt(sum w_k^2) / t`). With such a level above rounding, the extrapolants
//! of the first 3, 4, ... levels compete with the full tableau, the smallest estimate
//! winning: the sequence stops before its steps walk down into the noise. With nothing
//! declared, a believed tableau whose probe shows noise far above rounding has f's noise
//! estimated during the call (`estimate.rs`), which then only raises error estimates
//! ([`Tableau::rescore`]). Measured in `tests/accuracy_coverage.rs` (sin, cos, exp, log,
//! sqrt, 1/x at scales 1e-9..1e7, arcsin near its edges, smooth plus noise of
//! 1e-12..1e-6): the true error exceeds the estimate for 0.17% of entries (with noise:
//! 0% with nothing declared, 4.9% before the estimate during the call; 0% declared; 0.1%
//! estimated).
//!
//! Bounds and non-finite values: as for the plain schemes (see [`super::derivative`]):
//! the central tableau first, then one-sided second-order tableaus (error `t^2, t^3, ...`,
//! so one power is removed per column) forward and backward, and the starting step
//! divided by 10 up to six times; near a domain edge a tableau from a step bracketed below
//! the edge competes (see [`super::richardson_start`]).

use super::derivative::{apply, fits, with_fallback, Direction};
use super::error::FdError;
use super::function::Function;
use super::options::{NoiseMode, Options};
use super::probe::Probe;
use super::quantum;
use super::report::NoiseSource;
use super::scheme::{Placed, Scheme};

mod even;
pub(crate) mod kink;
pub(crate) mod resolve;

/// Number of steps in the tableau (each halving the previous one).
pub const LEVELS: usize = 6;

/// The default starting step relative to `max(|x_j|, typ_j)`.
pub const RELATIVE_START: f64 = 0.125;

/// A value and its error estimate, entry by entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// The extrapolated derivative (VJP, JVP or Jacobian entries).
    pub value: Vec<f64>,
    /// An estimate of `|value - exact|` for each entry of `value`.
    pub error: Vec<f64>,
}

/// The options with Richardson's starting step in place of the scheme's default step.
pub(crate) fn starting_options(opts: &Options) -> Options {
    let mut o = opts.clone();
    if o.relative_step().is_none() {
        o.set_relative_step(Some(RELATIVE_START))
            .expect("a positive constant");
    }
    o
}

/// How the m outputs of each level are reduced before extrapolation: kept (Jacobian
/// columns, JVPs) or dotted with a cotangent `v` (VJPs: one channel per column, so the
/// estimate is that of the dot product).
#[derive(Clone, Copy)]
pub(crate) enum Channels<'a> {
    All,
    Dot(&'a [f64]),
}

/// What one tableau gave: the estimate, whether it is the central one at the requested
/// start itself (no fall-back), and the starting step it actually used; with the levels it
/// was computed from, so that it can be scored again once f's noise level is known
/// ([`Tableau::rescore`]).
pub(crate) struct Tableau {
    pub estimate: Estimate,
    pub central: bool,
    pub start: f64,
    /// Whether its noise probe saw noise above rounding (see [`NoiseProbe`]).
    pub shows_noise: bool,
    levels: Vec<(Vec<f64>, Vec<f64>)>,
    /// For a VJP (`Channels::Dot`) with more than one output: each level's quotients and
    /// rounding scales per output, so that the tableau can be judged output by output
    /// (`richardson_outputs.rs`); empty otherwise.
    outputs: Vec<(Vec<f64>, Vec<f64>)>,
    stencil: Placed,
    /// The step of its first level.
    first: f64,
    /// Per output, the grid its values were seen on ([`on_grid`]), and whether the levels'
    /// rounding scales hold it already.
    grid: Vec<f64>,
    gridded: bool,
    /// How its estimate used the noise level known when it was computed.
    fold: Fold,
    /// Whether its steps were checked against a quotient off their lattice
    /// ([`resolve`]).
    check: resolve::Check,
    /// Its levels' second-difference sums (central stencils only, else empty), which show
    /// a kink its steps straddle ([`kink`]).
    sums: Vec<kink::Level>,
    /// For a VJP with more than one output (as `outputs`): the sums output by output, for
    /// the even sample of each output judged on its own ([`Tableau::even_outputs`]).
    output_sums: Vec<kink::Level>,
    /// Whether its check found a kink: its estimate, raised by the slope jump, still
    /// covers ([`resolve`]).
    kinked: bool,
    /// Whether its estimate was raised to what a tableau that saw f on the typical
    /// magnitude's scale allows ([`Tableau::floor_errors`]).
    floored: bool,
    /// Its estimate's errors before the grid was folded in ([`Tableau::fold_grid`]).
    before_grid: Option<Vec<f64>>,
}

impl Tableau {
    /// Folds a noise level learnt during the call into the error estimate (no evaluation).
    /// The value stays that of the full tableau: the shorter sequences compete only when the
    /// level is known before the call's tableaus (declared, or `NoiseMode::Estimate`), since
    /// an estimate made because a tableau looked noisy may be of a function the plain steps
    /// do not suit (1/x at 1e-7), and then says nothing about which level to believe.
    pub(crate) fn rescore<F: Function + ?Sized>(
        &mut self,
        p: &Probe<'_, '_, F>,
        channels: Channels<'_>,
    ) {
        let (estimate, shows_noise) = score(
            p,
            &self.levels,
            &self.stencil,
            self.first,
            channels,
            Fold::Raise,
        );
        // An estimate found unsupported (NaN: aliased, or a bound at x) stays so, and one
        // raised where the tableau did not see f move (`richardson_start::unseen`) stays
        // raised (otherwise the noise folded in only raises it).
        let before = std::mem::replace(&mut self.estimate, estimate);
        for (e, old) in self.estimate.error.iter_mut().zip(before.error) {
            if old.is_nan() {
                *e = f64::NAN;
            } else {
                *e = e.max(old);
            }
        }
        self.shows_noise = shows_noise;
    }

    /// The estimate of each output on its own (a Jacobian column's), from the levels kept
    /// for a VJP with more than one output; `None` otherwise. Two of them, as for the dot
    /// product: the one to choose between tableaus by (without a noise level learnt during
    /// the call) and the one to report (with it, see [`Tableau::rescore`]); the same when no
    /// level was learnt.
    pub(crate) fn per_output<F: Function + ?Sized>(
        &self,
        p: &Probe<'_, '_, F>,
    ) -> Option<(Estimate, Estimate)> {
        if self.outputs.is_empty() {
            return None;
        }
        let at = |fold| {
            score(
                p,
                &self.outputs,
                &self.stencil,
                self.first,
                Channels::All,
                fold,
            )
            .0
        };
        Some(if learnt(p) {
            (at(Fold::Later), at(Fold::Raise))
        } else {
            let known = at(Fold::Known);
            (known.clone(), known)
        })
    }
}

impl Tableau {
    /// Whether the estimate was raised after the levels were scored (a check that missed,
    /// a kink: `resolve.rs`), which [`Tableau::per_output`] does not see.
    pub(crate) fn raised_after_scoring(&self) -> bool {
        matches!(self.check, resolve::Check::Missed) || self.kinked || self.floored
    }

    /// Per channel, its estimate as its own levels' rounding model gives it: before a grid
    /// was folded in, if one was (the smaller of the two). Why: steps that are powers of two
    /// give a linear f's differences a grid its values are not on (f = x at 84.53: every
    /// difference a multiple of the smallest step), which the fold takes for f's rounding
    /// (an estimate of 3.4 for a derivative of 1 read exactly); the other tableaus of the
    /// direction see the same grid, so it decides nothing between them, but as a floor
    /// for another tableau ([`super::richardson_start`]) it would claim what it cannot see.
    pub(crate) fn own_error(&self) -> Vec<f64> {
        match &self.before_grid {
            Some(before) => self
                .estimate
                .error
                .iter()
                .zip(before)
                .map(|(&e, &b)| if b < e { b } else { e })
                .collect(),
            None => self.estimate.error.clone(),
        }
    }

    /// Raises each channel's estimate to at least `floor` (a NaN floor makes it NaN),
    /// after scoring ([`Tableau::raised_after_scoring`]).
    pub(crate) fn floor_errors(&mut self, floor: &[f64]) {
        for (e, &f) in self.estimate.error.iter_mut().zip(floor) {
            if f.is_nan() || f > *e {
                *e = f;
            }
        }
        self.floored = true;
    }

    /// Per channel, whether every level's quotient is exactly 0: f did not move at any of
    /// the tableau's points (see [`super::richardson_start::unseen`]).
    pub(crate) fn blind(&self) -> Vec<bool> {
        still(&self.levels)
    }

    /// [`Tableau::blind`] output by output, from the levels kept for a VJP with more than
    /// one output (empty otherwise).
    pub(crate) fn blind_outputs(&self) -> Vec<bool> {
        if self.outputs.is_empty() {
            return Vec::new();
        }
        still(&self.outputs)
    }

    /// Per channel, the size of a variation of f (in f's own units, per unit of stencil
    /// weight) that the tableau's polynomial model leaves unexplained: its noise probe's
    /// sample of one first-level quotient's noise (see [`NoiseProbe`]) times the first
    /// step. f's noise, or f varying on a scale below the tableau's steps
    /// (`richardson_alias.rs`).
    pub(crate) fn variation(&self) -> Vec<f64> {
        let count = self.levels.len();
        let powers = exponents(&self.stencil);
        let probe = NoiseProbe::new(count, &factors(count, powers));
        let weight = stencil_weight(&self.stencil);
        (0..self.estimate.value.len())
            .map(|c| {
                let column = |i: usize| neville(&self.levels, powers, c, i, PROBE_COLUMN);
                probe.sample(column(count - 1), column(count - 2)) * self.first / weight
            })
            .collect()
    }

    /// Per channel, the noise term that a variation `sigma` of f (as [`Tableau::variation`]
    /// gives it) puts into this tableau's final extrapolant, counted as its noise probe
    /// counts a sample (tripled).
    pub(crate) fn carried(&self, sigma: &[f64]) -> Vec<f64> {
        let count = self.levels.len();
        let probe = NoiseProbe::new(count, &factors(count, exponents(&self.stencil)));
        let weight = stencil_weight(&self.stencil);
        sigma
            .iter()
            .map(|s| PROBE_SAFETY * s * weight / self.first * probe.best[count - 1])
            .collect()
    }
}

/// Per channel, whether every level's quotient is exactly 0.
fn still(levels: &[(Vec<f64>, Vec<f64>)]) -> Vec<bool> {
    let channels = levels.first().map_or(0, |l| l.0.len());
    (0..channels)
        .map(|c| levels.iter().all(|l| l.0[c] == 0.0))
        .collect()
}

/// The root sum of squares of a stencil's weights: a quotient at step 1 carries f's noise
/// times this.
fn stencil_weight(stencil: &Placed) -> f64 {
    stencil.terms().map(|(_, w)| w * w).sum::<f64>().sqrt()
}

/// The Neville factors `2^(first + (k - 1) stride) - 1` of a tableau of `count` levels.
pub(super) fn factors(count: usize, (first, stride): (i32, i32)) -> Vec<f64> {
    (1..count)
        .map(|k| 2f64.powi(first + (k as i32 - 1) * stride) - 1.0)
        .collect()
}

/// Entry `T[row][column]` of channel `c`'s tableau over `levels` (powers `exponents`, see
/// [`exponents`]), recomputed from the levels (a few dozen operations) by the rare callers
/// that need one entry after the fact.
fn neville(
    levels: &[(Vec<f64>, Vec<f64>)],
    exponents: (i32, i32),
    c: usize,
    row: usize,
    column: usize,
) -> f64 {
    let factors = factors(levels.len(), exponents);
    let mut prev: Vec<f64> = Vec::new();
    for (i, level) in levels.iter().enumerate().take(row + 1) {
        let mut ti = vec![level.0[c]];
        for k in 1..=i.min(column) {
            let f = factors[k - 1];
            ti.push(ti[k - 1] + (ti[k - 1] - prev[k - 1]) / f);
        }
        prev = ti;
    }
    prev[column]
}

impl Tableau {
    /// Whether f's noise level, declared or estimated so far, accounts for this tableau's
    /// error estimate: per channel, the estimate is at most [`EXPLAINED`] times the noise
    /// term that level gives its final extrapolant (`2 NOISE_COVER sigma` carried through
    /// the tableau from its first step). Then a large estimate says f is noisy, not that
    /// the tableau started above f's scale, and a second tableau from a smaller start
    /// (`richardson_start.rs`) would only carry more noise. False when no level is known,
    /// or when it was estimated and found no larger than rounding (`p.step_scale` 1, see
    /// `refine.rs`): 1/x near 0, whose estimate measured its rounding, lost its coverage
    /// at 6 of 1122 entries of `tests/accuracy_coverage.rs` without this.
    pub(crate) fn noise_explains<F: Function + ?Sized>(
        &self,
        p: &Probe<'_, '_, F>,
        channels: Channels<'_>,
    ) -> bool {
        self.noise_within(p, channels, EXPLAINED)
    }

    /// [`Tableau::noise_explains`] with the estimate at most `factor` times the noise term.
    pub(crate) fn noise_within<F: Function + ?Sized>(
        &self,
        p: &Probe<'_, '_, F>,
        channels: Channels<'_>,
        factor: f64,
    ) -> bool {
        if p.report.noise_source == NoiseSource::Estimated && p.step_scale <= 1.0 {
            return false;
        }
        let Some(unit) = known_noise(p, &self.stencil, channels) else {
            return false;
        };
        let count = self.levels.len();
        let (first, stride) = exponents(&self.stencil);
        let factors: Vec<f64> = (1..count)
            .map(|k| 2f64.powi(first + (k as i32 - 1) * stride) - 1.0)
            .collect();
        let multiple = NoiseProbe::new(count, &factors).best[count - 1];
        self.estimate.error.iter().zip(&unit).all(|(&e, &u)| {
            let noise = 2.0 * NOISE_COVER * u / self.first * multiple;
            noise > 0.0 && e <= factor * noise
        })
    }
}

/// A tableau's estimate at most this multiple of the known noise's term is the noise's
/// ([`Tableau::noise_explains`]).
const EXPLAINED: f64 = 4.0;

/// Whether f's noise level was learnt during the call: estimated under `NoiseMode::Auto`
/// because a tableau showed noise (see `estimate.rs`).
pub(crate) fn learnt<F: Function + ?Sized>(p: &Probe<'_, '_, F>) -> bool {
    p.opts.noise_mode() == NoiseMode::Auto && p.report.noise_source == NoiseSource::Estimated
}

/// How a tableau uses the noise level declared or estimated so far.
#[derive(Clone, Copy, PartialEq)]
enum Fold {
    /// Known before the call's tableaus: in the error estimate, and shorter sequences
    /// compete (see [`tableau`]).
    Known,
    /// Learnt during the call: not yet ([`Tableau::rescore`] folds it in).
    Later,
    /// Learnt during the call: in the error estimate only.
    Raise,
}

/// The tableau of `levels` (quotients of `stencil` from step `first` down), using the noise
/// level declared or estimated so far as `fold` says.
fn score<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    levels: &[(Vec<f64>, Vec<f64>)],
    stencil: &Placed,
    first: f64,
    channels: Channels<'_>,
    fold: Fold,
) -> (Estimate, bool) {
    let noise = known_noise(p, stencil, channels)
        .filter(|_| fold != Fold::Later)
        .map(|unit| unit.into_iter().map(|u| u / first).collect::<Vec<f64>>());
    tableau(
        levels,
        exponents(stencil),
        noise.as_deref(),
        fold == Fold::Known,
    )
}

/// One tableau from starting step `t0`, with the fall-backs of [`with_fallback`].
pub(crate) fn one_tableau<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t0: f64,
    channels: Channels<'_>,
) -> Result<Tableau, FdError> {
    let (opts, x) = (p.opts, p.x);
    let candidates = Scheme::Central.candidates();
    let mut quotient = vec![0.0; p.y0.len()];
    let mut result = None;
    let mut attempts = 0;
    with_fallback(opts, x, dir, t0, candidates, |stencil, t| {
        attempts += 1;
        let first = dir.step(x, t);
        // A step that no longer moves an element gives quotients of 0 for the outputs
        // depending on it, not a derivative, and one that rounds to another power of 2
        // breaks the halving the extrapolation assumes: no tableau from here (the callers
        // try other starts).
        let smallest = t * 0.5f64.powi(LEVELS as i32 - 1);
        if !resolves(x, dir, first, smallest) {
            return Err(FdError::InvalidArgument(format!(
                "{}: the tableau's steps down to {smallest:e} do not halve at x (an element \
                 of x unmoved or rounded)",
                dir.name()
            )));
        }
        let mut levels = Vec::with_capacity(LEVELS);
        let mut sums = Vec::new();
        let mut output_sums = Vec::new();
        let central = stencil.reach().0 == -stencil.reach().1;
        let mut outputs = Vec::new();
        let mut grid = vec![0.0; quotient.len()];
        for level in 0..LEVELS {
            let nominal = t * 0.5f64.powi(level as i32);
            let tl = dir.step(x, nominal);
            if let Some(bad) = apply(p, dir, tl, stencil, &mut quotient)? {
                return Ok(Some(bad));
            }
            if let Direction::Vector(u) = dir {
                // The rounding of x + o t u, as a rounding scale (times eps below).
                let rel = displacement_rounding(x, u, tl, stencil) / f64::EPSILON;
                for (m, q) in p.ws.magnitude.iter_mut().zip(&quotient) {
                    *m += q.abs() * rel;
                }
            }
            for (i, g) in grid.iter_mut().enumerate() {
                // The last point's difference from f(x) and the sum of those at ±tl.
                *g = quantum::grid([*g, p.ws.y[i] - p.y0[i], p.ws.second[i]]);
            }
            if central {
                sums.push(level_sums(p, tl, channels));
                if matches!(channels, Channels::Dot(_)) && quotient.len() > 1 {
                    output_sums.push(level_sums(p, tl, Channels::All));
                }
            }
            levels.push(reduce(&quotient, &p.ws.magnitude, channels));
            if matches!(channels, Channels::Dot(_)) && quotient.len() > 1 {
                outputs.push(reduce(&quotient, &p.ws.magnitude, Channels::All));
            }
        }
        for (i, g) in grid.iter_mut().enumerate() {
            if *g == 0.0 {
                // Not moved at any level: f(x)'s own grid, if it shows one.
                *g = quantum::coarse(p.y0[i], [0.0]);
            }
        }
        result = Some((
            levels,
            outputs,
            *stencil,
            first,
            t,
            grid,
            (sums, output_sums),
        ));
        Ok(None)
    })?;
    let (levels, outputs, stencil, first, start, grid, (sums, output_sums)) =
        result.expect("with_fallback succeeded, so an attempt finished");
    // A level learnt during the call is folded in after the choice between tableaus
    // ([`Tableau::rescore`]).
    let fold = if learnt(p) { Fold::Later } else { Fold::Known };
    let (estimate, shows_noise) = score(p, &levels, &stencil, first, channels, fold);
    let mut tableau = Tableau {
        estimate,
        central: attempts == 1 && fits(opts, x, dir, t0, &candidates[0]),
        start,
        shows_noise,
        levels,
        outputs,
        stencil,
        first,
        grid,
        gridded: false,
        fold,
        check: resolve::Check::Unchecked,
        sums,
        output_sums,
        kinked: false,
        floored: false,
        before_grid: None,
    };
    if shows_noise {
        tableau.fold_grid(p, channels);
    }
    Ok(tableau)
}

impl Tableau {
    /// Raises the believed tableau's estimate by the noise term of the sample of f's noise
    /// the sums give ([`even`]), where it is clear of their rounding; returns whether that
    /// term exceeded half the estimate (its noise term's share) on some channel. After
    /// the choice between tableaus, which it leaves as it was.
    pub(crate) fn raise_even(&mut self) -> bool {
        let sigma = even::noise(&self.sums);
        if sigma.iter().all(|&s| s == 0.0) {
            return false;
        }
        let carried = self.carried(&sigma);
        let mut beyond = false;
        for (e, n) in self.estimate.error.iter_mut().zip(carried) {
            beyond |= 2.0 * n > *e;
            *e += 2.0 * n;
        }
        beyond
    }
}

impl Tableau {
    /// Per output, the raise [`Tableau::raise_even`] gives the dot product, from each
    /// output's own sums: for a VJP judged output by output (`richardson_outputs.rs`),
    /// whose per-output estimates are recomputed from the levels without it. Empty for
    /// anything but a VJP with more than one output.
    pub(crate) fn even_outputs(&self) -> Vec<f64> {
        let sigma = even::noise(&self.output_sums);
        self.carried(&sigma).into_iter().map(|n| 2.0 * n).collect()
    }
}

impl Tableau {
    /// Folds the grid f's values were seen on into the levels' rounding scales
    /// ([`on_grid`]) and scores the tableau again (its value unchanged, its estimate only
    /// raised); once.
    pub(crate) fn fold_grid<F: Function + ?Sized>(
        &mut self,
        p: &Probe<'_, '_, F>,
        channels: Channels<'_>,
    ) {
        if self.gridded {
            return;
        }
        self.gridded = true;
        self.before_grid = Some(self.estimate.error.clone());
        let (stencil, first) = (self.stencil, self.first);
        on_grid(&mut self.levels, &self.grid, &stencil, first, channels);
        on_grid(
            &mut self.outputs,
            &self.grid,
            &stencil,
            first,
            Channels::All,
        );
        self.estimate = score(p, &self.levels, &stencil, first, channels, self.fold).0;
    }
}

/// The second-difference sums of the central stencil just applied at step `t`, per
/// channel, with their rounding ([`kink::Level`]); `p.ws.magnitude` holds the level's
/// rounding scale (times `1 / t`).
fn level_sums<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    t: f64,
    channels: Channels<'_>,
) -> kink::Level {
    let m = p.y0.len();
    let rounding: Vec<f64> = (0..m)
        .map(|i| f64::EPSILON * 2.0 * (p.ws.magnitude[i] * t + p.y0[i].abs()))
        .collect();
    let (sum, rounding) = reduce(&p.ws.second[..m], &rounding, channels);
    kink::Level {
        step: t,
        sum,
        rounding,
    }
}

/// Whether a tableau whose first step is `first` (as [`Direction::step`] gives it) can
/// halve down to the nominal step `smallest`: along an axis, each level's step as rounded
/// at x_j is positive and at most [`HALVING`] of the one before (x_j = 1e14 rounds 1/256
/// to 0 and 1/128 to 1/64, and its tableau gave NaN, which left the tableau from 1e13
/// believed: -3.8e-12 for -0.978 with an estimate of 2.4e-11); along a vector, the first
/// step moves every element u
/// moves and the smallest still moves them (an element never moved is missing from
/// every quotient, not rounded: sin(x0) + x1^2 / 2 at (1.2e16, 0.7) along (1, 0.3) gave
/// 0.21 for 1.09, x0's term left out, with an estimate of 0.83 for the points' rounding).
fn resolves(x: &[f64], dir: Direction<'_>, first: f64, smallest: f64) -> bool {
    match dir {
        Direction::Axis(_) => {
            let mut last = first;
            (1..LEVELS).all(|l| {
                let s = dir.step(x, smallest * 2f64.powi((LEVELS - 1 - l) as i32));
                let halving = s > 0.0 && s <= HALVING * last;
                last = s;
                halving
            })
        }
        Direction::Vector(u) => {
            let moved = |(&xj, &uj): (&f64, &f64)| uj == 0.0 || xj + first * uj != xj;
            x.iter().zip(u).all(moved) && dir.keeps_moving(x, first, dir.step(x, smallest))
        }
        Direction::Group(..) => true,
    }
}

/// See [`resolves`]: each level's step, as rounded at x_j, at most this fraction of the
/// previous level's.
const HALVING: f64 = 0.75;

/// Along a vector u, the points `x + o t u` are rounded element by element, so a quotient
/// at step t is the derivative along a slightly different direction `u + e`, with
/// `e_j = sum_k w_k ((x_j + o_k t u_j) - x_j - o_k t u_j) / t` (exact in double: the
/// rounded difference is). Its error `J e` is at most `max_j |e_j / u_j|` times `sum_j
/// |J_ij u_j|`, which is `|J u|` when the terms do not cancel: this returns that relative
/// error, `max_j |e_j / u_j|`. At |x_j| = 1e8 (`ulp = 1.5e-8`) and the last step of a tableau
/// started at 1/8 it is about 2e-6, far above f's rounding: the tableau's steps halve, so
/// each level's e differs and the extrapolants move by it, but by chance they can agree,
/// and an estimate without it claimed 1e-10 on an error of 1e-6 (sin at 1e7 along a
/// random u).
fn displacement_rounding(x: &[f64], u: &[f64], t: f64, stencil: &Placed) -> f64 {
    let mut worst = 0.0f64;
    for (&xj, &uj) in x.iter().zip(u) {
        if uj == 0.0 {
            continue;
        }
        let e: f64 = stencil
            .terms()
            .filter(|&(o, _)| o != 0.0)
            .map(|(o, w)| {
                let d = o * t * uj;
                w.abs() * (((xj + d) - xj) - d).abs()
            })
            .sum();
        worst = worst.max(e / (t * uj.abs()));
    }
    worst
}

/// Raises each level's rounding scale to the grid f's values were seen on
/// ([`quantum::grid`] of the tableau's differences from f(x), per output): one grid step
/// `Q` per value, `Q sum |w_k| / t` in a quotient at step t, where the model `eps |f|`
/// gives less. Why: f computed with cancellation (a sum of terms far larger than itself)
/// rounds on its terms' scale; `atan(x_i) + (atan(x_{i-1}) + atan(x_{i+1})) / 2` at 1e11
/// with mixed signs (|f| about 1e-11, its values on a grid of 1e-16) had an estimate of
/// 6.5e-34 on an error of 6.2e-27.
/// Only for a tableau whose noise probe saw variation above rounding, or among several
/// tableaus of a direction whose moved elements of x have more than 26 significant bits
/// (`richardson_start.rs`): exactly computed values (a polynomial at a dyadic point such
/// as 1 or 1000) lie on a coarse grid too, with no rounding at all. For values rounded as
/// the model says, `Q <= ulp(f) <= eps |f|`, and little changes.
fn on_grid(
    levels: &mut [(Vec<f64>, Vec<f64>)],
    grid: &[f64],
    stencil: &Placed,
    first: f64,
    channels: Channels<'_>,
) {
    let weight: f64 = stencil.terms().map(|(_, w)| w.abs()).sum();
    let per_value: Vec<f64> = match channels {
        Channels::All => grid.to_vec(),
        Channels::Dot(v) => vec![grid.iter().zip(v).map(|(q, vi)| q * vi.abs()).sum()],
    };
    for (l, (_, magnitude)) in levels.iter_mut().enumerate() {
        // In the rounding scale's units (times eps), at this level's nominal step.
        let t = first * 0.5f64.powi(l as i32);
        for (m, q) in magnitude.iter_mut().zip(&per_value) {
            *m = m.max(q * weight / (f64::EPSILON * t));
        }
    }
}

/// Per channel, the noise (standard deviation) of a quotient of `stencil` at step 1 from
/// the noise levels declared or estimated for f's outputs: `sigma sqrt(sum w_k^2)` over the
/// stencil's weights (a quotient at step t carries `1/t` times that); for a VJP channel
/// the outputs' noises combine as independent, `sqrt(sum v_i^2 sigma_i^2)`. `None` when no
/// level is known.
fn known_noise<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    stencil: &Placed,
    channels: Channels<'_>,
) -> Option<Vec<f64>> {
    if p.report.noise_source == NoiseSource::None || p.report.noise.is_empty() {
        return None;
    }
    let sigma = &p.report.noise;
    let weights = stencil.terms().map(|(_, w)| w * w).sum::<f64>().sqrt();
    Some(match channels {
        Channels::All => sigma.iter().map(|s| s * weights).collect(),
        Channels::Dot(v) => vec![
            v.iter()
                .zip(sigma)
                .map(|(vi, s)| (vi * s).powi(2))
                .sum::<f64>()
                .sqrt()
                * weights,
        ],
    })
}

/// The powers of t in the error of a stencil, as (first, stride): central differences
/// have only even powers, one-sided ones every power from their order on.
fn exponents(stencil: &Placed) -> (i32, i32) {
    let (lo, hi) = stencil.reach();
    if lo == -hi {
        (2, 2)
    } else {
        (2, 1)
    }
}

/// One level's quotients and rounding scales, per channel.
fn reduce(quotient: &[f64], magnitude: &[f64], channels: Channels<'_>) -> (Vec<f64>, Vec<f64>) {
    match channels {
        Channels::All => (quotient.to_vec(), magnitude.to_vec()),
        Channels::Dot(v) => (
            vec![quotient.iter().zip(v).map(|(q, vi)| q * vi).sum()],
            vec![magnitude.iter().zip(v).map(|(r, vi)| r * vi.abs()).sum()],
        ),
    }
}

/// Neville's tableau in `t` with step ratio 2, per channel, and the error estimate
/// described in the module documentation. `noise`: per channel, the noise of a quotient at
/// the first level, from a declared or estimated noise level.
///
/// With `compete` and noise above rounding (declared or estimated), the extrapolants of the
/// first `k` levels (`k = MIN_LEVELS..=L`) are weighed too: smaller steps and higher
/// orders cut truncation but multiply the noise, so the sequence stops where their sum is
/// smallest rather than walking down into the noise.
fn tableau(
    levels: &[(Vec<f64>, Vec<f64>)],
    (first, stride): (i32, i32),
    noise: Option<&[f64]>,
    compete: bool,
) -> (Estimate, bool) {
    let count = levels.len();
    let mut shows_noise = false;
    let factors: Vec<f64> = (1..count)
        .map(|k| 2f64.powi(first + (k as i32 - 1) * stride) - 1.0)
        .collect();
    let probe = NoiseProbe::new(count, &factors);
    let channels = levels[0].0.len();
    let mut value = Vec::with_capacity(channels);
    let mut error = Vec::with_capacity(channels);
    for c in 0..channels {
        // Row i of the tableau: T[i][k], k <= i (T[i][0] the quotient at level i).
        let mut t: Vec<Vec<f64>> = Vec::with_capacity(count);
        let mut r: Vec<Vec<f64>> = Vec::with_capacity(count);
        for (i, level) in levels.iter().enumerate() {
            let mut ti = vec![level.0[c]];
            let mut ri = vec![level.1[c]];
            for k in 1..=i {
                let f = factors[k - 1];
                ti.push(ti[k - 1] + (ti[k - 1] - t[i - 1][k - 1]) / f);
                ri.push(ri[k - 1] + (ri[k - 1] + r[i - 1][k - 1]) / f);
            }
            t.push(ti);
            r.push(ri);
        }
        let sample = probe.sample(t[count - 1][PROBE_COLUMN], t[count - 2][PROBE_COLUMN]);
        let declared = noise.map_or(0.0, |n| NOISE_COVER * n[c]);
        // The estimate of the extrapolant of the first k levels.
        let of = |k: usize| {
            let best = t[k - 1][k - 1];
            let truncation = 2.0 * (best - t[k - 1][k - 2]).abs();
            let rounding = f64::EPSILON * r[k - 1][k - 1];
            let noisy = probe.best[k - 1] * (PROBE_SAFETY * sample).max(declared);
            (best, truncation, rounding, noisy)
        };
        let (best, truncation, rounding, noisy) = of(count);
        shows_noise |= PROBE_SAFETY * sample * probe.best[count - 1] > NOISE_TRIGGER * rounding;
        let mut chosen = (best, truncation + 2.0 * rounding.max(noisy));
        if compete && declared * probe.best[count - 1] > rounding {
            for k in MIN_LEVELS..count {
                let (b, tr, ro, no) = of(k);
                let e = tr + 2.0 * ro.max(no);
                if e < chosen.1 {
                    chosen = (b, e);
                }
            }
        }
        value.push(chosen.0);
        error.push(chosen.1);
    }
    (Estimate { value, error }, shows_noise)
}

/// The probe's noise term above `NOISE_TRIGGER` times the rounding term: f looks noisier
/// than rounding ([`Tableau::shows_noise`]). Well above 1: the probe's difference also
/// catches truncation left in its column, which reached 4 times the rounding term on half
/// the calls of exact functions (exp(x/s), sin, 1/x at scales 1e-9..1e7).
const NOISE_TRIGGER: f64 = 64.0;

/// The fewest levels whose extrapolant may be chosen over the full tableau's when f is
/// noisy (two Richardson steps, so that the truncation estimate has a lower-order
/// neighbour from the same smallest step).
const MIN_LEVELS: usize = 3;

/// A declared or estimated noise level is a standard deviation; the noise term covers
/// three of them (a normal deviate exceeds 3 sigma with probability 0.3%).
const NOISE_COVER: f64 = 3.0;

/// The tableau column whose last two entries probe f's noise (see [`NoiseProbe`]).
pub(super) const PROBE_COLUMN: usize = 3;

/// The noise probe is one sample of a random quantity, so it is tripled.
const PROBE_SAFETY: f64 = 3.0;

/// Estimates the noise of f from the tableau, for functions less accurate than rounding
/// (noise in a black box, or values computed with cancellation).
///
/// With noise of size `s` in f, a quotient at step `t` carries noise of about `s / t`, and
/// every tableau entry, being a fixed linear combination of the quotients, a known multiple
/// of `s` (the root sum of squares of its coefficients times `1/t`). The difference of the
/// last two entries of column [`PROBE_COLUMN`] (extrapolants of order 8 from the smallest
/// steps, whose truncation errors are negligible) is then mostly noise; divided by its
/// multiple it estimates `s`, and times the multiple of the final extrapolant it gives the
/// noise term of the estimate.
struct NoiseProbe {
    /// Noise multiple of the probing difference.
    probe: f64,
    /// Noise multiple of the extrapolant of the first `k` levels, at index `k - 1`.
    best: Vec<f64>,
}

impl NoiseProbe {
    fn new(levels: usize, factors: &[f64]) -> Self {
        // Each entry as coefficients over the levels' quotients, row by row as in
        // [`tableau`].
        let unit =
            |l: usize| -> Vec<f64> { (0..levels).map(|i| f64::from(u8::from(i == l))).collect() };
        let mut rows: Vec<Vec<Vec<f64>>> = Vec::with_capacity(levels);
        for i in 0..levels {
            let mut row = vec![unit(i)];
            for k in 1..=i {
                let f = factors[k - 1];
                let entry = row[k - 1]
                    .iter()
                    .zip(&rows[i - 1][k - 1])
                    .map(|(b, a)| b + (b - a) / f)
                    .collect();
                row.push(entry);
            }
            rows.push(row);
        }
        // A quotient at level l (step t0 / 2^l) has noise proportional to 2^l.
        let multiple = |coefficients: &[f64]| {
            coefficients
                .iter()
                .enumerate()
                .map(|(l, a)| (a * 2f64.powi(l as i32)).powi(2))
                .sum::<f64>()
                .sqrt()
        };
        let difference: Vec<f64> = rows[levels - 1][PROBE_COLUMN]
            .iter()
            .zip(&rows[levels - 2][PROBE_COLUMN])
            .map(|(a, b)| a - b)
            .collect();
        Self {
            probe: multiple(&difference),
            best: (0..levels).map(|k| multiple(&rows[k][k])).collect(),
        }
    }

    /// The noise of one quotient at the first level, sampled from the last two entries of
    /// column [`PROBE_COLUMN`] (before the safety factor).
    fn sample(&self, last: f64, before: f64) -> f64 {
        (last - before).abs() / self.probe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tableau removes the even powers t^2 .. t^10 of D(t) = 1 + t^2 + ... + t^10
    /// (steps from 1/8 down), so
    /// it returns 1 to rounding; the estimate (the size of the t^10 term left in the
    /// extrapolant of one order less) stays an upper bound.
    #[test]
    fn tableau_removes_even_powers() {
        let levels: Vec<(Vec<f64>, Vec<f64>)> = (0..LEVELS)
            .map(|i| {
                let t = RELATIVE_START * 0.5f64.powi(i as i32);
                let d = 1.0 + (1..LEVELS as i32).map(|k| t.powi(2 * k)).sum::<f64>();
                (vec![d], vec![0.0])
            })
            .collect();
        let (e, _) = tableau(&levels, (2, 2), None, true);
        assert!((e.value[0] - 1.0).abs() < 1e-14, "{}", e.value[0]);
        assert!(e.error[0] >= (e.value[0] - 1.0).abs() && e.error[0] < 1e-12);
    }

    /// With every power from t^2 on (one-sided), LEVELS - 1 columns remove t^2 .. t^6.
    #[test]
    fn tableau_removes_all_powers_for_one_sided() {
        let levels: Vec<(Vec<f64>, Vec<f64>)> = (0..LEVELS)
            .map(|i| {
                let t = 0.5f64.powi(i as i32);
                (vec![-2.0 + t * t - t.powi(3) + 3.0 * t.powi(6)], vec![0.0])
            })
            .collect();
        let (e, _) = tableau(&levels, (2, 1), None, true);
        assert!((e.value[0] + 2.0).abs() < 1e-13, "{}", e.value[0]);
    }
}
