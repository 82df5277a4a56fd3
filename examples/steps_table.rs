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

fn main() {
    badly_scaled();
}
