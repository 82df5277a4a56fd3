//! Exact evaluation counts of every mode of issue 4 (the figures documented in the header),
//! on a smooth `R^3 -> R^2` function where no fall-back is needed.

use fdvjp::fd::{
    self, complex_jacobian, complex_jvp, complex_vjp, jacobian_complex_step, jacobian_estimate,
    jvp_complex_step, jvp_estimate, vjp_complex_step, vjp_estimate, Complex64, Options, Scheme,
};
use std::cell::Cell;

const X: [f64; 3] = [0.3, -0.7, 1.1];
const N: usize = 3;
const M: usize = 2;

fn counted(count: &Cell<usize>) -> impl Fn(&[f64], &mut [f64]) -> Result<(), i32> + '_ {
    move |x, y| {
        count.set(count.get() + 1);
        y[0] = x[0] * x[1] + x[2].sin();
        y[1] = x[0].exp() * x[2] * x[2];
        Ok(())
    }
}

fn counted_complex(
    count: &Cell<usize>,
) -> impl Fn(&[Complex64], &mut [Complex64]) -> Result<(), i32> + '_ {
    move |z, w| {
        count.set(count.get() + 1);
        w[0] = z[0] * z[1] + z[2].sin();
        w[1] = z[0].exp() * z[2] * z[2];
        Ok(())
    }
}

/// Evaluations of `run` with a fresh counter.
fn evaluations(run: impl FnOnce(&Cell<usize>)) -> usize {
    let count = Cell::new(0);
    run(&count);
    count.get()
}

fn options(scheme: Scheme, adaptive: bool) -> Options {
    let mut o = Options::new();
    o.set_scheme(scheme);
    o.set_adaptive(adaptive);
    o
}

#[test]
fn fixed_and_adaptive_steps() {
    let v = [0.5, -1.5];
    let u = [1.0, 2.0, -0.5];
    // (scheme, stencil evaluations per direction)
    for (scheme, per) in [
        (Scheme::Forward, 1),
        (Scheme::Backward, 1),
        (Scheme::Central, 2),
        (Scheme::Central4, 4),
    ] {
        for (adaptive, trials) in [(false, 1), (true, 18)] {
            let o = options(scheme, adaptive);
            let per_direction = per * trials;
            let vjp = evaluations(|c| {
                fd::vjp(&counted(c), &X, &v, &o).unwrap();
            });
            let jac = evaluations(|c| {
                fd::jacobian(&counted(c), &X, M, &o).unwrap();
            });
            let jvp = evaluations(|c| {
                fd::jvp(&counted(c), &X, M, &u, &o).unwrap();
            });
            let what = format!("{scheme:?}, adaptive {adaptive}");
            assert_eq!(vjp, 1 + N * per_direction, "vjp {what}");
            assert_eq!(jac, 1 + N * per_direction, "jacobian {what}");
            assert_eq!(jvp, 1 + per_direction, "jvp {what}");
        }
    }
}

#[test]
fn richardson() {
    let o = Options::new();
    let vjp = evaluations(|c| {
        vjp_estimate(&counted(c), &X, &[1.0, 2.0], &o).unwrap();
    });
    let jac = evaluations(|c| {
        jacobian_estimate(&counted(c), &X, M, &o).unwrap();
    });
    let jvp = evaluations(|c| {
        jvp_estimate(&counted(c), &X, M, &[1.0, 0.0, -1.0], &o).unwrap();
    });
    let jvp_zero = evaluations(|c| {
        jvp_estimate(&counted(c), &X, M, &[0.0; 3], &o).unwrap();
    });
    // 12 per tableau and 2 for the check of its steps off their lattice.
    assert_eq!(vjp, 1 + 14 * N);
    assert_eq!(jac, 1 + 14 * N);
    assert_eq!(jvp, 15);
    assert_eq!(jvp_zero, 1);
}

#[test]
fn complex_step() {
    let o = Options::new();
    let vjp = evaluations(|c| {
        vjp_complex_step(&counted_complex(c), &X, &[1.0, 2.0], &o).unwrap();
    });
    let jac = evaluations(|c| {
        jacobian_complex_step(&counted_complex(c), &X, M, &o).unwrap();
    });
    let jvp = evaluations(|c| {
        jvp_complex_step(&counted_complex(c), &X, M, &[1.0, 0.0, -1.0], &o).unwrap();
    });
    let jvp_zero = evaluations(|c| {
        jvp_complex_step(&counted_complex(c), &X, M, &[0.0; 3], &o).unwrap();
    });
    let empty = evaluations(|c| {
        vjp_complex_step(&counted_complex(c), &[], &[1.0, 2.0], &o).unwrap();
    });
    // One evaluation at the real x (checking f(x) real), one per column or direction, and
    // two real points for the analyticity check; along u = 0 only the real x (J 0 = 0, as
    // the real drivers: probe13 finding 14).
    assert_eq!((vjp, jac, jvp, jvp_zero, empty), (N + 3, N + 3, 4, 1, 0));
}

/// Complex-valued functions: the real drivers on 2n real inputs.
#[test]
fn complex_functions() {
    let z: Vec<Complex64> = X.iter().map(|&x| Complex64::new(x, 0.25)).collect();
    let v = [Complex64::new(1.0, -1.0), Complex64::new(0.5, 2.0)];
    let u = [Complex64::new(1.0, 0.5); 3];
    for (scheme, per) in [
        (Scheme::Forward, 1),
        (Scheme::Central, 2),
        (Scheme::Central4, 4),
    ] {
        let o = options(scheme, false);
        let vjp = evaluations(|c| {
            complex_vjp(&counted_complex(c), &z, &v, &o).unwrap();
        });
        let jac = evaluations(|c| {
            complex_jacobian(&counted_complex(c), &z, M, &o).unwrap();
        });
        let jvp = evaluations(|c| {
            complex_jvp(&counted_complex(c), &z, M, &u, &o).unwrap();
        });
        assert_eq!(vjp, 1 + 2 * N * per, "{scheme:?}");
        assert_eq!(jac, 1 + 2 * N * per, "{scheme:?}");
        assert_eq!(jvp, 1 + per, "{scheme:?}");
    }
}
