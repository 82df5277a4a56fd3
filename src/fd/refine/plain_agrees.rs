//! Where rounding swamps the plain difference and the step grows (`grow.rs`), whether a
//! grown value may stand for the plain one, and for f at the own scale of an element the
//! plain step straddles.
//!
//! The step grows on the premise that f varies on no scale shorter than the plain step,
//! so that the plain value is f' up to its rounding (the reason for growing) and its
//! truncation at that scale, which is of the order of that rounding by the step rule.
//! A grown value that disagrees with the plain one beyond both refutes the premise: f
//! varies below the plain step, and the grown levels, beyond its feature, read plateau
//! differences of size `a / t` that shrink as the step grows (a derivative that scales as
//! 1/step is none). Their spread is small because the values are, so the levels' own
//! estimate (seen noise, truncation between levels) says nothing of the error. Why:
//! `1000 + 1e-8 tanh(x / 1e-8)` at `1e-8` gave 1.65e-7 for 0.42 with a bound of 1e-6
//! (probe15 finding 1; `tests/fd_small_feature.rs`). Only the bound: such an output is
//! unbounded (NaN).
//!
//! Where the plain step moves an element past its own scale `|x_j|` (t > |x_j|), a
//! feature of f on that scale may lie below the plain step's rounding too, and then no
//! level sees it (`c + a sin(x / a)` at 3.8e-11, a = 2.1e-8, c = -444: the levels at
//! 6e-6, 3e-5 and 6e-5 aliased to 7.76e-5, 7.74e-5 and 7.70e-5 for 1.0, kept with a
//! bound of 3.2e-7). One stencil at that scale (2 evaluations)
//! must agree with the kept value within both bounds, the stencil's own counting its
//! rounding and a one-sided truncation `|D2| / 2h` (no model of f's scale holds there).
//!
//! And where two levels' differences `f(x + t) - f(x - t)` are the same, well above
//! rounding, f changed by a step below both and the quotients shrink as 1/t: no
//! derivative (`c + a atan(x / a)` at 1e-12, a = 1.3e-9, c = -1.8e5: the plain value
//! 3.4e-4 for 1.0, kept with a bound of 1e-3 from the level above, 3.4e-5). A smooth f's
//! differences grow tenfold with the step.

use super::super::derivative::Direction;
use super::super::error::FdError;
use super::super::function::Function;
use super::super::probe::Probe;
use super::nonfinite::{self, Tried};
use super::{central, noise_of, Level};

/// How many times the plain level's modelled truncation `|D2| r / 6t` (f varying on the
/// step rule's scale) the plain value may be off, beside its rounding.
const TRUNCATION_SAFETY: f64 = 16.0;

/// Two levels' differences agree within this share of the lower one: a step of f.
const SAME_STEP: f64 = 0.25;
/// ... and the lower one exceeds this many times its rounding `eps ρ t`.
const STEP_SIGNIFICANT: f64 = 16.0;

/// Whether the levels `lo` and `hi` show one step of f below both for output i (module
/// doc).
pub(super) fn same_step(lo: &Level, hi: &Level, i: usize) -> bool {
    let (a, b) = (lo.d[i] * lo.t, hi.d[i] * hi.t);
    a.abs() > STEP_SIGNIFICANT * f64::EPSILON * lo.mag[i] * lo.t
        && (b - a).abs() <= SAME_STEP * a.abs()
}

/// How many times `eps ρ` the own-scale stencil's rounding may be: f there is a
/// constant plus a small term, rounded once or twice per value (a refutation makes the
/// output unbounded, never wrong).
const CHECK_ROUNDING: f64 = 4.0;

/// Whether the kept `value` (bound `bound`) agrees with the plain value `plain` at step
/// `t` within both bounds, the plain one counting only the rounding (`rounding`, in the
/// units of the quotient), the known noise `noise / t`, and the truncation of f varying
/// on the step rule's scale `t / r` read from the plain second difference `second`.
pub(super) fn agrees(
    (value, bound): (f64, f64),
    (plain, rounding, second): (f64, f64, f64),
    noise: f64,
    t: f64,
    r: f64,
) -> bool {
    let truncation = TRUNCATION_SAFETY * second.abs() * r / (6.0 * t);
    (value - plain).abs() <= bound + rounding + noise / t + truncation
}

/// Per output, whether a central stencil at the own scale `h` of the element the plain
/// step straddles refutes the kept `(value, bound)` (module doc); none where that stencil
/// cannot be taken (a NaN there or a bound in the way: no evidence, counted nowhere).
/// Leaves `out` to the caller.
pub(super) fn own_scale_refutes<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    dir: Direction<'_>,
    h: f64,
    kept: &[(f64, f64)],
    out: &mut [f64],
) -> Result<Vec<bool>, FdError> {
    let mut refuted = vec![false; kept.len()];
    let h = dir.step(p.x, h);
    if h.is_nan() || h <= 0.0 || h.is_infinite() {
        return Ok(refuted);
    }
    match nonfinite::try_at(p, dir, h, &central(), out)? {
        Tried::Done => {}
        Tried::Unfit | Tried::NonFinite => return Ok(refuted),
    }
    let own = Level::take(p, h, out)?;
    for (i, (r, &(value, bound))) in refuted.iter_mut().zip(kept).enumerate() {
        let tolerance = bound
            + CHECK_ROUNDING * f64::EPSILON * own.mag[i]
            + own.second[i].abs() / (2.0 * own.t)
            + noise_of(p, i) / own.t;
        *r = (own.d[i] - value).abs() > tolerance;
    }
    Ok(refuted)
}
