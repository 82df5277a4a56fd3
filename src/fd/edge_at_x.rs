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
//!
//! The same levels check a value extrapolated from steps far above such an edge (x_j far
//! above typ_j, an edge a few ulps from x that no step of the scan gets past:
//! `edge_scan.rs`), going down to `t / 16^4` ([`REFINED_LEVELS`]) and testing each pair of
//! neighbouring levels.

use super::alloc;
use super::derivative::{apply, Direction};
use super::edge_scan::moves;
use super::error::FdError;
use super::function::Function;
use super::probe::Probe;
use super::refine;
use super::scheme::Placed;

/// How much smaller each of the check's steps is than the one before (a power of two: the
/// same points along a vector as the plain step's, scaled exactly).
const SHRINK: f64 = 16.0;

/// `1 / (1 - SHRINK^(-1/3))`: an error falling at least as `t^(1/3)` is at most this many
/// times its change from `t` to `t / SHRINK`.
const SLOW: f64 = 1.66;

/// How many levels `t / 16^k` the check of an extrapolated value goes down at most (2
/// evaluations each): `(x - L)^1.5` at `1e5` plus one ulp was 1.2 times its bound off,
/// which B at `t / 16` and `t / 256` could not refute and the deeper levels do.
const REFINED_LEVELS: usize = 4;

/// The largest relative rounding of a level's move ([`move_rounding`]) at which the check
/// of an extrapolated value still takes the level.
const COARSE_MOVE: f64 = 1.0 / 16.0;

/// `q / (1 - q)` with `q = SHRINK^(-1/3)`: under the same model, B's error at a level is
/// at most this many times its change from the level above (`e_near <= q e_above`, and
/// the change is at least `e_above - e_near`).
const TAIL: f64 = 0.66;

/// `bound_b` (B's per-output bounds, B's values in `out`, its stencil and step `t`) with
/// NaN for each output whose change at `t / 16` shows B's error beyond its bound (module
/// doc), and for every output where the smaller step does not move every element B's step
/// moves, or meets a value that is not finite (nothing then vouches for B's bound).
pub(crate) fn checked<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    (stencil, t): (&Placed, f64),
    bound_b: Vec<f64>,
    out: &[f64],
) -> Result<Vec<f64>, FdError> {
    check(p, dir, (stencil, t), bound_b, out, Judged::B)
}

/// `bound` (the per-output bounds of `out`, values extrapolated from levels at `t` and
/// above: the far-above refinement of a fall-back whose edge no step of the scan gets
/// past, `edge_scan.rs`) with NaN for each output that B (the one-sided `stencil`) at
/// `t / 16`, `t / 256`, ... refutes: B's error at a level is at most [`TAIL`] times its
/// change from the level above if it falls at least as the cube root of the step, and the
/// extrapolated value is then at most its bound plus that error from B's value.
///
/// Why: levels at `r typ_j` and half of it cannot see f vary on the scale of an edge a
/// few ulps from x: `log(x - 1000)` at 1000 plus one ulp came out 8.8e12 off (the whole
/// derivative) with a bound of 2.0e5, and `FDVJP_OK`.
pub(crate) fn checked_refined<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    (stencil, t): (&Placed, f64),
    bound: Vec<f64>,
    out: &[f64],
) -> Result<Vec<f64>, FdError> {
    check(p, dir, (stencil, t), bound, out, Judged::Refined)
}

/// What the check's levels are compared with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Judged {
    /// B itself at `t`.
    B,
    /// A value extrapolated from levels at `t` and above ([`checked_refined`]).
    Refined,
}

impl Judged {
    /// How many levels below `t` the check takes at most, and how many a test needs.
    fn levels(self) -> (usize, usize) {
        match self {
            Judged::B => (1, 1),
            Judged::Refined => (REFINED_LEVELS, 2),
        }
    }
}

/// `bound` with NaN where B's levels below `t` refute `out` as `judged`.
fn check<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    (stencil, t): (&Placed, f64),
    mut bound_b: Vec<f64>,
    out: &[f64],
    judged: Judged,
) -> Result<Vec<f64>, FdError> {
    let m = out.len();
    // `apply` leaves its stencil's scales in the workspace, which B's caller reads on
    // (`derivative::near_edge`'s agreement test): B's are put back after the check.
    let mut kept = alloc::zeros(3 * m, "the edge check's saved scales")?;
    let ws = &p.ws;
    for (k, part) in [&ws.magnitude, &ws.second, &ws.y].into_iter().enumerate() {
        kept[k * m..(k + 1) * m].copy_from_slice(&part[..m]);
    }
    let evaluated = ws.evaluated;
    let refuted = refutations(p, dir, (stencil, t), &bound_b, out, judged);
    let ws = &mut p.ws;
    for (k, part) in [&mut ws.magnitude, &mut ws.second, &mut ws.y]
        .into_iter()
        .enumerate()
    {
        part[..m].copy_from_slice(&kept[k * m..(k + 1) * m]);
    }
    ws.evaluated = evaluated;
    for (b, refuted) in bound_b.iter_mut().zip(refuted?) {
        if refuted {
            *b = f64::NAN;
        }
    }
    Ok(bound_b)
}

