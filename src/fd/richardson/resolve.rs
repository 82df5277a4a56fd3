//! Whether a tableau's steps resolve f: one quotient off the tableau's lattice of steps.
//!
//! Why: a tableau's steps `t0 / 2^k` form a lattice, and f varying on a scale far below
//! them can take values on it that follow a smooth law in t: `sin(x / W)` at `x = 2.13`,
//! `W = 4.4e-4`, from `t0 = 0.266`, has every step within 0.1% of a whole number of
//! periods (`t0` about 96), so the quotients converge, the noise probe sees nothing, and
//! the tableau gave 1.109 for 1033.5 with an estimate of 1.1e-10. Nothing computed from
//! the lattice's values can tell this from a smooth function. One more quotient of the
//! same stencil at a step off the lattice, `h = (pi / 4) t_last`, can: the tableau's
//! model predicts it (its value plus the leading power of `h` carried from its last two
//! quotients), and f the lattice aliased misses that by about its own variation over `h`.
//!
//! So the believed tableau is checked once (2 evaluations per direction); one that misses
//! on a channel has its estimate raised there to what the check saw, tableaus from larger
//! starts count as missed too (their steps cannot resolve f either), and the next
//! believed one is checked in turn. When every tableau has missed, one is started
//! [`RATIO`] times below the smallest start, at most [`DESCENT`] times, until a tableau's
//! steps resolve f. A missed tableau still believed takes the estimate that a tableau
//! which passed gives its value; with none passed, its estimates become NaN (unbounded).
//!
//! Noise: before f's level is known, the check's allowance rests on the tableau's noise
//! probe, one sample, small by chance often enough that 6 of 420 calls on hash noise
//! missed (`tests/estimate_check_on_noise.rs`). Under `NoiseMode::Auto` a miss therefore
//! first has the call's one noise estimate made, and a level below [`NOISE_OF_F`] of f
//! judges it again; a level above that is set aside (f varying below the plain steps).
//!
//! A tableau whose noise probe saw f vary far below its steps, with a poor estimate
//! ([`shaky`]), misses whatever the check reads: its own estimate would widen the
//! check's allowance as much as the aliasing it hides.

use super::super::derivative::{apply, fits, Direction};
use super::super::error::FdError;
use super::super::estimate::at_caller_steps;
use super::super::function::Function;
use super::super::options::{NoiseMode, Options};
use super::super::probe::Probe;
use super::super::quantum;
use super::super::report::NoiseSource;
use super::{
    displacement_rounding, exponents, kink, known_noise, one_tableau, reduce, stencil_weight,
    Channels, Tableau, NOISE_COVER, PROBE_SAFETY,
};
use crate::fd::richardson_start::{believed, large_x};

/// Evaluations of one check (a central quotient).
pub(crate) const CHECK: usize = 2;

/// The check's step relative to the tableau's last step: below it, and no power of two
/// times it.
const OFF_LATTICE: f64 = std::f64::consts::FRAC_PI_4;

/// The check's quotient may differ from the tableau's prediction by this many times the
/// sum of the tableau's estimate, the prediction's own correction, and the check's
/// rounding and noise.
const SLACK: f64 = 4.0;

/// Each new start is this many times smaller than the smallest so far.
const RATIO: f64 = 64.0;

/// A noise level learnt after a miss excuses it only up to this fraction of f's size (the
/// largest of `|f_i(x)|` and the change of f seen so far). Above it, what the noise
/// estimate saw is f varying below the plain steps, as the descent can show: sin(x / W)
/// with W below them gives a "noise" of half its amplitude. Black-box noise is far smaller
/// (hash noise of 1e-12..1e-6 on a sum of sines of size 2..10 in
/// `tests/estimate_check_on_noise.rs`); the coupled family of
/// `tests/accuracy_estimate_resolve.rs` took noise of 7e-4 of f for its sine (3 more
/// entries uncovered at 1e-3, none at 1e-4..1e-6).
const NOISE_OF_F: f64 = 1e-4;

/// At most this many more tableaus (12 evaluations each, and a check) per direction.
const DESCENT: usize = 4;

