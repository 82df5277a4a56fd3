//! A JVP at a corner of the box along a direction that leaves it both ways (no stencil along
//! u fits) is summed from the columns of the non-zero u_j, each with its own inward stencil:
//! right, within its bound, and f never called outside the box. Before, every such call was
//! refused (`no stencil fits inside the bounds`; the independent tester's finding 11: 1,860 of
//! 3,312 random-box JVPs, where the VJP and the Jacobian succeeded).

use fdvjp::fd::{self, Options, Scheme};
use std::cell::Cell;

/// f: R^n -> R^2, smooth, with its analytic Jacobian.
fn f(x: &[f64], y: &mut [f64]) {
    y[0] = x
        .iter()
        .enumerate()
        .map(|(j, v)| (1.0 + j as f64) * v.sin())
        .sum();
    y[1] = x.iter().map(|v| v * v).sum::<f64>().sqrt() + x[0] * x[x.len() - 1];
}

fn jacobian(x: &[f64]) -> Vec<[f64; 2]> {
    let norm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
    let n = x.len();
    (0..n)
        .map(|j| {
            let mut d1 = x[j] / norm;
            if j == 0 {
                d1 += x[n - 1];
            }
            if j == n - 1 {
                d1 += x[0];
            }
            [(1.0 + j as f64) * x[j].cos(), d1]
        })
        .collect()
}

/// A small deterministic generator (xorshift), uniform in [0, 1).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[test]
fn a_direction_leaving_the_box_both_ways_is_summed_from_columns() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut calls, mut by_columns) = (0, 0);
    for scheme in [Scheme::Central, Scheme::Forward, Scheme::Central4] {
        for _ in 0..200 {
            let n = 2 + (rng.next() * 5.0) as usize;
            let x: Vec<f64> = (0..n).map(|_| 0.2 + 2.0 * rng.next()).collect();
            // Each element on its lower or its upper bound (the other side wide), and u_j
            // pointing out of the box for one element and into it for another.
            let at_lower: Vec<bool> = (0..n).map(|_| rng.next() < 0.5).collect();
            let lower: Vec<f64> = (0..n)
                .map(|j| if at_lower[j] { x[j] } else { x[j] - 1.0 })
                .collect();
            let upper: Vec<f64> = (0..n)
                .map(|j| if at_lower[j] { x[j] + 1.0 } else { x[j] })
                .collect();
            let mut u: Vec<f64> = (0..n).map(|_| 0.1 + rng.next()).collect();
            // inward: +u_j at a lower bound; make element 0 inward and element 1 outward
            u[0] = if at_lower[0] { u[0] } else { -u[0] };
            u[1] = if at_lower[1] { -u[1] } else { u[1] };
            for uj in u.iter_mut().skip(2) {
                if rng.next() < 0.3 {
                    *uj = 0.0;
                } else if rng.next() < 0.5 {
                    *uj = -*uj;
                }
            }
            let mut opts = Options::new();
            opts.set_scheme(scheme);
            opts.set_bounds(Some((lower.clone(), upper.clone())))
                .unwrap();
            let outside = Cell::new(0usize);
            let g = |p: &[f64], y: &mut [f64]| -> Result<(), i32> {
                if p.iter()
                    .zip(lower.iter().zip(&upper))
                    .any(|(v, (lo, hi))| !(lo <= v && v <= hi))
                {
                    outside.set(outside.get() + 1);
                    return Err(99);
                }
                f(p, y);
                Ok(())
            };
            let got = fd::jvp(&g, &x, 2, &u, &opts).expect("a JVP at a corner of the box");
            let report = fd::last_report();
            assert_eq!(outside.get(), 0);
            let jac = jacobian(&x);
            let size: f64 = (0..n)
                .map(|j| u[j].abs() * (jac[j][0].abs() + jac[j][1].abs()))
                .sum();
            for i in 0..2 {
                let want: f64 = (0..n).map(|j| jac[j][i] * u[j]).sum();
                let err = (got[i] - want).abs();
                assert!(
                    err <= 1e-5 * size,
                    "{scheme:?} x {x:?} u {u:?}: output {i} {} for {want}",
                    got[i]
                );
                let bound = report.error_bound;
                assert!(
                    bound.is_nan() && report.unbounded > 0 || err <= 2.0 * bound + 1e-14 * size,
                    "{scheme:?} x {x:?} u {u:?}: output {i} error {err:e}, bound {bound:e}"
                );
            }
            calls += 1;
            by_columns += usize::from(report.directions > 1);
        }
    }
    // The construction leaves the box both ways along u: every call takes the columns.
    assert_eq!(by_columns, calls);
}

#[test]
fn a_direction_that_fits_is_unchanged() {
    // x at a lower bound, u pointing into the box: one stencil along u, 3 evaluations.
    let x = [0.5, 0.7];
    let mut opts = Options::new();
    opts.set_bounds(Some((vec![0.5, 0.0], vec![1.0, 1.0])))
        .unwrap();
    let g = |p: &[f64], y: &mut [f64]| -> Result<(), i32> {
        f(p, y);
        Ok(())
    };
    fd::jvp(&g, &x, 2, &[1.0, 0.5], &opts).unwrap();
    let report = fd::last_report();
    assert_eq!((report.directions, report.evaluations), (1, 3));
}
