//! probe14 finding 4: a domain edge next to x far above typ (`|x| > 1e3`, typ 1) must be
//! covered by the default central drivers' bounds, as the same edge below 1e3 is.
//!
//! f = g(x - L), NaN below L, g in {sqrt, log, 1/t, t log t, asin(1 - t)}, L = ±10^(0..5)
//! (both sides of 1e3), x - L = max(|L|, 1) 10^(-13..-7); the Jacobian, VJP (v random) and
//! JVP (u random) by default central differences, with no bounds and with the bound
//! [L, inf) declared; and `jacobian_estimate` from x - L = 1e-12 |L| up. Each value must
//! lie within the reported bound (the estimate's error) plus `2e-15 |exact|`, or the bound
//! be NaN (counted).
//!
//! Cause: far above typ the direction is refined a priori from the one-sided fall-back at
//! the refinement's steps (r typ = 6e-6), whose levels met the edge again and fell back to
//! one-sided stencils that see f's slope at their own distance from it (log(x - 1001) at
//! 1001 + 1e-6: 2098 for 1e6, bound 4.7e4); the edge scan that below 1e3 finds the edge
//! was skipped. Before the fix (this test, 6,500 cases): 1,598 uncovered (Jacobian 795,
//! VJP 795, JVP 8 of 2,000 each; estimates 0 of 500). A JVP along u = c != 1 has no exact
//! steps for the refinement and stays unbounded (NaN), as before.

use crate::common;

use common::Rng;
use fdvjp::fd::{self, last_report, Options};

const NAMES: [&str; 5] = ["sqrt", "log", "1/t", "t log t", "asin(1 - t)"];

fn g(w: usize, t: f64) -> f64 {
    match w {
        0 => t.sqrt(),
        1 => t.ln(),
        2 => 1.0 / t,
        3 => t * t.ln(),
        _ => (1.0 - t).asin(),
    }
}

fn dg(w: usize, t: f64) -> f64 {
    match w {
        0 => 0.5 / t.sqrt(),
        1 => 1.0 / t,
        2 => -1.0 / (t * t),
        3 => t.ln() + 1.0,
        _ => -1.0 / (t * (2.0 - t)).sqrt(),
    }
}

#[test]
fn a_domain_edge_far_above_typ_is_within_the_bounds() {
    let mut rng = Rng::new(0xed9ef4a7);
    let calls = if cfg!(debug_assertions) { 40 } else { 400 };
    let mut failures = Vec::new();
    let (mut cases, mut unbounded, mut total) = (0usize, 0usize, 0usize);
    for (w, name) in NAMES.iter().enumerate() {
        // Per driver (jacobian, vjp, jvp, estimate): uncovered cases.
        let (mut uncovered, mut nan) = ([0usize; 4], [0usize; 4]);
        for k in 0..calls {
            let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
            let big = sign * 10f64.powf(3.0 + 2.0 * rng.uniform());
            let l = if k % 5 == 4 {
                sign * 10f64.powf(3.0 * rng.uniform())
            } else {
                big
            };
            let with_bound = k % 3 == 0;
            let lowest = if k % 4 == 0 { -12.0 } else { -13.0 };
            let d = l.abs().max(1.0) * 10f64.powf(lowest + (-7.0 - lowest) * rng.uniform());
            let x = [l + d];
            let t = x[0] - l;
            if t <= 0.0 {
                continue;
            }
            let f = |z: &[f64], y: &mut [f64]| -> Result<(), i32> {
                let t = z[0] - l;
                y[0] = if t < 0.0 { f64::NAN } else { g(w, t) };
                Ok(())
            };
            let exact = dg(w, t);
            let mut o = Options::new();
            if with_bound {
                o.set_bounds(Some((vec![l], vec![f64::INFINITY]))).unwrap();
            }
            let c = 0.5 + rng.uniform();
            let drivers = if lowest == -12.0 { 4 } else { 3 };
            for (driver, missed) in uncovered.iter_mut().enumerate().take(drivers) {
                let (got, want, bound) = match driver {
                    0 => (fd::jacobian(&f, &x, 1, &o).unwrap()[0], exact, None),
                    1 => (fd::vjp(&f, &x, &[c], &o).unwrap()[0], c * exact, None),
                    2 => (fd::jvp(&f, &x, 1, &[c], &o).unwrap()[0], c * exact, None),
                    _ => {
                        let e = fd::jacobian_estimate(&f, &x, 1, &o).unwrap();
                        (e.value[0], exact, Some(e.error[0]))
                    }
                };
                let bound = bound.unwrap_or_else(|| last_report().error_bound);
                cases += 1;
                if bound.is_nan() {
                    unbounded += 1;
                    nan[driver] += 1;
                    continue;
                }
                if (got - want).abs() > bound + 2e-15 * want.abs() {
                    *missed += 1;
                    total += 1;
                    if failures.len() < 12 {
                        failures.push(format!(
                            "{name} driver {driver} L = {l:e} x = {:e} (t = {t:e}) bound {with_bound}: {got:e} for {want:e}, bound {bound:e}",
                            x[0]
                        ));
                    }
                }
            }
        }
        println!("{name}: jacobian/vjp/jvp/estimate uncovered {uncovered:?}, NaN {nan:?}");
    }
    println!("{cases} cases, {unbounded} with a NaN bound, {total} uncovered");
    assert!(
        failures.is_empty(),
        "{total} uncovered:\n{}",
        failures.join("\n")
    );
}
