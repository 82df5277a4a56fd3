//! One directional derivative by finite differences, with the fall-backs that keep it
//! inside the bounds and away from non-finite values.
//!
//! Policy, per direction: try the scheme's stencil, then the same-order one-sided stencil
//! forward, then backward; near a bound, each at the largest step that fits inside the
//! bounds, largest first (see [`super::fit`]); if each one meets a NaN or infinity, divide
//! the step by 10 and try again, at most [`MAX_SHRINKS`] times. Each direction is handled
//! on its own, so one bad column never spoils the others.
//!
//! Near a domain edge at 0: when `|x_j|` is far below its typical magnitude (so the
//! default step is far larger than `x_j`) and the scheme's stencil meets a NaN, two
//! answers are computed and compared, output by output (see [`near_edge`]): the scheme's
//! stencil at `x_j`'s own scale, `r |x_j|` (right for `log`, `sqrt`, which vary on that
//! scale, but rounding-dominated for a function smooth up to the edge), and the one-sided
//! stencils at the default step (right for the smooth function, meaningless for `log`).
//! Along a vector u the same, at the step that moves no element by more than `r |x_j|`;
//! a column group, column by column ([`super::group_edge`]).

use super::bound_edge;
use super::edge_at_x;
use super::edge_deep;
use super::edge_scan;
use super::error::{FdError, Num};
use super::fit::attempts;
use super::function::Function;
use super::group_edge;
use super::options::Options;
use super::probe::{Probe, Workspace};
use super::refine;
use super::scheme::Placed;
use super::step::{exact_step, own_scale_step};
use super::subnormal;

/// How many times the step is divided by 10 before giving up on a direction.
pub(crate) const MAX_SHRINKS: i32 = 6;

/// The direction of differentiation.
#[derive(Clone, Copy)]
pub(crate) enum Direction<'a> {
    /// The unit vector `e_j`: a column of the Jacobian.
    Axis(usize),
    /// An arbitrary vector `u`: a Jacobian-vector product.
    Vector(&'a [f64]),
    /// `u = sum_j h_j e_j` over a group of structurally orthogonal columns (sparse Jacobians).
    Group(&'a [f64], &'a [usize]),
}

impl Direction<'_> {
    pub(crate) fn name(&self) -> String {
        match self {
            Direction::Axis(j) => format!("column {j}"),
            Direction::Vector(_) => "direction u".to_string(),
            Direction::Group(_, cols) if cols.len() <= 8 => format!("column group {cols:?}"),
            Direction::Group(_, cols) => format!(
                "column group [{}, {}, ... {} columns]",
                cols[0],
                cols[1],
                cols.len()
            ),
        }
    }

    /// The step actually taken along this direction for a nominal step: made exact,
    /// `(x_j + h) - x_j`, along an axis; as given along a vector, whose perturbation of
    /// several elements cannot be exact in each.
    pub(crate) fn step(&self, x: &[f64], nominal: f64) -> f64 {
        match self {
            Direction::Axis(j) => exact_step(x[*j], nominal),
            Direction::Vector(_) | Direction::Group(..) => nominal,
        }
    }

    /// Describes `x + o t d` for error messages, e.g. "x[5] - 2h, h = 1e-6".
    pub(crate) fn point(&self, o: f64, t: f64) -> String {
        let sign = if o < 0.0 { '-' } else { '+' };
        let k = o.abs();
        let mult = if k == 1.0 {
            String::new()
        } else {
            format!("{k}")
        };
        match self {
            Direction::Axis(j) => format!("x[{j}] {sign} {mult}h, h = {t:e}"),
            Direction::Vector(_) => format!("x {sign} {mult}h*u, h = {t:e}"),
            Direction::Group(u, cols) => group_point(u, cols, &format!("{sign} {mult}"), t),
        }
    }

    /// Whether the step `to` (as [`Direction::step`] gives it) still moves every element
    /// of x that the larger step `from` moves: along an axis, a positive step; along a
    /// vector, `x_j + to u_j != x_j` wherever `x_j + from u_j != x_j`. Why: along a vector
    /// the step is taken as given, so below half a unit in the last place of an element
    /// the stencil leaves that element at x_j and the outputs that depend on it only look
    /// constant: quotients of 0 that look like a finite, converged derivative (the
    /// estimates' bracketing of a domain edge at `x = 1e6` reached such steps and returned
    /// 0 for 0.937, probe7 finding 2). Elements that `from` does not move either (a
    /// component of u far below the others) are lost at every step alike.
    pub(crate) fn keeps_moving(&self, x: &[f64], from: f64, to: f64) -> bool {
        let moved = |xj: f64, uj: f64, t: f64| uj != 0.0 && xj + t * uj != xj;
        match self {
            Direction::Axis(_) => to > 0.0,
            Direction::Vector(u) => {
                to > 0.0
                    && x.iter()
                        .zip(*u)
                        .all(|(&xj, &uj)| !moved(xj, uj, from) || moved(xj, uj, to))
            }
            Direction::Group(u, cols) => {
                to > 0.0
                    && cols
                        .iter()
                        .all(|&j| !moved(x[j], u[j], from) || moved(x[j], u[j], to))
            }
        }
    }
}

