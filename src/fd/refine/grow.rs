//! Growing the step where rounding swamps the difference (`|x_j| < typ_j / 1e3` and the
//! rounding of D1 above `1e-8 |D1|`: cos near 0, f ≈ 1 while f' ≈ 1e-7).
//!
//! The step grows tenfold up to [`GROW_LEVELS`] times (2 evaluations each) while the
//! truncation seen between levels stays below their rounding; each level's error is
//! estimated as that truncation plus `eps ρ` (and noise `ε / t`), and per output the level
//! with the smallest estimate is kept (the plain value on ties).
//!
//! Why one more step, extrapolation: a single central step cannot balance truncation
//! against rounding well enough here. For a sum of 40 cosines at `x_j = 1e-7` every ulp
//! of f (7e-15) costs `7e-15 / (2 h x_j)` relative, 6e-6 at the best step `h ≈ 6e-3`,
//! whose truncation `h^2 / 6` is 6e-6 too: over 40 random draws of 40 such cosines, 12 had
//! a worst entry above 1e-5 (up to 1.4e-5). Once truncation shows at a level `t_k`, f's
//! leading error term `C t^2` is measured well above rounding, so one more central
//! difference at `t_k / 2` removes it: `R = (D_h - q D_k) / (1 - q)`, `q = (t_h / t_k)^2`
//! (the steps as taken), whose rounding is that of a step near `t_k` (about 3 times that
//! of `D_k`) and whose truncation is the next term, `E t_h^2 t_k^2`. That term is
//! estimated for f varying on a single scale s (`f''' ~ f' / s^2`, `f^(5) ~ f' / s^4`,
//! as the step rule assumes): `|E| = 0.3 C^2 / |f'|`, times [`FOURTH_SAFETY`]. R replaces
//! the best level only where its estimate is smaller and it agrees with that level
//! within its bound (a function whose fourth-order term is not what one scale
//! predicts then keeps the level). Same 40 draws: worst entry 2.4e-6 (see
//! `tests/fd_grow_extrapolated.rs`), for 10 evaluations per grown column instead of 6.

use super::super::alloc;
use super::super::derivative::Direction;
use super::super::error::FdError;
use super::super::function::Function;
use super::super::probe::Probe;
use super::nonfinite::{self, Tried};
use super::{
    central, far_above, noise_of, plain_agrees, plain_bound, reach, relative_step, shrink_from,
    vector, Level, ROUNDING_SAFETY,
};
use std::cmp::Ordering;

/// Growth factor of the levels, and their number. Four tenfold levels reach `1e4 t`
/// (6e-2 for `typ_j = 1`), where a function varying on the scale typ_j shows its
/// truncation (`t^2 / 6 = 6e-4` of f' for cos) far above the rounding, which the
/// extrapolation needs.
pub(super) const GROW: f64 = 10.0;
const GROW_LEVELS: i32 = 4;

/// A pair of levels shows noise where the part of the lower one's second difference
/// that the upper one's, scaled by `(t_lo / t_hi)^2`, does not explain exceeds this many
/// times the rounding of f computed from larger terms ([`ROUNDING_SAFETY`]` eps |f|`).
const NOISE_SEEN: f64 = 4.0;

/// The noise a kept value's bound counts, in units of `ε / t` with ε read from one or two
/// samples of a second difference ([`seen_noise`]): one sample of `|u(x+t) + u(x-t) - 2
/// u(x)|` falls below a quarter of the noise error `|u(x+t) - u(x-t)|` in 8% of uniform
/// draws (`noise.rs`, `few`), and the estimates, which choose the level, count it once
/// (a sum of 8 cosines at 1e-9..1e-7 plus hash noise of 1e-10, JVP: 8.7e-10 off with a
/// bound of 6.9e-10, `tests/noisy_bounds_cover.rs`). Only the bound.
const SEEN_SHARE: f64 = 4.0;

