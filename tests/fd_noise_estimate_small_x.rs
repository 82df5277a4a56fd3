//! Issue 11 (`fd_refine.rs` regression `cc 2ba41d8d`): the noise estimate does not read
//! f's own variation at an element far below its typical magnitude as noise.
//!
//! Its table moved every element by six plain steps `r typ_j` either way, across an
//! element nearer 0 than that: `0.2 log|x_1|` at `x_1 = 2.9e-12` read as noise of 0.88,
//! and every column took the noise step (a VJP entry 86.49 for 14.37, one -1.0e-11 for
//! -1.2e10, bound 87.5). The estimate runs when at least two directions show second
//! differences far above what the step rule assumes: here `exp(b x_0 / s)` and `log|x_2|`
//! at `x_0, x_2` near s in 0.01..0.05.
//!
//! f: `y_0 = a exp(b x_0 / s)`, `y_1 = 0.2 + c log|x_1| + d log|x_2|`, `y_2 = x_3^2`;
//! `|x_1|` log-uniform over 1e-13..1e-3, random signs; VJP with random v. Every entry
//! within `1e-6` of its size, and within the bound (or the bound NaN).

use crate::common;

use common::Rng;
use fdvjp::fd::{self, last_report, Options};

#[test]
fn elements_near_zero_do_not_make_a_smooth_f_noisy() {
    let mut rng = Rng::new(0x2ba4);
    let (mut entries, mut wrong, mut uncovered, mut noisy) = (0, 0, 0, 0);
    for _ in 0..400 {
        let s = 0.01 * 5f64.powf(rng.uniform());
        let (a, b) = (0.2 + rng.uniform(), 0.2 + 0.8 * rng.uniform());
        let (c, d) = (0.1 + rng.uniform(), 0.1 + rng.uniform());
        let sign = |g: &mut Rng| if g.uniform() < 0.5 { -1.0 } else { 1.0 };
        let x = [
            s * (0.5 + rng.uniform()),
            sign(&mut rng) * 1e-13 * 1e10f64.powf(rng.uniform()),
            sign(&mut rng) * s * (0.5 + rng.uniform()),
            0.25 + rng.uniform(),
        ];
        let v: Vec<f64> = (0..3).map(|_| 2.0 * rng.uniform() - 1.0).collect();
        let f = |z: &[f64], y: &mut [f64]| -> Result<(), i32> {
            y[0] = a * (b * z[0] / s).exp();
            y[1] = 0.2 + c * z[1].abs().ln() + d * z[2].abs().ln();
            y[2] = z[3] * z[3];
            Ok(())
        };
        let exact = [
            v[0] * a * b / s * (b * x[0] / s).exp(),
            v[1] * c / x[1],
            v[1] * d / x[2],
            v[2] * 2.0 * x[3],
        ];
        let got = fd::vjp(&f, &x, &v, &Options::new()).unwrap();
        let report = last_report();
        noisy += usize::from(report.refined_noise > 0);
        for j in 0..4 {
            entries += 1;
            let err = (got[j] - exact[j]).abs();
            if err > 1e-6 * exact[j].abs() {
                wrong += 1;
                if wrong <= 10 {
                    println!("x = {x:?}: entry {j} {} for {}", got[j], exact[j]);
                }
            }
            let bound = report.error_bound;
            if !bound.is_nan() && err > bound + 2e-15 * exact[j].abs() {
                uncovered += 1;
            }
        }
    }
    println!(
        "{entries} entries: {wrong} wrong, {uncovered} uncovered; {noisy} calls at the noise step"
    );
    assert_eq!((wrong, uncovered), (0, 0));
}
