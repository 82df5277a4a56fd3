//! A feature under the refinement's steps: the second differences do not shrink as a
//! smooth f's do.
//!
//! Why: a smooth f's `S(e) = f(x + e) + f(x - e) - 2 f(x)` is about `e^2 f''`, a quarter
//! between levels a factor 2 apart. Where a narrow feature lies under a step, its outer
//! points land beyond it and `S` stays about `-2 f(x)` (or any constant) as the step
//! shrinks: that stencil did not see f vary, and its quotient (and any check at a wider
//! step) bounds nothing. A pulse `exp(-((x - x0)/w)^2 / 2)` with `w = 1e-4` at `x0 =
//! 1e4`, fourth order: the plain step and both levels stepped over it, the derivative came
//! back 0 for 4870 with a bound of 4.39 (probe14 finding 2). Such outputs get no bound.

use super::Level;

/// Whether output `i`'s second difference at the step `l.t` is far above rounding
/// ([`SEEN`] of the stencil's rounding scale `sum |w_k f(x + o_k e)|`) and shrinks slower
/// than linearly from the wider step `wide` with its second difference `s_wide`: a smooth
/// f's shrinks quadratically (`|S_2 / S_1|` about a quarter a factor 2 apart, at most
/// [`SHRINKS`] there).
pub(super) fn under_step(l: &Level, i: usize, (wide, s_wide): (f64, f64)) -> bool {
    let s = l.second[i].abs();
    s > SHRINKS * 2.0 * (l.t / wide) * s_wide.abs() && s > SEEN * l.mag[i] * l.t
}

/// See [`under_step`]: `|S_2 / S_1|` a factor 2 apart above which the levels do not
/// resolve f, 10% above a smooth f's quarter: `S = e^2 f'' + e^4 f'''' / 12` then has a
/// fourth-order term of at least 12% of the second-order one at the first level, a step
/// near f's scale, where the spread of the levels no longer bounds their error (tanh at
/// `w = 1e-3`, `x0 = 2e8`: a ratio of 0.29 and 1.75 off with a bound of 0.66). Over
/// steps a factor `k` apart the threshold is `2 SHRINKS / k` (a smooth f's is `k^-2`).
const SHRINKS: f64 = 0.275;

/// `|S|` over the stencil's rounding scale below which a second difference is taken as
/// rounding (a sum of terms far larger than f rounds far above `eps |f|`).
const SEEN: f64 = 1e-8;
