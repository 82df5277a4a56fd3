//! Adaptive step selection: per direction, the step is chosen from the function's own
//! differences rather than from the scale of x.
//!
//! Why: the nominal step `r * max(|x_j|, typ_j)` assumes that f varies on the scale of
//! x. When it does not (cos near 0, where f' is tiny next to f; sin at x = 1e4; a log
//! close to its pole; f carrying a little noise) truncation or rounding swamps the
//! difference quotient and digits are lost silently.
//!
//! Method, per direction: evaluate the scheme's stencil at the 17 steps
//! `t_k = t_nom * 4^k`, `k = -8..=8` (five decades each way), giving quotients `D_k` of
//! order p. One Richardson step `E_k = D_k + (D_k - D_{k+1}) / (4^p - 1)` removes the
//! leading truncation term. The disagreement `delta_k = |E_k - E_{k+1}|` measures the
//! error where truncation dominates (it shrinks like `t^(p+1)` or faster) and where
//! rounding or noise dominates (it grows like `1/t`), so it is smallest where the two
//! balance, whatever f's noise level. Each k is scored by
//! `(delta_k + eps * rho_k) / |E_k|` (1-norms over the outputs, `rho_k` the rounding scale
//! of the stencil's values), a relative score so that very large steps, where every
//! quotient tends to 0 for a bounded f, cannot win by looking small; the `E_k` of the
//! best score is the result.
//!
//! Steps that leave the bounds, or meet a NaN or infinity, drop out of the scan; if no
//! three consecutive steps survive with the scheme's stencil, the one-sided stencils of
//! the same order are scanned; if none survives, the fixed-step fall-back of
//! [`super::derivative`] (shrinking, then an error naming the bad value) takes over.
//!
//! Cost per direction: 17 stencil evaluations, i.e. 17 (forward/backward), 34 (central)
//! or 68 (fourth order) evaluations of f; fewer when steps leave the bounds or meet
//! non-finite values (a stencil stops at its first non-finite value); at most three scans
//! plus the fixed-step fall-back in the worst case.

use super::derivative::{apply, fits, fixed_step, Direction, Workspace};
use super::error::FdError;
use super::evaluator::Evaluator;
use super::function::Function;
use super::options::Options;
use super::scheme::{Placed, Scheme};
use super::step::exact_step;

/// Steps `t_nom * RATIO^k` for `k` in `-HALF_WIDTH..=HALF_WIDTH`.
pub(crate) const HALF_WIDTH: i32 = 8;
/// Ratio between consecutive trial steps.
const RATIO: f64 = 4.0;
/// The number of trial steps per scan.
pub(crate) const TRIAL_STEPS: usize = (2 * HALF_WIDTH + 1) as usize;

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
#[allow(clippy::too_many_arguments)]
pub(crate) fn directional<F: Function + ?Sized>(
    ev: &mut Evaluator<'_, F>,
    opts: &Options,
    x: &[f64],
    y0: &[f64],
    dir: Direction<'_>,
    t_nom: f64,
    ws: &mut Workspace,
    out: &mut [f64],
) -> Result<(), FdError> {
    let scheme = opts.scheme();
    let p = order(scheme);
    for stencil in &scheme.candidates()[..scheme.candidate_count()] {
        let trials = scan(ev, opts, x, y0, dir, t_nom, stencil, ws)?;
        if let Some(best) = choose(&trials, p) {
            out.copy_from_slice(&best);
            return Ok(());
        }
    }
    fixed_step(ev, opts, x, y0, dir, t_nom, ws, out)
}

/// Evaluates `stencil` at every trial step; `None` where the step is not representable,
/// leaves the bounds or meets a non-finite value.
#[allow(clippy::too_many_arguments)]
fn scan<F: Function + ?Sized>(
    ev: &mut Evaluator<'_, F>,
    opts: &Options,
    x: &[f64],
    y0: &[f64],
    dir: Direction<'_>,
    t_nom: f64,
    stencil: &Placed,
    ws: &mut Workspace,
) -> Result<Vec<Option<Trial>>, FdError> {
    let mut trials = Vec::with_capacity(TRIAL_STEPS);
    for k in -HALF_WIDTH..=HALF_WIDTH {
        let nominal = t_nom * RATIO.powi(k);
        let t = match dir {
            Direction::Axis(j) => exact_step(x[j], nominal),
            Direction::Vector(_) | Direction::Group(..) => nominal,
        };
        if !(t > 0.0 && t.is_finite() && fits(opts, x, dir, t, stencil)) {
            trials.push(None);
            continue;
        }
        let mut quotient = vec![0.0; y0.len()];
        let trial = match apply(ev, x, y0, dir, t, stencil, ws, &mut quotient)? {
            Some(_) => None,
            None => Some(Trial {
                quotient,
                magnitude: ws.magnitude.clone(),
            }),
        };
        trials.push(trial);
    }
    Ok(trials)
}

/// The one-step extrapolant of the best-scored trial step, if three consecutive trial
/// steps survived.
fn choose(trials: &[Option<Trial>], p: i32) -> Option<Vec<f64>> {
    let c = RATIO.powi(p) - 1.0;
    // E_k from trials k (step t) and k + 1 (step RATIO * t), with its rounding scale.
    let extrapolants: Vec<Option<(Vec<f64>, f64)>> = trials
        .windows(2)
        .map(|w| match (&w[0], &w[1]) {
            (Some(a), Some(b)) => {
                let e = a
                    .quotient
                    .iter()
                    .zip(&b.quotient)
                    .map(|(da, db)| da + (da - db) / c)
                    .collect();
                let rho = a
                    .magnitude
                    .iter()
                    .zip(&b.magnitude)
                    .map(|(ma, mb)| ma * (1.0 + 1.0 / c) + mb / c)
                    .sum::<f64>();
                Some((e, rho))
            }
            _ => None,
        })
        .collect();
    let mut best: Option<(f64, &Vec<f64>)> = None;
    for w in extrapolants.windows(2) {
        let (Some((e, rho)), Some((e_next, _))) = (&w[0], &w[1]) else {
            continue;
        };
        let delta: f64 = e.iter().zip(e_next).map(|(a, b)| (a - b).abs()).sum();
        let size: f64 = e.iter().map(|a| a.abs()).sum();
        let spread = delta + f64::EPSILON * rho;
        let score = if spread == 0.0 {
            0.0
        } else if size == 0.0 {
            f64::INFINITY
        } else {
            spread / size
        };
        if best.as_ref().is_none_or(|(s, _)| score < *s) {
            best = Some((score, e));
        }
    }
    best.map(|(_, e)| e.clone())
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
    /// nominal step keeps only ~5 digits; the adaptive step keeps more than 7.
    #[test]
    fn cos_near_zero_keeps_seven_digits() {
        let f = |x: &[f64], y: &mut [f64]| {
            y[0] = x[0].cos();
            Ok(())
        };
        let x = [1e-6];
        let want = -(1e-6f64).sin();
        let fixed = vjp(&f, &x, &[1.0], &Options::new()).unwrap()[0];
        let adapted = vjp(&f, &x, &[1.0], &adaptive()).unwrap()[0];
        assert!(((fixed - want) / want).abs() > 1e-7, "fixed step {fixed}");
        assert!(
            ((adapted - want) / want).abs() <= 1e-7,
            "adaptive {adapted}"
        );
    }

    /// The documented cost: one f(x) plus 34 evaluations per column (central).
    #[test]
    fn central_costs_thirty_four_evaluations_per_column() {
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
