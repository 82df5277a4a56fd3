//! The Richardson entry points: VJP, JVP and Jacobian with a per-entry error estimate.

use super::callback::fdvjp_fn;
use super::config::fdvjp_config;
use super::export::export;
use super::product::{run, Arrays, Method, Op};
use super::status::fdvjp_status;
use std::ffi::c_void;

/// Vector-Jacobian product `grad = v^T J(x)` (n entries) by Richardson extrapolation of
/// central differences, with an estimate of each entry's absolute error in `err` (n
/// entries).
///
/// Per column: central differences at 6 steps `t0, t0/2, ..., t0/32`, with
/// `t0 = max(|x_j|, typ_j) / 8` (or the config's absolute steps or relative factor),
/// combined in a Neville tableau in `t^2`; on well-scaled smooth functions the relative
/// error is about 1e-13. `err[j]` is twice the difference of the last two extrapolants
/// plus twice the larger of the worst-case rounding error carried through the tableau
/// (f accurate to about one unit in the last place) and a noise term probed from the
/// tableau (for f less accurate than that: noise, cancellation). On the test suite
/// (smooth, badly scaled, near a domain edge, noisy) the true error exceeded `err` for
/// about 2% of entries, and `err` exceeded 1000 times the true error (and 1e-14) for about
/// 3%.
///
/// Evaluations of f: exactly 1 + 12n; more only for columns that fall back near bounds or
/// non-finite values (one-sided tableaus, then steps divided by 10; when x_j is far below
/// its typical magnitude and the central tableau does not fit or meets a NaN, a second
/// tableau from x_j's own scale, 12 more, and the smaller estimate wins). The config's bounds,
/// steps and typical magnitudes apply; its scheme, adaptive flag and sparsity do not.
/// `grad` and `err` are written only on success.
///
/// # Safety
/// `cfg` is NULL or a live config; `x` (n doubles) and `v` (m doubles) readable, `grad` and
/// `err` (n doubles each) writable, each may be NULL only when its length is 0; `f` is
/// callable with `user` during the call.
#[no_mangle]
pub unsafe extern "C" fn fdvjp_vjp_estimate(
    cfg: *const fdvjp_config,
    f: fdvjp_fn,
    user: *mut c_void,
    x: *const f64,
    n: usize,
    m: usize,
    v: *const f64,
    grad: *mut f64,
    err: *mut f64,
) -> fdvjp_status {
    export!(|c| run(
        c,
        cfg,
        Method::Estimate(f, user),
        Op::Vjp,
        Arrays::seeded(x, n, m, v, grad).with_error(err)
    ))
}

/// Jacobian-vector product `jvp = J(x) u` (m entries) by Richardson extrapolation along u,
/// with an estimate of each entry's absolute error in `err` (m entries).
///
/// As `fdvjp_vjp_estimate` for one direction: the starting step along u is
/// `min_j t0_j / |u_j|` over `u_j != 0`. Evaluations of f: exactly 13 (f(x) and 12); 1 when
/// u = 0. `jvp` and `err` are written only on success.
///
/// # Safety
/// As `fdvjp_vjp_estimate`, with `u` (n doubles) readable and `jvp`, `err` (m doubles
/// each) writable.
#[no_mangle]
pub unsafe extern "C" fn fdvjp_jvp_estimate(
    cfg: *const fdvjp_config,
    f: fdvjp_fn,
    user: *mut c_void,
    x: *const f64,
    n: usize,
    m: usize,
    u: *const f64,
    jvp: *mut f64,
    err: *mut f64,
) -> fdvjp_status {
    export!(|c| run(
        c,
        cfg,
        Method::Estimate(f, user),
        Op::Jvp,
        Arrays::seeded(x, n, m, u, jvp).with_error(err)
    ))
}

/// The m×n Jacobian by Richardson extrapolation into `jac` (m*n doubles, in the config's
/// layout), with an estimate of each entry's absolute error in `err` (m*n doubles, same
/// layout).
///
/// As `fdvjp_vjp_estimate` column by column. Evaluations of f: exactly 1 + 12n (the
/// sparsity pattern is not used). `jac` and `err` are written only on success.
///
/// # Safety
/// As `fdvjp_vjp_estimate`, with `jac` and `err` writable for m*n doubles each.
#[no_mangle]
pub unsafe extern "C" fn fdvjp_jacobian_estimate(
    cfg: *const fdvjp_config,
    f: fdvjp_fn,
    user: *mut c_void,
    x: *const f64,
    n: usize,
    m: usize,
    jac: *mut f64,
    err: *mut f64,
) -> fdvjp_status {
    export!(|c| run(
        c,
        cfg,
        Method::Estimate(f, user),
        Op::Jacobian,
        Arrays::jacobian(x, n, m, jac).with_error(err)
    ))
}
