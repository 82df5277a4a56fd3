//! Refinement steps at large `|x_j|`: a floor a few ulps of x_j above zero, and the
//! one-sided refinement of an element far above its typical magnitude.
//!
//! Why a floor: a refinement at `r typ_j` (x_j far above typ_j) or at f's own scale can
//! fall below the spacing of the doubles near x_j. The step actually taken, `(x_j + h) -
//! x_j`, is then one or two ulps, or zero: at 1e12 (ulp 1.2e-4) the central refinement at
//! `6e-6` moved nothing, no level was taken and the plain value, 0.79 off, kept its plain
//! bound. Every refinement level is at least [`FLOOR_ULPS`]` eps |x_j|` (4 to 8 ulps of
//! x_j, so the rounding of the argument is exact and the step's own rounding is
//! what the quotient divides by).
//!
//! Why a far-above refinement for forward and backward differences: the plain one-sided
//! step `r |x_j|` (1.49 at 1e8) aliases any f that varies on the scale typ_j, and its
//! three points (plain, `x + 2t`) cannot tell truncation from aliasing (sin at 1e8: 0.45
//! off with a bound of 0.077). Three one-sided levels at `h`, `h / 2`, `h / 4` (the steps
//! as taken) with `h =` [`START`]` typ_j` (raised to 16 floors) are extrapolated to zero
//! (Neville in h, removing the h and h^2 terms); the bound is twice the disagreement of
//! that value with the extrapolation of the two finer levels alone (a first-order-removed
//! value whose error exceeds the final one's where f varies on the scale typ_j), plus the
//! rounding of each level (and of f's own arguments, `argument.rs`) weighted by the
//! extrapolation's coefficients. 3 evaluations per
//! column instead of the `x + 2t` point's 1 (and the 2 of a refinement where it was
//! taken).

use super::super::alloc;
use super::super::derivative::Direction;
use super::super::error::FdError;
use super::super::function::Function;
use super::super::probe::Probe;
use super::super::scheme::Placed;
use super::argument;
use super::nonfinite::{self, Tried};
use super::{noise_of, Level};

/// The smallest refinement step, in units of `eps |x_j|` (module doc).
pub(super) const FLOOR_ULPS: f64 = 4.0;

/// The first one-sided level far above typ_j, in units of typ_j: near the step that
/// balances the extrapolation's `h^3 |f''''|` against its rounding (about 15 `eps |f| / h`).
const START: f64 = 1.220703125e-4; // 2^-13, about eps^(1/4)

/// A floor above this fraction of the scale a refinement resolves (typ_j far above it,
/// `|x_j| > 2.8e12 typ_j`) leaves its levels no step that sees f vary on that scale
/// without aliasing: the direction is not refined and its plain values are kept without
/// a bound (NaN). Central sin at 1e12 keeps its bound; at 1e13..1e15 the levels'
/// disagreement understated the error up to 1e5 times, and a linear f at `DBL_MAX`
/// refined at a few ulps lost 1% to rounding (`tests/c/test_hardening_steps.c`).
const RESOLVE: f64 = 2.5e-3;

/// The bounds of a direction left unrefined because its floor is too coarse.
pub(super) fn unbounded(m: usize) -> Result<Vec<f64>, FdError> {
    let mut b = alloc::zeros(m, "an unrefined direction's bounds")?;
    b.fill(f64::NAN);
    Ok(b)
}

/// Whether a refinement whose steps are at least `floor` cannot resolve `scale`.
pub(super) fn unresolved(floor: f64, scale: f64) -> bool {
    floor > RESOLVE * scale
}

/// How many times the disagreement of the two extrapolations is taken as the error.
const SAFETY: f64 = 2.0;

/// How many times `eps ρ` a level's rounding is taken as (two rounded values of f and f's
/// own error).
pub(super) const ROUNDING: f64 = 4.0;

/// The floor of the module doc for a step along `dir`: along an axis `FLOOR_ULPS eps
/// |x_j|`; along a vector or group the largest over the moved elements of that over
/// `|u_j|`.
pub(super) fn floor(x: &[f64], dir: Direction<'_>) -> f64 {
    let of = |j: usize, uj: f64| FLOOR_ULPS * f64::EPSILON * x[j].abs() / uj.abs();
    match dir {
        Direction::Axis(j) => of(j, 1.0),
        Direction::Vector(u) => (0..u.len())
            .filter(|&j| u[j] != 0.0)
            .map(|j| of(j, u[j]))
            .fold(0.0, f64::max),
        Direction::Group(u, cols) => cols.iter().map(|&j| of(j, u[j])).fold(0.0, f64::max),
    }
}

