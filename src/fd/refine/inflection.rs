//! Checking an axis direction whose element sits a few times above its typical magnitude
//! (`4 typ_j < |x_j| <= 1e3 typ_j`) when nothing made it suspect.
//!
//! Why: the plain step `r |x_j|` assumes f varies on the scale `|x_j|`; the bound's floor
//! ([`super::truncation_floor`]) covers a function varying on a quarter of that. A
//! function varying on the scale typ_j (sin at 845 with typ 1) shows a large second
//! difference and is bounded by it, except near an inflection point, where `D2 ≈ 0`:
//! three points cannot see its third derivative, and the plain step leaves `t^2 |f'''| /
//! 6` (4.4e-6 at x = 845) against a bound of 1e-10. A function varying on `|x_j|` (log at
//! 845) looks the same to three points. So one more stencil, at half the step, decides:
//! the two quotients differ by `(1 - q^2)` of the plain one's truncation (`q` the ratio of
//! the steps as taken, about 1/2), so `|L - P| / (1 - q^2)` estimates it. Where that
//! estimate stays within the plain bound plus a generous rounding allowance of both
//! quotients (`64 eps ρ` each), the plain value is kept bit for bit and its bound raised
//! to the estimate plus their modelled rounding (`2 eps ρ` each); elsewhere f does vary
//! faster than the step rule assumes, and the direction is refined down from `r typ_j`
//! as one suspect a priori.
//!
//! Checked only where both hold ([`inconclusive`]):
//! - the plain bound's truncation terms fall below `16 t^2 |D1| / (6 typ_j^2)`, the floor
//!   at the scale `typ_j / 4`: above it, D2 already bounds f varying on typ_j;
//! - the points in hand show f varying on a scale shorter than the step rule's `t / r =
//!   |x_j|` ([`shorter`]). Functions whose own scale is `|x_j|` (log, sqrt, 1/x, x^p,
//!   exp(x / |x_j|)) show none and keep the plain rule's count and value
//!   (`tests/fd_bound_inflection_above.rs`).
//!
//! Cost: 2 evaluations per checked column, 4 to 6 more where the check disagrees.
//! Directions along a vector and column groups are not checked.

use super::super::alloc;
use super::super::derivative::Direction;
use super::super::error::FdError;
use super::super::function::Function;
use super::super::probe::Probe;
use super::nonfinite::Tried;
use super::{
    central, noise_of, own_scale, plain_bound, refuted_floor, refuted_floor_of, shrink_from, sums,
    weight, Level, Sums, CURVATURE_FLOOR,
};

/// The step of the check level for a plain step `t`.
pub(super) fn check_step(t: f64) -> f64 {
    t / 2.0
}

/// The multiple of `eps ρ` taken as each quotient's rounding in the bound of a plain
/// value kept.
const CHECK_ROUNDING: f64 = 2.0;

/// The multiple of `eps ρ` of each quotient a truncation estimate must exceed, beyond the
/// plain bound, for the direction to be refined: f computed as a sum of many terms rounds
/// far above `eps ρ` (sums of 20 atan at 10 were refined for nothing, 4 to 6 evaluations
/// each, at 2), and a refinement cannot beat rounding anyway ([`super::ROUNDING_SAFETY`]).
const REFINE_ROUNDING: f64 = super::ROUNDING_SAFETY;

/// Whether a direction with weighted sums `s` at step `t` (relative step `r`) moving an
/// element of typical magnitude `typ` in the inflection range needs the check: its
/// truncation terms lie below the floor at the scale `typ / 4` and f shows a scale
/// shorter than the step rule's (module doc).
pub(super) fn inconclusive(s: &Sums, t: f64, r: f64, typ: f64) -> bool {
    if !typ.is_finite() {
        return false;
    }
    let at_typ = CURVATURE_FLOOR * t * t * s.d1 / (6.0 * typ * typ);
    s.trunc + refuted_floor_of(s.d1, s.d2, t, r) < at_typ && shorter(s, t, r)
}

/// Below `|x_j| / SIZE_SCALE`, f's size scale `|f / f'|` is shorter than the step rule
/// assumes (x^p has `|x| / p`, log `|x| ln|x|`, sqrt `2 |x|`, 1/x `|x|`). Near a root of
/// f it is short too: a function linear there is checked (three points see it as sin at
/// an inflection point).
const SIZE_SCALE: f64 = 4.0;

