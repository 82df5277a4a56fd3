//! Issue 11 (probe14 finding 1): forward and backward differences at elements far below
//! their typical magnitude (`x_j` in 1e-13..1e-3, typ 1) under a constant (`c + Σ w_j
//! g(x_j)`, |c| in 1e2..1e6), where f's rounding swamps the plain difference.
//!
//! The grown one-sided levels (typ/16 down to typ/256) see g's power law far above x_j
//! and do not converge; the plain stencil's second difference (g's curvature on x_j's own
//! scale) read as noise lent them a noise-based bound: 1e5 + sqrt x at 1e-13, forward,
//! 24.1 for 1.6e6 with a bound of 30. Every entry must now lie within the reported bound
//! (a NaN bound is honest and counted apart).
//!
//! On main (8510c2a) this test found 66 of 3,240 calls uncovered (forward sqrt 28, forward
//! cbrt 16, backward cbrt 22; worst 6.7e5 times the bound). Most calls have a NaN bound
//! (2,782: the one-sided JVPs, and levels that do not converge), counted apart.
//!
//! Functions g: sqrt, cbrt, x log x; n = 1..4 (the first element tiny, the others in
//! 0.1..1); forward and backward; VJP, JVP and Jacobian, with and without bounds
//! `[0, inf)`.

use crate::common;

use common::Rng;
use fdvjp::fd::{Options, Scheme};

const NAMES: [&str; 3] = ["sqrt", "cbrt", "x log x"];

fn g(w: usize, x: f64) -> f64 {
    match w {
        0 => x.sqrt(),
        1 => x.cbrt(),
        _ => x * x.ln(),
    }
}

fn dg(w: usize, x: f64) -> f64 {
    match w {
        0 => 0.5 / x.sqrt(),
        1 => 1.0 / (3.0 * x.cbrt() * x.cbrt()),
        _ => x.ln() + 1.0,
    }
}

#[test]
fn one_sided_small_elements_under_a_constant_are_within_their_bound() {
    let mut rng = Rng::new(0xf0d13);
    let mut failures = Vec::new();
    let (mut cases, mut unbounded, mut total) = (0usize, 0usize, 0usize);
    let mut worst = 0.0f64;
    for scheme in [Scheme::Forward, Scheme::Backward] {
        for (w, name) in NAMES.iter().enumerate() {
            let mut uncovered = 0;
            for k in 0..180 {
                let n = 1 + k % 4;
                let x: Vec<f64> = (0..n)
                    .map(|j| {
                        if j == 0 {
                            10f64.powf(-13.0 + 10.0 * rng.uniform())
                        } else {
                            0.1 + 0.9 * rng.uniform()
                        }
                    })
                    .collect();
                let s = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
                let c = s * 10f64.powf(2.0 + 4.0 * rng.uniform());
                let wts: Vec<f64> = (0..n).map(|_| 0.5 + rng.uniform()).collect();
                let f = |z: &[f64], y: &mut [f64]| -> Result<(), i32> {
                    y[0] = c + z.iter().zip(&wts).map(|(&z, a)| a * g(w, z)).sum::<f64>();
                    Ok(())
                };
                let exact: Vec<f64> = (0..n).map(|j| wts[j] * dg(w, x[j])).collect();
                let mut o = Options::new();
                o.set_scheme(scheme);
                if k % 2 == 1 {
                    o.set_bounds(Some((vec![0.0; n], vec![f64::INFINITY; n])))
                        .unwrap();
                }
                let u: Vec<f64> = (0..n).map(|_| rng.uniform() - 0.5).collect();
                for driver in 0..3 {
                    let a = common::scalar_driver(driver, &f, &x, &exact, &u, &o);
                    cases += 1;
                    if a.bound.is_nan() {
                        unbounded += 1;
                        continue;
                    }
                    let ratio = a.ratio();
                    if ratio > 1.0 {
                        uncovered += 1;
                        worst = worst.max(ratio);
                        if failures.len() < 12 {
                            failures.push(format!(
                                "{scheme:?} {name} driver {driver} c = {c:e} x = {x:?}: \
                                 {:?} for {:?}, bound {:e}",
                                a.got, a.want, a.bound
                            ));
                        }
                    }
                }
            }
            println!("{scheme:?} {name}: {uncovered} of 540 uncovered");
            total += uncovered;
        }
    }
    println!("{cases} calls, {unbounded} with a NaN bound, {total} uncovered, worst {worst:e}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `e softplus(z)`, z = x / e, and its derivative (the logistic function).
fn softplus(e: f64, x: f64) -> (f64, f64) {
    let z = x / e;
    let v = if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    };
    (e * v, 1.0 / (1.0 + (-z).exp()))
}

/// A smoothed kink under a constant (probe14 finding 1, `steep.c`): `c + e softplus(x_0 /
/// e)` plus well-scaled terms, x_0 = e U(-4, 4), e in 1e-9..1e-6, c in 1..1e3; forward
/// and backward, VJP and Jacobian. The grown levels (typ/16 and below) see `c + x + h`,
/// f(x) off it by a step of about e: read as noise at x, the levels' value (the slope far
/// from the kink) was kept with a noise-based bound (e = 1e-9: 0.99999996 for 0.93,
/// bound 1.3e-7). On main (8510c2a): 358 of 1,440 calls uncovered, worst 6.8e6 times
/// the bound; 960 have a NaN bound.
#[test]
fn a_smoothed_kink_far_below_typ_is_within_its_bound() {
    let mut rng = Rng::new(0x50f7);
    let mut failures = Vec::new();
    let (mut cases, mut unbounded, mut uncovered) = (0usize, 0usize, 0usize);
    let mut worst = 0.0f64;
    for scheme in [Scheme::Forward, Scheme::Backward] {
        for k in 0..360 {
            let n = 1 + k % 3;
            let e = 10f64.powf(-9.0 + 3.0 * rng.uniform());
            let c = 10f64.powf(3.0 * rng.uniform());
            let x: Vec<f64> = (0..n)
                .map(|j| {
                    if j == 0 {
                        e * (8.0 * rng.uniform() - 4.0)
                    } else {
                        0.1 + 0.9 * rng.uniform()
                    }
                })
                .collect();
            let f = |z: &[f64], y: &mut [f64]| -> Result<(), i32> {
                y[0] = c + softplus(e, z[0]).0 + z[1..].iter().map(|v| v.sin()).sum::<f64>();
                Ok(())
            };
            let exact: Vec<f64> = (0..n)
                .map(|j| {
                    if j == 0 {
                        softplus(e, x[0]).1
                    } else {
                        x[j].cos()
                    }
                })
                .collect();
            let mut o = Options::new();
            o.set_scheme(scheme);
            for driver in [0, 2] {
                let a = common::scalar_driver(driver, &f, &x, &exact, &[], &o);
                cases += 1;
                if a.bound.is_nan() {
                    unbounded += 1;
                    continue;
                }
                let ratio = a.ratio();
                if ratio > 1.0 {
                    uncovered += 1;
                    worst = worst.max(ratio);
                    if failures.len() < 12 {
                        failures.push(format!(
                            "{scheme:?} driver {driver} e = {e:e} c = {c:e} x = {x:?}: \
                             {:?} for {exact:?}, bound {:e}",
                            a.got, a.bound
                        ));
                    }
                }
            }
        }
    }
    println!("{cases} calls, {unbounded} with a NaN bound, {uncovered} uncovered, worst {worst:e}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
