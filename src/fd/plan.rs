//! Planning points ahead: the stencil points a direction will ask for first, so that many
//! directions' points can be evaluated in one batch (threads, a batch callback, MPI).
//!
//! The plan mirrors the first attempt of [`super::derivative::fixed_step`]: the scheme's
//! own stencil at the nominal step. Fall-backs (bounds, non-finite values) are not
//! planned; they are evaluated one by one when asked for, so batching never changes which
//! points are evaluated, nor any result. Where the first stencil meets a NaN before its
//! last point, a serial run evaluates the rest of it too
//! ([`super::derivative::complete_plan`]), so that the counts do not change either. A
//! direction whose own stencil leaves the bounds plans nothing: its serial fall-backs
//! (the near-edge policy, `bound_edge`, `bounded_fallback`) choose their points as they
//! go, and a planned first fall-back attempt made batched runs call f 1 to 4 more times
//! than serial ones (375 of 6,000 bounded arrangements, edge11's probe). It also ends
//! its batch ([`super::columns::evaluate_ahead`]): its fall-backs may end the call, and
//! the directions after it are planned only once it is done.

use super::derivative::{fits, move_to, Direction};
use super::options::Options;

/// Stencil points per direction that the plan evaluates (offset 0 is f(x), known).
pub(crate) fn points_per_direction(opts: &Options) -> usize {
    let stencil = opts.scheme().candidates()[0];
    stencil.terms().filter(|&(o, _)| o != 0.0).count()
}

/// Evaluations planned per direction, for progress reports: the stencil's points, or with
/// adaptive steps the stencil at each of its trial steps. Fall-backs near bounds or
/// non-finite values may add more (the total then grows); trial steps that leave the
/// bounds may use fewer (the total stays).
pub(crate) fn planned_per_direction(opts: &Options) -> usize {
    let points = points_per_direction(opts);
    if opts.adaptive() {
        points * super::adaptive::TRIAL_STEPS
    } else {
        points
    }
}

/// Appends to `xs` the points `x + o t dir` of the scheme's own stencil at the nominal
/// step `t0`, in the order the stencil evaluates them. Nothing where that stencil leaves
/// the bounds, nor under adaptive steps: both choose their points as they go.
pub(crate) fn first_points(
    opts: &Options,
    x: &[f64],
    dir: Direction<'_>,
    t0: f64,
    xs: &mut Vec<f64>,
) {
    if opts.adaptive() {
        return;
    }
    let t = dir.step(x, t0);
    if t <= 0.0 {
        return;
    }
    let scheme = opts.scheme();
    let candidates = scheme.candidates();
    let stencil = &candidates[0];
    if !fits(opts, x, dir, t, stencil) {
        return;
    }
    for (o, _) in stencil.terms().filter(|&(o, _)| o != 0.0) {
        let start = xs.len();
        xs.extend_from_slice(x);
        move_to(&mut xs[start..], x, dir, o * t);
    }
}
