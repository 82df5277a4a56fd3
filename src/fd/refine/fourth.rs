//! The fourth-order scheme on badly scaled elements: the central rule's refinements with
//! the five-point stencil.
//!
//! Why: the plain step `eps^(1/5) max(|x_j|, typ_j)` (7.4e-4 at typ 1, 120 times the
//! central one) spans the whole scale of a function that varies on `|x_j|` itself when
//! `|x_j|` is far below typ_j, and aliases one that varies on typ_j when `|x_j|` is far
//! above it: `z exp(-z)`, `z = x / 1e-4`, at `x = 1e-5..4e-4` gave -396543 for 0.798 (no
//! bound); sin at 1e3 (step 0.74) was 4.6e-3 off. An axis direction is judged as a
//! central one is ([`super::judge`] with the fourth order's `r`; the stencil's two inner
//! points give the same second difference `D2`): suspect a priori (`t > |x_j|`, `|x_j| >
//! 1e3 typ_j`), or from `D2` where `|x_j| < typ_j / 100`, it is refined down with the
//! five-point stencil at `e` and `e / 2` ([`super::shrink`]: the plain value is kept where
//! the levels do not show it wrong); with nothing seen at `|x_j| < typ_j / 100` it is
//! checked at its own scale (`own_scale.rs`). The fourth order's wider step also refines
//! from `D2` where `|x_j| > 10 typ_j` ([`shorter_scale`]). Where
//! rounding swamps the difference (cos near 0) the plain value is kept: the plain step is
//! already far above the central one. Every other direction (JVP directions, column
//! groups, axes with nothing seen) keeps its plain value and its cost, without a bound,
//! as before.
//!
//! Cost: 8 evaluations per refined column (4 more where the plain value is checked
//! between the levels), 4 per column checked at its own scale (up to 12 more where the
//! check disagrees).

use super::super::derivative::Direction;
use super::super::error::FdError;
use super::super::function::Function;
use super::super::probe::Probe;
use super::{entry_bound, judge, own_scale, reach, relative_step, shrink, sums, Suspect, LARGE};

/// The fourth-order refinement of an axis direction after its plain stencil at `t`
/// (values in `out`, its rounding scales and second differences in the workspace).
pub(super) fn after_plain<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    out: &mut [f64],
) -> Result<(), FdError> {
    let Direction::Axis(j) = dir else {
        return Ok(());
    };
    if p.step_scale > 1.0 {
        return Ok(());
    }
    let stencil = p.opts.scheme().candidates()[0];
    let s = sums(p, t, out, None);
    let reach = reach(p, [(j, 1.0)], t);
    let (ax, typ) = (p.x[j].abs(), p.opts.typical().map_or(1.0, |t| t[j]));
    let r = relative_step(p);
    let bounds = match judge(p, &s, Some(&reach), t) {
        Some(Suspect::Large(target, _)) => {
            p.report.refined_large += 1;
            shrink(p, dir, t, target, &stencil, out)?
        }
        Some(Suspect::Own(target)) => own_scale::check(p, dir, t, target, &stencil, true, out)?
            .expect("a check that may reuse its level decides"),
        // The inflection check is the central column's (`inflection.rs`): as nothing seen.
        Some(Suspect::NoiseLike | Suspect::Inflection(_)) | None
            if shorter_scale(ax, typ) && (s.d2 > LARGE * r * r * s.m || s.d2 > SEEN * t * s.d1) =>
        {
            // D2 shows f varying on a scale shorter than `t / r` (`ρ` times), or its own
            // `|f' / f''|` too short for the fifth power of the step.
            let mut target = r * typ;
            if s.d2 > LARGE * r * r * s.m {
                target = target.min(t / (s.d2 / (r * r * s.m)).sqrt());
            }
            p.report.refined_large += 1;
            shrink(p, dir, t, target, &stencil, out)?
        }
        Some(Suspect::Rounding | Suspect::NoiseLike | Suspect::Inflection(_)) | None => {
            return Ok(())
        }
    };
    p.bound(entry_bound(p, dir, &bounds));
    Ok(())
}

/// Whether an element at `|x_j| = ax` with typical magnitude `typ` is refined where its
/// second difference is large (`|D2| > 30 r^2 M`) or shows f's own scale too short
/// ([`SEEN`]), beyond the central rule's `|x_j| < typ_j / 100`: above [`ABOVE`] typ_j.
/// The fourth order's step `r |x_j|` there is 120 times the central one, and f varying on
/// typ_j is aliased (sin at 1e3, step 0.74: 4.6e-3 off). Refined from `min(t / ρ, r
/// typ_j)`. Below typ_j (down to `typ_j / 100`, the well-scaled points of the count
/// tests) the same tests fired near f's extrema (`f' -> 0`) and are not used: 1/x at
/// 1e-2 keeps up to 1e-4 of f' off, without a bound.
pub(crate) fn shorter_scale(ax: f64, typ: f64) -> bool {
    ax > ABOVE * typ
}

/// See [`shorter_scale`].
pub(crate) const ABOVE: f64 = 10.0;

/// `t |f'' / f'|` (from the sums, `|D2| / (t |D1|)`) above which f's own scale is too
/// short for the plain step: [`OWN_MARGIN`]` (t / s)^4 / 30` (the bound's own-scale
/// truncation, [`truncation`]) then exceeds 1e-10 of f'.
const SEEN: f64 = 2.1e-3;

/// The truncation term of the plain bound of a fourth-order difference, one output: `t^4
/// |f^(5)| / 30` with `f^(5)` read as `|f'| / s^4` for the smaller of the step rule's
/// scale `t / r` (at least a quarter of it, as the central floor) and f's own `|f' /
/// f''|` (from `D2 ≈ t^2 f''`), times [`OWN_MARGIN`]; at most the central truncation
/// `|D2| / 2t` (f' near 0).
pub(super) fn truncation(d1: f64, d2: f64, t: f64, r: f64) -> f64 {
    let (d1, d2) = (d1.abs(), d2.abs());
    let own = if d1 > 0.0 {
        d2 / (t * d1)
    } else {
        f64::INFINITY
    };
    let floor = 4.0 * r;
    let rule = d1 * floor.powi(4) / 30.0;
    let short = (OWN_MARGIN * d1 * own.powi(4) / 30.0).min(d2 / (2.0 * t));
    rule.max(short)
}

/// How many times `f'^-3 f''^4` the fifth derivative is taken as: 24 for log, 7.5 for
/// 1/x, 105 for sqrt (each `|f^(5)| / (f''^4 / |f'|^3)`), with a margin.
const OWN_MARGIN: f64 = 160.0;
