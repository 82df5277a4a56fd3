//! Richardson extrapolation of central differences, with an error estimate per entry.
//!
//! Why: a central difference has error `c1 t^2 + c2 t^4 + ...`; combining quotients at
//! steps `t, t/2, ..., t/2^(L-1)` in a Neville tableau removes one term per column, so
//! a fairly large starting step (little rounding error) still gives a tiny truncation
//! error, and the tableau itself says how far the answer still moves.
//!
//! Choices (measured on smooth test functions, see `tests/accuracy_table.rs`): starting
//! step `t0 = 2^-3 * max(|x_j|, typ_j)` (the caller's absolute steps or relative factor
//! replace it), [`LEVELS`] = 6 levels halving the step, so `2 * LEVELS = 12` evaluations
//! per direction; the max relative error on well-scaled smooth functions is then about
//! 1e-13.
//!
//! Error estimate of each entry: `2 |T[L-1][L-1] - T[L-1][L-2]| + 2 max(rounding, noise)`:
//! the difference of the last two extrapolants (the best one and the one of one order
//! less, both from the smallest steps); the worst-case rounding error carried through the
//! tableau from `eps * sum_k |w_k f(x + o_k t)| / t` at each level (f accurate to about one
//! unit in the last place); and a noise term for f less accurate than that, probed from
//! the tableau itself (see [`NoiseProbe`]). Measured on the accuracy suite (smooth, badly
//! scaled, edge and noisy functions): the true error exceeds the estimate for about 2% of
//! entries, and the estimate exceeds 1000 times the true error (and 1e-14) for about 3%.
//!
//! Bounds and non-finite values: as for the plain schemes (see [`super::derivative`]):
//! the central tableau first, then one-sided second-order tableaus (error `t^2, t^3, ...`,
//! so one power is removed per column) forward and backward, and the starting step
//! divided by 10 up to six times. When the central tableau does not fit or meets a NaN at
//! the starting step and `|x_j|` is far below its typical magnitude, a second tableau from
//! `x_j`'s own scale competes with the first, the smaller estimate winning (see
//! [`extrapolated`]).

use super::derivative::{apply, fits, with_fallback, Direction};
use super::error::FdError;
use super::function::Function;
use super::options::Options;
use super::probe::Probe;
use super::scheme::{Placed, Scheme};
use super::step::own_scale_step;

/// `|x_j|` above `FAR_ABOVE typ_j`: a second tableau starts from `typ_j`'s scale.
const FAR_ABOVE: f64 = 1e3;

/// Number of steps in the tableau (each halving the previous one).
pub const LEVELS: usize = 6;

/// The default starting step relative to `max(|x_j|, typ_j)`.
pub const RELATIVE_START: f64 = 0.125;

/// A value and its error estimate, entry by entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// The extrapolated derivative (VJP, JVP or Jacobian entries).
    pub value: Vec<f64>,
    /// An estimate of `|value - exact|` for each entry of `value`.
    pub error: Vec<f64>,
}

/// The options with Richardson's starting step in place of the scheme's default step.
pub(crate) fn starting_options(opts: &Options) -> Options {
    let mut o = opts.clone();
    if o.relative_step().is_none() {
        o.set_relative_step(Some(RELATIVE_START))
            .expect("a positive constant");
    }
    o
}

/// How the m outputs of each level are reduced before extrapolation: kept (Jacobian
/// columns, JVPs) or dotted with a cotangent `v` (VJPs: one channel per column, so the
/// estimate is that of the dot product).
#[derive(Clone, Copy)]
pub(crate) enum Channels<'a> {
    All,
    Dot(&'a [f64]),
}

/// The extrapolated derivative along `dir` with its error estimate, one entry per channel.
///
/// Near a domain edge at 0: when the central tableau did not fit or met a NaN at `t0`
/// and `|x_j|` is far below its typical magnitude, f may vary on the scale of `x_j`
/// (`log`, `sqrt`) or be smooth up to the edge; so a central tableau from `x_j`'s own
/// scale (`|x_j| / 8`) is computed too, and the answer with the smaller estimate wins
/// (12 more evaluations).
pub(crate) fn extrapolated<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t0: f64,
    channels: Channels<'_>,
) -> Result<Estimate, FdError> {
    let (opts, x) = (p.opts, p.x);
    let (first, central) = one_tableau(p, dir, t0, channels)?;
    let other = match dir {
        Direction::Axis(j) => {
            let typ = opts.typical().map_or(1.0, |t| t[j]);
            if opts.steps().is_none() && x[j].abs() > FAR_ABOVE * typ {
                // f may vary on the scale typ_j (sin at 1e4): a tableau from there too.
                own_scale_step(opts, x, j).map(|e| e * typ / x[j].abs())
            } else {
                own_scale_step(opts, x, j)
                    .filter(|&e| e <= t0 / 2.0)
                    .filter(|_| !central)
            }
        }
        Direction::Vector(_) | Direction::Group(..) => None,
    };
    let Some(e) = other else {
        return Ok(first);
    };
    match one_tableau(p, dir, e, channels) {
        Ok((own, _)) if total(&own) < total(&first) => Ok(own),
        Ok(_) | Err(FdError::NonFinitePerturbed { .. } | FdError::InvalidArgument(_)) => Ok(first),
        Err(e) => Err(e),
    }
}

