//! Issue 16 goal "the call's own evidence triggers a noise estimate" for functions of a
//! few variables: the noise trigger wants two directions, and a quarter of them, with
//! large second differences, and noise may leave one of few small. The others' checks at
//! half the step (`src/fd/refine/lone.rs`) then fail, the noise estimated along the first
//! of them explains them, and the call is done again at its noise step.
//!
//! Exact derivatives of the smooth part for reference; deterministic hash noise (the same
//! x gives the same value, as with a solver). Figures with `--nocapture`.

use crate::common;

use common::noisy::{hash_output, max_error};
use common::Rng;
use fdvjp::fd::{self, last_report, Options};

/// Noise levels where the plain step loses more than 1e-6 relative on these functions
/// (the "ε ≳ 1e-9": at 1e-9 the second differences rarely reach the check).
const LEVELS: [f64; 3] = [1e-8, 1e-7, 1e-6];

/// VJPs of `y = Σ_j sin(a_j x_j) + ε h(x)` at n = 2, 3, 4 (m = 1), 100 random points per
/// level: where noise left one direction's second difference small, the trigger (two
/// directions, and a quarter, with large ones) declined, the others' checks at half the
/// step failed, the noise explained them, and their values stayed at the plain step, `ε /
/// t` off with a widened bound. Now the call is done again at the noise step. Measured,
/// same draws, before / now: noise step at 89 / 95, 99 / 100 and 97 / 98 calls of 100 at
/// ε = 1e-8 (n = 2, 3, 4), unchanged at 1e-7 and 1e-6 (97-100); the others have no bound
/// (4 at n = 2: a trigger's estimate that a direction refuted) but for one plain step
/// whose bound is 1.1 times short (n = 4, ε = 1e-8, before and now); one call over the
/// budget 2(2n + 1) + 12 (n = 3, ε = 1e-8, before and now).
#[test]
fn few_directions_take_the_noise_step() {
    let mut rng = Rng::new(1631);
    for n in [2usize, 3, 4] {
        for eps in LEVELS {
            let (mut noise_step, mut near_best, mut uncovered, mut over) = (0, 0, 0, 0);
            let mut nan = 0;
            let calls = 100;
            for _ in 0..calls {
                let a: Vec<f64> = rng.uniforms(n).into_iter().map(|u| 0.5 + u).collect();
                let x: Vec<f64> = rng.uniforms(n).into_iter().map(|u| 2.0 * u - 1.0).collect();
                let f = |x: &[f64], y: &mut [f64]| {
                    let s: f64 = a.iter().zip(x).map(|(a, x)| (a * x).sin()).sum();
                    y[0] = s + eps * hash_output(0x5eed_0002, x, 0);
                    Ok(())
                };
                let want: Vec<f64> = a.iter().zip(&x).map(|(a, x)| a * (a * x).cos()).collect();
                let got = fd::vjp(&f, &x, &[1.0], &Options::new()).unwrap();
                let report = last_report();
                let error = max_error(&got, &want);
                if report.refined_noise > 0 {
                    noise_step += 1;
                    near_best += usize::from(error <= 10.0 * eps.powf(2.0 / 3.0));
                }
                nan += usize::from(report.error_bound.is_nan());
                uncovered += usize::from(error > report.error_bound);
                over += usize::from(report.evaluations > 2 * (2 * n + 1) + 12);
            }
            println!(
                "n {n} eps {eps:.0e}: noise step {noise_step} of {calls}, near eps^(2/3) \
                 {near_best}, NaN {nan}, uncovered {uncovered}, over the budget {over}"
            );
            assert!(100 * noise_step >= 90 * calls, "n {n} eps {eps:e}");
            assert_eq!(near_best, noise_step, "n {n} eps {eps:e}");
            assert!(uncovered <= 1, "n {n} eps {eps:e}");
            assert!(over <= 2, "n {n} eps {eps:e}");
        }
    }
}

/// The bound at the default's noise step (the trigger's, n = 2..8) of functions that vary
/// faster than the step rule assumes: `y = Σ_j sin(a_j x_j) + ε h(x)`, `a_j` in 0.5..4.5,
/// 200 random points per cell. The truncation floor (`refine::floor_step`) is f's variation
/// on a quarter of the rule's scale over the step taken; at a noise step `c t` it was taken
/// over t, `c^2` times too small, and where the stencil sees no f'' (near an inflection
/// point of a sine) the bound missed the truncation f''' makes. Measured, same draws,
/// before / now: 54 / 9 of 2,400 bounds short, the worst by 3.61 / 2.92 times; at
/// ε >= 1e-7, 29 / 0. The 9 left (ε = 1e-8, n = 2..5) are noted in the closing note of
/// issue 16.
#[test]
fn noise_step_bounds_of_faster_functions() {
    let mut rng = Rng::new(99);
    let mut total = 0;
    for n in [2usize, 3, 5, 8] {
        for eps in LEVELS {
            let (mut uncovered, mut worst) = (0, 0.0f64);
            for _ in 0..200 {
                let a: Vec<f64> = rng.uniforms(n).into_iter().map(|u| 0.5 + 4.0 * u).collect();
                let x: Vec<f64> = rng.uniforms(n).into_iter().map(|u| 2.0 * u - 1.0).collect();
                let f = |x: &[f64], y: &mut [f64]| {
                    let s: f64 = a.iter().zip(x).map(|(a, x)| (a * x).sin()).sum();
                    y[0] = s + eps * hash_output(0x5eed_0003, x, 0);
                    Ok(())
                };
                let want: Vec<f64> = a.iter().zip(&x).map(|(a, x)| a * (a * x).cos()).collect();
                let got = fd::vjp(&f, &x, &[1.0], &Options::new()).unwrap();
                let r = last_report();
                let e = max_error(&got, &want);
                if e > r.error_bound {
                    uncovered += 1;
                    worst = worst.max(e / r.error_bound);
                }
            }
            println!("n {n} eps {eps:.0e}: uncovered {uncovered} of 200, worst {worst:.2}");
            if eps >= 1e-7 {
                assert_eq!(uncovered, 0, "n {n} eps {eps:e}");
            }
            total += uncovered;
        }
    }
    assert!(total <= 9, "{total} of 2,400 uncovered");
}
