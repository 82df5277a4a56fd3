//! Forward and backward differences where rounding swamps the plain difference
//! (`|x_j| < typ_j / 1e3` and `eps ρ_i > 1e-8 |D1_i|`: cos near 0, f ≈ 1 while f' ≈
//! 1e-7), decided output by output.
//!
//! Why per output: a column's outputs may need opposite things (a cosine's output a larger
//! step, a logarithm's in the same column a smaller one), and a VJP must be `v^T J` of
//! the per-output derivatives whatever v weighs. The column's own refinement runs as
//! before; then each output whose plain difference was swamped by rounding is offered a
//! grown value, kept where its bound is smaller.
//!
//! Why extrapolation: a first-order difference at any single step is no better than about
//! `sqrt(eps |f| |f''|)`, relative error of order 1 for a sum of 40 cosines at 1e-7 (f ≈
//! 40, f'' ≈ 1, f' ≈ 1e-7). [`LEVELS`] one-sided levels from [`START`]` typ_j` down by
//! halves, extrapolated to zero (`far_above::extrapolated`), remove the terms up to
//! `h^3`; their bound is the disagreement with the extrapolation of the finer levels and
//! the weighted rounding. 4 evaluations per column with a swamped output.

use super::super::alloc;
use super::super::derivative::Direction;
use super::super::error::FdError;
use super::super::function::Function;
use super::super::probe::Probe;
use super::super::report::NoiseSource;
use super::super::scheme::Placed;
use super::{far_above, nonfinite, weight, EXPLAINED, FAR_BELOW, ROUNDING, ROUNDING_SAFETY};

/// The first grown level, in units of typ_j (2^-4).
const START: f64 = 0.0625;

/// The grown levels extrapolated.
const LEVELS: usize = 5;

/// The plain stencil's second difference reads as noise above this many times the
/// rounding of f computed from larger terms (as `grow.rs` reads its levels).
const NOISE_SEEN: f64 = 4.0;

/// Where the plain stencil saw noise ([`seen`]), the grown value's bound counts this many
/// times the noise error that the largest of three samples reads (the plain second
/// difference and the levels' two disagreements, each over its own coefficients' norm):
/// under uniform noise the value's error exceeds it (plus twice the disagreement) in 0.5%
/// of draws (2, 3 times: 2.9%, 1.0%), whose samples all fell low together.
const SEEN_SHARE: f64 = 4.0;

/// The levels' disagreement, read as noise, beyond this many times what the plain
/// stencil's noise reading makes of it is no noise: the levels do not converge (f varies
/// on x_j's own scale, far below the levels, and the plain second difference read as
/// noise was its curvature). The grown value then needs its convergence bound (NaN:
/// never offered). 1000 + sqrt x at 1e-7, backward: disagreement 7.3 against 9.6e-4, and
/// the grown 23.96 was kept for 1581 with a bound of 30 (probe14 finding 1). Noise read
/// both ways (`tests/noisy_bounds_cover.rs`, 814 outputs) stays below 490 times.
const UNEXPLAINED: f64 = 1024.0;

/// The outputs of the plain one-sided column `d1` (rounding scales in the workspace) whose
/// rounding swamps the difference, for an element `x_j` far below `typ`; empty otherwise.
pub(super) fn swamped<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    xj: f64,
    typ: f64,
    d1: &[f64],
) -> Vec<usize> {
    if xj == 0.0 || xj >= typ / FAR_BELOW {
        return Vec::new();
    }
    (0..d1.len())
        .filter(|&i| {
            weight(p, i) != 0.0 && f64::EPSILON * p.ws.magnitude[i] > ROUNDING * d1[i].abs()
        })
        .collect()
}

/// The plain one-sided values at the nominal step t, and how far each may be from f' where
/// f varies on the step rule's scale: [`EXPLAINED`] times the truncation its second
/// difference shows, `|D2| / 2t`, plus [`ROUNDING_SAFETY`] times its rounding `eps ρ`.
pub(super) struct Plain {
    values: Vec<f64>,
    allowed: Vec<f64>,
}

/// The [`Plain`] values of the column `out` at step t (second differences and rounding
/// scales in the workspace), for the `swamped` outputs only: `None` where there are none.
pub(super) fn plain<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    t: f64,
    out: &[f64],
    swamped: &[usize],
) -> Result<Option<Plain>, FdError> {
    if swamped.is_empty() {
        return Ok(None);
    }
    let m = out.len();
    let mut values = alloc::zeros(m, "a one-sided column's plain values")?;
    values.copy_from_slice(out);
    let mut allowed = alloc::zeros(m, "a one-sided column's plain allowances")?;
    for (i, a) in allowed.iter_mut().enumerate() {
        *a = EXPLAINED * p.ws.second[i].abs() / (2.0 * t)
            + ROUNDING_SAFETY * f64::EPSILON * p.ws.magnitude[i];
    }
    Ok(Some(Plain { values, allowed }))
}

