//! A JVP whose direction fits no stencil inside the bounds, taken column by column.
//!
//! Why: with x at the lower bound of one element and the upper bound of another, a
//! direction u that moves the first down and the second up (or the reverse) leaves the box
//! at any step on both sides, so no stencil along u fits. `J u = sum_j u_j J e_j`, and each
//! column has its own inward stencil: the product is still well defined and the Jacobian's
//! columns are what a VJP or a Jacobian would use. Costs one column per non-zero `u_j`
//! (against one direction) and is taken only where the direction itself cannot be: no
//! stencil along u fits, or the step along u moves an element u moves by a few ulps.

use super::alloc::zeros;
use super::derivative::Direction;
use super::directional::directional;
use super::error::FdError;
use super::fit::attempts;
use super::function::Function;
use super::probe::Probe;
use super::step::{nominal_step, ulp};

/// Whether the bounds leave no stencil of the scheme, at any step it may try from `t0`,
/// along `u`.
pub(crate) fn no_stencil_fits<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    u: &[f64],
    t0: f64,
) -> bool {
    let (opts, x) = (p.opts, p.x);
    opts.bounds().is_some() && {
        let candidates = opts.scheme().candidates();
        attempts(opts, x, Direction::Vector(u), t0, candidates)
            .list
            .is_empty()
    }
}

/// Whether the step `t` along `u` moves some element of x that u moves by fewer than
/// [`FEW_ULPS`] ulps of it, on either side: the points along u then miss that element's
/// term of `J u` (unmoved) or carry it rounded by up to a 64th of itself, which the
/// bound's model does not see (sin x0 + x1^2 / 2 at (1e9, 0.7) along (1, 1000): the step
/// 6e-9, set by x1, left x0 unmoved, and the JVP read 700 for 700.84 with a bound of
/// 1.3e-7; at (1.2345e10, 0.7) along (1, 1), x0 moved by 3 ulps, -0.228 for -0.282 with
/// 1.3e-10). Its columns each take their own step.
pub(crate) fn leaves_unmoved(x: &[f64], u: &[f64], t: f64) -> bool {
    x.iter()
        .zip(u)
        .any(|(&xj, &uj)| uj != 0.0 && (t * uj).abs() < FEW_ULPS * ulp(xj))
}

/// See [`leaves_unmoved`].
const FEW_ULPS: f64 = 32.0;

/// `out = sum_j u_j J e_j` over the non-zero `u_j`, each column at its own nominal step
/// (with the bounds' fall-backs and refinements of a Jacobian column). The report's bound
/// is `sum_j |u_j| b_j`, `b_j` the largest bound over the outputs of column j (NaN when a
/// column has none), and its noise term is taken at the step `min_j h_j / sum_j |u_j|`.
/// Returns that step.
pub(crate) fn by_columns<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    u: &[f64],
    out: &mut [f64],
) -> Result<f64, FdError> {
    let (opts, x) = (p.opts, p.x);
    let mut column = zeros(out.len(), "a column of the JVP")?;
    out.fill(0.0);
    let mut bound = 0.0;
    let mut smallest = f64::INFINITY;
    for (j, &uj) in u.iter().enumerate().filter(|(_, &uj)| uj != 0.0) {
        let t = nominal_step(opts, x, j) * p.step_scale;
        smallest = smallest.min(t);
        // Read this column's bound alone (an unbounded column leaves it NaN).
        p.report.error_bound = 0.0;
        let mark = p.start_direction();
        directional(p, (Direction::Axis(j), t), &mut column)?;
        p.end_direction(mark);
        bound += uj.abs() * p.report.error_bound;
        for (o, c) in out.iter_mut().zip(&column) {
            *o += uj * c;
        }
    }
    p.report.error_bound = if p.report.unbounded > 0 {
        f64::NAN
    } else {
        bound
    };
    let total: f64 = u.iter().map(|uj| uj.abs()).sum();
    Ok(smallest / total)
}
