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

/// Whether output `i`'s levels (`l2` at half `l1`'s step) do not resolve f: `|S_2 / S_1|`
/// more than 10% from a smooth f's quarter ([`QUARTER`]) with `S_2` far above rounding.
/// `S = e^2 f'' + e^4 f'''' / 12` then has a fourth-order term of at least 12% of the
/// second-order one at the first level, a step near f's scale, where the spread of the
/// levels no longer bounds their error (tanh at `w = 1e-3`, `x0 = 2e8`: a ratio of 0.29,
/// 1.75 off with a bound of 0.66; the pulse at `w = 1e-3`, `x0 = 5e5`: 0.22, 0.11 off
/// with a bound of 0.027).
pub(super) fn levels(l1: &Level, l2: &Level, i: usize) -> bool {
    let (s1, s2) = (l1.second[i].abs(), l2.second[i].abs());
    seen(l2, i) && !(s2 >= QUARTER.0 * s1 && s2 <= QUARTER.1 * s1)
}

/// Whether the first level `l1` saw f vary where the plain stencil at step `t` (second
/// difference `s_plain`) did not: `|S_1|` above `2 QUARTER.1 t_1 / t` of `|S_plain|`,
/// shrinking slower than linearly where a smooth f's shrinks as `(t_1 / t)^2`.
pub(super) fn plain(l1: &Level, i: usize, t: f64, s_plain: f64) -> bool {
    seen(l1, i) && l1.second[i].abs() > 2.0 * QUARTER.1 * (l1.t / t) * s_plain.abs()
}

/// Whether the level's second difference is far above rounding: above [`SEEN`] of the
/// stencil's rounding scale `sum |w_k f(x + o_k e)|`.
fn seen(l: &Level, i: usize) -> bool {
    l.second[i].abs() > SEEN * l.mag[i] * l.t
}

/// The range of `|S_2 / S_1|` a factor 2 apart taken as a smooth f's: a quarter, within
/// 10%.
const QUARTER: (f64, f64) = (0.25 / 1.1, 0.275);

/// `|S|` over the stencil's rounding scale below which a second difference is taken as
/// rounding (a sum of terms far larger than f rounds far above `eps |f|`).
const SEEN: f64 = 1e-8;
