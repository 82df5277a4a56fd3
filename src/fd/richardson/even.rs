//! A second sample of f's noise from the tableau's even part.
//!
//! Why: the noise probe ([`super::NoiseProbe`]) reads one difference of the quotients,
//! the odd part `f(x + t) - f(x - t)`. f whose values jump by small amounts at places
//! nothing predicts (an adaptive ODE solver at a tolerance: a trial step's fate changes)
//! can leave that one difference small by chance while the extrapolant carries the jumps
//! (probe14 finding 5: 22..91 of 300 entries uncovered per tolerance, up to 258x). The
//! second-difference sums `S(t) = f(x + t) + f(x - t) - 2 f(x)` the central stencils give
//! anyway are the even part: `S(t) / t^2 = f'' + c t^2 + ...` has the same Neville
//! tableau, and the difference of its column [`PROBE_COLUMN`]'s last two entries is
//! another sample of the noise, mostly independent of the first. No evaluation is added.

use super::kink::Level;
use super::{factors, PROBE_COLUMN};

/// The sample counts only this many times above the sums' rounding
/// `eps (|f(x + t)| + |f(x - t)| + 2 |f(x)|)`, about 8 times the standard deviation of the
/// rounding itself (as the probe's trigger, `NOISE_TRIGGER`, 64 times its rounding
/// term): a smooth f's sums leave rounding and some truncation there.
const ABOVE_ROUNDING: f64 = 8.0;

/// Per channel, the noise of f (a standard deviation, f's units) sampled from the sums,
/// or 0 when the sample is not clear of their rounding (or there are too few levels).
pub(crate) fn noise(sums: &[Level]) -> Vec<f64> {
    let count = sums.len();
    let channels = sums.first().map_or(0, |l| l.sum.len());
    if count < PROBE_COLUMN + 2 {
        return vec![0.0; channels];
    }
    let factors = factors(count, (2, 2));
    // The difference's coefficients over the levels' `S / t^2`.
    let coefficients: Vec<f64> = (0..count)
        .map(|l| {
            let unit = |i: usize| f64::from(u8::from(i == l));
            entry(&factors, unit, count - 1) - entry(&factors, unit, count - 2)
        })
        .collect();
    // Noise sigma at each point: `S(t)` carries independent `sqrt 2 sigma` from `x +- t`
    // and the shared `-2 sigma` of f(x).
    let independent: f64 = coefficients
        .iter()
        .zip(sums)
        .map(|(a, l)| 2.0 * (a / (l.step * l.step)).powi(2))
        .sum();
    let shared: f64 = coefficients
        .iter()
        .zip(sums)
        .map(|(a, l)| a / (l.step * l.step))
        .sum::<f64>();
    let multiple = (independent + 4.0 * shared * shared).sqrt();
    (0..channels)
        .map(|c| {
            let value = |i: usize| sums[i].sum[c] / (sums[i].step * sums[i].step);
            let d = entry(&factors, value, count - 1) - entry(&factors, value, count - 2);
            let sigma = d.abs() / multiple;
            let rounding = sums.iter().map(|l| l.rounding[c]).fold(0.0, f64::max);
            if sigma > ABOVE_ROUNDING * rounding {
                sigma
            } else {
                0.0
            }
        })
        .collect()
}

/// Entry `[row][PROBE_COLUMN]` of the Neville tableau of `value(0..=row)`.
fn entry(factors: &[f64], value: impl Fn(usize) -> f64, row: usize) -> f64 {
    let mut prev: Vec<f64> = Vec::new();
    for i in 0..=row {
        let mut ti = vec![value(i)];
        for k in 1..=i.min(PROBE_COLUMN) {
            ti.push(ti[k - 1] + (ti[k - 1] - prev[k - 1]) / factors[k - 1]);
        }
        prev = ti;
    }
    prev[PROBE_COLUMN]
}