/// Per output, whether B's levels below `t` refute `out` as `judged` (B itself: its change
/// at `t / 16`, less the smaller step's rounding, times [`SLOW`] exceeds its bound; an
/// extrapolated value: [`checked_refined`]). A level whose step does not move every
/// element B's moves, or meets a value that is not finite, ends the check with what the
/// levels before it showed; too few levels for a test refute every output.
fn refutations<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    (stencil, t): (&Placed, f64),
    bound_b: &[f64],
    out: &[f64],
    judged: Judged,
) -> Result<Vec<bool>, FdError> {
    let m = out.len();
    let mut refuted = alloc::filled(m, false, "the edge check's verdicts")?;
    if bound_b.iter().all(|b| b.is_nan()) {
        return Ok(refuted);
    }
    // B at `t / 16`, `t / 256`, ... and each one's rounding, as far as the levels go.
    let (depth, needed) = judged.levels();
    let mut values = alloc::zeros(depth * m, "the edge check's values")?;
    let mut rounding = alloc::zeros(depth * m, "the edge check's rounding")?;
    let mut levels = 0;
    let mut nominal = t;
    while levels < depth {
        nominal /= SHRINK;
        // The step as taken (x + s exact along an axis), so that the divisor is the move.
        let s = dir.step(p.x, nominal);
        if !(moves(p.x, dir, s) && dir.keeps_moving(p.x, t, s)) {
            break;
        }
        // A level whose move rounds by more than [`COARSE_MOVE`] of itself carries its
        // values' differences as rounding and can refute nothing: an extrapolated value
        // is tested only by levels above it (log(x - 1e5) at 1e5 plus one ulp along u = (1),
        // typ 1e-3: 60 for 6.9e10 kept its bound of 5.8e5 on levels at one ulp).
        let moved = move_rounding(p.x, dir, s);
        if judged == Judged::Refined && moved > COARSE_MOVE {
            break;
        }
        let level = &mut values[levels * m..(levels + 1) * m];
        if apply(p, dir, s, stencil, level)?.is_some() {
            break;
        }
        for (i, r) in rounding[levels * m..(levels + 1) * m]
            .iter_mut()
            .enumerate()
        {
            let differences = 2.0 * p.ws.second[i].abs() + (p.ws.y[i] - p.y0[i]).abs();
            *r = refine::one_sided_rounding(p, s, i) + moved * differences / s;
        }
        levels += 1;
    }
    // Too few levels to test the value (a step that stops moving an element, a value not
    // finite): nothing vouches for the bound, which is then none (a check that passed by
    // default kept 525 for 2.2e161 with a bound of 238 along u = (1, 1) at (5e-324, 1e10),
    // review of 2 December).
    if levels < needed {
        refuted.fill(true);
        return Ok(refuted);
    }
    if judged == Judged::Refined {
        // Each pair of neighbouring levels tests the value on its own: the deeper pairs are
        // nearer the derivative, the shallower ones round less (along a vector a step's
        // rounding grows as the step shrinks).
        for pair in 1..levels {
            let (above, near) = ((pair - 1) * m, pair * m);
            for (i, refuted) in refuted.iter_mut().enumerate() {
                let (b_near, r_near) = (values[near + i], rounding[near + i]);
                let change = (values[above + i] - b_near).abs() + rounding[above + i] + r_near;
                let apart = (out[i] - b_near).abs() - r_near;
                *refuted |= apart > bound_b[i] + TAIL * change;
            }
        }
        return Ok(refuted);
    }
    for (i, refuted) in refuted.iter_mut().enumerate() {
        // The change, less the smaller step's rounding.
        *refuted = SLOW * ((out[i] - values[i]).abs() - rounding[i]) > bound_b[i];
    }
    Ok(refuted)
}

/// The relative error of a step `s` along `dir` as taken: 0 along an axis (the step is
/// exact); along a vector or a group, `x_j + s u_j` rounds by up to `eps |x_j|`, taken
/// as a share of the largest element's move `s max |u_j|` (an element whose `u_j` is too
/// small to move it would make any share of its own move meaningless), and a quotient's
/// values carry this share of their differences from f(x). Without it a level's rounding
/// reads as change: `1e-6 (x - 1)^2` at 1 along `u = (1)`, whose B is exact at every
/// level, had values 4.4e-22 apart from this alone.
fn move_rounding(x: &[f64], dir: Direction<'_>, s: f64) -> f64 {
    let (u, cols): (&[f64], Vec<usize>) = match dir {
        Direction::Axis(_) => return 0.0,
        Direction::Vector(u) => (u, (0..x.len()).collect()),
        Direction::Group(u, cols) => (u, cols.to_vec()),
    };
    let moved = cols.iter().filter(|&&j| u[j] != 0.0);
    let largest_x = moved.clone().map(|&j| x[j].abs()).fold(0.0, f64::max);
    let largest_u = moved.map(|&j| u[j].abs()).fold(0.0, f64::max);
    f64::EPSILON * largest_x / (s * largest_u)
}