/// Checks the believed tableau as the module documentation says, adding tableaus below
/// when every one has missed; `fold` folds f's grid into the added ones (see
/// `richardson_start.rs`, `unround`).
pub(crate) fn resolve<'a, F: Function + ?Sized>(
    p: &mut Probe<'a, '_, F>,
    caller: &'a Options,
    dir: Direction<'_>,
    channels: Channels<'_>,
    tableaus: &mut Vec<Tableau>,
    fold: bool,
) -> Result<(), FdError> {
    let mut descents = 0;
    loop {
        let best = believed(tableaus);
        match tableaus[best].check {
            Check::Passed => return Ok(()),
            Check::Unchecked => check(p, caller, dir, channels, tableaus, best)?,
            Check::Missed if tableaus.iter().any(|t| t.check == Check::Passed) => {
                backed(tableaus, best);
                return Ok(());
            }
            Check::Missed => {
                // The smallest start not yet checked, else a smaller one.
                let next = (0..tableaus.len())
                    .filter(|&k| tableaus[k].check == Check::Unchecked)
                    .min_by(|&a, &b| tableaus[a].start.total_cmp(&tableaus[b].start));
                if let Some(k) = next {
                    check(p, caller, dir, channels, tableaus, k)?;
                    continue;
                }
                if descents == DESCENT {
                    break;
                }
                descents += 1;
                let smallest = tableaus
                    .iter()
                    .map(|t| t.start)
                    .fold(f64::INFINITY, f64::min);
                match one_tableau(p, dir, smallest / RATIO, channels) {
                    Ok(mut t) => {
                        if fold {
                            t.fold_grid(p, channels);
                        }
                        tableaus.push(t);
                    }
                    Err(FdError::NonFinitePerturbed { .. } | FdError::InvalidArgument(_)) => break,
                    Err(e) => return Err(e),
                }
            }
        }
    }
    // No tableau's steps were seen to resolve f: nothing supports an estimate, except
    // one raised by a kink's slope jump, which covers.
    for t in tableaus.iter_mut().filter(|t| t.check == Check::Missed) {
        for e in &mut t.estimate.error {
            // A kink's raised estimate covers; a narrow feature's (infinite) does not.
            if !t.kinked || e.is_infinite() {
                *e = f64::NAN;
            }
        }
    }
    Ok(())
}

/// Checks tableau `k` ([`judge`]): passed, or missed with its estimate raised on the
/// channels that missed. A miss says f varies below `k`'s steps, so below those of
/// every larger start too: those count as missed without a check of their own (a check
/// at a step that does not resolve f can refute a tableau, not confirm it).
fn check<'a, F: Function + ?Sized>(
    p: &mut Probe<'a, '_, F>,
    caller: &'a Options,
    dir: Direction<'_>,
    channels: Channels<'_>,
    tableaus: &mut [Tableau],
    k: usize,
) -> Result<(), FdError> {
    let after = tableaus.iter().any(|t| t.kinked);
    if let Some(raised) = kinked(p, &tableaus[k], channels, after) {
        // Its steps straddle a kink: missed, with no evaluation; smaller starts follow.
        miss(tableaus, k, raised);
        tableaus[k].kinked = true;
        return Ok(());
    }
    let Some(at) = off_lattice(p, dir, channels, &tableaus[k])? else {
        tableaus[k].check = Check::Passed;
        return Ok(());
    };
    let known = known_noise(p, &tableaus[k].stencil, channels);
    let mut missed = judge(
        &tableaus[k],
        &at,
        known.as_deref(),
        shaky(p, dir, &tableaus[k], channels),
    );
    if !missed.is_empty()
        && caller.noise_mode() == NoiseMode::Auto
        && !p.noise_tried
        && p.report.noise_source == NoiseSource::None
    {
        // A miss may be noise that the tableau's one sample of it (its probe) did not
        // show: the call's one noise estimate is made now (a tableau that shows noise asks
        // for it anyway, `estimate.rs`) and the miss judged again with that level.
        let before = (p.report.noise.clone(), p.report.noise_source, p.step_scale);
        p.noise_tried = true;
        at_caller_steps(p, caller)?;
        // Output by output: another output's size does not make one output's variation
        // noise (`0.003 sin(2e5 x_0) + x_1^2` beside `x_0 x_1` of 75 read as noise).
        let noise = &p.report.noise;
        let size = |i: usize| p.y0[i].abs().max(p.f_scale);
        if (0..noise.len()).all(|i| noise[i] <= NOISE_OF_F * size(i)) {
            if let Some(known) = known_noise(p, &tableaus[k].stencil, channels) {
                let shaky = shaky(p, dir, &tableaus[k], channels);
                missed = judge(&tableaus[k], &at, Some(&known), shaky);
            }
        }
        if !missed.is_empty() {
            // Not noise: the call goes on as if no estimate had been made (later
            // directions do not take f's variation for noise either), and the estimate is
            // set aside for when a tableau that shows noise asks for it.
            let learnt = (p.report.noise.clone(), p.report.noise_source, p.step_scale);
            (p.report.noise, p.report.noise_source, p.step_scale) = before;
            p.noise_set_aside = Some(learnt);
            p.noise_tried = false;
        }
    }
    if missed.is_empty() {
        tableaus[k].check = Check::Passed;
        return Ok(());
    }
    miss(tableaus, k, missed);
    Ok(())
}

