//! The noise of f along a call's one direction, from a short table that reuses the
//! points the call already evaluated.
//!
//! Why: a call with one direction (a VJP or Jacobian of a function of one variable, a
//! JVP) has no second direction to compare with, so the noise trigger never fires
//! (`refine.rs`) and a noisy f kept the plain step's value, off by about `ε / t`
//! (`refine/lone_noise.rs` decides what to do with the estimate). The table is
//! `x + k h d`, `k = -5..=5`, h half the plain step: f(x) and the half-step check's
//! two points are its rows 0 and ±1, so it costs 8 evaluations. Its level is
//! [`noise::level`]'s (least-squares residuals of rising degree, ECnoise's sampling;
//! `noise.rs` cites the sources).
//!
//! A table that crosses a feature of f (a pole, a narrow step or bump) reads it as noise
//! of its own size. Noise draws every second difference of the table from one law, so
//! such tables are told apart by second differences that gather in a few places
//! ([`gathered`]); every output that counts must pass, or there is no estimate.

use super::alloc::{recycle, zeros, zeros_2d};
use super::derivative::{move_to, Direction};
use super::error::FdError;
use super::function::Function;
use super::noise;
use super::probe::Probe;

/// Points of the table on each side of x.
const SIDE: i32 = 5;
/// Points of the table.
const POINTS: usize = 2 * SIDE as usize + 1;

/// The noise of each output along one direction.
pub(crate) struct Along {
    /// The noise level (a standard deviation, [`noise::level`]); 0 where the table shows
    /// none (a smooth trend dominates).
    pub levels: Vec<f64>,
    /// The median `|Δ²|` of the table, a robust measure of the same noise (about 1.0 to
    /// 1.1 standard deviations for Gaussian or uniform noise, simulated): a feature that
    /// lifts a few second differences, and with them the level, leaves it alone.
    pub spreads: Vec<f64>,
}

/// Per output, the noise of f along `dir` from the table `x + k h d`, `k = -5..=5`;
/// `known` gives f at `x - h d` and `x + h d` (rows -1 and 1). `None` where the table
/// leaves the bounds, f is not finite at one of its points, or the second differences of
/// an output whose weight is not 0 gather ([`gathered`]).
pub(crate) fn estimate_along<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    (dir, h): (Direction<'_>, f64),
    (below, above): (&[f64], &[f64]),
) -> Result<Option<Along>, FdError> {
    let (lo, hi) = (-f64::from(SIDE) * h, f64::from(SIDE) * h);
    let fits = p.opts.bounds().is_none_or(|b| match dir {
        Direction::Axis(j) => b.admits(j, p.x[j], (lo, hi)),
        Direction::Vector(u) => (0..p.x.len()).all(|j| {
            let (a, c) = (lo * u[j], hi * u[j]);
            b.admits(j, p.x[j], (a.min(c), a.max(c)))
        }),
        Direction::Group(..) => false,
    });
    if !(fits && h > 0.0 && h.is_finite()) {
        return Ok(None);
    }
    let m = p.y0.len();
    let what = "the noise table along one direction";
    let mut values = zeros_2d(POINTS, m, what)?;
    for k in 0..POINTS {
        let offset = k as i32 - SIDE;
        let row = &mut values[k * m..(k + 1) * m];
        match offset {
            0 => row.copy_from_slice(&p.y0),
            -1 => row.copy_from_slice(&below[..m]),
            1 => row.copy_from_slice(&above[..m]),
            _ => {
                let o = f64::from(offset);
                move_to(&mut p.ws.xp, p.x, dir, o * h);
                let result = p.ev.eval(&p.ws.xp, &mut p.ws.y, || {
                    format!("{} (noise estimate along the direction)", dir.point(o, h))
                });
                move_to(&mut p.ws.xp, p.x, dir, 0.0);
                result?;
                if p.ws.y[..m].iter().any(|v| !v.is_finite()) {
                    recycle(values);
                    return Ok(None);
                }
                row.copy_from_slice(&p.ws.y[..m]);
            }
        }
    }
    let mut along = Along {
        levels: zeros(m, what)?,
        spreads: zeros(m, what)?,
    };
    for i in 0..m {
        let column: [f64; POINTS] = std::array::from_fn(|k| values[k * m + i]);
        let counts = p.weights.is_none_or(|w| w[i] != 0.0);
        // An output that does not count (weight 0) is not tested.
        let median = match (counts, spread(&column)) {
            (false, _) => 0.0,
            (true, Some(median)) => median,
            (true, None) => {
                recycle(values);
                return Ok(None);
            }
        };
        along.levels[i] = noise::level(&column).unwrap_or(0.0);
        along.spreads[i] = median;
    }
    recycle(values);
    Ok(Some(along))
}

/// The median `|Δ²|` of a table of f along a line (one output), or `None` where its
/// second differences gather ([`gathered`]): not noise.
fn spread(values: &[f64]) -> Option<f64> {
    let second = second_differences(values);
    (!gathered(&second)).then(|| sorted_magnitudes(&second)[second.len() / 2])
}

/// The second differences `Δ²` of a table.
fn second_differences(values: &[f64]) -> Vec<f64> {
    values
        .windows(3)
        .map(|w| (w[2] - w[1]) - (w[1] - w[0]))
        .collect()
}

/// The magnitudes of `second`, sorted (NaN last).
fn sorted_magnitudes(second: &[f64]) -> Vec<f64> {
    let mut sorted: Vec<f64> = second.iter().map(|d| d.abs()).collect();
    sorted.sort_by(f64::total_cmp);
    sorted
}