/// Describes a point of a group of columns, each element moved by its own step `t u_j`
/// (the group's `t` is a multiplier, 1 at the nominal steps, not a step): e.g.
/// "x[0] - h_0, x[2] - h_2 (grouped columns), h_0 = 6e-6, h_2 = 8e-6"; beyond four
/// columns the first two and how many.
fn group_point(u: &[f64], cols: &[usize], signed: &str, t: f64) -> String {
    let shown = if cols.len() <= 4 { cols } else { &cols[..2] };
    let moved: Vec<String> = shown
        .iter()
        .map(|j| format!("x[{j}] {signed}h_{j}"))
        .collect();
    let steps: Vec<String> = shown
        .iter()
        .map(|&j| format!("h_{j} = {:e}", t * u[j]))
        .collect();
    let more = if shown.len() < cols.len() {
        format!(", ... ({} grouped columns)", cols.len())
    } else {
        " (grouped columns)".to_string()
    };
    format!("{}{more}, {}", moved.join(", "), steps.join(", "))
}

/// A non-finite output met at a stencil point: its index, its value and the point.
pub(crate) type NonFinite = (usize, f64, String);

/// The derivative of f at `x` along `dir` into `out` (m entries) at the nominal step `t0`,
/// with the fall-backs of the module policy.
pub(crate) fn fixed_step<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    (dir, t0): (Direction<'_>, f64),
    out: &mut [f64],
) -> Result<(), FdError> {
    let (opts, x) = (p.opts, p.x);
    let scheme = opts.scheme();
    let candidates = scheme.candidates();
    let planned = std::mem::take(&mut p.planned);
    // The common case first: the scheme's own stencil at the nominal step.
    let t = dir.step(x, t0);
    if t > 0.0 && fits(opts, x, dir, t, &candidates[0]) {
        let Some(bad) = apply(p, dir, t, &candidates[0], out)? else {
            return refine::after_plain(p, dir, t, out);
        };
        if planned {
            complete_plan(p, dir, t, p.ws.evaluated)?;
        }
        return after_nonfinite(p, dir, t0, bad, out);
    }
    // A column group whose shared stencil leaves the bounds (its columns' own stencils
    // met a NaN, `group.rs`): each column alone, where its bound is an edge (module doc
    // of `group_edge::by_columns`); the columns count their own fall-backs.
    if let Direction::Group(u, cols) = dir {
        if edge_scan::applies(p) {
            return group_edge::by_columns(p, u, cols, t0, out);
        }
    }
    p.report.bound_fallbacks += 1;
    // A bound at 0 with x_j far below its typical magnitude (the domain [0, inf) of log,
    // sqrt): the edge of the domain is as near as with a NaN, and f may vary on x_j's own
    // scale; the one-sided stencil at the plain step alone would not see it (log at 1e-9
    // inside [0, inf): 2.1e6 for 1e9). The near-edge policy, as after a NaN.
    if let Some(e) =
        own_scale(opts, x, dir).filter(|&e| e < t0 / 10.0 && edge_at_bound(opts, x, dir, t0))
    {
        return near_edge(p, dir, t0, e, candidates, out);
    }
    // A bound elsewhere: an edge where f varies on the scale of the distance to it.
    let result = if bound_edge::applies(p, dir) {
        bound_edge::fall_back(p, dir, t0, out)
    } else {
        bounded_fallback(p, dir, t0, candidates, None, out)
    };
    match result {
        Err(FdError::NonFinitePerturbed { .. }) => or_near_edge(p, dir, t0, result, out),
        _ => result,
    }
}

