//! A NaN or infinity met by the central stencil where `x_j` is not far below its typical
//! magnitude: the domain edge lies within the plain step, and f may vary on the scale of
//! its distance to the edge, far below the step (asin at `1 - 5e-13`: f' = 1e6).
//!
//! Why: the fall-back's one-sided stencil at the plain step (B) only sees points up to
//! `2 t` on the side away from the edge; it is right for f smooth up to the edge and
//! meaningless for f singular there, and its own points cannot tell (asin at `1 - 5e-13`:
//! 743 for 999,956, with a bound of 336 from those points). The scan looks for the
//! largest step `t / 10^k` at which the point on the edge's side is finite (one
//! evaluation per step, at most [`LEVELS`] of them, none below the spacing of x's
//! doubles), takes the central stencil there (A, 2 evaluations) and keeps, output by
//! output, B where it agrees with A within A's rounding (as `near_edge` does at 0: B then
//! shows no truncation error and rounds less), else A refined down from its step (2
//! levels at `s / 30` and `s / 60`, 4 evaluations, `refine::shrink`): A's step lies
//! within a factor 10 of the edge, where f's own scale may be, and the refinement's
//! levels say how far A is from the derivative. When no step down to the doubles' spacing
//! is finite on the edge's side, the edge is at x itself and B (the one-sided derivative)
//! is what there is, checked against itself at a smaller step (`edge_at_x.rs`).
//!
//! Only the central scheme at the step rule's own steps, as the refinement: forward,
//! backward and fourth-order fall-backs have no bound (their direction is counted
//! unbounded), and a step the caller chose is the caller's.

use super::alloc;
use super::bound_edge;
use super::derivative::{apply, fallback_from, fits, move_to, Direction, NonFinite};
use super::edge_at_x;
use super::error::FdError;
use super::function::Function;
use super::probe::Probe;
use super::refine;
use super::scheme::{Placed, Scheme};

/// How many steps `t / 10^k` the scan tries at most (`t / 1e13` is below the spacing of
/// the doubles at x for the central step rule).
const LEVELS: usize = 13;

/// How far below A's step the refinement starts.
const REFINE_BELOW: f64 = 30.0;

/// How far below A's step (at most the edge's distance) the refinement's first level,
/// lifted to its floor, must lie for its levels to see f's truncation and not the edge.
const RESOLVED_BELOW: f64 = 2.0;

/// How far apart (in units of A's rounding, `eps ρ`) A and B may be for B to be kept.
const AGREEMENT: f64 = 8.0;

/// Whether the scan applies to this computation (module doc).
pub(crate) fn applies<F: Function + ?Sized>(p: &Probe<'_, '_, F>) -> bool {
    p.opts.scheme() == Scheme::Central
        && p.opts.steps().is_none()
        && p.opts.relative_step().is_none()
        && !p.opts.adaptive()
        && p.step_scale <= 1.0
}

/// B: the same-order fall-back from `t0` (after `first_bad`, if the scheme's stencil met
/// one) into `out`, with its stencil, step and per-output bounds; `None` when the
/// direction was suspect a priori (x_j far above typ_j, or the step above |x_j|) and was
/// refined from B at the refinement's steps, its bound recorded. Shared by the NaN edge
/// and the bound edge (`bound_edge.rs`).
pub(crate) fn fall_back_b<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t0: f64,
    first_bad: Option<NonFinite>,
    out: &mut [f64],
) -> Result<Option<(Placed, f64, Vec<f64>)>, FdError> {
    let (opts, x) = (p.opts, p.x);
    let candidates = opts.scheme().candidates();
    let mut used = None;
    fallback_from(opts, x, dir, t0, candidates, first_bad, |stencil, t| {
        used = Some((*stencil, t));
        apply(p, dir, t, stencil, out)
    })?;
    let (stencil, t) = used.expect("a successful fall-back applied a stencil");
    let bound_b = refine::fallback_bounds(p, &stencil, t, out);
    let met = p.report.nonfinite_fallbacks;
    if let Some((b, far)) = refine::after_fallback(p, dir, t0, t, &bound_b, out)? {
        let b = match far {
            Some(target) if stencil.side != 0.0 => {
                below_refinement(p, dir, (target, &stencil), met, b, out)?
            }
            _ => b,
        };
        refine::bound_direction(p, dir, &b);
        return Ok(None);
    }
    Ok(Some((stencil, t, bound_b)))
}

