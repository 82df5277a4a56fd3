//! The complex step's check that f is complex-analytic: one real central difference along a
//! pseudo-random direction, compared with the complex-step product along it.
//!
//! Why: the complex step reads `f'(x)` off `Im f(x + ih) / h`, which holds only for an f
//! written in complex arithmetic throughout. An f that takes an absolute value, a conjugate
//! or a real part of an intermediate value (`cabs(z)`, `z * conj(z)`, `creal(z) * z`) is
//! real on the real axis, so the realness check at x passes, yet its complex step gives a
//! wrong derivative (0 for `cabs`, `-1` for `conj`) with a bound of a few ulps: a quiet
//! wrong number (probe12 finding 6). Real differences see f only on the real axis, where it
//! is the function the caller means, so they cannot be fooled this way.
//!
//! Direction: `u_j = ± (1 + ξ_j) min(|x_j|, typ_j)` (`typ_j` where `x_j = 0`) with random
//! signs and `ξ_j` uniform in [0, 1) (a reproducible sequence seeded by n): every element
//! moves on the scale the complex step's bound assumes f varies on (an element far below
//! its typical magnitude, as log's near 0, is not stepped across 0; one far above it, as
//! sin's at 1e12, is not moved by its own size, where real differences of f alias), and a
//! non-analytic term is not cancelled by another but by accident.
//!
//! The real side is first the default central JVP ([`crate::fd::jvp_at`], with
//! `min(|x_j|, typ_j)` as typical magnitudes, the caller's bounds and noise settings, and f(x) known from the
//! realness check): 2 evaluations, more only where its own rules refine the step (f
//! varying faster than on x's own scale, a domain edge, noise). It passes f when its product agrees
//! with the complex step's, a, to `4 E_i + 1e-7 S_i + 16 eps |f_i(x)| / t` on every output i
//! (`E_i` the complex step's bound, `S_i = sum_j |J_ij u_j|` the size of a_i's terms, t the
//! plain step along u): the default step is that accurate wherever it suits f. Any larger disagreement is settled by a Richardson
//! estimate along u ([`crate::fd::jvp_estimate`], about 15 evaluations), accurate where
//! the default step is too large for f and with an error estimate of its own: f is
//! refused (`FDVJP_INVALID_ARGUMENT`, nothing written) only where
//! `|a_i - b_i| > 4 (E_i + B_i) + 1e-7 S_i`, `B_i` the larger of the estimate's error and
//! the central difference's bound (which sees a value grid that cancellation inside f
//! leaves: e^z - 1 near 0, where the complex step is right and real differences are not;
//! where neither real difference moved at all, as e^x - 1 at 1e-92, no verdict), so a non-analytic part of f is caught once its
//! derivative exceeds 4 times that real error (the central bound is conservative: 1.6e-4
//! for x^2 at 0.7) plus 1e-7 of the terms; a smaller one passes. Where an error is NaN,
//! or the real differences cannot be formed (no stencil fits, f not finite around x), the
//! check gives no verdict and the complex step's result stands; a failure of f or a
//! cancellation ends the call.

use super::complex::{Complex64, ComplexFunction};
use super::detect::SplitMix;
use super::error::FdError;
use super::estimate::jvp_estimate;
use super::function::Function;
use super::jvp::jvp_at;
use super::options::Options;
use super::report::last_report;
use super::scheme::Scheme;
use super::step::nominal_step;

/// Evaluations the check plans: the central JVP's two points (f(x) is known); the
/// Richardson stage, only on a disagreement, adds to the plan when it runs.
pub(crate) const CHECK_EVALUATIONS: usize = 2;

/// The disagreement allowed beyond both sides' bounds, as a multiple of them.
const SAFETY: f64 = 4.0;

/// The rounding of a central difference along u allowed in the first stage, in units of
/// `eps |f_i(x)| / t` (t the plain step along u): an output whose derivative is 0 shows
/// only that rounding.
const ROUNDING: f64 = 16.0;

/// An imaginary part of f at a real point beyond this many ulps of its real part marks a
/// point outside f's real domain.
const OFF_AXIS: f64 = 64.0;

/// The disagreement allowed relative to the size of the product's terms.
const RELATIVE_FLOOR: f64 = 1e-7;

/// The direction of the check for a point `x` (see the module documentation).
pub(crate) fn direction(opts: &Options, x: &[f64]) -> Vec<f64> {
    let mut rng = SplitMix(0xc0de_c0a1_57e9_0000 ^ x.len() as u64);
    (0..x.len())
        .map(|j| {
            let scale = own_scale(opts, x, j).min(opts.typical().map_or(1.0, |t| t[j]));
            let sign = if rng.next() & 1 == 0 { 1.0 } else { -1.0 };
            sign * (1.0 + rng.uniform()) * scale
        })
        .collect()
}