/// Offers the `swamped` outputs the grown value (module doc): kept in `out` with its
/// bound in `bounds` where that bound is smaller (or the refinement's is NaN), and where
/// it agrees with the plain value at the nominal step (when known, `plain`) within both
/// their allowances.
#[allow(clippy::too_many_arguments)]
pub(super) fn offer<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    typ: f64,
    stencil: &Placed,
    (swamped, seen): (&[usize], &[f64]),
    plain: Option<&Plain>,
    out: &mut [f64],
    bounds: &mut [f64],
) -> Result<(), FdError> {
    if swamped.is_empty() {
        return Ok(());
    }
    p.report.refined_rounding += 1;
    // Levels on the scheme's side, else on the other where f is not finite there (a
    // logarithm's output in the same column, backward from x_j near 0): their values
    // serve the swamped outputs only.
    let mut found = None;
    for s in nonfinite::alternatives(*stencil) {
        found = far_above::extrapolated(p, dir, START * typ, LEVELS, &s)?;
        if found.is_some() {
            break;
        }
    }
    let Some(e) = found else {
        return Ok(());
    };
    let noise_known = p.report.noise_source != NoiseSource::None;
    for &i in swamped {
        // Levels that drift as a power of h or see one step of f below them
        // (`far_above::drifting`: f varies on x_j's own scale, far below the levels) do
        // not give the derivative at x, whatever their disagreement: 1e5 + sqrt x at
        // 1e-13, forward, 24.1 for 1.6e6 with a noise-based bound of 30 (the plain second
        // difference, sqrt's curvature, read as noise); c + e softplus(x / e) at e = 2.4e-9,
        // backward, 3.2e-8 for 0.027 with a bound of 3.9e-9 (a step below the rounding
        // model passed as converged). Elsewhere, where the plain stencil saw noise, the
        // levels' disagreements are noise too ([`SEEN_SHARE`]); else a grown value without
        // a bound (not converging) is never offered.
        let grown = match seen.get(i) {
            _ if e.drifting[i] => f64::NAN,
            Some(&s) if s > 0.0 && e.read[i] <= UNEXPLAINED * e.gain * s => {
                e.unchecked[i] + SEEN_SHARE * e.read[i].max(e.gain * s)
            }
            _ => e.bounds[i],
        };
        if grown < bounds[i] || (bounds[i].is_nan() && !grown.is_nan()) {
            out[i] = e.values[i];
            // Seen, but no noise is known: f may as well vary on a scale below the plain
            // step (`c + a sin(x / a)`, a < t), which neither the grown levels nor x_j's
            // own scale (swamped) can see: the grown value stands, without a bound. `2160
            // + 2e-5 sin(x / 2e-5)` at 6.8e-12, forward: -1.6e-3 for 1 with a bound of
            // 8.6e-7 (probe18 finding 3).
            let unexplained = seen.get(i).is_some_and(|&s| s > 0.0) && !noise_known;
            bounds[i] = if unexplained { f64::NAN } else { grown };
            // A plain value that the grown one, within both allowances, contradicts: f
            // varies between the plain step and the grown levels (a feature the levels
            // step over: the example above, where a = 2e-5 lies above the plain step
            // 1.5e-8; c + cos x at 1e-7, which growing is for, differs by P's rounding).
            // The plain value, taken nearer x, stands, without a bound.
            if let Some(pl) = plain {
                if (e.values[i] - pl.values[i]).abs() > grown + pl.allowed[i] {
                    out[i] = pl.values[i];
                    bounds[i] = f64::NAN;
                }
            }
        }
    }
    Ok(())
}

/// Per output of the plain one-sided stencil at `t` (its second difference `second`, the
/// rounding scales in the workspace), the noise's standard deviation that the second
/// difference reads where it is noise (above [`NOISE_SEEN`] times the rounding of f
/// computed from larger terms), else 0; empty where no output is `swamped`.
///
/// Why it decides: at the plain step `r typ_j` a function varying on the scale typ_j
/// leaves `|f''| t^2`, of the order of the rounding, while noise ε leaves about ε. Where
/// nothing is seen the grown levels keep the bound their convergence gives (exact
/// functions: bit for bit).
pub(super) fn seen<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    t: f64,
    second: &[f64],
    swamped: &[usize],
) -> Vec<f64> {
    if swamped.is_empty() {
        return Vec::new();
    }
    let rounding = |i: usize| ROUNDING_SAFETY * f64::EPSILON * p.ws.magnitude[i] * t;
    second
        .iter()
        .enumerate()
        .map(|(i, d2)| {
            if d2.abs() > NOISE_SEEN * rounding(i) {
                // `u(x + 2t) - 2 u(x + t) + u(x)`: sqrt(6) standard deviations of u.
                d2.abs() / 6f64.sqrt()
            } else {
                0.0
            }
        })
        .collect()
}
