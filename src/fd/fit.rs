//! The largest step that fits: the order in which a direction tries its candidate stencils
//! and steps when the scheme's own stencil at the nominal step cannot be used.
//!
//! Why: near a bound, dividing the step by 10 until a stencil fits loses up to a factor 10
//! of step, and the rounding error of a difference quotient grows like `1 / t`. Instead,
//! each candidate stencil (the scheme's own, then the one-sided ones of the same order,
//! forward and backward) is taken at the largest step `t <= t0` at which all its points lie
//! inside the bounds, and the candidate with the largest such step goes first (the rule of
//! scipy's `approx_derivative`, generalised to every stencil). Where the bounds do not bind,
//! every candidate fits at the nominal step and the order is the candidates' own.
//!
//! Non-finite values still shrink the step by 10 ([`MAX_SHRINKS`] times at most): the
//! attempts are arranged in levels `t_L = t0 / 10^L`; at level `L` a candidate is tried at
//! `t_L` if it fits there, else at its largest fitting step if that lies in
//! `(t_(L+1), t_L)`, so each distinct (stencil, step) pair is tried once, largest steps
//! first, and no step below `t0 / 10^MAX_SHRINKS` is ever taken.

use super::derivative::{fits, Direction, MAX_SHRINKS};
use super::options::Options;
use super::scheme::Placed;

/// The largest `t`, as [`Direction::step`] makes it from a nominal step `<= nominal`, at
/// which every point of `stencil` lies inside the bounds; `None` if no positive step does.
/// Exactly `dir.step(x, nominal)` when that fits.
pub(crate) fn largest_step(
    opts: &Options,
    x: &[f64],
    dir: Direction<'_>,
    nominal: f64,
    stencil: &Placed,
) -> Option<f64> {
    let t = dir.step(x, nominal);
    if t.is_nan() || t <= 0.0 {
        return None;
    }
    if fits(opts, x, dir, t, stencil) {
        return Some(t);
    }
    let mut c = room(opts, x, dir, stencil).min(nominal);
    // `room` ignores rounding (of `x_j + o t`, and of the step itself): back off by a few
    // units in the last place at a time, doubling, until the bounds admit the points.
    let mut backoff = f64::EPSILON;
    while c > 0.0 && backoff < 0.05 {
        let t = dir.step(x, c);
        if t > 0.0 && fits(opts, x, dir, t, stencil) {
            return Some(t);
        }
        c *= 1.0 - backoff;
        backoff *= 2.0;
    }
    None
}

/// The largest step along `dir` at which `stencil` stays inside the bounds, ignoring
/// rounding (infinite without bounds).
fn room(opts: &Options, x: &[f64], dir: Direction<'_>, stencil: &Placed) -> f64 {
    let Some(bounds) = opts.bounds() else {
        return f64::INFINITY;
    };
    let (lo, hi) = stencil.reach();
    let along = |i: usize, ui: f64| bounds.room(i, x[i], (lo * ui, hi * ui));
    match dir {
        Direction::Axis(j) => along(j, 1.0),
        Direction::Vector(u) => (0..x.len())
            .filter(|&i| u[i] != 0.0)
            .map(|i| along(i, u[i]))
            .fold(f64::INFINITY, f64::min),
        Direction::Group(u, cols) => cols
            .iter()
            .map(|&j| along(j, u[j]))
            .fold(f64::INFINITY, f64::min),
    }
}

/// The attempts of the fall-back policy, in order: (index into `candidates`, step).
pub(crate) struct Attempts {
    pub list: Vec<(usize, f64)>,
    /// The smallest nominal step considered (for the error when nothing fits).
    pub smallest: f64,
}