/// `|x_j|`, or `typ_j` where `x_j = 0` (or subnormal, where `|x_j|` cannot serve as a
/// typical magnitude).
fn own_scale(opts: &Options, x: &[f64], j: usize) -> f64 {
    if x[j].abs() >= f64::MIN_POSITIVE {
        x[j].abs()
    } else {
        opts.typical().map_or(1.0, |t| t[j])
    }
}

/// The complex-step product along the check's direction, `a = J u`, with the error bound
/// `E_i` and term size `S_i` of each entry.
pub(crate) struct Product {
    pub value: Vec<f64>,
    pub bound: Vec<f64>,
    pub size: Vec<f64>,
}

impl Product {
    pub fn new(m: usize) -> Self {
        Self {
            value: vec![0.0; m],
            bound: vec![0.0; m],
            size: vec![0.0; m],
        }
    }

    /// Adds column j's entries `column` (bounds `bounds`) times `u_j`.
    pub fn add(&mut self, column: &[f64], bounds: &[f64], uj: f64) {
        for (i, (c, b)) in column.iter().zip(bounds).enumerate() {
            self.value[i] += c * uj;
            self.bound[i] += b * uj.abs();
            self.size[i] += (c * uj).abs();
        }
    }
}

/// The check's outcome: the evaluations it made (`Err` carries a failure of f or a
/// cancellation, or the refusal of a non-analytic f).
pub(crate) struct Outcome {
    pub evaluations: usize,
    pub verdict: Result<(), FdError>,
}

/// Where the complex driver stands: its evaluations so far and its planned total, so that
/// the check's evaluations are numbered after them.
#[derive(Clone, Copy)]
pub(crate) struct Progress {
    pub done: usize,
    pub planned: usize,
}

/// Compares `product` (the complex-step `J u`) with real differences of f along `u`; `fx`
/// is f(x) (its real part). First the default central JVP (2 evaluations); only where it
/// disagrees, a Richardson estimate along u settles it (about 15 more): the central
/// difference's bound can fall short where its step is too large for f (x e^-x at x = 500:
/// 1.5e-6 off, bound 3e-9), and a complex step must not be refused for that.
pub(crate) fn check<G: ComplexFunction + ?Sized>(
    g: &G,
    x: &[f64],
    fx: &[f64],
    u: &[f64],
    product: &Product,
    opts: &Options,
    at: Progress,
) -> Outcome {
    let mut outcome = Outcome {
        evaluations: 0,
        verdict: Ok(()),
    };
    if product.bound.iter().any(|b| b.is_nan()) {
        return outcome;
    }
    let opts = central_options(opts, x);
    let central = {
        let real = RealAxis { g, at };
        jvp_at(&real, x, fx, u, &opts)
    };
    outcome.evaluations = last_report().evaluations;
    // The central difference's own bound: it sees what limits real differences of f as
    // computed (a value grid from cancellation inside f, e^x - 1 near 0), which the
    // estimate's error may not.
    let central_bound = last_report().error_bound;
    let central = match central {
        Err(e) if e.is_stencil_miss() => return outcome,
        Err(e) => return failed(outcome, e, at.done),
        Ok(b) => b,
    };
    // Agreement to 1e-7 of the terms, or to the rounding of f over the plain step along u,
    // settles it; the central bound is not used (it is loose where the step is large for
    // f, and would let a non-analytic f through).
    let t = plain_step_along(&opts, x, u);
    let rounding = |i: usize| ROUNDING * f64::EPSILON * fx[i].abs() / t;
    if disagreement(product, &central, rounding).is_none() {
        return outcome;
    }
    let at = Progress {
        done: at.done + outcome.evaluations,
        planned: at.planned.max(at.done + outcome.evaluations),
    };
    let estimate = {
        let real = RealAxis { g, at };
        jvp_estimate(&real, x, fx.len(), u, &opts)
    };
    outcome.evaluations += last_report().evaluations;
    match estimate {
        Err(e) if e.is_stencil_miss() => outcome,
        Err(e) => failed(outcome, e, at.done),
        Ok(est) => {
            // Refused only beyond both real errors: f computed with cancellation has real
            // differences no better than their grid, where the complex step is right.
            // Where neither real difference moved at all (f computed as e^x - 1 at 1e-92 is
            // 0 at every real point near x), they cannot tell: no verdict on that output.
            let real_error = |i: usize| {
                if central[i] == 0.0 && est.value[i] == 0.0 {
                    f64::INFINITY
                } else {
                    est.error[i].max(central_bound)
                }
            };
            if let Some(i) = disagreement(product, &est.value, real_error) {
                outcome.verdict = Err(not_analytic(
                    i,
                    product.value[i],
                    est.value[i],
                    est.error[i],
                ));
            }
            outcome
        }
    }
}

