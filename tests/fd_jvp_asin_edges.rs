//! Central JVPs of sums of asin and acos near +-1 (probe8 finding 12): with the elements
//! near opposite edges a direction u meets a NaN on both sides of x at the plain step;
//! the fall-back's central stencil at the largest step `t0 / 10^k` that met none lies
//! within a factor 10 of an edge, where f varies on that step's scale (asin(x0) + asin(x1)
//! along (1, 1) at 1e-9 from -1 and 1.6e-9 from 1: 41,614 for 40,038 with a bound of 216).
//!
//! `f = sum_j c_j g(x_j)`, g = asin or acos, `1 - |x_j|` from 5e-13 to 2e-3, n = 2, 3
//! and 8, random signs, weights and directions. Every successful JVP must cover its
//! value: `|error| <= bound + 2e-15 |exact|`, or the bound NaN with directions counted
//! unbounded. A loud error is acceptable. References: the analytic derivatives.

use crate::common;

use common::Rng;
use fdvjp::fd::{self, Options};

/// `1 - x^2` as `(1 - x)(1 + x)`: exact near +-1.
fn gap(x: f64) -> f64 {
    (1.0 - x) * (1.0 + x)
}

/// A function of one variable and its derivative.
type Real = fn(f64) -> f64;

#[test]
fn central_jvp_near_both_edges_is_covered() {
    let mut rng = Rng::new(12);
    let families: [(&str, Real, Real); 2] = [
        ("asin", f64::asin, |x| 1.0 / gap(x).sqrt()),
        ("acos", f64::acos, |x| -1.0 / gap(x).sqrt()),
    ];
    let (mut calls, mut errors, mut uncovered) = (0, 0, Vec::new());
    let o = Options::new();
    for (name, g, dg) in families {
        for s in [1e-12, 1e-10, 1e-9, 1e-8, 1e-6, 1e-3] {
            for n in [2, 3, 8] {
                for _ in 0..20 {
                    let x: Vec<f64> = (0..n)
                        .map(|_| {
                            let v = 1.0 - s * (0.5 + 1.5 * rng.uniform());
                            if rng.uniform() < 0.5 {
                                v
                            } else {
                                -v
                            }
                        })
                        .collect();
                    let c: Vec<f64> = (0..n).map(|_| 0.5 + rng.uniform()).collect();
                    let u: Vec<f64> = (0..n).map(|_| 2.0 * rng.uniform() - 1.0).collect();
                    let want: f64 = (0..n).map(|j| c[j] * dg(x[j]) * u[j]).sum();
                    let f = |x: &[f64], y: &mut [f64]| -> Result<(), i32> {
                        y[0] = x.iter().zip(&c).map(|(&v, &cj)| cj * g(v)).sum();
                        Ok(())
                    };
                    calls += 1;
                    let Ok(got) = fd::jvp(&f, &x, 1, &u, &o) else {
                        errors += 1;
                        continue;
                    };
                    let report = fd::last_report();
                    let bound = report.error_bound;
                    let err = (got[0] - want).abs();
                    let covered = if bound.is_nan() {
                        report.unbounded > 0
                    } else {
                        err <= bound + 2e-15 * want.abs()
                    };
                    if !covered {
                        uncovered.push(format!(
                            "{name} s={s:e} n={n} x={x:?} u={u:?}: {:e} for {want:e} (bound \
                             {bound:e}, {} evaluations)",
                            got[0], report.evaluations
                        ));
                    }
                }
            }
        }
    }
    for u in &uncovered {
        eprintln!("{u}");
    }
    eprintln!(
        "{calls} calls, {errors} errors, {} uncovered",
        uncovered.len()
    );
    assert!(
        uncovered.is_empty(),
        "{} uncovered of {calls} calls",
        uncovered.len()
    );
}
