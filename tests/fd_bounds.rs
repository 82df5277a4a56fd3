//! Bounds: every evaluation stays inside the box; on or near a bound the one-sided stencil
//! of the scheme's order is used (same accuracy class, same evaluation count); a narrow box
//! shrinks the step; a point outside the box is an argument error.

use crate::common;

use common::{
    default_tolerance, evals_per_direction, jacobian_error, jvp_error, order, tolerance, Class,
    TestFn, SCHEMES,
};
use fdvjp::fd::{self, FdError, Options, Scheme};
use proptest::prelude::*;
use std::cell::Cell;

/// The code a boxed function returns when called outside its box.
const OUTSIDE: i32 = 99;

/// `tf` restricted to the box: `Err(OUTSIDE)` for any point outside it; counts calls.
fn boxed<'a>(
    tf: &'a TestFn,
    lower: &'a [f64],
    upper: &'a [f64],
    count: &'a Cell<usize>,
) -> impl Fn(&[f64], &mut [f64]) -> Result<(), i32> + 'a {
    move |x, y| {
        count.set(count.get() + 1);
        if x.iter()
            .zip(lower.iter().zip(upper))
            .any(|(v, (lo, hi))| !(lo <= v && v <= hi))
        {
            return Err(OUTSIDE);
        }
        tf.eval(x, y);
        Ok(())
    }
}

/// A box around `x` built per element from `modes[j]` (0..6): on the lower bound, on the
/// upper bound, within 0.3 h above the lower or below the upper, unbounded, or wide enough
/// for the scheme's own stencil (±2.5 h), with h the scheme's default step.
fn box_around(x: &[f64], modes: &[usize], scheme: Scheme) -> (Vec<f64>, Vec<f64>) {
    let r = scheme.default_relative_step();
    let inf = f64::INFINITY;
    x.iter()
        .zip(modes)
        .map(|(&xj, &mode)| {
            let h = r * xj.abs().max(1.0);
            match mode {
                0 => (xj, inf),
                1 => (-inf, xj),
                2 => (xj - 0.3 * h, inf),
                3 => (-inf, xj + 0.3 * h),
                4 => (-inf, inf),
                _ => (xj - 2.5 * h, xj + 2.5 * h),
            }
        })
        .unzip()
}

fn with_bounds(tf: &TestFn, scheme: Scheme, lower: &[f64], upper: &[f64]) -> Options {
    let mut opts = tf.options(scheme);
    opts.set_bounds(Some((lower.to_vec(), upper.to_vec())))
        .unwrap();
    opts
}

fn smooth_functions() -> Vec<TestFn> {
    common::all()
        .into_iter()
        .filter(|tf| tf.class == Class::Smooth)
        .collect()
}

/// Jacobian inside a random box: no evaluation outside, `1 + k n` evaluations, accuracy
/// of the scheme's order with the one-sided tolerance (class `DomainEdge`).
fn check_box(scheme: Scheme, u: &[f64], modes: &[usize]) -> Result<(), TestCaseError> {
    for tf in smooth_functions() {
        // Well-scaled: `0 < |x_j| < 0.01` is moved to ±0.01, where the plain count holds
        // (below typ_j / 100 a central column is checked at its own scale, 2 evaluations).
        let x: Vec<f64> = tf
            .sample(u)
            .into_iter()
            .map(|v| {
                if v != 0.0 && v.abs() < 0.01 {
                    0.01f64.copysign(v)
                } else {
                    v
                }
            })
            .collect();
        let (lower, upper) = box_around(&x, &modes[..tf.n], scheme);
        let count = Cell::new(0);
        let opts = with_bounds(&tf, scheme, &lower, &upper);
        let got = fd::jacobian(&boxed(&tf, &lower, &upper, &count), &x, tf.m, &opts);
        let got = got.map_err(|e| TestCaseError::fail(format!("{}: {e}", tf.name)))?;
        prop_assert_eq!(
            count.get(),
            1 + evals_per_direction(scheme) * tf.n,
            "{}",
            tf.name
        );
        let err = jacobian_error(&tf, &got, &tf.jacobian(&x));
        let tol = default_tolerance(scheme, Class::DomainEdge);
        prop_assert!(err <= tol, "{} at {x:?}: error {err:e} > {tol:e}", tf.name);
    }
    Ok(())
}

