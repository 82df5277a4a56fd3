//! A NaN or infinity met at a point a refinement evaluates (probe6 findings 8a, 8b).
//!
//! Why: a refinement's levels lie far below the plain step (at x_j's own scale, or `r
//! typ_j` at large x), where f may be undefined at a point or two (a domain edge, or a
//! black box that fails there). Before, a level that met one was dropped and the plain
//! value kept with the plain stencil's bound, although the direction was refined because
//! that stencil could not be trusted (sin at 1e5 with f NaN only at the refinement's half
//! step: -0.939 for -0.99936, bound 2.35e-4, no fall-back counted).
//!
//! Policy, as the plain stencil's fall-back ([`super::super::derivative`]) but at the
//! step the refinement wanted: a level whose stencil meets a non-finite value is taken
//! with the scheme's other stencils of the same order, on the side where f is finite
//! (central: forward, then backward second-order one-sided stencils; forward or backward
//! differences: the other side), every level of a refinement with the same stencil so that
//! their differences measure its truncation. The fall-back is counted
//! (`nonfinite_fallbacks`). Where no stencil gives the levels the refinement needs, the
//! plain value is kept with no bound (NaN: the direction counts as unbounded), never with
//! the plain stencil's bound.

use super::super::derivative::{apply, fits, Direction};
use super::super::error::FdError;
use super::super::function::Function;
use super::super::probe::Probe;
use super::super::scheme::{Placed, Scheme};
use super::{central, Level};

/// What a stencil gave at one step.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Tried {
    /// Applied: the quotient in `out`, its sums in the workspace.
    Done,
    /// The step is not positive and finite, or the stencil leaves the bounds or the
    /// finite doubles: nothing evaluated.
    Unfit,
    /// Some point gave a NaN or an infinity (`out` is meaningless).
    NonFinite,
}

/// `stencil` at step `t` into `out` ([`Tried`]).
pub(super) fn try_at<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    stencil: &Placed,
    out: &mut [f64],
) -> Result<Tried, FdError> {
    if !(t > 0.0 && t.is_finite() && fits(p.opts, p.x, dir, t, stencil)) {
        return Ok(Tried::Unfit);
    }
    Ok(match apply(p, dir, t, stencil, out)? {
        None => Tried::Done,
        Some(_) => {
            if *stencil == central() {
                let evaluated = p.ws.evaluated;
                super::ahead::complete(p, dir, t, evaluated)?;
            }
            Tried::NonFinite
        }
    })
}

/// The stencils a refinement level may use, in order: `stencil`, then the others of the
/// scheme whose fall-backs it belongs to (same order, one-sided on each side).
pub(super) fn alternatives(stencil: Placed) -> impl Iterator<Item = Placed> {
    let family = [Scheme::Central, Scheme::Forward, Scheme::Central4]
        .into_iter()
        .map(Scheme::candidates)
        .find(|c| c.contains(&stencil))
        .unwrap_or(&[]);
    std::iter::once(stencil).chain(family.iter().copied().filter(move |c| *c != stencil))
}

/// `stencil` at step `t`, or where it meets a non-finite value its [`alternatives`] in
/// turn: the stencil that succeeded (its quotient in `out`); `Err(Tried::Unfit)` when
/// `stencil` itself does not fit (nothing else is tried: the refinement stops there as
/// before); `Err(Tried::NonFinite)` when every stencil that fits met a non-finite value.
/// A fall-back is counted in the report.
pub(super) fn level_stencil<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    stencil: &Placed,
    out: &mut [f64],
) -> Result<Result<Placed, Tried>, FdError> {
    let mut met = false;
    let mut outcome = Err(Tried::NonFinite);
    for s in alternatives(*stencil) {
        match try_at(p, dir, t, &s, out)? {
            Tried::Done => {
                outcome = Ok(s);
                break;
            }
            Tried::Unfit if !met => {
                outcome = Err(Tried::Unfit);
                break;
            }
            Tried::Unfit => {}
            Tried::NonFinite => met = true,
        }
    }
    if met {
        p.report.nonfinite_fallbacks += 1;
    }
    Ok(outcome)
}

