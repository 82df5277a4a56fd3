//! A bound that stops the central stencil where f varies on the scale of its distance to
//! the bound: the bound is a domain edge, as a NaN is (issue 11, items 1 and 4).
//!
//! Why: where the scheme's stencil does not fit, the fall-back takes the one-sided stencil
//! at the plain step (B), whose points all lie on the side away from the bound; for f
//! singular at the bound they see f's slope at the stencil's own distance, not at x's
//! (asin on [-1, 1] at `1 - 5e-13`: 743 for 999,956, with a bound of 336 from those
//! points). A NaN met there would have sent the direction to the edge scan
//! ([`super::edge_scan`]); a bound is the same edge, known without evaluating.
//!
//! Policy: B first, exactly as before. Its own points are the evidence: the difference
//! between its second- and first-order quotients is about `|f''| t / 2`, and the step rule
//! assumes f varies on the scale `t / r`, where that difference is about `r |f'| / 2`. Only
//! where it exceeds [`CURVED`] times that (f varies on a scale 30 times shorter than the
//! step rule assumes, the refinement's own "step too large" sign), summed over the outputs
//! (weighted by |v| for a VJP), is the direction taken as at an edge: the central stencil
//! at the largest step `t / 10^k` that fits (A, no evaluation to find it) is compared with
//! B and refined ([`super::edge_scan::from_step`]). A function smooth across the stencil
//! keeps B, its bound and its evaluations (exp(3x) at `1 - 1e-7`: the sign is 10 times
//! below the threshold). When no central step moves x inside the bounds (x on the bound,
//! or within the spacing of the doubles), the one-sided value is kept with no bound (NaN,
//! counted unbounded): its own bound would claim an accuracy it cannot have (asin at 1,
//! f' infinite: 743 with a bound of 337 before).
//!
//! Only the central scheme at the step rule's own steps, as the edge scan.

use super::alloc;
use super::derivative::{apply, fits, fixed_step, Direction};
use super::edge_scan;
use super::error::FdError;
use super::function::Function;
use super::group::Choices;
use super::probe::Probe;
use super::refine;
use super::scheme::Placed;
use super::sparsity::Sparsity;

/// The multiple of `r |f'|` (per output, weighted) the one-sided stencil's truncation
/// sign must exceed: `|D2| > 30 r^2 M` in the refinement's terms (`refine.rs`).
const CURVED: f64 = 15.0;

/// How far below A's step (or a curved central step) the refinement starts.
const REFINE_BELOW: f64 = 100.0;

/// How many steps `t / 10^k` are tried at most (as the edge scan's levels).
const LEVELS: i32 = 13;

/// Whether a direction whose stencil does not fit goes this way (module doc).
pub(crate) fn applies<F: Function + ?Sized>(p: &Probe<'_, '_, F>, dir: Direction<'_>) -> bool {
    edge_scan::applies(p) && !matches!(dir, Direction::Group(..))
}

/// The fall-back of the plain stencil that did not fit at `t0`, then the edge policy of
/// the module doc; the direction's bound recorded.
pub(crate) fn fall_back<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t0: f64,
    out: &mut [f64],
) -> Result<(), FdError> {
    // Suspect a priori (the step above |x_j|, or |x_j| far above typ_j): refined from B
    // at the refinement's own steps, as after a NaN (1/x at 1.2e-12 on its box's upper
    // bound: B crosses the pole).
    let Some((stencil, t, bound_b)) = edge_scan::fall_back_b(p, dir, t0, None, out)? else {
        return Ok(());
    };
    refine::note_vector_fallback(p, dir, &stencil, t, out)?;
    let (opts, x) = (p.opts, p.x);
    let candidates = opts.scheme().candidates();
    let central = candidates[0];
    if stencil == central {
        // Both sides cut: the central stencil at the largest step that fits. Where its
        // second difference shows f varying on that step's scale, it is A already.
        if t < dir.step(x, t0) && curved(p, 0.0, t, out) {
            let target = (t / REFINE_BELOW).log2().floor().exp2();
            let refined = refine::shrink_central(p, dir, t, target, out)?;
            p.report.refined_large += 1;
            refine::bound_direction(p, dir, &refined);
        } else {
            refine::bound_direction(p, dir, &bound_b);
        }
        return Ok(());
    }
    if !curved(p, stencil.side, t, out) {
        refine::bound_direction(p, dir, &bound_b);
        return Ok(());
    }
    // Down from the largest central step that fits; one whose A meets a non-finite value
    // (a domain edge inside the box: asin at `1 - 1e-10` in `[x - 3e-6, x + 3e-6]`) is
    // followed by the next that fits.
    let (mut nominal, floor) = (t0, t0 / 10f64.powi(LEVELS));
    while let Some((s, at)) = largest_central(p, dir, nominal, floor) {
        if edge_scan::from_step(p, dir, (s, REFINE_BELOW), &bound_b, out)? {
            return Ok(());
        }
        nominal = at;
    }
    let mut none = alloc::zeros(out.len(), "a bound edge's bounds")?;
    none.fill(f64::NAN);
    if let Direction::Axis(_) = dir {
        one_sided_scan(p, dir, (&stencil, t), out)?;
    }
    refine::bound_direction(p, dir, &none);
    Ok(())
}