/// How many times the single-scale estimate of the extrapolation's remaining truncation
/// (module doc) is taken.
const FOURTH_SAFETY: f64 = 16.0;

/// The best value found so far for one output: its estimated error, value, rounding
/// scale (for the bound) and the step of its level.
#[derive(Clone, Copy)]
struct Best {
    e: f64,
    value: f64,
    mag: f64,
    t: f64,
}

/// Grows the step (module doc); per output keeps the value with the smallest estimated
/// error. Returns the per-output bounds.
pub(super) fn grow<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    out: &mut [f64],
) -> Result<Vec<f64>, FdError> {
    let eps = f64::EPSILON;
    let m = out.len();
    let mut prev = Level::take(p, t, out)?;
    let mut plain_second = alloc::zeros(m, "a grown direction's plain second differences")?;
    plain_second.copy_from_slice(&prev.second);
    // Its part unexplained by the first level (the whole where there is none).
    let mut unexplained = alloc::zeros(m, "a grown direction's unexplained differences")?;
    unexplained.copy_from_slice(&plain_second);
    // The plain quotients and rounding scales a grown value must agree with
    // ([`plain_agrees`]).
    let plain = (prev.d.clone(), prev.mag.clone());
    // Where the plain step straddles an element's own scale: the plain level and bounds a
    // refinement down would start from, and its target ([`straddled`]).
    let mut straddle = match straddled(p, dir, t) {
        Some(target) => Some((Level::take(p, t, out)?, plain_bound(p, t, out), target)),
        None => None,
    };
    let mut unmodelled = false;
    // Outputs whose levels' differences `f(x + t) - f(x - t)` stopped growing with the
    // step ([`plain_agrees::same_step`]).
    let mut stepped = alloc::filled(m, false, "a grown direction's stepped outputs")?;
    // The noise per output: known, or read from the levels ([`seen_noise`]).
    let mut noise: Vec<f64> = (0..m).map(|i| noise_of(p, i)).collect();
    let known_noise = noise.clone();
    // Outputs whose noise is read from the levels, not known.
    let mut seen_only = vec![false; m];
    let mut best: Vec<Best> = (0..m)
        .map(|i| Best {
            e: eps * prev.mag[i] + noise[i] / t,
            value: prev.d[i],
            mag: prev.mag[i],
            t,
        })
        .collect();
    // The truncation `|C| t^2` of the last level, per output, when it showed.
    let mut shown: Option<Vec<f64>> = None;
    // Per output, the level taken right after the best one: its value and estimate.
    let mut next: Vec<Option<(f64, f64)>> = vec![None; m];
    for k in 1..=GROW_LEVELS {
        let tk = dir.step(p.x, t * GROW.powi(k));
        // A level that meets a NaN or infinity ends the growth (counted): the levels
        // below it bound their own values, and growing past an edge of f's domain would
        // not (`nonfinite.rs`).
        match nonfinite::try_at(p, dir, tk, &central(), out)? {
            Tried::Done => {}
            Tried::Unfit => break,
            Tried::NonFinite => {
                p.report.nonfinite_fallbacks += 1;
                break;
            }
        }
        let level = Level::take(p, tk, out)?;
        if k == 1 {
            // The part of the plain second difference that the first level's, scaled by
            // `t^2`, does not explain ([`own_scale_share`]).
            let q = (t / level.t).powi(2);
            for (d2, &next) in unexplained.iter_mut().zip(&level.second) {
                *d2 -= q * next;
            }
        }
        let mut truncation = alloc::zeros(m, "a grown level's truncation")?;
        let mut truncation_shows = false;
        // Whether some output moved between the levels by more than [`ROUNDING_SAFETY`]
        // times their rounding: the evidence a straddling plain step needs ([`straddled`]).
        let mut moved_beyond_rounding = false;
        for i in 0..m {
            stepped[i] |= plain_agrees::same_step(&prev, &level, i);
            if k <= 2 {
                if let Some(seen) = seen_noise(&prev, &level, i).filter(|&e| e > noise[i]) {
                    noise[i] = seen;
                    seen_only[i] = true;
                    let b = &mut best[i];
                    b.e = b.e.max(eps * b.mag + seen / b.t);
                }
            }
            let round =
                eps * (level.mag[i] + prev.mag[i]) + noise[i] * (1.0 / prev.t + 1.0 / level.t);
            let trunc = ((level.d[i] - prev.d[i]).abs() - round).max(0.0)
                / (1.0 - (prev.t / level.t).powi(2));
            truncation_shows |= trunc > eps * level.mag[i];
            // Against f's rounding and its declared noise only: a straddling step's levels
            // read as noise ([`seen_noise`]; cbrt at 4e-12 plus 7.6e5 read 2.5e-4).
            let known = eps * (level.mag[i] + prev.mag[i])
                + known_noise[i] * (1.0 / prev.t + 1.0 / level.t);
            moved_beyond_rounding |= (level.d[i] - prev.d[i]).abs() > ROUNDING_SAFETY * known;
            truncation[i] = trunc;
            let e = trunc + eps * level.mag[i] + noise[i] / level.t;
            if e < best[i].e {
                best[i] = Best {
                    e,
                    value: level.d[i],
                    mag: level.mag[i],
                    t: level.t,
                };
                next[i] = None;
            } else if next[i].is_none() {
                next[i] = Some((level.d[i], e));
            }
        }
        if k <= 2 && !matches!(dir, Direction::Axis(_)) && straddled(p, dir, level.t).is_some() {
            // Along a vector, levels that move an element past its own scale and disagree
            // with a t^2 model beyond f's rounding and known noise ([`unmodelled_pair`]).
            unmodelled |= (0..m).any(|i| unmodelled_pair(&prev, &level, &known_noise, i));
        }
        prev = level;
        if truncation_shows && moved_beyond_rounding && k == 1 {
            if let Some((plain, plain_b, target)) = straddle.take() {
                // The plain step straddles x_j's own scale and the next level already
                // shows truncation far beyond rounding: f varies below the plain step, and
                // a t^2 model read between the levels says nothing of the plain value's
                // error. A change within a few roundings is no such evidence: cos at
                // 3.3e-8 computed by a Richardson inner derivative (a few ulps off, JAX's
                // jacrev of jacrev of sin) showed a truncation of 1.14 times its modelled
                // rounding, and its refinement down kept the plain value, 1.6e-3 off
                // where the grown level is 1.7e-4 off (test_jax_second_values).
                if let Direction::Axis(_) = dir {
                    out.copy_from_slice(&plain.d);
                    p.report.refined_large += 1;
                    return shrink_from(p, dir, (plain, plain_b), target, &central(), None, out);
                }
                // A JVP takes a u that moves several elements column by column instead
                // (x^3 at (1e-8, 1, 1e4) along ones: the plain step straddles x_0's own
                // scale, where x_2 needs a larger one). Not where the levels only
                // disagree beyond a t^2 model (above): noise looks the same, and the
                // columns' sum carries more of it than u's one step.
                if let Direction::Vector(u) = dir {
                    p.mixed_scales |= vector::moves_several(u);
                }
                unmodelled = true;
            }
        }
        if truncation_shows {
            shown = Some(truncation);
            break;
        }
    }
    let kept: Vec<f64> = best.iter().map(|b| b.t).collect();
    if let Some(truncation) = shown {
        extrapolate(p, dir, (&prev, &truncation), &noise, &mut best, out)?;
    }
    for (o, b) in out.iter_mut().zip(&best) {
        *o = b.value;
    }
    for (i, b) in best.iter_mut().enumerate() {
        if let (Some((value, e)), true) = (next[i], b.t == kept[i]) {
            b.e = b.e.max(beside_next(b.value, value, e));
        }
        if b.t == t && next[i].is_none() {
            b.e += unmeasured(plain_second[i], t);
        }
        if seen_only[i] {
            b.e += (SEEN_SHARE - 1.0) * noise[i] / b.t;
        }
    }
    if unmodelled {
        // Along a vector or a group, a refinement down needs exact steps it would have to
        // plan anew: the values kept, unbounded.
        return far_above::unbounded(m);
    }
    // The levels are weighed on `eps |f|` (the plain value wins ties), but the bound takes
    // the rounding of f computed from terms larger than itself ([`ROUNDING_SAFETY`]): a sum
    // of 40 cosines near 0 rounds at 4 times `eps |f|`, and its grown step's error (6e-12)
    // was reported as 1.5e-12.
    let r = relative_step(p);
    // Where the plain step straddles an element's own scale (and the growth saw nothing
    // that sent it down), what a term on that scale could hide ([`own_scale_share`]).
    let share = straddle.map_or(0.0, |_| own_scale_share(p, dir, t));
    Ok(best
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let bound = b.e + (ROUNDING_SAFETY - 1.0) * eps * b.mag;
            let hidden = 2.0 * eps * p.y0[i].abs();
            let bound = bound.max(share * hidden.max(unexplained[i].abs()));
            let (d, mag) = (plain.0[i], ROUNDING_SAFETY * eps * plain.1[i]);
            let kept = (b.value, bound);
            let plain_ok = b.t == t
                || plain_agrees::agrees(kept, (d, mag, plain_second[i]), known_noise[i], t, r);
            if plain_ok && !stepped[i] {
                bound
            } else {
                f64::NAN
            }
        })
        .collect())
}

