//! The domain edge at x itself: f is not finite on one side at any step the edge scan
//! tries, so the one-sided fall-back (B) is what there is, and B is checked against
//! itself at a sixteenth of its step before its bound is kept.
//!
//! Why: B's bound is made from B's own points (twice the difference of the first- and
//! second-order one-sided quotients, `refine::fallback_bounds`), a model of f smooth up to
//! the edge. Where f behaves as `|x - e|^p` there it fails: for p below 1 the derivative is
//! infinite (`sqrt` at 0 gave 525 with a bound of 238, `asin` at 1 743 with 337, `cbrt` at
//! 0 4124 with 2230, all with `FDVJP_OK`: probe of 1 December, F3), and for p from 1 to
//! about 1.41 the bound is short (B's error falls only as `t^(p - 1)`).
//!
//! The check: B again at `t / 16` (2 evaluations, f(x) is known). If B's error falls at
//! least as the cube root of the step, it is at most [`SLOW`] times the two values'
//! difference (less the smaller step's rounding, noise and grid); where that exceeds B's
//! bound, the bound is short and the output keeps B's value with no bound (NaN, the
//! direction counted in `unbounded_directions`). Every p below about 1.41 fails it (the
//! cube root's margin takes in p near 1, whose error falls slowest); p from 1.5 and f
//! smooth up to the edge (exp, sin, x^2.5: B's error falls as t^2) pass, their value and
//! bound unchanged.

use super::alloc;
use super::derivative::{apply, Direction};
use super::edge_scan::moves;
use super::error::FdError;
use super::function::Function;
use super::probe::Probe;
use super::refine;
use super::scheme::Placed;

/// How much smaller the check's step is than B's (a power of two: the same points along
/// a vector as the plain step's, scaled exactly).
const SHRINK: f64 = 16.0;

/// `1 / (1 - SHRINK^(-1/3))`: an error falling at least as `t^(1/3)` is at most this many
/// times its change from `t` to `t / SHRINK`.
const SLOW: f64 = 1.66;

/// `bound_b` (B's per-output bounds, B's values in `out`, its stencil and step `t`) with
/// NaN for each output whose change at `t / 16` shows B's error beyond its bound (module
/// doc). Unchanged where the smaller step does not move every element B's step moves, or
/// meets a value that is not finite (nothing to compare: B as the edge scan left it).
pub(crate) fn checked<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    (stencil, t): (&Placed, f64),
    mut bound_b: Vec<f64>,
    out: &[f64],
) -> Result<Vec<f64>, FdError> {
    // The step as taken (x + s exact along an axis), so that the divisor is the move.
    let s = dir.step(p.x, t / SHRINK);
    if bound_b.iter().all(|b| b.is_nan()) || !(moves(p.x, dir, s) && dir.keeps_moving(p.x, t, s)) {
        return Ok(bound_b);
    }
    let m = out.len();
    let mut small = alloc::zeros(m, "the edge check's values")?;
    // `apply` leaves its stencil's scales in the workspace, which B's caller reads on
    // (`derivative::near_edge`'s agreement test): B's are put back after the check.
    let mut kept = alloc::zeros(3 * m, "the edge check's saved scales")?;
    let ws = &p.ws;
    for (k, part) in [&ws.magnitude, &ws.second, &ws.y].into_iter().enumerate() {
        kept[k * m..(k + 1) * m].copy_from_slice(&part[..m]);
    }
    let evaluated = ws.evaluated;
    let met = apply(p, dir, s, stencil, &mut small)?;
    let mut refuted = alloc::filled(m, false, "the edge check's verdicts")?;
    for (i, r) in refuted.iter_mut().enumerate() {
        let change = (out[i] - small[i]).abs() - refine::one_sided_rounding(p, s, i);
        *r = met.is_none() && SLOW * change > bound_b[i];
    }
    let ws = &mut p.ws;
    for (k, part) in [&mut ws.magnitude, &mut ws.second, &mut ws.y]
        .into_iter()
        .enumerate()
    {
        part[..m].copy_from_slice(&kept[k * m..(k + 1) * m]);
    }
    ws.evaluated = evaluated;
    for (b, refuted) in bound_b.iter_mut().zip(refuted) {
        if refuted {
            *b = f64::NAN;
        }
    }
    Ok(bound_b)
}
