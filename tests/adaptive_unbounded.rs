//! probe13 finding 7: adaptive steps report no bound. The header lists them as unbounded,
//! but a JVP whose scan ended in the fixed-step fall-back (a stencil along u across a
//! pole of a tiny x_j) kept that fall-back's bound: finite, `unbounded` 0, and 7.8 times
//! short. Now every adaptive direction counts as unbounded (`Probe::end_direction`), so
//! every adaptive call's bound is NaN.
//!
//! f: `y0 = sum c0_j log x_j`, `y1 = sum c1_j sqrt x_j`, `y2 = a x0 x1 + b x2 / x3` (the
//! tester's mixed f), x_j log-uniform over 1e-12..1e12 each, random v and u; VJP, JVP,
//! Jacobian, central and forward. On main before this change (a C twin with C's rand): 18 of
//! 1,800 calls had a finite bound.

use crate::common;

use common::Rng;
use fdvjp::fd::{jacobian, jvp, last_report, vjp, Options, Scheme};

const CALLS: usize = 300;

#[test]
fn every_adaptive_call_is_unbounded() {
    let mut rng = Rng::new(0x5eed_1207);
    let mut finite = Vec::new();
    let mut calls = 0;
    for _ in 0..CALLS {
        let x: Vec<f64> = (0..4)
            .map(|_| 10f64.powf(-12.0 + 24.0 * rng.uniform()) * (1.0 + rng.uniform()))
            .collect();
        let c: Vec<f64> = (0..10).map(|_| 2.0 * rng.uniform() - 1.0).collect();
        let f = move |x: &[f64], y: &mut [f64]| {
            y[0] = (0..4).map(|j| c[j] * x[j].ln()).sum();
            y[1] = (0..4).map(|j| c[4 + j] * x[j].sqrt()).sum();
            y[2] = c[8] * x[0] * x[1] + c[9] * x[2] / x[3];
            Ok(())
        };
        let v: Vec<f64> = (0..3).map(|_| 2.0 * rng.uniform() - 1.0).collect();
        let u: Vec<f64> = (0..4).map(|_| 2.0 * rng.uniform() - 1.0).collect();
        for scheme in [Scheme::Central, Scheme::Forward] {
            let mut opts = Options::new();
            opts.set_adaptive(true);
            opts.set_scheme(scheme);
            for name in ["vjp", "jvp", "jacobian"] {
                let result = match name {
                    "vjp" => vjp(&f, &x, &v, &opts).map(|_| ()),
                    "jvp" => jvp(&f, &x, 3, &u, &opts).map(|_| ()),
                    _ => jacobian(&f, &x, 3, &opts).map(|_| ()),
                };
                if result.is_err() {
                    continue;
                }
                calls += 1;
                let r = last_report();
                if !r.error_bound.is_nan() || r.unbounded == 0 {
                    finite.push(format!(
                        "{name} {scheme:?} at {x:?}: bound {:e}, unbounded {}",
                        r.error_bound, r.unbounded
                    ));
                }
            }
        }
    }
    for s in finite.iter().take(10) {
        eprintln!("{s}");
    }
    eprintln!("{} of {calls} adaptive calls with a bound", finite.len());
    assert!(finite.is_empty(), "{} of {calls} calls", finite.len());
}
