//! Derivatives of complex-valued functions `f: C^n -> C^m` by finite differences in the
//! real and imaginary directions.
//!
//! f is differentiated as the real function of the interleaved parts (see
//! [`super::complex::Interleaved`]), so nothing assumes f holomorphic, and the options
//! (scheme, steps, bounds, adaptive steps) act on the 2n interleaved reals: per-element
//! arrays have 2n entries, and error messages index the interleaved doubles
//! (`x[2j]` is `Re z_j`, `x[2j+1]` is `Im z_j`).
//!
//! With `z = x + iy`, `f = p + iq` and the Wirtinger derivatives `A = df/dz`,
//! `B = df/dconj(z)`:
//! - JVP: `J u = A u + B conj(u)` (the pushforward; all conventions agree).
//! - VJP (the ChainRules convention, the transpose of the real Jacobian):
//!   `grad_j = sum_i (dp_i/dx_j Re v_i + dq_i/dx_j Im v_i)
//!            + i (dp_i/dy_j Re v_i + dq_i/dy_j Im v_i)
//!          = sum_i conj(A_ij) v_i + B_ij conj(v_i)`.
//!   For a real-valued loss seeded with 1 it is `dL/dx + i dL/dy`, the steepest-ascent
//!   direction. JAX's VJP is the conjugate on both sides:
//!   `vjp_jax(c) = conj(grad(conj(c))) = sum_i A_ij c_i + conj(B_ij) conj(c_i)`.
//! - Jacobian: the real `2m × 2n` Jacobian of the interleaved view (row `2i` is `Re w_i`,
//!   row `2i+1` is `Im w_i`; column `2j` is `Re z_j`, column `2j+1` is `Im z_j`), the only
//!   representation that holds every non-holomorphic f.
//!
//! Evaluations: those of the real drivers with n and m doubled (e.g. 1 + 4n for the
//! central VJP: 2 per real direction).

use super::complex::{to_complex, to_interleaved, Complex64, ComplexFunction, Interleaved};
use super::error::FdError;
use super::options::Options;
use super::{jacobian, jvp, vjp};

/// The VJP `grad` (n entries) of f at `z` for the cotangent `v` (m entries), in the
/// ChainRules convention stated in the module documentation.
pub fn complex_vjp(
    g: &dyn ComplexFunction,
    z: &[Complex64],
    v: &[Complex64],
    opts: &Options,
) -> Result<Vec<Complex64>, FdError> {
    let (f, x) = (Interleaved(g), to_interleaved(z));
    Ok(to_complex(&vjp(&f, &x, &to_interleaved(v), opts)?))
}

/// The JVP `A u + B conj(u)` (m entries) of f at `z` along `u` (n entries).
pub fn complex_jvp(
    g: &dyn ComplexFunction,
    z: &[Complex64],
    m: usize,
    u: &[Complex64],
    opts: &Options,
) -> Result<Vec<Complex64>, FdError> {
    let (f, x) = (Interleaved(g), to_interleaved(z));
    Ok(to_complex(&jvp(&f, &x, 2 * m, &to_interleaved(u), opts)?))
}

/// The real `2m × 2n` Jacobian of the interleaved view, in `opts.layout()` order.
pub fn complex_jacobian(
    g: &dyn ComplexFunction,
    z: &[Complex64],
    m: usize,
    opts: &Options,
) -> Result<Vec<f64>, FdError> {
    jacobian(&Interleaved(g), &to_interleaved(z), 2 * m, opts)
}
