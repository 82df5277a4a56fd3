//! The table of the README's "Step rule" section: errors and evaluation counts of the
//! default VJP on badly scaled functions (the "Noisy functions" table is
//! `benches/noisy_table.rs`).
//!
//! `cargo run --release --example steps_table`

use fdvjp::fd::{self, last_report, Options, Scheme};
use std::cell::Cell;

type Scalar = fn(f64) -> f64;

const N: usize = 40;

/// SplitMix64 uniforms in [0, 1).
fn uniforms(seed: u64, len: usize) -> Vec<f64> {
    let mut s = seed;
    (0..len)
        .map(|_| {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) as f64 / 2f64.powi(64)
        })
        .collect()
}

fn badly_scaled() {
    let cases: &[(&str, Scalar, Scalar, f64, f64)] = &[
        ("log, 1e-9..1e-6", f64::ln, |x| 1.0 / x, 1e-9, 1e-6),
        ("log, 1e-6..1e-5", f64::ln, |x| 1.0 / x, 1e-6, 1e-5),
        (
            "sqrt, 1e-9..1e-6",
            f64::sqrt,
            |x| 0.5 / x.sqrt(),
            1e-9,
            1e-6,
        ),
        ("1/x, 1e-4", |x| 1.0 / x, |x| -1.0 / (x * x), 0.5e-4, 2e-4),
        (
            "exp(1e6 x), 1e-7",
            |x| (1e6 * x).exp(),
            |x| 1e6 * (1e6 * x).exp(),
            0.5e-7,
            2e-7,
        ),
        ("sin, 1e4..1e7", f64::sin, f64::cos, 1e4, 1e7),
        ("cos, 1e-7..1e-6", f64::cos, |x| -x.sin(), 1e-7, 1e-6),
    ];
    println!("| function (sum of {N}) | scheme | plain rule: max rel. error (evaluations) | default: max rel. error (evaluations) | refined columns | extra evaluations per refined column |");
    println!("|---|---|---|---|---|---|");
    for scheme in [Scheme::Central, Scheme::Forward, Scheme::Backward] {
        for (k, &(name, g, dg, lo, hi)) in cases.iter().enumerate() {
            let x: Vec<f64> = uniforms(100 + k as u64, N)
                .iter()
                .map(|u| (lo.ln() + u * (hi / lo).ln()).exp())
                .collect();
            let run = |plain: bool| {
                let count = Cell::new(0usize);
                let f = |x: &[f64], y: &mut [f64]| {
                    count.set(count.get() + 1);
                    y[0] = x.iter().map(|&v| g(v)).sum();
                    Ok(())
                };
                let mut opts = Options::new();
                opts.set_scheme(scheme);
                if plain {
                    // The default step given explicitly: no refinement runs.
                    opts.set_relative_step(Some(scheme.default_relative_step()))
                        .unwrap();
                }
                let grad = fd::vjp(&f, &x, &[1.0], &opts).unwrap();
                let err = grad
                    .iter()
                    .zip(&x)
                    .map(|(a, &xj)| ((a - dg(xj)) / dg(xj)).abs())
                    .fold(0.0, f64::max);
                (err, count.get(), last_report())
            };
            let (e_plain, c_plain, _) = run(true);
            let (err, count, r) = run(false);
            let refined = r.refined_large + r.refined_rounding + r.nonfinite_fallbacks;
            let plain = 1 + N * if scheme == Scheme::Central { 2 } else { 1 };
            let extra = count - plain;
            let per = if refined > 0 {
                extra as f64 / refined as f64
            } else {
                0.0
            };
            println!(
                "| {name} | {scheme:?} | {e_plain:.1e} ({c_plain}) | {err:.1e} ({count}) | {refined} | {per:.1} |"
            );
        }
    }
}