/// The own-scale target of a refinement down when the step `t` moves some element by
/// more than `|x_j| != 0` (`reach`'s a priori test without the far-above one), else
/// `None`. Why: a step straddling x_j's own scale (cbrt at 2e-13 plus 1e6, whose rounding
/// sent it here) has no t^2 truncation; the grown level ten times larger read a truncation
/// from it, and the plain value was kept 9e7 off with a bound of 4.8e3 (probe13 finding 2).
pub(super) fn straddled<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
) -> Option<f64> {
    let moved: Vec<(usize, f64)> = match dir {
        Direction::Axis(j) => vec![(j, 1.0)],
        Direction::Vector(u) => u
            .iter()
            .enumerate()
            .filter(|(_, &uj)| uj != 0.0)
            .map(|(j, &uj)| (j, uj.abs()))
            .collect(),
        Direction::Group(u, cols) => cols.iter().map(|&j| (j, u[j].abs())).collect(),
    };
    let over = moved
        .iter()
        .any(|&(j, uj)| p.x[j] != 0.0 && t * uj > p.x[j].abs());
    over.then(|| reach(p, moved, t).target)
        .filter(|target| target.is_finite() && *target < t)
}

/// Per unit of a term's size, the derivative along the direction that a term of the own
/// scale of the elements the plain step `t` moves past (`|x_j| < t |u_j|`) can have while
/// no level sees it: `max_j |u_j| / |x_j|` over those elements. [`grow`] takes as the
/// term's size twice f's rounding, `2 eps |f_i(x)|` (a term below it shows nowhere), or
/// the part of the plain second difference `D2_i` that the first grown level's, scaled by
/// `t^2`, does not explain, where larger (f(x) off its neighbours by a term the
/// straddling levels, far from it, do not see; a smooth f's curvature scales away), and
/// bounds a grown value by that derivative at least: a pole `c / x_j` of size `a` at x
/// has derivative `a / |x_j|`.
///
/// Why: growing assumes f varies on no scale below the plain step, and a term of x_j's
/// own scale refutes nothing the levels see: `1e25 + 1 / x` at `x = 1e-9` (1/x under half
/// an ulp of 1e25) gave 0 for -1e18 with a bound of 2.35e12 through every entry point (an
/// independent probe, 1 December: 13 to 15 such misses per 1000 random mixed-scale cases,
/// up to 1e4 times short); `1.8e24 + 0.018 / x` at 8.8e-12 (7.6 ulps) 0 for -2.3e20 with a
/// bound of 4.6e19. Cos at 1e-7 keeps its value; its bound rises to `2 eps / 1e-7` (4.4e-9
/// against f' = -1e-7): honest, as no evaluation tells it from `1 + a / x` with `a` below
/// the rounding.
fn own_scale_share<F: Function + ?Sized>(p: &Probe<'_, '_, F>, dir: Direction<'_>, t: f64) -> f64 {
    let x = p.x;
    let share = |j: usize, uj: f64| {
        let uj = uj.abs();
        if x[j] != 0.0 && t * uj > x[j].abs() {
            uj / x[j].abs()
        } else {
            0.0
        }
    };
    match dir {
        Direction::Axis(j) => share(j, 1.0),
        Direction::Vector(u) => (0..x.len()).map(|j| share(j, u[j])).fold(0.0, f64::max),
        Direction::Group(u, cols) => cols.iter().map(|&j| share(j, u[j])).fold(0.0, f64::max),
    }
}

