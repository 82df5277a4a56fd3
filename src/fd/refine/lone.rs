//! A central direction whose second difference looked like noise, checked at half its step
//! once the call has found no noise.
//!
//! Why: three points cannot tell noise from a feature of f below the step (a pole, a
//! narrow step or bump). Both make `|D2| > 30 r^2 M`; the direction keeps its plain value,
//! bounded as if f varied on the scale D2 shows (`|D2| / 2t` at most). A pole at a
//! distance `d` below the step t puts f(x) far from f(x ± t): `D2 ≈ 2c / d` and a bound
//! of `c / (d t)`, but the error is `c / d^2`, `t / d` times more (independent programs
//! with a pole or a narrow tanh within the step of well-scaled elements: VJP 177,
//! Jacobian 176, JVP 91 of 300 bounds short, up to 7e7 times). Where the noise trigger
//! fires, noise sets the step; where it declines (one direction, or too few, showed it)
//! nothing ruled the feature out.
//!
//! One more stencil at half the step decides: a smooth f has `D2(q t) = q^2 D2(t)` to
//! within `(t / σ)^2` of f's scale σ (f near an extremum of an output along the
//! direction, where `f'` is tiny next to `f''`, is the smooth case that shows such a D2);
//! a feature below the step, or noise, does not scale so (a pole within `t / 2` keeps
//! `D2(t / 2) ≈ D2(t)`; a step of f between `t / 2` and t leaves `D2(t / 2) ≈ 0`). Where
//! the weighted `|D2|` at half the step lies within [`SCALING`] of `q^2` times the plain
//! one (plus rounding), the direction keeps its value and bound bit for bit; elsewhere its
//! value stays and it has no bound (the call's bound is NaN): a loud "cannot tell" in
//! place of a quiet wrong bound. Noise confined to these directions loses its bound the
//! same way (declare it, or use `NoiseMode::Estimate`, to keep one).
//!
//! Cost: 2 evaluations per such direction, only where the call found no noise. Axis
//! directions (VJP, Jacobian, a JVP's columns) and a JVP's vector; column groups of a
//! sparsity pattern are not checked.

use super::super::derivative::Direction;
use super::super::error::FdError;
use super::super::function::Function;
use super::super::fused;
use super::super::probe::Probe;
use super::super::report::NoiseSource;
use super::{central, own_scale, relative_step, weight, Sums, LARGE};

/// How far the ratio of the weighted `|D2|` at half the step to the plain one may lie
/// from `q^2`, relative: smooth functions stay within `(t / σ)^2 / 16` of it, a pole
/// within the step gives about `4 q^2`, a step of f between the two steps 0.
const SCALING: f64 = 0.25;

/// An axis direction to check: its axis, its plain step and the weighted `|D2|` there.
#[derive(Clone, Copy)]
pub(crate) struct Lone {
    j: usize,
    t: f64,
    d2: f64,
}

/// Notes a direction whose plain central stencil at step `t` gave the sums `s`, when its
/// second difference is large with no noise known and no noise step taken.
pub(crate) fn note<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    s: &Sums,
) {
    let Direction::Axis(j) = dir else {
        return;
    };
    let r = relative_step(p);
    if p.step_scale > 1.0
        || p.report.noise_source != NoiseSource::None
        || !may_look_noisy(s.d2, s.m, r)
    {
        return;
    }
    let size = match p.weights {
        Some(v) => fused::y0_size(&p.y0, v),
        None => p.y0.iter().map(|y| y.abs()).sum::<f64>(),
    };
    if looks_noisy(s.d2, s.m, size, r) {
        p.lone.push(Lone { j, t, d2: s.d2 });
    }
}

/// Whether a direction whose weighted sums hold `|D2|` and the change M (relative step
/// `r`) may be one [`note`] keeps: `|D2| > 30 r^2 M`, as `classify` calls noise-like.
#[inline]
pub(crate) fn may_look_noisy(d2: f64, change: f64, r: f64) -> bool {
    d2 > LARGE * r * r * change
}

/// Whether such a direction is one [`note`] keeps: [`may_look_noisy`], and `|D2|` above
/// `30 r^2` times f's own size at x too (`size`: `sum |v_i| |f_i(x)|`, or unweighted). At
/// an extremum of a smooth f along an axis, `f'` is tiny next to `f''` (cos at 0) and
/// `|D2| ≈ t^2 |f''|` stays below `r^2 |f|` unless f itself nearly vanishes there: exact
/// functions at such points keep their count. The fused pass forms M only where the
/// second difference passes the size test (`fused::column_sums`), so both paths decide
/// alike, bit for bit.
#[inline]
pub(crate) fn looks_noisy(d2: f64, change: f64, size: f64, r: f64) -> bool {
    may_look_noisy(d2, change, r) && above_size(d2, size, r)
}

/// `|D2| > 30 r^2 size`, the test of [`looks_noisy`] that needs no M.
#[inline]
pub(crate) fn above_size(d2: f64, size: f64, r: f64) -> bool {
    d2 > LARGE * r * r * size
}

/// Checks the directions [`note`] kept (the call's noise trigger has declined): each whose
/// second difference does not scale as a smooth f's has no bound.
pub(crate) fn check<F: Function + ?Sized>(p: &mut Probe<'_, '_, F>) -> Result<(), FdError> {
    let lone = std::mem::take(&mut p.lone);
    if lone.is_empty() || p.report.noise_source == NoiseSource::Declared {
        return Ok(());
    }
    let m = p.y0.len();
    p.ws.columns(m);
    for c in &lone {
        if !smooth(p, Direction::Axis(c.j), c)? {
            p.report.unbounded_direction();
        }
    }
    Ok(())
}

/// Whether the direction's second difference at half the step scales as a smooth f's.
fn smooth<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    c: &Lone,
) -> Result<bool, FdError> {
    let level = match own_scale::level(p, dir, c.t, c.t / 2.0, &central())? {
        Ok(level) if level.stencil == central() => level,
        // Outside the bounds, or a NaN within: nothing to tell the feature apart.
        _ => return Ok(false),
    };
    let q = level.t / c.t;
    let m = level.second.len();
    let (mut half, mut rounding) = (0.0, 0.0);
    for i in 0..m {
        let w = weight(p, i);
        half += w * level.second[i].abs();
        rounding += w * 8.0 * f64::EPSILON * level.mag[i] * level.t;
    }
    let expected = q * q * c.d2;
    Ok((half - expected).abs() <= SCALING * expected + rounding)
}