/// A fall-back inside the bounds that met a NaN or infinity at every stencil and step down
/// to `t0 / 10^MAX_SHRINKS`, where x's own scale `r |x_j|` lies below `t0 / 10` (x_j far
/// below typ_j, an edge at 0 inside the box): the near-edge policy from x's own scale,
/// whose one-sided stencils there fit inside the domain (sqrt at 1e-12 on its box's
/// upper bound, NaN at `x - 2h` for every h down to 6e-12: an error before, probe9 2.3).
/// Otherwise the fall-back continues below `t0 / 10^MAX_SHRINKS` ([`edge_deep`]).
fn or_near_edge<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t0: f64,
    result: Result<(), FdError>,
    out: &mut [f64],
) -> Result<(), FdError> {
    let Some(e) = own_scale(p.opts, p.x, dir).filter(|&e| e < t0 / 10.0) else {
        // An edge nearer than every step tried, x_j not far below typ_j.
        return edge_deep::fall_back(p, dir, t0, result, out);
    };
    let candidates = p.opts.scheme().candidates();
    near_edge(p, dir, t0, e, candidates, out)
}

/// Whether a bound looks like a domain edge at 0 for some element the direction moves:
/// on the side of 0, at most half as far from 0 as x_j (`[0, inf)` for log, sqrt), or
/// anywhere on that side of 0 when the plain step `t0` moves x_j by more than `|x_j| /
/// SPANNED`, x_j lies far below typ_j and the bound away from 0 leaves the step room
/// (the one-sided stencil left then sees f's own scale: sqrt on `[x_j, 1]`, fourth
/// order at 1e-5, 69% off with a NaN bound; probe11 finding 4). A narrow box around
/// x_j keeps the largest step that fits.
fn edge_at_bound(opts: &Options, x: &[f64], dir: Direction<'_>, t0: f64) -> bool {
    // A one-sided stencil at `t0` is off by about `(t0 / |x_j|)^p` for f varying on the
    // scale `|x_j|`: 1e-6 central at `t0 = |x_j| / 1000` (log at 6e-5 on `[x_j, 1]`: 5e-3
    // off at the plain step, NaN bound).
    const SPANNED: f64 = 1e3;
    // Only far below typ_j, where the refinement checks a column at its own scale too: at
    // `typ_j / 100` and above a one-sided column keeps its plain count (`fd_bounds.rs`).
    const BELOW_TYPICAL: f64 = 100.0;
    let Some(bounds) = opts.bounds() else {
        return false;
    };
    let at_zero = |j: usize, uj: f64| {
        let ax = x[j].abs();
        let (toward, away) = if x[j] > 0.0 {
            (bounds.lower()[j], bounds.upper()[j])
        } else {
            (-bounds.upper()[j], -bounds.lower()[j])
        };
        let step = t0 * uj.abs();
        let typ = opts.typical().map_or(1.0, |t| t[j]);
        let spanned = SPANNED * step > ax && away - ax >= step && ax < typ / BELOW_TYPICAL;
        toward >= 0.0 && (toward <= 0.5 * ax || spanned)
    };
    match dir {
        Direction::Axis(j) => at_zero(j, 1.0),
        Direction::Vector(u) => (0..x.len()).any(|j| u[j] != 0.0 && at_zero(j, u[j])),
        Direction::Group(..) => false,
    }
}

/// The step at `x`'s own scale along an axis or a vector ([`own_scale_step`],
/// [`own_scale_along`]); `None` for a column group (split by [`group_edge`] after a NaN).
fn own_scale(opts: &Options, x: &[f64], dir: Direction<'_>) -> Option<f64> {
    match dir {
        Direction::Axis(j) => own_scale_step(opts, x, j),
        Direction::Vector(u) => own_scale_along(opts, x, u),
        Direction::Group(..) => None,
    }
}

