//! Sparse Jacobians by column grouping: exact evaluation counts and the accuracy of the
//! dense computation, against analytic derivatives.

use crate::common;

use common::{tridiagonal, tridiagonal_jacobian};
use fdvjp::fd::{self, Options, Scheme, Sparsity};
use std::cell::Cell;

fn band_pattern(n: usize) -> Sparsity {
    let (mut rows, mut cols) = (Vec::new(), Vec::new());
    for i in 0..n {
        for j in i.saturating_sub(1)..(i + 2).min(n) {
            rows.push(i);
            cols.push(j);
        }
    }
    Sparsity::new(&rows, &cols).unwrap()
}

fn point(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 0.5 + ((i * 7919) % 1000) as f64 / 1000.0)
        .collect()
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f64::max)
}

#[test]
fn tridiagonal_1000_costs_4_forward_and_7_central_with_dense_accuracy() {
    let n = 1000;
    let x = point(n);
    let exact = tridiagonal_jacobian(&x);
    for (scheme, evals, tol) in [(Scheme::Forward, 4, 1e-6), (Scheme::Central, 7, 1e-9)] {
        let calls = Cell::new(0usize);
        let f = |x: &[f64], y: &mut [f64]| {
            calls.set(calls.get() + 1);
            tridiagonal(x, y);
            Ok(())
        };
        let mut dense = Options::new();
        dense.set_scheme(scheme);
        let mut sparse = dense.clone();
        sparse.set_sparsity(Some(band_pattern(n)));

        let jac_sparse = fd::jacobian(&f, &x, n, &sparse).unwrap();
        assert_eq!(calls.get(), evals, "{scheme:?} sparse evaluations");
        let err_sparse = max_abs_diff(&jac_sparse, &exact);

        calls.set(0);
        let jac_dense = fd::jacobian(&f, &x, n, &dense).unwrap();
        let err_dense = max_abs_diff(&jac_dense, &exact);
        assert!(
            err_sparse <= tol,
            "{scheme:?}: sparse error {err_sparse:e} > {tol:e}"
        );
        assert!(
            err_sparse <= 4.0 * err_dense + 1e-15,
            "{scheme:?}: sparse error {err_sparse:e} vs dense {err_dense:e}"
        );

        let v: Vec<f64> = (0..n).map(|i| ((i % 13) as f64 - 6.0) / 7.0).collect();
        let want: Vec<f64> = (0..n)
            .map(|j| (0..n).map(|i| v[i] * exact[i * n + j]).sum())
            .collect();
        calls.set(0);
        let grad = fd::vjp(&f, &x, &v, &sparse).unwrap();
        assert_eq!(calls.get(), evals, "{scheme:?} sparse VJP evaluations");
        assert!(
            max_abs_diff(&grad, &want) <= 10.0 * tol,
            "{scheme:?} sparse VJP"
        );
    }
}

#[test]
fn pattern_indices_are_checked_against_the_problem() {
    let f = |x: &[f64], y: &mut [f64]| {
        tridiagonal(x, y);
        Ok(())
    };
    let mut opts = Options::new();
    opts.set_sparsity(Some(band_pattern(5)));
    let err = fd::jacobian(&f, &point(4), 4, &opts).unwrap_err();
    assert!(
        err.to_string()
            .contains("column index 4 is not below n = 4"),
        "{err}"
    );
    assert!(Sparsity::new(&[0, 1], &[0]).is_err());
}

#[test]
fn sparse_columns_respect_bounds() {
    let n = 30;
    let mut x = point(n);
    x[3] = 2.0;
    let mut opts = Options::new();
    opts.set_sparsity(Some(band_pattern(n)));
    let mut upper = vec![f64::INFINITY; n];
    upper[3] = 2.0;
    opts.set_bounds(Some((vec![0.0; n], upper))).unwrap();
    let f = |x: &[f64], y: &mut [f64]| {
        if x[3] > 2.0 {
            return Err(9);
        }
        tridiagonal(x, y);
        Ok(())
    };
    let jac = fd::jacobian(&f, &x, n, &opts).unwrap();
    assert!(max_abs_diff(&jac, &tridiagonal_jacobian(&x)) <= 1e-8);
}
