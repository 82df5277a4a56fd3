//! An edge nearer x than every step the fall-back tries: a NaN or infinity met by each
//! stencil that fits inside the bounds from the plain step `t0` down to `t0 / 10^6`
//! ([`MAX_SHRINKS`]), along an axis with `x_j` not far below typ_j (so no own-scale
//! answer: `derivative::near_edge`). asin at `1 - 1e-12` on its box's lower bound: only
//! the forward stencil fits, and it crosses 1 at every step down to 6e-12; the call
//! failed with `FDVJP_NONFINITE_PERTURBED` (34 of 432 sparse calls of
//! `tests/fd_sparse_bounds_edge.rs`, their columns taken alone, and the dense call
//! alike) where an answer exists.
//!
//! Policy: the same fall-back again from `t0 / 10^7` down (while the steps still move
//! x_j), the first stencil that meets no non-finite value at the largest such step (B);
//! then, as the edge scan does with B near an edge, refined down from a hundredth of its
//! step with that stencil (its levels' Richardson estimate bounds the value kept, the
//! plain one only when they confirm it). Only the central scheme at the step rule's own
//! steps (as the edge scan); otherwise, or when no step is finite either, the error
//! stands.

use super::derivative::apply;
use super::derivative::{fallback_from, Direction, MAX_SHRINKS};
use super::edge_scan;
use super::error::FdError;
use super::function::Function;
use super::probe::Probe;
use super::refine;

/// How far below B's step the refinement starts (as the edge scan's).
const REFINE_BELOW: f64 = 100.0;

/// The policy of the module doc after `result`, the fall-back's error; the direction's
/// bound recorded when it succeeds.
pub(crate) fn fall_back<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t0: f64,
    result: Result<(), FdError>,
    out: &mut [f64],
) -> Result<(), FdError> {
    if !edge_scan::applies(p) || !matches!(dir, Direction::Axis(_)) {
        return result;
    }
    let (opts, x) = (p.opts, p.x);
    let candidates = opts.scheme().candidates();
    let start = t0 / 10f64.powi(MAX_SHRINKS + 1);
    let mut used = None;
    let found = fallback_from(opts, x, dir, start, candidates, None, |stencil, t| {
        used = Some((*stencil, t));
        apply(p, dir, t, stencil, out)
    });
    match found {
        Ok(()) => {}
        // Nothing finite (or nothing that moves x) down there either: the first error.
        Err(e) if e.is_stencil_miss() => return result,
        Err(e) => return Err(e),
    }
    let (stencil, t) = used.expect("a successful fall-back applied a stencil");
    p.report.nonfinite_fallbacks += 1;
    let target = (t / REFINE_BELOW).log2().floor().exp2();
    let bound = refine::shrink(p, dir, t, target, &stencil, out)?;
    p.report.refined_large += 1;
    refine::bound_direction(p, dir, &bound);
    Ok(())
}