fn total(e: &Estimate) -> f64 {
    e.error.iter().sum()
}

/// One tableau from starting step `t0`, with the fall-backs of [`with_fallback`], and
/// whether it is the central one at `t0` itself.
fn one_tableau<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t0: f64,
    channels: Channels<'_>,
) -> Result<(Estimate, bool), FdError> {
    let (opts, x) = (p.opts, p.x);
    let candidates = Scheme::Central.candidates();
    let mut quotient = vec![0.0; p.y0.len()];
    let mut result = None;
    let mut attempts = 0;
    with_fallback(opts, x, dir, t0, &candidates, |stencil, t| {
        attempts += 1;
        let mut levels = Vec::with_capacity(LEVELS);
        for level in 0..LEVELS {
            let nominal = t * 0.5f64.powi(level as i32);
            let tl = dir.step(x, nominal);
            if let Some(bad) = apply(p, dir, tl, stencil, &mut quotient)? {
                return Ok(Some(bad));
            }
            levels.push(reduce(&quotient, &p.ws.magnitude, channels));
        }
        result = Some(tableau(&levels, exponents(stencil)));
        Ok(None)
    })?;
    let estimate = result.expect("with_fallback succeeded, so an attempt finished");
    Ok((
        estimate,
        attempts == 1 && fits(opts, x, dir, t0, &candidates[0]),
    ))
}

/// The powers of t in the error of a stencil, as (first, stride): central differences
/// have only even powers, one-sided ones every power from their order on.
fn exponents(stencil: &Placed) -> (i32, i32) {
    let (lo, hi) = stencil.reach();
    if lo == -hi {
        (2, 2)
    } else {
        (2, 1)
    }
}

/// One level's quotients and rounding scales, per channel.
fn reduce(quotient: &[f64], magnitude: &[f64], channels: Channels<'_>) -> (Vec<f64>, Vec<f64>) {
    match channels {
        Channels::All => (quotient.to_vec(), magnitude.to_vec()),
        Channels::Dot(v) => (
            vec![quotient.iter().zip(v).map(|(q, vi)| q * vi).sum()],
            vec![magnitude.iter().zip(v).map(|(r, vi)| r * vi.abs()).sum()],
        ),
    }
}

/// Neville's tableau in `t` with step ratio 2, per channel, and the error estimate
/// described in the module documentation.
fn tableau(levels: &[(Vec<f64>, Vec<f64>)], (first, stride): (i32, i32)) -> Estimate {
    let factors: Vec<f64> = (1..levels.len())
        .map(|k| 2f64.powi(first + (k as i32 - 1) * stride) - 1.0)
        .collect();
    let noise = NoiseProbe::new(levels.len(), &factors);
    let channels = levels[0].0.len();
    let mut value = Vec::with_capacity(channels);
    let mut error = Vec::with_capacity(channels);
    for c in 0..channels {
        // Column k of the tableau, for levels k.. (T[i][k] at index i - k).
        let mut t: Vec<f64> = levels.iter().map(|l| l.0[c]).collect();
        let mut r: Vec<f64> = levels.iter().map(|l| l.1[c]).collect();
        let mut previous_best = t[t.len() - 1];
        let mut probe_column = Vec::new();
        for (k, factor) in factors.iter().enumerate() {
            previous_best = t[t.len() - 1];
            t = t
                .windows(2)
                .map(|w| w[1] + (w[1] - w[0]) / factor)
                .collect();
            r = r
                .windows(2)
                .map(|w| w[1] + (w[1] + w[0]) / factor)
                .collect();
            if k + 1 == PROBE_COLUMN {
                probe_column = t.clone();
            }
        }
        let best = t[0];
        value.push(best);
        let rounding = f64::EPSILON * r[0];
        error.push(
            2.0 * (best - previous_best).abs() + 2.0 * rounding.max(noise.error(&probe_column)),
        );
    }
    Estimate { value, error }
}