/// Whether a table's second differences `Δ²` gather in a few places, or vary smoothly
/// along it, rather than spread over it as noise's do. Any of four: the largest `|Δ²|`
/// above [`SPIKE`] times the median; the third largest of nine above [`RISE`] times the
/// third smallest; the largest above [`DEEP`] times the second smallest; their lag-one
/// autocorrelation `Σ Δ²_k Δ²_(k+1) / Σ (Δ²_k)^2` above [`SMOOTH`] (a NaN, or a multiple
/// of 0 that is not 0, counts as gathered; an exactly linear table does not).
///
/// Why: noise draws every `Δ²` from one law, and neighbours are anticorrelated (-2/3 for
/// white noise; the sample autocorrelation of nine has median -0.56). A pole within the
/// table, or a step of f a few spacings wide, lifts one to four far above the rest; on an
/// exact function its other `|Δ²|` are the smooth trend's, far below; and whatever the
/// table resolves (an oscillation of four or more points per period, a bump or a step
/// more than a spacing wide) makes neighbouring `Δ²` alike. The first test catches what
/// rises far above noise, the second and third a narrow feature on a table without noise
/// (a Gaussian bump a spacing wide has all nine `|Δ²|` above its trend's, but the
/// outermost thousands of times below the peak), the fourth a resolved one: exact bumps 0.6..0.9 steps wide near x and oscillations of 0.3..0.5
/// steps per radian passed the first two and took the noise step with bounds up to 4,900
/// times short (stop 38's review). Simulated, 2 10^5 tables of 11 points of uniform
/// (Gaussian) noise: the first fires beyond 15 at 0.02% (0.06%), the second beyond 50 at
/// 0.02% (0.03%), the third at 0.05% (0.06%), the fourth at 2.6% (2.4%), 3.4% with a
/// trend of a quarter of the noise in every `Δ²` (those calls keep the plain value). The
/// fourth catches sampled sinusoids of
/// up to 1.6 radians per spacing, Gaussian bumps from 1.2 spacings wide, tanh steps from
/// about one; narrower ones the first three. A pole 0.3 spacings from x, its value there 28
/// times the noise, gave 17 in the first (and was read as noise 10 times too large at 25).
fn gathered(second: &[f64]) -> bool {
    let sorted = sorted_magnitudes(second);
    let (count, largest) = (sorted.len(), sorted[sorted.len() - 1]);
    let median = sorted[count / 2];
    let (low, high) = (sorted[2], sorted[count - 3]);
    // Their ratio is what counts: scaled where the products could overflow.
    let scale = noise::square_safe_scale(second);
    let (lagged, squares) = second.windows(2).fold((0.0, 0.0), |(l, q), w| {
        let (a, b) = (w[0] * scale, w[1] * scale);
        (l + a * b, q + a * a)
    });
    let squares = squares + (second[second.len() - 1] * scale).powi(2);
    let flat = largest == 0.0;
    largest.is_nan()
        || largest > SPIKE * median
        || high > RISE * low
        || largest > DEEP * sorted[1]
        || (!flat && lagged > SMOOTH * squares)
}

/// See [`gathered`].
const SMOOTH: f64 = -0.1;
/// See [`gathered`].
const DEEP: f64 = 300.0;

/// See [`gathered`].
const RISE: f64 = 50.0;

/// See [`gathered`].
const SPIKE: f64 = 15.0;

#[cfg(test)]
mod tests {
    use super::second_differences;

    fn gathered(table: &[f64]) -> bool {
        super::gathered(&second_differences(table))
    }

    /// A smooth step of f about a spacing wide spreads over the whole table, evenly
    /// enough for the first two tests, but varies smoothly along it; so does an
    /// oscillation of four points per period.
    #[test]
    fn resolved_features_vary_smoothly() {
        let table: Vec<f64> = (0..11)
            .map(|k| 1e-3 * k as f64 + 5.6e-6 * ((k as f64 - 5.49) / 1.0).tanh())
            .collect();
        assert!(gathered(&table));
        let wave: Vec<f64> = (0..11)
            .map(|k| 1e-3 * (0.3 + 1.5 * k as f64).sin())
            .collect();
        assert!(gathered(&wave));
    }

    fn hash_noise(k: usize, seed: u64) -> f64 {
        let mut s = (k as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ seed;
        s ^= s >> 33;
        s = s.wrapping_mul(0xff51_afd7_ed55_8ccd);
        s ^= s >> 33;
        (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }

    /// Noise on a smooth trend below it spreads: gathered at most a few times in 1,000
    /// tables.
    #[test]
    fn noise_rarely_looks_gathered() {
        let mut count = 0;
        for seed in 0..1000u64 {
            let table: Vec<f64> = (0..11)
                .map(|k| (0.3 + 1e-5 * k as f64).sin() + 1e-8 * hash_noise(k, seed * 7919))
                .collect();
            count += usize::from(gathered(&table));
        }
        assert!(count <= 50, "{count} of 1000 noise tables read as gathered");
    }

    /// A jump of f between two points of the table, or a pole beside it, gathers.
    #[test]
    fn a_jump_or_a_pole_gathers() {
        for at in 1..10 {
            let jump: Vec<f64> = (0..11)
                .map(|k| 1e-3 * k as f64 + if k > at { 1e-6 } else { 0.0 })
                .collect();
            assert!(gathered(&jump), "jump after point {at}");
        }
        let pole: Vec<f64> = (0..11).map(|k| 1e-9 / (k as f64 - 5.3)).collect();
        assert!(gathered(&pole));
    }
}