/// sin(x / s) at inflection points `x = k π s`, `s = 1e-4` (D2 = 0 there): the plain rule
/// against the default's own-scale check, one column each, central differences.
fn inflection() {
    let s = 1e-4;
    println!();
    println!("| sin(x / 1e-4) at k π 1e-4 | plain rule: rel. error | default: rel. error (evaluations) | report bound |");
    println!("|---|---|---|---|");
    for k in [1.0, 3.0, 7.0, 20.0] {
        let x = [k * std::f64::consts::PI * s];
        let want = (x[0] / s).cos() / s;
        let run = |plain: bool| {
            let count = Cell::new(0usize);
            let f = |x: &[f64], y: &mut [f64]| {
                count.set(count.get() + 1);
                y[0] = (x[0] / s).sin();
                Ok(())
            };
            let mut opts = Options::new();
            if plain {
                opts.set_relative_step(Some(Scheme::Central.default_relative_step()))
                    .unwrap();
            }
            let g = fd::vjp(&f, &x, &[1.0], &opts).unwrap();
            (
                ((g[0] - want) / want).abs(),
                count.get(),
                last_report().error_bound,
            )
        };
        let (e_plain, _, _) = run(true);
        let (err, count, bound) = run(false);
        println!(
            "| k = {k} | {e_plain:.1e} | {err:.1e} ({count}) | {bound:.1e} (error {:.1e}) |",
            err * want.abs()
        );
    }
}

/// Forward differences of `1e-3 sin(x0) + 100 exp(5 x1)` at (1e4, 1): column 0 refined,
/// column 1 not (no bound of its own): the report's bound and unbounded count.
fn unbounded() {
    let x: [f64; 2] = [1e4, 1.0];
    let want = [1e-3 * x[0].cos(), 500.0 * (5.0 * x[1]).exp()];
    let f = |x: &[f64], y: &mut [f64]| {
        y[0] = 1e-3 * x[0].sin() + 100.0 * (5.0 * x[1]).exp();
        Ok(())
    };
    let mut opts = Options::new();
    opts.set_scheme(Scheme::Forward);
    let g = fd::vjp(&f, &x, &[1.0], &opts).unwrap();
    let r = last_report();
    let err = g
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    println!();
    println!(
        "forward, 1e-3 sin(x0) + 100 exp(5 x1) at (1e4, 1): error {err:.1e}, bound {:.1e}, unbounded directions {}",
        r.error_bound, r.unbounded
    );
}

/// The cos goal row over 40 random draws (seeds 1000..1040) of 40 cosines, `x_j`
/// log-uniform in 1e-7..1e-6, central: the worst entry of each draw, summarized.
fn cos_draws() {
    let mut worst = Vec::new();
    let mut evaluations = Vec::new();
    for seed in 1000..1040u64 {
        let x: Vec<f64> = uniforms(seed, N)
            .iter()
            .map(|u| (1e-7f64.ln() + u * 10f64.ln()).exp())
            .collect();
        let f = |x: &[f64], y: &mut [f64]| {
            y[0] = x.iter().map(|v| v.cos()).sum();
            Ok(())
        };
        let g = fd::vjp(&f, &x, &[1.0], &Options::new()).unwrap();
        let e = g
            .iter()
            .zip(&x)
            .map(|(a, xj)| ((a + xj.sin()) / xj.sin()).abs())
            .fold(0.0, f64::max);
        worst.push(e);
        evaluations.push(last_report().evaluations);
    }
    worst.sort_by(f64::total_cmp);
    evaluations.sort_unstable();
    println!();
    println!(
        "cos, 40 draws of {N} at 1e-7..1e-6: worst {:.2e}, median {:.2e}, above 1e-5: {}, evaluations {}..{}",
        worst[39],
        worst[20],
        worst.iter().filter(|&&e| e > 1e-5).count(),
        evaluations[0],
        evaluations[39]
    );
}

fn main() {
    badly_scaled();
    cos_draws();
    inflection();
    unbounded();
}
