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
    let mut scratch = vec![0.0; out.len()];
    let mut take = |sub: &[usize], scratch: &[f64]| {
        for &j in sub {
            for &i in sparsity.rows_of(j) {
                out[i] = scratch[i];
            }
        }
    };
    if !other.is_empty() {
        fixed_step(p, (Direction::Group(u, &other), t0), &mut scratch)?;
        take(&other, &scratch);
    }
    edge.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (e, sub) in bins(&edge) {
        near_edge(
            p,
            Direction::Group(u, &sub),
            t0,
            e,
            candidates,
            &mut scratch,
        )?;
        take(&sub, &scratch);
    }
    Ok(())
}
