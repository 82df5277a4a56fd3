//! Adaptive step selection: per direction, the step is chosen from the function's own
//! differences rather than from the scale of x.
//!
//! Why: the nominal step `r * max(|x_j|, typ_j)` assumes that f varies on the scale of
//! x. When it does not (cos near 0, where f' is tiny next to f; sin at x = 1e4; a log
//! close to its pole; f carrying a little noise) truncation or rounding swamps the
//! difference quotient and digits are lost silently.
//!
//! Method, per direction: evaluate the scheme's stencil at the 18 steps
//! `t_k = t_nom * 4^k`, `k = -9..=8` (about five decades each way), giving quotients
//! `D_k` of order p. Two Richardson steps between neighbouring steps remove the two
//! leading truncation terms (order p + 2 for central stencils). Where truncation
//! dominates, neighbouring extrapolants agree better and better as t shrinks; where
//! rounding or noise dominates, worse and worse (like `1/t`); so their disagreement is
//! smallest where the two balance, whatever f's noise level. Each extrapolant is scored by
//! its disagreement with both neighbours plus its rounding scale, relative to its size (so
//! that very large steps, where every quotient of a bounded f tends to 0, cannot win by
//! looking small), and the best one is the result.
//!
//! Steps that leave the bounds, or meet a NaN or infinity, drop out of the scan. When
//! some did, the one-sided stencils of the same order (forward, then backward) are scanned
//! too, and the best score of all scans wins: near a bound or a domain edge the central
//! stencil may only fit at steps too small to be accurate. If no scan has four
//! consecutive surviving steps, the fixed-step fall-back of [`super::derivative`]
//! (shrinking, then an error naming the bad value) takes over.
//!
//! Cost per direction: 18 stencil evaluations, i.e. 18 (forward/backward), 36 (central)
//! or 72 (fourth order) evaluations of f; fewer when steps leave the bounds or meet
//! non-finite values (a stencil stops at its first non-finite value); when some do, up to
//! three scans (the one-sided stencils have 2 and 4 points for central and fourth order),
//! plus the fixed-step fall-back in the worst case.

use super::derivative::{apply, fits, fixed_step, Direction};
use super::error::FdError;
use super::function::Function;
use super::probe::Probe;
use super::scheme::{Placed, Scheme};
use super::step::own_scale_step;

/// Steps `t_nom * RATIO^k` for `k` in `-BELOW..=ABOVE`.
const BELOW: i32 = 9;
/// See [`BELOW`].
const ABOVE: i32 = 8;
/// Ratio between consecutive trial steps.
const RATIO: f64 = 4.0;
/// The number of trial steps per scan.
pub(crate) const TRIAL_STEPS: usize = (BELOW + ABOVE + 1) as usize;

/// The order p of a scheme's stencils (error O(t^p)); the one-sided fall-backs share it.
fn order(scheme: Scheme) -> i32 {
    match scheme {
        Scheme::Forward | Scheme::Backward => 1,
        Scheme::Central => 2,
        Scheme::Central4 => 4,
    }
}

/// The difference quotient at one trial step, with its rounding scale.
struct Trial {
    quotient: Vec<f64>,
    magnitude: Vec<f64>,
}

/// The derivative along `dir` at an adaptively chosen step, into `out`.
pub(crate) fn directional<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    (dir, t_nom): (Direction<'_>, f64),
    out: &mut [f64],
) -> Result<(), FdError> {
    let scheme = p.opts.scheme();
    let order = order(scheme);
    let mut best: Option<(f64, Vec<f64>)> = None;
    let own_scale = match dir {
        Direction::Axis(j) => own_scale_step(p.opts, p.x, j).filter(|&e| e < t_nom / 10.0),
        Direction::Vector(_) | Direction::Group(..) => None,
    };
    let mut starts = vec![t_nom];
    for (k, stencil) in scheme.candidates().iter().enumerate() {
        let trials = scan(p, dir, t_nom, stencil)?;
        if let Some((score, value)) = choose(&trials, error_powers(stencil, order)) {
            if best.as_ref().is_none_or(|(s, _)| score < *s) {
                best = Some((score, value));
            }
        }
        if trials.iter().all(Option::is_some) {
            break; // every step survived: the one-sided stencils cannot do better
        }
        if k == 0 {
            // Steps lost to a NaN or the bounds with x_j far below the nominal step's
            // scale: a domain edge at 0 (log, sqrt) may be near, and f may vary on x_j's
            // own scale, which the scan around t_nom never reaches. Scan from there too.
            starts.extend(own_scale);
        }
    }
    for &start in &starts[1..] {
        for stencil in scheme.candidates() {
            let trials = scan(p, dir, start, stencil)?;
            if let Some((score, value)) = choose(&trials, error_powers(stencil, order)) {
                if best.as_ref().is_none_or(|(s, _)| score < *s) {
                    best = Some((score, value));
                }
            }
            if trials.iter().all(Option::is_some) {
                break;
            }
        }
    }
    match best {
        Some((_, value)) => {
            out.copy_from_slice(&value);
            Ok(())
        }
        None => fixed_step(p, (dir, t_nom), out),
    }
}