/// Whether column j of a column group (moved by `t0 u_j`) is suspect a priori after its
/// group's stencil met a non-finite value, as [`after_fallback`] asks of an axis: then
/// the group is split into its columns ([`super::super::group_edge::by_columns`]).
pub(crate) fn column_suspect<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    u: &[f64],
    j: usize,
    t0: f64,
) -> bool {
    let opts = p.opts;
    opts.steps().is_none()
        && opts.relative_step().is_none()
        && opts.scheme() == Scheme::Central
        && p.step_scale <= 1.0
        && super::reach(p, [(j, 1.0)], t0 * u[j].abs()).a_priori
}

/// [`after_fallback`]'s per-output bounds, and the refinement's nominal target step when
/// the direction moves an element far above its typical magnitude.
pub(crate) type Refined = (Vec<f64>, Option<f64>);

/// After the plain stencil met a non-finite value and a fall-back stencil gave the
/// direction's values (in `out`, its rounding scales and sums in the workspace, its
/// per-output bounds `bound`, at step `t`): where the direction is suspect a priori
/// (an element far above its typical magnitude, `|x_j| > 1e3 typ_j`: f may vary on the
/// scale typ_j, far below the plain step `t0 r |x_j|`, which three points cannot see),
/// the refinement the plain stencil would have had continues from the fall-back's value,
/// at the refinement's own steps (`shrink_from`, whose levels fall back again where they
/// meet a non-finite value). Returns the per-output bounds of the values kept, with the
/// refinement's nominal target step when some moved element is far above its typical
/// magnitude (the edge scan may look below it: `edge_scan.rs`), or `None` when the
/// direction is not suspect a priori (or not refined: steps chosen by the caller, a noise
/// step, a scheme other than central).
///
/// Why: sin at 1e8 with a NaN at `x - h` fell back to the forward one-sided stencil at
/// the plain step h = 605 and kept it: 0.0135 for -0.3634 with a bound of 2.3e-3 (probe6
/// finding 8b).
pub(crate) fn after_fallback<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t0: f64,
    t: f64,
    bound: &[f64],
    out: &mut [f64],
) -> Result<Option<Refined>, FdError> {
    let opts = p.opts;
    if opts.steps().is_some()
        || opts.relative_step().is_some()
        || opts.scheme() != Scheme::Central
        || p.step_scale > 1.0
    {
        return Ok(None);
    }
    let reach = match dir {
        Direction::Axis(j) => super::reach(p, [(j, 1.0)], t0),
        Direction::Vector(u) => super::reach(
            p,
            u.iter()
                .enumerate()
                .filter(|(_, &uj)| uj != 0.0)
                .map(|(j, &uj)| (j, uj.abs())),
            t0,
        ),
        Direction::Group(..) => return Ok(None),
    };
    if !reach.a_priori {
        return Ok(None);
    }
    let far = match dir {
        Direction::Axis(j) => super::far_above_typ(p, j),
        Direction::Vector(u) => (0..u.len()).any(|j| u[j] != 0.0 && super::far_above_typ(p, j)),
        Direction::Group(..) => false,
    };
    let far_target = far.then_some(reach.target);
    p.report.refined_large += 1;
    let plain = Level::take(p, t, out)?;
    let mut plain_b = super::alloc::zeros(out.len(), "a fall-back's bounds")?;
    plain_b.copy_from_slice(bound);
    let central = super::central();
    match dir {
        Direction::Vector(u) => match super::vector::exact_along(p.x, u, reach.target) {
            Some((c, exact)) => {
                let along = Direction::Vector(&exact);
                let b = super::shrink_from(p, along, (plain, plain_b), c, &central, None, out)?;
                Ok(Some((b, far_target)))
            }
            // The refinement's steps would need `J w` (`vector.rs`), from a stencil along
            // w that may meet the non-finite value again: the fall-back's value, unbounded.
            None => {
                let mut none = super::alloc::zeros(out.len(), "a fall-back's bounds")?;
                none.fill(f64::NAN);
                Ok(Some((none, None)))
            }
        },
        _ => {
            let target = reach.target;
            let b = super::shrink_from(p, dir, (plain, plain_b), target, &central, None, out)?;
            Ok(Some((b, far_target)))
        }
    }
}
