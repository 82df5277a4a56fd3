//! One directional derivative, as the options ask: at the nominal step with its
//! fall-backs ([`super::derivative`]), or at a step chosen per direction
//! ([`super::adaptive`], which builds on the former).

use super::adaptive;
use super::derivative::{fixed_step, Direction};
use super::error::FdError;
use super::function::Function;
use super::probe::Probe;

/// Computes the derivative of f at `x` along `dir` into `out` (m entries): at the
/// nominal step, or at a step chosen per direction when the options ask for adaptive steps.
///
/// `along` is the direction `dir` with the nominal step `t0` along it (as
/// [`super::columns::evaluate_ahead`] takes them); `y0 = f(x)` is already checked finite.
pub(crate) fn directional<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    along: (Direction<'_>, f64),
    out: &mut [f64],
) -> Result<(), FdError> {
    if p.opts.adaptive() {
        return adaptive::directional(p, along, out);
    }
    fixed_step(p, along, out)
}
