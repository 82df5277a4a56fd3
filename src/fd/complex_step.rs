//! Complex-step derivatives of real-analytic functions: `f'(x) = Im f(x + ih) / h`.
//!
//! Why: no difference of nearby values is formed, so there is no subtractive cancellation
//! and the step can be tiny; the truncation error `h^2 f'''/6` then vanishes below the
//! rounding of f' itself, giving derivatives to machine precision. It requires f to be
//! real-analytic and implemented with complex arithmetic throughout (no `abs`, `conj`,
//! or real/imaginary splitting of intermediate values).
//!
//! Step: `h_j = 1e-20 * max(|x_j|, typ_j)` (relative, so f's features at the scale of x
//! see the same tiny step; `1e-20` keeps `h^2` far below `eps` and `h |f'|` far above the
//! underflow threshold for any sensible f), at most `1e-10 min(|x_j|, typ_j)`: no
//! difference is formed, so nothing stops h from being tiny against a small x_j, where f
//! (log, 1/x) may vary, or against typ_j far below |x_j|, the scale f may vary on there
//! (sin at 1e15). The scheme, steps, bounds and adaptive flag of the options do not apply (the real part never leaves x); typical magnitudes and the
//! Jacobian layout do.
//!
//! Evaluations: n + 3 for the VJP and the Jacobian (one at the real x, one per column, two
//! for the analyticity check), 4 for the JVP; more only where the check's real central
//! difference must refine its step ([`super::complex_check`]). The first checks that f is
//! real at x: an imaginary part c there would be read as the derivative c / h (1e20 c at
//! the usual step), so beyond an ulp of the column it is refused, below it added to the
//! bound. The last two compare the result along a random direction with real central
//! differences, which refuses an f that is not complex-analytic as written (abs, conj,
//! real parts inside). None for an empty problem (`n == 0` or `m == 0`). Progress is
//! reported after each evaluation, with the planned total.
//!
//! Report ([`crate::fd::last_report`]): the evaluations made, the directions (n columns, or
//! 1 for the JVP) and, as `error_bound`, the largest over the result's entries of
//! `8 eps S + h_rel^2 S / 6 + U / h` ([`ROUNDING_ULPS`]), where S is the size of the
//! entry's terms (`sum_i |v_i| |J_ij|` for a VJP entry, plus m ulps of it for the dot
//! product; `|J_ij|` for a Jacobian entry; `|(J u)_i|` for a JVP entry), `h_rel = h / s`
//! and `U` the spacing of the subnormal doubles. The first term is the rounding of `Im f`
//! (no difference is formed, so f' comes out to a few units in the last place of its
//! terms), the second the truncation `h^2 |f'''| / 6` for an f varying on the scale
//! `s = min(|x_j|, typ_j)` (`typ_j` at 0; `f''' ~ f' / s^2`), the third the resolution of `Im f` at
//! the smallest step. It is NaN where the step cannot resolve f' ([`Step`]). It is a
//! model, as for the plain drivers: it cannot see cancellation inside f, nor an f''' far
//! above `f' / s^2`. An empty problem reports no evaluation and a bound of 0.

use super::alloc::zeros_2d;
use super::complex::{Complex64, ComplexFunction};
use super::complex_check::{self, Product, Progress, CHECK_EVALUATIONS};
use super::direction_scale::{direction_exponent, scaled, times_pow2, unscale};
use super::error::{check_finite, FdError};
use super::options::Options;
use super::report::{publish, Report};

/// The complex step relative to `max(|x_j|, typ_j)`.
pub const COMPLEX_STEP: f64 = 1e-20;

/// The smallest complex step, `DBL_MIN / DBL_EPSILON` (about 1e-292): at a typical
/// magnitude below 1e-272 the relative step would underflow (to 0, giving 0/0), so it is
/// raised to this, where `Im f = h f'` stays a normal double for any |f'| above 1e-16.
/// The truncation error `h^2 f^(3) / 6` is still far below rounding for any f whose
/// derivatives are not astronomically large.
pub const MIN_COMPLEX_STEP: f64 = f64::MIN_POSITIVE / f64::EPSILON;

