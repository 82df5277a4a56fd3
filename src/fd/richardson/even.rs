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

/// The previous rows' difference in column [`PROBE_COLUMN`] at least this many times the
/// last one's is truncation, not noise (review 30 finding 5): a smooth f's next term,
/// `t^8`, shrinks the differences by 256 per row, where noise (growing like `1 / t^2` in
/// `S / t^2`) makes the earlier one about 4 times smaller. sin 20x and cos 50x from the
/// default start (steps of a third of a period) gave a sample on 2 of 3 points otherwise;
/// noise exceeds 16 times its expected ratio on about 1% of samples.
const TRUNCATION: f64 = 16.0;

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
            let before = entry(&factors, value, count - 2);
            let d = entry(&factors, value, count - 1) - before;
            if (before - entry(&factors, value, count - 3)).abs() >= TRUNCATION * d.abs() {
                return 0.0;
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A smooth f: its value at x and its sum `S(t)` written without cancellation (so
    /// that the sums carry truncation only, no rounding beyond `eps |S|`).
    type Smooth = (&'static str, fn(f64) -> f64, fn(f64, f64) -> f64);

    /// The sums of f at x from start `t0` (6 levels halving), as the tableau takes them.
    fn sums((_, f, s): Smooth, x: f64, t0: f64) -> Vec<Level> {
        let y = f(x);
        (0..6)
            .map(|k| {
                let t = t0 * 0.5f64.powi(k);
                let (p, m) = (f(x + t), f(x - t));
                Level {
                    step: t,
                    sum: vec![s(x, t)],
                    rounding: vec![f64::EPSILON * (p.abs() + m.abs() + 2.0 * y.abs())],
                }
            })
            .collect()
    }

    /// Review 30 finding 5: a smooth f on a short scale leaves truncation in the sample,
    /// not noise: sin 20x, cos 50x, exp 8x at points in -1.5..1.5, from the default start
    /// `t0` (a third of sin 20x's period: pre-asymptotic) and the smaller starts the
    /// tableau descends to (t0 / 64^d, d = 1..4). Before the [`TRUNCATION`] guard the
    /// default start gave a sample at every point of sin 20x and cos 50x.
    #[test]
    fn truncation_is_no_sample() {
        let points = if cfg!(miri) { 3 } else { 500 };
        let fs: [Smooth; 3] = [
            (
                "sin 20x",
                |x| (20.0 * x).sin(),
                |x, t| -4.0 * (20.0 * x).sin() * (10.0 * t).sin().powi(2),
            ),
            (
                "cos 50x",
                |x| (50.0 * x).cos(),
                |x, t| -4.0 * (50.0 * x).cos() * (25.0 * t).sin().powi(2),
            ),
            (
                "exp 8x",
                |x| (8.0 * x).exp(),
                |x, t| 4.0 * (8.0 * x).exp() * (4.0 * t).sinh().powi(2),
            ),
        ];
        for f in fs {
            for i in 0..points {
                let x = -1.5 + 3.0 * (i as f64 + 0.37) / points as f64;
                for d in 0..5 {
                    let t0 = 0.125 * x.abs().max(1.0) / 64f64.powi(d);
                    let s = noise(&sums(f, x, t0))[0];
                    assert_eq!(s, 0.0, "{} at {x} from {t0:e}", f.0);
                }
            }
        }
    }
}
