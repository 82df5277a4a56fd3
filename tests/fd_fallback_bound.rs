//! The error bound of the fall-backs (issue 11 item 2): a direction whose central stencil
//! met a NaN (a domain edge) or did not fit inside the bounds reports a finite bound that
//! covers its true error, never NaN when the result is finite.
//!
//! One column per call (n = 1, m = 2), so that the report's bound is that column's: log
//! and sqrt at 1e-12..1e-1 (the plain step 6e-6 crosses 0 below 6e-6), and the issue's
//! tight-bounds function `[x0 sin x1, x1 cos x0, x0^3 / sqrt(x1)]` near (10, 10) with
//! bounds a few 1e-9 around x, each column alone. Exact answers: the analytic
//! derivatives. An entry is covered when `|value - exact| <= bound` (no tolerance).

use fdvjp::fd::{self, last_report, Options};
use proptest::prelude::*;

/// A test function of one input.
type Column = dyn Fn(&[f64], &mut [f64]) -> Result<(), i32>;

/// The VJP and the Jacobian of `f` at `x` (n = 1, m = 2): per result, the entries' errors
/// against `jac` (the exact 2×1 Jacobian) and the report.
fn check_column(
    f: &Column,
    x: f64,
    jac: [f64; 2],
    v: [f64; 2],
    opts: &Options,
) -> Result<usize, TestCaseError> {
    let g = fd::vjp(&f, &[x], &v, opts).unwrap();
    let r = last_report();
    prop_assert!(r.completed);
    prop_assert!(
        r.error_bound.is_finite(),
        "x = {:e}: vjp bound {}",
        x,
        r.error_bound
    );
    let exact = v[0] * jac[0] + v[1] * jac[1];
    let err = (g[0] - exact).abs();
    prop_assert!(
        err <= r.error_bound,
        "x = {:e}: vjp {} vs {}: error {:e} > bound {:e}",
        x,
        g[0],
        exact,
        err,
        r.error_bound
    );
    let fallbacks = r.nonfinite_fallbacks + r.bound_fallbacks;

    let j = fd::jacobian(&f, &[x], 2, opts).unwrap();
    let r = last_report();
    prop_assert!(
        r.error_bound.is_finite(),
        "x = {:e}: jacobian bound {}",
        x,
        r.error_bound
    );
    for i in 0..2 {
        let err = (j[i] - jac[i]).abs();
        prop_assert!(
            err <= r.error_bound,
            "x = {:e}: J[{}] {} vs {}: error {:e} > bound {:e}",
            x,
            i,
            j[i],
            jac[i],
            err,
            r.error_bound
        );
    }
    Ok(fallbacks)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// log and sqrt near their domain edge at 0: the plain stencil meets a NaN below
    /// 6e-6, and the fall-back's bound covers the true error.
    #[test]
    fn domain_edge_fallback_bounds_cover_the_error(
        e in -12.0..-1.0f64,
        v0 in -1.0..1.0f64,
        v1 in -1.0..1.0f64,
    ) {
        let x = 10f64.powf(e);
        let f = |x: &[f64], y: &mut [f64]| {
            y[0] = x[0].ln();
            y[1] = 2.0 * x[0].sqrt();
            Ok(())
        };
        let fallbacks = check_column(&f, x, [1.0 / x, 1.0 / x.sqrt()], [v0, v1], &Options::new())?;
        if x < 5e-6 {
            prop_assert!(fallbacks > 0, "x = {:e}: no fall-back", x);
        }
    }

    /// Tight bounds `[x - 3e-9 a, x + 2e-9 b]` around points near 10: the central stencil
    /// at the plain step does not fit, the fall-back takes the largest that does.
    #[test]
    fn tight_bounds_fallback_bounds_cover_the_error(
        x0 in 9.0..11.0f64,
        x1 in 9.0..11.0f64,
        a in 0.5..2.0f64,
        b in 0.5..2.0f64,
        column in 0usize..2,
        v0 in -1.0..1.0f64,
        v1 in -1.0..1.0f64,
    ) {
        let p = [x0, x1];
        // Rows 0 and 2 of the function, as a function of the chosen column alone.
        let f = move |x: &[f64], y: &mut [f64]| {
            let mut q = p;
            q[column] = x[0];
            y[0] = q[0] * q[1].sin();
            y[1] = q[0] * q[0] * q[0] / q[1].sqrt();
            Ok(())
        };
        let jac = if column == 0 {
            [x1.sin(), 3.0 * x0 * x0 / x1.sqrt()]
        } else {
            [x0 * x1.cos(), -0.5 * x0 * x0 * x0 / (x1 * x1.sqrt())]
        };
        let xc = p[column];
        let mut opts = Options::new();
        opts.set_bounds(Some((vec![xc - 3e-9 * a], vec![xc + 2e-9 * b]))).unwrap();
        let fallbacks = check_column(&f, xc, jac, [v0, v1], &opts)?;
        prop_assert!(fallbacks > 0);
    }
}
