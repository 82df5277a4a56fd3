//! Probe7 finding 3 (issue 15 item 3): a coupling that appears after learning and that the
//! colouring folds into another column of its group ("lent"). The grouped pass perturbs
//! every column of a group at once, so a coupling `J[r][k]` outside the pattern, with
//! column j of k's group owning row r, is credited to `J[r][j]`; the check's JVP along Δ
//! then sees it only times `Δ_k - Δ_j h_k / h_j`, which a direction whose entries in the
//! group are alike makes small, and the bound widened by the check's unexplained
//! disagreement divided by `min |Δ|` stayed far below the error. Before this change:
//! `y0 = sin x0, y1 = sin x1 + 1e6 + c x0` learned at c = 0, then c = 0.1: the VJP
//! (0.98006658, 1.08006278) for (1.08006658, 0.98006658) with a bound of 0.00191; a
//! tridiagonal n = 12 with `y3 += 1e6 + c x7`, c = 1e-3: error 1e-3, bound 3.1e-5, never
//! caught in 10 calls.
//!
//! Asserted per call, against the analytic Jacobian: the largest entry error of the VJP
//! (two cotangents) and of the Jacobian is at most the report's `error_bound` (or the
//! bound is NaN with unbounded directions), whether or not the check re-learned the
//! pattern; over smooth rows (sin, exp, tanh) with offsets 0 and 1e6, diagonal,
//! tridiagonal and pentadiagonal patterns, couplings inside and across column groups, of
//! strengths 1e-6 to 1, three calls at points moving after learning.
//!
//! Stated slack: with the offset 1e6, a coupling of 1e-4..1e-3 moves the check by less
//! than the rounding the check allows each row (`eps |f_i| (1 + 2 k_i)`, `|f_i|` = 1e6,
//! 1.5e-9 here), so nothing tells it from rounding and it widens nothing, while the
//! grouped columns' bound is their rounding alone (3.7e-5): such calls may exceed their
//! bound by up to [`HIDDEN_SLACK`] (measured: at most 27x, 2.7x typically; 122 of 3888
//! calls); every other call within its bound. Before this change 578 calls failed, among
//! them couplings of 1e-6 without offset (error 1e-6, bound 4e-8) and the probe's (c = 0.1:
//! error 0.1, bound 0.0019).

use fdvjp::fd::{self, last_report, Options};
use std::cell::Cell;

/// A row's own term and its derivative.
type Scalar = fn(f64) -> f64;

const BASES: &[(&str, Scalar, Scalar)] = &[
    ("sin", f64::sin, f64::cos),
    ("exp(0.3 x)", |x| (0.3 * x).exp(), |x| 0.3 * (0.3 * x).exp()),
    ("tanh", f64::tanh, |x| 1.0 / x.cosh().powi(2)),
];

/// `y_i = off + s(x_i) + 0.3 sum_{0 < |k - i| <= band} x_k^2 / 2 + c x_col [i = row]`.
struct Problem {
    n: usize,
    band: usize,
    off: f64,
    s: Scalar,
    ds: Scalar,
    row: usize,
    col: usize,
}

impl Problem {
    fn eval(&self, x: &[f64], y: &mut [f64], c: f64) {
        for i in 0..self.n {
            let mut yi = (self.s)(x[i]);
            for k in self.neighbours(i) {
                yi += 0.3 * x[k] * x[k] / 2.0;
            }
            if i == self.row {
                yi += c * x[self.col];
            }
            y[i] = self.off + yi;
        }
    }

    fn neighbours(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        (i.saturating_sub(self.band)..(i + self.band + 1).min(self.n)).filter(move |&k| k != i)
    }

    fn jacobian(&self, x: &[f64], c: f64) -> Vec<Vec<f64>> {
        let mut j = vec![vec![0.0; self.n]; self.n];
        for (i, row) in j.iter_mut().enumerate() {
            row[i] = (self.ds)(x[i]);
            for k in self.neighbours(i) {
                row[k] += 0.3 * x[k];
            }
            if i == self.row {
                row[self.col] += c;
            }
        }
        j
    }
}

/// See the module documentation.
const HIDDEN_SLACK: f64 = 30.0;

/// Whether `err` is covered by the last call's report, `slack` times its bound.
fn covered(err: f64, slack: f64) -> bool {
    let r = last_report();
    err <= slack * r.error_bound || (r.error_bound.is_nan() && r.unbounded > 0)
}