/// JVP with some elements on a bound and `u` pointing into the box there: the one-sided
/// stencil along u is used and stays inside.
fn check_jvp_box(
    scheme: Scheme,
    p: &[f64],
    w: &[f64],
    modes: &[usize],
) -> Result<(), TestCaseError> {
    for tf in smooth_functions() {
        let x = tf.sample(p);
        let modes: Vec<usize> = modes[..tf.n].iter().map(|m| [0, 1, 4][m % 3]).collect();
        let (lower, upper) = box_around(&x, &modes, scheme);
        let u: Vec<f64> = (0..tf.n)
            .map(|j| match modes[j] {
                0 => w[j].abs(),
                1 => -w[j].abs(),
                _ => w[j],
            })
            .collect();
        let count = Cell::new(0);
        let opts = with_bounds(&tf, scheme, &lower, &upper);
        let got = fd::jvp(&boxed(&tf, &lower, &upper, &count), &x, tf.m, &u, &opts);
        let got = got.map_err(|e| TestCaseError::fail(format!("{}: {e}", tf.name)))?;
        let err = jvp_error(&tf, &x, &got, &u, &tf.jacobian(&x));
        let tol = default_tolerance(scheme, Class::DomainEdge);
        prop_assert!(
            err <= tol,
            "{} at {x:?}, u = {u:?}: error {err:e} > {tol:e}",
            tf.name
        );
    }
    Ok(())
}

/// A box of half-width `2e-3 h` around x: the step shrinks 1000-fold and the error is what
/// the tolerance rule gives at that step; no evaluation is wasted on stencils that do not fit.
fn check_narrow_box(scheme: Scheme, u: &[f64]) -> Result<(), TestCaseError> {
    let r = scheme.default_relative_step();
    for tf in smooth_functions() {
        let x = tf.sample(u);
        let half: Vec<f64> = x.iter().map(|v| 2e-3 * r * v.abs().max(1.0)).collect();
        let lower: Vec<f64> = x.iter().zip(&half).map(|(v, w)| v - w).collect();
        let upper: Vec<f64> = x.iter().zip(&half).map(|(v, w)| v + w).collect();
        let count = Cell::new(0);
        let opts = with_bounds(&tf, scheme, &lower, &upper);
        let got = fd::jacobian(&boxed(&tf, &lower, &upper, &count), &x, tf.m, &opts);
        let got = got.map_err(|e| TestCaseError::fail(format!("{}: {e}", tf.name)))?;
        prop_assert_eq!(
            count.get(),
            1 + evals_per_direction(scheme) * tf.n,
            "{}",
            tf.name
        );
        let err = jacobian_error(&tf, &got, &tf.jacobian(&x));
        let tol = tolerance(scheme, r * 1e-3, Class::Smooth);
        prop_assert!(err <= tol, "{} at {x:?}: error {err:e} > {tol:e}", tf.name);
    }
    Ok(())
}

fn uniforms() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(0.0..1.0f64, 8)
}

fn signed() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-1.0..1.0f64, 8)
}

fn modes() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..6, 8)
}

macro_rules! per_scheme {
    ($($name:ident: $check:ident($($arg:ident in $strategy:expr),+);)+) => {
        $(mod $name {
            use super::*;
            proptest! {
                #![proptest_config(ProptestConfig::with_cases(64))]
                #[test]
                fn forward($($arg in $strategy),+) { $check(Scheme::Forward, $(&$arg),+)?; }
                #[test]
                fn backward($($arg in $strategy),+) { $check(Scheme::Backward, $(&$arg),+)?; }
                #[test]
                fn central($($arg in $strategy),+) { $check(Scheme::Central, $(&$arg),+)?; }
                #[test]
                fn central4($($arg in $strategy),+) { $check(Scheme::Central4, $(&$arg),+)?; }
            }
        })+
    };
}

per_scheme! {
    jacobian_in_a_box_stays_inside_and_accurate: check_box(u in uniforms(), m in modes());
    jvp_in_a_box_stays_inside_and_accurate: check_jvp_box(p in uniforms(), w in signed(), m in modes());
    narrow_box_shrinks_the_step: check_narrow_box(u in uniforms());
}

/// The textbook one-sided stencils of each order, pointing forward (offsets, weights).
fn textbook_one_sided(scheme: Scheme) -> (&'static [f64], &'static [f64]) {
    match scheme {
        Scheme::Forward | Scheme::Backward => (&[0.0, 1.0], &[-1.0, 1.0]),
        Scheme::Central => (&[0.0, 1.0, 2.0], &[-1.5, 2.0, -0.5]),
        Scheme::Central4 => (
            &[0.0, 1.0, 2.0, 3.0, 4.0],
            &[-25.0 / 12.0, 4.0, -3.0, 4.0 / 3.0, -0.25],
        ),
    }
}

