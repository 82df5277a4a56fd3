//! The rounding of f's own arguments in a refined central quotient.
//!
//! Why: f computes with x_j, not only at it. `sin(x / W)` rounds `x / W` to its ulp, an
//! error of up to `eps |x_j| |f'|` in f's value, which the rounding scale `eps |f|` does
//! not see: at x = 8e6, W = 0.296 the refined levels at 6e-6 and 3e-6 carry `eps |x_j| /
//! t ≈ 1e-4` of f' each. Their spread should show it, but levels a power of two apart
//! sample the argument's rounding on one lattice: where `x_j / W` and the step's
//! multiple of its ulp fall near whole ulps the rounding grows in proportion to the step
//! and the two levels agree on a wrong value (1.6e-4 off with a bound of 4e-9, probe12
//! finding 3: 243 of 2,999 refined columns of `sin(x / W)` beyond 10 times their bound).
//! The term below bounds that error whatever the lattice: `ARGUMENT eps |x_j| |D1| / t`
//! (two rounded operations on x_j). It is about `eps / r` (1e-11) relative at x_j's own
//! scale, and grows only far above typ_j, where the refined step is far below `|x_j|`.
//! It enters the refined value's bound, not the choice between it and the plain value
//! (`shrink_levels`): f computed from exact arguments (sin(x)) has far less.

use super::super::derivative::Direction;
use super::far_above;

/// How many rounded operations on an element of x the term allows for.
const ARGUMENT: f64 = 2.0;

/// The rounding error a central quotient `d` at step `t` along `dir` takes from f's
/// rounding of its arguments: `ARGUMENT eps X |d| / t`, X = `|x_j|` along an axis. Along
/// a vector u, `max |x_j| / max |u_j|` over the moved elements: the partials are unknown,
/// and `max |x_j / u_j|` read a small u_j as a large rounding of the whole quotient. In a
/// group, whose outputs each see one column, the largest `|x_j / u_j|` (`far_above.rs`'s
/// floor).
pub(super) fn rounding(x: &[f64], dir: Direction<'_>, t: f64, d: f64) -> f64 {
    let scale = match dir {
        Direction::Axis(j) => x[j].abs(),
        Direction::Vector(u) => {
            let moved = || (0..u.len()).filter(|&j| u[j] != 0.0);
            let top = moved().map(|j| x[j].abs()).fold(0.0, f64::max);
            top / moved().map(|j| u[j].abs()).fold(0.0, f64::max)
        }
        Direction::Group(..) => far_above::floor(x, dir) / (far_above::FLOOR_ULPS * f64::EPSILON),
    };
    if scale.is_finite() {
        ARGUMENT * f64::EPSILON * scale * d.abs() / t
    } else {
        0.0 // no element moved
    }
}