/// Whether the levels `lo` and `hi` (the first two pairs of [`grow`]) disagree with
/// the `t^2` model beyond f's rounding and its known noise, by [`seen_noise`]'s
/// measure. Along a vector whose upper level moves some element past its own scale, that
/// is no reading of noise but of a feature the levels straddle: a pole or kink of a tiny
/// element's term, whose contribution to f saturates or cancels on both sides, while a
/// huge smooth term made rounding look dominant and sent the direction here. Why: a JVP
/// moving x_3 = 6e-11 by 5e-6 across the pole of `x_2 / x_3` kept a value without the
/// pole's term, -3e10 off with a bound of 307 (probe13 finding 5); log |x_3| at 5e-5,
/// crossed by the first grown level, read as noise 0.45 off with a bound of 0.3.
fn unmodelled_pair(lo: &Level, hi: &Level, known_noise: &[f64], i: usize) -> bool {
    seen_noise(lo, hi, i).is_some_and(|seen| seen > NOISE_SEEN * known_noise[i])
}

/// The truncation bound of the plain value kept with no level above it (the growth met a
/// NaN or left the bounds at its first level, so no difference between levels measured
/// it): twice the first-order error `|D2| / 2t`, which holds while the plain step is below
/// the scale on which f varies and, past it, grows with the step as the error does. Only
/// the bound. Why: the estimate counted rounding alone, and a plain step a third of x_j
/// (2928 + x log x at x = 2e-5, its growth stopped by the NaN of log at `x - 10 t`) was
/// 0.015 off with a bound of 6.9e-6 (probe13 finding 2b).
fn unmeasured(second: f64, t: f64) -> f64 {
    second.abs() / t
}

