//! Whether a tableau's steps straddle a kink of f (a jump in its slope) close to x.
//!
//! Why: a central quotient at a step t larger than the distance d to a kink averages the
//! slopes on its two sides, `(s- + s+) / 2`, plus a term in `d / t`; the tableau
//! extrapolates that in `t^2`, converges, and claims a small error, while f' at x is one
//! of the two slopes (`|x - a| + x^2` with the kink 2.6e-6 away: 2.46 for 1.47 with an
//! estimate of 1.7e-3, probe13 finding 4). No quotient at such steps can tell: the
//! second differences can. The sums `S(t) = f(x + t) + f(x - t) - 2 f(x)` that the
//! tableau's central stencils evaluate anyway grow like `f'' t^2` for a smooth f (halving
//! t divides S by 4, or by 16 at an inflection), but like `J (t - d)` across a kink with
//! slope jump J (halving t divides S by 1 to 3). Two ratios in that band in a row, or one
//! followed by a ratio that a smooth f cannot give after it, of sums far above their
//! rounding and noise, are a kink. For `a t^2 + b t^4` a ratio in the band needs
//! `b t^2 / a` in (-1/5, -1/16); then the next larger step's ratio is negative and the
//! next smaller step's lies in (3.2, 3.81) ([`SMOOTH`]). A kink gives the band again, or
//! (where it lies between the two smaller steps) a large or negative ratio. No evaluation
//! is added.

/// The sums `S` of one level, per channel, with the step and the size of their rounding.
pub(crate) struct Level {
    pub step: f64,
    pub sum: Vec<f64>,
    /// `eps (|f(x + t)| + |f(x - t)| + 2 |f(x)|)` per channel (plus the rounding of the
    /// points along a vector).
    pub rounding: Vec<f64>,
}

/// Ratios from `FLAT_LOW` to [`LOW`]: S about constant, `-2 f(x)` of a peak far narrower
/// than the steps (a Gaussian of width 1e-3 at 3.25 from steps 0.4..0.013: every quotient
/// 0, estimate 5e-46, for -508; probe14 finding 3). Its slope says nothing of f'; the
/// jump is infinite (the estimate unbounded unless a smaller start resolves the peak).
const FLAT_LOW: f64 = 0.8;

/// The band of `S(2t) / S(t)` a kink gives (2 far from it, 3 at `d = t / 2`, below 2
/// where f's curvature works against the jump: 1.5 with `2 max(x - b, 0) + s sin(x / s)`
/// at steps near s); a smooth f gives 4 (or 16). Below [`LOW`] (the curvature winning, or
/// a peak) the jump is not measured.
const LOW: f64 = 1.25;
const HIGH: f64 = 3.2;

/// The sums must exceed this many times the noise they may carry (a few standard
/// deviations already): noise alone then never passes, while a noise level estimated
/// during the call may be a kink seen as noise (`|x0 - a| + ...` and `2 max(x1 - b, 0)`:
/// 2e-6 on the second output), which sums `J t` at the tableau's steps still exceed.
const NOISY: f64 = 4.0;

/// The sums must exceed this many times their rounding. Far above it: the
/// rounding model `eps |f|` misses f computed with cancellation (a product of factors
/// `1 + c atan(x_j)` near 0 at 1e4, where sums of a few hundred times it were rounding and
/// put a ratio of 2 before a 0), while a kink's sums `J t` are many decades above it.
const ABOVE: f64 = 4096.0;

/// After a ratio in the band, a smooth f (`a t^2 + b t^4`) gives the next smaller pair a
/// ratio in `[HIGH, SMOOTH]` (3.2..3.81): anything else there is the kink again (in the
/// band), or a kink between the two smaller steps (a large or negative ratio).
const SMOOTH: f64 = 4.5;

/// Per channel, the slope jump `|J|` of a kink some of the levels straddle (infinite for
/// a narrow feature), or `None`.
/// `known`: per channel, the noise of f declared or estimated so far, in f's units;
/// `probed`: the variation the tableau's noise probe saw (0 when none).
///
/// Ratios in the band in a row that need no more than rounding and known noise: hash noise
/// of 1e-9 on a sum of sines put three in a row in it where a column's curvature was small
/// (3 of 420 calls); a peak or kink that every level straddles gives five.
const RUN: usize = 4;

