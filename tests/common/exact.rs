//! Random exact, smooth, well-scaled functions: the exact families against which issue 16's
//! noise handling must change nothing (`tests/noisy_random_points.rs`,
//! `tests/noisy_report_bound.rs`).

use super::Rng;

/// A random exact, smooth, well-scaled function `R^n -> R^m` (n = 2..64, m = 1..4), by
/// kind: sums of sines `a sin(b x_j + c)` (`tests/fd_refine.rs`'s, x in [-2, 2] with
/// `|x_j| >= 0.01`, half of them at n = 8..12 where the spread rule met them), cubic
/// polynomials at `0.01 <= |x_j| <= 1`, sums of `a exp(b x_j)` with `|b| <= 2` on [-1, 1],
/// and of `a ln x_j` on [0.5, 2]; every output depends on every input.
pub struct Exact {
    pub kind: usize,
    pub n: usize,
    pub m: usize,
    coef: Vec<[f64; 3]>,
}

impl Exact {
    pub fn draw(rng: &mut Rng, kind: usize) -> (Self, Vec<f64>) {
        let n = if kind == 0 && rng.uniform() < 0.5 {
            8 + (rng.uniform() * 5.0) as usize
        } else {
            2 + (rng.uniform() * 63.0) as usize
        };
        let m = 1 + (rng.uniform() * 4.0) as usize;
        let mut between = |lo: f64, hi: f64| lo + (hi - lo) * rng.uniform();
        let coef = (0..n * m)
            .map(|_| match kind {
                0 => [between(0.2, 3.0), between(0.3, 2.0), between(-3.0, 3.0)],
                _ => [between(-1.0, 1.0), between(-2.0, 2.0), between(-1.0, 1.0)],
            })
            .collect();
        // Well scaled (|x_j| >= typ_j / 100): below, a column that nothing flags is
        // checked at its own scale (2 evaluations, `src/fd/refine/own_scale.rs`).
        let well_scaled = |v: f64| {
            if v.abs() < 0.01 {
                v + 0.02f64.copysign(v)
            } else {
                v
            }
        };
        let x = (0..n)
            .map(|_| match kind {
                0 => well_scaled(between(-2.0, 2.0)),
                1 => between(0.01, 1.0).copysign(between(-1.0, 1.0)),
                2 => well_scaled(between(-1.0, 1.0)),
                _ => between(0.5, 2.0),
            })
            .collect();
        (Exact { kind, n, m, coef }, x)
    }

    pub fn eval(&self, x: &[f64], y: &mut [f64]) {
        for (i, yi) in y.iter_mut().enumerate() {
            *yi = (0..self.n)
                .map(|j| {
                    let [a, b, c] = self.coef[i * self.n + j];
                    let t = x[j];
                    match self.kind {
                        0 => a * (b * t + c).sin(),
                        1 => a * t + b * t * t + c * t * t * t,
                        2 => a * (b * t).exp(),
                        _ => a * t.ln(),
                    }
                })
                .sum();
        }
    }
}
