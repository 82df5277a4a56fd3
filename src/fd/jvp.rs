//! Jacobian-vector product `J u`: one directional derivative along `u`.

use super::alloc::zeros;
use super::columns::evaluate_ahead;
use super::derivative::Direction;
use super::direction_scale::{direction_exponent, scaled, times_pow2, unscale};
use super::directional::directional;
use super::error::FdError;
use super::function::Function;
use super::jvp_columns;
use super::noise;
use super::options::Options;
use super::plan::planned_per_direction;
use super::probe::Probe;
use super::refine;
use super::report::{publish, Report};
use super::step::{noise_step, nominal_step};

/// `J(x) u` for `f: R^n -> R^m`; returns `m` entries.
///
/// The step along `u` is `t = min_j h_j / |u_j|` over `u_j != 0`, so no element moves by
/// more than its own step `h_j`. Evaluations: 2 (forward/backward), 3 (central), 5 (4th
/// order), including f(x); 1 when `u = 0`. Where the bounds let no stencil along u fit
/// (u leaves the box on both sides), or the step along u moves an element it moves by
/// fewer than 32 ulps (`|x_j|` far above the others' scale), `J u` is summed from the
/// columns of the non-zero `u_j`, each with its own stencil (as a Jacobian's;
/// `jvp_columns.rs`); so it is, after the evaluations along u, where u's refinement found
/// no step that serves every element it moves (`Probe::mixed_scales`).
pub fn jvp(
    f: &dyn Function,
    x: &[f64],
    m: usize,
    u: &[f64],
    opts: &Options,
) -> Result<Vec<f64>, FdError> {
    jvp_with(f, x, m, None, u, opts)
}

/// [`jvp`] when `fx = f(x)` is already known: one evaluation fewer.
pub fn jvp_at(
    f: &dyn Function,
    x: &[f64],
    fx: &[f64],
    u: &[f64],
    opts: &Options,
) -> Result<Vec<f64>, FdError> {
    jvp_with(f, x, fx.len(), Some(fx), u, opts)
}

fn jvp_with<F: Function + ?Sized>(
    f: &F,
    x: &[f64],
    m: usize,
    known: Option<&[f64]>,
    u: &[f64],
    opts: &Options,
) -> Result<Vec<f64>, FdError> {
    opts.check_direction(x, u)?;
    let mut out = zeros(m, "the JVP")?;
    if x.is_empty() || m == 0 {
        publish(Report::empty(m));
        return Ok(out);
    }
    let planned = usize::from(known.is_none()) + planned_per_direction(opts);
    let mut p = Probe::new(f, opts, x, m, known, planned)?;
    if u.iter().all(|&uj| uj == 0.0) {
        // J 0 = 0 exactly: no direction, bound 0, as the estimate and the complex step
        // report it (probe13 finding 14: this one said NaN).
        p.report.error_bound = 0.0;
        p.finish();
        return Ok(out);
    }
    // A huge or subnormal u would make the step along it underflow or overflow: work
    // along u scaled near 1 and scale J u back.
    let e = direction_exponent(u);
    let u_scaled;
    let along = if e == 0 {
        u
    } else {
        u_scaled = scaled(u, e);
        &u_scaled
    };
    refine::prepare(&mut p)?;
    let t0 = if p.step_scale > 1.0 {
        noise_step_along(opts, x, along, p.step_scale)?
    } else {
        step_along(opts, x, along)? * p.step_scale
    };
    if p.step_scale > 1.0 {
        p.report.refined_noise += 1;
    }
    let by_columns =
        jvp_columns::no_stencil_fits(&p, along, t0) || jvp_columns::leaves_unmoved(x, along, t0);
    let along_u = if by_columns {
        None
    } else {
        along_vector(&mut p, along, t0, &mut out)?
    };
    let directions = match along_u {
        Some(directions) => directions,
        None => columns(&mut p, along, &mut out)?,
    };
    unscale(&mut out, e, u)?;
    // The bound was of the product along the scaled direction: scale it back too (an
    // overflow gives an infinite bound, which `publish` reports as none).
    p.report.error_bound = times_pow2(p.report.error_bound, e);
    p.report.directions = directions;
    p.finish();
    Ok(out)
}