/// Whether tableau `t` saw f vary below its steps (its noise probe) by far more than
/// f's noise, with an estimate above [`SHAKY`] of its value on some channel it saw move:
/// then it rests on values that alias f, and no check at a step of its size can confirm
/// it, as its estimate widens the check's allowance as much as the miss (`sin(1e4 x)` at
/// 0.5, typ 1: 52 for 1547 with an estimate of 445, the check within 4 times that). It
/// counts as missed on every channel; a smaller start that resolves f, or f's noise
/// measured (within [`SHAKY_NOISE`] times its term), settles it. Not so:
/// - a variation small beside the value: f's deterministic noise looks the same (an
///   adaptive ODE solver's jumps of `rtol |f|` gave estimates of 3e-5 of the value, and a
///   descent into one smooth piece read a slope 0.25 off with 3e-9,
///   `tests/accuracy_estimate_ode.rs`); a fast oscillation that small beside the rest of f
///   is taken for noise (left alone);
/// - far above the typical magnitude ([`large_x`]) unless the estimate exceeds the value
///   ([`SHAKY_FAR`]): f's rounding of its own argument (`eps |x_j|`) shows as noise at every
///   start and a descent only magnifies it (`sin(x / 1e-3)` at 1.2345e4 became NaN where
///   its estimate covered), while an estimate that claims no digit is aliasing
///   (`sin(1e6 x)` at 37: -4.69 with 2.4e3 for 7.9e5).
fn shaky<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: &Tableau,
    channels: Channels<'_>,
) -> bool {
    if !t.shows_noise {
        return false;
    }
    let (blind, e) = (t.blind(), &t.estimate);
    let poor = |c: usize, limit: f64| !blind[c] && e.error[c] > limit * e.value[c].abs();
    let unexplained = if large_x(p.opts, p.x, dir) {
        let reach = argument_reach(p.x, dir);
        let sigma = t.variation();
        (0..blind.len()).any(|c| {
            let own = ARGUMENT_NOISE * f64::EPSILON * reach * (e.value[c].abs() + e.error[c]);
            poor(c, SHAKY_FAR) || (poor(c, SHAKY) && sigma[c] > own)
        })
    } else {
        (0..blind.len()).any(|c| poor(c, SHAKY))
    };
    unexplained && !t.noise_within(p, channels, SHAKY_NOISE)
}

/// How far f's rounding of its own argument moves it along `dir`, in units of the
/// direction's parameter, relative to eps: `|x_j|` along an axis; along a vector the
/// largest `|x_k| / |u_k|` (the element whose rounding, through its own partial, carries
/// most when that partial makes the directional derivative).
fn argument_reach(x: &[f64], dir: Direction<'_>) -> f64 {
    match dir {
        Direction::Axis(j) => x[j].abs(),
        Direction::Vector(u) | Direction::Group(u, _) => x
            .iter()
            .zip(u)
            .filter(|(_, &uk)| uk != 0.0)
            .map(|(&xk, &uk)| xk.abs() / uk.abs())
            .fold(0.0, f64::max),
    }
}

/// See [`shaky`]: an estimate above this fraction of its value on a channel is one that
/// aliasing may have made.
const SHAKY: f64 = 1e-2;

/// See [`shaky`]: [`SHAKY`] far above the typical magnitude, where the variation is within
/// what f's rounding of its own argument makes.
const SHAKY_FAR: f64 = 1.0;

/// See [`shaky`]: a variation beyond this many times `eps reach |f'|` ([`argument_reach`],
/// with `|f'|` at most the tableau's value plus its estimate) is not f's rounding of its
/// own argument.
const ARGUMENT_NOISE: f64 = 64.0;

