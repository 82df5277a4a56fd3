//! Estimating the noise of f's outputs from a difference table along one direction.
//!
//! Why: many functions handed to a finite-difference library are not exact (an ODE solver
//! with a tolerance, an iterative solver, a simulation): their values carry noise far above
//! rounding, and the best step depends on it. The method is ECnoise (J. J. Moré and S. M.
//! Wild, "Estimating computational noise", SIAM J. Sci. Comput. 33(3), 2011), written
//! here from the paper: f at `x + k δ u`, `k = -4..=4`, along a fixed pseudo-random sign
//! vector `u` scaled by each element's plain step `δ_j`; the k-th differences of a smooth
//! function then shrink like `(δ/L)^k` (below rounding from k = 3 at the plain step),
//! while those of noise of standard deviation σ have mean square `σ^2 (2k)! / (k!)^2`. So
//! `σ_k = sqrt(γ_k mean(Δ^k f)^2)`, `γ_k = (k!)^2 / (2k)!`, estimates σ at every level where
//! noise dominates; the estimate is the first σ_k (k = 1..4) that agrees with the next two
//! within a factor 4 while `Δ^k f` changes sign (noise, not a smooth trend). When no level
//! qualifies the output gets no estimate (a smooth trend dominates even at high order).
//!
//! Cost: 8 evaluations (f(x) is known). Points that leave the bounds use `k = 0..=8`
//! instead; if those leave them too, or f is not finite at a point, there is no estimate.

use super::derivative::move_to;
use super::derivative::Direction;
use super::error::FdError;
use super::function::Function;
use super::probe::Probe;
use super::step::nominal_step;

/// Evaluations one estimate makes.
pub(crate) const NOISE_POINTS: usize = 8;

/// Highest order of the difference table.
const ORDERS: usize = 6;

/// Per output, the estimated noise (standard deviation) of f, or `None` where the table
/// shows none (a smooth trend dominates) and the whole estimate when the points do not
/// fit inside the bounds or f is not finite at one of them.
pub(crate) fn estimate<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
) -> Result<Option<Vec<Option<f64>>>, FdError> {
    let (opts, x) = (p.opts, p.x);
    let n = x.len();
    let m = p.y0.len();
    // The direction: signs from a fixed linear congruential sequence (reproducible), each
    // element moved by its own plain step.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let delta: Vec<f64> = (0..n)
        .map(|j| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let sign = if state >> 63 == 0 { 1.0 } else { -1.0 };
            sign * nominal_step(opts, x, j)
        })
        .collect();
    let fits = |lo: f64, hi: f64| match opts.bounds() {
        None => true,
        Some(b) => (0..n).all(|j| {
            let (a, c) = (lo * delta[j], hi * delta[j]);
            b.admits(j, x[j], (a.min(c), a.max(c)))
        }),
    };
    let first = if fits(-4.0, 4.0) {
        -4
    } else if fits(0.0, 8.0) {
        0
    } else {
        return Ok(None);
    };
    let points = NOISE_POINTS + 1;
    let mut values = vec![0.0; points * m];
    let dir = Direction::Vector(&delta);
    for k in 0..points {
        let o = f64::from(first + k as i32);
        let row = &mut values[k * m..(k + 1) * m];
        if o == 0.0 {
            row.copy_from_slice(&p.y0);
            continue;
        }
        move_to(&mut p.ws.xp, x, dir, o);
        let result = p.ev.eval(&p.ws.xp, &mut p.ws.y, || {
            format!("x + {o}*d (noise estimate, d = the plain steps with random signs)")
        });
        move_to(&mut p.ws.xp, x, dir, 0.0);
        result?;
        if p.ws.y[..m].iter().any(|v| !v.is_finite()) {
            return Ok(None);
        }
        row.copy_from_slice(&p.ws.y[..m]);
    }
    Ok(Some(
        (0..m)
            .map(|i| {
                let column: Vec<f64> = (0..points).map(|k| values[k * m + i]).collect();
                level(&column)
            })
            .collect(),
    ))
}

/// The noise level of one output from its values at equally spaced points.
fn level(values: &[f64]) -> Option<f64> {
    let mut d = values.to_vec();
    let mut sigma = [0.0; ORDERS + 1];
    let mut sign_change = [false; ORDERS + 1];
    let mut gamma = 1.0;
    for k in 1..=ORDERS {
        d = d.windows(2).map(|w| w[1] - w[0]).collect();
        // gamma_k = (k!)^2 / (2k)! = gamma_(k-1) * k / (2 (2k - 1))
        gamma *= k as f64 / (2.0 * (2 * k - 1) as f64);
        let mean_square = d.iter().map(|v| v * v).sum::<f64>() / d.len() as f64;
        sigma[k] = (gamma * mean_square).sqrt();
        let (lo, hi) = d
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        sign_change[k] = lo < 0.0 && hi > 0.0;
    }
    if sigma[2..].iter().all(|&s| s == 0.0) {
        return Some(0.0); // exactly linear (or constant) along the direction
    }
    (1..=ORDERS - 2).find_map(|k| {
        let window = &sigma[k..=k + 2];
        let hi = window.iter().fold(0.0f64, |a, &b| a.max(b));
        let lo = window.iter().fold(f64::INFINITY, |a, &b| a.min(b));
        (sign_change[k] && hi <= 4.0 * lo).then_some(sigma[k])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A smooth trend plus pseudo-random noise of standard deviation sigma: the estimate
    /// is within a factor 2 of sigma from 1e-12 to 1e-4.
    #[test]
    fn recovers_the_noise_level_of_a_trend_plus_noise() {
        for &sigma in &[1e-12, 1e-10, 1e-8, 1e-6, 1e-4] {
            let mut state: u64 = 12345;
            let values: Vec<f64> = (0..9)
                .map(|k| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    // uniform in [-sqrt(3), sqrt(3)): variance 1
                    let u = ((state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * 3f64.sqrt();
                    let t = (k as f64 - 4.0) * 1e-5;
                    (1.0 + t).exp() + sigma * u
                })
                .collect();
            let got = level(&values).expect("an estimate");
            assert!(
                got > sigma / 2.0 && got < 2.0 * sigma,
                "sigma {sigma}: {got}"
            );
        }
    }

    #[test]
    fn exact_polynomial_has_no_noise_above_rounding() {
        let values: Vec<f64> = (0..9).map(|k| 3.0 + 2.0 * k as f64).collect();
        assert_eq!(level(&values), Some(0.0));
    }
}
