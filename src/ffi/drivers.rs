//! The finite-difference entry points: VJP, JVP and Jacobian of a C function.

use super::boundary::{guard, Failure};
use super::buffers::{input, product, Output};
use super::callback::{fdvjp_fn, CFunction};
use super::config::{fdvjp_config, options_of};
use super::status::fdvjp_status::{self, *};
use crate::fd;
use std::ffi::c_void;

fn function(f: fdvjp_fn, user: *mut c_void) -> Result<CFunction, Failure> {
    CFunction::new(f, user).ok_or_else(|| Failure::new(FDVJP_NULL_POINTER, "f is NULL"))
}

/// Vector-Jacobian product: `grad = v^T J(x)` (n entries) for `f: R^n -> R^m`, by finite
/// differences, without forming J (extra memory O(n + m)).
///
/// `cfg` may be NULL (central differences, default steps). Evaluations of f: 1 + n
/// (forward/backward), 1 + 2n (central), 1 + 4n (4th order), more only for columns that
/// fall back near bounds or non-finite values. `n == 0` or `m == 0` is an empty problem:
/// success, f not called. `grad` is written only on success.
///
/// # Safety
/// `cfg` is NULL or a live config; `x` (n doubles) and `v` (m doubles) readable and `grad`
/// (n doubles) writable, each may be NULL only when its length is 0; `f` is callable with
/// `user` during the call.
#[no_mangle]
pub unsafe extern "C" fn fdvjp_vjp(
    cfg: *const fdvjp_config,
    f: fdvjp_fn,
    user: *mut c_void,
    x: *const f64,
    n: usize,
    m: usize,
    v: *const f64,
    grad: *mut f64,
) -> fdvjp_status {
    guard("fdvjp_vjp", || {
        // SAFETY: forwarded caller contract on cfg, x, v.
        let (opts, x, v) = unsafe {
            (
                options_of(cfg)?,
                input(x, n, "x", "n")?,
                input(v, m, "v", "m")?,
            )
        };
        let f = function(f, user)?;
        let out = Output::new(grad, n, "grad", "n")?;
        let result = fd::vjp(&f, x, v, &opts)?;
        // SAFETY: grad is writable for n doubles; the borrows of x and v have ended.
        unsafe { out.write(&result) };
        Ok(())
    })
}

/// Jacobian-vector product: `jvp = J(x) u` (m entries), by one directional difference.
///
/// The step along u is `min_j h_j / |u_j|` over `u_j != 0`. Evaluations of f: 2
/// (forward/backward), 3 (central), 5 (4th order), counting f(x); 1 when u = 0. `jvp` is
/// written only on success.
///
/// # Safety
/// As `fdvjp_vjp`, with `u` (n doubles) readable and `jvp` (m doubles) writable.
#[no_mangle]
pub unsafe extern "C" fn fdvjp_jvp(
    cfg: *const fdvjp_config,
    f: fdvjp_fn,
    user: *mut c_void,
    x: *const f64,
    n: usize,
    m: usize,
    u: *const f64,
    jvp: *mut f64,
) -> fdvjp_status {
    guard("fdvjp_jvp", || {
        // SAFETY: forwarded caller contract on cfg, x, u.
        let (opts, x, u) = unsafe {
            (
                options_of(cfg)?,
                input(x, n, "x", "n")?,
                input(u, n, "u", "n")?,
            )
        };
        let f = function(f, user)?;
        let out = Output::new(jvp, m, "jvp", "m")?;
        let result = fd::jvp(&f, x, m, u, &opts)?;
        // SAFETY: jvp is writable for m doubles; the borrows of x and u have ended.
        unsafe { out.write(&result) };
        Ok(())
    })
}

/// The m×n Jacobian of f at x into `jac` (m*n doubles): row-major `jac[i*n + j] =
/// df_i/dx_j` by default, column-major `jac[j*m + i]` with `FDVJP_COL_MAJOR`.
///
/// Evaluations as `fdvjp_vjp`. `jac` is written only on success.
///
/// # Safety
/// As `fdvjp_vjp`, with `jac` writable for m*n doubles.
#[no_mangle]
pub unsafe extern "C" fn fdvjp_jacobian(
    cfg: *const fdvjp_config,
    f: fdvjp_fn,
    user: *mut c_void,
    x: *const f64,
    n: usize,
    m: usize,
    jac: *mut f64,
) -> fdvjp_status {
    guard("fdvjp_jacobian", || {
        // SAFETY: forwarded caller contract on cfg and x.
        let (opts, x) = unsafe { (options_of(cfg)?, input(x, n, "x", "n")?) };
        let f = function(f, user)?;
        let out = Output::new(jac, product(m, n, "jac")?, "jac", "m*n")?;
        let result = fd::jacobian(&f, x, m, &opts)?;
        // SAFETY: jac is writable for m*n doubles; the borrow of x has ended.
        unsafe { out.write(&result) };
        Ok(())
    })
}
