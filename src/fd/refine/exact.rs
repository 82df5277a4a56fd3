//! Exact steps for refinements along a vector or a column group.
//!
//! Why: along an axis every step is made exact, `(x_j + h) - x_j`, so the divisor is the
//! difference of the arguments. Along a vector u (or a group's direction) each element
//! moves by `t u_j`, rounded to the doubles near `x_j`: a relative error of about
//! `ulp(x_j) / (2 t |u_j|)`, harmless at the plain step `r |x_j|` (eps / r, 4e-11) but
//! not at a refined one far below it (sin at 1e7 refined at `r typ = 6e-6`: 1.5e-4).
//!
//! So a refinement at nominal steps `c` and `c / 2` (c a power of two) moves element j
//! by exactly `±δ_j` and `±2 δ_j`, `δ_j = (x_j + c u_j / 2) - x_j`: along
//! `u'_j = δ_j (2 / c)` (both products exact). `u'` differs from u by `w = u - u'`:
//! a group's column j is then in units of `u'_j` (its outputs are scaled back), a vector's
//! result needs `J w` (one more central difference, [`super::vector`]).

use super::super::step::exact_step;

/// The largest power of two not above `target` (> 0).
fn power_of_two(target: f64) -> f64 {
    target.log2().floor().exp2()
}

/// `u'` of the module doc for the elements `moved`, and the nominal step c (`target`
/// rounded down to a power of two); entries outside `moved` are copied from `u`.
fn exact_direction(
    x: &[f64],
    u: &[f64],
    moved: impl Iterator<Item = usize>,
    target: f64,
) -> (f64, Vec<f64>) {
    let c = power_of_two(target);
    let mut exact = u.to_vec();
    for j in moved {
        exact[j] = exact_step(x[j], 0.5 * c * u[j]) * (2.0 / c);
    }
    (c, exact)
}

/// A column group's exact direction for the columns `cols` (module doc).
pub(super) fn group(x: &[f64], u: &[f64], cols: &[usize], target: f64) -> (f64, Vec<f64>) {
    exact_direction(x, u, cols.iter().copied(), target)
}

/// A vector's exact direction (module doc).
pub(super) fn vector(x: &[f64], u: &[f64], target: f64) -> (f64, Vec<f64>) {
    exact_direction(x, u, (0..u.len()).filter(|&j| u[j] != 0.0), target)
}