/// No central step fits (x on the bound, f singular on the far side: asin at `1 -
/// 1e-12` on its box's upper bound, B at 6e-6 gave 630 for 166,622): B's stencil at `t /
/// 10^k` (k = 1, 2, ..., while the step moves x) until its own points no longer show f
/// curved on the step's scale ([`curved`]); that value replaces B's in `out`, still with
/// no bound (the scan's last two levels need not be in their asymptotic regime). `out`
/// is kept when every step stays curved or meets a non-finite value.
fn one_sided_scan<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    (stencil, t): (&Placed, f64),
    out: &mut [f64],
) -> Result<(), FdError> {
    let x = p.x;
    let mut scratch = alloc::zeros(out.len(), "a bound edge's scan")?;
    let mut nominal = t;
    for _ in 0..LEVELS {
        nominal /= 10.0;
        let s = dir.step(x, nominal);
        if !(s > 0.0 && s < t && edge_scan::moves(x, dir, s)) {
            return Ok(());
        }
        if apply(p, dir, s, stencil, &mut scratch)?.is_some() {
            return Ok(());
        }
        if !curved(p, stencil.side, s, &scratch) {
            out.copy_from_slice(&scratch);
            p.report.refined_large += 1;
            return Ok(());
        }
    }
    Ok(())
}

/// Whether the values in `out` (step `t`; the workspace's `second` of the stencil just
/// applied) show f varying on a scale far below the step rule's (module doc). One-sided
/// (`side` +-1): the workspace holds f(x + side t) - f(x), and the sign is the difference
/// of the first- and second-order quotients, `|f''| t / 2`. Central (`side` 0): it holds
/// the second difference D2, and the sign is `|D2| / (2 t)`, the same `|f''| t / 2`.
pub(crate) fn curved<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    side: f64,
    t: f64,
    out: &[f64],
) -> bool {
    let r = refine::relative_step(p);
    let (mut sign, mut scale) = (0.0, 0.0);
    for (i, &d1) in out.iter().enumerate() {
        let (s, m) = output_sign(p, i, side, t, d1);
        sign += s;
        scale += m;
    }
    sign > CURVED * r * scale
}

/// Output i's weighted sign and scale for [`curved`] (`d1` its quotient at step `t`).
fn output_sign<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    i: usize,
    side: f64,
    t: f64,
    d1: f64,
) -> (f64, f64) {
    let r = refine::relative_step(p);
    let w = p.weights.map_or(1.0, |w| w[i].abs());
    let a = p.ws.second[i];
    let sign = if side == 0.0 {
        (a / (2.0 * t)).abs()
    } else if steepens(a, 3.0 * a - 2.0 * side * t * d1) {
        (d1 - side * a / t).abs()
    } else {
        0.0
    };
    (
        w * sign,
        w * (d1.abs() + refine::SIZE * p.y0[i].abs() * r / t),
    )
}

/// Whether the one-sided stencil's differences `a = f(x + side t) - f(x)` and `b = f(x +
/// 2 side t) - f(x + side t)` (its quotient is `side (3a - b) / 2t`) show f steepening
/// toward x, the end nearest the bound: one sign, `|a| > STEEPER |b|`. A singularity at
/// the bound, at a distance δ below t, gives `|a / b|` of 2.4 for a square root's (1.7 at
/// δ = t / 6), 1.13 for x log x's at 0; f smooth on a scale L, `1 + t / L`, above 1.05
/// only where f varies on 20 times the step. Near an extremum the curvature sign alone is
/// large against f' (a Jacobian in a box of `tests/fd_bounds.rs`, f' = 0.02 and f'' =
/// -0.5 ahead of x: 2 more evaluations without this; there `|a / b| = 1.0002`).
fn steepens(a: f64, b: f64) -> bool {
    a * b > 0.0 && a.abs() > STEEPER * b.abs()
}