/// Learns the pattern at c = 0, then runs three calls of each kind at coupling `c` at
/// points moving away; returns the failures and the number of calls.
fn run(p: &Problem, c: f64, label: &str) -> (Vec<String>, usize) {
    let coupling = Cell::new(0.0);
    let f = |x: &[f64], y: &mut [f64]| {
        p.eval(x, y, coupling.get());
        Ok(())
    };
    let n = p.n;
    let x0: Vec<f64> = (0..n).map(|i| 0.2 + 0.05 * i as f64).collect();
    let mut opts = Options::new();
    opts.set_learn_sparsity(true);
    fd::vjp(&f, &x0, &vec![1.0; n], &opts).unwrap();
    coupling.set(c);
    // See the module documentation.
    let slack = if p.off != 0.0 && c <= 1e-3 {
        HIDDEN_SLACK
    } else {
        1.0
    };
    let mut failures = Vec::new();
    let mut calls = 0;
    for step in 0..3 {
        let x: Vec<f64> = x0
            .iter()
            .enumerate()
            .map(|(i, xi)| xi + 0.01 * (step + 1) as f64 * (1.0 + 0.3 * i as f64))
            .collect();
        let exact = p.jacobian(&x, c);
        let weights: Vec<f64> = (0..n).map(|i| [1.0, -0.6, 0.3, 0.8][i % 4]).collect();
        for v in [vec![1.0; n], weights] {
            let grad = fd::vjp(&f, &x, &v, &opts).unwrap();
            let err = (0..n)
                .map(|j| {
                    let want: f64 = (0..n).map(|i| v[i] * exact[i][j]).sum();
                    (grad[j] - want).abs()
                })
                .fold(0.0, f64::max);
            calls += 1;
            if !covered(err, slack) {
                let r = last_report();
                failures.push(format!(
                    "{label} call {step} vjp: error {err:e}, bound {:e}, check {:e}, relearned {}",
                    r.error_bound, r.sparsity_check, r.sparsity_relearned
                ));
            }
        }
        let jac = fd::jacobian(&f, &x, n, &opts).unwrap();
        let err = (0..n * n)
            .map(|k| (jac[k] - exact[k / n][k % n]).abs())
            .fold(0.0, f64::max);
        calls += 1;
        if !covered(err, slack) {
            let r = last_report();
            failures.push(format!(
                "{label} call {step} jacobian: error {err:e}, bound {:e}, check {:e}, relearned {}",
                r.error_bound, r.sparsity_check, r.sparsity_relearned
            ));
        }
    }
    (failures, calls)
}

/// A pattern's size, its half band width, and the entries coupled outside the band.
type Shape = (usize, usize, &'static [(usize, usize)]);

#[test]
fn couplings_lent_to_another_column_are_caught_or_bounded() {
    // (n, band, coupled entries outside the band): inside a column group (lent to the
    // group's column owning the row) and across (no column of k's group owns the row).
    let shapes: &[Shape] = &[
        (2, 0, &[(1, 0), (0, 1)]),
        (6, 0, &[(1, 0), (3, 5)]),
        (12, 1, &[(3, 7), (3, 6), (0, 11), (8, 2)]),
        (12, 2, &[(0, 5), (2, 9), (7, 1), (11, 3)]),
    ];
    let mut failures = Vec::new();
    let mut calls = 0;
    for &(name, s, ds) in BASES {
        for off in [0.0, 1e6] {
            for &(n, band, entries) in shapes {
                for &(row, col) in entries {
                    for c in [1e-6, 1e-4, 1e-3, 1e-2, 0.1, 1.0] {
                        let p = Problem {
                            n,
                            band,
                            off,
                            s,
                            ds,
                            row,
                            col,
                        };
                        let label = format!(
                            "{name} + {off:e}, n={n} band={band}, J[{row}][{col}] += {c:e}"
                        );
                        let (f, k) = run(&p, c, &label);
                        failures.extend(f);
                        calls += k;
                    }
                }
            }
        }
    }
    for f in &failures {
        eprintln!("{f}");
    }
    eprintln!("{} failures in {calls} calls", failures.len());
    assert!(failures.is_empty(), "{} failures", failures.len());
}
