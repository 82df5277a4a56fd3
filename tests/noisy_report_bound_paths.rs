//! Issue 16, "say it", beyond the dense column loop: the report's `error_bound` of the
//! default (nothing declared) counts the noise a JVP's direction, a sparse Jacobian's
//! column groups and a learned pattern's passes may hide, as `tests/noisy_report_bound.rs`
//! checks for the dense VJP and Jacobian (`src/fd/noise.rs`, `widen_bound`).
//!
//! Reference: exact derivatives of the smooth parts (forward mode for the sum of sines,
//! closed form for the tridiagonal map); the bound of an exact function under
//! `NoiseMode::Off`. Figures are printed with `--nocapture`.

use crate::common;

use common::exact::Exact;
use common::noisy;
use common::Rng;
use fdvjp::fd::{self, last_report, NoiseMode, Options, Sparsity};

/// Noise levels where the dense VJP's bound covers hash noise at every random point (below
/// 3.2e-11 it does not: the README's "Noisy functions").
const LEVELS: [f64; 6] = [3.2e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6];

/// Deterministic noise in [-1, 1) for output `i` of `x` (as `noisy::hash`, one draw per
/// output).
fn hash_i(x: &[f64], i: usize) -> f64 {
    common::noisy::hash_output(0x1234_5678_9abc_def0, x, i)
}

/// `y_i = 2 + 0.5 sin(x_i + 0.3 i) + 0.3 sin(x_(i+1)) + 0.2 cos(x_(i-1)) + ε hash_i(x)`.
fn tridiagonal(x: &[f64], y: &mut [f64], eps: f64) {
    let n = x.len();
    for i in 0..n {
        let mut v = 2.0 + 0.5 * (x[i] + 0.3 * i as f64).sin();
        if i + 1 < n {
            v += 0.3 * x[i + 1].sin();
        }
        if i > 0 {
            v += 0.2 * x[i - 1].cos();
        }
        y[i] = v + eps * hash_i(x, i);
    }
}

/// The exact Jacobian of [`tridiagonal`]'s smooth part, row-major.
fn tridiagonal_jacobian(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut j = vec![0.0; n * n];
    for i in 0..n {
        j[i * n + i] = 0.5 * (x[i] + 0.3 * i as f64).cos();
        if i + 1 < n {
            j[i * n + i + 1] = 0.3 * x[i + 1].cos();
        }
        if i > 0 {
            j[i * n + i - 1] = -0.2 * x[i - 1].sin();
        }
    }
    j
}

fn tridiagonal_pattern(n: usize) -> Sparsity {
    let (mut rows, mut cols) = (Vec::new(), Vec::new());
    for i in 0..n {
        for k in i.saturating_sub(1)..(i + 2).min(n) {
            rows.push(i);
            cols.push(k);
        }
    }
    Sparsity::new(&rows, &cols).unwrap()
}

/// A JVP along a random direction of hash noise of 3.2e-11..1e-6 on the sum of n sines
/// (n = 8, 20, 50), 20 random points each: the bound covers the error at all but a few
/// points. One direction's single second difference can hide its own noise (a draw where
/// `u(x+t) + u(x-t) - 2 u(x)` is small next to `u(x+t) - u(x-t)`), so the share counted
/// is 16 `|D2| / t` from `r^2 M / 8` on (`noise::few`), and coverage is a rate: measured
/// 5 uncovered of 360 (1.4%), at most 2 of 20 in a cell. Before, JVPs counted no unseen
/// noise at all: 8 to 19 of 20 uncovered in every cell, by up to 1.5e6.
///
/// A NaN bound counts as uncovered here. Since the vector's second difference is checked at
/// half the step where it looks like noise with none known (`refine/lone.rs`), noise whose
/// two second differences look like a feature's (equal, or one vanishing) has no bound:
/// 17 of 360 uncovered or NaN, of them 12 NaN.
#[test]
fn jvp_bound_covers_hash_noise_at_most_points() {
    let mut rng = Rng::new(1623);
    let (mut uncovered, mut total, mut nan) = (0, 0, 0);
    for n in [8, 20, 50] {
        for eps in LEVELS {
            let g = |x: &[f64], y: &mut [f64]| {
                y[0] = noisy::hash_noisy(x, eps);
                Ok(())
            };
            let mut cell = 0;
            for _ in 0..20 {
                let x: Vec<f64> = rng.uniforms(n).into_iter().map(|u| 2.0 * u - 1.0).collect();
                let u: Vec<f64> = rng.uniforms(n).into_iter().map(|u| 2.0 * u - 1.0).collect();
                let want: f64 = noisy::gradient(noisy::smooth_sum, &x)
                    .iter()
                    .zip(&u)
                    .map(|(a, b)| a * b)
                    .sum();
                let got = fd::jvp(&g, &x, 1, &u, &Options::new()).unwrap();
                let bound = last_report().error_bound;
                let covered = (got[0] - want).abs() <= bound;
                cell += usize::from(!covered);
                nan += usize::from(bound.is_nan());
            }
            println!("jvp n {n:2} eps {eps:.1e}: uncovered at {cell}/20");
            assert!(
                cell <= 4,
                "n {n}, eps {eps:e}: uncovered at {cell} of 20 points"
            );
            uncovered += cell;
            total += 20;
        }
    }
    println!("jvp: uncovered at {uncovered} of {total}, {nan} of them NaN");
    assert!(
        20 * uncovered <= total,
        "uncovered at {uncovered} of {total}"
    );
}