/// The far-above refinement of the module doc for the axis direction `dir` (typical
/// magnitude `typ`) with the one-sided `stencil`: the per-output bounds, `out` holding
/// the extrapolated values; `None` (`out` untouched) when a level does not fit or meets a
/// non-finite value.
pub(super) fn one_sided<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    typ: f64,
    stencil: &Placed,
    out: &mut [f64],
) -> Result<Option<Vec<f64>>, FdError> {
    if unresolved(floor(p.x, dir), typ) {
        return unbounded(out.len()).map(Some);
    }
    let h = (START * typ).max(16.0 * floor(p.x, dir));
    let Some(e) = extrapolated(p, dir, h, 3, stencil)? else {
        return Ok(None);
    };
    out.copy_from_slice(&e.values);
    Ok(Some(e.bounds))
}

/// Per output, extrapolated values and their bounds, with what the levels read of noise.
pub(super) struct Extrapolated {
    pub values: Vec<f64>,
    pub bounds: Vec<f64>,
    /// The bound without the convergence test: finite where `bounds` is NaN.
    pub unchecked: Vec<f64>,
    /// The value's noise error were the two disagreements noise: `|a| sigma`, sigma the
    /// larger of `|r2 - r1| / |b|` and `|r1 - r0| / |b'|` (a, b, b' the coefficients of
    /// the value's error and of the disagreements on the noise at the levels' points).
    pub read: Vec<f64>,
    /// `|a|`, the value's noise error per unit of the noise's standard deviation.
    pub gain: f64,
    /// Whether the levels drift as a power of h ([`drifting`]).
    pub drifting: Vec<bool>,
}

/// `count` levels of the one-sided `stencil` along the axis `dir` at `h`, `h / 2`, ...
/// (the steps as taken), extrapolated to zero (Neville in h): per output the value and
/// its bound, [`SAFETY`] times its disagreement with the extrapolation of the finer
/// levels alone plus the levels' rounding and noise weighted by the extrapolation's
/// coefficients. `None` when a level does not fit, meets a non-finite value or does not
/// shrink.
pub(super) fn extrapolated<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    h: f64,
    count: usize,
    stencil: &Placed,
) -> Result<Option<Extrapolated>, FdError> {
    let m = p.y0.len();
    let mut scratch = alloc::zeros(m, "an extrapolated level")?;
    let mut levels: Vec<Level> = Vec::with_capacity(count);
    for k in 0..count {
        let tk = dir.step(p.x, h / 2f64.powi(k as i32));
        let fine = levels.last().is_none_or(|l: &Level| tk < l.t);
        if !fine || nonfinite::try_at(p, dir, tk, stencil, &mut scratch)? != Tried::Done {
            return Ok(None);
        }
        levels.push(Level::take(p, tk, &scratch)?);
    }
    let z: Vec<f64> = levels.iter().map(|l| l.t).collect();
    // Lagrange weights at 0 of the nodes `z[from..]`.
    let weights = |from: usize| -> Vec<f64> {
        (from..count)
            .map(|a| {
                (from..count)
                    .filter(|&b| b != a)
                    .map(|b| z[b] / (z[b] - z[a]))
                    .product()
            })
            .collect()
    };
    let (all, fine, finest) = (weights(0), weights(1), weights(2));
    // Each level's noise coefficients: f(x)'s, shared by all, and its other points'.
    let norm = |w: &[f64]| -> f64 {
        let (mut at_x, mut rest) = (0.0, 0.0);
        for (l, w) in levels.iter().zip(w) {
            for (o, c) in stencil.terms() {
                let c = w * c / l.t;
                if o == 0.0 {
                    at_x += c;
                } else {
                    rest += c * c;
                }
            }
        }
        (at_x * at_x + rest).sqrt()
    };
    let pad = |w: &[f64], from: usize| -> Vec<f64> {
        (0..count)
            .map(|k| if k < from { 0.0 } else { w[k - from] })
            .collect()
    };
    let (a, fine_p, finest_p) = (pad(&all, 0), pad(&fine, 1), pad(&finest, 2));
    let diff = |x: &[f64], y: &[f64]| -> Vec<f64> { x.iter().zip(y).map(|(x, y)| x - y).collect() };
    let gain = norm(&a);
    let (nb, nb1) = (norm(&diff(&a, &fine_p)), norm(&diff(&fine_p, &finest_p)));
    let eps = f64::EPSILON;
    let mut values = alloc::zeros(m, "extrapolated values")?;
    let mut bounds = alloc::zeros(m, "extrapolated bounds")?;
    let mut unchecked = alloc::zeros(m, "extrapolated bounds")?;
    let mut read = alloc::zeros(m, "extrapolated noise")?;
    let mut drifting = alloc::filled(m, false, "the levels' drift")?;
    for i in 0..m {
        let at = |w: &[f64], from: usize| -> f64 {
            w.iter().zip(&levels[from..]).map(|(w, l)| w * l.d[i]).sum()
        };
        let (r2, r1, r0) = (at(&all, 0), at(&fine, 1), at(&finest, 2));
        let rounding: f64 = all
            .iter()
            .zip(&levels)
            .map(|(w, l)| w.abs() * (ROUNDING * eps * l.mag[i] + noise_of(p, i) / l.t))
            .sum();
        // f's rounding of its own arguments (`argument.rs`): in the bound, not in the
        // convergence test (sin(x / 10) at 3e5, forward: 2.4e-8 off with a bound of 2.6e-11).
        let arguments: f64 = all
            .iter()
            .zip(&levels)
            .map(|(w, l)| w.abs() * argument::rounding(p.x, dir, l.t, l.d[i]))
            .sum();
        values[i] = r2;
        unchecked[i] = SAFETY * (r2 - r1).abs() + rounding + arguments;
        bounds[i] = if converging((r2 - r1).abs(), (r1 - r0).abs(), rounding) {
            unchecked[i]
        } else {
            f64::NAN
        };
        read[i] = gain * ((r2 - r1).abs() / nb).max((r1 - r0).abs() / nb1);
        let q: Vec<f64> = levels.iter().map(|l| l.d[i]).collect();
        drifting[i] = self::drifting(&q);
    }
    Ok(Some(Extrapolated {
        values,
        bounds,
        unchecked,
        read,
        gain,
        drifting,
    }))
}

