//! VJP, JVP and Jacobian by Richardson extrapolation, each entry with an error estimate.
//!
//! Evaluations: 1 (f(x)) + 12 per direction (6 central differences), i.e. 1 + 12n for the
//! VJP and the Jacobian and 13 for the JVP, when f is well scaled at x; 12 more for a
//! direction where f may vary on another scale (`|x_j| > 8 typ_j`, or a first tableau that
//! fell back or whose estimate exceeds 1e-9 of its value, with `|x_j| < typ_j / 2`), a
//! few more plus 12 near a domain edge (see `richardson_start.rs`), 8 more under
//! `NoiseMode::Estimate`. The sparsity pattern, the scheme and the adaptive flag of the
//! options are not used; steps, typical magnitudes, bounds and noise levels are.

use super::alloc::{zeros, zeros_2d};
use super::derivative::Direction;
use super::direction_scale::{direction_exponent, scaled, unscale};
use super::error::{check_finite, FdError};
use super::function::Function;
use super::jvp::step_along;
use super::options::{NoiseMode, Options};
use super::probe::Probe;
use super::refine;
use super::richardson::{starting_options, Channels, Estimate, LEVELS};
use super::richardson_start::extrapolated;
use super::step::nominal_step;

/// `v^T J(x)` (n entries) with an error estimate per entry; `m = v.len()`.
pub fn vjp_estimate<F: Function + ?Sized>(
    f: &F,
    x: &[f64],
    v: &[f64],
    opts: &Options,
) -> Result<Estimate, FdError> {
    check_finite("v", v)?;
    let n = x.len();
    let mut out = Estimate {
        value: zeros(n, "the gradient")?,
        error: zeros(n, "the error estimates")?,
    };
    for_each_axis(f, x, v.len(), opts, Channels::Dot(v), |j, e| {
        out.value[j] = e.value[0];
        out.error[j] = e.error[0];
    })?;
    Ok(out)
}

/// The m×n Jacobian (in `opts.layout()` order) with an error estimate per entry, in the
/// same order.
pub fn jacobian_estimate<F: Function + ?Sized>(
    f: &F,
    x: &[f64],
    m: usize,
    opts: &Options,
) -> Result<Estimate, FdError> {
    let n = x.len();
    let mut out = Estimate {
        value: zeros_2d(m, n, "the Jacobian")?,
        error: zeros_2d(m, n, "the Jacobian's error estimates")?,
    };
    let layout = opts.layout();
    for_each_axis(f, x, m, opts, Channels::All, |j, e| {
        for i in 0..m {
            let at = layout.index(i, j, m, n);
            out.value[at] = e.value[i];
            out.error[at] = e.error[i];
        }
    })?;
    Ok(out)
}

/// `J(x) u` (m entries) with an error estimate per entry.
pub fn jvp_estimate<F: Function + ?Sized>(
    f: &F,
    x: &[f64],
    m: usize,
    u: &[f64],
    opts: &Options,
) -> Result<Estimate, FdError> {
    opts.check_direction(x, u)?;
    let zero = Estimate {
        value: zeros(m, "the JVP")?,
        error: zeros(m, "the error estimates")?,
    };
    if x.is_empty() || m == 0 {
        return Ok(zero);
    }
    let o = starting_options(opts);
    let mut p = Probe::new(f, &o, x, m, None, 1 + 2 * LEVELS)?;
    if u.iter().all(|&uj| uj == 0.0) {
        p.report.error_bound = 0.0;
        p.finish();
        return Ok(zero);
    }
    // Along u scaled near 1 by a power of two (a huge or subnormal u), scaled back after.
    let k = direction_exponent(u);
    let along = scaled(u, k);
    let t0 = step_along(&o, x, &along)?;
    estimate_noise(&mut p, opts)?;
    let mut e = extrapolated(&mut p, Direction::Vector(&along), t0, Channels::All)?;
    unscale(&mut e.value, k, u)?;
    unscale(&mut e.error, k, u)?;
    p.report.directions = 1;
    e.error.iter().for_each(|&err| p.report.bound(err));
    p.finish();
    Ok(e)
}

/// Calls `visit(j, estimate_j)` for each column `j`, after checking the point.
fn for_each_axis<F: Function + ?Sized>(
    f: &F,
    x: &[f64],
    m: usize,
    opts: &Options,
    channels: Channels<'_>,
    mut visit: impl FnMut(usize, &Estimate),
) -> Result<(), FdError> {
    opts.check_point(x)?;
    if x.is_empty() || m == 0 {
        return Ok(());
    }
    let o = starting_options(opts);
    let planned = 1 + (2 * LEVELS).saturating_mul(x.len());
    let mut p = Probe::new(f, &o, x, m, None, planned)?;
    estimate_noise(&mut p, opts)?;
    for j in 0..x.len() {
        let t0 = nominal_step(&o, x, j);
        let e = extrapolated(&mut p, Direction::Axis(j), t0, channels)?;
        p.report.directions += 1;
        e.error.iter().for_each(|&err| p.report.bound(err));
        visit(j, &e);
    }
    p.finish();
    Ok(())
}

/// Under [`NoiseMode::Estimate`] with no level declared: estimates f's noise (8
/// evaluations, see `noise.rs`) at the caller's plain steps (`opts`, not the tableau's
/// starting options), so that the tableaus fold it into their estimates.
fn estimate_noise<'a, F: Function + ?Sized>(
    p: &mut Probe<'a, '_, F>,
    opts: &'a Options,
) -> Result<(), FdError> {
    if opts.noise_mode() != NoiseMode::Estimate {
        return Ok(());
    }
    let start = p.opts;
    p.opts = opts;
    let result = refine::estimate_noise(p);
    p.opts = start;
    result
}
