//! Splitting a JVP's direction where its elements live on scales too far apart for one
//! tableau.
//!
//! Why: a tableau along u starts from the smallest of the elements' own-scale starts
//! `r scale_j / |u_j|` (`richardson_start.rs`). With `log(x0) + log(x1)` at x = (1, 1e-8)
//! and u = (1e-10, 1), that is 1.25e-9, set by x1; x0 then moves by 1e-19, below its
//! ulp, so the points `x + o t u` are rounded to a direction other than u, and the
//! estimate that accounts for that rounding is 4 times the value (3.9e8 on 1e8), while the
//! default start, far above x1's scale, gave 6330 for 1e8 with an estimate of 1.5e4. J u
//! is linear in u: `J u = J u_near + J u_far`, each along the elements whose own-scale
//! starts are within [`SPREAD`] of each other, gives both parts at their own scales.

use super::options::Options;
use super::richardson_start::own_scale_start;

/// Elements whose own-scale starts along u differ by more than this factor are
/// extrapolated along separate directions (the tableau's steps span a factor 32; an
/// element moved 2^20 times below its own scale is moved by a few ulps at 1e-9).
const SPREAD: f64 = 1048576.0;

/// The parts of `u` (each u with the other elements zeroed), by own-scale start, smallest
/// first; a single part (`u` itself) when the starts are within [`SPREAD`] of each other,
/// with the caller's absolute steps, or when no start is known.
pub(crate) fn split(opts: &Options, x: &[f64], u: &[f64]) -> Vec<Vec<f64>> {
    let starts: Option<Vec<(usize, f64)>> = (0..x.len())
        .filter(|&j| u[j] != 0.0)
        .map(|j| own_scale_start(opts, x, j).map(|s| (j, s / u[j].abs())))
        .collect();
    let Some(mut starts) = starts else {
        return vec![u.to_vec()];
    };
    if starts.iter().any(|(_, s)| !(s.is_finite() && *s > 0.0)) {
        return vec![u.to_vec()];
    }
    starts.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut parts: Vec<Vec<f64>> = Vec::new();
    let mut low = 0.0;
    for (j, s) in starts {
        if parts.is_empty() || s > SPREAD * low {
            parts.push(vec![0.0; u.len()]);
            low = s;
        }
        parts.last_mut().expect("pushed above")[j] = u[j];
    }
    if parts.len() <= 1 {
        return vec![u.to_vec()];
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_far_apart_scales_are_split() {
        let o = crate::fd::richardson::starting_options(&Options::new());
        assert_eq!(split(&o, &[1.0, 2.0], &[1e-3, 1.0]), vec![vec![1e-3, 1.0]]);
        assert_eq!(
            split(&o, &[1.0, 1e-8], &[1e-10, 1.0]),
            vec![vec![0.0, 1.0], vec![1e-10, 0.0]]
        );
    }
}
