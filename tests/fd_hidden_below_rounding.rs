//! Two findings of an independent probe (1 December) on badly scaled functions, through
//! every entry point:
//!
//! 1. A term of an element's own scale hidden below f's rounding: `K + c / x_j` at a tiny
//!    `x_j` where `c / x_j` is below an ulp of K. The step grows (rounding swamps the
//!    difference) across the pole at 0, where f looks constant, and the value 0 for
//!    `-c / x_j^2` came with a bound of 2.35e12 for an error of 1e18 (13 to 15 such misses
//!    per 1000 random mixed-scale cases). A grown step straddling the element's own scale
//!    now bounds what such a term could hide (`refine/grow.rs`, `hidden_below_rounding`).
//! 2. A bound that overflowed: `2.37e13 + cos(6.63 x)` at x = -1187.7 reported
//!    `error_bound = +inf` with nothing unbounded; an infinite bound is no bound (NaN, the
//!    direction counted unbounded), as the report's contract says.
//!
//! Exact answers: the analytic derivatives. "Honest": `|value - exact| <= bound`, or a NaN
//! bound with some direction unbounded; never an infinite bound.

use crate::common::{honest, Rng};
use fdvjp::fd::{self, last_report, Options};
use fdvjp::tape::{ReduceOp, Tape};

/// f and its gradient at x, through the VJP, the JVP along e_j, the Jacobian and the tape.
fn every_entry(
    what: &str,
    f: impl Fn(&[f64], &mut [f64]) -> Result<(), i32> + Clone + Send + Sync + 'static,
    x: &[f64],
    grad: &[f64],
) {
    let n = x.len();
    let opts = Options::new();
    let g = fd::vjp(&f, x, &[1.0], &opts).unwrap();
    let err = (0..n).map(|j| (g[j] - grad[j]).abs()).fold(0.0, f64::max);
    honest(&format!("{what} vjp"), err, &last_report());
    for j in 0..n {
        let mut u = vec![0.0; n];
        u[j] = 1.0;
        let d = fd::jvp(&f, x, 1, &u, &opts).unwrap()[0];
        honest(
            &format!("{what} jvp e_{j}"),
            (d - grad[j]).abs(),
            &last_report(),
        );
    }
    let jac = fd::jacobian(&f, x, 1, &opts).unwrap();
    let err = (0..n).map(|j| (jac[j] - grad[j]).abs()).fold(0.0, f64::max);
    honest(&format!("{what} jacobian"), err, &last_report());
    let mut t = Tape::new();
    let xv = t.input_slice(x).unwrap();
    let y = t.call(Box::new(f), &[xv], 1, opts).unwrap();
    let s = t.reduce(ReduceOp::Sum, y).unwrap();
    t.backward(s, None).unwrap();
    let g: Vec<f64> = t.grad(xv).unwrap().iter().copied().collect();
    let err = (0..n).map(|j| (g[j] - grad[j]).abs()).fold(0.0, f64::max);
    honest(&format!("{what} tape"), err, &last_report());
}

/// `K + c / x_0 + sin x_1` at random tiny `x_0` (1e-13..1e-6) and offsets K from 0 to
/// 1e31: every entry point honest, whether `c / x_0` shows above K's rounding or not.
#[test]
fn a_pole_hidden_below_the_rounding_is_bounded() {
    let mut rng = Rng::new(41);
    for case in 0..300 {
        let k = if case % 5 == 0 {
            0.0
        } else {
            10f64.powf(31.0 * rng.uniform())
        };
        let c = 10f64.powf(4.0 * rng.uniform() - 2.0) * if case % 2 == 0 { 1.0 } else { -1.0 };
        let x0 = 10f64.powf(-13.0 + 7.0 * rng.uniform()) * if case % 3 == 0 { -1.0 } else { 1.0 };
        let x1 = 0.3 + rng.uniform();
        let f = move |x: &[f64], y: &mut [f64]| {
            y[0] = k + c / x[0] + x[1].sin();
            Ok(())
        };
        let grad = [-c / (x0 * x0), x1.cos()];
        every_entry(&format!("K {k:e} c {c:e} at {x0:e}"), f, &[x0, x1], &grad);
    }
}

/// The probe's cases, named: `1e25 + 1/x` at 1e-9 and `1e31 + 1/x` at 3.76e-12, and the
/// overflowed bound of `2.37e13 + cos(6.63 x)` at -1187.7.
#[test]
fn the_probes_cases() {
    for (k, x0) in [(1e25, 1e-9), (1e31, 3.76e-12), (1e25, 1e-6)] {
        let f = move |x: &[f64], y: &mut [f64]| {
            y[0] = k + 1.0 / x[0];
            Ok(())
        };
        every_entry(
            &format!("{k:e} + 1/x at {x0:e}"),
            f,
            &[x0],
            &[-1.0 / (x0 * x0)],
        );
    }
    let w = 6.627_930_411_345_469;
    let x0 = -1_187.746_946_837_664_6;
    let f = move |x: &[f64], y: &mut [f64]| {
        y[0] = 2.37e13 + (w * x[0]).cos();
        Ok(())
    };
    every_entry("2.37e13 + cos(6.63 x)", f, &[x0], &[-w * (w * x0).sin()]);
}

/// Cos near 0 keeps its value (its grown step's), now with the bound of what a term of
/// x's own scale could hide: `eps |f| / |x|` at most a few times over.
#[test]
fn cos_near_zero_keeps_its_value() {
    for x0 in [1e-9, 1e-7, 3.76e-12] {
        let f = |x: &[f64], y: &mut [f64]| {
            y[0] = x[0].cos();
            Ok(())
        };
        let got = fd::vjp(&f, &[x0], &[1.0], &Options::new()).unwrap()[0];
        let r = last_report();
        assert!((got + x0.sin()).abs() <= 1e-14, "cos at {x0:e}: {got:e}");
        assert!(
            r.error_bound <= 4.0 * f64::EPSILON / x0,
            "cos at {x0:e}: {r:?}"
        );
    }
}

/// A bound scaled or summed past the doubles is no bound: a JVP along u = 1e300 of `1e18
/// cos x` at 0, and along (1e300, 1e300) of `1e15 cos x0 + x1` inside the box [0, 1]²
/// (taken column by column), report NaN with a direction counted (a review, 1 December:
/// +inf with none counted).
#[test]
fn overflowed_jvp_bounds_are_none() {
    let f = |x: &[f64], y: &mut [f64]| {
        y[0] = 1e18 * x[0].cos();
        Ok(())
    };
    fd::jvp(&f, &[0.0], 1, &[1e300], &Options::new()).unwrap();
    honest("1e18 cos x along 1e300", 0.0, &last_report());
    let g = |x: &[f64], y: &mut [f64]| {
        y[0] = 1e15 * x[0].cos() + x[1];
        Ok(())
    };
    let mut opts = Options::new();
    opts.set_bounds(Some((vec![0.0, 0.0], vec![1.0, 1.0])))
        .unwrap();
    let d = fd::jvp(&g, &[0.0, 1.0], 1, &[1e300, 1e300], &opts).unwrap()[0];
    honest("box", (d - 1e300).abs(), &last_report());
}
