//! Accuracy of every scheme's default VJP, JVP and Jacobian on the smooth test functions
//! of `common` with one element near 0 (`|x_k|` from 1e-1 down to 1e-10): there the
//! fourth order's plain step `eps^(1/5)` (7.4e-4) exceeds `|x_k|`, the column is refined
//! at x_k's own scale, and a plain value the refined levels could not refute was replaced
//! by one carrying their rounding (a polynomial's column 8e-7 off, exp_log_trig's 2e-6;
//! `fd_accuracy`'s random points met it in about one run of ten).
//!
//! Tolerance: [`common::default_tolerance`], as `fd_accuracy`. The tridiagonal solve's
//! diagonal is kept away from 0 (there the system is singular); its right-hand side goes
//! near 0. 264,000 checks; before the fix 3,116 failed (all but one a central4 column or
//! direction). One is left and asserted as a ratchet ([`KNOWN`]).

use crate::common;

use common::{default_tolerance, jacobian_error, jvp_error, plain, vjp_error, Class, Rng};
use fdvjp::fd::{self, Scheme};

/// Random points per function and scheme.
const POINTS: usize = 2000;

/// Failures left, central (the fourth order's are fixed): a Jacobian of `polynomial` at
/// x_2 = 1.9e-5, 2.62e-9 against the tolerance 2.2e-9. Other draws also met a central JVP
/// of `rational` at x_2 = 2.3e-9 whose refinement at x_2's own scale (steps 1.4e-14) meets
/// f's rounding from a cancellation inside f (f_0 = 3e-5 from terms of 1, 3e4 times
/// `eps |f_0|`); the middle check that would catch it is not taken below
/// `MIDDLE_WITHIN^2 r^2` (3.6e-9): off by 2.5e-4 with a bound of 0.68 (honest, useless).
const KNOWN: usize = 1;

#[test]
fn one_element_near_zero_keeps_the_default_tolerance() {
    let mut failures = Vec::new();
    for scheme in [
        Scheme::Central4,
        Scheme::Central,
        Scheme::Forward,
        Scheme::Backward,
    ] {
        for tf in common::all()
            .into_iter()
            .filter(|t| t.class == Class::Smooth)
        {
            let mut rng = Rng::new(0x5eed_0000 + tf.n as u64);
            let tol = default_tolerance(scheme, tf.class);
            let opts = tf.options(scheme);
            // Elements that may go near 0 (not a tridiagonal diagonal, nor all of a norm).
            let first = if tf.name == "tridiagonal_solve" {
                tf.n / 2
            } else {
                0
            };
            for _ in 0..POINTS {
                let u: Vec<f64> = (0..8).map(|_| rng.uniform()).collect();
                let v: Vec<f64> = (0..tf.m).map(|_| 2.0 * rng.uniform() - 1.0).collect();
                let w: Vec<f64> = (0..8).map(|_| 2.0 * rng.uniform() - 1.0).collect();
                let mut x = tf.sample(&u);
                let k = first + ((tf.n - first) as f64 * rng.uniform()) as usize;
                x[k] = 10f64.powf(-1.0 - 9.0 * rng.uniform()) * (2.0 * rng.uniform() - 1.0);
                if tf.name == "norm" && x.iter().all(|a| a.abs() < 0.1) {
                    continue;
                }
                let want = tf.jacobian(&x);
                let f = plain(&tf);
                let errors = [
                    (
                        "vjp",
                        vjp_error(&tf, &fd::vjp(&f, &x, &v, &opts).unwrap(), &v, &want),
                        v.clone(),
                    ),
                    (
                        "jacobian",
                        jacobian_error(&tf, &fd::jacobian(&f, &x, tf.m, &opts).unwrap(), &want),
                        Vec::new(),
                    ),
                    {
                        let dir = tf.direction(&x, &w);
                        let got = fd::jvp(&f, &x, tf.m, &dir, &opts).unwrap();
                        ("jvp", jvp_error(&tf, &x, &got, &dir, &want), dir)
                    },
                ];
                for (what, err, along) in errors {
                    if err.is_nan() || err > tol {
                        failures.push(format!(
                            "{scheme:?} {what} {} at {x:?} ({along:?}): error {err:e} > {tol:e}",
                            tf.name
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.len() <= KNOWN,
        "{} failures, first: {:#?}",
        failures.len(),
        &failures[..failures.len().min(8)]
    );
}
