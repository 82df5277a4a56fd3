//! Accuracy of the finite-difference Jacobian, VJP and JVP against exact Jacobians, for
//! every scheme, on every test function of `common`, at random points.
//!
//! Tolerances: [`common::tolerance`] (one rule for all schemes, derived from the step rule),
//! in the error measure of [`common::jacobian_error`].

use crate::common;

use common::{default_tolerance, jacobian_error, jvp_error, plain, vjp_error, TestFn};
use fdvjp::fd::{self, Layout, Scheme};
use proptest::prelude::*;

/// Uniforms for a point, enough for the largest test function.
const MAX_N: usize = 8;
/// Random points per property and scheme.
const CASES: u32 = 96;

fn uniforms() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(0.0..1.0f64, MAX_N)
}

fn signed() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-1.0..1.0f64, MAX_N)
}

/// The Jacobian at the point drawn from `u` is within the scheme's tolerance.
fn check_jacobian(scheme: Scheme, u: &[f64]) -> Result<(), TestCaseError> {
    for tf in common::all() {
        let x = tf.sample(u);
        let got = fd::jacobian(&plain(&tf), &x, tf.m, &tf.options(scheme)).unwrap();
        let err = jacobian_error(&tf, &got, &tf.jacobian(&x));
        let tol = default_tolerance(scheme, tf.class);
        prop_assert!(err <= tol, "{} at {x:?}: error {err:e} > {tol:e}", tf.name);
    }
    Ok(())
}

/// `vjp(v)` equals `v^T J` (exact J) within tolerance, and `v^T J` of the computed
/// Jacobian up to the rounding of the dot product (both use the same columns).
fn check_vjp(scheme: Scheme, u: &[f64], v: &[f64]) -> Result<(), TestCaseError> {
    for tf in common::all() {
        let x = tf.sample(u);
        let v = &v[..tf.m];
        let opts = tf.options(scheme);
        let got = fd::vjp(&plain(&tf), &x, v, &opts).unwrap();
        let err = vjp_error(&tf, &got, v, &tf.jacobian(&x));
        let tol = default_tolerance(scheme, tf.class);
        prop_assert!(err <= tol, "{} at {x:?}: error {err:e} > {tol:e}", tf.name);

        let jac = fd::jacobian(&plain(&tf), &x, tf.m, &opts).unwrap();
        for (j, g) in got.iter().enumerate() {
            let terms = (0..tf.m).map(|i| v[i] * jac[i * tf.n + j]);
            let dot: f64 = terms.clone().sum();
            let size: f64 = terms.map(f64::abs).sum();
            prop_assert!(
                (g - dot).abs() <= 8.0 * f64::EPSILON * size,
                "{} grad[{j}] = {g:e}, v^T J = {dot:e}",
                tf.name
            );
        }
    }
    Ok(())
}

/// `jvp(u)` equals `J u` (exact J) within tolerance, for `u_j = w_j s_j`.
fn check_jvp(scheme: Scheme, p: &[f64], w: &[f64]) -> Result<(), TestCaseError> {
    for tf in common::all() {
        let x = tf.sample(p);
        let u = tf.direction(&x, w);
        let got = fd::jvp(&plain(&tf), &x, tf.m, &u, &tf.options(scheme)).unwrap();
        let err = jvp_error(&tf, &x, &got, &u, &tf.jacobian(&x));
        let tol = default_tolerance(scheme, tf.class);
        prop_assert!(
            err <= tol,
            "{} at {x:?}, u = {u:?}: error {err:e} > {tol:e}",
            tf.name
        );
    }
    Ok(())
}

/// Row- and column-major layouts hold the same numbers, bit for bit.
fn check_layouts(scheme: Scheme, u: &[f64]) -> Result<(), TestCaseError> {
    for tf in common::all() {
        let x = tf.sample(u);
        let mut opts = tf.options(scheme);
        let rows = fd::jacobian(&plain(&tf), &x, tf.m, &opts).unwrap();
        opts.set_layout(Layout::ColMajor);
        let cols = fd::jacobian(&plain(&tf), &x, tf.m, &opts).unwrap();
        prop_assert_eq!(common::to_col_major(&rows, tf.m, tf.n), cols, "{}", tf.name);
    }
    Ok(())
}

/// Given f(x), the `_at` drivers return bit for bit what the plain ones do.
fn check_given_fx(scheme: Scheme, u: &[f64], w: &[f64]) -> Result<(), TestCaseError> {
    for tf in common::all() {
        let x = tf.sample(u);
        let fx = tf.value(&x);
        let (f, opts) = (plain(&tf), tf.options(scheme));
        let (v, dir) = (&w[..tf.m], tf.direction(&x, w));
        prop_assert_eq!(
            fd::jacobian_at(&f, &x, &fx, &opts).unwrap(),
            fd::jacobian(&f, &x, tf.m, &opts).unwrap(),
            "{}",
            tf.name
        );
        prop_assert_eq!(
            fd::vjp_at(&f, &x, &fx, v, &opts).unwrap(),
            fd::vjp(&f, &x, v, &opts).unwrap(),
            "{}",
            tf.name
        );
        prop_assert_eq!(
            fd::jvp_at(&f, &x, &fx, &dir, &opts).unwrap(),
            fd::jvp(&f, &x, tf.m, &dir, &opts).unwrap(),
            "{}",
            tf.name
        );
    }
    Ok(())
}

/// Outputs that do not depend on `x_j` get exactly zero in column j: the stencil's
/// weights sum to zero, so a constant must cancel exactly, whatever its size.
fn check_exact_zeros(scheme: Scheme, u: &[f64]) -> Result<(), TestCaseError> {
    let f = |x: &[f64], y: &mut [f64]| {
        y[0] = 1234.5678 + x[0].sin();
        y[1] = -0.1 * x[1] * x[1] + std::f64::consts::PI;
        Ok(())
    };
    let x = [4.0 * u[0] - 2.0, 4.0 * u[1] - 2.0];
    let mut opts = fd::Options::new();
    opts.set_scheme(scheme);
    let jac = fd::jacobian(&f, &x, 2, &opts).unwrap();
    prop_assert_eq!((jac[1], jac[2]), (0.0, 0.0), "jacobian {:?}", jac);
    Ok(())
}

/// One property test per scheme for each check, `CASES` random points each.
macro_rules! per_scheme {
    ($($name:ident: $check:ident($($arg:ident in $strategy:expr),+);)+) => {
        $(mod $name {
            use super::*;
            proptest! {
                #![proptest_config(ProptestConfig::with_cases(CASES))]
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
    jacobian_matches_analytic: check_jacobian(u in uniforms());
    vjp_matches_analytic_and_jacobian: check_vjp(u in uniforms(), v in signed());
    jvp_matches_analytic: check_jvp(p in uniforms(), w in signed());
    layouts_hold_the_same_numbers: check_layouts(u in uniforms());
    given_fx_changes_nothing_but_the_count: check_given_fx(u in uniforms(), w in signed());
    independent_outputs_give_exact_zeros: check_exact_zeros(u in uniforms());
}

/// There are enough test functions, of every kind the issue asks for.
#[test]
fn the_function_set_covers_the_required_kinds() {
    let all: Vec<TestFn> = common::all();
    assert!(all.len() >= 14, "{} functions", all.len());
    assert!(all.iter().any(|f| f.m > f.n) && all.iter().any(|f| f.m < f.n));
    for class in [
        common::Class::Scaled,
        common::Class::DomainEdge,
        common::Class::SingularEdge,
    ] {
        assert!(all.iter().any(|f| f.class == class), "{class:?}");
    }
}
