//! A call's one direction at its noise step, taken only where f has been looked at over
//! that step.
//!
//! Why: with one direction (a function of one variable, a JVP) the noise trigger never
//! fires, and a noisy f whose half-step check failed (`lone.rs`) kept the plain value,
//! about `ε / t` off, with no bound. The noise step `T = c t` (`refine::noise_scale`)
//! fixes the value, but a larger step is safe only where something has seen f over it:
//! taking it on the strength of a noise estimate alone crossed poles and narrow features
//! of exact functions that the estimate's table read as noise (bounds up to 5,822 times
//! short, stop 37). So the noise step is checked a posteriori, Richardson-style, by a
//! second central stencil at `T / 2` (2 evaluations):
//!
//! - **Second differences scale.** A smooth f has `D2(T / 2) = D2(T) / 4` to within
//!   `(T / σ)^2` of f's scale σ; noise adds at most about `7 ε` to their difference. A
//!   feature within `T / 2` keeps `D2(T / 2) ≈ D2(T)`, one between `T / 2` and T leaves
//!   `D2(T / 2) ≈ 0`. Per output that counts, the two must agree within [`SCALING`] of
//!   `D2(T) / 4` plus [`NOISE_D2`] times the noise: else the step is refused.
//! - **First differences bound the value.** The value is `D(T)`; its truncation is
//!   `4/3 |D(T) - D(T / 2)|` (the two differ by 3/4 of it), so a feature the first test
//!   let through widens the bound rather than hiding in it.
//!
//! A feature whose second differences stay within the noise (within [`NOISE_D2`] table
//! medians; over the noise step, less than about 50 noise levels off a straight line) is,
//! to these checks, part of the noise: the value is then the derivative of f's smooth
//! part, as ECnoise-based step rules assume (README, "Noisy functions").
//!
//! Cost: the table (8 evaluations, `noise_along.rs`) and the two stencils, 12 beyond the
//! half-step check's: 17 for a function of one variable, within the noise goal's
//! `2 (2n + 1) + 12`. Where the estimate or a check refuses, the call is as before: the
//! plain value, without a bound (the estimate is taken back).

use super::super::alloc::{recycle, zeros};
use super::super::derivative::Direction;
use super::super::error::FdError;
use super::super::function::Function;
use super::super::noise;
use super::super::noise_along::estimate_along;
use super::super::probe::Probe;
use super::super::report::NoiseSource;
use super::super::step::{noise_step, nominal_step};
use super::nonfinite::{try_at, Tried};
use super::{central, noise_scale, relative_step, truncation_floor, weight, Level};

/// How far `D2(T / 2)` may lie from `D2(T) / 4`, relative to the latter, in units of
/// `(r c)^2 = (T / X)^2` (X = max(|x_j|, typ_j), the scale the step rule assumes): a smooth f
/// differs by `(T ω)^2 / 16` of it where it varies as `sin(ω s)`, `(r c)^2` at the
/// quarter of X the bound's truncation floor already assumes (`refine::truncation_floor`),
/// and this allows twice as fast. A fixed share (0.25, then 0.05) hid features at the
/// large steps noise calls for, where `D2(T)` is mostly f's own curvature (a pole 2.5
/// steps from x along a JVP, 2,000 times short).
const SCALING: f64 = 4.0;

/// How far `D2(T / 2) - D2(T) / 4` may lie from 0 in units of the table's median `|Δ²|`
/// (about the noise's standard deviation σ, robust to a feature that lifts a few of
/// them, `noise_along.rs`): for noise it is a sum of five draws with weights 1, 1, 1/4,
/// 1/4 and 3/2, and over 2 10^5 simulated tables and stencils it exceeded 15 medians at
/// 0.1% (uniform noise) and 0.15% (Gaussian): those calls keep the plain value.
const NOISE_D2: f64 = 15.0;

/// The largest multiple of an output's noise level its table's median `|Δ²|` may stand
/// for in [`NOISE_D2`]'s test: for noise the two are about equal (the level within a
/// factor 2 of σ, the median 1.0 to 1.1 σ), for a smooth trend the level is 0.
const LEVEL_SPREAD: f64 = 3.0;