/// The rounding error of a complex-step derivative, in units of `eps` times the size of
/// its terms: no difference is formed, so it is that of evaluating f' itself (a few ulps;
/// 8 leaves a margin for an f of a few dozen operations).
pub(crate) const ROUNDING_ULPS: f64 = 8.0;

/// The largest complex step relative to `|x_j|`: `h^2 / x_j^2` stays 1e-20, far below eps,
/// for an f that varies on the scale of x_j (log, 1/x, powers near 0).
const MAX_RELATIVE_STEP: f64 = 1e-10;

/// The largest step relative to `|x_j|` that [`MIN_COMPLEX_STEP`] may raise it to, for
/// `|x_j|` below 1e-282 (the truncation `1e-16 / 6` is still below eps); below 1e-284 the
/// step is this fraction of `|x_j|` and subnormal.
const FLOOR_RELATIVE_STEP: f64 = 1e-8;

/// The largest relative step whose truncation the bound models: beyond it (|x_j| below
/// about 5e-318, where even the smallest subnormal step is more than this of x_j) the bound
/// is NaN.
const TRUSTED_RELATIVE_STEP: f64 = 1e-6;

/// The spacing of the subnormal doubles: `Im f(x + ih)` is resolved to it at best.
const SUBNORMAL: f64 = f64::MIN_POSITIVE * f64::EPSILON;

/// The error bound of an entry whose terms have size `size`, computed with step `s.h` (see
/// the module documentation); NaN where the step cannot be trusted.
fn entry_bound(size: f64, s: Step) -> f64 {
    if s.rel.is_nan() || s.rel > TRUSTED_RELATIVE_STEP {
        return f64::NAN;
    }
    ROUNDING_ULPS * f64::EPSILON * size + s.rel * s.rel * size / 6.0 + SUBNORMAL / s.h
}

/// `v^T J(x)` (n entries) by complex step, `m = v.len()`.
pub fn vjp_complex_step(
    g: &dyn ComplexFunction,
    x: &[f64],
    v: &[f64],
    opts: &Options,
) -> Result<Vec<f64>, FdError> {
    check_finite("v", v)?;
    let mut grad = vec![0.0; x.len()];
    for_each_column(g, x, v.len(), opts, |j, column, h, offset| {
        grad[j] = column.iter().zip(v).map(|(c, vi)| c * vi).sum();
        // The dot product's own rounding: m more ulps of its terms.
        let size: f64 = column.iter().zip(v).map(|(c, vi)| (c * vi).abs()).sum();
        let spoilt: f64 = offset.iter().zip(v).map(|(e, vi)| e * vi.abs()).sum();
        entry_bound(size, h) + v.len() as f64 * f64::EPSILON * size + spoilt
    })?;
    Ok(grad)
}

/// The m×n Jacobian by complex step, in `opts.layout()` order.
pub fn jacobian_complex_step(
    g: &dyn ComplexFunction,
    x: &[f64],
    m: usize,
    opts: &Options,
) -> Result<Vec<f64>, FdError> {
    let n = x.len();
    let mut jac = zeros_2d(m, n, "the Jacobian")?;
    let layout = opts.layout();
    for_each_column(g, x, m, opts, |j, column, h, offset| {
        for (i, &d) in column.iter().enumerate() {
            jac[layout.index(i, j, m, n)] = d;
        }
        let size = column.iter().fold(0.0f64, |a, d| a.max(d.abs()));
        entry_bound(size, h) + offset.iter().fold(0.0f64, |a, &e| a.max(e))
    })?;
    Ok(jac)
}