/// The bound of a kept level from the level taken right after it (`value`, estimate `e`):
/// `|kept - value| + e`, by the triangle inequality, whatever f is. Only the bound: the
/// choice stays the estimates'.
///
/// Why: a level's noise is read from one sample of its second difference
/// ([`seen_noise`]), which falls far below the noise's size in a few percent of draws (or
/// to 0), so the kept plain value's estimate said rounding while the next level, ten
/// times the step, disagreed with it by its whole noise error (a sum of 8 cosines at
/// 1e-9..1e-7 plus hash noise of 3.2e-11..1e-6: 3.9e-6 off with a bound of 1.5e-6,
/// `tests/noisy_bounds_cover.rs`). An exact f gives `|kept - value|` about the next
/// level's truncation, which its estimate holds already.
fn beside_next(kept: f64, value: f64, e: f64) -> f64 {
    (kept - value).abs() + e
}

/// The noise level that the levels `lo` and `hi` (the plain and the first grown level,
/// or the first and second grown ones) show for output i, if significant: the part of
/// `lo`'s second difference that `hi`'s, scaled by `(t_lo / t_hi)^2`, does not explain
/// (f's own fourth-order term there is `t_lo^4 |f''''| / 12`, 1e-16 at `t_lo = 6e-5` for
/// f varying on the scale 1). One sample of `u(x + t) + u(x - t) - 2 u(x)` for noise u:
/// taken as the level ε, whose cost at step t is at most `ε / t` (uniform noise) and
/// `0.4 ε / t` typically. Why: where rounding swamps the difference the step grows, and
/// the levels' differences are then read as truncation; noise read so stopped the growth
/// at its first level and kept the plain value with a rounding bound (cos plus hash noise
/// of 1e-10 at 1e-9: 1.1e-5 off with a bound of 2.35e-9, probe6 finding 7).
fn seen_noise(lo: &Level, hi: &Level, i: usize) -> Option<f64> {
    let q = (lo.t / hi.t).powi(2);
    let seen = (lo.second[i] - q * hi.second[i]).abs();
    let rounding = ROUNDING_SAFETY * f64::EPSILON * lo.mag[i] * lo.t;
    (seen > NOISE_SEEN * rounding).then_some(seen)
}

