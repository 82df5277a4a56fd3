//! VJP, JVP and Jacobian by Richardson extrapolation, each entry with an error estimate.
//!
//! Evaluations: 1 (f(x)) + 14 per direction (6 central differences, and one off their
//! lattice that checks that their steps resolve f, see `richardson/resolve.rs`), i.e.
//! 1 + 14n for the VJP and the Jacobian and 15 for the JVP, when f is well scaled at x;
//! 14 more per smaller start where that check fails (at most 4); 12 more for a
//! direction where f may vary on another scale (`|x_j| > 8 typ_j`, `0 < |x_j| < typ_j /
//! 256` (the first tableau's steps all above `|x_j|`), or a first tableau that
//! fell back, whose estimate exceeds 1e-9 of its value or whose noise probe saw f vary
//! below its steps, with `|x_j| < typ_j / 2`, unless
//! f's known noise accounts for that estimate, see `richardson_start.rs`), a
//! few more plus 12 near a domain edge (see `richardson_start.rs`), 12 more under
//! `NoiseMode::Estimate`, or under `NoiseMode::Auto` when a tableau shows noise far above
//! rounding (see [`extrapolated`]) or a check misses (`richardson/resolve.rs`), once per
//! call. A JVP whose u spans elements of own scales more than
//! 2^20 apart is computed as a sum over parts of u, each part with the tableaus of one
//! direction (`direction_split.rs`). The sparsity pattern, the scheme and the adaptive flag of the
//! options are not used; steps, typical magnitudes, bounds and noise levels are.

use super::alloc::{zeros, zeros_2d};
use super::derivative::Direction;
use super::direction_scale::{direction_exponent, scaled, unscale};
use super::direction_split::split;
use super::error::{check_finite, FdError};
use super::function::Function;
use super::jvp::step_along;
use super::options::{NoiseMode, Options};
use super::probe::Probe;
use super::refine;
use super::report::{publish, NoiseSource, Report};
use super::richardson::resolve::CHECK;
use super::richardson::{learnt, starting_options, Channels, Estimate, LEVELS};
use super::richardson_outputs::by_output;
use super::richardson_start::{believed, tableaus};
use super::step::nominal_step;

/// `v^T J(x)` (n entries) with an error estimate per entry; `m = v.len()`.
pub fn vjp_estimate(
    f: &dyn Function,
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
pub fn jacobian_estimate(
    f: &dyn Function,
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
pub fn jvp_estimate(
    f: &dyn Function,
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
        publish(Report::empty(m));
        return Ok(zero);
    }
    let o = starting_options(opts);
    let mut p = Probe::new(f, &o, x, m, None, 1 + 2 * LEVELS + CHECK)?;
    if u.iter().all(|&uj| uj == 0.0) {
        p.report.error_bound = 0.0;
        p.finish();
        return Ok(zero);
    }
    // Along u scaled near 1 by a power of two (a huge or subnormal u), scaled back after.
    let k = direction_exponent(u);
    let along = scaled(u, k);
    let parts = split(&o, x, &along);
    estimate_noise(&mut p, opts)?;
    let mut e = along_each(&mut p, opts, &parts)?;
    unscale(&mut e.value, k, u)?;
    unscale(&mut e.error, k, u)?;
    p.report.directions = parts.len();
    e.error.iter().for_each(|&err| p.bound(err));
    if e.error.iter().any(|err| !err.is_finite()) {
        p.report.unbounded_direction();
    }
    p.finish();
    Ok(e)
}

/// The JVP along the sum of `parts` (see `direction_split.rs`): each part's estimate,
/// summed, with the sum's own rounding `eps sum |value|` in the error; a single part's
/// estimate as it is.
fn along_each<'a, F: Function + ?Sized>(
    p: &mut Probe<'a, '_, F>,
    opts: &'a Options,
    parts: &[Vec<f64>],
) -> Result<Estimate, FdError> {
    let mut sum: Option<(Estimate, Vec<f64>)> = None;
    for part in parts {
        let t0 = step_along(p.opts, p.x, part)?;
        let e = match extrapolated(p, opts, Direction::Vector(part), t0, Channels::All) {
            Err(FdError::InvalidArgument(_)) => by_elements(p, opts, part)?,
            e => e?,
        };
        match &mut sum {
            None => {
                let size = e.value.iter().map(|v| v.abs()).collect();
                sum = Some((e, size));
            }
            Some((s, size)) => {
                for (i, (v, err)) in e.value.iter().zip(&e.error).enumerate() {
                    s.value[i] += v;
                    s.error[i] += err;
                    size[i] += v.abs();
                }
            }
        }
    }
    let (mut e, size) = sum.expect("at least one part");
    if parts.len() > 1 {
        for (err, s) in e.error.iter_mut().zip(size) {
            *err += f64::EPSILON * s;
        }
    }
    Ok(e)
}

