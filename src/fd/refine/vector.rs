//! Refining a JVP direction u with exact steps ([`super::exact`]): the levels move along
//! `u'` (each element by an exact amount), and `J u = J u' + J w` with `w = u - u'` tiny,
//! `J w` from one central difference along w (2 evaluations) that moves the elements as
//! far as the refinement does.
//!
//! Three cases, by what the steps actually move:
//! - the nominal steps `target` and `target / 2` along u itself move every element by
//!   its nominal amount within [`EXACT_ENOUGH`] relative (x_j's ulp far below the step:
//!   log near 0 refined at `r |x_j|`): the refinement goes along u at `target`;
//! - otherwise, at the power-of-two step c along `u'`; when `u'` is within
//!   [`EXACT_ENOUGH`] of u in every element (u = e_j, ones, 0.75: `u' = u` exactly at
//!   x_j = 1e8, whose ulp divides `c u_j / 2`), `J w` is negligible and not computed;
//! - else `J w` is added (u = 0.7 at 1e8).
//!
//! Before the first case was told apart from the second by `u'` alone, the levels of the
//! second went along u at `target` (not a power of two): at x_j = 1e8 (ulp 1.5e-8)
//! refined at `6e-6` each element moved 0.1% off its nominal amount, and sin at 1e8 along
//! u = 1 came out 3.3e-4 off with a bound of 4.5e-9 (`tests/fd_refine_directions.rs`).

use super::super::derivative::Direction;
use super::super::error::FdError;
use super::super::function::Function;
use super::super::probe::Probe;
use super::super::step::ulp;
use super::{central, exact, far_above, shrink, try_stencil};

/// Below this relative difference between u' and u in every element, J w is negligible
/// (100 times below the goal of 1e-7); the same tolerance for a nominal step's moves.
const EXACT_ENOUGH: f64 = 1e-9;

/// How far J w's stencil reaches, in units of the refinement's step c (times `max |u_j|`):
/// its result counts `|w_j / u_j|` of J u (at most `ulp_j / (c |u_j|)`, 4e-3 at x_j = 1e8
/// refined at `r typ_j`), and the rounding of its moves costs `ulp_j / (2 s |u_j|)` of
/// term j whatever w is. At the refinement's own reach (s |w| = c |u|, as before) that was
/// 1e-6 relative at 1e8 (sin along u = 0.7); 1024 times further, `6e-3` of the scale the
/// refinement assumes (`c ≈ r_c` times it), the rounding costs 1e-8 and the truncation
/// `(6e-3)^2 / 6` of J w, 1e-8 of J u at most. Its second difference bounds the
/// truncation where f varies on a shorter scale.
const JW_REACH: f64 = 1024.0;

/// The rounding of J w's moves estimated as this many times its largest relative size
/// `ulp_j / (2 s |u_j|)` times the result (the partials' own sizes are unknown).
const MOVED_SAFETY: f64 = 4.0;

/// Whether `w = u - u'` is below [`EXACT_ENOUGH`] of u in every element.
fn within(u: &[f64], w: &[f64]) -> bool {
    u.iter()
        .zip(w)
        .all(|(uj, wj)| wj.abs() <= EXACT_ENOUGH * uj.abs())
}

/// Whether the central stencils at the nominal steps `target` and `target / 2` along u
/// move every element by `±s u_j` within [`EXACT_ENOUGH`] relative, as `move_to` computes
/// the points (`x_j + (±s) u_j`).
fn nominal_exact(x: &[f64], u: &[f64], target: f64) -> bool {
    x.iter()
        .zip(u)
        .filter(|(_, &uj)| uj != 0.0)
        .all(|(&xj, &uj)| {
            [target, -target, 0.5 * target, -0.5 * target]
                .iter()
                .all(|&s| {
                    let want = s * uj;
                    ((xj + want) - xj - want).abs() <= EXACT_ENOUGH * want.abs()
                })
        })
}

/// Whether a refinement of the vector u from `target` goes along u itself at `target`
/// (the first case of the module doc), so that a level already taken along u at
/// `target` serves it.
pub(super) fn exact_enough(x: &[f64], u: &[f64], target: f64) -> bool {
    nominal_exact(x, u, target)
}