/// Every (stencil, step) pair the fall-back policy may try along `dir` from the nominal
/// step `t0`, largest steps first (see the module documentation).
pub(crate) fn attempts(
    opts: &Options,
    x: &[f64],
    dir: Direction<'_>,
    t0: f64,
    candidates: &[Placed],
) -> Attempts {
    let mut levels = Vec::with_capacity(MAX_SHRINKS as usize + 1);
    let mut nominal = t0;
    for _ in 0..=MAX_SHRINKS {
        let t = dir.step(x, nominal);
        if t <= 0.0 {
            break;
        }
        levels.push(t);
        nominal /= 10.0;
    }
    let smallest = nominal * 10.0;
    let mut list = Vec::new();
    let Some(&floor) = levels.last() else {
        return Attempts { list, smallest };
    };
    // Each candidate's largest fitting step, computed once; only the bounds limit it.
    let largest: Vec<Option<f64>> = match opts.bounds() {
        None => vec![None; candidates.len()],
        Some(_) => candidates
            .iter()
            .map(|s| largest_step(opts, x, dir, t0, s).filter(|&t| t > floor))
            .collect(),
    };
    for (level, &t) in levels.iter().enumerate() {
        let below = levels.get(level + 1).copied().unwrap_or(floor);
        let start = list.len();
        for (k, stencil) in candidates.iter().enumerate() {
            if fits(opts, x, dir, t, stencil) {
                list.push((k, t));
            } else if let Some(s) = largest[k].filter(|&s| below < s && s < t) {
                list.push((k, s));
            }
        }
        // Largest step first; the sort is stable, so ties keep the candidates' order.
        list[start..].sort_by(|a, b| b.1.total_cmp(&a.1));
    }
    Attempts { list, smallest }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fd::Scheme;

    fn bounded(lower: f64, upper: f64, scheme: Scheme) -> Options {
        let mut o = Options::new();
        o.set_scheme(scheme);
        o.set_bounds(Some((vec![lower], vec![upper]))).unwrap();
        o
    }

    /// Without binding bounds, the attempts are today's: each level's candidates in order.
    #[test]
    fn unbounded_attempts_are_the_levels_in_candidate_order() {
        let opts = Options::new();
        let c = Scheme::Central.candidates();
        let a = attempts(&opts, &[0.5], Direction::Axis(0), 1e-3, c);
        assert_eq!(a.list.len(), 3 * (MAX_SHRINKS as usize + 1));
        let mut nominal = 1e-3;
        for level in a.list.chunks(3) {
            let t = Direction::Axis(0).step(&[0.5], nominal);
            assert_eq!(level, &[(0, t), (1, t), (2, t)]);
            nominal /= 10.0;
        }
    }

    /// The case of issue 11: x = 10, bounds [x - 3e-9, x + 2e-9]. Central fits at 2e-9,
    /// the one-sided stencils (reach 2t) at 1e-9 forward and 1.5e-9 backward; forward
    /// differences fit at 2e-9 forward and 3e-9 backward. Largest first, each step exact
    /// and every point inside; later attempts never larger.
    #[test]
    fn tight_bounds_take_the_largest_step_that_fits() {
        let x = [10.0];
        let (lo, hi) = (10.0 - 3e-9, 10.0 + 2e-9);
        for (scheme, want) in [
            (Scheme::Central, [(0, 2e-9), (2, 1.5e-9)]),
            (Scheme::Forward, [(1, 3e-9), (0, 2e-9)]),
        ] {
            let opts = bounded(lo, hi, scheme);
            let c = scheme.candidates();
            let a = attempts(&opts, &x, Direction::Axis(0), 1.234e-4, c);
            for (&(k, t), &(wk, wt)) in a.list.iter().zip(&want) {
                assert_eq!(k, wk, "{scheme:?}: {:?}", a.list);
                assert!((t - wt).abs() <= 1e-6 * wt, "{scheme:?}: {t:e} vs {wt:e}");
            }
            for (i, &(k, t)) in a.list.iter().enumerate() {
                assert_eq!((10.0 + t) - 10.0, t);
                assert!(fits(&opts, &x, Direction::Axis(0), t, &c[k]));
                assert!(i == 0 || t <= a.list[i - 1].1, "{:?}", a.list);
            }
        }
    }

    /// Nothing below `t0 / 10^MAX_SHRINKS`: a box narrower than that has no attempt.
    #[test]
    fn no_step_below_the_last_level() {
        let opts = bounded(0.5 - 1e-12, 0.5 + 1e-12, Scheme::Central);
        let c = Scheme::Central.candidates();
        let a = attempts(&opts, &[0.5], Direction::Axis(0), 1e-3, c);
        assert!(a.list.is_empty(), "{:?}", a.list);
        assert!((a.smallest / 1e-9 - 1.0).abs() < 1e-12, "{}", a.smallest);
    }
}