/// The changes between halved levels' differences shrinking by a factor in this range
/// (each the same within [`DRIFT_SPREAD`]) drift as a power of h: for f varying as `|x -
/// x_j|^p` far below the levels they go as `h^(p-1)` and shrink by `2^(p-1)`, here p from
/// 0.14 to 1.6 (x log x: 1, sqrt: 0.71, cbrt: 0.63, x^1.5: 1.41). Converging levels shrink by 2 and more
/// (cos at 0: 2); independent noise at each level scatters them (noise at x's point
/// alone: [`STEP_SPREAD`]).
const DRIFT: (f64, f64) = (0.55, 1.5);

/// How far (relative) consecutive shrink factors of drifting levels may differ: sqrt at
/// 1e-3 grown from typ / 16 gives 0.81, 0.86, 0.93 (the power law bends where h nears
/// x_j); independent noise keeps three of them this close rarely.
const DRIFT_SPREAD: f64 = 0.15;

/// Levels whose changes all grow by 2 within this share (a factor of 0.5) see one step
/// of f between x and the finest level, `a / h`: f varies far below the levels (`c + e
/// softplus(x / e)` at e = 1e-9, forward: the levels see `c + x + h` and f(x) off it by
/// 7e-11, and gave 0.99999996 for 0.93 with a bound of 1.3e-7). Noise at x's point alone
/// does the same only where it outweighs the noise at each level's point 20 times.
const STEP_SPREAD: f64 = 0.05;

/// Whether the differences `q` of halved levels (coarsest first) drift as a power of h
/// ([`DRIFT`]) or see one step of f below them ([`STEP_SPREAD`]): no extrapolation in
/// integer powers converges then, and their disagreement is no noise however large next
/// to a noise reading.
fn drifting(q: &[f64]) -> bool {
    if q.len() < 4 {
        return false;
    }
    let changes: Vec<f64> = q.windows(2).map(|w| w[1] - w[0]).collect();
    let shrink: Vec<f64> = changes.windows(2).map(|c| c[0] / c[1]).collect();
    let power = shrink.iter().all(|s| (DRIFT.0..=DRIFT.1).contains(s))
        && shrink
            .windows(2)
            .all(|s| (s[1] - s[0]).abs() <= DRIFT_SPREAD * s[0]);
    power || shrink.iter().all(|s| (s - 0.5).abs() <= STEP_SPREAD * 0.5)
}

/// Whether an extrapolation is in its asymptotic regime: each level added cuts the
/// disagreement by at least [`CONVERGENCE`] (`|r2 - r1| <= |r1 - r0| / 10`, r2, r1, r0
/// the extrapolations of the levels from the first, second and third on), unless the
/// disagreement is rounding. The disagreement bounds the error only there: `1 + x^2.5 / 2`
/// at 1e-4 grown from typ_j / 16 (levels far above x, where the difference goes like
/// `h^1.5`, not in integer powers) extrapolates to -2.2e-5 for 1.25e-6 with `|r2 - r1|`
/// 3.5e-6 and a ratio of 0.34; smooth functions (cosines near 0) give ratios below 1e-3.
fn converging(last: f64, before: f64, rounding: f64) -> bool {
    last <= rounding || last <= before / CONVERGENCE
}

/// See [`converging`].
const CONVERGENCE: f64 = 10.0;