/// The same with many outputs: `y_i = sin(a_i . x) + ε hash_i(x)`, m = 1, 3, 10, 100, n = 8,
/// hash noise 1e-9..1e-6 (where the vector's check runs: its second differences look like
/// noise), 30 random points each. A failed check decides output by output whether the
/// second differences vary as noise (`refine/lone.rs`, `varies_as_noise`): decided on
/// their sums over the outputs, which come out nearly equal for many noisy outputs, it
/// took the bound of 4, 16 and 30 of 120 calls at m = 1, 3 and 10 (and, simulated, 78% at
/// m = 100). Measured now: 4, 9, 0 and 0 of 120 NaN at m = 1, 3, 10, 100; of the finite
/// bounds 1, 0, 0, 0 short.
#[test]
fn jvp_bounds_of_many_noisy_outputs_stay() {
    let mut rng = Rng::new(1624);
    let n = 8;
    for m in [1usize, 3, 10, 100] {
        let a: Vec<f64> = rng
            .uniforms(n * m)
            .into_iter()
            .map(|u| 2.0 * u - 1.0)
            .collect();
        let (mut nan, mut uncovered, mut calls) = (0, 0, 0);
        for eps in [1e-9, 1e-8, 1e-7, 1e-6] {
            let g = |x: &[f64], y: &mut [f64]| {
                for i in 0..m {
                    let z: f64 = (0..n).map(|j| a[i * n + j] * x[j]).sum();
                    y[i] = z.sin() + eps * noisy::hash_output(0x5eed, x, i);
                }
                Ok(())
            };
            for _ in 0..30 {
                let x: Vec<f64> = rng.uniforms(n).into_iter().map(|u| 2.0 * u - 1.0).collect();
                let u: Vec<f64> = rng.uniforms(n).into_iter().map(|u| 2.0 * u - 1.0).collect();
                let got = fd::jvp(&g, &x, m, &u, &Options::new()).unwrap();
                let bound = last_report().error_bound;
                calls += 1;
                if bound.is_nan() {
                    nan += 1;
                    continue;
                }
                let out = (0..m).any(|i| {
                    let z: f64 = (0..n).map(|j| a[i * n + j] * x[j]).sum();
                    let want = z.cos() * (0..n).map(|j| a[i * n + j] * u[j]).sum::<f64>();
                    (got[i] - want).abs() > bound
                });
                uncovered += usize::from(out);
            }
        }
        println!("jvp m {m:3}: {nan} of {calls} NaN, {uncovered} uncovered");
        assert!(5 * nan <= calls, "m {m}: {nan} of {calls} bounds NaN");
        assert!(
            20 * uncovered <= calls,
            "m {m}: {uncovered} of {calls} uncovered"
        );
    }
}

