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
//! at a time. Where a planned stencil meets a non-finite value at its first point, its
//! other points were evaluated too; serially they are evaluated then ([`complete`]), so
//! that f is called at the same points either way.
//!
//! [`Evaluator::eval_ahead`]: super::super::evaluator::Evaluator::eval_ahead

use super::super::alloc;
use super::super::derivative::{evaluate_serially, fits, move_to, Direction};
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
        for &e in first_steps(p, (item.j, item.t), item.suspect).as_slice() {
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

/// The steps of a deferred direction's first levels ([`first_steps`]): at most two, kept
/// without allocating (a serial refinement holds them while it runs, [`complete`]).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Steps {
    e: [f64; 2],
    len: usize,
}

impl Steps {
    fn push(&mut self, e: f64) {
        self.e[self.len] = e;
        self.len += 1;
    }

    fn as_slice(&self) -> &[f64] {
        &self.e[..self.len]
    }
}

/// The first levels of axis j's refinement for `suspect` (plain step t), for a serial
/// refinement to complete ([`complete`]); none with batches, which evaluate them ahead
/// ([`evaluate`]).
pub(super) fn serial_plan<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    (j, t): (usize, f64),
    suspect: Suspect,
) -> Option<(usize, Steps)> {
    (p.opts.batch() <= 1).then(|| (j, first_steps(p, (j, t), suspect)))
}

/// Serially, after the central stencil at step `t` along `dir` met a non-finite value
/// with `evaluated` of its points evaluated: when `t` is one of the planned first levels
/// of the direction being refined ([`Probe::ahead_plan`], taken), evaluates the points
/// a batch would have evaluated ahead and the refinement will not ask for, that level's
/// rest and the later levels, kept for the requests that follow. Why: a batch evaluated
/// them ([`evaluate`]), so without this the count and the points of f depended on the
/// batch size (2928 + x log x at 2e-5, its growth's first level meeting log's NaN: 5
/// evaluations batched, 4 serially; review 29).
pub(crate) fn complete<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    t: f64,
    evaluated: usize,
) -> Result<(), FdError> {
    let Some((j, steps)) = p.ahead_plan else {
        return Ok(());
    };
    let steps = steps.as_slice();
    let Some(level) = steps.iter().position(|e| e.to_bits() == t.to_bits()) else {
        return Ok(());
    };
    if !matches!(dir, Direction::Axis(k) if k == j) {
        return Ok(());
    }
    p.ahead_plan = None;
    let offsets: Vec<f64> = central()
        .terms()
        .filter(|&(o, _)| o != 0.0)
        .map(|(o, _)| o)
        .collect();
    let rest: Vec<(f64, f64)> = steps[level..]
        .iter()
        .enumerate()
        .flat_map(|(k, &e)| {
            let skip = if k == 0 { evaluated } else { 0 };
            offsets.iter().skip(skip).map(move |&o| (o, e))
        })
        .collect();
    evaluate_serially(p, dir, &rest)
}

/// The steps of the central stencils that the refinement of axis j's `suspect` (plain
/// step t) takes first, whatever they show,
/// as that refinement takes them: each below the plain step, positive, finite and
/// fitting the bounds.
fn first_steps<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    (j, t): (usize, f64),
    suspect: Suspect,
) -> Steps {
    let dir = Direction::Axis(j);
    let usable = |e: f64| e > 0.0 && e.is_finite() && fits(p.opts, p.x, dir, e, &central());
    let below = |e: f64| e.partial_cmp(&t) == Some(Ordering::Less);
    let mut steps = Steps::default();
    match suspect {
        // `own_scale::level` (the own-scale check's, or the inflection check's).
        Suspect::Own(_) | Suspect::Inflection(_) => {
            let target = match suspect {
                Suspect::Own(target) => target,
                _ => super::inflection::check_step(t),
            };
            let e = dir.step(p.x, target);
            if below(e) && usable(e) {
                steps.push(e);
            }
        }
        // `shrink_from`'s levels, until the first it would not take.
        Suspect::Large(target, _) => {
            for nominal in [target, target / 2.0] {
                let e = dir.step(p.x, nominal);
                if !(below(e) && usable(e)) {
                    break;
                }
                steps.push(e);
            }
        }
        // `grow`'s first level.
        Suspect::Rounding | Suspect::NoiseLike => {
            let e = dir.step(p.x, t * grow::GROW);
            if usable(e) {
                steps.push(e);
            }
        }
    }
    steps
}
