//! Vector-Jacobian product `v^T J`, one column at a time, never forming J.

use super::alloc::zeros;
use super::column::Wants;
use super::columns::{for_each_column, Request};
use super::error::{check_finite, check_len, FdError};
use super::function::Function;
use super::options::Options;
use super::small;

/// `v^T J(x)` for `f: R^n -> R^m` with `m = v.len()`; returns `n` entries.
///
/// Evaluations: 1 + n (forward/backward), 1 + 2n (central), 1 + 4n (4th order), more only
/// for columns that need a fall-back (bounds, non-finite values).
pub fn vjp(f: &dyn Function, x: &[f64], v: &[f64], opts: &Options) -> Result<Vec<f64>, FdError> {
    // A dense central VJP of the default step rule takes the flat path, as through the C
    // API: the same results, bit for bit, at a fraction of the fixed cost per column.
    if small::takes(opts, x.len(), v.len()) {
        let mut grad = zeros(x.len(), "the gradient")?;
        small::vjp_into(f, x, v, opts, &mut grad)?;
        return Ok(grad);
    }
    vjp_with(f, x, None, v, opts)
}

/// [`vjp`] by the general path alone (the flat path's own fall-back, `small.rs`).
pub(crate) fn general_vjp<F: Function + ?Sized>(
    f: &F,
    x: &[f64],
    v: &[f64],
    opts: &Options,
) -> Result<Vec<f64>, FdError> {
    vjp_with(f, x, None, v, opts)
}

/// [`vjp`] when `fx = f(x)` is already known (as on a tape): one evaluation fewer.
pub fn vjp_at(
    f: &dyn Function,
    x: &[f64],
    fx: &[f64],
    v: &[f64],
    opts: &Options,
) -> Result<Vec<f64>, FdError> {
    check_len("v", v, fx.len(), "the length of f(x)")?;
    vjp_with(f, x, Some(fx), v, opts)
}

fn vjp_with<F: Function + ?Sized>(
    f: &F,
    x: &[f64],
    known: Option<&[f64]>,
    v: &[f64],
    opts: &Options,
) -> Result<Vec<f64>, FdError> {
    check_finite("v", v)?;
    let mut grad = zeros(x.len(), "the gradient")?;
    let (m, wants) = (v.len(), Wants::Product(v));
    let request = Request {
        f,
        x,
        m,
        known,
        wants,
        opts,
    };
    for_each_column(request, |j, column| {
        grad[j] = column.dot(v);
        Ok(())
    })?;
    Ok(grad)
}