/// A far-above refinement from B (`refine::after_fallback`, its values in `out` and
/// per-output bounds `b`, from the nominal step `target`) whose levels met the edge
/// again (a fall-back counted since `met`, or the central stencil leaves the bounds at
/// `target`): the edge lies within f's scale typ_j, and the levels' one-sided stencils
/// see f's slope at their own distance from it. The scan then goes on below `target`
/// (the edge on the side away from B's `stencil`) and A there is compared and refined as
/// below 1e3 typ_j; where no step gets past the edge, B's levels below `target` check the
/// refinement's values (`edge_at_x::checked_refined`).
///
/// Why: log(x - 1001) at 1001 + 1e-6 gave 2098 for 1e6 with a bound of 4.7e4 (probe14
/// finding 4), where log(x - 999) at 999 + 1e-6 scanned and covered.
fn below_refinement<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    (target, stencil): (f64, &Placed),
    met: usize,
    b: Vec<f64>,
    out: &mut [f64],
) -> Result<Vec<f64>, FdError> {
    let central = p.opts.scheme().candidates()[0];
    let s = dir.step(p.x, target);
    let within = p.report.nonfinite_fallbacks > met || !fits(p.opts, p.x, dir, s, &central);
    if !within {
        return Ok(b);
    }
    let found = scan(
        p,
        dir,
        (10.0 * target, true),
        -stencil.side,
        &central,
        out.len(),
    )?;
    let Some(s) = found else {
        // No step of the scan gets past the edge: it lies a few ulps from x, below the
        // levels' scale, and B further down checks their value.
        return edge_at_x::checked_refined(p, dir, (stencil, target), b, out);
    };
    Ok(from_step_bounds(p, dir, (s, REFINE_BELOW), &b, out)?.unwrap_or(b))
}

/// The fall-back of [`super::derivative::after_nonfinite`] (B) after the scheme's stencil
/// at `t0` met `bad`, then the edge scan of the module doc; the direction's bound recorded.
pub(crate) fn fall_back<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t0: f64,
    bad: NonFinite,
    out: &mut [f64],
) -> Result<(), FdError> {
    if let Some(bound) = scanned(p, dir, t0, bad, out)? {
        refine::bound_direction(p, dir, &bound);
    }
    Ok(())
}

/// [`fall_back`]'s values into `out` with their per-output bounds, not recorded (also for
/// the own-scale answer of `derivative::near_edge`, whose edge may lie within `r |x_j|`);
/// `None` when the direction was refined a priori from B and its bound recorded.
pub(crate) fn scanned<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t0: f64,
    bad: NonFinite,
    out: &mut [f64],
) -> Result<Option<Vec<f64>>, FdError> {
    let Some((stencil, t, bound_b)) = fall_back_b(p, dir, t0, Some(bad), out)? else {
        return Ok(None);
    };
    let opts = p.opts;
    let central = opts.scheme().candidates()[0];
    if stencil == central && bound_edge::curved(p, 0.0, t, out) {
        // B central (NaN on both sides at t0): the largest step `t0 / 10^k` that met none,
        // an edge within 10 times it, and f curved on its scale (asin(x0) + asin(x1)
        // along (1, 1) at 1e-9 from -1 and 1.6e-9 from 1: 41,614 for 40,038, bound 216,
        // probe8 finding 12): refined down from it, as A below.
        let target = (t / REFINE_BELOW).log2().floor().exp2();
        let refined = refine::shrink_central(p, dir, t, target, out)?;
        p.report.refined_large += 1;
        return Ok(Some(refined));
    }
    // B central, f not curved on its step's scale: kept.
    let found = if stencil == central {
        None
    } else {
        scan(p, dir, (t0, false), -stencil.side, &central, out.len())?
    };
    let Some(s) = found else {
        if stencil == central {
            return Ok(Some(bound_b));
        }
        // No finite point on the edge's side: the edge is at x (or nearer than the
        // scan's steps), where the derivative may be infinite.
        let bound = edge_at_x::checked(p, dir, (&stencil, t), bound_b, out)?;
        return Ok(Some(bound));
    };
    let refined = from_step_bounds(p, dir, (s, REFINE_BELOW), &bound_b, out)?;
    Ok(Some(refined.unwrap_or(bound_b)))
}

/// B (the fall-back's values in `out`, its per-output bounds `bound_b`) against A, the
/// central stencil at the step `s` found below the edge, as the module doc says (refined
/// from `s / below`); the direction's bound recorded. False, with nothing recorded and
/// `out` as it was, when A meets a non-finite value. Also for a bound that stops the
/// stencil ([`super::bound_edge`]).
pub(crate) fn from_step<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    (s, below): (f64, f64),
    bound_b: &[f64],
    out: &mut [f64],
) -> Result<bool, FdError> {
    let Some(bound) = from_step_bounds(p, dir, (s, below), bound_b, out)? else {
        return Ok(false);
    };
    refine::bound_direction(p, dir, &bound);
    Ok(true)
}

