//! The complex-step entry points: VJP, JVP and Jacobian of a real-analytic function
//! evaluated through a complex callback.

use super::complex_callback::fdvjp_cfn;
use super::product::products;

products! {
    /// Vector-Jacobian product `grad = v^T J(x)` (n real entries) of a real-analytic
    /// `f: R^n -> R^m` by complex step: column j is `Im f(x + i h_j e_j) / h_j`.
    ///
    /// `f` is called with complex arguments (interleaved, see `fdvjp_cfn`) whose imaginary
    /// parts are all zero except one; it must be implemented with complex arithmetic
    /// throughout (no `fabs`, `conj`, `creal`/`cimag` splitting of intermediate values), and
    /// then the result has no subtractive cancellation: relative error near 1e-16 for any
    /// step. The step is `h_j = 1e-20 * max(|x_j|, typ_j)`, at most `1e-10 min(|x_j|,
    /// typ_j)` (so a small x_j, as in log at 1e-30, or a typ_j far below |x_j|, as sin's 1 at
    /// 1e15, is not stepped over), at least `DBL_MIN / DBL_EPSILON` (about 1e-292, so that
    /// it never underflows: a typical magnitude of 1e-305 still gives the exact derivative
    /// of, e.g., exp at 0) where that is below `1e-8 min(|x_j|, typ_j)`. A perturbed point
    /// where f is not finite (the step overflowing f) is `FDVJP_NONFINITE_PERTURBED`.
    /// Evaluations of f: n + 3: one at the real x (f(x) checked finite:
    /// `FDVJP_NONFINITE_AT_X` otherwise; and real: an imaginary part that, divided by the
    /// step, exceeds an ulp of a column's largest entry is `FDVJP_INVALID_ARGUMENT`, since f
    /// is then not real on the real axis, e.g. log of a negative number), one complex
    /// evaluation per column, then two real points `x ± t u` (imaginary parts 0) that check
    /// f is complex-analytic, output by output, along a pseudo-random direction u (`|u_j|`
    /// between 1 and 2 times `min(|x_j|, typ_j)`, or `typ_j` where `x_j = 0`). With `a` the
    /// complex-step `J u` (bound `E_i`, terms `S_i = sum_j |J_ij u_j|`) and `c` the central
    /// difference along u at step t, f passes where `|a_i - c_i| <= 4 E_i + 1e-7 S_i + 16 eps
    /// |f_i(x)| / t`. Elsewhere a Richardson estimate `b` along u (about 15 evaluations more)
    /// decides: `FDVJP_INVALID_ARGUMENT` only where `|a_i - b_i| > 4 (E_i + B_i) + 1e-7 S_i`,
    /// `B_i` the larger of the estimate's error and the central difference's error bound
    /// (where both real differences are 0, no verdict). `B_i` is the real differences'
    /// conservative bound, often far above 1e-7 of the terms (1.6e-4 for x^2 at 0.7), so a
    /// non-analytic part is refused only beyond 4 times it (an f with `fabs`, `conj`,
    /// `creal` inside: 0 for `cabs`); a smaller one passes, and the complex step's
    /// `error_bound` does not cover it (z^2 with its imaginary part 1e-4 too large: relative
    /// error 1e-4, bound 2.8e-15). The check takes more points only where the default
    /// central JVP would refine its step (an element far below its typical magnitude, a
    /// domain edge, noise), and gives no verdict where it cannot be formed or bounded.
    /// None when `n == 0` or `m == 0`. The config's typical magnitudes apply; its scheme,
    /// steps, adaptive flag and sparsity do not; its bounds and noise settings apply only
    /// to the check (the complex step's real part never leaves x, which must lie inside
    /// them).
    /// `fdvjp_last_report` then gives the evaluations, n directions (1 for the JVP) and an
    /// `error_bound` of `8 eps` times the size of each entry's terms (`sum_i |v_i J_ij|`,
    /// plus m ulps of it for the dot product; `|J_ij|`; `|(J u)_i|`): the rounding of
    /// `Im f / h`, a model that cannot see cancellation inside f. The bound is NaN (an
    /// unbounded direction) where the imaginary part of `1 / (x_j + ih)` would underflow
    /// (|x_j| beyond about `6.7e148 sqrt(typ_j)`, 6.7e148 at the default typ: the step
    /// `1e-10 typ_j` over `x_j^2`; a larger typ_j declares f smooth on that larger scale
    /// and keeps the bound) or |x_j| is below about 5e-318 (a subnormal x_j whose
    /// step, at least the smallest subnormal double, is more than 1e-6 of it).
    /// `grad` is written only on success.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `x` (n doubles) and `v` (m doubles) readable and `grad`
    /// (n doubles) writable, each may be NULL only when its length is 0; `f` is callable with
    /// `user` during the call.
    fn fdvjp_vjp_complex_step(f: fdvjp_cfn) = ComplexStep, Vjp(x, v -> grad);

    /// Jacobian-vector product `jvp = J(x) u` (m real entries) by one complex evaluation at
    /// `x + i h u`, `h = min_j h_j / |u_j|` over `u_j != 0` (`h_j` as for
    /// `fdvjp_vjp_complex_step`), after scaling a u whose largest entry lies outside
    /// `[2^-256, 2^256]` by a power of two (J u is scaled back exactly; `FDVJP_INVALID_ARGUMENT`
    /// if it overflows).
    ///
    /// As `fdvjp_vjp_complex_step`. Evaluations of f: 4 (one at the real x, one complex, two
    /// for the check along u itself; 1 when u = 0, whose J u = 0 is exact: bound 0 and no
    /// direction in the report, as `fdvjp_jvp`'s); none when `n == 0` or `m == 0`. The bound
    /// is also NaN where an element's move `h |u_j|` is subnormal (rounded to the subnormal
    /// spacing, the point is not along u). The terms `J_ij u_j` of an entry are summed inside
    /// f, where the bound's model cannot see them: where they cancel, its error can exceed
    /// `8 eps |(J u)_i|` by the cancellation's factor (up to 13 on a rational function at
    /// random u); `fdvjp_jacobian_complex_step` bounds each `J_ij` alone. `jvp` is written
    /// only on success.
    ///
    /// # Safety
    /// As `fdvjp_vjp_complex_step`, with `u` (n doubles) readable and `jvp` (m doubles)
    /// writable.
    fn fdvjp_jvp_complex_step(f: fdvjp_cfn) = ComplexStep, Jvp(x, u -> jvp);

    /// The m×n Jacobian of a real-analytic f by complex step into `jac` (m*n doubles, in the
    /// config's layout).
    ///
    /// As `fdvjp_vjp_complex_step`. Evaluations of f: n + 3. `jac` is written only
    /// on success.
    ///
    /// # Safety
    /// As `fdvjp_vjp_complex_step`, with `jac` writable for m*n doubles.
    fn fdvjp_jacobian_complex_step(f: fdvjp_cfn) = ComplexStep, Jacobian(x -> jac);
}