/// Below `|x_j| / CURVATURE_SCALE`, f's curvature scale `|f' / f''|` is (x^p has
/// `|x| / |p - 1|`, exp(x / c) has c): with [`INFLECTION_RATIO`], powers with `-7 <= p <=
/// 9` and exp(x / c) with `c >= |x| / 8` are not checked.
const CURVATURE_SCALE: f64 = 8.0;

/// The size scale must also be this many times below the curvature scale: where f is the
/// size of its variation over a short scale but curves on a longer one, f'' is small for
/// that scale (an inflection point: sin at a distance δ from one has `|tan δ|` and
/// `|cot δ|`). A steep power has the two about equal (x^7: `|x| / 7` and `|x| / 6`) and
/// its own curvature bounds it.
const INFLECTION_RATIO: f64 = 2.0;

/// Whether the points in hand show f varying on a scale shorter than the step rule's `t /
/// r` (about `|x_j|`): its size scale `ρ / |D1|` (with `ρ` the rounding scale, about
/// `|f|`) or its curvature scale `|D1| t^2 / |D2|`. Near an inflection point of a function
/// varying on typ_j the first is short (sin: `|tan δ|`) and f'' is what vanishes; a
/// little farther the second is short (`|cot δ|`). Where neither is, f looks like one
/// varying on `|x_j|`, which the plain bound covers. Not seen: an offset far above f's
/// variation (sin x + 1000 within a few `1 / |x|` of an inflection point), which three
/// points cannot tell from a function varying on `|x_j|`.
fn shorter(s: &Sums, t: f64, r: f64) -> bool {
    let step_scale = t / r;
    let size_scale = s.size / s.d1;
    let curvature_scale = s.d1 * t * t / s.d2;
    (SIZE_SCALE * size_scale < step_scale && INFLECTION_RATIO * size_scale < curvature_scale)
        || CURVATURE_SCALE * curvature_scale < step_scale
}

/// The check of the module doc for the axis direction `dir` at plain step `t` (plain
/// result in `out`, its workspace the plain stencil's), refining from `target` where it
/// disagrees. Returns the per-output bounds (`out` holds the values kept) and a term to add
/// to the entry's bound (the refuted floor of a plain value kept, [`refuted_floor`]).
pub(super) fn check<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    target: f64,
    out: &mut [f64],
) -> Result<(Vec<f64>, f64), FdError> {
    let floor = refuted_floor(p, &sums(p, t, out, None), t);
    let plain = Level::take(p, t, out)?;
    let plain_b = plain_bound(p, t, out);
    let level = match own_scale::level(p, dir, t, check_step(t), &central())? {
        Ok(level) => level,
        Err(why) => {
            own_scale::restore(p, &plain);
            if why != Tried::NonFinite {
                return Ok((plain_b, floor));
            }
            // Finite at t, not at t / 2: the plain value is kept without a bound.
            let mut none = alloc::zeros(out.len(), "an inflection check's bounds")?;
            none.fill(f64::NAN);
            return Ok((none, 0.0));
        }
    };
    let m = out.len();
    let q = level.t / t;
    let factor = 1.0 / (1.0 - q * q);
    let eps = f64::EPSILON;
    let rounding_at = |p: &Probe<'_, '_, F>, i: usize, k: f64| {
        factor * k * eps * (plain.mag[i] + level.mag[i]) + noise_of(p, i) / level.t
    };
    let rounding: Vec<f64> = (0..m).map(|i| rounding_at(p, i, CHECK_ROUNDING)).collect();
    let allowed: Vec<f64> = (0..m).map(|i| rounding_at(p, i, REFINE_ROUNDING)).collect();
    let truncation: Vec<f64> = (0..m)
        .map(|i| factor * (level.d[i] - out[i]).abs())
        .collect();
    let agree = (0..m).all(|i| weight(p, i) == 0.0 || truncation[i] <= plain_b[i] + allowed[i]);
    if agree {
        own_scale::restore(p, &plain);
        let bounds = (0..m)
            .map(|i| plain_b[i].max(truncation[i] + rounding[i]))
            .collect();
        return Ok((bounds, floor));
    }
    own_scale::restore(p, &plain);
    p.report.refined_large += 1;
    (p.curved, p.a_priori) = (false, true);
    let bounds = shrink_from(p, dir, (plain, plain_b), target, &central(), None, out);
    (p.curved, p.a_priori) = (false, false);
    Ok((bounds?, 0.0))
}
