//! Shared by the finite-difference tests and `examples/accuracy_table.rs`: test functions
//! with exact Jacobians, the tolerance rule, the error measure, and small helpers.
//!
//! Each test binary uses a different part of this module, hence the `allow`.
#![allow(dead_code, unused_imports)]

pub mod badly_scaled;
pub mod estimates;
pub mod exact;
mod functions;
mod honest;
pub mod noisy;
mod rng;
mod scalar_drivers;
pub mod smooth;
mod tridiagonal;

pub use functions::{all, Class, TestFn};
pub use honest::honest;
pub use rng::Rng;
pub use scalar_drivers::{scalar_driver, Answer};
pub use tridiagonal::{tridiagonal, tridiagonal_jacobian};

use fdvjp::fd::Scheme;
use std::cell::Cell;

/// Every scheme, in the order tables print them.
pub const SCHEMES: [Scheme; 4] = [
    Scheme::Forward,
    Scheme::Backward,
    Scheme::Central,
    Scheme::Central4,
];

/// The order `p` of a scheme's truncation error O(h^p).
pub fn order(scheme: Scheme) -> i32 {
    match scheme {
        Scheme::Forward | Scheme::Backward => 1,
        Scheme::Central => 2,
        Scheme::Central4 => 4,
    }
}

/// Evaluations of `f` besides f(x) for one column (or one JVP direction).
pub fn evals_per_direction(scheme: Scheme) -> usize {
    match scheme {
        Scheme::Forward | Scheme::Backward => 1,
        Scheme::Central => 2,
        Scheme::Central4 => 4,
    }
}

/// The tolerance rule, written once: the error bound of a p-th order difference taken with
/// relative step `r`, in units of the error measure of [`jacobian_error`].
///
/// Rounding contributes about `eps / r` (f is known to ~eps, divided by the step) and
/// truncation about `r^p` (the next Taylor term). The default step `r = eps^(1/(p+1))`
/// balances the two, so at the default the bound is `2 K eps^(p/(p+1))`: with `K = 30`,
/// 9e-7 (forward/backward, eps^(1/2) = 1.5e-8), 2.2e-9 (central, eps^(2/3) = 3.7e-11) and
/// 1.8e-11 (4th order, eps^(4/5) = 3.1e-13). `K` absorbs the function's derivative
/// magnitudes on the sampled domains (|f|, |f^(p+1)| up to ~10) and the stencil's weights;
/// the one-sided stencils that bounds and domain edges force have larger weights and
/// truncation constants (4th order: sum |w| = 10.7 against 1.5, error constant 1/5 against
/// 1/30), hence [`Class::multiplier`].
pub fn tolerance(scheme: Scheme, r: f64, class: Class) -> f64 {
    const K: f64 = 30.0;
    K * class.multiplier() * (f64::EPSILON / r + r.powi(order(scheme)))
}

/// [`tolerance`] at the scheme's default relative step.
pub fn default_tolerance(scheme: Scheme, class: Class) -> f64 {
    tolerance(scheme, scheme.default_relative_step(), class)
}

/// The error measure, written once: the largest entrywise error of a row-major m×n
/// Jacobian `got` against the exact `want`, relative to `max(|want_ij| s_j, 1)` in the
/// scaled variables `z_j = x_j / s_j` (`s_j` = the function's column scale, 1 unless its
/// inputs are badly scaled). So entries of size ≥ 1 are compared relatively and smaller ones
/// absolutely.
pub fn jacobian_error(tf: &TestFn, got: &[f64], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len());
    let n = tf.n;
    let mut worst = 0.0f64;
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        let s = tf.scale(k % n);
        let e = (g - w).abs() * s / (w.abs() * s).max(1.0);
        worst = worst.max(if e.is_nan() { f64::INFINITY } else { e });
    }
    worst
}

