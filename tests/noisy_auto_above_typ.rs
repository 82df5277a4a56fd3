//! The default's noise step above typ (stop 32's lost auto32; probe18 finding 7): where the
//! call's own second differences trigger a noise estimate (`NoiseMode::Auto`), every column
//! is done again at its noise step `c r max(|x_j|, typ_j)`, which for `4 typ_j < |x_j| <= 1e3
//! typ_j` assumes f varies on |x_j| and steps over whole periods of an f varying on typ_j.
//! The declared and estimate modes check such a step at typ_j's scale
//! (`src/fd/refine/noise_step.rs`); the default now does too.
//!
//! Property: f: R^n -> R^3 (n = 4..12), `y0 = sum a_j sin x_j`, `y1 = sum b_j x_j^2 / 1000`,
//! `y2 = sum cos(x_j / 10)`, x_j = ±10^U(0.6, 3) (typ 1), computed in double plus hash noise
//! ε = 1e-9..1e-5, or computed in float32 (its rounding the noise); the dense VJP (random v)
//! and the Jacobian: every entry within its bound plus 4e-15 of its terms (a NaN bound is
//! counted apart), and where the noise was estimated, at most `2(2n+1) + 12 + 2k`
//! evaluations, k the columns in that range (the check's 2 each).
//!
//! Main (4f163fc), 200 calls of each kind, each a Jacobian and a VJP: double + noise 6
//! VJPs and 2 Jacobians uncovered, 161 of the 400 results without a bound; float32 59 and
//! 8, 185 without a bound. Now none uncovered, within the budget, and few NaN bounds
//! (asserted: at most 5 per 100 calls; double + noise 8 of 400 results, see below).

use crate::common;

use common::Rng;
use fdvjp::fd::{self, last_report, NoiseSource, Options};

/// The black box: double with hash noise `eps`, or float32 when `eps` is 0.
fn black_box(x: &[f64], y: &mut [f64], a: &[f64], b: &[f64], eps: f64) {
    let (mut s0, mut s1, mut s2) = (0.0, 0.0, 0.0);
    if eps == 0.0 {
        let (mut f0, mut f1, mut f2) = (0.0f32, 0.0f32, 0.0f32);
        for j in 0..x.len() {
            let xf = x[j] as f32;
            f0 += a[j] as f32 * xf.sin();
            f1 += b[j] as f32 * xf * xf / 1000.0;
            f2 += (xf / 10.0).cos();
        }
        (s0, s1, s2) = (f0 as f64, f1 as f64, f2 as f64);
    } else {
        for j in 0..x.len() {
            s0 += a[j] * x[j].sin();
            s1 += b[j] * x[j] * x[j] / 1000.0;
            s2 += (x[j] / 10.0).cos();
        }
    }
    for (i, s) in [s0, s1, s2].into_iter().enumerate() {
        y[i] = s + eps * common::noisy::hash_output(0x3c6e_f372_fe94_f82b, x, i);
    }
}

/// The exact Jacobian (row-major, 3 × n) of the smooth part, and its terms' magnitudes.
fn exact(x: &[f64], a: &[f64], b: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut jac = vec![0.0; 3 * n];
    for j in 0..n {
        jac[j] = a[j] * x[j].cos();
        jac[n + j] = b[j] * x[j] / 500.0;
        jac[2 * n + j] = -(x[j] / 10.0).sin() / 10.0;
    }
    jac
}

#[test]
fn the_default_checks_its_noise_steps_above_typ() {
    let mut rng = Rng::new(0xa54f_f53a_5f1d_36f1);
    let names = ["double + noise", "float32"];
    let calls = 200;
    let mut failures = Vec::new();
    for (kind, name) in names.iter().enumerate() {
        let (mut vjp_out, mut jac_out, mut unbounded, mut over) = (0, 0, 0, 0);
        for _ in 0..calls {
            let n = 4 + (rng.uniform() * 9.0) as usize;
            let x: Vec<f64> = (0..n)
                .map(|_| {
                    let s = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
                    s * 10f64.powf(0.6 + 2.4 * rng.uniform())
                })
                .collect();
            let a: Vec<f64> = (0..n).map(|_| 0.5 + rng.uniform()).collect();
            let b: Vec<f64> = (0..n).map(|_| 0.5 + rng.uniform()).collect();
            let v: Vec<f64> = (0..3).map(|_| 2.0 * rng.uniform() - 1.0).collect();
            let eps = if kind == 0 {
                10f64.powf(-9.0 + 4.0 * rng.uniform())
            } else {
                0.0
            };
            let f = |z: &[f64], y: &mut [f64]| -> Result<(), i32> {
                black_box(z, y, &a, &b, eps);
                Ok(())
            };
            let jac = exact(&x, &a, &b);
            let k = x.iter().filter(|xj| xj.abs() <= 1e3).count();
            let budget = 2 * (2 * n + 1) + 12 + 2 * k;
            let o = Options::new();
            // The Jacobian, entry by entry.
            let got = fd::jacobian(&f, &x, 3, &o).unwrap();
            let r = last_report();
            if r.noise_source == NoiseSource::Estimated && r.evaluations > budget {
                over += 1;
            }
            if r.error_bound.is_nan() {
                unbounded += 1;
            } else if let Some(e) =
                (0..3 * n).find(|&e| (got[e] - jac[e]).abs() > r.error_bound + 4e-15 * jac[e].abs())
            {
                jac_out += 1;
                if failures.len() < 6 {
                    failures.push(format!(
                        "{name} Jacobian entry {e}: {} for {}, bound {:e}, x {x:?}",
                        got[e], jac[e], r.error_bound
                    ));
                }
            }
            // The VJP.
            let got = fd::vjp(&f, &x, &v, &o).unwrap();
            let r = last_report();
            if r.noise_source == NoiseSource::Estimated && r.evaluations > budget {
                over += 1;
            }
            if r.error_bound.is_nan() {
                unbounded += 1;
                continue;
            }
            for j in 0..n {
                let (want, terms) = (0..3).fold((0.0, 0.0), |(s, t), i| {
                    let term = v[i] * jac[i * n + j];
                    (s + term, t + term.abs())
                });
                if (got[j] - want).abs() > r.error_bound + 4e-15 * terms {
                    vjp_out += 1;
                    if failures.len() < 6 {
                        failures.push(format!(
                            "{name} VJP entry {j}: {} for {want}, bound {:e}, x {x:?}",
                            got[j], r.error_bound
                        ));
                    }
                    break;
                }
            }
        }
        println!(
            "{name}: uncovered VJPs {vjp_out}, Jacobians {jac_out} of {calls}; \
             {unbounded} NaN bounds; {over} over the evaluation budget"
        );
        assert_eq!((vjp_out, jac_out, over), (0, 0, 0), "{name}: {failures:#?}");
        // Noise that shows in too few columns for the trigger: those columns' check at half
        // the step (`refine/lone.rs`) cannot tell it from a feature below the step, and
        // takes their bound away (8 of 400 results for double + noise).
        assert!(
            unbounded <= 5 * calls / 100,
            "{name}: {unbounded} NaN bounds"
        );
    }
}
