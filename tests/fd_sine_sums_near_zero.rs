//! The tape fuzz target's opaque function, `y_i = sum_j sin(c (i + 1) x_j + j)` with
//! `c = 1/2`, differentiated by every scheme's default VJP, JVP and Jacobian with some
//! elements near 0 (`|x_j|` from 1e-1 down to 1e-300) and the others in [-4, 4]: a sum
//! of terms larger than f, whose rounding is on the scale of its terms (up to n), where a
//! refinement at x_j's own scale meets that rounding. The fuzz target found a gradient
//! 5e-4 off this way once (a refined value winning on an underestimated rounding error).
//!
//! Error measure: entrywise `|got - exact| / max(|exact|, 1)` (J entries and products
//! of size up to n m); tolerance [`common::default_tolerance`] times `n` (the terms'
//! rounding).

use crate::common;

use common::{default_tolerance, Class, Rng};
use fdvjp::fd::{self, Options, Scheme};

const POINTS: usize = 1500;

const C: f64 = 0.5;

fn eval(x: &[f64], y: &mut [f64]) -> Result<(), i32> {
    for (i, yi) in y.iter_mut().enumerate() {
        *yi = x
            .iter()
            .enumerate()
            .map(|(j, &xj)| (C * (i + 1) as f64 * xj + j as f64).sin())
            .sum();
    }
    Ok(())
}

fn jacobian(x: &[f64], m: usize) -> Vec<f64> {
    let n = x.len();
    let mut jac = vec![0.0; m * n];
    for i in 0..m {
        let a = C * (i + 1) as f64;
        for j in 0..n {
            jac[i * n + j] = a * (a * x[j] + j as f64).cos();
        }
    }
    jac
}

fn worst(got: &[f64], want: &[f64]) -> f64 {
    got.iter()
        .zip(want)
        .map(|(g, w)| {
            let e = (g - w).abs() / w.abs().max(1.0);
            if e.is_nan() {
                f64::INFINITY
            } else {
                e
            }
        })
        .fold(0.0, f64::max)
}

#[test]
fn sums_of_sines_with_elements_near_zero() {
    let mut failures = Vec::new();
    for scheme in [
        Scheme::Central4,
        Scheme::Central,
        Scheme::Forward,
        Scheme::Backward,
    ] {
        let mut rng = Rng::new(0x51e5);
        let mut opts = Options::new();
        opts.set_scheme(scheme);
        for _ in 0..POINTS {
            let n = 1 + (4.0 * rng.uniform()) as usize;
            let m = 1 + (3.0 * rng.uniform()) as usize;
            let mut x: Vec<f64> = (0..n).map(|_| 8.0 * rng.uniform() - 4.0).collect();
            for xj in x.iter_mut() {
                if rng.uniform() < 0.5 {
                    *xj = 10f64.powf(-1.0 - 299.0 * rng.uniform().powi(3))
                        * (2.0 * rng.uniform() - 1.0);
                }
            }
            let v: Vec<f64> = (0..m).map(|_| 2.0 * rng.uniform() - 1.0).collect();
            let u: Vec<f64> = (0..n).map(|_| 2.0 * rng.uniform() - 1.0).collect();
            let jac = jacobian(&x, m);
            let tol = n as f64 * default_tolerance(scheme, Class::Smooth);
            let vjp_want: Vec<f64> = (0..n)
                .map(|j| (0..m).map(|i| v[i] * jac[i * n + j]).sum())
                .collect();
            let jvp_want: Vec<f64> = (0..m)
                .map(|i| (0..n).map(|j| jac[i * n + j] * u[j]).sum())
                .collect();
            let errors = [
                (
                    "vjp",
                    worst(&fd::vjp(&eval, &x, &v, &opts).unwrap(), &vjp_want),
                ),
                (
                    "jvp",
                    worst(&fd::jvp(&eval, &x, m, &u, &opts).unwrap(), &jvp_want),
                ),
                (
                    "jacobian",
                    worst(&fd::jacobian(&eval, &x, m, &opts).unwrap(), &jac),
                ),
            ];
            for (what, err) in errors {
                if err.is_nan() || err > tol {
                    failures.push(format!(
                        "{scheme:?} {what} at {x:?}, m = {m}, v = {v:?}, u = {u:?}: error {err:e} > {tol:e}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures, first: {:#?}",
        failures.len(),
        &failures[..failures.len().min(8)]
    );
}
