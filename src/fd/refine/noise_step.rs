//! Checking a noise step along an element a few times above its typical magnitude
//! (`4 typ_j < |x_j| <= 1e3 typ_j`, central scheme).
//!
//! Why: the noise step `c r |x_j|` balances the noise against the truncation of an f
//! varying on `|x_j|`. An f varying on typ_j is stepped over whole periods there: sin at
//! 838.8 with declared noise 5.7e-8 took a step of 4.6, gave -0.0035 for -0.9999 with a
//! bound of 4.7e-6 (probe15 finding 3). At the plain step rule 5's inflection check and
//! far above typ_j the refinement see f's own scale; a noise step took neither. Its second
//! difference alone cannot tell: near an inflection point it vanishes, and a step of
//! whole periods aliases. So one more central difference at the noise step of typ_j's
//! scale, `c r typ_j` (2 evaluations), decides: where the two agree within their bounds,
//! the noise step's value is kept bit for bit and its bound raised to their distance plus
//! the check's bound (the check is what shows the value right); elsewhere the check's
//! value and bound are taken.
//!
//! Under the default (`NoiseMode::Auto`) too, in the second pass at the noise step the
//! trigger called for: its plain pass judged each column at the plain step, which says
//! nothing of a step `c` times longer (float32 inside f at 1..1e3, a sum of sines: 59 of
//! 200 VJPs uncovered, up to 40 times; `tests/noisy_auto_above_typ.rs`). Such a column
//! then takes the general path, not the VJP's fused one (`refine::need_at`).
//!
//! The check's bound counts the noise its smaller step carries, `NOISE_SHARE ε / t`, so a
//! function that does vary on `|x_j|` (log at 500) keeps its value but its bound widens
//! by up to `|x_j| / typ_j` in the noise term: honest, not tight.

use super::super::derivative::Direction;
use super::super::error::FdError;
use super::super::function::Function;
use super::super::noise::NOISE_SHARE;
use super::super::probe::Probe;
use super::nonfinite::Tried;
use super::{
    grid_error, inflection_range, noise_of, noise_step_floor, own_scale, relative_step, truncation,
    truncation_floor, weight, Level, LARGE,
};

/// The step of typ's scale for a noise step `t` along `dir`, where some moved element
/// lies in the inflection range and the check step is below `t`: `c r typ_j / |u_j|`, the
/// smallest over those elements; `None` elsewhere (caller's steps, other schemes, groups,
/// no noise step).
pub(super) fn target<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
) -> Option<f64> {
    let c = p.step_scale;
    if c <= 1.0 || p.opts.steps().is_some() || p.opts.relative_step().is_some() {
        return None;
    }
    let rc = relative_step(p) * c;
    let typ = |j: usize| p.opts.typical().map_or(1.0, |t| t[j]);
    let step = |j: usize, uj: f64| {
        let (ax, typ) = (p.x[j].abs(), typ(j));
        (uj != 0.0 && inflection_range(ax, typ)).then(|| rc * typ / uj.abs())
    };
    let target = match dir {
        Direction::Axis(j) => step(j, 1.0)?,
        Direction::Vector(u) => u
            .iter()
            .enumerate()
            .filter_map(|(j, &uj)| step(j, uj))
            .fold(None, |a: Option<f64>, s| Some(a.map_or(s, |a| a.min(s))))?,
        Direction::Group(..) => return None,
    };
    (target < t).then_some(target)
}

/// The per-output bound of a central level at step `t` on the scale `t / rc` (values `d`,
/// second differences `second`, rounding scales `mag`), the noise counted in full; NaN
/// where its second difference shows f varying on a scale shorter still (as
/// `refine::beyond_noise_step` at the noise step).
fn level_bounds<F: Function + ?Sized>(p: &Probe<'_, '_, F>, level: &Level, rc: f64) -> Vec<f64> {
    let t = level.t;
    let (c, r) = (p.step_scale, relative_step(p));
    (0..level.d.len())
        .map(|i| {
            let (d, d2) = (level.d[i], level.second[i]);
            let m = (d.abs() / r).max(c * level.mag[i]);
            if d2.abs() > LARGE * c * r * r * t * m {
                return f64::NAN;
            }
            truncation(d, d2, t, rc)
                + truncation_floor(d, rc)
                + noise_step_floor(d, d2, t, rc)
                + f64::EPSILON * level.mag[i]
                + NOISE_SHARE * noise_of(p, i) / t
                + grid_error(p.y0[i], [d2], t)
        })
        .collect()
}

/// The check of the module doc for `dir` at noise step `t` (values in `out`, the workspace
/// the stencil's), at the step `target` ([`target`]). `plain_b` is the per-output bound of
/// the noise step's value; `beyond` that its second difference refutes the step
/// (`refine::beyond_noise_step`), which the check's value then replaces. Returns the
/// per-output bounds of the values left in `out`, and whether they are the check's (NaN
/// bounds where f is not finite at the check's points).
pub(super) fn check<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    target: f64,
    plain_b: &[f64],
    beyond: bool,
    out: &mut [f64],
) -> Result<(Vec<f64>, bool), FdError> {
    let m = out.len();
    let rc = relative_step(p) * p.step_scale;
    let plain = Level::take(p, t, out)?;
    let level = match own_scale::level(p, dir, t, target, &super::central())? {
        Ok(level) => level,
        Err(why) => {
            own_scale::restore(p, &plain);
            let nan = why == Tried::NonFinite;
            let bounds = plain_b
                .iter()
                .map(|&b| if nan { f64::NAN } else { b })
                .collect();
            return Ok((bounds, false));
        }
    };
    own_scale::restore(p, &plain);
    let bounds = level_bounds(p, &level, rc);
    let distance: Vec<f64> = (0..m).map(|i| (level.d[i] - out[i]).abs()).collect();
    let agree =
        !beyond && (0..m).all(|i| weight(p, i) == 0.0 || distance[i] <= plain_b[i] + bounds[i]);
    if agree {
        let kept = (0..m)
            .map(|i| {
                if plain_b[i].is_nan() {
                    plain_b[i]
                } else {
                    plain_b[i].max(distance[i] + bounds[i])
                }
            })
            .collect();
        return Ok((kept, false));
    }
    p.report.refined_large += 1;
    out.copy_from_slice(&level.d);
    Ok((bounds, true))
}