/// The noise share of the value's bound beyond what the call adds (`noise::widen_bound`,
/// `(NOISE_SHARE - 1) ε / T`): the value's own `ε / T`, and the noise of `D(T / 2)` that
/// may hide truncation in `|D(T) - D(T / 2)|`, three more.
const OWN_NOISE: f64 = 4.0;

/// The value at the noise step and its per-output bounds, and the step.
pub(crate) struct Taken {
    pub values: Vec<f64>,
    pub bounds: Vec<f64>,
    pub step: f64,
}

/// The noise step of the call's one direction `dir` (plain step `t`), whose check at half
/// the step (`half`, a central level at `t / 2`) failed: `None` where the estimate or a
/// check refuses (module doc), with the estimate taken back.
pub(super) fn take<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    half: &Level,
) -> Result<Option<Taken>, FdError> {
    // Outputs on a coarse grid (float32 inside f): their "noise" is the rounding of x's
    // casts, which a larger step does not average as it does noise.
    if noise::gridded(p) {
        return Ok(None);
    }
    p.noise_tried = true;
    let (below, above) = rows(p, half)?;
    let levels = estimate_along(p, (dir, half.t), (&below, &above))?;
    recycle(below);
    recycle(above);
    let Some(along) = levels else {
        return Ok(None);
    };
    p.report.noise = along.levels;
    p.report.noise_source = NoiseSource::Estimated;
    let c = noise_scale(p);
    let taken = if c > 1.0 {
        verified(p, dir, (noise_step_of(p, dir, t, c), c), &along.spreads)?
    } else {
        None
    };
    match taken {
        Some(_) => {
            p.step_scale = c;
            p.report.refined_noise += 1;
        }
        None => noise::reject(p),
    }
    Ok(taken)
}

/// The failed axes `(j, plain step, level at half of it)` of a call of several columns,
/// after a noise estimate along a random direction that the other columns refuted: noise
/// that enters f through a few inputs leaves the others smooth, as a feature in a few
/// columns does. Each such column is then judged alone, as a call of one direction is
/// ([`take`]): the noise along its own axis (its table at half its step; a table along a
/// random direction at the full step aliased oscillations of 0.22..0.5 steps per radian
/// into "noise", bounds up to 24 times short, stop 38's second review), and its noise step
/// where the check of [`verified`] passes. Not where a column of the call was refined
/// before the noise was known (its bound could not count it: a noisy column at 0.01
/// refined at its own scale came out 1.05 off with a bound of 0.07, which the failed
/// columns' NaN had hidden). 12 evaluations per column. Returns the columns taken, with
/// their values and bounds; the report's noise becomes, per output, the largest their
/// tables showed (the refuted estimate's where none was taken, which the caller rejects).
pub(super) fn some_columns<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    axes: Vec<(usize, f64, Level)>,
) -> Result<Vec<(usize, Taken)>, FdError> {
    let refined = p.report.refined_large + p.report.refined_rounding > 0;
    let mut taken = Vec::new();
    if refined || noise::gridded(p) {
        return Ok(taken);
    }
    let mut seen: Vec<f64> = Vec::new();
    for (j, t, half) in axes {
        let dir = Direction::Axis(j);
        let (below, above) = rows(p, &half)?;
        let along = estimate_along(p, (dir, half.t), (&below, &above))?;
        recycle(below);
        recycle(above);
        let Some(along) = along else {
            continue;
        };
        let refuted = std::mem::replace(&mut p.report.noise, along.levels);
        let c = noise_scale(p);
        let one = if c > 1.0 {
            verified(p, dir, (noise_step_of(p, dir, t, c), c), &along.spreads)?
        } else {
            None
        };
        let levels = std::mem::replace(&mut p.report.noise, refuted);
        if let Some(one) = one {
            if seen.is_empty() {
                seen = levels;
            } else {
                seen.iter_mut()
                    .zip(&levels)
                    .for_each(|(s, l)| *s = s.max(*l));
            }
            taken.push((j, one));
        }
    }
    if !taken.is_empty() {
        p.report.noise = seen;
        p.report.refined_noise += taken.len();
        p.noise_by_column = true;
    }
    Ok(taken)
}

