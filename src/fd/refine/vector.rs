//! Refining a JVP direction u with exact steps ([`super::exact`]): the levels move along
//! `u'` (each element by an exact amount), and `J u = J u' + J w` with `w = u - u'` tiny,
//! `J w` from one central difference along w (2 evaluations) that moves the elements as
//! far as the refinement does. Only when u' differs from u by more than
//! [`EXACT_ENOUGH`] relative in some element (an element far above its typical
//! magnitude refined at `r typ_j`); otherwise the refinement goes along u itself.

use super::super::derivative::Direction;
use super::super::error::FdError;
use super::super::function::Function;
use super::super::probe::Probe;
use super::{central, exact, shrink, try_stencil};

/// Below this relative difference between u' and u in every element, J w is negligible
/// (100 times below the goal of 1e-7).
const EXACT_ENOUGH: f64 = 1e-9;

/// Whether `w = u - u'` is below [`EXACT_ENOUGH`] of u in every element.
fn within(u: &[f64], w: &[f64]) -> bool {
    u.iter()
        .zip(w)
        .all(|(uj, wj)| wj.abs() <= EXACT_ENOUGH * uj.abs())
}

/// Whether a refinement of the vector u from `target` may go along u itself (its steps
/// exact enough, module doc), so that a level already taken along u serves it.
pub(super) fn exact_enough(x: &[f64], u: &[f64], target: f64) -> bool {
    let (_, exact) = exact::vector(x, u, target);
    let w: Vec<f64> = u.iter().zip(&exact).map(|(a, b)| a - b).collect();
    within(u, &w)
}

/// [`shrink`] along the vector u from `target`, with exact steps where they matter.
pub(super) fn shrink_along<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    u: &[f64],
    t: f64,
    target: f64,
    out: &mut [f64],
) -> Result<Vec<f64>, FdError> {
    let (c, exact) = exact::vector(p.x, u, target);
    let w: Vec<f64> = u.iter().zip(&exact).map(|(a, b)| a - b).collect();
    let (wmax, umax) = w.iter().zip(u).fold((0.0f64, 0.0f64), |(a, b), (wj, uj)| {
        (a.max(wj.abs()), b.max(uj.abs()))
    });
    if within(u, &w) {
        return shrink(p, Direction::Vector(u), t, target, &central(), out);
    }
    // J w first (the workspace then returns to the plain stencil's).
    let m = out.len();
    let (mag, second) = (p.ws.magnitude[..m].to_vec(), p.ws.second[..m].to_vec());
    let mut jw = vec![0.0; m];
    let s = c * umax / wmax;
    let ok = try_stencil(p, Direction::Vector(&w), s, &central(), &mut jw)?;
    let jw_round: Vec<f64> = p.ws.magnitude[..m]
        .iter()
        .map(|g| f64::EPSILON * g)
        .collect();
    p.ws.magnitude[..m].copy_from_slice(&mag);
    p.ws.second[..m].copy_from_slice(&second);
    if !ok {
        return shrink(p, Direction::Vector(u), t, target, &central(), out);
    }
    let plain = out.to_vec();
    for (o, d) in out.iter_mut().zip(&jw) {
        *o -= d;
    }
    let adjusted = out.to_vec();
    let mut bound = shrink(p, Direction::Vector(&exact), t, c, &central(), out)?;
    for i in 0..m {
        if out[i].to_bits() == adjusted[i].to_bits() {
            out[i] = plain[i]; // the plain value was kept
        } else {
            out[i] += jw[i];
            bound[i] += jw_round[i];
        }
    }
    Ok(bound)
}