/// `J(x) u` (m entries) by one complex evaluation at `x + i h u`, with
/// `h = 1e-20 * min_j max(|x_j|, typ_j) / |u_j|` over `u_j != 0`.
pub fn jvp_complex_step(
    g: &dyn ComplexFunction,
    x: &[f64],
    m: usize,
    u: &[f64],
    opts: &Options,
) -> Result<Vec<f64>, FdError> {
    opts.check_direction(x, u)?;
    if x.is_empty() || m == 0 {
        publish(Report::empty(m));
        return Ok(vec![0.0; m]);
    }
    let real: Vec<Complex64> = x.iter().map(|&xj| Complex64::new(xj, 0.0)).collect();
    if u.iter().all(|&uj| uj == 0.0) {
        // J 0 = 0 exactly, after f(x) is checked as the real drivers check it: no
        // direction, bound 0 (probe13 finding 14: a step along u = 0 was taken).
        let mut ev = ComplexEvaluator::new(g, 1, m);
        ev.at_x(&real, m)?;
        ev.report.error_bound = 0.0;
        ev.report.completed = true;
        return Ok(vec![0.0; m]);
    }
    // Along u scaled near 1 (so h * u neither underflows nor overflows), then scaled back.
    let e = direction_exponent(u);
    let along = scaled(u, e);
    let steps: Vec<(usize, Step)> = (0..x.len())
        .filter(|&j| along[j] != 0.0)
        .map(|j| (j, step(opts, x, j)))
        .collect();
    let h = steps
        .iter()
        .map(|&(j, s)| s.h / along[j].abs())
        .fold(f64::INFINITY, f64::min);
    let h = if h.is_finite() { h } else { COMPLEX_STEP }.max(SUBNORMAL);
    // Element j moves by `h |u_j| <= h_j`: the relative step and the reciprocal's
    // imaginary part are those of that move (NaN kept). A subnormal move is rounded to
    // the subnormal spacing, a direction other than u by more than rounding: NaN too.
    let rel = steps
        .iter()
        .map(|&(j, s)| {
            let moved = h * along[j].abs();
            if moved < f64::MIN_POSITIVE {
                f64::NAN
            } else {
                relative(moved, x[j], s.scale)
            }
        })
        .fold(0.0, |r: f64, q| {
            if r.is_nan() || q.is_nan() {
                f64::NAN
            } else {
                r.max(q)
            }
        });
    let s = Step { h, rel, scale: 0.0 };
    let z: Vec<Complex64> = x
        .iter()
        .zip(&along)
        .map(|(&xj, &uj)| Complex64::new(xj, h * uj))
        .collect();
    let mut ev = ComplexEvaluator::new(g, 2 + CHECK_EVALUATIONS, m);
    let (fx, offset) = ev.at_x(&real, m)?;
    let mut out = ev.derivative(&z, m, h, "direction u", || format!("x + ih*u, h = {h:e}"))?;
    let spoilt = check_real(&offset, &out, h)?;
    // Bounded along the scaled u, where h is the step taken, then scaled back as J u is.
    let bounds: Vec<f64> = out
        .iter()
        .zip(&spoilt)
        .map(|(d, spoilt)| times_pow2(entry_bound(d.abs(), s) + spoilt, e))
        .collect();
    // One direction: its largest entry bound, recorded once (an infinite one counts the
    // direction unbounded once, not once per output).
    if let Some(worst) = bounds
        .iter()
        .copied()
        .filter(|b| !b.is_nan())
        .reduce(f64::max)
    {
        ev.report.bound(worst);
    }
    if entry_bound(0.0, s).is_nan() {
        ev.report.unbounded_direction();
    }
    unscale(&mut out, e, u)?;
    let product = Product {
        size: out.iter().map(|a| a.abs()).collect(),
        value: out.clone(),
        bound: bounds,
    };
    ev.check(x, &fx, u, &product, opts)?;
    ev.report.directions = 1;
    ev.report.completed = true;
    Ok(out)
}

/// The complex step of element j and its size relative to the scale f is assumed to vary on
/// there (see [`Step`]).
fn step(opts: &Options, x: &[f64], j: usize) -> Step {
    let typ = opts.typical().map_or(1.0, |t| t[j]);
    let ax = x[j].abs();
    if ax == 0.0 {
        let h = (COMPLEX_STEP * typ).max(MIN_COMPLEX_STEP);
        return Step {
            h,
            rel: h / typ,
            scale: typ,
        };
    }
    // At most `MAX_RELATIVE_STEP` of the smaller of |x_j| and typ_j (else f's features at
    // the scale of x_j, such as log's, or at typ_j far below |x_j|, such as sin's at 1e15,
    // are stepped over: 1e-5 there left an error 8.3e3 times the bound), and at least the
    // normal floor where that still fits. Never 0: below |x_j| = 2.5e-316 the floor rounds
    // to 0 (and `Im f / h` to 0/0); the smallest subnormal step is then far above 1e-6 of
    // x_j, and the bound NaN.
    let scale = ax.min(typ);
    let h = (COMPLEX_STEP * ax.max(typ))
        .min(MAX_RELATIVE_STEP * scale)
        .max(MIN_COMPLEX_STEP.min(FLOOR_RELATIVE_STEP * scale))
        .max(SUBNORMAL);
    Step {
        h,
        rel: relative(h, x[j], scale),
        scale,
    }
}