/// The direction and nominal step at which a refinement of u from `target` moves every
/// element by its nominal amount (within [`EXACT_ENOUGH`]): u itself at `target`, or u'
/// at the power of two c when it is within [`EXACT_ENOUGH`] of u; `None` when the
/// refinement would need `J w` ([`shrink_along`]).
pub(super) fn exact_along(x: &[f64], u: &[f64], target: f64) -> Option<(f64, Vec<f64>)> {
    if nominal_exact(x, u, target) {
        return Some((target, u.to_vec()));
    }
    let (c, exact) = exact::vector(x, u, target);
    let w: Vec<f64> = u.iter().zip(&exact).map(|(a, b)| a - b).collect();
    within(u, &w).then_some((c, exact))
}

/// [`shrink`] along the vector u from `target`, with exact steps where they matter.
pub(super) fn shrink_along<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    u: &[f64],
    t: f64,
    target: f64,
    out: &mut [f64],
) -> Result<Vec<f64>, FdError> {
    // At least a few ulps of every moved element, no bound where that is too coarse
    // (`far_above.rs`).
    let floor = far_above::floor(p.x, Direction::Vector(u));
    let scale = target / super::relative_step(p);
    if far_above::unresolved(floor, scale) {
        p.mixed_scales |= some_element_resolves(p.x, u, scale);
        return far_above::unbounded(out.len());
    }
    p.nominal = target;
    let bounds = shrink_floored(p, u, t, (target, target.max(2.0 * floor)), out);
    p.nominal = 0.0;
    bounds
}

/// Whether, of the two or more elements u moves, one alone would be resolved at `scale`
/// (its own floor low enough) where the vector is not: the elements' scales differ too
/// much for one step along u (x^3 at (1e-8, 1, 1e8) along ones: the step x_0 asks for
/// leaves x_2 unmoved), while a step per column serves each.
fn some_element_resolves(x: &[f64], u: &[f64], scale: f64) -> bool {
    moves_several(u)
        && (0..u.len()).filter(|&j| u[j] != 0.0).any(|j| {
            let alone = far_above::floor(x, Direction::Axis(j)) / u[j].abs();
            !far_above::unresolved(alone, scale)
        })
}

/// Whether u moves more than one element (a JVP can then take it column by column).
pub(super) fn moves_several(u: &[f64]) -> bool {
    u.iter().filter(|&&uj| uj != 0.0).nth(1).is_some()
}