/// See [`shaky`]: an estimate within this many times the term of f's known noise is that
/// noise's (the probe's sample of it, tripled, and the truncation it makes, can reach a
/// few times [`super::EXPLAINED`]: 4 times let hash noise of 1e-10..1e-6 descend and
/// spend up to 335 evaluations on 20 columns, `tests/noisy_random_points.rs`).
const SHAKY_NOISE: f64 = 64.0;

/// Marks tableau `k` missed, its estimate raised on the channels `missed` names, and the
/// tableaus from larger starts, unchecked, missed too.
fn miss(tableaus: &mut [Tableau], k: usize, missed: Vec<(usize, f64)>) {
    let start = tableaus[k].start;
    for t in tableaus.iter_mut() {
        if t.start > start && t.check == Check::Unchecked {
            t.check = Check::Missed;
        }
    }
    let t = &mut tableaus[k];
    t.check = Check::Missed;
    for (c, by) in missed {
        t.estimate.error[c] = t.estimate.error[c].max(by);
    }
}

/// The channels on which tableau `t`'s steps straddle a kink ([`kink::jumps`]), each with
/// an estimate that covers: its own, plus the slope jump J (f' at x is one of the two
/// slopes, the central quotients near their mean), plus the distance of its value from
/// its last quotient (the extrapolation of the `d / t` term). `None` when there is none.
fn kinked<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    t: &Tableau,
    channels: Channels<'_>,
    after: bool,
) -> Option<Vec<(usize, f64)>> {
    if t.sums.is_empty() {
        return None;
    }
    if after {
        // A tableau of this direction straddled a kink already: f's noise, estimated
        // during the call or probed, may be that kink seen as noise (its sums `J t` then
        // drop below it at the smaller starts, which converge to the same mean of the
        // two slopes), so only rounding judges the smaller starts.
        let none = vec![0.0; t.estimate.value.len()];
        return raise(t, kink::jumps(&t.sums, &none, &none));
    }
    let grid = match channels {
        Channels::All => t.grid.clone(),
        Channels::Dot(v) => vec![t.grid.iter().zip(v).map(|(g, vi)| g * vi.abs()).sum()],
    };
    // f's variation the tableau's model leaves unexplained, as its noise probe saw it, and
    // f's known noise, each with its value grid: a sum (weights 1, -2, 1) carries a few.
    let known = known_noise(p, &t.stencil, channels).unwrap_or_default();
    let per_sum = |c: usize, s: f64| 4.0 * (s + grid.get(c).copied().unwrap_or(0.0));
    let probed: Vec<f64> = t
        .variation()
        .iter()
        .enumerate()
        .map(|(c, s)| per_sum(c, PROBE_SAFETY * s))
        .collect();
    let known: Vec<f64> = (0..probed.len())
        .map(|c| per_sum(c, NOISE_COVER * known.get(c).copied().unwrap_or(0.0)))
        .collect();
    raise(t, kink::jumps(&t.sums, &known, &probed))
}

/// The estimates [`kinked`] raises on the channels with a slope jump.
fn raise(t: &Tableau, jumps: Vec<Option<f64>>) -> Option<Vec<(usize, f64)>> {
    let last = &t.levels[t.levels.len() - 1].0;
    let raised: Vec<(usize, f64)> = jumps
        .into_iter()
        .enumerate()
        .filter_map(|(c, jump)| {
            let e = t.estimate.error[c];
            let by = e + jump? + (t.estimate.value[c] - last[c]).abs();
            e.is_finite().then_some((c, by))
        })
        .collect();
    (!raised.is_empty()).then_some(raised)
}

/// Raises the estimate of tableau `k`, which missed its check, to what the tableaus that
/// passed theirs say of its value: `|value - theirs| + their estimate`, the least of
/// those, channel by channel. Their steps resolve f, so the derivative lies within their
/// estimate of their value (sin(x) + 0.87 x at 1.3e12: the default tableau's 0.8746 with
/// 5e-11 against the own scale's 0.976 with 0.22; the derivative 0.956).
fn backed(tableaus: &mut [Tableau], k: usize) {
    let channels = tableaus[k].estimate.value.len();
    for c in 0..channels {
        let v = tableaus[k].estimate.value[c];
        let by = tableaus
            .iter()
            .filter(|t| t.check == Check::Passed)
            .map(|t| (t.estimate.value[c] - v).abs() + t.estimate.error[c])
            .fold(f64::INFINITY, f64::min);
        let e = &mut tableaus[k].estimate.error[c];
        *e = e.max(by);
    }
}

/// Where a tableau stands with its check ([`resolve`]).
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum Check {
    Unchecked,
    Passed,
    /// Missed on some channel, whose estimate was raised to what the check saw.
    Missed,
}

