//! Forward and backward differences where rounding swamps the plain difference
//! (`|x_j| < typ_j / 1e3` and `eps ρ_i > 1e-8 |D1_i|`: cos near 0, f ≈ 1 while f' ≈
//! 1e-7), decided output by output.
//!
//! Why per output: a column's outputs may need opposite things (a cosine's output a larger
//! step, a logarithm's in the same column a smaller one), and a VJP must be `v^T J` of
//! the per-output derivatives whatever v weighs. The column's own refinement runs as
//! before; then each output whose plain difference was swamped by rounding is offered a
//! grown value, kept where its bound is smaller.
//!
//! Why extrapolation: a first-order difference at any single step is no better than about
//! `sqrt(eps |f| |f''|)`, relative error of order 1 for a sum of 40 cosines at 1e-7 (f ≈
//! 40, f'' ≈ 1, f' ≈ 1e-7). [`LEVELS`] one-sided levels from [`START`]` typ_j` down by
//! halves, extrapolated to zero (`far_above::extrapolated`), remove the terms up to
//! `h^3`; their bound is the disagreement with the extrapolation of the finer levels and
//! the weighted rounding. 4 evaluations per column with a swamped output.

use super::super::derivative::Direction;
use super::super::error::FdError;
use super::super::function::Function;
use super::super::probe::Probe;
use super::super::scheme::Placed;
use super::{far_above, nonfinite, weight, FAR_BELOW, ROUNDING};

/// The first grown level, in units of typ_j (2^-4).
const START: f64 = 0.0625;

/// The grown levels extrapolated.
const LEVELS: usize = 5;

/// The outputs of the plain one-sided column `d1` (rounding scales in the workspace) whose
/// rounding swamps the difference, for an element `x_j` far below `typ`; empty otherwise.
pub(super) fn swamped<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    xj: f64,
    typ: f64,
    d1: &[f64],
) -> Vec<usize> {
    if xj == 0.0 || xj >= typ / FAR_BELOW {
        return Vec::new();
    }
    (0..d1.len())
        .filter(|&i| {
            weight(p, i) != 0.0 && f64::EPSILON * p.ws.magnitude[i] > ROUNDING * d1[i].abs()
        })
        .collect()
}

/// Offers the `swamped` outputs the grown value (module doc): kept in `out` with its
/// bound in `bounds` where that bound is smaller (or the refinement's is NaN).
pub(super) fn offer<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    typ: f64,
    stencil: &Placed,
    swamped: &[usize],
    out: &mut [f64],
    bounds: &mut [f64],
) -> Result<(), FdError> {
    if swamped.is_empty() {
        return Ok(());
    }
    p.report.refined_rounding += 1;
    // Levels on the scheme's side, else on the other where f is not finite there (a
    // logarithm's output in the same column, backward from x_j near 0): their values
    // serve the swamped outputs only.
    let mut found = None;
    for s in nonfinite::alternatives(*stencil) {
        found = far_above::extrapolated(p, dir, START * typ, LEVELS, &s)?;
        if found.is_some() {
            break;
        }
    }
    let Some((values, grown)) = found else {
        return Ok(());
    };
    for &i in swamped {
        // A grown value without a bound (not converging) is never offered.
        if grown[i] < bounds[i] || (bounds[i].is_nan() && !grown[i].is_nan()) {
            out[i] = values[i];
            bounds[i] = grown[i];
        }
    }
    Ok(())
}
