//! The finite-difference entry points: VJP, JVP and Jacobian of a C function, given as a
//! point function (`fdvjp_fn`) or a batch function (`fdvjp_batch_fn`).

use super::callback::{fdvjp_batch_fn, fdvjp_fn};
use super::product::products;

products! {
    /// Vector-Jacobian product: `grad = v^T J(x)` (n entries) for `f: R^n -> R^m`, by finite
    /// differences, without forming J (extra memory O(n + m) when not batching).
    ///
    /// `cfg` may be NULL (central differences, default steps). Evaluations of f: 1 + n
    /// (forward/backward), 1 + 2n (central), 1 + 4n (4th order), more only for columns that
    /// fall back near bounds or non-finite values; with a sparsity pattern, n becomes the
    /// number of column groups. `n == 0` or `m == 0` is an empty problem: success, f not
    /// called. `grad` is written only on success; an entry beyond the doubles (v = 1e308 on a
    /// slope of 10) is `FDVJP_INVALID_ARGUMENT` naming it, never an infinity; so is a NaN
    /// from terms of opposite signs that overflowed (v = (1e308, -1e308) on two equal rows:
    /// inf - inf), whose message says so (the same holds for every VJP, JVP and Jacobian
    /// driver).
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `x` (n doubles) and `v` (m doubles) readable and `grad`
    /// (n doubles) writable, each may be NULL only when its length is 0; `f` is callable with
    /// `user` during the call.
    fn fdvjp_vjp(f: fdvjp_fn) = Differences, Vjp(x, v -> grad);

    /// `fdvjp_vjp` with a batch function: up to the config's batch size points per call.
    ///
    /// # Safety
    /// As `fdvjp_vjp`.
    fn fdvjp_vjp_batch(f: fdvjp_batch_fn) = Batch, Vjp(x, v -> grad);

    /// Jacobian-vector product: `jvp = J(x) u` (m entries), by one directional difference.
    ///
    /// The step along u is `min_j h_j / |u_j|` over `u_j != 0`; a u whose largest entry lies
    /// outside `[2^-256, 2^256]` (1e305, a subnormal) is first scaled by a power of two, so
    /// the step neither underflows nor overflows, and J u is scaled back (exactly);
    /// `FDVJP_INVALID_ARGUMENT` if J u itself overflows. Evaluations of f: 2
    /// (forward/backward), 3 (central), 5 (4th order), counting f(x); 1 when u = 0 (J u = 0
    /// exactly: the report's bound is 0 and its `directions` 0, as for the estimate and the
    /// complex step). With
    /// bounds, a u that leaves the box both ways (no stencil along it fits at any step) is
    /// differentiated column by column, `J u = sum_j u_j J e_j` over the non-zero u_j, each
    /// column with its own inward stencil (a Jacobian column's evaluations each; the
    /// report's `directions` counts them); so is a u whose step moves an element it moves
    /// by fewer than 32 ulps (x_j far above the scale of the elements that set the step:
    /// that element's term would be missing or rounded), and a u whose refinement no
    /// single step serves (one element's own scale asks for a step another cannot take:
    /// x^3 at (1e-8, 1, 1e8) along ones), after its evaluations along u. `jvp` is written
    /// only on success.
    ///
    /// # Safety
    /// As `fdvjp_vjp`, with `u` (n doubles) readable and `jvp` (m doubles) writable.
    fn fdvjp_jvp(f: fdvjp_fn) = Differences, Jvp(x, u -> jvp);

    /// `fdvjp_jvp` with a batch function: the stencil's points in one call.
    ///
    /// # Safety
    /// As `fdvjp_jvp`.
    fn fdvjp_jvp_batch(f: fdvjp_batch_fn) = Batch, Jvp(x, u -> jvp);

    /// The m×n Jacobian of f at x into `jac` (m*n doubles): row-major `jac[i*n + j] =
    /// df_i/dx_j` by default, column-major `jac[j*m + i]` with `FDVJP_COL_MAJOR`.
    ///
    /// Evaluations as `fdvjp_vjp`. `jac` is written only on success.
    ///
    /// # Safety
    /// As `fdvjp_vjp`, with `jac` writable for m*n doubles.
    fn fdvjp_jacobian(f: fdvjp_fn) = Differences, Jacobian(x -> jac);

    /// `fdvjp_jacobian` with a batch function: up to the config's batch size points per call.
    ///
    /// # Safety
    /// As `fdvjp_jacobian`.
    fn fdvjp_jacobian_batch(f: fdvjp_batch_fn) = Batch, Jacobian(x -> jac);
}
