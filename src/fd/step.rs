//! The step rule: `h_j = r * max(|x_j|, typ_j)`, or the caller's absolute step, made exact.

use super::options::Options;

/// The step for element `j` before rounding: the caller's absolute step if given, else
/// `r * max(|x_j|, typ_j)` with `r` the caller's factor or the scheme's default.
#[inline]
pub(crate) fn nominal_step(opts: &Options, x: &[f64], j: usize) -> f64 {
    if let Some(steps) = opts.steps() {
        return steps[j];
    }
    let r = opts
        .relative_step()
        .unwrap_or_else(|| opts.scheme().default_relative_step());
    let typ = opts.typical().map_or(1.0, |t| t[j]);
    r * x[j].abs().max(typ)
}

/// The noise step of axis j: `scale` (the multiple of the plain step that f's noise calls
/// for, `refine::noise_scale`) times the plain step `t0`, except where `|x_j| > 1e3 typ_j`.
/// There f may vary on the scale typ_j, as the refinement assumes (`refine.rs`), so the
/// step that balances noise against truncation is `scale r typ_j` ([`typical_step`]), not
/// `scale r |x_j|` (sin plus hash noise of 1e-8 at x_j = 1e5 was differenced at its plain
/// step's multiple and came out of order 1 off); never above `scale t0`.
pub(crate) fn noise_step(opts: &Options, x: &[f64], j: usize, t0: f64, scale: f64) -> f64 {
    match typical_step(opts, x, j) {
        Some(h) if scale > 1.0 => (scale * h).min(t0 * scale),
        _ => t0 * scale,
    }
}

/// The step at typ_j's scale, `r typ_j`, for an element far above it (`|x_j| > 1e3
/// typ_j`, no absolute steps of the caller), moving x_j by at least
/// [`NOISE_STEP_ULPS`]` eps |x_j|`; `None` elsewhere. The noise step and the noise
/// estimate's difference table (`noise.rs`) take it: at the plain step `r |x_j|` the
/// table reads f's own variation on the scale typ_j as noise.
pub(crate) fn typical_step(opts: &Options, x: &[f64], j: usize) -> Option<f64> {
    let typ = opts.typical().map_or(1.0, |t| t[j]);
    let ax = x[j].abs();
    if opts.steps().is_some() || ax <= FAR_ABOVE * typ {
        return None;
    }
    let r = opts
        .relative_step()
        .unwrap_or_else(|| opts.scheme().default_relative_step());
    Some((r * typ).max(NOISE_STEP_ULPS * f64::EPSILON * ax))
}

/// `|x_j|` above `FAR_ABOVE typ_j`: f may vary on the scale typ_j (as `refine.rs`).
const FAR_ABOVE: f64 = 1e3;

/// The least noise step at `|x_j|` far above typ_j, in units of `eps |x_j|`: the step's
/// own rounding then stays below 1/16 of it.
const NOISE_STEP_ULPS: f64 = 16.0;

/// The relative rule's step with `x_j`'s own magnitude in place of `max(|x_j|, typ_j)`:
/// `r * |x_j|`. `None` when the caller gave absolute steps or `x_j == 0`.
pub(crate) fn own_scale_step(opts: &Options, x: &[f64], j: usize) -> Option<f64> {
    if opts.steps().is_some() || x[j] == 0.0 {
        return None;
    }
    let r = opts
        .relative_step()
        .unwrap_or_else(|| opts.scheme().default_relative_step());
    Some(r * x[j].abs())
}

/// The step actually taken from `xj`: `(xj + h) - xj`, so the divisor equals the
/// difference of the arguments exactly (no rounding error from forming `xj + h`). When
/// `xj + h` overflows (x_j near `DBL_MAX`) the step is measured inward, `xj - (xj - h)`,
/// which is as exact; only stencils that stay finite are then used (see `fits`).
#[inline]
pub(crate) fn exact_step(xj: f64, h: f64) -> f64 {
    let up = (xj + h) - xj;
    if up.is_finite() {
        up
    } else {
        xj - (xj - h)
    }
}

/// The spacing of the doubles above `|x|` (its ulp), x finite; at `f64::MAX`, the
/// spacing below it (the one above is infinite).
pub(crate) fn ulp(x: f64) -> f64 {
    let a = x.abs();
    if a == f64::MAX {
        return a - f64::from_bits(a.to_bits() - 1);
    }
    f64::from_bits(a.to_bits() + 1) - a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fd::Scheme;

    #[test]
    fn default_step_scales_with_x_and_is_exactly_representable() {
        let opts = Options::new();
        let x = [0.0, 1e-8, 3.0, -1e8];
        let r = f64::EPSILON.cbrt();
        for j in 0..x.len() {
            let h = nominal_step(&opts, &x, j);
            assert_eq!(h, r * x[j].abs().max(1.0));
            let t = exact_step(x[j], h);
            assert_eq!((x[j] + t) - x[j], t);
            assert!((t - h).abs() <= 2.0 * f64::EPSILON * x[j].abs().max(1.0));
        }
    }

    #[test]
    fn overrides_take_precedence() {
        let mut opts = Options::new();
        opts.set_scheme(Scheme::Forward);
        assert_eq!(nominal_step(&opts, &[4.0], 0), f64::EPSILON.sqrt() * 4.0);
        opts.set_typical(Some(vec![100.0])).unwrap();
        assert_eq!(nominal_step(&opts, &[4.0], 0), f64::EPSILON.sqrt() * 100.0);
        opts.set_relative_step(Some(1e-3)).unwrap();
        assert_eq!(nominal_step(&opts, &[4.0], 0), 1e-3 * 100.0);
        opts.set_steps(Some(vec![0.5])).unwrap();
        assert_eq!(nominal_step(&opts, &[4.0], 0), 0.5);
    }
}