/// On a bound, the derivative of `exp` equals the textbook one-sided stencil pointing into
/// the box (to rounding), and its error falls as `h^p` of the scheme's order: halving the
/// (large, so truncation dominates) step divides the error by `2^p` (within 20 %).
#[test]
fn on_a_bound_the_one_sided_stencil_of_the_same_order_is_used() {
    let x0 = 0.3f64;
    let f = |x: &[f64], y: &mut [f64]| {
        y[0] = x[0].exp();
        Ok(())
    };
    for scheme in SCHEMES {
        for (side, lower, upper) in [(1.0, x0, 2.0), (-1.0, -2.0, x0)] {
            let mut errors = Vec::new();
            for r in [0.02, 0.01] {
                let mut opts = Options::new();
                opts.set_scheme(scheme);
                opts.set_relative_step(Some(r)).unwrap();
                opts.set_bounds(Some((vec![lower], vec![upper]))).unwrap();
                let got = fd::jacobian(&f, &[x0], 1, &opts).unwrap()[0];

                let t = (x0 + r) - x0;
                let (offsets, weights) = textbook_one_sided(scheme);
                let want: f64 = offsets
                    .iter()
                    .zip(weights)
                    .map(|(o, w)| side * w * ((x0 + side * o * t).exp() - x0.exp()))
                    .sum::<f64>()
                    / t;
                assert!(
                    (got - want).abs() <= 1e-12 * want.abs(),
                    "{scheme:?} side {side} r {r}: {got} vs stencil {want}"
                );
                errors.push((got - x0.exp()).abs());
            }
            let ratio = errors[0] / errors[1];
            let expected = 2f64.powi(order(scheme));
            assert!(
                (ratio / expected - 1.0).abs() < 0.2,
                "{scheme:?} side {side}: error ratio {ratio}, want {expected}"
            );
        }
    }
}

/// A box too narrow for any stencil even after the step is divided by 10^6 is an argument
/// error naming the column; nothing is evaluated outside.
#[test]
fn a_box_narrower_than_any_step_is_an_error() {
    let tf = &common::all()[0];
    let x = [0.5, -0.25, 1.0];
    for scheme in SCHEMES {
        let w = 1e-9 * scheme.default_relative_step();
        let lower = [x[0] - 1.0, x[1] - w, x[2] - 1.0];
        let upper = [x[0] + 1.0, x[1] + w, x[2] + 1.0];
        let count = Cell::new(0);
        let opts = with_bounds(tf, scheme, &lower, &upper);
        let err = fd::jacobian(&boxed(tf, &lower, &upper, &count), &x, tf.m, &opts).unwrap_err();
        match &err {
            FdError::InvalidArgument(msg) => assert!(
                msg.contains("column 1") && msg.contains("no stencil fits"),
                "{msg}"
            ),
            other => panic!("{scheme:?}: {other:?}"),
        }
    }
}

/// A point outside its bounds is rejected before any evaluation, naming the element.
#[test]
fn x_outside_the_bounds_is_an_argument_error() {
    let tf = &common::all()[0];
    let (lower, upper) = (vec![0.0, 0.0, 0.0], vec![1.0, 1.0, 1.0]);
    // Named in short form: -1e-300, not its 300 decimal digits.
    for (x, named) in [([0.5, 1.5, 0.5], "1.5"), ([0.5, 0.5, -1e-300], "-1e-300")] {
        let count = Cell::new(0);
        let opts = with_bounds(tf, Scheme::Central, &lower, &upper);
        let f = boxed(tf, &lower, &upper, &count);
        let j = if x[1] > 1.0 { 1 } else { 2 };
        let want = format!("x[{j}] = {named} lies outside its bounds [0, 1]");
        for err in [
            fd::jacobian(&f, &x, 2, &opts).unwrap_err(),
            fd::vjp(&f, &x, &[1.0, 1.0], &opts).unwrap_err(),
            fd::jvp(&f, &x, 2, &[1.0, 0.0, 0.0], &opts).unwrap_err(),
        ] {
            assert_eq!(err, FdError::InvalidArgument(want.clone()));
        }
        assert_eq!(count.get(), 0);
    }
}

/// Bounds whose length differs from n are a length error; ill-formed bounds are refused
/// when set.
#[test]
fn malformed_bounds_are_rejected() {
    let mut opts = Options::new();
    opts.set_bounds(Some((vec![0.0; 2], vec![1.0; 2]))).unwrap();
    let f = |_: &[f64], y: &mut [f64]| {
        y[0] = 1.0;
        Ok(())
    };
    assert_eq!(
        fd::jacobian(&f, &[0.5, 0.5, 0.5], 1, &opts).unwrap_err(),
        FdError::LengthMismatch {
            what: "config bounds",
            len: 2,
            expected: 3,
            against: "n"
        }
    );
    for (lo, hi, msg) in [
        (1.0, 1.0, "lower[0] = 1 must be below upper[0] = 1"),
        (2.0, 1.0, "lower[0] = 2 must be below upper[0] = 1"),
        (f64::NAN, 1.0, "lower[0] = NaN must be below upper[0] = 1"),
    ] {
        let err = opts.set_bounds(Some((vec![lo], vec![hi]))).unwrap_err();
        assert_eq!(err, FdError::InvalidArgument(msg.to_string()));
    }
    assert!(matches!(
        opts.set_bounds(Some((vec![0.0], vec![1.0, 2.0]))),
        Err(FdError::LengthMismatch { what: "upper", .. })
    ));
}
