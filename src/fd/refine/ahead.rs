//! The first points of the directions left until the noise trigger had spoken
//! ([`Deferred`]), evaluated together when f takes batches.
//!
//! Why: each deferred direction's refinement or own-scale check evaluates its points one
//! at a time, so a batch callback saw one call per point (a JAX vmapped gradient with one
//! element far below its typical magnitude: calls `(64,), (384,), (1,), (1,)`), and for a
//! caller whose every call is a round trip to a cluster, k such elements cost 2k round
//! trips. The points each direction evaluates first do not depend on what they show: the
//! own-scale check's level at `r |x_j|` (`own_scale.rs`), the two levels of a refinement
//! down (`shrink`), the first level of a growing step (`grow.rs`). They are planned here
//! exactly as those functions take them (same steps, same fit tests, same points bit for
//! bit) and evaluated in batches of the caller's size before the directions are refined,
//! which then find them evaluated ([`Evaluator::eval_ahead`]): the same values and the
//! same evaluations, in one round trip instead of up to 2k. What depends on those points
//! (the level between them where a check disagrees, further growth) still goes one point
//! at a time. One exception to "the same evaluations": where a planned stencil meets a
//! non-finite value at its first point, its other points were evaluated too (serially
//! they would not be), and counted.
//!
//! [`Evaluator::eval_ahead`]: super::super::evaluator::Evaluator::eval_ahead

use super::super::alloc;
use super::super::derivative::{fits, move_to, Direction};
use super::super::error::FdError;
use super::super::function::Function;
use super::super::probe::Probe;
use super::{central, grow, Deferred, Suspect};
use std::cmp::Ordering;

/// Evaluates the first points of the deferred directions `items` (module doc) in batches
/// of `opts.batch()`, kept for the refinements that follow.
pub(crate) fn evaluate<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    items: &[Deferred],
) -> Result<(), FdError> {
    let (x, n, m) = (p.x, p.x.len(), p.y0.len());
    // At most two levels of two points per direction.
    let mut xs = alloc::batch_points(items.len().checked_mul(4), n)?;
    let mut owner = Vec::new();
    for item in items {
        for e in first_steps(p, item) {
            let dir = Direction::Axis(item.j);
            for (o, _) in central().terms().filter(|&(o, _)| o != 0.0) {
                let start = xs.len();
                xs.extend_from_slice(x);
                move_to(&mut xs[start..], x, dir, o * e);
                owner.push((item.j, o, e));
            }
        }
    }
    if xs.is_empty() {
        return Ok(());
    }
    let total = owner.len();
    p.ev.eval_ahead(xs, n, m, p.opts.batch(), |k| {
        let (j, o, e) = owner[k];
        let dir = Direction::Axis(j);
        format!("{}, point {} of a batch of {total}", dir.point(o, e), k + 1)
    })
}

/// The steps of the central stencils `item`'s refinement takes first, whatever they show,
/// as that refinement takes them: each below the plain step, positive, finite and
/// fitting the bounds.
fn first_steps<F: Function + ?Sized>(p: &Probe<'_, '_, F>, item: &Deferred) -> Vec<f64> {
    let dir = Direction::Axis(item.j);
    let t = item.t;
    let usable = |e: f64| e > 0.0 && e.is_finite() && fits(p.opts, p.x, dir, e, &central());
    let below = |e: f64| e.partial_cmp(&t) == Some(Ordering::Less);
    match item.suspect {
        // `own_scale::level` (the own-scale check's, or the inflection check's).
        Suspect::Own(_) | Suspect::Inflection(_) => {
            let target = match item.suspect {
                Suspect::Own(target) => target,
                _ => super::inflection::check_step(t),
            };
            let e = dir.step(p.x, target);
            if below(e) && usable(e) {
                vec![e]
            } else {
                Vec::new()
            }
        }
        // `shrink_from`'s levels, until the first it would not take.
        Suspect::Large(target, _) => {
            let mut steps = Vec::new();
            for nominal in [target, target / 2.0] {
                let e = dir.step(p.x, nominal);
                if !(below(e) && usable(e)) {
                    break;
                }
                steps.push(e);
            }
            steps
        }
        // `grow`'s first level.
        Suspect::Rounding | Suspect::NoiseLike => {
            let e = dir.step(p.x, t * grow::GROW);
            if usable(e) {
                vec![e]
            } else {
                Vec::new()
            }
        }
    }
}