/// [`fallback_from`], then the error bound of the stencil that succeeded
/// ([`refine::fallback_bounds`]).
fn bounded_fallback<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t0: f64,
    candidates: &[Placed],
    first: Option<NonFinite>,
    out: &mut [f64],
) -> Result<(), FdError> {
    let (opts, x) = (p.opts, p.x);
    let mut used = None;
    fallback_from(opts, x, dir, t0, candidates, first, |stencil, t| {
        used = Some((*stencil, t));
        apply(p, dir, t, stencil, out)
    })?;
    if let Some((stencil, t)) = used {
        let b = refine::fallback_bounds(p, &stencil, t, out);
        refine::bound_direction(p, dir, &b);
        refine::note_vector_fallback(p, dir, &stencil, t, out)?;
    }
    Ok(())
}

/// [`fixed_step`] after the scheme's own stencil at the nominal step `t0` met the
/// non-finite value `bad`: near an edge at 0 or through the fall-backs of the module policy.
pub(crate) fn after_nonfinite<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t0: f64,
    bad: NonFinite,
    out: &mut [f64],
) -> Result<(), FdError> {
    let (opts, x) = (p.opts, p.x);
    let scheme = opts.scheme();
    let candidates = scheme.candidates();
    p.report.nonfinite_fallbacks += 1;
    if let Some(e) = own_scale(opts, x, dir).filter(|&e| e < t0 / 10.0) {
        return near_edge(p, dir, t0, e, candidates, out);
    }
    match dir {
        Direction::Group(u, cols) => {
            if group_edge::near(opts, x, u, cols, t0) {
                return group_edge::split(p, u, cols, t0, candidates, out);
            }
            // Each column alone: the edge within the plain step (as an axis's edge scan
            // below), or a column suspect a priori.
            if edge_scan::applies(p) || cols.iter().any(|&j| refine::column_suspect(p, u, j, t0)) {
                return group_edge::by_columns(p, u, cols, t0, out);
            }
        }
        // The edge within the plain step, x_j not far below typ_j: f may vary on the
        // scale of its distance to the edge.
        Direction::Axis(_) | Direction::Vector(_) if edge_scan::applies(p) => {
            return edge_scan::fall_back(p, dir, t0, bad, out);
        }
        Direction::Axis(_) | Direction::Vector(_) => {}
    }
    bounded_fallback(p, dir, t0, candidates, Some(bad), out)
}

/// The own-scale step along `u`: `min_j r |x_j| / |u_j|` over the moved elements with
/// `x_j != 0` (so no element moves by more than `r |x_j|`); `None` when there is none or
/// the caller gave absolute steps.
fn own_scale_along(opts: &Options, x: &[f64], u: &[f64]) -> Option<f64> {
    (0..x.len())
        .filter(|&j| u[j] != 0.0)
        .filter_map(|j| own_scale_step(opts, x, j).map(|e| e / u[j].abs()))
        .reduce(f64::min)
}

/// How far apart (in units of the estimated rounding error of the own-scale answer) the
/// two answers near an edge may be for the one-sided one to be trusted.
const AGREEMENT: f64 = 8.0;

