//! `jvp_estimate` along directions whose elements move x on scales far apart (probe13 9a):
//! x_j from 1e-12 to 1e12 and |u_j| from 1e-8 to 1e8. Before, where every start's
//! smallest steps left some element of x unmoved (x_j = 1.2e12 moved by 1e-4), the call
//! was refused with FDVJP_INVALID_ARGUMENT ("leaves an element of x unmoved"), which the
//! header did not list, while `fdvjp_jvp` and the complex step accepted the direction.
//! Now such a part of u is taken element by element (`estimate.rs`, `by_elements`).
//!
//! f (n = 4, m = 3): `y0 = sum_j a_j log x_j`, `y1 = sum_j b_j sqrt x_j` and
//! `y2 = c0 x0 x1 + c1 x2 / x3`. Every call must succeed, and its error estimate must
//! cover the true error (`|value - exact| <= err + 4 eps sum_j |J_ij u_j|`) or be NaN
//! (unbounded) for at least 98% of entries, the estimates' promise. Measured: main
//! refused 3 of 300 calls (and left 18 of 891 entries unbounded, 0 uncovered); now 0
//! refused, 18 of 900 unbounded, 0 uncovered.

use crate::common;

use common::Rng;
use fdvjp::fd::{jvp_estimate, Options};

const A: [f64; 4] = [0.33, 0.49, -0.13, 0.62];
const B: [f64; 4] = [-0.35, -0.41, -0.91, -0.12];
const C: [f64; 2] = [0.96, 0.51];
const CALLS: usize = 300;

fn f(x: &[f64], y: &mut [f64]) -> Result<(), i32> {
    y[0] = (0..4).map(|j| A[j] * x[j].ln()).sum();
    y[1] = (0..4).map(|j| B[j] * x[j].sqrt()).sum();
    y[2] = C[0] * x[0] * x[1] + C[1] * x[2] / x[3];
    Ok(())
}

fn jacobian(x: &[f64]) -> [[f64; 4]; 3] {
    let mut j = [[0.0; 4]; 3];
    for k in 0..4 {
        j[0][k] = A[k] / x[k];
        j[1][k] = 0.5 * B[k] / x[k].sqrt();
    }
    j[2] = [
        C[0] * x[1],
        C[0] * x[0],
        C[1] / x[3],
        -C[1] * x[2] / (x[3] * x[3]),
    ];
    j
}

fn log_uniform(rng: &mut Rng, low: f64, high: f64) -> f64 {
    (low.ln() + rng.uniform() * (high / low).ln()).exp()
}

#[test]
fn directions_spanning_many_scales_are_estimated_and_covered() {
    let mut rng = Rng::new(0x9a_2026);
    let (mut refused, mut entries, mut uncovered, mut unbounded) = (Vec::new(), 0, 0, 0);
    for call in 0..CALLS {
        let x: Vec<f64> = (0..4).map(|_| log_uniform(&mut rng, 1e-12, 1e12)).collect();
        let u: Vec<f64> = (0..4)
            .map(|_| {
                let sign = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
                sign * log_uniform(&mut rng, 1e-8, 1e8)
            })
            .collect();
        let e = match jvp_estimate(&f, &x, 3, &u, &Options::new()) {
            Ok(e) => e,
            Err(err) => {
                refused.push(format!("call {call}: x = {x:?}, u = {u:?}: {err}"));
                continue;
            }
        };
        let jac = jacobian(&x);
        for (i, row) in jac.iter().enumerate() {
            let exact: f64 = row.iter().zip(&u).map(|(j, uk)| j * uk).sum();
            let size: f64 = row.iter().zip(&u).map(|(j, uk)| (j * uk).abs()).sum();
            entries += 1;
            let miss = (e.value[i] - exact).abs();
            if e.error[i].is_nan() {
                unbounded += 1;
            } else if miss.is_nan() || miss > e.error[i] + 4.0 * f64::EPSILON * size {
                uncovered += 1;
            }
        }
    }
    println!(
        "{} of {CALLS} calls refused; of {entries} entries {uncovered} uncovered, {unbounded} \
         unbounded (error NaN: honest)",
        refused.len()
    );
    assert!(refused.is_empty(), "refused:\n{}", refused.join("\n"));
    assert!(
        uncovered * 50 <= entries,
        "{uncovered} of {entries} entries uncovered (more than 2%)"
    );
}