/// f at `x - h d` and `x + h d` from the central level at step h: its difference `D1 h =
/// (b - a) / 2` and second difference `D2 = a + b` of `a = f(x - h d) - f(x)`, `b = f(x +
/// h d) - f(x)` give them back within a few ulps of f, far below any noise the estimate
/// acts on.
fn rows<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    half: &Level,
) -> Result<(Vec<f64>, Vec<f64>), FdError> {
    let m = p.y0.len();
    let what = "the noise table along one direction";
    let (mut below, mut above) = (zeros(m, what)?, zeros(m, what)?);
    for i in 0..m {
        let (n, s) = (half.d[i] * half.t, 0.5 * half.second[i]);
        below[i] = p.y0[i] + (s - n);
        above[i] = p.y0[i] + (s + n);
    }
    Ok((below, above))
}

/// The noise step along `dir` at scale `c` from the plain step `t`: an axis's by the
/// step rule's ([`noise_step`]: typ_j's scale far above it), a vector's `c t` at most
/// (`jvp.rs`'s rule).
fn noise_step_of<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    c: f64,
) -> f64 {
    let (opts, x) = (p.opts, p.x);
    match dir {
        Direction::Axis(j) => noise_step(opts, x, j, t, c),
        Direction::Vector(u) => (0..x.len())
            .filter(|&j| u[j] != 0.0)
            .map(|j| noise_step(opts, x, j, nominal_step(opts, x, j), c) / u[j].abs())
            .fold(c * t, f64::min),
        Direction::Group(..) => c * t,
    }
}

/// The central stencils at `big` (the step scale `c`) and half of it, checked (module
/// doc; `spreads`: the table's median `|Δ²|` per output): the value at `big` and its
/// bounds, or `None`.
fn verified<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    (big, c): (f64, f64),
    spreads: &[f64],
) -> Result<Option<Taken>, FdError> {
    let Some(whole) = level_at(p, dir, big)? else {
        return Ok(None);
    };
    let Some(half) = level_at(p, dir, whole.t / 2.0)? else {
        return Ok(None);
    };
    let (eps, r) = (f64::EPSILON, relative_step(p) * c);
    let smooth = SCALING * r * r;
    let m = p.y0.len();
    let mut bounds = zeros(m, "the bounds at the noise step")?;
    for i in 0..m {
        let noise = p.report.noise[i];
        let rounding = 8.0 * eps * whole.mag[i].max(half.mag[i]);
        if weight(p, i) != 0.0 {
            let quarter = whole.second[i] / 4.0;
            // The table's median |Δ²|, unless the level shows less noise: where a smooth
            // trend dominates the table (level 0), its second differences are the trend's.
            let spread = spreads[i].min(LEVEL_SPREAD * noise);
            let allowed = smooth * quarter.abs() + NOISE_D2 * spread + rounding * whole.t;
            if (half.second[i] - quarter).abs() > allowed {
                return Ok(None);
            }
        }
        let d = whole.d[i];
        bounds[i] = 4.0 / 3.0 * (d - half.d[i]).abs()
            + OWN_NOISE * noise / whole.t
            + truncation_floor(d, r)
            + rounding;
    }
    Ok(Some(Taken {
        values: whole.d,
        bounds,
        step: whole.t,
    }))
}

/// The central level at step `nominal` along `dir` (made exact along an axis), or `None`
/// where it does not fit or meets a value that is not finite.
fn level_at<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    nominal: f64,
) -> Result<Option<Level>, FdError> {
    let e = dir.step(p.x, nominal);
    let mut d = zeros(p.y0.len(), "a level at the noise step")?;
    let level = match try_at(p, dir, e, &central(), &mut d)? {
        Tried::Done => Some(Level::take(p, e, &d)?),
        Tried::Unfit | Tried::NonFinite => None,
    };
    recycle(d);
    Ok(level)
}