/// [`from_step`]'s values into `out` with their per-output bounds, not recorded; `None`
/// (`out` as it was) when A meets a non-finite value.
fn from_step_bounds<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    (s, below): (f64, f64),
    bound_b: &[f64],
    out: &mut [f64],
) -> Result<Option<Vec<f64>>, FdError> {
    let central = p.opts.scheme().candidates()[0];
    let m = out.len();
    let mut a = alloc::zeros(m, "the edge scan's values")?;
    if apply(p, dir, s, &central, &mut a)?.is_some() {
        return Ok(None);
    }
    let bound_a = refine::fallback_bounds(p, &central, s, &a);
    // Per output, whether B agrees with A within A's rounding (A's scales in the workspace
    // now; the refinement below overwrites them). m is the caller's: allocated fallibly.
    let mut kept = alloc::filled(m, false, "the edge scan's agreement flags")?;
    for (i, k) in kept.iter_mut().enumerate() {
        *k = (out[i] - a[i]).abs() <= AGREEMENT * f64::EPSILON * p.ws.magnitude[i];
    }
    let mut bound = bound_b.to_vec();
    let on_floor = 2.0 * refine::step_floor(p.x, dir) > s / RESOLVED_BELOW;
    if kept.iter().all(|&k| k) && !on_floor {
        for i in 0..m {
            bound[i] = bound[i].min((out[i] - a[i]).abs() + bound_a[i]);
        }
        return Ok(Some(bound));
    }
    if on_floor {
        // The levels would stand on their floor a few ulps above zero, within a factor
        // [`RESOLVED_BELOW`] of A's step (the edge a few ulps from x), where f varies on
        // their own scale and their spread says nothing (sqrt(x - 1) at 1 plus 16 ulps:
        // 8.8e5 off for 8.4e6 with a bound of 4.1e4): A without a bound. B kept where it
        // agrees with A is bounded by A alone: at a step of a few ulps A's rounding is
        // vast, agreement within it says nothing of B's own model (`(x0 + 2e-5)^0.9 + x1^2`
        // at -2e-5 plus 4 ulps kept 4.25 for 88.0 with B's bound of 8.2, a review).
        for i in 0..m {
            if kept[i] {
                bound[i] = (out[i] - a[i]).abs() + bound_a[i];
            } else {
                out[i] = a[i];
                bound[i] = f64::NAN;
            }
        }
        return Ok(Some(bound));
    }
    let mut plain_a = alloc::zeros(m, "the edge scan's values")?;
    plain_a.copy_from_slice(&a);
    // A power of two: along a vector its levels then move each element exactly
    // (`refine/exact.rs`).
    let target = (s / below).log2().floor().exp2();
    let refined = refine::shrink_central(p, dir, s, target, &mut a)?;
    for i in 0..m {
        if kept[i] {
            bound[i] = bound[i].min((out[i] - plain_a[i]).abs() + bound_a[i]);
        } else {
            out[i] = a[i];
            bound[i] = refined[i];
        }
    }
    p.report.refined_large += 1;
    Ok(Some(bound))
}

/// The largest step `t0 / 10^k` (k = 1, 2, ...) at which the point `x + side s d` is
/// finite and the central stencil fits inside the bounds; `None` when none is, down to
/// the spacing of the doubles at x of an element `t0` moves. The scan stops at the first step that does not fit,
/// unless `past_unfit` (below a far-above refinement, the bound may be nearer than its
/// levels).
fn scan<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    (t0, past_unfit): (f64, bool),
    side: f64,
    central: &Placed,
    m: usize,
) -> Result<Option<f64>, FdError> {
    let (opts, x) = (p.opts, p.x);
    let mut nominal = t0;
    for _ in 0..LEVELS {
        nominal /= 10.0;
        let s = dir.step(x, nominal);
        // Every element the first step moves must still move: along a vector, a step at
        // which the edge's element rounds back to x is no point past the edge, whatever
        // the others do (f = 1e-6 sqrt(x0 + 3) + 0.5 sin x1 at x0 = -3 along (1, 0.5)
        // found one at 1.2e-16 and kept 0.19 with a bound of 1.7e-4 for an infinite JVP).
        if !(s > 0.0 && moves(x, dir, s) && dir.keeps_moving(x, t0, s)) {
            return Ok(None);
        }
        if !fits(opts, x, dir, s, central) {
            if past_unfit {
                continue;
            }
            return Ok(None);
        }
        move_to(&mut p.ws.xp, x, dir, side * s);
        let result = p.ev.eval(&p.ws.xp, &mut p.ws.y, || dir.point(side, s));
        move_to(&mut p.ws.xp, x, dir, 0.0);
        result?;
        if p.ws.y[..m].iter().all(|v| v.is_finite()) {
            return Ok(Some(s));
        }
    }
    Ok(None)
}

/// Whether a step `s` along `dir` moves x on both sides (along an axis; some perturbed
/// element, along a vector or a group): below the spacing of the doubles, `x + s` rounds
/// back to x.
pub(crate) fn moves(x: &[f64], dir: Direction<'_>, s: f64) -> bool {
    let both = |xi: f64, d: f64| xi + d != xi && xi - d != xi;
    match dir {
        Direction::Axis(j) => both(x[j], s),
        Direction::Vector(u) => (0..x.len()).any(|i| u[i] != 0.0 && both(x[i], s * u[i])),
        Direction::Group(u, cols) => cols.iter().any(|&j| both(x[j], s * u[j])),
    }
}
