//! The full Jacobian, in the layout the options select.

use super::alloc::zeros_2d;
use super::column::Wants;
use super::columns::{for_each_column, Request};
use super::error::FdError;
use super::function::Function;
use super::options::Options;

/// The m×n Jacobian of f at `x`, `m*n` entries in `opts.layout()` order.
///
/// Evaluations as for [`crate::fd::vjp`].
pub fn jacobian(
    f: &dyn Function,
    x: &[f64],
    m: usize,
    opts: &Options,
) -> Result<Vec<f64>, FdError> {
    jacobian_with(f, x, m, None, opts)
}

/// [`jacobian`] when `fx = f(x)` is already known: one evaluation fewer.
pub fn jacobian_at(
    f: &dyn Function,
    x: &[f64],
    fx: &[f64],
    opts: &Options,
) -> Result<Vec<f64>, FdError> {
    jacobian_with(f, x, fx.len(), Some(fx), opts)
}

fn jacobian_with<F: Function + ?Sized>(
    f: &F,
    x: &[f64],
    m: usize,
    known: Option<&[f64]>,
    opts: &Options,
) -> Result<Vec<f64>, FdError> {
    let n = x.len();
    let mut jac = zeros_2d(m, n, "the Jacobian")?;
    let layout = opts.layout();
    let wants = Wants::Entries;
    let request = Request {
        f,
        x,
        m,
        known,
        wants,
        opts,
    };
    for_each_column(request, |j, column| {
        column.for_each(j, |i, d| jac[layout.index(i, j, m, n)] = d)
    })?;
    Ok(jac)
}
