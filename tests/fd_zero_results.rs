//! Results that are exactly zero say so the same way everywhere (probe13 finding 14).
//!
//! - A JVP along u = 0 is `J 0 = 0`: every JVP driver (plain, estimate, complex step)
//!   returns +0 in every entry with a report of bound 0, no direction and no unbounded one,
//!   after f(x) alone. Before, the plain JVP reported a NaN bound, the complex step a step
//!   along u (bound 4.9e-304, one direction, two evaluations).
//! - A tape's sum (and dot) of an empty array is +0, as `1 / sum` must then be +inf;
//!   `Iterator::sum` starts at -0.0.

use crate::common;

use common::Rng;
use fdvjp::fd::{self, last_report, Complex64, Options, Scheme};
use fdvjp::tape::{ReduceOp, Tape};
use std::cell::Cell;

#[test]
fn a_jvp_along_zero_is_an_exact_zero_from_every_driver() {
    let mut rng = Rng::new(0x2e70_0014);
    let mut wrong = Vec::new();
    let mut checked = 0;
    for case in 0..200 {
        let n = 1 + (rng.uniform() * 6.0) as usize;
        let m = 1 + (rng.uniform() * 4.0) as usize;
        let x: Vec<f64> = (0..n)
            .map(|_| (2.0 * rng.uniform() - 1.0) * 10f64.powf(-12.0 + 24.0 * rng.uniform()))
            .collect();
        // +0 and -0 entries: both are a zero direction.
        let u: Vec<f64> = (0..n)
            .map(|j| if (case + j) % 3 == 0 { -0.0 } else { 0.0 })
            .collect();
        let calls = Cell::new(0usize);
        let f = |x: &[f64], y: &mut [f64]| {
            calls.set(calls.get() + 1);
            for (i, yi) in y.iter_mut().enumerate() {
                *yi = x.iter().map(|v| (v * (1.0 + i as f64)).sin()).sum::<f64>() + 3.0;
            }
            Ok(())
        };
        let g = |z: &[Complex64], w: &mut [Complex64]| {
            calls.set(calls.get() + 1);
            for (i, wi) in w.iter_mut().enumerate() {
                *wi = z
                    .iter()
                    .map(|&v| (v * (1.0 + i as f64)).sin())
                    .sum::<Complex64>()
                    + 3.0;
            }
            Ok(())
        };
        let mut o = Options::new();
        o.set_scheme(common::SCHEMES[case % 4]);
        o.set_adaptive(case % 5 == 0 && o.scheme() != Scheme::Central4);
        for driver in ["jvp", "jvp_estimate", "jvp_complex_step"] {
            calls.set(0);
            let got = match driver {
                "jvp" => fd::jvp(&f, &x, m, &u, &o),
                "jvp_estimate" => fd::jvp_estimate(&f, &x, m, &u, &o).map(|e| {
                    let mut v = e.value;
                    v.extend(e.error);
                    v
                }),
                _ => fd::jvp_complex_step(&g, &x, m, &u, &o),
            };
            let r = last_report();
            checked += 1;
            let exact = got
                .as_ref()
                .is_ok_and(|v| v.iter().all(|e| e.to_bits() == 0));
            if !exact
                || r.error_bound.to_bits() != 0
                || r.directions != 0
                || r.unbounded != 0
                || !r.completed
                || r.evaluations != 1
                || calls.get() != 1
            {
                wrong.push(format!(
                    "case {case} {driver} n {n} m {m}: {got:?}, bound {:e}, directions {}, \
                     unbounded {}, evaluations {} (f called {})",
                    r.error_bound,
                    r.directions,
                    r.unbounded,
                    r.evaluations,
                    calls.get()
                ));
            }
        }
    }
    for w in wrong.iter().take(12) {
        eprintln!("{w}");
    }
    eprintln!("{} of {checked} wrong", wrong.len());
    assert!(wrong.is_empty(), "{} of {checked} wrong", wrong.len());
}

#[test]
fn an_empty_sum_on_the_tape_is_plus_zero() {
    let mut rng = Rng::new(0x5e70);
    for k in 0..50 {
        let mut t = Tape::new();
        let len = if k < 10 {
            0
        } else {
            (rng.uniform() * 8.0) as usize
        };
        let x: Vec<f64> = (0..len).map(|_| 2.0 * rng.uniform() - 1.0).collect();
        let a = t.input_slice(&x).unwrap();
        let s = t.reduce(ReduceOp::Sum, a).unwrap();
        let d = t.dot(a, a).unwrap();
        let (sum, dot) = (t.data(s).unwrap()[0], t.data(d).unwrap()[0]);
        if len == 0 {
            assert_eq!(
                (sum.to_bits(), dot.to_bits()),
                (0, 0),
                "sum {sum:?}, dot {dot:?}"
            );
        } else {
            // Non-empty sums: the plain sum, bit for bit.
            assert_eq!(sum.to_bits(), x.iter().sum::<f64>().to_bits());
            let want: f64 = x.iter().map(|v| v * v).sum();
            assert_eq!(dot.to_bits(), want.to_bits());
        }
    }
}