/// The tableau column whose last two entries probe f's noise (see [`NoiseProbe`]).
const PROBE_COLUMN: usize = 3;

/// The noise probe is one sample of a random quantity, so it is tripled.
const PROBE_SAFETY: f64 = 3.0;

/// Estimates the noise of f from the tableau, for functions less accurate than rounding
/// (noise in a black box, or values computed with cancellation).
///
/// With noise of size `s` in f, a quotient at step `t` carries noise of about `s / t`, and
/// every tableau entry, being a fixed linear combination of the quotients, a known multiple
/// of `s` (the root sum of squares of its coefficients times `1/t`). The difference of the
/// last two entries of column [`PROBE_COLUMN`] (extrapolants of order 8 from the smallest
/// steps, whose truncation errors are negligible) is then mostly noise; divided by its
/// multiple it estimates `s`, and times the multiple of the final extrapolant it gives the
/// noise term of the estimate.
struct NoiseProbe {
    /// Noise multiple of the probing difference.
    probe: f64,
    /// Noise multiple of the final extrapolant.
    best: f64,
}

impl NoiseProbe {
    fn new(levels: usize, factors: &[f64]) -> Self {
        // Each entry as coefficients over the levels' quotients.
        let unit = |l: usize| (0..levels).map(|i| f64::from(u8::from(i == l))).collect();
        let mut column: Vec<Vec<f64>> = (0..levels).map(unit).collect();
        let mut probe_column = Vec::new();
        for (k, factor) in factors.iter().enumerate() {
            column = column
                .windows(2)
                .map(|w| {
                    w[1].iter()
                        .zip(&w[0])
                        .map(|(b, a)| b + (b - a) / factor)
                        .collect()
                })
                .collect();
            if k + 1 == PROBE_COLUMN {
                probe_column = column.clone();
            }
        }
        // A quotient at level l (step t0 / 2^l) has noise proportional to 2^l.
        let multiple = |coefficients: &[f64]| {
            coefficients
                .iter()
                .enumerate()
                .map(|(l, a)| (a * 2f64.powi(l as i32)).powi(2))
                .sum::<f64>()
                .sqrt()
        };
        let last = probe_column.len() - 1;
        let difference: Vec<f64> = probe_column[last]
            .iter()
            .zip(&probe_column[last - 1])
            .map(|(a, b)| a - b)
            .collect();
        Self {
            probe: multiple(&difference),
            best: multiple(&column[0]),
        }
    }

    /// The noise term for one channel, given its column [`PROBE_COLUMN`].
    fn error(&self, probe_column: &[f64]) -> f64 {
        let last = probe_column.len() - 1;
        let sample = (probe_column[last] - probe_column[last - 1]).abs() / self.probe;
        PROBE_SAFETY * sample * self.best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tableau removes the even powers t^2 .. t^10 of D(t) = 1 + t^2 + ... + t^10
    /// (steps from 1/8 down), so
    /// it returns 1 to rounding; the estimate (the size of the t^10 term left in the
    /// extrapolant of one order less) stays an upper bound.
    #[test]
    fn tableau_removes_even_powers() {
        let levels: Vec<(Vec<f64>, Vec<f64>)> = (0..LEVELS)
            .map(|i| {
                let t = RELATIVE_START * 0.5f64.powi(i as i32);
                let d = 1.0 + (1..LEVELS as i32).map(|k| t.powi(2 * k)).sum::<f64>();
                (vec![d], vec![0.0])
            })
            .collect();
        let e = tableau(&levels, (2, 2));
        assert!((e.value[0] - 1.0).abs() < 1e-14, "{}", e.value[0]);
        assert!(e.error[0] >= (e.value[0] - 1.0).abs() && e.error[0] < 1e-12);
    }

    /// With every power from t^2 on (one-sided), LEVELS - 1 columns remove t^2 .. t^6.
    #[test]
    fn tableau_removes_all_powers_for_one_sided() {
        let levels: Vec<(Vec<f64>, Vec<f64>)> = (0..LEVELS)
            .map(|i| {
                let t = 0.5f64.powi(i as i32);
                (vec![-2.0 + t * t - t.powi(3) + 3.0 * t.powi(6)], vec![0.0])
            })
            .collect();
        let e = tableau(&levels, (2, 1));
        assert!((e.value[0] + 2.0).abs() < 1e-13, "{}", e.value[0]);
    }
}
