//! Complex-step derivatives of real-analytic functions: `f'(x) = Im f(x + ih) / h`.
//!
//! Why: no difference of nearby values is formed, so there is no subtractive cancellation
//! and the step can be tiny; the truncation error `h^2 f'''/6` then vanishes below the
//! rounding of f' itself, giving derivatives to machine precision. It requires f to be
//! real-analytic and implemented with complex arithmetic throughout (no `abs`, `conj`,
//! or real/imaginary splitting of intermediate values).
//!
//! Step: `h_j = 1e-20 * max(|x_j|, typ_j)` (relative, so f's features at the scale of x
//! see the same tiny step; `1e-20` keeps `h^2` far below `eps` and `h |f'|` far above the
//! underflow threshold for any sensible f). The scheme, steps, bounds and adaptive flag of
//! the options do not apply (the real part never leaves x); typical magnitudes and the
//! Jacobian layout do.
//!
//! Evaluations: exactly n complex evaluations for the VJP and the Jacobian (one per
//! column; f(x) is the real part of each, so it is not evaluated separately), exactly 1
//! for the JVP; none for an empty problem (`n == 0` or `m == 0`). Progress is reported
//! after each evaluation, with that exact total.

use super::alloc::zeros_2d;
use super::complex::{Complex64, ComplexFunction};
use super::direction_scale::{direction_exponent, scaled, unscale};
use super::error::{check_finite, FdError};
use super::options::Options;

/// The complex step relative to `max(|x_j|, typ_j)`.
pub const COMPLEX_STEP: f64 = 1e-20;

/// The smallest complex step, `DBL_MIN / DBL_EPSILON` (about 1e-292): at a typical
/// magnitude below 1e-272 the relative step would underflow (to 0, giving 0/0), so it is
/// raised to this, where `Im f = h f'` stays a normal double for any |f'| above 1e-16.
/// The truncation error `h^2 f^(3) / 6` is still far below rounding for any f whose
/// derivatives are not astronomically large.
pub const MIN_COMPLEX_STEP: f64 = f64::MIN_POSITIVE / f64::EPSILON;

/// `v^T J(x)` (n entries) by complex step, `m = v.len()`.
pub fn vjp_complex_step<G: ComplexFunction + ?Sized>(
    g: &G,
    x: &[f64],
    v: &[f64],
    opts: &Options,
) -> Result<Vec<f64>, FdError> {
    check_finite("v", v)?;
    let mut grad = vec![0.0; x.len()];
    for_each_column(g, x, v.len(), opts, |j, column| {
        grad[j] = column.iter().zip(v).map(|(c, vi)| c * vi).sum();
    })?;
    Ok(grad)
}

/// The m×n Jacobian by complex step, in `opts.layout()` order.
pub fn jacobian_complex_step<G: ComplexFunction + ?Sized>(
    g: &G,
    x: &[f64],
    m: usize,
    opts: &Options,
) -> Result<Vec<f64>, FdError> {
    let n = x.len();
    let mut jac = zeros_2d(m, n, "the Jacobian")?;
    let layout = opts.layout();
    for_each_column(g, x, m, opts, |j, column| {
        for (i, &d) in column.iter().enumerate() {
            jac[layout.index(i, j, m, n)] = d;
        }
    })?;
    Ok(jac)
}

