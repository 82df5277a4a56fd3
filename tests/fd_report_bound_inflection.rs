//! The report's `error_bound` at inflection points of well-scaled smooth functions: the
//! central plain bound reads f's curvature from the second difference, which vanishes
//! there, so before its floor (`refine::truncation_floor`) it held only rounding: sin at π
//! reported 2e-16 for an error of 6e-11.
//!
//! f: `y_i = sum_j a_ij sin(b_j x_j + c_j)` (m = 1..3), `b_j` in 0.3..2, `|x_j|` in
//! 0.01..1.5, `c_j` putting `x_j` at an inflection point (`b_j x_j + c_j` = 0 or π, so
//! that f(x) ≈ 0 and the rounding term is small) or 0.1 beside it; exact derivatives.
//! Covered: `|got - exact| <= bound + 4 eps sum_i |w_i| (S_i / h_j + |a_ij b_j|)`, the
//! rounding of f's own values (`S_i` the size of f_i's terms at x), which the library's
//! bound also models.

use fdvjp::fd::{self, last_report, Options};
use proptest::prelude::*;
use std::f64::consts::PI;

#[derive(Debug, Clone)]
struct Case {
    a: Vec<Vec<f64>>,
    b: Vec<f64>,
    c: Vec<f64>,
    x: Vec<f64>,
    w: Vec<f64>,
}

fn case() -> impl Strategy<Value = Case> {
    let column = (
        0.3..2.0f64,
        any::<bool>(),
        0.01..1.5f64,
        any::<bool>(),
        any::<bool>(),
    );
    (1..4usize, prop::collection::vec(column, 1..7)).prop_flat_map(|(m, cols)| {
        let n = cols.len();
        (
            Just(cols),
            prop::collection::vec(prop::collection::vec(-2.0..2.0f64, n), m),
            prop::collection::vec(-1.0..1.0f64, m),
        )
            .prop_map(|(cols, a, w)| {
                let (mut b, mut c, mut x) = (Vec::new(), Vec::new(), Vec::new());
                for (bj, pi, mag, neg, off) in cols {
                    // An inflection point at x_j: b x_j + c = 0 (exactly) or π.
                    let xj = if neg { -mag } else { mag };
                    let cj = if pi { PI } else { 0.0 } - bj * xj;
                    b.push(bj);
                    c.push(cj);
                    x.push(if off { xj + 0.1 } else { xj });
                }
                Case { a, b, c, x, w }
            })
    })
}

impl Case {
    fn f(&self, x: &[f64], y: &mut [f64]) {
        for (yi, ai) in y.iter_mut().zip(&self.a) {
            *yi = (0..x.len())
                .map(|j| ai[j] * (self.b[j] * x[j] + self.c[j]).sin())
                .sum();
        }
    }
    fn jac(&self, i: usize, j: usize) -> f64 {
        self.a[i][j] * self.b[j] * (self.b[j] * self.x[j] + self.c[j]).cos()
    }
    /// The rounding slack of column j: `4 eps sum_i |w_i| (S_i / h_j + |a_ij b_j|)`, with
    /// `S_i = sum_k |a_ik sin(b_k x_k + c_k)|` the size of f_i's terms at x (near 0 at
    /// inflection points) and `|a_ij b_j| h_j` their change over the step.
    fn slack(&self, j: usize, weights: &[f64]) -> f64 {
        let h = Options::new().scheme().default_relative_step() * self.x[j].abs().max(1.0);
        let size: f64 = (0..self.a.len())
            .map(|i| {
                let terms: f64 = (0..self.x.len())
                    .map(|k| (self.a[i][k] * (self.b[k] * self.x[k] + self.c[k]).sin()).abs())
                    .sum();
                weights[i].abs() * (terms / h + (self.a[i][j] * self.b[j]).abs())
            })
            .sum();
        4.0 * f64::EPSILON * size
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The central VJP and Jacobian's bounds cover every entry (or are NaN).
    #[test]
    fn bound_covers_inflection_points(c in case()) {
        let (n, m) = (c.x.len(), c.a.len());
        let f = |x: &[f64], y: &mut [f64]| {
            c.f(x, y);
            Ok(())
        };
        let opts = Options::new();
        let g = fd::vjp(&f, &c.x, &c.w, &opts).unwrap();
        let bound = last_report().error_bound;
        for (j, gj) in g.iter().enumerate() {
            let want: f64 = (0..m).map(|i| c.w[i] * c.jac(i, j)).sum();
            let err = (gj - want).abs();
            prop_assert!(
                err <= bound + c.slack(j, &c.w),
                "vjp[{}]: error {:e}, bound {:e} at {:?}", j, err, bound, c
            );
        }
        let jac = fd::jacobian(&f, &c.x, m, &opts).unwrap();
        let bound = last_report().error_bound;
        for i in 0..m {
            let mut unit = vec![0.0; m];
            unit[i] = 1.0;
            for j in 0..n {
                let err = (jac[i * n + j] - c.jac(i, j)).abs();
                prop_assert!(
                    err <= bound + c.slack(j, &unit),
                    "jac[{}][{}]: error {:e}, bound {:e} at {:?}", i, j, err, bound, c
                );
            }
        }
    }
}

/// sin at π, the minimal case: error about `t^2 / 6 = (r π)^2 / 6`, 6e-11.
#[test]
fn sin_at_pi() {
    let f = |x: &[f64], y: &mut [f64]| {
        y[0] = x[0].sin();
        Ok(())
    };
    let g = fd::vjp(&f, &[PI], &[1.0], &Options::new()).unwrap();
    let r = last_report();
    let err = (g[0] + 1.0).abs();
    println!("sin at π: error {err:.1e}, bound {:.1e}", r.error_bound);
    assert!(err > 1e-11, "error {err:e}");
    assert!(
        err <= r.error_bound,
        "error {err:e}, bound {:e}",
        r.error_bound
    );
}