/// `out = J u` from one direction along u; `None` where the refinement found no step that
/// serves every element u moves ([`Probe::mixed_scales`]): x^3 at (1e-8, 1, 1e8) along
/// ones read 3.7e-11 for 3e-16, unbounded. Such a u is then taken column by column, as a
/// Jacobian's columns are (the evaluations of both are counted).
fn along_vector<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    along: &[f64],
    t0: f64,
    out: &mut [f64],
) -> Result<Option<usize>, FdError> {
    let (opts, x, m) = (p.opts, p.x, out.len());
    let direction = (Direction::Vector(along), t0);
    if opts.batch() > 1 {
        evaluate_ahead(&mut p.ev, opts, x, m, &[direction], None)?;
    }
    let mark = p.start_direction();
    // Planned as a batch would (`derivative::complete_plan`).
    p.planned = !opts.adaptive();
    directional(p, direction, out)?;
    p.planned = false;
    p.end_direction(mark);
    if p.mixed_scales {
        p.report.unbounded = 0;
        return Ok(None);
    }
    // A second difference that looked like noise with none known: checked at half the
    // step (`lone.rs`; with one direction, a failed check leaves no bound).
    let kept = refine::lone::Kept {
        vector: Some(along),
        groups: None,
    };
    let mut taken = p.fallback_step.unwrap_or(t0);
    // A noisy f: u taken again at its noise step (`refine/lone_noise.rs`).
    if let Some(redone) = refine::lone::check(p, kept, true)?.pop() {
        out.copy_from_slice(&redone.values);
        taken = redone.step;
    }
    // The bound counts noise the direction's second difference may hide, as the
    // column loop's does (its step is the one taken along u).
    noise::widen_bound(p, Some(taken));
    Ok(Some(1))
}

/// `out = J u` column by column ([`jvp_columns::by_columns`]) with the checks a column loop
/// makes after its columns; returns the number of columns taken.
fn columns<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    along: &[f64],
    out: &mut [f64],
) -> Result<usize, FdError> {
    let step = jvp_columns::by_columns(p, along, out)?;
    // Its directions are axes, the value a sum over them: no noise step here.
    refine::lone::check(p, refine::lone::Kept::default(), false)?;
    noise::widen_bound(p, Some(step));
    Ok(along.iter().filter(|&&uj| uj != 0.0).count())
}

/// The step along a non-zero `u`: `min_j h_j / |u_j|` over `u_j != 0`, so no element moves
/// by more than its own nominal step.
/// The noise step along u at the step scale `scale`: the smallest of the elements' noise
/// steps over `|u_j|` ([`noise_step`]: typ_j's scale far above it).
fn noise_step_along(opts: &Options, x: &[f64], u: &[f64], scale: f64) -> Result<f64, FdError> {
    step_along(opts, x, u)?;
    Ok((0..x.len())
        .filter(|&j| u[j] != 0.0)
        .map(|j| noise_step(opts, x, j, nominal_step(opts, x, j), scale) / u[j].abs())
        .fold(f64::INFINITY, f64::min))
}

pub(crate) fn step_along(opts: &Options, x: &[f64], u: &[f64]) -> Result<f64, FdError> {
    let t0 = (0..x.len())
        .filter(|&j| u[j] != 0.0)
        .map(|j| nominal_step(opts, x, j) / u[j].abs())
        .fold(f64::INFINITY, f64::min);
    if !t0.is_finite() {
        return Err(FdError::InvalidArgument(format!(
            "u is too small to set a step along it (max |u_j| = {:e})",
            u.iter().fold(0.0f64, |a, b| a.max(b.abs()))
        )));
    }
    Ok(t0)
}