/// Evaluates `stencil` at every trial step; `None` where the step is not representable,
/// leaves the bounds or meets a non-finite value.
fn scan<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t_nom: f64,
    stencil: &Placed,
) -> Result<Vec<Option<Trial>>, FdError> {
    let (opts, x) = (p.opts, p.x);
    let mut trials = Vec::with_capacity(TRIAL_STEPS);
    for k in -BELOW..=ABOVE {
        let nominal = t_nom * RATIO.powi(k);
        let t = dir.step(x, nominal);
        if !(t > 0.0 && t.is_finite() && fits(opts, x, dir, t, stencil)) {
            trials.push(None);
            continue;
        }
        let mut quotient = vec![0.0; p.y0.len()];
        let trial = match apply(p, dir, t, stencil, &mut quotient)? {
            Some(_) => None,
            None => Some(Trial {
                quotient,
                magnitude: p.ws.magnitude.clone(),
            }),
        };
        trials.push(trial);
    }
    Ok(trials)
}

/// One Richardson step between neighbouring trial steps (`t` and `RATIO * t`) that both
/// survived, removing the error term `t^e` (`c = RATIO^e - 1`); the rounding scales are
/// carried as worst-case bounds.
fn extrapolate(trials: &[Option<Trial>], c: f64) -> Vec<Option<Trial>> {
    trials
        .windows(2)
        .map(|w| {
            let (Some(a), Some(b)) = (&w[0], &w[1]) else {
                return None;
            };
            let quotient = a
                .quotient
                .iter()
                .zip(&b.quotient)
                .map(|(qa, qb)| qa + (qa - qb) / c)
                .collect();
            let magnitude = a
                .magnitude
                .iter()
                .zip(&b.magnitude)
                .map(|(ma, mb)| ma * (1.0 + 1.0 / c) + mb / c)
                .collect();
            Some(Trial {
                quotient,
                magnitude,
            })
        })
        .collect()
}

/// The best score and its extrapolant, if four consecutive trial steps survived.
///
/// Two Richardson steps remove the error terms `t^e1` and `t^e2` (the stencil's order and
/// the next power in its error: `+2` for central stencils, `+1` for one-sided ones). Each
/// extrapolant `F_k` is scored by `(max(|F_(k-1) - F_k|, |F_k - F_(k+1)|) + eps rho_k) /
/// |F_k|` (1-norms over the outputs): requiring agreement with both neighbours keeps a
/// lucky coincidence of two noisy values from winning.
fn choose(trials: &[Option<Trial>], (e1, e2): (i32, i32)) -> Option<(f64, Vec<f64>)> {
    let first = extrapolate(trials, RATIO.powi(e1) - 1.0);
    let second = extrapolate(&first, RATIO.powi(e2) - 1.0);
    let norm = |v: &[f64]| v.iter().map(|a| a.abs()).sum::<f64>();
    let gap = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>();
    let mut best: Option<(f64, &Trial)> = None;
    for w in second.windows(3) {
        let (Some(before), Some(f), Some(after)) = (&w[0], &w[1], &w[2]) else {
            continue;
        };
        let spread = gap(&before.quotient, &f.quotient).max(gap(&f.quotient, &after.quotient))
            + f64::EPSILON * norm(&f.magnitude);
        let size = norm(&f.quotient);
        let score = if spread == 0.0 {
            0.0
        } else if size == 0.0 {
            f64::INFINITY
        } else {
            spread / size
        };
        if best.as_ref().is_none_or(|(s, _)| score < *s) {
            best = Some((score, f));
        }
    }
    best.map(|(score, f)| (score, f.quotient.clone()))
}

/// The powers of t removed by the two Richardson steps for `stencil` of order `p`.
fn error_powers(stencil: &Placed, p: i32) -> (i32, i32) {
    let (lo, hi) = stencil.reach();
    let stride = if lo == -hi { 2 } else { 1 };
    (p, p + stride)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fd::{vjp, Options};
    use std::cell::Cell;

    fn adaptive() -> Options {
        let mut o = Options::new();
        o.set_adaptive(true);
        o
    }

    /// cos near 0: f' = -sin(x) is a millionth of f, so the central difference at the
    /// nominal step (the plain rule's relative step, set explicitly so that the default's
    /// refinement stays out) keeps only ~5 digits; the adaptive step keeps more than 7.
    #[test]
    fn cos_near_zero_keeps_seven_digits() {
        let f = |x: &[f64], y: &mut [f64]| {
            y[0] = x[0].cos();
            Ok(())
        };
        let x = [1e-6];
        let want = -(1e-6f64).sin();
        let mut plain = Options::new();
        plain.set_relative_step(Some(f64::EPSILON.cbrt())).unwrap();
        let fixed = vjp(&f, &x, &[1.0], &plain).unwrap()[0];
        let adapted = vjp(&f, &x, &[1.0], &adaptive()).unwrap()[0];
        assert!(((fixed - want) / want).abs() > 1e-7, "fixed step {fixed}");
        assert!(
            ((adapted - want) / want).abs() <= 1e-7,
            "adaptive {adapted}"
        );
    }

    /// The documented cost: one f(x) plus 36 evaluations per column (central).
    #[test]
    fn central_costs_thirty_six_evaluations_per_column() {
        let count = Cell::new(0usize);
        let f = |x: &[f64], y: &mut [f64]| {
            count.set(count.get() + 1);
            y[0] = x[0].exp() * x[1].sin();
            Ok(())
        };
        let g = vjp(&f, &[0.3, 0.7], &[1.0], &adaptive()).unwrap();
        assert_eq!(count.get(), 1 + 2 * 2 * TRIAL_STEPS);
        let want = [0.3f64.exp() * 0.7f64.sin(), 0.3f64.exp() * 0.7f64.cos()];
        for (a, b) in g.iter().zip(want) {
            assert!((a - b).abs() <= 1e-12 * b.abs(), "{a} vs {b}");
        }
    }
}
