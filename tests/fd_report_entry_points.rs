//! The report of the last call (issue 11 item 2) after every entry point that evaluates f:
//! complex step (VJP, JVP, Jacobian), finite differences of a complex function, empty
//! problems of every driver, and the tape's backward. Each check calls another entry
//! point first (A), then the one under test (B), and asserts that the report is B's:
//! its evaluation count, counted in the callback itself (exact), its directions, and an
//! error bound that covers the true error against the analytic derivative. The exact
//! products are themselves sums of rounded terms: an entry is covered when its error is
//! at most the bound plus `4 eps` times the sum of its terms' sizes (the reference's own
//! rounding).

use fdvjp::fd::{
    self, complex_jacobian, complex_jvp, complex_vjp, jacobian_complex_step, jvp_complex_step,
    last_report, vjp_complex_step, Complex64, Options, Report,
};
use fdvjp::tape::{ReduceOp, Tape};
use num_complex::ComplexFloat;
use proptest::prelude::*;
use std::cell::Cell;

type C = Complex64;

const N: usize = 3;
const M: usize = 2;

/// f(x) = [x0 sin(x1) + exp(x2 / 2), x0^3 - x1 x2 + 1 / (1 + x0^2)], real-analytic, written
/// once for real and complex arguments.
fn f<T: ComplexFloat + From<f64>>(x: &[T], y: &mut [T]) {
    let one: T = 1.0.into();
    let half: T = 0.5.into();
    y[0] = x[0] * x[1].sin() + (x[2] * half).exp();
    y[1] = x[0] * x[0] * x[0] - x[1] * x[2] + one / (one + x[0] * x[0]);
}

/// The exact Jacobian of [`f`], row-major.
fn jacobian(x: &[f64]) -> Vec<f64> {
    let d = 1.0 + x[0] * x[0];
    vec![
        x[1].sin(),
        x[0] * x[1].cos(),
        0.5 * (0.5 * x[2]).exp(),
        3.0 * x[0] * x[0] - 2.0 * x[0] / (d * d),
        -x[2],
        -x[1],
    ]
}

/// Whether `got` is within `bound` of the exact product `sum_k terms[k]`, allowing the
/// reference's own rounding.
fn covered(got: f64, terms: impl Iterator<Item = f64> + Clone, bound: f64) -> bool {
    let exact: f64 = terms.clone().sum();
    let size: f64 = terms.map(f64::abs).sum();
    (got - exact).abs() <= bound + 4.0 * f64::EPSILON * size
}

/// A call with evaluations of another function, so that a stale report would show.
fn another_call() {
    let g = |x: &[f64], y: &mut [f64]| {
        y[0] = x.iter().map(|v| v.sin()).sum();
        Ok(())
    };
    fd::vjp(&g, &[0.1, 0.2, 0.3, 0.4, 0.5], &[1.0], &Options::new()).unwrap();
    assert_eq!(last_report().evaluations, 11);
}

fn assert_report(r: &Report, evaluations: usize, directions: usize, what: &str) {
    assert!(r.completed, "{what}: not completed");
    assert_eq!(r.evaluations, evaluations, "{what}: evaluations");
    assert_eq!(r.directions, directions, "{what}: directions");
}

