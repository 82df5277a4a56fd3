//! Issue 11: a direction moving an element far below its typical magnitude
//! (`0 < |x_j| < typ_j / 100`) that nothing else made suspect is checked at x_j's own
//! scale (`src/fd/refine/own_scale.rs`).
//!
//! The case: f varying on x_j's own scale s at an inflection point, `sin(x / s)` at
//! `x = k π s`, where the plain stencil's second difference vanishes and no a-posteriori
//! test fires. Before, the plain step `r typ_j` left `(t / s)^2 / 6` of f' (6e-4 at
//! s = 1e-4) with an error bound near 0 and `FDVJP_OK`. Now every entry is within 1e-7 of
//! its exact value (relative to the size of its terms), or within the reported bound;
//! through the VJP, the JVP, the dense and the sparse Jacobian, and with forward and
//! backward differences. A function varying on the typical scale at small x keeps its
//! plain value bit for bit, for exactly 2 more evaluations per column.

use crate::common;

use fdvjp::fd::{self, last_report, Options, Scheme, Sparsity};
use proptest::prelude::*;
use std::cell::Cell;
use std::f64::consts::PI;

/// The relative tolerance of the goal.
const GOAL: f64 = 1e-7;

/// One column's term `sin(x / s)` with `x = sign k π s` (an inflection point: the value
/// is 0 to rounding, f'' too), `|x|` log-uniform in [1e-7, 8.9e-3], k in 1..=3 (so s from
/// 1e-8 to 2.8e-3). At `|x_j| >= typ_j / 100` nothing is checked (well-scaled columns keep
/// the plain rule's count): there `s = |x| / π` leaves up to 6e-7 (README, "Step rule").
#[derive(Debug, Clone, Copy)]
struct Term {
    s: f64,
}

impl Term {
    fn g(self, x: f64) -> f64 {
        (x / self.s).sin()
    }
    fn dg(self, x: f64) -> f64 {
        (x / self.s).cos() / self.s
    }
}

/// `n` columns: their terms, the point, and coefficients `a[i][j]` for `m` outputs
/// (`y_i = sum_j a_ij g_j(x_j)`), and a vector of n entries (a JVP's direction).
type Case = (Vec<Term>, Vec<f64>, Vec<Vec<f64>>, Vec<f64>);

fn case(m: usize) -> impl Strategy<Value = Case> {
    prop::collection::vec(
        (
            -7.0..-2.05f64,
            1..=3i32,
            any::<bool>(),
            prop::collection::vec(0.3..3.0f64, m),
            0.1..1.0f64,
            any::<bool>(),
        ),
        1..8,
    )
    .prop_map(move |cols| {
        let (mut terms, mut x, mut u) = (Vec::new(), Vec::new(), Vec::new());
        let mut a = vec![Vec::new(); m];
        for (e, k, neg, coef, uj, uneg) in cols {
            let xj = 10f64.powf(e);
            let s = xj / (f64::from(k) * PI);
            terms.push(Term { s });
            x.push(if neg { -xj } else { xj });
            for (ai, c) in a.iter_mut().zip(coef) {
                ai.push(c);
            }
            u.push(if uneg { -uj } else { uj });
        }
        (terms, x, a, u)
    })
}

fn eval(terms: &[Term], a: &[Vec<f64>], x: &[f64], y: &mut [f64]) {
    for (yi, ai) in y.iter_mut().zip(a) {
        *yi = terms
            .iter()
            .zip(x)
            .zip(ai)
            .map(|((t, &xj), c)| c * t.g(xj))
            .sum();
    }
}

/// `J_ij` of [`eval`].
fn entry(terms: &[Term], a: &[Vec<f64>], x: &[f64], i: usize, j: usize) -> f64 {
    a[i][j] * terms[j].dg(x[j])
}