/// The scheme's stencil met a NaN with `x_j` far below its typical magnitude. Computes
/// A, the module policy started at `x_j`'s own scale `e`, and B, the one-sided stencils at
/// the nominal step `t0`; keeps, for each output, B where it agrees with A to within A's
/// rounding error (B then has no visible truncation error and less rounding), else A
/// (B's step straddles the scale on which f varies). Either alone when the other fails.
pub(crate) fn near_edge<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t0: f64,
    e: f64,
    candidates: &[Placed],
    out: &mut [f64],
) -> Result<(), FdError> {
    let (opts, x) = (p.opts, p.x);
    let own = match own_scale_answer(p, dir, e, candidates, out) {
        Ok(None) => return Ok(()),
        Ok(Some(bound)) => {
            let noise: Vec<f64> =
                p.ws.magnitude
                    .iter()
                    .map(|m| AGREEMENT * f64::EPSILON * m)
                    .collect();
            Ok((out.to_vec(), noise, bound))
        }
        // A failure of f or a cancellation ends the call: f is not called again.
        Err(err) if !err.is_stencil_miss() => return Err(err),
        Err(err) => Err(err),
    };
    let mut used = None;
    let one_sided = with_fallback(opts, x, dir, t0, &candidates[1..], |stencil, t| {
        used = Some((*stencil, t));
        apply(p, dir, t, stencil, out)
    });
    let one_sided = one_sided.map(|()| {
        let (stencil, t) = used.expect("a successful fall-back applied a stencil");
        refine::fallback_bounds(p, &stencil, t, out)
    });
    // Per output, the bound of the value kept: A's; or, where B is kept, its distance to A
    // plus A's. B's own model (its first- against second-order quotient at `t0`) cannot
    // see f vary on x_j's scale far below `t0`, and the agreement is within A's rounding,
    // which a large constant part of f makes large (1 + x log x at 1.1e-13: -12.7 for
    // -28.8 with B's bound 1.39; probe13 finding 2): only the triangle inequality holds.
    let bound = match (own, one_sided) {
        (Ok((a, noise, bound_a)), Ok(_)) => {
            let mut bound = bound_a;
            for (i, b) in out.iter_mut().enumerate() {
                // A's rounding scale overflows where its step is tiny (log at x below
                // 5.6e-301: `|f| / e` above DBL_MAX): nothing then says B agrees, and B
                // (the one-sided difference at the plain step, 1.7e8 for 4.5e307) is not
                // kept on an infinite tolerance.
                if !noise[i].is_finite() || (*b - a[i]).abs() > noise[i] {
                    *b = a[i];
                } else {
                    bound[i] += (*b - a[i]).abs();
                }
            }
            bound
        }
        // A failure of f or a cancellation ends the call.
        (_, Err(err)) if !err.is_stencil_miss() => return Err(err),
        (Ok((a, _, bound_a)), Err(_)) => {
            out.copy_from_slice(&a);
            bound_a
        }
        // A could not be formed (x_j's own scale rounds to no step: sqrt at 5e-324 gave
        // 525 for 2.2e161 with B's bound 238): the edge is at x for every step there is,
        // and B is checked against itself as there (`edge_at_x.rs`).
        (Err(_), Ok(bound_b)) => {
            let (stencil, t) = used.expect("a successful fall-back applied a stencil");
            edge_at_x::checked(p, dir, (&stencil, t), bound_b, out)?
        }
        (Err(err), Err(_)) => return Err(err),
    };
    refine::bound_direction(p, dir, &bound);
    Ok(())
}

/// A of [`near_edge`] into `out` with its per-output bounds: the module policy from
/// `x_j`'s own scale `e`. Where the scheme's central stencil fits there but meets a NaN,
/// the edge lies within `r |x_j|` too, and the one-sided stencil at `e` straddles the
/// scale on which f varies while its own points cannot tell (sqrt(1 - x0^2 - x1^2) at
/// `1 - |x| = 1.7e-9`, `x1 = 0.0998`: -611.6 for -1712.1, bound 251, probe8 finding 18):
/// the edge scan from `e` ([`edge_scan::scanned`]). `None` when that refined the
/// direction a priori and recorded its bound.
fn own_scale_answer<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    e: f64,
    candidates: &[Placed],
    out: &mut [f64],
) -> Result<Option<Vec<f64>>, FdError> {
    let (opts, x) = (p.opts, p.x);
    let t = dir.step(x, e);
    if edge_scan::applies(p) && t > 0.0 && fits(opts, x, dir, t, &candidates[0]) {
        return match apply(p, dir, t, &candidates[0], out)? {
            None => Ok(Some(refine::fallback_bounds(p, &candidates[0], t, out))),
            Some(bad) => edge_scan::scanned(p, dir, e, bad, out),
        };
    }
    let mut used = None;
    with_fallback(opts, x, dir, e, candidates, |stencil, t| {
        used = Some((*stencil, t));
        apply(p, dir, t, stencil, out)
    })?;
    let (stencil, t) = used.expect("a successful fall-back applied a stencil");
    Ok(Some(refine::fallback_bounds(p, &stencil, t, out)))
}

/// Runs `attempt(stencil, t)` for each candidate stencil and step in the order of
/// [`attempts`]: each candidate at the largest step no larger than `t0` that fits inside the
/// bounds, then at `t0 / 10`, ... (at most [`MAX_SHRINKS`] times), largest steps first,
/// until one attempt meets no non-finite value. The error names the last non-finite value
/// met, or says that no stencil fits.
pub(crate) fn with_fallback(
    opts: &Options,
    x: &[f64],
    dir: Direction<'_>,
    t0: f64,
    candidates: &[Placed],
    attempt: impl FnMut(&Placed, f64) -> Result<Option<NonFinite>, FdError>,
) -> Result<(), FdError> {
    fallback_from(opts, x, dir, t0, candidates, None, attempt)
}