/// The plain central step along u: `min_j h_j / |u_j|` over `u_j != 0`, as the JVP driver
/// takes it before any refinement.
fn plain_step_along(opts: &Options, x: &[f64], u: &[f64]) -> f64 {
    (0..x.len())
        .filter(|&j| u[j] != 0.0)
        .map(|j| nominal_step(opts, x, j) / u[j].abs())
        .fold(f64::INFINITY, f64::min)
}

/// The outcome ended by a failure of f or a cancellation `e` inside the check.
fn failed(mut outcome: Outcome, e: FdError, done: usize) -> Outcome {
    // Numbered within the whole computation: the check's own evaluations come after the
    // complex driver's `done`.
    outcome.verdict = Err(e.after(done));
    outcome
}

/// The first output where `b` (error bound `bound(i)`) disagrees with the complex-step
/// product beyond both errors (module documentation); `None` where a bound is NaN.
fn disagreement(a: &Product, b: &[f64], bound: impl Fn(usize) -> f64) -> Option<usize> {
    (0..b.len()).find(|&i| {
        let allowed = SAFETY * (a.bound[i] + bound(i)) + RELATIVE_FLOOR * a.size[i];
        (a.value[i] - b[i]).abs() > allowed
    })
}

/// The refusal of an f whose complex step disagrees with its real differences.
fn not_analytic(i: usize, a: f64, b: f64, within: f64) -> FdError {
    FdError::InvalidArgument(format!(
        "f is not complex-analytic near x: along a random direction u the complex step \
         gives (J u)[{i}] = {a:e} but real differences give {b:e} (within {within:e}); f \
         must use complex arithmetic throughout (no abs, conj, real or imaginary parts of \
         intermediate values) for the complex step: use the real drivers for such an f"
    ))
}

/// The caller's options as the default central scheme sees them, with `min(|x_j|, typ_j)`
/// as typical magnitudes (an element far below its typical magnitude moves on its own
/// scale, as the check's direction does, without a refinement to find it; one far above
/// stays suspect, as f may vary on typ's scale there: sin at 1e11): bounds and noise kept;
/// steps, scheme, adaptive steps, sparsity and batches dropped.
fn central_options(opts: &Options, x: &[f64]) -> Options {
    let mut o = opts.with_pattern(None);
    let scales: Vec<f64> = (0..x.len())
        .map(|j| own_scale(opts, x, j).min(opts.typical().map_or(1.0, |t| t[j])))
        .collect();
    // Cannot fail: every scale is finite and > 0 (x is finite, typ_j > 0).
    let _ = o.set_typical(Some(scales));
    o.set_scheme(Scheme::Central);
    o.set_adaptive(false);
    // Neither can fail: `None` clears a setting.
    let _ = o.set_relative_step(None);
    let _ = o.set_steps(None);
    let _ = o.set_batch(1);
    o
}

/// The complex function on the real axis: `Re g(x + 0i)` where g is real there (NaN where
/// it is not), its evaluations numbered after the complex driver's.
struct RealAxis<'g, G: ComplexFunction + ?Sized> {
    g: &'g G,
    at: Progress,
}

impl<G: ComplexFunction + ?Sized> Function for RealAxis<'_, G> {
    fn eval(&self, x: &[f64], y: &mut [f64]) -> Result<(), i32> {
        let z: Vec<Complex64> = x.iter().map(|&xj| Complex64::new(xj, 0.0)).collect();
        let mut w = vec![Complex64::new(0.0, 0.0); y.len()];
        self.g.eval(&z, &mut w)?;
        for (yi, wi) in y.iter_mut().zip(&w) {
            // Not real at a real point: beyond f's real domain (log of a negative number),
            // where Re f is not the function the caller means. NaN there, as the real
            // function would give, so the drivers treat it as a domain edge.
            let real = wi.im.abs() <= OFF_AXIS * f64::EPSILON * wi.re.abs();
            *yi = if real { wi.re } else { f64::NAN };
        }
        Ok(())
    }

    fn explain_failure(&self, code: i32) -> Option<String> {
        self.g.explain_failure(code)
    }

    fn progress(&self, done: usize, total: usize) -> bool {
        let total = self.at.done + total;
        self.g
            .progress(self.at.done + done, total.max(self.at.planned))
    }
}