/// The extrapolation of the module doc from the level `top` (whose truncation showed,
/// `truncation` per output) and one more at half its step, where it can beat `best`;
/// `noise` the outputs' noise levels.
fn extrapolate<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    (top, truncation): (&Level, &[f64]),
    noise: &[f64],
    best: &mut [Best],
    out: &mut [f64],
) -> Result<(), FdError> {
    let eps = f64::EPSILON;
    // Predicted with q = 1/4 and the half level's rounding twice the top's: worth the
    // two evaluations only where it may win.
    let fourth = |trunc: f64, q: f64, f1: f64| {
        0.3 * FOURTH_SAFETY * trunc * trunc * q / f1.abs().max(f64::MIN_POSITIVE)
    };
    let worth = (0..best.len()).any(|i| {
        let rounding = 3.0 * eps * top.mag[i];
        rounding + fourth(truncation[i], 0.25, top.d[i]) < best[i].e
    });
    let th = dir.step(p.x, top.t / 2.0);
    if !worth || th.partial_cmp(&top.t) != Some(Ordering::Less) {
        return Ok(());
    }
    match nonfinite::try_at(p, dir, th, &central(), out)? {
        Tried::Done => {}
        Tried::Unfit => return Ok(()),
        Tried::NonFinite => {
            p.report.nonfinite_fallbacks += 1;
            return Ok(());
        }
    }
    let half = Level::take(p, th, out)?;
    let q = (half.t / top.t).powi(2);
    for (i, b) in best.iter_mut().enumerate() {
        let value = (half.d[i] - q * top.d[i]) / (1.0 - q);
        let mag = (half.mag[i] + q * top.mag[i]) / (1.0 - q);
        // `|C| t_k^2` from this pair, which sees it far above the rounding.
        let pair = (top.d[i] - half.d[i]).abs() / (1.0 - q);
        let trunc = pair.max(truncation[i]);
        let level = noise[i];
        let noise = level * (1.0 / half.t + q / top.t) / (1.0 - q);
        let e = eps * mag + fourth(trunc, q, value) + noise;
        // The best level's truncation `|C| t_b^2` as this pair measures it: the levels'
        // own estimate, from a difference near their rounding, may have missed it.
        let seen = pair * (b.t / top.t).powi(2) + eps * b.mag + level / b.t;
        b.e = b.e.max(seen);
        // Agreeing with the best level within its bound (rounding as the bound takes it).
        let agrees = (value - b.value).abs() <= e + b.e + ROUNDING_SAFETY * eps * b.mag;
        if e < b.e && agrees {
            *b = Best {
                e,
                value,
                mag,
                t: half.t,
            };
        }
    }
    Ok(())
}
