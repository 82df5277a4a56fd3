//! Issue 11 (trust9's residue): the default central JVP of sin and cos at |x| from 1e8 to
//! 1e10 is within its reported bound (or the bound is NaN).
//!
//! There the refinement of a direction u moves each element by an exact amount along u'
//! and adds `J w` (`w = u - u'`) from one central difference along w
//! (`src/fd/refine/vector.rs`). Its bound must cover that difference's truncation and
//! the rounding of its moves, relative to J u (not to the aliased plain value), also
//! where the value kept is the plain one; with typ = |x| the refinement is the default's
//! (no middle check at a step that aliases).
//!
//! f: sin or cos per element (diagonal, m = n) and a weighted sum of sin + cos (m = 1);
//! n = 2 or 3; `|x_j|` log-uniform over each decade, random signs; u uniform in
//! [-1, 1]^n; default options (no typical magnitudes), and also `typ = |x|`. An entry
//! passes when its error is at most its bound plus `2e-15 |exact|`, or the bound is NaN.

use crate::common;

use common::Rng;
use fdvjp::fd::{self, last_report, Options};

#[derive(Clone, Copy, Debug)]
enum Kind {
    Sin,
    Cos,
    Sum,
}

/// f at x and its exact JVP along u.
fn eval(kind: Kind, x: &[f64], u: Option<&[f64]>) -> Vec<f64> {
    let w = [0.5, -1.5, 2.0];
    let n = x.len();
    match (kind, u) {
        (Kind::Sin, None) => x.iter().map(|v| v.sin()).collect(),
        (Kind::Cos, None) => x.iter().map(|v| v.cos()).collect(),
        (Kind::Sum, None) => vec![(0..n).map(|c| w[c] * (x[c].sin() + x[c].cos())).sum()],
        (Kind::Sin, Some(u)) => x.iter().zip(u).map(|(v, d)| v.cos() * d).collect(),
        (Kind::Cos, Some(u)) => x.iter().zip(u).map(|(v, d)| -v.sin() * d).collect(),
        (Kind::Sum, Some(u)) => vec![(0..n)
            .map(|c| w[c] * (x[c].cos() - x[c].sin()) * u[c])
            .sum()],
    }
}

#[derive(Default, Debug)]
struct Tally {
    entries: usize,
    uncovered: usize,
    unbounded: usize,
    worst: f64,
}

#[test]
fn default_jvp_of_sin_far_from_zero_is_within_its_bound() {
    let mut rng = Rng::new(0x005e_ed10);
    let mut t = Tally::default();
    let calls = if cfg!(debug_assertions) { 4 } else { 25 };
    for e in 8..=9 {
        let s = 10f64.powi(e);
        for kind in [Kind::Sin, Kind::Cos, Kind::Sum] {
            for n in [2usize, 3] {
                for typed in [false, true] {
                    for _ in 0..calls {
                        let x: Vec<f64> = (0..n)
                            .map(|_| {
                                let sign = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
                                sign * s * 10f64.powf(rng.uniform())
                            })
                            .collect();
                        let u: Vec<f64> = (0..n).map(|_| 2.0 * rng.uniform() - 1.0).collect();
                        let m = eval(kind, &x, None).len();
                        let f = |z: &[f64], y: &mut [f64]| -> Result<(), i32> {
                            y.copy_from_slice(&eval(kind, z, None));
                            Ok(())
                        };
                        let mut o = Options::new();
                        if typed {
                            o.set_typical(Some(x.iter().map(|v| v.abs()).collect()))
                                .unwrap();
                        }
                        let got = fd::jvp(&f, &x, m, &u, &o).unwrap();
                        let bound = last_report().error_bound;
                        let exact = eval(kind, &x, Some(&u));
                        for (g, w) in got.iter().zip(&exact) {
                            t.entries += 1;
                            let err = (g - w).abs();
                            if bound.is_nan() {
                                t.unbounded += 1;
                            } else if err > bound + 2e-15 * w.abs() {
                                t.uncovered += 1;
                                t.worst = t.worst.max(err / bound);
                                if t.uncovered <= 10 {
                                    println!(
                                        "{kind:?} typ {typed} x = {x:?} u = {u:?}: {g:e} for {w:e}, bound {bound:.3e}"
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    println!("{t:?}");
    assert!(
        t.uncovered == 0,
        "{} of {} entries beyond their bound (worst {:.3} bounds; {} unbounded)",
        t.uncovered,
        t.entries,
        t.worst,
        t.unbounded
    );
}
