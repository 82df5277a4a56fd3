//! Checking a direction that moves an element sitting far below its typical magnitude
//! (`0 < |x_j| < typ_j / 100`) at `x_j`'s own scale, when nothing else made it suspect.
//!
//! Why: a function varying on the scale of `x_j` itself (`sin(x / s)` with `s` between r
//! and 1e-2, at `x_j ~ s`) shows a large second difference at the plain step and is
//! refined, except at an inflection point, where `D2 ≈ 0`: three points cannot see its
//! third derivative, and the plain step `r typ_j` leaves an error `(t / s)^2 / 6` of f'
//! (6e-4 at `s = 1e-4`) with nothing flagged. A function varying on the scale typ_j (a sum
//! of sines at x_j = 1e-3) looks the same to three points. So one more stencil of the
//! scheme at `x_j`'s own scale, `e = r |x_j|` (the first level a refinement would take),
//! decides: where it agrees with the plain value within the plain value's bound plus its
//! own rounding (`64 eps ρ_e`, [`super::ROUNDING_SAFETY`]), the plain value is kept bit
//! for bit and its bound raised to cover the difference; elsewhere f does vary on that
//! scale, and the direction is refined as a step too large, from that level on (its
//! evaluations are not repeated).
//!
//! Cost: 2 evaluations per checked central direction (1 one-sided); where the check
//! disagrees, 2 more at `sqrt(t e)` to tell variation from f's own rounding, then the
//! refinement's 2 (and 2 more when `shrink_from` checks a plain value between them) where f does vary. Directions
//! already refined (log, sqrt, 1/x, exp(kx) near 0 all are) are not checked, nor are
//! directions moving only well-scaled elements (`|x_j| >= typ_j / 100`, or `x_j = 0`).

use super::super::alloc;
use super::super::derivative::Direction;
use super::super::error::FdError;
use super::super::function::Function;
use super::super::probe::Probe;
use super::super::scheme::Placed;
use super::nonfinite::{self, Tried};
use super::{noise_of, plain_bound, shrink_from, weight, Level, ROUNDING_SAFETY};

/// The level at the own-scale step `target` along `dir` (stencil `stencil`, or where it
/// meets a non-finite value a fall-back of the same order, `nonfinite.rs`), when it is
/// below the plain step `t` and can be taken; else why not (`Tried::Unfit`: not below
/// `t`, or outside the bounds; `Tried::NonFinite`: every stencil met a NaN or infinity).
pub(super) fn level<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    target: f64,
    stencil: &Placed,
) -> Result<Result<Level, Tried>, FdError> {
    let e = dir.step(p.x, target);
    let mut d = alloc::zeros(p.y0.len(), "an own-scale level")?;
    if e.partial_cmp(&t) != Some(std::cmp::Ordering::Less) {
        return Ok(Err(Tried::Unfit));
    }
    Ok(
        match nonfinite::level_stencil(p, dir, e, stencil, &mut d)? {
            Ok(used) => {
                let mut level = Level::take(p, e, &d)?;
                level.stencil = used;
                Ok(level)
            }
            Err(why) => Err(why),
        },
    )
}

/// The rounding (and noise) error of the own-scale level's output `i`: how far from the
/// plain value it may lie beyond the plain value's own bound and still agree with it.
pub(super) fn rounding<F: Function + ?Sized>(p: &Probe<'_, '_, F>, level: &Level, i: usize) -> f64 {
    ROUNDING_SAFETY * f64::EPSILON * level.mag[i] + noise_of(p, i) / level.t
}