/// See [`steepens`].
const STEEPER: f64 = 1.05;

/// A mixed column group (its columns near bounds took their own stencils and steps,
/// `group.rs`, its undivided differences in `d`, the workspace's `second` per row): each
/// column for which the bounds bind and whose rows show f varying on a scale far below
/// the step rule's ([`curved`]) is taken again alone along its axis, where its bound is
/// an edge ([`fall_back`]), and its rows replace the group's (times its step, which
/// the caller divides by). Other columns keep the group's values, unbounded as before
/// (exp(3x) at +-(1 - 1e-7), diagonal pattern: its 21 evaluations). Why: the group's
/// one-sided values at the plain step are B of the module doc, with no bound (asin at
/// `1 - 1e-9` with a diagonal pattern: 512 for 15,652). A peeled column with no bound
/// makes the group unbounded, as a dense column would the computation (asin at `-1 +
/// 1.3e-8` on its box's lower bound, tridiagonal: 310 for 1844 under the 0.056 of the
/// group's other columns before).
pub(crate) fn peel<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    cols: &[usize],
    choices: &Choices,
    steps: &[f64],
    t0: f64,
    sparsity: &Sparsity,
    d: &mut [f64],
) -> Result<(), FdError> {
    if !edge_scan::applies(p) {
        return Ok(());
    }
    let candidates = p.opts.scheme().candidates();
    let r = refine::relative_step(p);
    let mut peeled = Vec::new();
    for &j in cols {
        let (c, binds) = choices.stencil(j, steps);
        if !binds {
            continue;
        }
        let (s, side) = (
            choices.step(j),
            if c == 0 { 0.0 } else { candidates[c].side },
        );
        let (mut sign, mut scale) = (0.0, 0.0);
        for &i in sparsity.rows_of(j) {
            let (a, b) = output_sign(p, i, side, s, d[i] / s);
            sign += a;
            scale += b;
        }
        if sign > CURVED * r * scale {
            peeled.push(j);
        }
    }
    if peeled.is_empty() {
        return Ok(());
    }
    let mut scratch = alloc::zeros(d.len(), "a peeled column")?;
    // An axis refined here is not left for later (as `group_edge::by_columns`).
    let deferred = p.deferred.take();
    let defers = std::mem::replace(&mut p.batch_defers, false);
    let mut result = Ok(());
    for &j in &peeled {
        let mark = p.start_direction();
        result = fixed_step(p, (Direction::Axis(j), t0 * steps[j].abs()), &mut scratch);
        if result.is_err() {
            break;
        }
        // A peeled column with no bound (x on a bound it is singular near) makes the
        // group's unbounded: the bounds its other columns record would not cover it.
        p.end_direction(mark);
        let s = choices.step(j);
        for &i in sparsity.rows_of(j) {
            d[i] = scratch[i] * s;
        }
    }
    (p.deferred, p.batch_defers) = (deferred, defers);
    if peeled.len() < cols.len() {
        // The columns left in the group have no bound (as a mixed group before).
        p.report.unbounded_direction();
    }
    result
}

/// The largest step `t0 / 10^k` (k = 1, 2, ...) at which the central stencil fits inside
/// the bounds and moves x, with its nominal step; `None` when none does down to the
/// spacing of the doubles or the nominal step `floor`.
fn largest_central<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    dir: Direction<'_>,
    t0: f64,
    floor: f64,
) -> Option<(f64, f64)> {
    let (opts, x) = (p.opts, p.x);
    let central = opts.scheme().candidates()[0];
    let mut nominal = t0;
    while nominal > 1.5 * floor {
        nominal /= 10.0;
        let s = dir.step(x, nominal);
        if !(s > 0.0 && edge_scan::moves(x, dir, s)) {
            return None;
        }
        if fits(opts, x, dir, s, &central) {
            return Some((s, nominal));
        }
    }
    None
}