/// An entry with error `err` against a value of size `size` meets the goal, or the
/// report's bound covers it.
fn caught(err: f64, size: f64, bound: f64) -> bool {
    err <= GOAL * size || err <= bound
}

/// Jacobian entry (i, j) of `jac` (n columns) meets the goal against `exact` or is flagged.
fn entry_caught(
    jac: &[f64],
    n: usize,
    (i, j): (usize, usize),
    exact: f64,
    x: &[f64],
    bound: f64,
) -> Result<(), TestCaseError> {
    let got = jac[i * n + j];
    let err = (got - exact).abs();
    prop_assert!(
        caught(err, exact.abs(), bound),
        "J[{i}][{j}] at x = {:e}: {got} vs {exact} (relative error {:e}, bound {bound:e})",
        x[j],
        err / exact.abs()
    );
    Ok(())
}

fn options(scheme: Scheme) -> Options {
    let mut o = Options::new();
    o.set_scheme(scheme);
    o
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// VJP (m = 2, v in [-1, 1]) with central, forward and backward differences.
    #[test]
    fn vjp_entries_meet_the_goal_or_are_flagged((terms, x, a, _) in case(2), v0 in -1.0..1.0f64) {
        let v = [v0, 0.7];
        let f = |x: &[f64], y: &mut [f64]| {
            eval(&terms, &a, x, y);
            Ok(())
        };
        for scheme in [Scheme::Central, Scheme::Forward, Scheme::Backward] {
            let grad = fd::vjp(&f, &x, &v, &options(scheme)).unwrap();
            let bound = last_report().error_bound;
            for j in 0..x.len() {
                let exact: f64 = (0..2).map(|i| v[i] * entry(&terms, &a, &x, i, j)).sum();
                let size: f64 = (0..2).map(|i| (v[i] * entry(&terms, &a, &x, i, j)).abs()).sum();
                let err = (grad[j] - exact).abs();
                prop_assert!(
                    caught(err, size, bound),
                    "{scheme:?} x[{j}] = {:e}, s = {:e}: {} vs {exact} (error {:e}, bound {bound:e})",
                    x[j], terms[j].s, grad[j], err / size
                );
            }
        }
    }

    /// JVP along u (|u_j| in [0.1, 1]), against `sum_j J_ij u_j`, relative to the size of
    /// its terms.
    #[test]
    fn jvp_meets_the_goal_or_is_flagged((terms, x, a, u) in case(2)) {
        let f = |x: &[f64], y: &mut [f64]| {
            eval(&terms, &a, x, y);
            Ok(())
        };
        let got = fd::jvp(&f, &x, 2, &u, &Options::new()).unwrap();
        let bound = last_report().error_bound;
        for (i, &gi) in got.iter().enumerate() {
            let exact: f64 = (0..x.len()).map(|j| entry(&terms, &a, &x, i, j) * u[j]).sum();
            let size: f64 = (0..x.len()).map(|j| (entry(&terms, &a, &x, i, j) * u[j]).abs()).sum();
            let err = (gi - exact).abs();
            prop_assert!(
                caught(err, size, bound),
                "output {i}: {gi} vs {exact} (relative error {:e}, bound {bound:e}), x = {x:?}",
                err / size
            );
        }
    }

    /// Dense Jacobian, entry by entry.
    #[test]
    fn jacobian_entries_meet_the_goal_or_are_flagged((terms, x, a, _) in case(2)) {
        let f = |x: &[f64], y: &mut [f64]| {
            eval(&terms, &a, x, y);
            Ok(())
        };
        let n = x.len();
        let jac = fd::jacobian(&f, &x, 2, &Options::new()).unwrap();
        let bound = last_report().error_bound;
        for i in 0..2 {
            for j in 0..n {
                entry_caught(&jac, n, (i, j), entry(&terms, &a, &x, i, j), &x, bound)?;
            }
        }
    }

    /// Sparse Jacobian of a bidiagonal f (`y_i = a_i g_i(x_i) + b_i g_{i+1}(x_{i+1})`,
    /// two column groups), entry by entry.
    #[test]
    fn sparse_entries_meet_the_goal_or_are_flagged((terms, x, a, _) in case(2)) {
        let n = x.len();
        let f = |x: &[f64], y: &mut [f64]| {
            for i in 0..n {
                y[i] = a[0][i] * terms[i].g(x[i]);
                if i + 1 < n {
                    y[i] += a[1][i + 1] * terms[i + 1].g(x[i + 1]);
                }
            }
            Ok(())
        };
        let (rows, cols) = common::upper_bidiagonal(n);
        let mut opts = Options::new();
        opts.set_sparsity(Some(Sparsity::new(&rows, &cols).unwrap()));
        let jac = fd::jacobian(&f, &x, n, &opts).unwrap();
        let bound = last_report().error_bound;
        for (&i, &j) in rows.iter().zip(&cols) {
            let exact = a[usize::from(j > i)][j] * terms[j].dg(x[j]);
            entry_caught(&jac, n, (i, j), exact, &x, bound)?;
        }
    }
}