fn point() -> impl Strategy<Value = (Vec<f64>, Vec<f64>, Vec<f64>)> {
    (
        prop::collection::vec(-2.0..2.0f64, N),
        prop::collection::vec(-1.0..1.0f64, M),
        prop::collection::vec(-1.0..1.0f64, N),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// Complex step: n + 3 evaluations for the VJP and the Jacobian, 4 for the JVP (one at
    /// the real x, two for the analyticity check, more where its central difference refines
    /// its step), each counted; the bound covers the error against the analytic Jacobian (and is within
    /// 1e3 ulps of the result's size: not vacuous).
    #[test]
    fn complex_step_reports_its_evaluations_and_a_covering_bound((x, v, u) in point()) {
        let count = Cell::new(0usize);
        let g = |z: &[C], w: &mut [C]| {
            count.set(count.get() + 1);
            f(z, w);
            Ok(())
        };
        let jac = jacobian(&x);
        let o = Options::new();
        let size = jac.iter().fold(1.0f64, |a, d| a.max(d.abs()));

        another_call();
        let grad = vjp_complex_step(&g, &x, &v, &o).unwrap();
        let r = last_report();
        let counted = count.replace(0);
        assert_report(&r, counted, N, "vjp_complex_step");
        prop_assert!(counted >= N + 3, "vjp_complex_step: {} evaluations", counted);
        for j in 0..N {
            let terms = (0..M).map(|i| v[i] * jac[i * N + j]);
            prop_assert!(covered(grad[j], terms, r.error_bound), "vjp[{}]: bound {:e}", j, r.error_bound);
        }
        prop_assert!(r.error_bound <= 1e3 * f64::EPSILON * size);

        another_call();
        let got = jacobian_complex_step(&g, &x, M, &o).unwrap();
        let r = last_report();
        let counted = count.replace(0);
        assert_report(&r, counted, N, "jacobian_complex_step");
        prop_assert!(counted >= N + 3, "jacobian_complex_step: {} evaluations", counted);
        for k in 0..M * N {
            prop_assert!(covered(got[k], std::iter::once(jac[k]), r.error_bound), "jac[{}]: bound {:e}", k, r.error_bound);
        }
        prop_assert!(r.error_bound <= 1e3 * f64::EPSILON * size);

        another_call();
        let got = jvp_complex_step(&g, &x, M, &u, &o).unwrap();
        let r = last_report();
        let counted = count.replace(0);
        assert_report(&r, counted, 1, "jvp_complex_step");
        prop_assert!(counted >= 4, "jvp_complex_step: {} evaluations", counted);
        for i in 0..M {
            let terms = (0..N).map(|j| jac[i * N + j] * u[j]);
            prop_assert!(covered(got[i], terms, r.error_bound), "jvp[{}]: bound {:e}", i, r.error_bound);
        }
    }
}

/// Finite differences of a complex function (the real drivers on the interleaved view):
/// 1 + 4n evaluations for the central VJP and Jacobian, 3 for the JVP; 2n directions.
#[test]
fn complex_function_drivers_report_their_own_evaluations() {
    let count = Cell::new(0usize);
    let g = |z: &[C], w: &mut [C]| {
        count.set(count.get() + 1);
        w[0] = z[0] * z[1];
        w[1] = z[1].exp() + z[0] * z[0];
        Ok(())
    };
    let z = [C::new(0.3, -0.2), C::new(0.7, 0.4)];
    let v = [C::new(1.0, 0.5), C::new(-0.5, 0.25)];
    let o = Options::new();
    another_call();
    complex_vjp(&g, &z, &v, &o).unwrap();
    assert_report(&last_report(), 1 + 8, 4, "complex_vjp");
    assert_eq!(count.replace(0), 9);
    another_call();
    complex_jacobian(&g, &z, 2, &o).unwrap();
    assert_report(&last_report(), 1 + 8, 4, "complex_jacobian");
    assert_eq!(count.replace(0), 9);
    another_call();
    complex_jvp(&g, &z, 2, &v, &o).unwrap();
    assert_report(&last_report(), 3, 1, "complex_jvp");
    assert_eq!(count.replace(0), 3);
    // Empty: no evaluation, and the report says so.
    another_call();
    complex_vjp(&g, &[], &v, &o).unwrap();
    assert_report(&last_report(), 0, 0, "complex_vjp, n = 0");
    assert_eq!(count.get(), 0);
}

/// Every driver on an empty problem (`n == 0` or `m == 0`) publishes a report of its own:
/// completed, no evaluation, no direction, an exact (zero) result.
#[test]
fn empty_problems_replace_the_previous_report() {
    let count = Cell::new(0usize);
    let g = |_: &[f64], _: &mut [f64]| {
        count.set(count.get() + 1);
        Ok(())
    };
    let gc = |_: &[C], _: &mut [C]| {
        count.set(count.get() + 1);
        Ok(())
    };
    let o = Options::new();
    let x = [0.5, 1.5];
    type Call<'a> = (&'a str, Box<dyn Fn() + 'a>);
    let calls: Vec<Call<'_>> = vec![
        (
            "vjp n = 0",
            Box::new(|| drop(fd::vjp(&g, &[], &[1.0], &o).unwrap())),
        ),
        (
            "vjp m = 0",
            Box::new(|| drop(fd::vjp(&g, &x, &[], &o).unwrap())),
        ),
        (
            "jvp m = 0",
            Box::new(|| drop(fd::jvp(&g, &x, 0, &[1.0, 0.0], &o).unwrap())),
        ),
        (
            "jacobian n = 0",
            Box::new(|| drop(fd::jacobian(&g, &[], 2, &o).unwrap())),
        ),
        (
            "vjp_estimate m = 0",
            Box::new(|| drop(fd::vjp_estimate(&g, &x, &[], &o).unwrap())),
        ),
        (
            "jvp_estimate n = 0",
            Box::new(|| drop(fd::jvp_estimate(&g, &[], 2, &[], &o).unwrap())),
        ),
        (
            "jacobian_estimate m = 0",
            Box::new(|| drop(fd::jacobian_estimate(&g, &x, 0, &o).unwrap())),
        ),
        (
            "vjp_complex_step m = 0",
            Box::new(|| drop(vjp_complex_step(&gc, &x, &[], &o).unwrap())),
        ),
        (
            "jvp_complex_step n = 0",
            Box::new(|| drop(jvp_complex_step(&gc, &[], 2, &[], &o).unwrap())),
        ),
        (
            "jacobian_complex_step m = 0",
            Box::new(|| drop(jacobian_complex_step(&gc, &x, 0, &o).unwrap())),
        ),
    ];
    for (what, call) in calls {
        another_call();
        call();
        let r = last_report();
        assert_report(&r, 0, 0, what);
        assert_eq!(r.error_bound, 0.0, "{what}");
    }
    assert_eq!(count.get(), 0);
}

