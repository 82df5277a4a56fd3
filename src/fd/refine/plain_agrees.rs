//! Where rounding swamps the plain difference and the step grows (`grow.rs`), whether a
//! grown value may stand for the plain one.
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
//! And where two levels' second differences `f(x + t) + f(x - t) - 2 f(x)` are the same,
//! well above rounding, f's even part saturated below both (a step or plateau of f under
//! the plain step), where a smooth f's grow a hundredfold: `c + x^2 / (x + a)` at 8.3e-11,
//! a = 1.1e-9, c = 1.3e5 gave -2a at every level and kept the slope far from the feature,
//! 1.0, for 0.136 with a bound of 3e-8. Not the first differences `f(x + t) - f(x - t)`:
//! a smooth f near an extremum makes them equal by a cancellation (`(x^2 + 1) / (x^3 +
//! 2)` at 1e-9: `2 x t - t^3 / 2` at t and 10 t, the plain value 1.5% off and covered).

use super::Level;

/// How many times the plain level's modelled truncation `|D2| r / 6t` (f varying on the
/// step rule's scale) the plain value may be off, beside its rounding.
const TRUNCATION_SAFETY: f64 = 16.0;

/// Two levels' second differences agree within this share of the lower one: a step of f.
const SAME_STEP: f64 = 0.25;
/// ... and the lower one exceeds this many times its rounding `eps ρ t`.
const STEP_SIGNIFICANT: f64 = 16.0;

/// Whether the levels `lo` and `hi` show one step of f below both for output i: the same
/// second differences (module doc).
pub(super) fn same_step(lo: &Level, hi: &Level, i: usize) -> bool {
    let (a, b) = (lo.second[i], hi.second[i]);
    a.abs() > STEP_SIGNIFICANT * f64::EPSILON * lo.mag[i] * lo.t
        && (b - a).abs() <= SAME_STEP * a.abs()
}

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