/// The quotient of a tableau's stencil at its off-lattice step `h`, per channel, with
/// its rounding scale and f's value grid (per channel, in f's units).
struct OffLattice {
    h: f64,
    quotient: Vec<f64>,
    magnitude: Vec<f64>,
    grid: Vec<f64>,
}

/// The quotient at `OFF_LATTICE` times `t`'s last step (2 evaluations); `None` when the
/// check cannot be made (the step leaves the bounds or an element unmoved, or f is not
/// finite there: other code covers those).
fn off_lattice<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    channels: Channels<'_>,
    t: &Tableau,
) -> Result<Option<OffLattice>, FdError> {
    let count = t.levels.len();
    let last = t.first * 0.5f64.powi(count as i32 - 1);
    let h = dir.step(p.x, last * OFF_LATTICE);
    if count < 2
        || h.is_nan()
        || h <= 0.0
        || !dir.keeps_moving(p.x, t.first, h)
        || !fits(p.opts, p.x, dir, h, &t.stencil)
    {
        return Ok(None);
    }
    let m = p.y0.len();
    let mut quotient = vec![0.0; m];
    if apply(p, dir, h, &t.stencil, &mut quotient)?.is_some() {
        return Ok(None);
    }
    let mut magnitude = p.ws.magnitude[..m].to_vec();
    if let Direction::Vector(u) = dir {
        let rel = displacement_rounding(p.x, u, h, &t.stencil) / f64::EPSILON;
        for (mg, q) in magnitude.iter_mut().zip(&quotient) {
            *mg += q.abs() * rel;
        }
    }
    // One step of the grid f's values lie on, per value (`on_grid`).
    let grid: Vec<f64> = (0..m)
        .map(|i| {
            let g = t.grid.get(i).copied().unwrap_or(0.0);
            quantum::grid([g, p.ws.y[i] - p.y0[i], p.ws.second[i]])
        })
        .collect();
    let (quotient, magnitude) = reduce(&quotient, &magnitude, channels);
    let grid = match channels {
        Channels::All => grid,
        Channels::Dot(v) => vec![grid.iter().zip(v).map(|(g, vi)| g * vi.abs()).sum()],
    };
    Ok(Some(OffLattice {
        h,
        quotient,
        magnitude,
        grid,
    }))
}

/// The channels, each with the error it shows, on which the check's quotient `at` misses
/// `t`'s prediction (see the module documentation); none where `t`'s estimate is NaN
/// already. `known`: per channel, the noise of a quotient at step 1 from f's declared or
/// estimated level ([`known_noise`]), if any. `shaky`: every channel misses ([`shaky`]).
fn judge(t: &Tableau, at: &OffLattice, known: Option<&[f64]>, shaky: bool) -> Vec<(usize, f64)> {
    let count = t.levels.len();
    let h = at.h;
    let weight: f64 = t.stencil.terms().map(|(_, w)| w.abs()).sum();
    let rms = stencil_weight(&t.stencil);
    let sigma = t.variation();
    let power = exponents(&t.stencil).0;
    let (l, m, s) = (count.saturating_sub(3), count - 2, count - 1);
    let step = |k: usize| t.first * 0.5f64.powi(k as i32);
    // The leading term `c t^p` from the last two quotients, and from the two before.
    let slope = |a: usize, b: usize, c: usize| {
        (t.levels[a].0[c] - t.levels[b].0[c]) / (step(a).powi(power) - step(b).powi(power))
    };
    let hp = h.powi(power);
    let mut missed = Vec::new();
    for c in 0..at.quotient.len() {
        let e = t.estimate.error[c];
        if !e.is_finite() {
            continue;
        }
        let correction = slope(m, s, c) * hp;
        let unsure = if count > 2 {
            (slope(l, m, c) * hp - correction).abs()
        } else {
            correction.abs()
        };
        let predicted = t.estimate.value[c] + correction;
        let rounding = f64::EPSILON * at.magnitude[c] + at.grid[c] * weight / h;
        let noise = (PROBE_SAFETY * sigma[c] * rms + known.map_or(0.0, |k| NOISE_COVER * k[c])) / h;
        let allowed = SLACK * (e + unsure + rounding + noise);
        let off = (at.quotient[c] - predicted).abs();
        if off > allowed || shaky {
            missed.push((c, SLACK * (off + allowed)));
        }
    }
    missed
}