/// [`shrink_along`] from a target at least the floor (`(nominal, target)`: the target
/// before and after the floor).
fn shrink_floored<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    u: &[f64],
    t: f64,
    (nominal, target): (f64, f64),
    out: &mut [f64],
) -> Result<Vec<f64>, FdError> {
    if nominal_exact(p.x, u, target) {
        return shrink(p, Direction::Vector(u), t, target, &central(), out);
    }
    let (c, exact) = exact::vector(p.x, u, target);
    let w: Vec<f64> = u.iter().zip(&exact).map(|(a, b)| a - b).collect();
    if within(u, &w) {
        return shrink(p, Direction::Vector(&exact), t, c, &central(), out);
    }
    let (wmax, umax) = w.iter().zip(u).fold((0.0f64, 0.0f64), |(a, b), (wj, uj)| {
        (a.max(wj.abs()), b.max(uj.abs()))
    });
    // J w first (the workspace then returns to the plain stencil's), at the step that
    // moves the largest element of w by `JW_REACH c umax` (module doc).
    let m = out.len();
    let (mag, second) = (p.ws.magnitude[..m].to_vec(), p.ws.second[..m].to_vec());
    let mut jw = vec![0.0; m];
    // From the refinement's nominal step, not the floor's: a floor far above it (a small
    // u_j at a large x_j) would put J w's reach beyond the scale resolved (cos at 8e10
    // along u_0 = 0.027: c = 3.9e-3 moved x_0 by 3.2, J w 3.6e-3 off with a bound of
    // 1.5e-3).
    let s = JW_REACH * c.min(nominal) * umax / wmax;
    let ok = try_stencil(p, Direction::Vector(&w), s, &central(), &mut jw)?;
    // Each element moves by `s w_j` rounded to x_j's ulp: term j of J w is off by up to
    // `|∂_j f| ulp_j / 2s`, i.e. `ulp_j / (2 s |u_j|)` of term j of J u.
    let moved =
        p.x.iter()
            .zip(&w)
            .zip(u)
            .filter(|((_, wj), _)| **wj != 0.0)
            .map(|((xj, _), uj)| ulp(*xj) / (2.0 * s * uj.abs()))
            .fold(0.0f64, f64::max);
    // J w's truncation is modelled as for a relative step `s |w_j| / typ_j` (the scale f
    // varies on far above typ_j), not the scheme's r: its step moves elements by up to
    // `6e-3 typ_j`, and with r the model read f''' from a second difference that vanishes
    // at an inflection point (central JVP of sin sums at 1e9..1e10 along u = (0.3, -0.7):
    // errors up to 5e3 times the bound). A declared typ_j above 1 that D2 refuted is
    // taken as the default's 1 ([`super::resolved_typical`]).
    let typical = p.opts.typical();
    let r = w
        .iter()
        .enumerate()
        .map(|(j, wj)| {
            s * wj.abs() / super::resolved_typical(p.x[j].abs(), typical.map_or(1.0, |t| t[j]))
        })
        .fold(super::relative_step(p), f64::max);
    let jw_round: Vec<f64> = (0..m)
        .map(|i| {
            f64::EPSILON * p.ws.magnitude[i]
                + super::truncation(jw[i], p.ws.second[i], s, r)
                + super::truncation_floor(jw[i], r)
        })
        .collect();
    p.ws.magnitude[..m].copy_from_slice(&mag);
    p.ws.second[..m].copy_from_slice(&second);
    if !ok {
        // J w's stencil left the bounds or met a non-finite value (its reach lies far
        // beyond the levels', across a domain edge the levels stay below): the levels go
        // along u at `target`, and their moves round by up to `ulp_j / (target |u_j|)`
        // of term j at the half step, added to the bound of each value (asin at
        // `1 - 1e-12` along u = 1.3 near its bound: off by 1% with a bound of 2e-5).
        let mut bound = shrink(p, Direction::Vector(u), t, target, &central(), out)?;
        let moved =
            p.x.iter()
                .zip(u)
                .filter(|(_, uj)| **uj != 0.0)
                .map(|(xj, uj)| ulp(*xj) / (target * uj.abs()))
                .fold(0.0f64, f64::max);
        // A plain value kept is bounded by its distance to the levels plus their error,
        // which holds the same rounding of their moves (asin sums along u near -1 and 1:
        // 196 off with a bound of 180 before).
        for i in 0..m {
            bound[i] += MOVED_SAFETY * moved * out[i].abs();
        }
        return Ok(bound);
    }
    let plain = out.to_vec();
    for (o, d) in out.iter_mut().zip(&jw) {
        *o -= d;
    }
    let adjusted = out.to_vec();
    let mut bound = shrink(p, Direction::Vector(&exact), t, c, &central(), out)?;
    // The rounding of J w's moves is relative to J u, of which the refined value is the
    // estimate: the plain value, aliased far from J u where the refinement was called
    // for, understated it (cos at 2.4e9 along u = (-0.83, 0.64): J w 6e-6 off, 9e-5 of
    // itself, against a bound of 2.7e-6). A plain value kept is `adjusted + J w` and
    // bounded by the levels' bound of `adjusted` against `J u'` plus J w's error.
    for i in 0..m {
        if out[i].to_bits() == adjusted[i].to_bits() {
            out[i] = plain[i]; // the plain value was kept
            bound[i] += jw_round[i] + MOVED_SAFETY * moved * (plain[i].abs() + bound[i]);
        } else {
            out[i] += jw[i];
            bound[i] += jw_round[i] + MOVED_SAFETY * moved * out[i].abs();
        }
    }
    Ok(bound)
}