/// The plain one-sided value `plain` (step `t`, rounding scales `plain_mag`) in place of
/// the far-above extrapolation (`out`, `bounds`), output by output, where the
/// extrapolation's bound is worse than the plain step's.
///
/// Why: the levels at `2^-13 typ_j` assume f varies on the scale typ_j. A function that
/// varies on `|x_j|` itself (`z exp(-z)`, `z = x / 1e10`) is there all rounding, `eps
/// |f| / h`: 1.5e-2 relative off at 1e10 (bounds 0.2-0.8), 2.6e-6 at 1e6, where the
/// plain step `r |x_j|` is right to 1e-8. Where some output's bound exceeds
/// [`PLAIN_REACH`]` sqrt(eps) |E|` (what a forward step can reach), one more evaluation at
/// `x + 2t` on the stencil's side gives the plain value's second difference D2 and its
/// bound `b_P = 2 (|D2| / 2t + eps ρ) + ε / t`. Where `b_P` is smaller and the two agree
/// within `b_E + b_P`, P replaces E with the bound `b_P` while `t <= typ_j` (its three
/// points then resolve the scale typ_j, so D2 sees f vary on it); with `t > typ_j` three
/// points may alias it, and only E, which resolves it, bounds P: `|P - E| + b_E`. Where
/// they disagree one bound is wrong: P (`t <= typ_j`) or E (`t > typ_j`) is kept with its
/// bound raised to `|P - E|` plus the other's. Where E has no bound (its levels did not
/// converge), P replaces it while `t <= typ_j`, without a bound either.
#[allow(clippy::too_many_arguments)]
pub(super) fn or_plain<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    j: usize,
    t: f64,
    typ: f64,
    stencil: &Placed,
    (plain, plain_mag): (&[f64], &[f64]),
    out: &mut [f64],
    bounds: &mut [f64],
) -> Result<(), FdError> {
    let (eps, m) = (f64::EPSILON, out.len());
    let weighted = |p: &Probe<'_, '_, F>, i: usize| p.weights.is_none_or(|w| w[i] != 0.0);
    let poor = |i: usize| bounds[i].is_nan() || bounds[i] > PLAIN_REACH * eps.sqrt() * out[i].abs();
    if !(0..m).any(|i| weighted(p, i) && poor(i)) {
        return Ok(());
    }
    let far = 2.0 * stencil.side * t;
    let (lo, hi) = (far.min(0.0), far.max(0.0));
    if !(p.x[j] + far).is_finite()
        || p.opts
            .bounds()
            .is_some_and(|b| !b.admits(j, p.x[j], (lo, hi)))
    {
        return Ok(());
    }
    p.ws.xp[j] = p.x[j] + far;
    let result = p.ev.eval(&p.ws.xp, &mut p.ws.y, || {
        Direction::Axis(j).point(2.0 * stencil.side, t)
    });
    p.ws.xp[j] = p.x[j];
    result?;
    if p.ws.y[..m].iter().any(|v| !v.is_finite()) {
        return Ok(());
    }
    for i in 0..m {
        let d2 = (p.ws.y[i] - p.y0[i]) - 2.0 * stencil.side * plain[i] * t;
        let b_p = PLAIN_SAFETY * (d2.abs() / (2.0 * t) + eps * plain_mag[i]) + noise_of(p, i) / t;
        let apart = (plain[i] - out[i]).abs();
        let (b_e, e_bounded) = (bounds[i], !bounds[i].is_nan());
        if !e_bounded {
            // E's levels did not converge: f's rounding exceeds the model `b_P` shares
            // with them (a product of 50 factors, one near 0, at 1e5: P 1.1e-3 off with
            // a bound 33 times too small), or f varies on a scale they do not resolve.
            // P, whose step resolves typ_j, is the better value, without a bound; with
            // `t > typ_j` it may alias f (sin at 2e12: P near 0 for cos x near 1), and E
            // is kept.
            if t <= typ {
                out[i] = plain[i];
            }
            continue;
        }
        if b_p >= b_e {
            continue;
        }
        if apart <= b_e + b_p {
            out[i] = plain[i];
            bounds[i] = if t <= typ { b_p } else { b_p.max(apart + b_e) };
        } else if t <= typ {
            // One of the two bounds is wrong: each value keeps its own raised to cover
            // the other's (E's rounding on f computed as a sum of larger terms, 1/x
            // summed at 1.8e8, exceeded its `4 eps ρ`).
            out[i] = plain[i];
            bounds[i] = b_p.max(apart + b_e);
        } else {
            bounds[i] = b_e.max(apart + b_p);
        }
    }
    Ok(())
}

/// The relative error, in units of `sqrt(eps)`, below which a far-above extrapolation is
/// kept without looking at the plain step ([`or_plain`]): a forward difference at any step
/// reaches no better than about `sqrt(eps)` of f's own scale.
const PLAIN_REACH: f64 = 1.0;

/// The safety factor on the plain one-sided value's model bound ([`or_plain`]).
const PLAIN_SAFETY: f64 = 2.0;
