//! A declared sparsity pattern with bounds at a domain edge (issue 11, items 1 and 4;
//! the independent tester's probe9 2.2): log and sqrt near 0 (x at 1e-12..1e-6), asin
//! near +-1 (at 1e-12..1e-6 of it), diagonal and tridiagonal Jacobians, random boxes as
//! the tester drew them (some with x on a bound, some `[0, inf)`, some straddling the
//! edge). A column group whose columns' own stencils meet a NaN falls back to one shared
//! stencil; that stencil's one-sided value at a step far above the distance to the edge
//! came with its own bound (log tridiagonal at 1e-12: -1.3e8 for -1.9e12, bound 2.2e8).
//!
//! Every central VJP must succeed and cover each entry: `|error| <= bound + 2e-15
//! |exact|` with the report's bound, or the bound NaN with directions counted unbounded.
//! asin at `1 - 1e-12` on its box's lower bound, whose edge lies nearer than every step
//! the fall-back tried, was an error (34 of 432 calls before `edge_deep.rs`).
//! References: the analytic Jacobians.

use crate::common;

use common::Rng;
use fdvjp::fd::{self, Options, Sparsity};

/// A function of one variable, its derivative, and a point at distance-scale `s` of its
/// edge from two uniforms.
struct Family {
    name: &'static str,
    g: fn(f64) -> f64,
    dg: fn(f64) -> f64,
    point: fn(f64, f64, f64) -> f64,
}

/// `1 - x^2` as `(1 - x)(1 + x)`: exact near +-1.
fn gap(x: f64) -> f64 {
    (1.0 - x) * (1.0 + x)
}

fn families() -> [Family; 3] {
    [
        Family {
            name: "log",
            g: f64::ln,
            dg: |x| 1.0 / x,
            point: |s, a, _| s * (0.5 + 1.5 * a),
        },
        Family {
            name: "sqrt",
            g: f64::sqrt,
            dg: |x| 0.5 / x.sqrt(),
            point: |s, a, _| s * (0.5 + 1.5 * a),
        },
        Family {
            name: "asin",
            g: f64::asin,
            dg: |x| 1.0 / gap(x).sqrt(),
            point: |s, a, b| {
                let x = 1.0 - s * (0.5 + 1.5 * a);
                if b < 0.5 {
                    x
                } else {
                    -x
                }
            },
        },
    ]
}

/// `y_i = g(x_i)` (diagonal) or `g(x_i) + (g(x_{i-1}) + g(x_{i+1})) / 2` (tridiagonal).
fn apply(g: fn(f64) -> f64, tri: bool, x: &[f64], y: &mut [f64]) {
    let n = x.len();
    for i in 0..n {
        let mut s = g(x[i]);
        if tri && i > 0 {
            s += 0.5 * g(x[i - 1]);
        }
        if tri && i + 1 < n {
            s += 0.5 * g(x[i + 1]);
        }
        y[i] = s;
    }
}

/// The pattern's (rows, cols), and `v^T J` exactly (J from `dg`).
fn pattern_and_vjp(dg: fn(f64) -> f64, tri: bool, x: &[f64], v: &[f64]) -> (Sparsity, Vec<f64>) {
    let n = x.len();
    let (mut rows, mut cols) = (Vec::new(), Vec::new());
    let mut want = vec![0.0; n];
    for (i, &vi) in v.iter().enumerate() {
        for j in i.saturating_sub(1)..(i + 2).min(n) {
            if !tri && j != i {
                continue;
            }
            rows.push(i);
            cols.push(j);
            let w = if j == i { 1.0 } else { 0.5 };
            want[j] += vi * w * dg(x[j]);
        }
    }
    (Sparsity::new(&rows, &cols).unwrap(), want)
}

/// The tester's boxes: `[x - a, x + b]` with a, b up to 2.01 times the plain step, one of
/// them 0 (x on a bound) three times in ten; near 0, `[0, inf)` half of the time.
fn boxes(rng: &mut Rng, x: &[f64], at_zero: bool) -> (Vec<f64>, Vec<f64>) {
    let (mut lo, mut hi) = (Vec::new(), Vec::new());
    for &xj in x {
        let h = 6e-6 * xj.abs().max(1.0);
        let mut a = h * (0.01 + 2.0 * rng.uniform());
        let mut b = h * (0.01 + 2.0 * rng.uniform());
        if rng.uniform() < 0.3 {
            a = 0.0;
        } else if rng.uniform() < 0.3 {
            b = 0.0;
        }
        let (mut l, mut u) = (xj - a, xj + b);
        if l == u {
            u = xj + h;
        }
        if at_zero && rng.uniform() < 0.5 {
            (l, u) = (0.0, f64::INFINITY);
        }
        lo.push(l);
        hi.push(u);
    }
    (lo, hi)
}