/// `J(x) u` (m entries) by one complex evaluation at `x + i h u`, with
/// `h = 1e-20 * min_j max(|x_j|, typ_j) / |u_j|` over `u_j != 0`.
pub fn jvp_complex_step<G: ComplexFunction + ?Sized>(
    g: &G,
    x: &[f64],
    m: usize,
    u: &[f64],
    opts: &Options,
) -> Result<Vec<f64>, FdError> {
    opts.check_direction(x, u)?;
    if x.is_empty() || m == 0 {
        return Ok(vec![0.0; m]);
    }
    // Along u scaled near 1 (so h * u neither underflows nor overflows), then scaled back.
    let e = direction_exponent(u);
    let along = scaled(u, e);
    let h = (0..x.len())
        .filter(|&j| along[j] != 0.0)
        .map(|j| step(opts, x, j) / along[j].abs())
        .fold(f64::INFINITY, f64::min);
    let h = if h.is_finite() { h } else { COMPLEX_STEP };
    let z: Vec<Complex64> = x
        .iter()
        .zip(&along)
        .map(|(&xj, &uj)| Complex64::new(xj, h * uj))
        .collect();
    let mut ev = ComplexEvaluator::new(g, 1);
    let mut out = ev.derivative(&z, m, h, "direction u", || format!("x + ih*u, h = {h:e}"))?;
    unscale(&mut out, e, u)?;
    Ok(out)
}

/// The complex step of element j: `1e-20 * max(|x_j|, typ_j)`, at least
/// [`MIN_COMPLEX_STEP`].
fn step(opts: &Options, x: &[f64], j: usize) -> f64 {
    let scale = x[j].abs().max(opts.typical().map_or(1.0, |t| t[j]));
    (COMPLEX_STEP * scale).max(MIN_COMPLEX_STEP)
}

/// Calls `visit(j, column_j)` for every column, one complex evaluation each.
fn for_each_column<G: ComplexFunction + ?Sized>(
    g: &G,
    x: &[f64],
    m: usize,
    opts: &Options,
    mut visit: impl FnMut(usize, &[f64]),
) -> Result<(), FdError> {
    opts.check_point(x)?;
    if x.is_empty() || m == 0 {
        return Ok(());
    }
    let mut ev = ComplexEvaluator::new(g, x.len());
    let mut z: Vec<Complex64> = x.iter().map(|&xj| Complex64::new(xj, 0.0)).collect();
    for j in 0..x.len() {
        let h = step(opts, x, j);
        z[j].im = h;
        let column = ev.derivative(&z, m, h, &format!("column {j} (complex step)"), || {
            format!("x[{j}] + ih, h = {h:e}")
        });
        z[j].im = 0.0;
        visit(j, &column?);
    }
    Ok(())
}

/// Numbers complex evaluations from 1, reports progress after each (a refusal cancels),
/// and reads derivatives off their imaginary parts.
struct ComplexEvaluator<'g, G: ComplexFunction + ?Sized> {
    g: &'g G,
    count: usize,
    /// Evaluations planned (exactly those made: one per column, or one for a JVP).
    planned: usize,
}

impl<'g, G: ComplexFunction + ?Sized> ComplexEvaluator<'g, G> {
    fn new(g: &'g G, planned: usize) -> Self {
        Self {
            g,
            count: 0,
            planned,
        }
    }

    /// `Im f(z) / h`, after checking that `Re f(z)` (which is f(x) to within `h^2`) and
    /// `Im f(z)` are finite.
    fn derivative(
        &mut self,
        z: &[Complex64],
        m: usize,
        h: f64,
        direction: &str,
        point: impl Fn() -> String,
    ) -> Result<Vec<f64>, FdError> {
        self.count += 1;
        let mut w = vec![Complex64::new(0.0, 0.0); m];
        if let Err(code) = self.g.eval(z, &mut w) {
            let fault = self.g.explain_failure(code);
            return Err(FdError::callback(code, fault, self.count, point()));
        }
        let total = self.planned.max(self.count);
        if !self.g.progress(self.count, total) {
            return Err(FdError::Cancelled {
                done: self.count,
                total,
            });
        }
        if let Some(index) = w.iter().position(|c| !c.re.is_finite()) {
            return Err(FdError::NonFiniteAtX {
                index,
                value: w[index].re,
            });
        }
        if let Some(index) = w.iter().position(|c| !c.im.is_finite()) {
            return Err(FdError::NonFinitePerturbed {
                direction: direction.to_string(),
                index,
                value: w[index].im,
                point: point(),
            });
        }
        Ok(w.iter().map(|c| c.im / h).collect())
    }
}
