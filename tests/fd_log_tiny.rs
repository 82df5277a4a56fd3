//! Probe8 finding 8: the default central derivative of `log` (and of a sum of logs) at
//! `0 < x_j < 5.6e-301`, where the stencil's left point is not finite.
//!
//! There the fall-back compares A (the central stencil at x_j's own scale `e = r x_j`)
//! with B (the one-sided difference at the plain step `r`) within A's rounding
//! `eps |f| / e`, which overflows once `e < |f| / DBL_MAX`; B was then kept on an infinite
//! tolerance: at `DBL_MIN`, 172443907.5 for 4.49e307 with a bound of 1.15e8. A is kept
//! now (its bound is infinite: its rounding scale overflows, which the report says).
//!
//! x_j log-uniform over 1e-307.5..1e-295 (and n = 3 sums of logs with weights): every
//! result within 1e-6 relative of the exact gradient and within its bound.

use crate::common;

use common::Rng;
use fdvjp::fd::{self, last_report, Options};

#[test]
fn log_below_1e_300_is_right_and_within_its_bound() {
    let mut rng = Rng::new(0x8);
    let (mut wrong, mut uncovered, mut cases) = (0, 0, 0);
    for n in [1usize, 3] {
        for _ in 0..200 {
            let x: Vec<f64> = (0..n)
                .map(|_| 10f64.powf(-307.5 + 12.5 * rng.uniform()))
                .collect();
            let c: Vec<f64> = (0..n).map(|_| 0.5 + rng.uniform()).collect();
            let f = |z: &[f64], y: &mut [f64]| -> Result<(), i32> {
                y[0] = z.iter().zip(&c).map(|(z, c)| c * z.ln()).sum();
                Ok(())
            };
            let got = fd::vjp(&f, &x, &[1.0], &Options::new()).unwrap();
            let bound = last_report().error_bound;
            for j in 0..n {
                cases += 1;
                let exact = c[j] / x[j];
                let err = (got[j] - exact).abs();
                if err > 1e-6 * exact {
                    wrong += 1;
                    if wrong <= 5 {
                        println!(
                            "x = {:e}: {:e} for {exact:e}, bound {bound:e}",
                            x[j], got[j]
                        );
                    }
                }
                if err > bound {
                    uncovered += 1;
                }
            }
        }
    }
    assert!(
        wrong == 0 && uncovered == 0,
        "{wrong} of {cases} entries off by more than 1e-6, {uncovered} beyond their bound"
    );
}