/// [`with_fallback`] when the first candidate at `t0` has already been tried and met
/// `first_bad` (`None`: nothing tried yet).
pub(crate) fn fallback_from(
    opts: &Options,
    x: &[f64],
    dir: Direction<'_>,
    t0: f64,
    candidates: &[Placed],
    first_bad: Option<NonFinite>,
    mut attempt: impl FnMut(&Placed, f64) -> Result<Option<NonFinite>, FdError>,
) -> Result<(), FdError> {
    let skip_first = first_bad.is_some();
    let mut last_bad = first_bad;
    let plan = attempts(opts, x, dir, t0, candidates);
    for (i, &(k, t)) in plan.list.iter().enumerate() {
        // The scheme's own stencil at the nominal step comes first whenever it fits.
        if skip_first && i == 0 && k == 0 {
            continue;
        }
        match attempt(&candidates[k], t)? {
            None => return Ok(()),
            Some(bad) => last_bad = Some(bad),
        }
    }
    Err(match last_bad {
        Some((index, value, point)) => FdError::NonFinitePerturbed {
            direction: dir.name(),
            index,
            value,
            point,
        },
        None => no_stencil(opts, x, dir, t0, plan.smallest),
    })
}

/// Why no stencil could be tried: the step rounds to 0 at x (or underflowed to 0), or
/// every stencil leaves the bounds or the finite doubles.
fn no_stencil(opts: &Options, x: &[f64], dir: Direction<'_>, t0: f64, smallest: f64) -> FdError {
    // `!(t > 0)` also catches NaN.
    if !(t0 > 0.0 && dir.step(x, t0) > 0.0) {
        let at = match dir {
            Direction::Axis(j) => format!(" at x[{j}] = {}", Num(x[j])),
            _ => String::new(),
        };
        // A step that is 0 itself underflowed (a subnormal x with tiny typical magnitudes).
        let what = if t0 == 0.0 {
            "underflowed to 0".to_string()
        } else {
            format!("h = {} rounds to 0", Num(t0))
        };
        return FdError::InvalidArgument(format!(
            "{}: the step {what}{at} (below half a unit in the last place); give a larger \
             step (absolute steps, typical magnitudes or relative step)",
            dir.name()
        ));
    }
    let region = if opts.bounds().is_some() {
        "inside the bounds"
    } else {
        "inside the finite doubles (x + h overflows)"
    };
    FdError::InvalidArgument(format!(
        "{}: no stencil fits {region} with a step of at least {smallest:e}",
        dir.name()
    ))
}

/// Whether every point of `stencil` with step `t` is finite (f is never called at +-inf:
/// at x_j = +-DBL_MAX only stencils pointing inward fit) and lies inside the bounds.
pub(crate) fn fits(
    opts: &Options,
    x: &[f64],
    dir: Direction<'_>,
    t: f64,
    stencil: &Placed,
) -> bool {
    let (lo, hi) = stencil.reach();
    let finite = |xi: f64, (a, b): (f64, f64)| (xi + a).is_finite() && (xi + b).is_finite();
    let stays_finite = match dir {
        Direction::Axis(j) => finite(x[j], (lo * t, hi * t)),
        Direction::Vector(u) => {
            (0..x.len()).all(|i| u[i] == 0.0 || finite(x[i], (lo * t * u[i], hi * t * u[i])))
        }
        Direction::Group(u, cols) => cols
            .iter()
            .all(|&j| finite(x[j], (lo * t * u[j], hi * t * u[j]))),
    };
    if !stays_finite {
        return false;
    }
    let Some(bounds) = opts.bounds() else {
        return true;
    };
    match dir {
        Direction::Axis(j) => bounds.admits(j, x[j], (lo * t, hi * t)),
        Direction::Vector(u) => (0..x.len())
            .all(|i| u[i] == 0.0 || bounds.admits(i, x[i], (lo * t * u[i], hi * t * u[i]))),
        Direction::Group(u, cols) => cols
            .iter()
            .all(|&j| bounds.admits(j, x[j], (lo * t * u[j], hi * t * u[j]))),
    }
}