/// The sums must be clear of their rounding, of f's known noise and of the variation the
/// tableau's noise probe saw: hash noise of 1e-6 on a sum of sines put two ratios of the
/// smallest steps' sums (noise about a sixth of them) in the band. [`RUN`] ratios in the band
/// in a row, which noise does not give, need no more than rounding and known noise: a
/// peak or a kink reaches the probe too (resonances under the steps: 12 of 250 missed
/// with the probe's variation in every test).
pub(crate) fn jumps(levels: &[Level], known: &[f64], probed: &[f64]) -> Vec<Option<f64>> {
    let channels = levels.first().map_or(0, |l| l.sum.len());
    let count = levels.len();
    (0..channels)
        .map(|c| {
            let sum = |k: usize| levels[k].sum[c];
            let clear = |k: usize, noise: f64| {
                sum(k).abs() > ABOVE * levels[k].rounding[c] + NOISY * (known[c] + noise)
            };
            // Largest step first: S(2t) / S(t) of levels k and k + 1.
            let ratio = |k: usize| sum(k) / sum(k + 1);
            let band = |k: usize| FLAT_LOW < ratio(k) && ratio(k) < HIGH;
            let flat = |k: usize| ratio(k) < LOW;
            // RUN ratios in the band in a row need sums clear of rounding and known noise
            // only; two, or one before a ratio no smooth f gives, of the probe's variation
            // too.
            let run = |k: usize| {
                if k + RUN >= count || !(k..k + RUN).all(band) {
                    return false;
                }
                let scatter = (k..k + RUN - 2)
                    .map(|i| scatter(levels, c, i))
                    .fold(0.0f64, f64::max);
                (k..=k + RUN).all(|i| clear(i, SCATTER_SAFETY * scatter))
            };
            let kink = |k: usize| {
                if run(k) {
                    return true;
                }
                if !(clear(k, probed[c]) && clear(k + 1, probed[c]) && band(k)) {
                    return false;
                }
                if clear(k + 2, probed[c]) {
                    return band(k + 1) || !(HIGH..=SMOOTH).contains(&ratio(k + 1));
                }
                // The smaller sum within its noise: only a ratio above SMOOTH for every
                // value the noise allows it says "no smooth f" (hash noise of 1e-9 put
                // a ratio of 1.3 after one of 2.8).
                let noise = ABOVE * levels[k + 2].rounding[c] + NOISY * (known[c] + probed[c]);
                sum(k + 1).abs() > SMOOTH * (sum(k + 2).abs() + noise)
            };
            (0..count.saturating_sub(2))
                .rev()
                .find(|&k| kink(k))
                .map(|k| {
                    if flat(k) || (flat(k + 1) && band(k + 1)) {
                        // A feature narrower than the steps: no jump of slope bounds it.
                        return f64::INFINITY;
                    }
                    // The slope of S between the two steps in the band: J for `J (t - d)`.
                    let (a, b) = (&levels[k], &levels[k + 1]);
                    ((a.sum[c] - b.sum[c]) / (a.step - b.step)).abs()
                })
        })
        .collect()
}

/// How far four sums in a row (steps `t, t/2, t/4, t/8`) stray from `A + B t + C t^2`,
/// the law of a kink's (`J (t - d) + a t^2`) and a narrow peak's (`-2 h + a t^2`) sums:
/// `S_0 - 7 S_1 + 14 S_2 - 8 S_3`, which is 0 for that law, in units of the noise of one
/// sum (`sqrt(310)` of them). Noise common to every level (f(x)'s own, in `-2 f(x)`)
/// cancels, so sums about constant because f(x) is off by its noise are told from a peak
/// (hash noise of 1e-8 gave five ratios near 1 of sums all about `-2` times it).
fn scatter(levels: &[Level], c: usize, i: usize) -> f64 {
    let s = |k: usize| levels[i + k].sum[c];
    (s(0) - 7.0 * s(1) + 14.0 * s(2) - 8.0 * s(3)).abs() / 310f64.sqrt()
}

/// A [`scatter`] is one sample or two of a random quantity: the sums of a run must exceed
/// [`NOISY`] times this many of it.
const SCATTER_SAFETY: f64 = 3.0;

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(s: impl Fn(f64) -> f64) -> Vec<Level> {
        (0..6)
            .map(|k| {
                let t = 0.125 * 0.5f64.powi(k);
                Level {
                    step: t,
                    sum: vec![s(t)],
                    rounding: vec![1e-16],
                }
            })
            .collect()
    }

    /// A slope jump of 2 at 1e-6 from x is seen, and measured; smooth sums are not.
    #[test]
    fn kink_seen_smooth_not() {
        let j = jumps(&levels(|t| 2.0 * (t - 1e-6) + 0.3 * t * t), &[0.0], &[0.0])[0];
        assert!((j.expect("a kink") - 2.0).abs() < 0.1, "{j:?}");
        for s in [
            |t: f64| t * t,
            |t: f64| -3.0 * t * t + 50.0 * t.powi(4),
            |t: f64| t.powi(4),
        ] {
            assert_eq!(jumps(&levels(s), &[0.0], &[0.0])[0], None);
        }
        // Below the rounding: nothing.
        assert_eq!(jumps(&levels(|t| 1e-16 * t), &[0.0], &[0.0])[0], None);
    }
}
