//! Bounds and non-finite values in the accuracy modes: Richardson and adaptive steps stay
//! inside the bounds (one-sided stencils there) and step around a domain edge; the
//! complex step reports non-finite values and callback failures with the evaluation that
//! failed. Every result is compared with the analytic derivative.

use fdvjp::fd::{self, vjp_complex_step, vjp_estimate, Complex64, FdError, Options};
use std::cell::RefCell;

/// `log(x)`, recording every point it is evaluated at (NaN below 0, as `ln` gives).
fn recorded_log(points: &RefCell<Vec<f64>>) -> impl Fn(&[f64], &mut [f64]) -> Result<(), i32> + '_ {
    move |x, y| {
        points.borrow_mut().push(x[0]);
        y[0] = x[0].ln();
        Ok(())
    }
}

fn bounded(lower: f64, upper: f64) -> Options {
    let mut o = Options::new();
    o.set_bounds(Some((vec![lower], vec![upper]))).unwrap();
    o
}

/// x on its lower bound: only forward one-sided tableaus fit.
#[test]
fn richardson_stays_inside_the_bounds() {
    for x in [1e-3, 0.5, 2.0] {
        let points = RefCell::new(Vec::new());
        let e = vjp_estimate(&recorded_log(&points), &[x], &[1.0], &bounded(x, 10.0)).unwrap();
        let err = (e.value[0] - 1.0 / x).abs();
        eprintln!(
            "x = {x}: relative error {:e}, estimate {:e}",
            err * x,
            e.error[0] * x
        );
        assert!(points.borrow().iter().all(|&p| (x..=10.0).contains(&p)));
        assert!(err <= 1e-8 / x, "x = {x}: {}", e.value[0]);
        assert!(
            err <= e.error[0],
            "x = {x}: error {err:e} above estimate {:e}",
            e.error[0]
        );
    }
}

/// No bounds, but log is NaN below 0: the central tableau meets it, the one-sided ones
/// and smaller starting steps take over.
#[test]
fn richardson_steps_around_a_domain_edge() {
    for x in [0.01, 0.05] {
        let points = RefCell::new(Vec::new());
        let e = vjp_estimate(&recorded_log(&points), &[x], &[1.0], &Options::new()).unwrap();
        let err = (e.value[0] - 1.0 / x).abs();
        eprintln!(
            "x = {x}: relative error {:e}, estimate {:e}",
            err * x,
            e.error[0] * x
        );
        assert!(err <= 1e-8 / x, "x = {x}: {}", e.value[0]);
        assert!(
            err <= e.error[0],
            "x = {x}: error {err:e} above estimate {:e}",
            e.error[0]
        );
    }
}

/// Adaptive steps with x on its lower bound: the forward one-sided scan wins.
#[test]
fn adaptive_stays_inside_the_bounds() {
    for x in [1e-3, 0.5, 2.0] {
        let points = RefCell::new(Vec::new());
        let mut o = bounded(x, 10.0);
        o.set_adaptive(true);
        let g = fd::vjp(&recorded_log(&points), &[x], &[1.0], &o).unwrap()[0];
        let rel = (g * x - 1.0).abs();
        eprintln!("x = {x}: relative error {rel:e}");
        assert!(points.borrow().iter().all(|&p| (x..=10.0).contains(&p)));
        assert!(rel <= 1e-7, "x = {x}: {g}");
    }
}

/// Adaptive steps near a domain edge without bounds.
#[test]
fn adaptive_steps_around_a_domain_edge() {
    for x in [1e-6, 1e-3, 0.05] {
        let points = RefCell::new(Vec::new());
        let mut o = Options::new();
        o.set_adaptive(true);
        let g = fd::vjp(&recorded_log(&points), &[x], &[1.0], &o).unwrap()[0];
        let rel = (g * x - 1.0).abs();
        eprintln!("x = {x}: relative error {rel:e}");
        assert!(rel <= 1e-7, "x = {x}: {g}");
    }
}

fn complex_fn(
    f: impl Fn(&[Complex64], &mut [Complex64]),
) -> impl Fn(&[Complex64], &mut [Complex64]) -> Result<(), i32> {
    move |z, w| {
        f(z, w);
        Ok(())
    }
}

#[test]
fn complex_step_reports_non_finite_values_and_failures() {
    let o = Options::new();
    let x = [0.5, 1.5];
    // NaN in the real part: f(x) itself is not finite.
    let nan_at_x = complex_fn(|z, w| w[0] = z[0] * Complex64::new(f64::NAN, 0.0));
    match vjp_complex_step(&nan_at_x, &x, &[1.0], &o) {
        Err(FdError::NonFiniteAtX { index: 0, .. }) => {}
        other => panic!("{other:?}"),
    }
    // Finite at x, but the imaginary part overflows for column 1.
    let blows_up = complex_fn(|z, w| {
        w[0] = z[0]
            + if z[1].im != 0.0 {
                Complex64::new(0.0, f64::INFINITY)
            } else {
                0.0.into()
            }
    });
    match vjp_complex_step(&blows_up, &x, &[1.0], &o) {
        Err(FdError::NonFinitePerturbed { direction, .. }) => {
            assert_eq!(direction, "column 1 (complex step)")
        }
        other => panic!("{other:?}"),
    }
    // The callback fails at its third evaluation (column 1; the first is at the real x).
    let calls = std::cell::Cell::new(0);
    let fails = |z: &[Complex64], w: &mut [Complex64]| {
        calls.set(calls.get() + 1);
        w[0] = z[0] * z[1];
        if calls.get() == 3 {
            Err(5)
        } else {
            Ok(())
        }
    };
    match vjp_complex_step(&fails, &x, &[1.0], &o) {
        Err(FdError::Callback {
            code: 5,
            evaluation: 3,
            point,
        }) => assert!(point.starts_with("x[1] + ih"), "{point}"),
        other => panic!("{other:?}"),
    }
    // And a clean one, to machine precision: d(x0 x1)/dx = (x1, x0).
    let g = vjp_complex_step(&complex_fn(|z, w| w[0] = z[0] * z[1]), &x, &[1.0], &o).unwrap();
    assert_eq!(g, vec![1.5, 0.5]);
}