/// The tape's backward reports the whole sweep: the evaluations of every opaque node's
/// Jacobian (2n each, central, f(x) known), summed; a second backward at the same point
/// (Jacobians cached) or a tape without opaque nodes reports none, not an earlier call's.
#[test]
fn tape_backward_reports_its_own_sweep() {
    let count = std::rc::Rc::new(Cell::new(0usize));
    let counted = |k: std::rc::Rc<Cell<usize>>| {
        Box::new(move |x: &[f64], y: &mut [f64]| {
            k.set(k.get() + 1);
            y[0] = x[0] * x[1];
            y[1] = x[0].sin() + x[1];
            Ok(())
        })
    };
    let mut t = Tape::new();
    let a = t.input_slice(&[0.3, 0.8]).unwrap();
    let b = t.input_slice(&[-0.4]).unwrap();
    let g1 = t
        .call(counted(count.clone()), &[a], 2, Options::new())
        .unwrap();
    let ab = t.concat(&[g1, b]).unwrap();
    let s = t.slice(ab, 1, 2).unwrap();
    let g2 = t
        .call(counted(count.clone()), &[s], 2, Options::new())
        .unwrap();
    let loss = t.reduce(ReduceOp::Sum, g2).unwrap();
    count.set(0);
    another_call();
    t.backward(loss, None).unwrap();
    let r = last_report();
    assert_report(&r, 8, 4, "first backward");
    assert_eq!(count.get(), 8);
    assert!(r.error_bound.is_finite());

    another_call();
    t.backward(loss, None).unwrap();
    let r = last_report();
    assert_report(&r, 0, 0, "second backward (cached)");
    assert!(r.error_bound.is_nan());
    assert_eq!(count.get(), 8);

    let mut plain = Tape::new();
    let x = plain.input_slice(&[1.0, 2.0]).unwrap();
    let sum = plain.reduce(ReduceOp::Sum, x).unwrap();
    another_call();
    plain.backward(sum, None).unwrap();
    assert_report(&last_report(), 0, 0, "backward without opaque nodes");
}
