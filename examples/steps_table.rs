//! The tables of the README's "Step rule" and "Noisy functions" sections: errors and
//! evaluation counts of the default VJP on badly scaled and on noisy functions.
//!
//! `cargo run --release --example steps_table`

use fdvjp::fd::{self, last_report, NoiseMode, Options, Scheme};
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
    println!("| function (sum of {N}) | scheme | max rel. error | refined columns | extra evaluations per refined column |");
    println!("|---|---|---|---|---|");
    for scheme in [Scheme::Central, Scheme::Forward] {
        for (k, &(name, g, dg, lo, hi)) in cases.iter().enumerate() {
            let x: Vec<f64> = uniforms(100 + k as u64, N)
                .iter()
                .map(|u| (lo.ln() + u * (hi / lo).ln()).exp())
                .collect();
            let count = Cell::new(0usize);
            let f = |x: &[f64], y: &mut [f64]| {
                count.set(count.get() + 1);
                y[0] = x.iter().map(|&v| g(v)).sum();
                Ok(())
            };
            let mut opts = Options::new();
            opts.set_scheme(scheme);
            let grad = fd::vjp(&f, &x, &[1.0], &opts).unwrap();
            let err = grad
                .iter()
                .zip(&x)
                .map(|(a, &xj)| ((a - dg(xj)) / dg(xj)).abs())
                .fold(0.0, f64::max);
            let r = last_report();
            let refined = r.refined_large + r.refined_rounding + r.nonfinite_fallbacks;
            let plain = 1 + N * if scheme == Scheme::Central { 2 } else { 1 };
            let extra = count.get() - plain;
            let per = if refined > 0 {
                extra as f64 / refined as f64
            } else {
                0.0
            };
            println!("| {name} | {scheme:?} | {err:.1e} | {refined} | {per:.1} |");
        }
    }
}

fn hash(x: &[f64]) -> f64 {
    let mut z = 0x1234_5678_9abc_def0u64;
    for v in x {
        z ^= v.to_bits();
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
    }
    (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

fn noisy() {
    let n = 20;
    let x: Vec<f64> = (0..n)
        .map(|j| ((j * 7 % 11) as f64 / 11.0 - 0.5) * 2.0)
        .collect();
    let exact: Vec<f64> = (0..n)
        .map(|j| 0.5 * (x[j] + 0.3 * j as f64).cos())
        .collect();
    println!("\n| noise ε | ε^(2/3) | default | evals | declared | evals | estimated | evals | estimated noise |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for eps in [1e-12, 1e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6] {
        let count = Cell::new(0usize);
        let f = |x: &[f64], y: &mut [f64]| {
            count.set(count.get() + 1);
            y[0] = 2.0
                + x.iter()
                    .enumerate()
                    .map(|(j, &xj)| 0.5 * (xj + 0.3 * j as f64).sin())
                    .sum::<f64>()
                + eps * hash(x);
            Ok(())
        };
        let mut row = format!("| {eps:.0e} | {:.1e} |", eps.powf(2.0 / 3.0));
        let mut declared = Options::new();
        declared.set_noise(Some(vec![eps])).unwrap();
        let mut estimated = Options::new();
        estimated.set_noise_mode(NoiseMode::Estimate);
        let mut noise = 0.0;
        for (k, opts) in [Options::new(), declared, estimated].iter().enumerate() {
            count.set(0);
            let g = fd::vjp(&f, &x, &[1.0], opts).unwrap();
            let err = g
                .iter()
                .zip(&exact)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            row += &format!(" {err:.1e} | {} |", count.get());
            if k == 2 {
                noise = last_report().noise[0];
            }
        }
        println!("{row} {noise:.1e} |");
    }
}

fn main() {
    badly_scaled();
    noisy();
}