/// `J u` for one part of u as `sum_j u_j J e_j`, each column by its own tableau, with
/// error `sum_j |u_j| err_j` plus the sum's rounding (`(k + 1) eps sum_j |u_j J e_j|` for k
/// terms). Why: along a vector whose elements
/// differ so much in magnitude that every start's smallest steps leave one unmoved (x_j =
/// 1.2e12 moved by 1e-4 beside x_i = 5e-11: the points are then not along u), no tableau
/// along u exists; each column's does, at 14 evaluations per non-zero u_j. An error of a
/// column (a bound, a failing f) is returned as it is.
fn by_elements<'a, F: Function + ?Sized>(
    p: &mut Probe<'a, '_, F>,
    opts: &'a Options,
    part: &[f64],
) -> Result<Estimate, FdError> {
    let m = p.y0.len();
    let mut out = Estimate {
        value: zeros(m, "the JVP")?,
        error: zeros(m, "the error estimates")?,
    };
    let mut size = zeros(m, "the JVP's magnitudes")?;
    let mut terms = 0.0;
    for (j, &uj) in part.iter().enumerate().filter(|(_, &uj)| uj != 0.0) {
        terms += 1.0;
        let t0 = nominal_step(p.opts, p.x, j);
        let e = extrapolated(p, opts, Direction::Axis(j), t0, Channels::All)?;
        for (i, s) in size.iter_mut().enumerate() {
            let term = uj * e.value[i];
            out.value[i] += term;
            out.error[i] += uj.abs() * e.error[i];
            *s += term.abs();
        }
    }
    // A sum of k rounded terms: up to k half-ulps of their size, and the products' own.
    for (err, s) in out.error.iter_mut().zip(size) {
        *err += (terms + 1.0) * f64::EPSILON * s;
    }
    Ok(out)
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
        publish(Report::empty(m));
        return Ok(());
    }
    let o = starting_options(opts);
    let planned = 1 + (2 * LEVELS + CHECK).saturating_mul(x.len());
    let mut p = Probe::new(f, &o, x, m, None, planned)?;
    estimate_noise(&mut p, opts)?;
    for j in 0..x.len() {
        let t0 = nominal_step(&o, x, j);
        let e = extrapolated(&mut p, opts, Direction::Axis(j), t0, channels)?;
        p.report.directions += 1;
        e.error.iter().for_each(|&err| p.bound(err));
        if e.error.iter().any(|err| !err.is_finite()) {
            p.report.unbounded_direction();
        }
        visit(j, &e);
    }
    p.finish();
    Ok(())
}

/// The extrapolated derivative along `dir` with its error estimate, one entry per channel.
/// Under [`NoiseMode::Auto`] with no level declared, when the believed tableau's noise
/// probe shows noise far above rounding, f's noise is estimated once per call (8
/// evaluations, see `noise.rs`) and folded into the error estimate of the believed tableau
/// of this direction and of every direction after it, once the choice between tableaus is
/// made ([`super::richardson::Tableau::rescore`]: values unchanged). Why: the probe is one
/// sample of a random quantity (the difference of two extrapolants), small by chance often
/// enough that 4.9% of the entries of noisy functions were not covered by their estimates,
/// against 0.1% with the noise estimated. Directions before the first one showing noise
/// keep their own probe. For a VJP whose column has several tableaus, each output may then
/// be judged on its own ([`by_output`], `richardson_outputs.rs`).
fn extrapolated<'a, F: Function + ?Sized>(
    p: &mut Probe<'a, '_, F>,
    opts: &'a Options,
    dir: Direction<'_>,
    t0: f64,
    channels: Channels<'_>,
) -> Result<Estimate, FdError> {
    let mut all = tableaus(p, opts, dir, t0, channels)?;
    let best = believed(&mut all);
    // A second sample of f's noise, from the believed tableau's second differences
    // (`richardson/even.rs`): beyond its estimate's noise share, f's noise is estimated
    // as for a tableau whose probe shows noise.
    let even_noisy = all[best].raise_even();
    let auto = opts.noise_mode() == NoiseMode::Auto
        && !p.noise_tried
        && p.report.noise_source == NoiseSource::None;
    if auto && (all[best].shows_noise || even_noisy) {
        p.noise_tried = true;
        at_caller_steps(p, opts)?;
    }
    if learnt(p) {
        all[best].rescore(p, channels);
    }
    if let Some(e) = by_output(p, &all, best, channels) {
        return Ok(e);
    }
    Ok(all.swap_remove(best).estimate)
}

/// Under [`NoiseMode::Estimate`] with no level declared: estimates f's noise before the
/// first direction, so that the tableaus fold it into their estimates.
fn estimate_noise<'a, F: Function + ?Sized>(
    p: &mut Probe<'a, '_, F>,
    opts: &'a Options,
) -> Result<(), FdError> {
    if opts.noise_mode() != NoiseMode::Estimate {
        return Ok(());
    }
    at_caller_steps(p, opts)
}

/// Estimates f's noise (12 evaluations, see `noise.rs`) at the caller's plain steps (`opts`,
/// not the tableau's starting options); takes up an estimate set aside instead
/// (`richardson/resolve.rs`).
pub(crate) fn at_caller_steps<'a, F: Function + ?Sized>(
    p: &mut Probe<'a, '_, F>,
    opts: &'a Options,
) -> Result<(), FdError> {
    if let Some((noise, source, scale)) = p.noise_set_aside.take() {
        (p.report.noise, p.report.noise_source, p.step_scale) = (noise, source, scale);
        return Ok(());
    }
    let start = p.opts;
    p.opts = opts;
    let result = refine::estimate_noise(p);
    p.opts = start;
    result
}