/// Evaluates one stencil. `Ok(None)` on success (derivative in `out`, rounding scale in
/// `ws.magnitude`); `Ok(Some(..))` names the first non-finite output met, after which the
/// stencil's remaining points are skipped.
pub(crate) fn apply<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    stencil: &Placed,
    out: &mut [f64],
) -> Result<Option<NonFinite>, FdError> {
    let m = out.len();
    p.ws.columns(m);
    let Probe { ev, x, y0, ws, .. } = p;
    let Workspace {
        xp,
        y,
        magnitude,
        second,
        evaluated,
        ..
    } = ws;
    let (y0, mag, second) = (&y0[..m], &mut magnitude[..m], &mut second[..m]);
    out.fill(0.0);
    mag.fill(0.0);
    second.fill(0.0);
    *evaluated = 0;
    for (o, w) in stencil.terms() {
        if o == 0.0 {
            // f(x) itself: no difference to add, only its share of the rounding scale.
            for i in 0..m {
                mag[i] += w.abs() * subnormal::size(y0[i]);
            }
            continue;
        }
        move_to(xp, x, dir, o * t);
        let result = ev.eval(xp, y, || dir.point(o, t));
        move_to(xp, x, dir, 0.0);
        result?;
        *evaluated += 1;
        // Differences from f(x): the weights sum to zero, so the sum is the same, but an
        // output that does not change cancels exactly, whatever the size of f.
        let y = &y[..m];
        let mut finite = true;
        for i in 0..m {
            finite &= y[i].is_finite();
            out[i] += w * (y[i] - y0[i]);
            mag[i] += w.abs() * subnormal::size(y[i]);
        }
        if !finite {
            let i = y.iter().position(|v| !v.is_finite()).unwrap_or(0);
            return Ok(Some((i, y[i], dir.point(o, t))));
        }
        if o.abs() == 1.0 {
            for i in 0..m {
                second[i] += y[i] - y0[i];
            }
        }
    }
    for i in 0..m {
        out[i] /= t;
        mag[i] /= t;
    }
    Ok(None)
}

/// Without batches, the points of the scheme's own stencil at step `t` after the first
/// `evaluated` (which met a NaN or infinity), evaluated and kept for the fall-backs that
/// ask for them: a batch evaluates the whole stencil ahead (`plan.rs`), so the points f
/// sees do not depend on the batch size (issue 11 item 1: a central4 VJP at a log edge
/// made 27 calls serially, 29 on two threads). With batches they are evaluated already.
pub(crate) fn complete_plan<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    evaluated: usize,
) -> Result<(), FdError> {
    if p.opts.batch() > 1 {
        return Ok(());
    }
    let stencil = &p.opts.scheme().candidates()[0];
    let rest: Vec<(f64, f64)> = stencil
        .terms()
        .filter(|&(o, _)| o != 0.0)
        .skip(evaluated)
        .map(|(o, _)| (o, t))
        .collect();
    evaluate_serially(p, dir, &rest)
}

/// Evaluates the points `x + o e dir` for each `(o, e)` of `points`, one per call of f
/// (as a serial run would), and keeps their values for the requests that follow: the
/// points a batch would have evaluated ahead ([`complete_plan`],
/// `refine::ahead::complete`).
pub(crate) fn evaluate_serially<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    points: &[(f64, f64)],
) -> Result<(), FdError> {
    if points.is_empty() {
        return Ok(());
    }
    let (x, n, m) = (p.x, p.x.len(), p.y0.len());
    let mut xs = super::alloc::batch_points(Some(points.len()), n)?;
    for &(o, e) in points {
        let start = xs.len();
        xs.extend_from_slice(x);
        move_to(&mut xs[start..], x, dir, o * e);
    }
    p.ev.eval_ahead(xs, n, m, 1, |k| dir.point(points[k].0, points[k].1))
}

/// Sets `xp = x + delta * dir`, touching only the entries `dir` changes.
#[inline(always)]
pub(crate) fn move_to(xp: &mut [f64], x: &[f64], dir: Direction<'_>, delta: f64) {
    match dir {
        Direction::Axis(j) => xp[j] = x[j] + delta,
        Direction::Group(u, cols) => {
            for &j in cols {
                xp[j] = x[j] + delta * u[j];
            }
        }
        Direction::Vector(u) => {
            for ((p, &xi), &ui) in xp.iter_mut().zip(x).zip(u) {
                *p = xi + delta * ui;
            }
        }
    }
}