/// The check of the module doc for the direction `dir` at plain step `t` (plain result in
/// `out`, its workspace the plain stencil's), own-scale step `target`, with the scheme's
/// `stencil`. Returns the per-output bounds (`out` holds the values kept), or `None` when
/// the check disagrees and `reuse` is false: the caller then refines the direction its
/// own way (a vector whose steps must be made exact), with `out` and the workspace as the
/// plain stencil left them.
pub(super) fn check<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    target: f64,
    stencil: &Placed,
    reuse: bool,
    out: &mut [f64],
) -> Result<Option<Vec<f64>>, FdError> {
    let plain = Level::take(p, t, out)?;
    let plain_b = plain_bound(p, t, out);
    let level = match level(p, dir, t, target, stencil)? {
        Ok(level) => level,
        Err(why) => {
            restore(p, &plain);
            // A check every stencil of which met a NaN or infinity saw nothing: the plain
            // value stays, without a bound (`nonfinite.rs`).
            if why != Tried::NonFinite {
                return Ok(Some(plain_b));
            }
            let mut none = alloc::zeros(plain.d.len(), "an own-scale check's bounds")?;
            none.fill(f64::NAN);
            return Ok(Some(none));
        }
    };
    let m = out.len();
    let apart = |i: usize| (level.d[i] - out[i]).abs();
    let agree =
        (0..m).all(|i| weight(p, i) == 0.0 || apart(i) <= plain_b[i] + rounding(p, &level, i));
    if agree {
        restore(p, &plain);
        return Ok(Some(
            (0..m)
                .map(|i| plain_b[i].max(apart(i) + rounding(p, &level, i)))
                .collect(),
        ));
    }
    // Variation at x_j's scale, or only f's rounding (which can lie far above `eps |f|`
    // where f is a difference of larger terms scaled by a non-power of 2, so that the grid
    // reading cannot see it)? One level between decides: at `m = sqrt(t e)` a variation
    // leaves `|M - P| ≈ |L - P|` (M's truncation is `|x_j| / typ_j <= 1/100` of P's),
    // while rounding leaves `|M - P| ≈ |L - P| sqrt(e / t) <= |L - P| / 10`.
    if let Ok(middle) = self::level(p, dir, t, (target * t).sqrt(), stencil)? {
        let apart_m = |i: usize| (middle.d[i] - out[i]).abs();
        let varies = (0..m).any(|i| {
            weight(p, i) != 0.0
                && apart(i) > plain_b[i] + rounding(p, &level, i)
                && varies_at(p, (&level, &middle), out[i], plain_b[i], i)
        });
        if !varies {
            restore(p, &plain);
            return Ok(Some(
                (0..m)
                    .map(|i| plain_b[i].max(apart_m(i) + rounding(p, &middle, i)))
                    .collect(),
            ));
        }
    }
    if !reuse {
        restore(p, &plain);
        return Ok(None);
    }
    p.report.refined_large += 1;
    let bounds = shrink_from(p, dir, (plain, plain_b), target, stencil, Some(level), out)?;
    Ok(Some(bounds))
}

/// Whether output `i`'s disagreement between the plain value `plain` (bound `plain_b`)
/// and the own-scale level L is f's variation at that scale rather than rounding or
/// noise: the level M between them (`sqrt(t e)`) is as far from `plain` as a quarter of
/// L's distance and beyond M's own tolerance (see [`check`]), and M and L agree with each
/// other within half that distance ([`CONSISTENT`]).
///
/// Why the second test: f varying on x_j's scale s leaves M and L both near f' (M's
/// truncation is `(sqrt(t e) / s)^2 <= r^2 typ_j / |x_j|` of P's, below 1e-8 of it), so
/// `|M - L|` is a small part of `|L - P|`; noise ε, unknown to the check, puts `ε / e`
/// on L and `ε / sqrt(t e)` on M, at least 10 times less, so `|M - L| ≈ |L - P|`. The
/// first test alone read noise as variation whenever M's draw was 3 or more times L's
/// relative to the steps, and the refinement then took L, walked down into the noise:
/// hash noise of 1e-10 on a tridiagonal map with `x_j = 0.006` gave an entry 4e-3 off
/// (the plain step's error: 1.7e-5), `tests/noisy_own_scale_paths.rs`.
pub(super) fn varies_at<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    (level, middle): (&Level, &Level),
    plain: f64,
    plain_b: f64,
    i: usize,
) -> bool {
    let (apart, apart_m) = ((level.d[i] - plain).abs(), (middle.d[i] - plain).abs());
    apart_m > (apart / 4.0).max(plain_b + rounding(p, middle, i))
        && (level.d[i] - middle.d[i]).abs() <= CONSISTENT * apart
}

/// The largest `|M - L|`, as a fraction of `|L - P|`, of levels that see f's variation
/// (see [`varies_at`]).
const CONSISTENT: f64 = 0.5;

/// Puts the plain stencil's rounding scales and second differences back in the workspace.
pub(super) fn restore<F: Function + ?Sized>(p: &mut Probe<'_, '_, F>, plain: &Level) {
    let m = plain.d.len();
    p.ws.magnitude[..m].copy_from_slice(&plain.mag);
    p.ws.second[..m].copy_from_slice(&plain.second);
}
