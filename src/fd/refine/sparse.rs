//! Refining a column group of a sparse Jacobian (Curtis–Powell–Reid): column by column
//! where the evidence says so, in as few stencils as the columns' scales allow.
//!
//! Why per column: the columns of a group share no row, so each output of the group's
//! stencil belongs to one column, and its first and second differences are that column's
//! alone. Each column is judged as a dense column would be (the same tests, summed over its
//! own rows, at its own step `t u_j`), so a badly scaled column is seen even when the
//! group's other columns are well scaled, and the outputs of unsuspected columns keep their
//! plain values bit for bit.
//!
//! Why not one stencil per column: the suspect columns are refined together, as a smaller
//! group (their own rows only are taken from it). Columns whose targets lie within a factor
//! [`BIN`] of each other share a refinement at the smallest target (4 evaluations), so a
//! diagonal `log` at 1e-9..1e-6 costs about 4 refinements, not one per column; a column
//! refined at a step up to `BIN` times below its own target gains that much rounding
//! (1e-8 relative for `log` near 0, far inside the goal of 1e-7). Columns whose rounding
//! swamps the difference all grow by the same factor, so they share one growth.

use super::super::derivative::Direction;
use super::super::error::FdError;
use super::super::function::Function;
use super::super::probe::Probe;
use super::nonfinite::Tried;
use super::{
    central, exact, far_above, grow, judge, own_scale, plain_bound, reach, shrink, shrink_from,
    sums, Level, Suspect,
};

/// Columns whose targets are within this factor refine together, at the smallest target.
pub(crate) const BIN: f64 = 16.0;

/// Splits `(target, column)` pairs sorted by target into runs within a factor [`BIN`] of
/// their first (smallest) target: `(that target, the run's columns)`. Every run holds its
/// first column: a target of 0 or NaN (an element at a subnormal x_j) is below no multiple
/// of itself, and a run without it never ended (a 4 GiB allocation aborted the host:
/// probe17 N0).
pub(crate) fn bins(sorted: &[(f64, usize)]) -> Vec<(f64, Vec<usize>)> {
    let mut out = Vec::new();
    let mut rest = sorted;
    while let Some(&(target, _)) = rest.first() {
        let k = 1 + rest[1..]
            .iter()
            .take_while(|(e, _)| *e < BIN * target)
            .count();
        out.push((target, rest[..k].iter().map(|&(_, j)| j).collect()));
        rest = &rest[k..];
    }
    out
}

/// After the plain central stencil of the group `cols` (column j moved by `t u_j`, result
/// in `out`, its rounding scales and second differences in the workspace): refines the
/// suspect columns' outputs. `None` (nothing done) when no column is suspect; else the
/// per-output bounds.
pub(super) fn refine<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    u: &[f64],
    cols: &[usize],
    t: f64,
    out: &mut [f64],
) -> Result<Option<Vec<f64>>, FdError> {
    let Some(sparsity) = p.opts.sparsity() else {
        return Ok(None);
    };
    let (mut large, mut rounding, mut own) = (Vec::new(), Vec::new(), Vec::new());
    let mut a_priori = Vec::new();
    for &j in cols {
        let rows = sparsity.rows_of(j);
        let s = sums(p, t, out, Some(rows));
        let a = reach(p, [(j, u[j])], t);
        match judge(p, &s, Some(&a), t) {
            Some(Suspect::Large(target, curved)) => {
                large.push((target, j));
                if !curved {
                    a_priori.push(j);
                }
            }
            Some(Suspect::Own(target)) => own.push((target, j)),
            Some(Suspect::Rounding) => rounding.push(j),
            // A group's columns are not checked for an inflection point (`inflection.rs`).
            Some(Suspect::NoiseLike | Suspect::Inflection(_)) | None => {}
        }
    }
    if large.is_empty() && rounding.is_empty() && own.is_empty() {
        return Ok(None);
    }
    let m = out.len();
    let plain = out.to_vec();
    let mut bound = plain_bound(p, t, out);
    let (mag, second) = (p.ws.magnitude[..m].to_vec(), p.ws.second[..m].to_vec());
    let mut scratch = vec![0.0; m];
    if !large.is_empty() {
        p.report.refined_large += 1;
        large.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (target, sub) in bins(&large) {
            // Steps made exact per column (module doc of `exact`): column j's outputs are
            // in units of `u'_j`, not `u_j`, while refined.
            // At least a few ulps of every column's element, no bound where that is too
            // coarse (`far_above.rs`).
            let floor = far_above::floor(p.x, Direction::Group(u, &sub));
            if far_above::unresolved(floor, target / super::relative_step(p)) {
                // Not refined: the plain values, unbounded.
                for &j in &sub {
                    for &i in sparsity.rows_of(j) {
                        bound[i] = f64::NAN;
                    }
                }
                continue;
            }
            let (c, exact) = exact::group(p.x, u, &sub, target.max(2.0 * floor));
            let dir = Direction::Group(&exact, &sub);
            let unit = |j: usize| exact[j] / u[j];
            start(p, &plain, &mag, &second, &sub, &mut scratch, unit);
            // The curvature test of a refined value (`refine.rs`, `doubtful`) holds only
            // where every column of the bin was refined for its second difference alone.
            p.curved = sub.iter().all(|j| !a_priori.contains(j));
            p.a_priori = !p.curved;
            let b = shrink(p, dir, t, c, &central(), &mut scratch);
            (p.curved, p.a_priori) = (false, false);
            let b = b?;
            for &j in &sub {
                for &i in sparsity.rows_of(j) {
                    let kept = scratch[i].to_bits() == (plain[i] * unit(j)).to_bits();
                    out[i] = if kept { plain[i] } else { scratch[i] / unit(j) };
                    bound[i] = b[i] / unit(j);
                }
            }
        }
    }
    if !own.is_empty() {
        own.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (target, sub) in bins(&own) {
            check(
                p,
                u,
                t,
                (target, &sub),
                (&plain, &mag, &second),
                &mut scratch,
                out,
                &mut bound,
            )?;
        }
    }
    if !rounding.is_empty() {
        p.report.refined_rounding += 1;
        let dir = Direction::Group(u, &rounding);
        start(p, &plain, &mag, &second, &rounding, &mut scratch, |_| 1.0);
        let b = grow(p, dir, t, &mut scratch)?;
        for &j in &rounding {
            for &i in sparsity.rows_of(j) {
                out[i] = scratch[i];
                bound[i] = b[i];
            }
        }
    }
    Ok(Some(bound))
}

