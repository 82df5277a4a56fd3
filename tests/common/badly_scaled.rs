//! Badly scaled scalar functions (no typical magnitudes set), for the tests of the refined
//! default step: dense columns (`fd_refine.rs`), JVP directions and sparse column groups
//! (`fd_refine_directions.rs`), each against the same goals of issue 11.

use super::Rng;

/// A scalar function or its derivative.
pub type Scalar = fn(f64) -> f64;

/// `(name, g, g', low, high, tolerance)`: points log-uniform in [low, high]; the tolerance
/// is the goal of issue 11 (central differences, relative error).
pub const BADLY_SCALED: &[(&str, Scalar, Scalar, f64, f64, f64)] = &[
    ("log", f64::ln, |x| 1.0 / x, 1e-9, 1e-6, 1e-7),
    ("log 1e-6..1e-5", f64::ln, |x| 1.0 / x, 1e-6, 1e-5, 1e-7),
    ("sqrt", f64::sqrt, |x| 0.5 / x.sqrt(), 1e-9, 1e-6, 1e-7),
    ("1/x", |x| 1.0 / x, |x| -1.0 / (x * x), 0.5e-4, 2e-4, 1e-7),
    (
        "exp(1e6 x)",
        |x| (1e6 * x).exp(),
        |x| 1e6 * (1e6 * x).exp(),
        0.5e-7,
        2e-7,
        1e-7,
    ),
    ("sin large", f64::sin, f64::cos, 1e4, 1e7, 1e-7),
    ("cos small", f64::cos, |x| -x.sin(), 1e-7, 1e-6, 1e-5),
];

/// `n` points log-uniform in [low, high], drawn from `seed`.
pub fn log_uniform(seed: u64, n: usize, low: f64, high: f64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| (low.ln() + rng.uniform() * (high / low).ln()).exp())
        .collect()
}
