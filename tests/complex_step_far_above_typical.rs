//! The complex step where |x_j| is far above typ_j, the scale f may vary on there: the step
//! is at most `1e-10 min(|x_j|, typ_j)`, so f varying on typ_j is resolved and covered.
//! Before (a probe, 1 December) the step was `1e-20 |x_j|`: sin at 1e15 (h = 1e-5) came
//! out with an error 8.3e3 times its bound, and sin at 1e150 (h = 1e130, cosh(h) = inf)
//! failed with `NONFINITE_AT_X` though f(x) is finite.

use fdvjp::fd::{jacobian_complex_step, jvp_complex_step, last_report, vjp_complex_step};
use fdvjp::fd::{Complex64, FdError, Options};

/// f_i(z) = sin(z_i / c) for three elements: varies on the scale c.
fn sines(c: f64) -> impl Fn(&[Complex64], &mut [Complex64]) -> Result<(), i32> {
    move |z: &[Complex64], w: &mut [Complex64]| {
        for (wi, zi) in w.iter_mut().zip(z) {
            *wi = (*zi / c).sin();
        }
        Ok(())
    }
}

/// Every entry within its bound and within 1e-12 of the largest term, through the VJP, the
/// JVP and the Jacobian, at |x| from 1e3 to 1e15 times the scale f varies on (given as
/// typ, or the default 1).
#[test]
fn sines_far_above_their_scale_are_covered_and_accurate() {
    let mut checked = 0;
    for c in [1.0, 1e-3, 1e4] {
        for ratio in [1e3, 1e6, 1e9, 1e12, 1e15] {
            let x = [ratio * c * 0.7, -ratio * c * 1.3, ratio * c * 1.9];
            let mut o = Options::new();
            if c != 1.0 {
                o.set_typical(Some(vec![c; 3])).unwrap();
            }
            let g = sines(c);
            let d: Vec<f64> = x.iter().map(|&xj| (xj / c).cos() / c).collect();
            let v = [0.6, -1.1, 0.9];
            let scale = 1.0 / c;
            let mut check = |what: &str, got: &[f64], exact: &[f64]| {
                let bound = last_report().error_bound;
                for (g, e) in got.iter().zip(exact) {
                    let err = (g - e).abs();
                    assert!(
                        err <= bound && err <= 1e-12 * scale,
                        "{what} c {c} x {x:?}: {g} for {e}, error {err:e}, bound {bound:e}"
                    );
                }
                checked += 1;
            };
            let exact: Vec<f64> = d.iter().zip(&v).map(|(di, vi)| di * vi).collect();
            check("vjp", &vjp_complex_step(&g, &x, &v, &o).unwrap(), &exact);
            check("jvp", &jvp_complex_step(&g, &x, 3, &v, &o).unwrap(), &exact);
            let jac = jacobian_complex_step(&g, &x, 3, &o).unwrap();
            let mut want = vec![0.0; 9];
            for i in 0..3 {
                want[i * 3 + i] = d[i];
            }
            check("jacobian", &jac, &want);
        }
    }
    assert_eq!(checked, 45);
}

/// A step that overflows f where f(x) is finite is the step's failure, not x's: sin at 1e150
/// with typ 1e300 (h = 1e140, cosh(h) = inf) is `NonFinitePerturbed` through every driver.
#[test]
fn a_step_that_overflows_f_is_reported_as_the_perturbed_point() {
    let x = [1e150];
    let mut o = Options::new();
    o.set_typical(Some(vec![1e300])).unwrap();
    let g = sines(1.0);
    let perturbed =
        |r: Result<Vec<f64>, FdError>| matches!(r, Err(FdError::NonFinitePerturbed { .. }));
    assert!(perturbed(vjp_complex_step(&g, &x, &[1.0], &o)));
    assert!(perturbed(jvp_complex_step(&g, &x, 1, &[1.0], &o)));
    assert!(perturbed(jacobian_complex_step(&g, &x, 1, &o)));
    // f not finite at x itself is still x's.
    let inf = |_: &[Complex64], w: &mut [Complex64]| -> Result<(), i32> {
        w[0] = Complex64::new(f64::INFINITY, 0.0);
        Ok(())
    };
    let at_x = vjp_complex_step(&inf, &[1.0], &[1.0], &Options::new());
    assert!(matches!(at_x, Err(FdError::NonFiniteAtX { .. })));
}