/// Sets up a refinement of the sub-group `sub`: the plain stencil's values, rounding scales
/// and second differences on `sub`'s rows (values and scales times `unit(j)`, the units of
/// the refined direction), zero elsewhere (rows the sub-group does not move, whose levels
/// are zero: so they never look like truncation or win a choice).
fn start<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    plain: &[f64],
    mag: &[f64],
    second: &[f64],
    sub: &[usize],
    scratch: &mut [f64],
    unit: impl Fn(usize) -> f64,
) {
    let Some(sparsity) = p.opts.sparsity() else {
        return;
    };
    let m = scratch.len();
    scratch.fill(0.0);
    p.ws.magnitude[..m].fill(0.0);
    p.ws.second[..m].fill(0.0);
    for &j in sub {
        let k = unit(j);
        for &i in sparsity.rows_of(j) {
            scratch[i] = plain[i] * k;
            p.ws.magnitude[i] = mag[i] * k;
            p.ws.second[i] = second[i];
        }
    }
}

/// The own-scale check (`own_scale.rs`) of the sub-group `sub` whose columns' targets lie
/// within [`BIN`] of `target`, in exact steps as a refinement's: one stencil at the
/// power of two below `target` (2 evaluations); a column whose rows all agree with the
/// plain values within their bounds plus its rounding keeps them (its bounds raised to
/// cover the difference); if any column disagrees, the sub-group is refined from that
/// level on (2 more evaluations) and the disagreeing columns take the refinement's choice.
#[allow(clippy::too_many_arguments)]
fn check<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    u: &[f64],
    t: f64,
    (target, sub): (f64, &[usize]),
    (plain, mag, second): (&[f64], &[f64], &[f64]),
    scratch: &mut [f64],
    out: &mut [f64],
    bound: &mut [f64],
) -> Result<(), FdError> {
    let Some(sparsity) = p.opts.sparsity() else {
        return Ok(());
    };
    let (c, exact) = exact::group(p.x, u, sub, target);
    let dir = Direction::Group(&exact, sub);
    let unit = |j: usize| exact[j] / u[j];
    start(p, plain, mag, second, sub, scratch, unit);
    let plain_level = Level::take(p, t, scratch)?;
    let plain_b = plain_bound(p, t, scratch);
    let level = match own_scale::level(p, dir, t, c, &central())? {
        Ok(level) => level,
        // Every stencil met a NaN or infinity: the plain values stay, unbounded.
        Err(Tried::NonFinite) => {
            for &j in sub {
                for &i in sparsity.rows_of(j) {
                    bound[i] = f64::NAN;
                }
            }
            return Ok(());
        }
        Err(_) => return Ok(()), // the plain values and bounds stay
    };
    let mut disagree = Vec::new();
    for &j in sub {
        let rows = sparsity.rows_of(j);
        let apart = |i: usize| (level.d[i] - scratch[i]).abs();
        let tolerance = |i: usize| own_scale::rounding(p, &level, i);
        if rows.iter().all(|&i| apart(i) <= plain_b[i] + tolerance(i)) {
            for &i in rows {
                bound[i] = plain_b[i].max(apart(i) + tolerance(i)) / unit(j);
            }
        } else {
            disagree.push(j);
        }
    }
    // Variation at the columns' scale, or only f's rounding: the level between decides
    // (`own_scale::check`, 2 more evaluations).
    if !disagree.is_empty() {
        if let Ok(middle) = own_scale::level(p, dir, t, (c * t).sqrt(), &central())? {
            disagree.retain(|&j| {
                let rows = sparsity.rows_of(j);
                let varies = rows.iter().any(|&i| {
                    own_scale::varies_at(p, (&level, &middle), scratch[i], plain_b[i], i)
                });
                if !varies {
                    for &i in rows {
                        let apart_m = (middle.d[i] - scratch[i]).abs();
                        let tolerance = own_scale::rounding(p, &middle, i);
                        bound[i] = plain_b[i].max(apart_m + tolerance) / unit(j);
                    }
                }
                varies
            });
        }
    }
    if disagree.is_empty() {
        return Ok(());
    }
    p.report.refined_large += 1;
    let b = shrink_from(
        p,
        dir,
        (plain_level, plain_b),
        c,
        &central(),
        Some(level),
        scratch,
    )?;
    for &j in &disagree {
        for &i in sparsity.rows_of(j) {
            let kept = scratch[i].to_bits() == (plain[i] * unit(j)).to_bits();
            out[i] = if kept { plain[i] } else { scratch[i] / unit(j) };
            bound[i] = b[i] / unit(j);
        }
    }
    Ok(())
}
