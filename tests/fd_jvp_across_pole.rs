//! probe13 finding 5: a JVP whose direction moves a tiny x_k across a pole or a kink of f
//! (the plain step along u moves x_k by far more than |x_k|) while f holds a much larger
//! smooth term must not keep a value without that feature's term under a finite bound.
//!
//! f = a x0 x1 + b g(x2, x3) with g in {x2 / x3, 1 / x3, log |x3|, cbrt x3}, x0, x1 in
//! 1e-2..1e6 and x2, x3 in 1e-12..1e-2 (typ 1), u random in [-1, 1]^4, a = 0 on a quarter
//! of the calls. `fdvjp_jvp` at the default steps, every scheme: J u must lie within the
//! reported bound plus `4e-15 Σ_j |J_j u_j|`, or the bound be NaN (counted).
//!
//! Before the fix (central): 1000 + x2/x3 at x3 = 6e-11 moved by 5e-6 read the huge
//! a x0 x1 as rounding, grew the step and kept J u without the pole's term: 5.7e5 for
//! -3.0e10 with a bound of 307. Here, on main: 33 of 1,600 central calls uncovered.

use crate::common;

use common::Rng;
use fdvjp::fd::{self, last_report, Options, Scheme};

const NAMES: [&str; 4] = ["x2/x3", "1/x3", "log|x3|", "cbrt x3"];

fn g(w: usize, x2: f64, x3: f64) -> f64 {
    match w {
        0 => x2 / x3,
        1 => 1.0 / x3,
        2 => x3.abs().ln(),
        _ => x3.cbrt(),
    }
}

/// (dg/dx2, dg/dx3).
fn dg(w: usize, x2: f64, x3: f64) -> (f64, f64) {
    match w {
        0 => (1.0 / x3, -x2 / (x3 * x3)),
        1 => (0.0, -1.0 / (x3 * x3)),
        2 => (0.0, 1.0 / x3),
        _ => (0.0, 1.0 / (3.0 * x3.cbrt() * x3.cbrt())),
    }
}

#[test]
fn jvp_across_a_pole_of_a_tiny_element_is_within_its_bound() {
    let calls = if cfg!(debug_assertions) { 40 } else { 400 };
    let mut failures = Vec::new();
    for scheme in [
        Scheme::Central,
        Scheme::Forward,
        Scheme::Backward,
        Scheme::Central4,
    ] {
        let mut rng = Rng::new(0x9013_5a1e);
        let (mut total, mut unbounded) = (0usize, 0usize);
        for (w, name) in NAMES.iter().enumerate() {
            let mut missed = 0usize;
            let mut worst = 0.0f64;
            for k in 0..calls {
                let mut x = [0.0; 4];
                for (j, xj) in x.iter_mut().enumerate() {
                    let (lo, span) = if j < 2 { (-2.0, 8.0) } else { (-12.0, 10.0) };
                    *xj = 10f64.powf(lo + span * rng.uniform()) * (1.0 + rng.uniform());
                }
                let u: Vec<f64> = (0..4).map(|_| 2.0 * rng.uniform() - 1.0).collect();
                let a = if k % 4 == 0 {
                    0.0
                } else {
                    2.0 * rng.uniform() - 1.0
                };
                let b = 2.0 * rng.uniform() - 1.0;
                let f = |z: &[f64], y: &mut [f64]| -> Result<(), i32> {
                    y[0] = a * z[0] * z[1] + b * g(w, z[2], z[3]);
                    Ok(())
                };
                let (g2, g3) = dg(w, x[2], x[3]);
                let terms = [
                    a * x[1] * u[0],
                    a * x[0] * u[1],
                    b * g2 * u[2],
                    b * g3 * u[3],
                ];
                let want: f64 = terms.iter().sum();
                let scale: f64 = terms.iter().map(|t| t.abs()).sum();
                let mut o = Options::new();
                o.set_scheme(scheme);
                let got = match fd::jvp(&f, &x, 1, &u, &o) {
                    Ok(got) => got[0],
                    Err(_) => continue,
                };
                total += 1;
                let bound = last_report().error_bound;
                if bound.is_nan() {
                    unbounded += 1;
                    continue;
                }
                let ratio = (got - want).abs() / (bound + 4e-15 * scale);
                if ratio > 1.0 {
                    missed += 1;
                    worst = worst.max(ratio);
                    if failures.len() < 12 {
                        failures.push(format!(
                            "{scheme:?} {name}: x = {x:?} u = {u:?} a = {a} b = {b}: {got} for {want}, bound {bound:e}"
                        ));
                    }
                }
            }
            println!("{scheme:?} {name}: {missed} of {calls} uncovered (worst {worst:.3})");
            if missed > 0 {
                failures.push(format!("{scheme:?} {name}: {missed} of {calls} uncovered"));
            }
        }
        println!("{scheme:?}: {total} calls, {unbounded} with a NaN bound");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
