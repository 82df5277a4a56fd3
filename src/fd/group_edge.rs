//! A column group whose stencil meets a NaN or an infinity while some of its columns sit far
//! below their typical magnitude (a domain edge at 0: `log`, `sqrt` near 0).
//!
//! Why: a dense column there is differentiated at its own scale `r |x_j|` as well as
//! one-sided ([`near_edge`]); a group shares one stencil, and its columns' own scales may
//! lie decades apart. The columns of a group share no row, so the group is split: the
//! columns near the edge (own scale below a tenth of the group's step) go the dense
//! near-edge way together with those whose own scales lie within a factor
//! [`BIN`](super::refine::sparse::BIN) of theirs, at the smallest; the others go the
//! group's ordinary way (with its refinement). Each output is taken from the sub-group
//! that owns its row.

use super::alloc;
use super::derivative::{fixed_step, near_edge, Direction};
use super::error::FdError;
use super::function::Function;
use super::options::Options;
use super::probe::Probe;
use super::refine::sparse::bins;
use super::scheme::Placed;
use super::step::own_scale_step;

/// Column j's own-scale step in units of the group's direction u: `r |x_j| / u_j`.
fn own(opts: &Options, x: &[f64], u: &[f64], j: usize) -> Option<f64> {
    own_scale_step(opts, x, j).map(|e| e / u[j])
}

/// Whether some column of the group has an own scale below a tenth of the step `t0`.
pub(crate) fn near(opts: &Options, x: &[f64], u: &[f64], cols: &[usize], t0: f64) -> bool {
    cols.iter()
        .any(|&j| own(opts, x, u, j).is_some_and(|e| e < t0 / 10.0))
}

/// The group split as the module doc says, into `out`.
pub(crate) fn split<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    u: &[f64],
    cols: &[usize],
    t0: f64,
    candidates: &[Placed],
    out: &mut [f64],
) -> Result<(), FdError> {
    let Some(sparsity) = p.opts.sparsity() else {
        return Err(FdError::InvalidArgument(
            "a column group without a sparsity pattern".to_string(),
        ));
    };
    let (mut edge, mut other) = (Vec::new(), Vec::new());
    for &j in cols {
        match own(p.opts, p.x, u, j) {
            Some(e) if e < t0 / 10.0 => edge.push((e, j)),
            _ => other.push(j),
        }
    }
    let mut scratch = alloc::zeros(out.len(), "a column group's sub-groups")?;
    let mut take = |sub: &[usize], scratch: &[f64]| {
        for &j in sub {
            for &i in sparsity.rows_of(j) {
                out[i] = scratch[i];
            }
        }
    };
    // A sub-group with no bound makes the group's unbounded ([`Probe::part`]), which
    // another sub-group's finite bound must not hide (a sqrt edge's NaN beside a smooth
    // column reported 1.9e-4 for an infinite entry).
    let mut lacking = false;
    if !other.is_empty() {
        let (done, bounded) =
            p.part(|p| fixed_step(p, (Direction::Group(u, &other), t0), &mut scratch));
        done?;
        lacking |= !bounded;
        take(&other, &scratch);
    }
    edge.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (e, sub) in bins(&edge) {
        let dir = Direction::Group(u, &sub);
        let (done, bounded) = p.part(|p| near_edge(p, dir, t0, e, candidates, &mut scratch));
        done?;
        lacking |= !bounded;
        take(&sub, &scratch);
    }
    if lacking {
        p.part_unbounded();
    }
    Ok(())
}

/// A column group whose stencil met a NaN or infinity (or left the bounds after its
/// columns' own stencils met one, [`super::group`]), not split at 0 ([`split`]): each
/// column along its own axis, at its own nominal step `t0 u_j` ([`fixed_step`]: the plain
/// stencil, its fall-back, the edge scan or bound edge and the refinement of the axis),
/// its rows taken into `out` in the group's units (`u_j` times the column). Why: the
/// group's shared fall-back keeps a one-sided value at the plain step with that stencil's
/// own bound, blind to a column's edge within the step or to f varying far below it:
/// asin near 1 with a declared pattern, 743 for -836,967, bound 336 (probe9 e14); log
/// tridiagonal at 1e-12 in boxes, -1.3e8 for -1.9e12, bound 2.2e8 (probe9 2.2); sin at
/// 1e8 (`|x_j| > 1e3 typ_j`), 0.0135 for -0.363 (probe6 8b). Costs the columns' dense
/// evaluations, only in a group that met a non-finite value.
pub(crate) fn by_columns<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    u: &[f64],
    cols: &[usize],
    t0: f64,
    out: &mut [f64],
) -> Result<(), FdError> {
    let Some(sparsity) = p.opts.sparsity() else {
        return Err(FdError::InvalidArgument(
            "a column group without a sparsity pattern".to_string(),
        ));
    };
    let mut scratch = alloc::zeros(out.len(), "a column group's columns")?;
    // An axis refined here is not left for later (`refine::Deferred` hands its result to
    // its own column, not to the group's rows).
    let deferred = p.deferred.take();
    let defers = std::mem::replace(&mut p.batch_defers, false);
    let mut result = Ok(());
    // A column with no bound makes the group's unbounded, once ([`Probe::part`]).
    let mut lacking = false;
    for &j in cols {
        let step = (Direction::Axis(j), t0 * u[j].abs());
        let bounded;
        (result, bounded) = p.part(|p| fixed_step(p, step, &mut scratch));
        if result.is_err() {
            break;
        }
        lacking |= !bounded;
        for &i in sparsity.rows_of(j) {
            out[i] = u[j] * scratch[i];
        }
    }
    if lacking && result.is_ok() {
        p.part_unbounded();
    }
    (p.deferred, p.batch_defers) = (deferred, defers);
    result
}
