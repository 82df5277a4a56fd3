//! A domain edge shared by several columns (probe8 finding 18): `y = sqrt(1 - |x|^2)`,
//! NaN outside the unit sphere, at `1 - |x|` from 1.7e-3 down to 1.7e-13, in random
//! directions, n = 2 and 3. A column whose `|x_j|` lies a decade below its typical
//! magnitude meets the edge within its own scale `r |x_j|`: the one-sided stencil there
//! straddles the scale on which f varies (x1 = 0.0998 at `1 - |x| = 1.7e-9`: -611.6 for
//! -1712.1 with a bound of 251).
//!
//! Every successful central VJP and JVP must cover each entry: `|error| <= bound + 2e-15
//! |exact|` with the report's bound, or the bound NaN with directions counted unbounded.
//! References: `-x / y`, with `1 - |x|^2` summed without loss.

use crate::common;

use common::Rng;
use fdvjp::fd::{self, Options};

/// `1 - sum x_j^2` to about twice the unit roundoff of the result: the squares split
/// exactly (fma) and summed with compensation (Neumaier).
fn gap(x: &[f64]) -> f64 {
    let mut terms = vec![1.0];
    for &v in x {
        let p = v * v;
        terms.push(-p);
        terms.push(-v.mul_add(v, -p));
    }
    let (mut sum, mut c) = (0.0f64, 0.0f64);
    for t in terms {
        let s = sum + t;
        c += if sum.abs() >= t.abs() {
            (sum - s) + t
        } else {
            (t - s) + sum
        };
        sum = s;
    }
    sum + c
}

fn f(x: &[f64], y: &mut [f64]) -> Result<(), i32> {
    let s = gap(x);
    y[0] = if s < 0.0 { f64::NAN } else { s.sqrt() };
    Ok(())
}

#[test]
fn central_products_at_a_shared_edge_are_covered() {
    let mut rng = Rng::new(18);
    let (mut calls, mut uncovered) = (0, Vec::new());
    let o = Options::new();
    for n in [2, 3] {
        for k in 3..=13 {
            for _ in 0..12 {
                // A random direction; the point at 1 - 1.7e-k of the sphere.
                let mut d: Vec<f64> = (0..n).map(|_| 2.0 * rng.uniform() - 1.0).collect();
                let norm = d.iter().map(|v| v * v).sum::<f64>().sqrt();
                d.iter_mut().for_each(|v| *v /= norm);
                let r = 1.0 - 1.7 * 10f64.powi(-k);
                let x: Vec<f64> = d.iter().map(|v| r * v).collect();
                let s = gap(&x);
                if s <= 0.0 {
                    continue;
                }
                let y = s.sqrt();
                let grad: Vec<f64> = x.iter().map(|v| -v / y).collect();
                let u: Vec<f64> = (0..n).map(|_| 2.0 * rng.uniform() - 1.0).collect();
                let jvp: f64 = grad.iter().zip(&u).map(|(g, u)| g * u).sum();
                let mut check = |what: &str, got: Result<Vec<f64>, fd::FdError>, want: &[f64]| {
                    calls += 1;
                    let Ok(got) = got else {
                        return;
                    };
                    let report = fd::last_report();
                    let bound = report.error_bound;
                    for (j, (&g, &w)) in got.iter().zip(want).enumerate() {
                        let err = (g - w).abs();
                        let covered = if bound.is_nan() {
                            report.unbounded > 0
                        } else {
                            err <= bound + 2e-15 * w.abs()
                        };
                        if !covered {
                            uncovered.push(format!(
                                "{what} n={n} 1-r=1.7e-{k} x={x:?} u={u:?} [{j}]: {g:e} for {w:e} \
                                 (bound {bound:e}, {} evaluations)",
                                report.evaluations
                            ));
                        }
                    }
                };
                check("vjp", fd::vjp(&f, &x, &[1.0], &o), &grad);
                check("jvp", fd::jvp(&f, &x, 1, &u, &o), &[jvp]);
            }
        }
    }
    for u in &uncovered {
        eprintln!("{u}");
    }
    eprintln!("{calls} calls, {} uncovered entries", uncovered.len());
    assert!(
        uncovered.is_empty(),
        "{} uncovered entries",
        uncovered.len()
    );
}