/// The error of a VJP `got` against `v^T want`, in the units of [`jacobian_error`]: entry j
/// is divided by `sum_i |v_i| max(|want_ij| s_j, 1) / s_j`, the bound that an entrywise
/// Jacobian error of 1 in those units would give.
pub fn vjp_error(tf: &TestFn, got: &[f64], v: &[f64], want: &[f64]) -> f64 {
    let (m, n) = (tf.m, tf.n);
    let mut worst = 0.0f64;
    for j in 0..n {
        let s = tf.scale(j);
        let exact: f64 = (0..m).map(|i| v[i] * want[i * n + j]).sum();
        let bound: f64 = (0..m)
            .map(|i| v[i].abs() * (want[i * n + j].abs() * s).max(1.0) / s)
            .sum();
        let e = (got[j] - exact).abs() / bound.max(f64::MIN_POSITIVE);
        worst = worst.max(if e.is_nan() { f64::INFINITY } else { e });
    }
    worst
}

/// The error of a JVP `got = J u` at `x` against `want u`, in the units of
/// [`jacobian_error`].
///
/// One step t serves the whole direction: with `sigma_j = max(|x_j|, typ_j)` (the step
/// rule's scale, `h_j = r sigma_j`) it is `t = r / omega`, `omega = max_j |u_j| / sigma_j`.
/// Rounding (`eps |f_i| / t`) and truncation then equal those of column j with its own step
/// `h_j`, times `omega sigma_j`; so entry i is divided by
/// `omega * sum_j sigma_j max(|want_ij| s_j, 1) / s_j`, the bound that column errors of 1
/// in those units give.
pub fn jvp_error(tf: &TestFn, x: &[f64], got: &[f64], u: &[f64], want: &[f64]) -> f64 {
    let (m, n) = (tf.m, tf.n);
    let omega = (0..n).fold(0.0f64, |a, j| a.max(u[j].abs() / tf.step_scale(x, j)));
    let mut worst = 0.0f64;
    for i in 0..m {
        let exact: f64 = (0..n).map(|j| want[i * n + j] * u[j]).sum();
        let bound: f64 = (0..n)
            .map(|j| {
                let s = tf.scale(j);
                tf.step_scale(x, j) * (want[i * n + j].abs() * s).max(1.0) / s
            })
            .sum();
        let e = (got[i] - exact).abs() / (omega * bound).max(f64::MIN_POSITIVE);
        worst = worst.max(if e.is_nan() { f64::INFINITY } else { e });
    }
    worst
}

/// A power `p` and the inverse of the estimate each scheme makes of `d/dz (z - x)^p` at
/// `z = x` with step t, so that the estimate reveals the step it was taken with:
/// forward `t^2 / t = t` (p = 2), backward `-t` (p = 2), central `t^2` (p = 3), 4th order
/// `-4 t^4` (p = 5: `(1/12)(-32) - (2/3)(-1) + (2/3)(1) - (1/12)(32) = -4`).
pub fn step_revealing(scheme: Scheme) -> (i32, fn(f64) -> f64) {
    match scheme {
        Scheme::Forward => (2, |d| d),
        Scheme::Backward => (2, |d| -d),
        Scheme::Central => (3, f64::sqrt),
        Scheme::Central4 => (5, |d| (-d / 4.0).powf(0.25)),
    }
}

/// `f` as a [`fdvjp::fd::Function`] closure that adds one to `count` per evaluation.
pub fn counted<'a>(
    tf: &'a TestFn,
    count: &'a Cell<usize>,
) -> impl Fn(&[f64], &mut [f64]) -> Result<(), i32> + 'a {
    move |x, y| {
        count.set(count.get() + 1);
        tf.eval(x, y);
        Ok(())
    }
}

/// `f` as a [`fdvjp::fd::Function`] closure that never fails.
pub fn plain(tf: &TestFn) -> impl Fn(&[f64], &mut [f64]) -> Result<(), i32> + '_ {
    move |x, y| {
        tf.eval(x, y);
        Ok(())
    }
}

/// Converts a row-major m×n matrix to column-major.
pub fn to_col_major(row_major: &[f64], m: usize, n: usize) -> Vec<f64> {
    let mut out = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            out[j * m + i] = row_major[i * n + j];
        }
    }
    out
}

/// The upper bidiagonal pattern of an n x n Jacobian (entries (i, i) and (i, i + 1)), row
/// by row: rows and columns for `Sparsity::new`.
pub fn upper_bidiagonal(n: usize) -> (Vec<usize>, Vec<usize>) {
    (0..n)
        .flat_map(|i| (i..(i + 2).min(n)).map(move |j| (i, j)))
        .unzip()
}