/// A sparse Jacobian (a declared tridiagonal pattern, 3 column groups) and the same with
/// the pattern learned (`Options::set_learned_sparsity`) of a tridiagonal map with hash
/// noise per output of 3.2e-11..1e-6, n = 8, 20, 50, 20 random points each: every entry
/// within the bound at every point. Their column groups run through the column loop, whose
/// bound counted unseen noise before this test was written; what changed is the share for
/// a single direction (`noise::few`) and the own-scale check's test of variation
/// (`refine/own_scale.rs`, `varies_at`): before, at n = 50 and ε = 1e-10, a column at
/// `x_j = 0.006` was refined into the noise, an entry 4.0e-3 off against a bound of
/// 3.2e-3 (the plain step's error: 1.7e-5). Since column groups are checked at half the
/// step where their second difference looks like noise with none found (`refine/lone.rs`),
/// a call whose noise neither the trigger nor the estimate after a failed check accepted
/// has no bound: 2 of 720 (n = 50, ε = 1e-7 and 1e-6, declared pattern), at most 1%.
#[test]
fn sparse_and_learned_bounds_cover_hash_noise() {
    let mut rng = Rng::new(1627);
    let (mut nan, mut calls) = (0, 0);
    for n in [8, 20, 50] {
        for eps in LEVELS {
            let g = |x: &[f64], y: &mut [f64]| {
                tridiagonal(x, y, eps);
                Ok(())
            };
            let mut worst = 0.0f64;
            for _ in 0..20 {
                let x: Vec<f64> = rng.uniforms(n).into_iter().map(|u| 2.0 * u - 1.0).collect();
                let want = tridiagonal_jacobian(&x);
                let mut sparse = Options::new();
                sparse.set_sparsity(Some(tridiagonal_pattern(n)));
                let mut learned = Options::new();
                learned.set_learned_sparsity(tridiagonal_pattern(n), n, n);
                for (name, opts) in [("sparse", &sparse), ("learned", &learned)] {
                    let got = fd::jacobian(&g, &x, n, opts).unwrap();
                    let bound = last_report().error_bound;
                    calls += 1;
                    if bound.is_nan() {
                        nan += 1;
                        continue;
                    }
                    let err = noisy::max_error(&got, &want);
                    worst = worst.max(err / bound);
                    assert!(
                        err <= bound,
                        "{name}, n {n}, eps {eps:e}: error {err:e} > bound {bound:e} at {x:?}"
                    );
                }
            }
            println!("sparse/learned n {n:2} eps {eps:.1e}: largest error / bound {worst:.2}");
        }
    }
    println!("sparse/learned: {nan} of {calls} bounds NaN");
    assert!(100 * nan <= calls, "{nan} of {calls} bounds NaN");
}

/// The exact families of `tests/noisy_report_bound.rs` along random directions (JVP): the
/// default's bound is at least the exact-function bound (`NoiseMode::Off`) and at most
/// `1e7` times it, with the same values. Measured: widened at 98% of each family (1178 of
/// 1,200 sums of sines), by up to 3.0e6: a JVP's one second difference cannot tell noise
/// from curvature, and counts `16 |D2| / t` once it reaches `r^2 M / 8` (`noise::few`),
/// a first-order bound where the exact-function bound is second order.
#[test]
fn exact_jvp_bounds_widen_by_a_stated_factor() {
    let mut rng = Rng::new(1629);
    let mut off = Options::new();
    off.set_noise_mode(NoiseMode::Off);
    let (mut widened, mut largest) = ([0usize; 4], 0.0f64);
    for k in 0..2400 {
        let kind = if k < 1200 { 0 } else { 1 + k % 3 };
        let (f, x) = Exact::draw(&mut rng, kind);
        let u: Vec<f64> = (0..f.n).map(|_| 2.0 * rng.uniform() - 1.0).collect();
        let g = |x: &[f64], y: &mut [f64]| {
            f.eval(x, y);
            Ok(())
        };
        let plain = fd::jvp(&g, &x, f.m, &u, &off).unwrap();
        let exact = last_report().error_bound;
        let got = fd::jvp(&g, &x, f.m, &u, &Options::new()).unwrap();
        let bound = last_report().error_bound;
        assert_eq!(plain, got, "values bit for bit");
        assert!(
            bound >= exact && bound <= 1e7 * exact,
            "kind {kind}, n {}: bound {bound:e}, exact-function bound {exact:e}",
            f.n
        );
        if bound > exact {
            widened[kind] += 1;
            largest = largest.max(bound / exact);
        }
    }
    println!("jvp bounds widened: sines {}/1200, cubics {}/400, exp {}/400, log {}/400; by up to {largest:.1e}", widened[0], widened[1], widened[2], widened[3]);
}