/// `im / scale`, or NaN where the imaginary part `-im / x_j^2` of `1 / (x_j + i im)` would
/// underflow (any division by x_j inside f would lose the derivative).
fn relative(im: f64, xj: f64, scale: f64) -> f64 {
    if xj != 0.0 && im / xj.abs() / xj.abs() < f64::MIN_POSITIVE {
        f64::NAN
    } else {
        im / scale
    }
}

/// A complex step `h` and `rel = h / s`, s the scale f is assumed to vary on (the smaller
/// of `|x_j|` and `typ_j`, `typ_j` at `x_j = 0`): the truncation is `rel^2 / 6` of the derivative. `rel` is NaN
/// where the step cannot be trusted to resolve f' ([`relative`]).
#[derive(Clone, Copy)]
struct Step {
    h: f64,
    rel: f64,
    scale: f64,
}

/// Calls `visit(j, column_j, h_j)` for every column, one complex evaluation each;
/// `visit` returns the error bound of the entries it made of the column.
fn for_each_column<G: ComplexFunction + ?Sized>(
    g: &G,
    x: &[f64],
    m: usize,
    opts: &Options,
    mut visit: impl FnMut(usize, &[f64], Step, &[f64]) -> f64,
) -> Result<(), FdError> {
    opts.check_point(x)?;
    if x.is_empty() || m == 0 {
        publish(Report::empty(m));
        return Ok(());
    }
    let mut ev = ComplexEvaluator::new(g, x.len() + 1 + CHECK_EVALUATIONS, m);
    let mut z: Vec<Complex64> = x.iter().map(|&xj| Complex64::new(xj, 0.0)).collect();
    let (fx, offset) = ev.at_x(&z, m)?;
    let u = complex_check::direction(opts, x);
    let mut product = Product::new(m);
    for j in 0..x.len() {
        let s = step(opts, x, j);
        let h = s.h;
        z[j].im = h;
        let column = ev.derivative(&z, m, h, &format!("column {j} (complex step)"), || {
            format!("x[{j}] + ih, h = {h:e}")
        });
        z[j].im = 0.0;
        let column = column?;
        let spoilt = check_real(&offset, &column, h)?;
        let entry_bounds: Vec<f64> = column
            .iter()
            .zip(&spoilt)
            .map(|(c, e)| entry_bound(c.abs(), s) + e)
            .collect();
        product.add(&column, &entry_bounds, u[j]);
        let bound = visit(j, &column, s, &spoilt);
        if bound.is_nan() {
            ev.report.unbounded_direction();
        } else {
            ev.report.bound(bound);
        }
        ev.report.directions += 1;
    }
    ev.check(x, &fx, &u, &product, opts)?;
    ev.report.completed = true;
    Ok(())
}

/// The error `|Im f(x)_i| / h` that the imaginary part `offset` of f at the real x adds to
/// each entry of the derivative `d` (`Im f(x + ih) / h`), or a refusal where it exceeds an
/// ulp of d's largest entry: f is then not real on the real axis near x (a log or square
/// root of a negative number, an added imaginary constant) and the result would be wrong
/// (at the usual h, by 1e20 times the offset).
fn check_real(offset: &[f64], d: &[f64], h: f64) -> Result<Vec<f64>, FdError> {
    let size = d.iter().fold(0.0f64, |a, di| a.max(di.abs()));
    let spoilt: Vec<f64> = offset.iter().map(|c| c.abs() / h).collect();
    match spoilt
        .iter()
        .position(|e| e.is_nan() || *e > f64::EPSILON * size)
    {
        None => Ok(spoilt),
        Some(i) => Err(FdError::InvalidArgument(format!(
            "f is not real at the real x: Im f(x)[{i}] = {:e}, which the complex step would \
             divide by its step {h:e} (f must be real-analytic and real on the real axis near \
             x; e.g. the log or sqrt of a negative number is not)",
            offset[i]
        ))),
    }
}