#[test]
fn sparse_vjp_in_boxes_at_a_domain_edge_is_covered() {
    let mut rng = Rng::new(27);
    let (mut calls, mut errors, mut uncovered) = (0, 0, Vec::new());
    for fam in families() {
        for tri in [false, true] {
            for s in [1e-12, 1e-10, 1e-8, 1e-6] {
                for n in [3, 8, 20] {
                    for _ in 0..6 {
                        let x: Vec<f64> = (0..n)
                            .map(|_| (fam.point)(s, rng.uniform(), rng.uniform()))
                            .collect();
                        let v: Vec<f64> = (0..n).map(|_| 2.0 * rng.uniform() - 1.0).collect();
                        let (lo, hi) = boxes(&mut rng, &x, fam.name != "asin");
                        let (pattern, want) = pattern_and_vjp(fam.dg, tri, &x, &v);
                        let mut o = Options::new();
                        o.set_bounds(Some((lo, hi))).unwrap();
                        o.set_sparsity(Some(pattern));
                        let g = fam.g;
                        let f = move |x: &[f64], y: &mut [f64]| -> Result<(), i32> {
                            apply(g, tri, x, y);
                            Ok(())
                        };
                        calls += 1;
                        let got = match fd::vjp(&f, &x, &v, &o) {
                            Ok(got) => got,
                            Err(e) => {
                                errors += 1;
                                eprintln!("{} tri={tri} s={s:e} n={n}: {e}", fam.name);
                                continue;
                            }
                        };
                        let report = fd::last_report();
                        let bound = report.error_bound;
                        for j in 0..n {
                            let err = (got[j] - want[j]).abs();
                            let covered = if bound.is_nan() {
                                report.unbounded > 0
                            } else {
                                err <= bound + 2e-15 * want[j].abs()
                            };
                            if !covered {
                                uncovered.push(format!(
                                    "{} {} s={s:e} n={n} [{j}]: {:e} for {:e} (bound {bound:e}, \
                                     {} evaluations)",
                                    fam.name,
                                    if tri { "tri" } else { "diag" },
                                    got[j],
                                    want[j],
                                    report.evaluations
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    for u in &uncovered {
        eprintln!("{u}");
    }
    eprintln!(
        "{calls} calls, {errors} errors, {} uncovered entries",
        uncovered.len()
    );
    assert!(
        uncovered.is_empty() && errors == 0,
        "{} uncovered entries, {errors} errors",
        uncovered.len()
    );
}

/// x far below typ on its box's upper bound, the box reaching below 0 where log and
/// sqrt are NaN (probe9 2.3): every one-sided stencil from the plain step down to
/// `t0 / 1e6` meets the NaN, but one at x's own scale fits inside the box and the
/// domain. Dense VJP and JVP, n = 1, 3, 8, every element so: each call must succeed and
/// cover its entries.
#[test]
fn on_an_upper_bound_near_zero_is_answered() {
    let mut rng = Rng::new(23);
    let (mut calls, mut failures) = (0, Vec::new());
    for fam in &families()[..2] {
        for s in [1e-12, 1e-11, 1e-10, 1e-9, 1e-8] {
            for n in [1, 3, 8] {
                for _ in 0..4 {
                    let x: Vec<f64> = (0..n).map(|_| (fam.point)(s, rng.uniform(), 0.0)).collect();
                    let lo: Vec<f64> = (0..n)
                        .map(|_| -6e-6 * (0.01 + 2.0 * rng.uniform()))
                        .collect();
                    let v: Vec<f64> = (0..n).map(|_| 2.0 * rng.uniform() - 1.0).collect();
                    let (_, want) = pattern_and_vjp(fam.dg, false, &x, &v);
                    let mut o = Options::new();
                    o.set_bounds(Some((lo, x.clone()))).unwrap();
                    let g = fam.g;
                    let f = move |x: &[f64], y: &mut [f64]| -> Result<(), i32> {
                        apply(g, false, x, y);
                        Ok(())
                    };
                    // The diagonal J: J^T v and J v have the same entries.
                    for what in ["vjp", "jvp"] {
                        calls += 1;
                        let got = if what == "vjp" {
                            fd::vjp(&f, &x, &v, &o)
                        } else {
                            fd::jvp(&f, &x, n, &v, &o)
                        };
                        let got = match got {
                            Ok(got) => got,
                            Err(e) => {
                                failures.push(format!("{} {what} s={s:e} n={n}: {e}", fam.name));
                                continue;
                            }
                        };
                        let report = fd::last_report();
                        let bound = report.error_bound;
                        for (j, (&g, &w)) in got.iter().zip(&want).enumerate() {
                            let err = (g - w).abs();
                            let covered = if bound.is_nan() {
                                report.unbounded > 0
                            } else {
                                err <= bound + 2e-15 * w.abs()
                            };
                            if !covered {
                                failures.push(format!(
                                    "{} {what} s={s:e} n={n} [{j}]: {g:e} for {w:e} (bound {bound:e})",
                                    fam.name
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    for f in &failures {
        eprintln!("{f}");
    }
    assert!(
        failures.is_empty(),
        "{} failures in {calls} calls",
        failures.len()
    );
}
