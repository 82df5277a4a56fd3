//! Finite-difference VJP, JVP and Jacobian of complex-valued functions `C^n -> C^m`.

use super::complex_callback::fdvjp_cfn;
use super::product::products;

products! {
    /// Vector-Jacobian product of a complex function `f: C^n -> C^m` (not necessarily
    /// holomorphic) by finite differences in the real and imaginary direction of each input.
    ///
    /// `z` (n complex = 2n doubles), cotangent `v` (m complex = 2m doubles) and `grad` (n
    /// complex = 2n doubles) are interleaved re/im, as for `fdvjp_cfn`.
    ///
    /// Convention (ChainRules; the transpose of the real Jacobian): with `z = x + iy`,
    /// `f = p + iq`, `A = df/dz` and `B = df/dconj(z)` (Wirtinger derivatives),
    ///   `grad_j = sum_i (dp_i/dx_j Re v_i + dq_i/dx_j Im v_i)
    ///           + i (dp_i/dy_j Re v_i + dq_i/dy_j Im v_i)
    ///           = sum_i conj(A_ij) v_i + B_ij conj(v_i)`.
    /// So for holomorphic f, `grad = J^H v` (`conj(f'(z)) v` for n = m = 1), and for a real
    /// loss L seeded with v = 1, `grad = dL/dx + i dL/dy` (e.g. `2z` for `|z|^2`), the
    /// steepest-ascent direction. JAX's VJP differs by conjugating both sides:
    /// `vjp_jax(c) = conj(grad(conj(c))) = sum_i A_ij c_i + conj(B_ij) conj(c_i)` (`f'(z) c`
    /// for holomorphic f; `2 conj(z)` for `|z|^2`); to get it, conjugate v before and grad
    /// after the call.
    ///
    /// This is `fdvjp_vjp` on the interleaved real view (`R^2n -> R^2m`), so the config's
    /// scheme, steps, bounds, adaptive flag and sparsity apply to the 2n interleaved reals
    /// (per-element arrays have 2n entries; a sparsity pattern is that of the 2m×2n real
    /// Jacobian), and error messages index them (`x[2j]` = Re z_j, `x[2j+1]` = Im z_j).
    /// Evaluations of f: as `fdvjp_vjp` with 2n inputs, e.g. 1 + 4n for central differences.
    /// `grad` is written only on success.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `z` (2n doubles) and `v` (2m doubles) readable and
    /// `grad` (2n doubles) writable, each may be NULL only when its length is 0; `f` is
    /// callable with `user` during the call.
    fn fdvjp_complex_vjp(f: fdvjp_cfn) = ComplexFunction, Vjp(z, v -> grad);

    /// Jacobian-vector product (pushforward) of a complex function `f: C^n -> C^m`:
    /// `jvp = A u + B conj(u)` (m complex = 2m doubles) along `u` (n complex = 2n doubles),
    /// with `A = df/dz`, `B = df/dconj(z)`; `A u` for holomorphic f. All conventions agree
    /// here.
    ///
    /// `fdvjp_jvp` on the interleaved real view (see `fdvjp_complex_vjp`). Evaluations of f:
    /// as `fdvjp_jvp` (3 for central differences). `jvp` is written only on success.
    ///
    /// # Safety
    /// As `fdvjp_complex_vjp`, with `u` (2n doubles) readable and `jvp` (2m doubles) writable.
    fn fdvjp_complex_jvp(f: fdvjp_cfn) = ComplexFunction, Jvp(z, u -> jvp);

    /// The Jacobian of a complex function `f: C^n -> C^m` as the real `2m × 2n` Jacobian of
    /// its interleaved view: row `2i` is `Re w_i`, row `2i+1` is `Im w_i`; column `2j` is
    /// `Re z_j`, column `2j+1` is `Im z_j`; `jac` holds 4mn doubles in the config's layout
    /// (row-major `jac[r*2n + c]` by default).
    ///
    /// This representation holds every f, holomorphic or not: for holomorphic f each 2×2 block
    /// is `[[Re A, -Im A], [Im A, Re A]]` with `A = df_i/dz_j`; in general it is
    /// `[[Re(A+B), Im(B-A)], [Im(A+B), Re(A-B)]]` with `B = df_i/dconj(z_j)`.
    /// Evaluations of f: as `fdvjp_jacobian` with 2n inputs. `jac` is written only on success.
    ///
    /// # Safety
    /// As `fdvjp_complex_vjp`, with `jac` writable for 4mn doubles.
    fn fdvjp_complex_jacobian(f: fdvjp_cfn) = ComplexFunction, Jacobian(z -> jac);
}