/// Numbers complex evaluations from 1, reports progress after each (a refusal cancels),
/// and reads derivatives off their imaginary parts. Publishes its report when dropped:
/// completed if the driver marked it so, else failed with the evaluations made.
struct ComplexEvaluator<'g, G: ComplexFunction + ?Sized> {
    g: &'g G,
    count: usize,
    /// Evaluations planned: one at x, one per column (or one for a JVP), and the
    /// analyticity check's two; its Richardson stage, where it runs, adds to the count.
    planned: usize,
    report: Report,
}

impl<'g, G: ComplexFunction + ?Sized> ComplexEvaluator<'g, G> {
    fn new(g: &'g G, planned: usize, m: usize) -> Self {
        Self {
            g,
            count: 0,
            planned,
            report: Report {
                outputs: m,
                ..Report::default()
            },
        }
    }

    /// `(Re f(x), Im f(x))` at the real point `z` (every imaginary part 0), after checking
    /// `f(x)` finite: the imaginary part is the offset a complex step would read as
    /// derivative (see [`check_real`]), the real part serves the analyticity check.
    fn at_x(&mut self, z: &[Complex64], m: usize) -> Result<(Vec<f64>, Vec<f64>), FdError> {
        let w = self.evaluate(z, m, || "x (real, to check that f(x) is real)".to_string())?;
        if let Some(index) = w.iter().position(|c| !c.re.is_finite()) {
            return Err(FdError::NonFiniteAtX {
                index,
                value: w[index].re,
            });
        }
        Ok((
            w.iter().map(|c| c.re).collect(),
            w.iter().map(|c| c.im).collect(),
        ))
    }

    /// Checks that f is complex-analytic along `u` ([`complex_check`]); its evaluations
    /// join this computation's count.
    fn check(
        &mut self,
        x: &[f64],
        fx: &[f64],
        u: &[f64],
        product: &Product,
        opts: &Options,
    ) -> Result<(), FdError> {
        let at = Progress {
            done: self.count,
            planned: self.planned,
        };
        let outcome = complex_check::check(self.g, x, fx, u, product, opts, at);
        self.count += outcome.evaluations;
        outcome.verdict
    }

    /// `Im f(z) / h`, after checking that `Re f(z)` (which is f(x) to within `h^2`) and
    /// `Im f(z)` are finite.
    fn derivative(
        &mut self,
        z: &[Complex64],
        m: usize,
        h: f64,
        direction: &str,
        point: impl Fn() -> String,
    ) -> Result<Vec<f64>, FdError> {
        let w = self.evaluate(z, m, &point)?;
        // Either part: f(x) was finite, so a non-finite real part here is the step's (csin
        // at 1e150 with h = 1e130 reported `NONFINITE_AT_X`).
        if let Some(index) = w
            .iter()
            .position(|c| !(c.re.is_finite() && c.im.is_finite()))
        {
            let value = if w[index].re.is_finite() {
                w[index].im
            } else {
                w[index].re
            };
            return Err(FdError::NonFinitePerturbed {
                direction: direction.to_string(),
                index,
                value,
                point: point(),
            });
        }
        Ok(w.iter().map(|c| c.im / h).collect())
    }

    /// `f(z)`, numbered and reported to progress.
    fn evaluate(
        &mut self,
        z: &[Complex64],
        m: usize,
        point: impl Fn() -> String,
    ) -> Result<Vec<Complex64>, FdError> {
        self.count += 1;
        let mut w = vec![Complex64::new(0.0, 0.0); m];
        if let Err(code) = self.g.eval(z, &mut w) {
            let fault = self.g.explain_failure(code);
            return Err(FdError::callback(code, fault, self.count, point()));
        }
        let total = self.planned.max(self.count);
        if !self.g.progress(self.count, total) {
            return Err(FdError::Cancelled {
                done: self.count,
                total,
            });
        }
        Ok(w)
    }
}

impl<G: ComplexFunction + ?Sized> Drop for ComplexEvaluator<'_, G> {
    fn drop(&mut self) {
        self.report.evaluations = self.count;
        publish(std::mem::take(&mut self.report));
    }
}