/// `sin(x / s)` with `s = 1e-4` at its inflection points `x = k π s`: before, 6e-4 relative
/// with a bound of 5e-14 relative; now within 1e-7, for 2 + 2 extra evaluations (the check
/// and the refinement's second level; 2 more where the refinement confirms).
#[test]
fn sin_on_its_own_scale_at_inflection_points() {
    let s = 1e-4;
    for k in 1..=3 {
        let x = [f64::from(k) * PI * s];
        let count = Cell::new(0usize);
        let f = |x: &[f64], y: &mut [f64]| {
            count.set(count.get() + 1);
            y[0] = (x[0] / s).sin();
            Ok(())
        };
        let g = fd::vjp(&f, &x, &[1.0], &Options::new()).unwrap()[0];
        let want = (x[0] / s).cos() / s;
        let err = ((g - want) / want).abs();
        let report = last_report();
        println!("k = {k}: error {err:.1e}, {} evaluations", count.get());
        assert!(
            err <= GOAL,
            "k = {k}: {g} vs {want} (relative error {err:e})"
        );
        assert_eq!(report.refined_large, 1);
        assert!(report.error_bound >= (g - want).abs());
    }
}

/// A function on the typical scale at small x (sums of sines and cosines at 1e-3..5e-3):
/// the check agrees with the plain value, which is kept bit for bit (the plain rule
/// reproduced by setting its relative step explicitly), for exactly 2 more evaluations
/// per column, and the bound covers the error.
#[test]
fn small_x_on_the_typical_scale_keeps_its_plain_value() {
    let x = [1e-3, -2.5e-3, 5e-3];
    let count = Cell::new(0usize);
    let f = |x: &[f64], y: &mut [f64]| {
        count.set(count.get() + 1);
        y[0] = x
            .iter()
            .enumerate()
            .map(|(j, v)| (v + j as f64).sin())
            .sum();
        y[1] = x.iter().map(|v| (2.0 * v).cos()).sum();
        Ok(())
    };
    let v = [0.7, -1.3];
    let got = fd::vjp(&f, &x, &v, &Options::new()).unwrap();
    assert_eq!(count.get(), 1 + 4 * x.len());
    let report = last_report();
    assert_eq!(report.refined_large, 0);
    let mut plain = Options::new();
    plain.set_relative_step(Some(f64::EPSILON.cbrt())).unwrap();
    let want = fd::vjp(&f, &x, &v, &plain).unwrap();
    for j in 0..x.len() {
        assert_eq!(got[j].to_bits(), want[j].to_bits(), "column {j}");
        let exact = v[0] * (x[j] + j as f64).cos() - v[1] * 2.0 * (2.0 * x[j]).sin();
        assert!((got[j] - exact).abs() <= report.error_bound, "column {j}");
    }
}
