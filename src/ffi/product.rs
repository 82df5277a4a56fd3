//! The one path behind every VJP, JVP and Jacobian entry point, whatever the method
//! (finite differences of a point or batch function, Richardson estimates, complex step,
//! finite differences of a complex function): lengths, config snapshot, callback, input
//! arrays, output arrays, in the order of the C signature, then the computation, then the
//! outputs, written only on success (a result beyond the doubles is an error).
//!
//! The entry points themselves are declared by [`products!`], one line each: their C
//! signatures differ only in the callback type, the names of x, the seed and the result,
//! and an error-estimate output, so the signature and the call of [`run`] are written
//! once, here.

use super::boundary::Failure;
use super::buffers::{product, Output};
use super::callback::{fdvjp_batch_fn, fdvjp_fn, CFunction};
use super::complex_callback::{fdvjp_cfn, CComplexFunction};
use super::config::{fdvjp_config, Snapshot};
use super::contract::Contract;
use crate::fd::{self, Complex64, Options};
use std::ffi::c_void;

/// Declares exported product entry points, one per line:
///
/// ```text
/// /// doc comment (it becomes the header's), with its `# Safety` section
/// fn fdvjp_vjp(f: fdvjp_fn) = Differences, Vjp(x, v -> grad);
/// fn fdvjp_jacobian_estimate(f: fdvjp_fn) = Estimate, Jacobian(x -> jac + err);
/// ```
///
/// gives `fdvjp_status fdvjp_vjp(const fdvjp_config *cfg, fdvjp_fn f, void *user, const
/// double *x, size_t n, size_t m, const double *v, double *grad)`: the config, the
/// callback and its `user`, x and its length n, the output count m, then the seed (input,
/// for a VJP or JVP), the result and the error estimates (outputs, for an estimate), named
/// as written, declared through [`exports!`](super::export::exports). The body is [`run`]
/// with the [`Method`] and [`Op`] named.
macro_rules! products {
    ($(
        $(#[$doc:meta])*
        fn $name:ident(f: $callback:ty) = $method:ident,
            $op:ident($x:ident $(, $seed:ident)? -> $out:ident $(+ $err:ident)?);
    )*) => {$crate::ffi::export::exports! {$(
        $(#[$doc])*
        fn $name(
            cfg: *const $crate::ffi::config::fdvjp_config, f: $callback,
            user: *mut ::std::ffi::c_void, $x: *const f64, n: usize, m: usize,
            $($seed: *const f64,)? $out: *mut f64, $($err: *mut f64,)?
        ) |c| {
            use $crate::ffi::product::{run, Arrays, Method, Op};
            let arrays = Arrays::new($x, n, m, $out)$(.with_seed($seed))?$(.with_error($err))?;
            run(c, cfg, Method::$method(f, user), Op::$op, arrays)
        }
    )*}};
}
pub(crate) use products;

/// Which product an entry point computes.
#[derive(Clone, Copy)]
pub(crate) enum Op {
    /// `v^T J`: seed `v` (m), result `grad` (n).
    Vjp,
    /// `J u`: seed `u` (n), result `jvp` (m).
    Jvp,
    /// `J`: no seed, result `jac` (m*n).
    Jacobian,
}

/// How the product is computed, with the caller's callback and user pointer.
pub(crate) enum Method {
    /// Finite differences of a point function.
    Differences(fdvjp_fn, *mut c_void),
    /// Finite differences of a batch function.
    Batch(fdvjp_batch_fn, *mut c_void),
    /// Richardson extrapolation with a per-entry error estimate (into `err`).
    Estimate(fdvjp_fn, *mut c_void),
    /// Complex step of a real-analytic function.
    ComplexStep(fdvjp_cfn, *mut c_void),
    /// Finite differences of a complex function on its interleaved real view.
    ComplexFunction(fdvjp_cfn, *mut c_void),
}

/// The caller's arrays of one call: `x` (n entries, or n complex ones), the seed (`v` or
/// `u`; unused for a Jacobian), the result and, for estimates, the error estimates.
pub(crate) struct Arrays {
    pub x: *const f64,
    pub n: usize,
    pub m: usize,
    pub seed: *const f64,
    pub out: *mut f64,
    pub err: *mut f64,
}

impl Arrays {
    /// A Jacobian's arrays: no seed, no error estimates.
    pub fn new(x: *const f64, n: usize, m: usize, out: *mut f64) -> Self {
        let (seed, err) = (std::ptr::null(), std::ptr::null_mut());
        Self {
            x,
            n,
            m,
            seed,
            out,
            err,
        }
    }

    /// The same arrays with the seed of a VJP (`v`) or JVP (`u`).
    pub fn with_seed(self, seed: *const f64) -> Self {
        Self { seed, ..self }
    }

    /// The same arrays with error estimates written to `err`.
    pub fn with_error(self, err: *mut f64) -> Self {
        Self { err, ..self }
    }
}

/// One array as messages name it: its name, its length in doubles, and what that length
/// is called ("x is NULL but n = 3").
type Named = (&'static str, usize, &'static str);

/// The names and lengths of one call's arrays.
struct Plan {
    x: Named,
    seed: Option<Named>,
    out: Named,
}

impl Plan {
    /// For a complex function every count is of complex numbers, two doubles each.
    fn new(op: Op, complex: bool, n: usize, m: usize) -> Result<Self, Failure> {
        let (n, m, [n_name, m_name, mn_name]) = if complex {
            let out = match op {
                Op::Vjp => "v",
                Op::Jvp => "jvp",
                Op::Jacobian => "jac",
            };
            (doubles(n, "z")?, doubles(m, out)?, ["2n", "2m", "2m*2n"])
        } else {
            (n, m, ["n", "m", "m*n"])
        };
        let x = (if complex { "z" } else { "x" }, n, n_name);
        Ok(match op {
            Op::Vjp => Self {
                x,
                seed: Some(("v", m, m_name)),
                out: ("grad", n, n_name),
            },
            Op::Jvp => Self {
                x,
                seed: Some(("u", n, n_name)),
                out: ("jvp", m, m_name),
            },
            Op::Jacobian => Self {
                x,
                seed: None,
                out: ("jac", product(m, n, "jac", mn_name)?, mn_name),
            },
        })
    }
}

/// `2 * count` doubles for `count` complex numbers, or an error naming the array.
fn doubles(count: usize, name: &str) -> Result<usize, Failure> {
    count
        .checked_mul(2)
        .ok_or_else(|| Failure::invalid(format!("{name}: 2*{count} doubles overflow size_t")))
}

/// The callback made from the config's execution settings.
enum Prepared {
    Differences(CFunction),
    Estimate(CFunction),
    ComplexStep(CComplexFunction),
    ComplexFunction(CComplexFunction),
}

impl Method {
    fn prepare(self, config: &Snapshot) -> Result<Prepared, Failure> {
        let execution = config.execution;
        Ok(match self {
            // Held: the computation ends with this call (see `CFunction::holding`).
            Self::Differences(f, user) => {
                Prepared::Differences(CFunction::point(f, user, execution)?.holding())
            }
            Self::Batch(f, user) => Prepared::Differences(CFunction::batch(f, user, execution)?),
            Self::Estimate(f, user) => {
                Prepared::Estimate(CFunction::point(f, user, execution)?.holding())
            }
            Self::ComplexStep(f, user) => {
                Prepared::ComplexStep(CComplexFunction::new(f, user, execution)?)
            }
            Self::ComplexFunction(f, user) => {
                Prepared::ComplexFunction(CComplexFunction::new(f, user, execution)?)
            }
        })
    }
}

/// Computes `op` by `method` for the exported function whose contract is `c`.
pub(crate) fn run(
    c: &Contract,
    cfg: *const fdvjp_config,
    method: Method,
    op: Op,
    a: Arrays,
) -> Result<(), Failure> {
    let plan = Plan::new(op, matches!(method, Method::ComplexFunction(..)), a.n, a.m)?;
    let config = Snapshot::of(c.handle(cfg)?)?;
    let f = method.prepare(&config)?;
    let (name, len, len_name) = plan.x;
    let x = c.input(a.x, len, name, len_name)?;
    let seed = match plan.seed {
        Some((name, len, len_name)) => c.input(a.seed, len, name, len_name)?,
        None => &[],
    };
    let (name, len, len_name) = plan.out;
    let out = c.output(a.out, len, name, len_name)?;
    let err = match f {
        Prepared::Estimate(_) => Some(c.output(a.err, len, "err", len_name)?),
        _ => None,
    };
    if let (Prepared::Differences(f), Op::Vjp) = (&f, op) {
        // A small VJP's gradient on the stack (`fd/small.rs`: no allocation on the way).
        if x.len() <= 8 {
            return small_vjp(f, x, seed, &config.options, &mut [0.0; 8], out);
        }
        if x.len() <= fd::small::MAX_N {
            return small_vjp(
                f,
                x,
                seed,
                &config.options,
                &mut [0.0; fd::small::MAX_N],
                out,
            );
        }
        // A large n with few outputs: the flat path too, the gradient in scratch.
        if fd::small::takes_large(x.len(), seed.len()) {
            if let Ok(mut grad) = fd::alloc::zeros(x.len(), "the gradient") {
                let result = small_vjp(f, x, seed, &config.options, &mut grad, out);
                fd::alloc::recycle(grad);
                return result;
            }
        }
    }
    let (value, error) = compute(&f, op, x, seed, a.m, &config.options)?;
    representable(plan.out.0, &value)?;
    out.write(&value);
    if let (Some(err), Some(error)) = (err, error) {
        err.write(&error);
    }
    // The result's vector serves the thread's next small call.
    fd::alloc::recycle(value);
    Ok(())
}

/// A VJP by `fd::small::vjp_into` into the scratch `grad` (n entries at least: a stack
/// array, or a vector for a large n), then the caller's `out`.
fn small_vjp<G: AsMut<[f64]>>(
    f: &CFunction,
    x: &[f64],
    v: &[f64],
    options: &Options,
    grad: &mut G,
    out: Output<'_, f64>,
) -> Result<(), Failure> {
    let grad = &mut grad.as_mut()[..x.len()];
    fd::small::vjp_into(f, x, v, options, grad)?;
    representable("grad", grad)?;
    out.write(grad);
    Ok(())
}

/// A result with an entry beyond the doubles (v = 1e308 times a slope of 10) is an error,
/// as for a JVP along a huge u: an infinity returned with `FDVJP_OK` would pass for a value.
/// Nor is a NaN: finite inputs give one when terms of opposite signs overflow in an
/// intermediate sum (v = (1e308, -1e308) on two equal rows: inf - inf, though the exact
/// value is 0), and its message says so rather than blaming fdvjp. The report of the
/// finished computation stays, marked failed.
fn representable(name: &str, value: &[f64]) -> Result<(), Failure> {
    let Some(i) = value.iter().position(|v| !v.is_finite()) else {
        return Ok(());
    };
    fd::withdraw();
    let remedy = match name {
        "grad" => "scale v down and the gradient up",
        "jvp" => "scale u down and the product up",
        _ => "scale f down and the result up",
    };
    Err(Failure::invalid(if value[i].is_nan() {
        format!(
            "the result is beyond the doubles: {name}[{i}] = NaN: terms of opposite signs \
             overflowed in an intermediate sum (inf - inf), though the exact value may be \
             finite ({remedy})"
        )
    } else {
        format!(
            "the result is beyond the doubles: {name}[{i}] = {:e} ({remedy})",
            value[i]
        )
    }))
}

/// The result (and, for estimates, the error estimates) of `op` by the prepared method.
fn compute(
    f: &Prepared,
    op: Op,
    x: &[f64],
    seed: &[f64],
    m: usize,
    o: &Options,
) -> Result<(Vec<f64>, Option<Vec<f64>>), Failure> {
    let plain = |value| Ok((value, None));
    let estimate = |e: fd::Estimate| Ok((e.value, Some(e.error)));
    match (f, op) {
        (Prepared::Differences(f), Op::Vjp) => plain(fd::vjp(f, x, seed, o)?),
        (Prepared::Differences(f), Op::Jvp) => plain(fd::jvp(f, x, m, seed, o)?),
        (Prepared::Differences(f), Op::Jacobian) => plain(fd::jacobian(f, x, m, o)?),
        (Prepared::Estimate(f), Op::Vjp) => estimate(fd::vjp_estimate(f, x, seed, o)?),
        (Prepared::Estimate(f), Op::Jvp) => estimate(fd::jvp_estimate(f, x, m, seed, o)?),
        (Prepared::Estimate(f), Op::Jacobian) => estimate(fd::jacobian_estimate(f, x, m, o)?),
        (Prepared::ComplexStep(f), Op::Vjp) => plain(fd::vjp_complex_step(f, x, seed, o)?),
        (Prepared::ComplexStep(f), Op::Jvp) => plain(fd::jvp_complex_step(f, x, m, seed, o)?),
        (Prepared::ComplexStep(f), Op::Jacobian) => plain(fd::jacobian_complex_step(f, x, m, o)?),
        (Prepared::ComplexFunction(f), Op::Vjp) => plain(interleaved(&fd::complex_vjp(
            f,
            &complex(x),
            &complex(seed),
            o,
        )?)),
        (Prepared::ComplexFunction(f), Op::Jvp) => plain(interleaved(&fd::complex_jvp(
            f,
            &complex(x),
            m,
            &complex(seed),
            o,
        )?)),
        (Prepared::ComplexFunction(f), Op::Jacobian) => {
            plain(fd::complex_jacobian(f, &complex(x), m, o)?)
        }
    }
}

fn complex(x: &[f64]) -> Vec<Complex64> {
    x.chunks_exact(2)
        .map(|p| Complex64::new(p[0], p[1]))
        .collect()
}

fn interleaved(z: &[Complex64]) -> Vec<f64> {
    z.iter().flat_map(|c| [c.re, c.im]).collect()
}
