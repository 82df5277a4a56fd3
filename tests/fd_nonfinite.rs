//! Non-finite values: a column whose perturbed points meet NaN recovers (one-sided, or with
//! a shrunk step) to the accuracy the tolerance rule gives for what it fell back to, while
//! the other columns are bit-for-bit those of the clean function; an unrecoverable column
//! and a NaN at x itself are errors that say where.
//!
//! The bad column's `|x_c|` is kept ≥ 0.5: far below its typical magnitude (1) the core
//! reads a NaN as a domain edge at 0 and retries at x's own scale first (see
//! `src/fd/derivative.rs`), a different policy, tested here with log and sqrt near 0.

use crate::common;

use common::{default_tolerance, jacobian_error, plain, tolerance, Class, TestFn, SCHEMES};
use fdvjp::fd::{self, FdError, Scheme};
use proptest::prelude::*;

/// `tf`, but NaN in every output wherever `bad(z)`.
fn poisoned<'a>(
    tf: &'a TestFn,
    bad: impl Fn(&[f64]) -> bool + 'a,
) -> impl Fn(&[f64], &mut [f64]) -> Result<(), i32> + 'a {
    move |z, y| {
        if bad(z) {
            y.fill(f64::NAN);
        } else {
            tf.eval(z, y);
        }
        Ok(())
    }
}

fn smooth_functions() -> Vec<TestFn> {
    common::all()
        .into_iter()
        .filter(|tf| tf.class == Class::Smooth)
        .collect()
}

/// The sampled point with `|x_c| ≥ 0.5` (inside every smooth function's domain).
fn point_with_bad_column(tf: &TestFn, u: &[f64], pick: usize) -> (Vec<f64>, usize) {
    let mut x = tf.sample(u);
    let c = pick % tf.n;
    x[c] = x[c].abs().max(0.5).copysign(x[c]);
    (x, c)
}

/// Every column but `c` is bit-for-bit the clean one.
fn assert_other_columns_equal(
    tf: &TestFn,
    got: &[f64],
    clean: &[f64],
    c: usize,
) -> Result<(), TestCaseError> {
    for i in 0..tf.m {
        for j in (0..tf.n).filter(|&j| j != c) {
            let k = i * tf.n + j;
            prop_assert!(
                got[k].to_bits() == clean[k].to_bits(),
                "{} J[{i}][{j}] = {:e}, clean {:e}",
                tf.name,
                got[k],
                clean[k]
            );
        }
    }
    Ok(())
}

/// NaN on one side of `x_c` (side +1: any `z_c > x_c`): the one-sided stencil of the same
/// order on the other side, at the same step, so the one-sided tolerance holds.
fn check_one_side_nan(
    scheme: Scheme,
    u: &[f64],
    pick: usize,
    up: bool,
) -> Result<(), TestCaseError> {
    let side = if up { 1.0 } else { -1.0 };
    for tf in smooth_functions() {
        let (x, c) = point_with_bad_column(&tf, u, pick);
        let xc = x[c];
        let f = poisoned(&tf, move |z| (z[c] - xc) * side > 0.0);
        let opts = tf.options(scheme);
        let got = fd::jacobian(&f, &x, tf.m, &opts)
            .map_err(|e| TestCaseError::fail(format!("{}: {e}", tf.name)))?;
        let clean = fd::jacobian(&plain(&tf), &x, tf.m, &opts).unwrap();
        assert_other_columns_equal(&tf, &got, &clean, c)?;
        let err = jacobian_error(&tf, &got, &tf.jacobian(&x));
        let tol = default_tolerance(scheme, Class::DomainEdge);
        prop_assert!(
            err <= tol,
            "{} at {x:?}, column {c}: error {err:e} > {tol:e}",
            tf.name
        );
    }
    Ok(())
}

/// NaN beyond `0.05 h` on both sides of `x_c`: no stencil survives at h or h/10, the
/// scheme's own does at h/100, with the accuracy the tolerance rule gives at that step.
fn check_shrunk_step(scheme: Scheme, u: &[f64], pick: usize) -> Result<(), TestCaseError> {
    let r = scheme.default_relative_step();
    for tf in smooth_functions() {
        let (x, c) = point_with_bad_column(&tf, u, pick);
        let xc = x[c];
        let w = 0.05 * r * xc.abs().max(1.0);
        let f = poisoned(&tf, move |z| (z[c] - xc).abs() > w);
        let opts = tf.options(scheme);
        let got = fd::jacobian(&f, &x, tf.m, &opts)
            .map_err(|e| TestCaseError::fail(format!("{}: {e}", tf.name)))?;
        let clean = fd::jacobian(&plain(&tf), &x, tf.m, &opts).unwrap();
        assert_other_columns_equal(&tf, &got, &clean, c)?;
        let err = jacobian_error(&tf, &got, &tf.jacobian(&x));
        let tol = tolerance(scheme, r / 100.0, Class::Smooth);
        prop_assert!(
            err <= tol,
            "{} at {x:?}, column {c}: error {err:e} > {tol:e}",
            tf.name
        );
    }
    Ok(())
}

macro_rules! per_scheme {
    ($($name:ident: $check:ident($($arg:ident in $strategy:expr),+);)+) => {
        $(mod $name {
            use super::*;
            proptest! {
                #![proptest_config(ProptestConfig::with_cases(64))]
                #[test]
                fn forward($($arg in $strategy),+) { $check(Scheme::Forward, $($arg.clone()),+)?; }
                #[test]
                fn backward($($arg in $strategy),+) { $check(Scheme::Backward, $($arg.clone()),+)?; }
                #[test]
                fn central($($arg in $strategy),+) { $check(Scheme::Central, $($arg.clone()),+)?; }
                #[test]
                fn central4($($arg in $strategy),+) { $check(Scheme::Central4, $($arg.clone()),+)?; }
            }
        })+
    };
}

fn uniforms() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(0.0..1.0f64, 8)
}

fn check_one_side(scheme: Scheme, u: Vec<f64>, pick: usize, up: bool) -> Result<(), TestCaseError> {
    check_one_side_nan(scheme, &u, pick, up)
}

fn check_shrink(scheme: Scheme, u: Vec<f64>, pick: usize) -> Result<(), TestCaseError> {
    check_shrunk_step(scheme, &u, pick)
}

per_scheme! {
    nan_on_one_side_falls_back_one_sided: check_one_side(u in uniforms(), pick in 0usize..8, up in any::<bool>());
    nan_on_both_sides_shrinks_the_step: check_shrink(u in uniforms(), pick in 0usize..8);
}

/// log and sqrt at 1e-10..1e-6 with the default `typ = 1`: the central stencils step below
/// 0 and meet NaN; the retry at x's own scale (`r |x_c|`) must give the accuracy of the
/// scheme (singular-edge tolerance). Cost per column: the first stencil's points below 0
/// (NaN; fourth order evaluates both, as its batched plan does whatever the batch size,
/// one before issue 11 item 1), the scheme's stencil at x's own scale, and the one-sided
/// stencil at the default step that it is compared with (same order, same number of
/// points; it reuses the first stencil's points above 0).
/// (Forward never crosses 0 and backward only when `x_c < h`, so their results at these
/// points are as poor as any difference with `h ≫ x` and are not tested here.)
fn check_singular_edge(scheme: Scheme, u: Vec<f64>) -> Result<(), TestCaseError> {
    let all = common::all();
    let tf = all
        .iter()
        .find(|tf| tf.class == Class::SingularEdge)
        .unwrap();
    let x = tf.sample(&u);
    let count = std::cell::Cell::new(0);
    let got = fd::jacobian(
        &common::counted(tf, &count),
        &x,
        tf.m,
        &fd::Options::new().with(scheme),
    )
    .map_err(|e| TestCaseError::fail(format!("{}: {e}", tf.name)))?;
    let err = jacobian_error(tf, &got, &tf.jacobian(&x));
    let tol = default_tolerance(scheme, Class::SingularEdge);
    prop_assert!(err <= tol, "{} at {x:?}: error {err:e} > {tol:e}", tf.name);
    let k = common::evals_per_direction(scheme);
    prop_assert_eq!(count.get(), 1 + tf.n * (k / 2 + 2 * k));
    Ok(())
}

mod singular_edge_at_default_steps_retries_at_x_own_scale {
    use super::*;
    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn central(u in uniforms()) { check_singular_edge(Scheme::Central, u)?; }
        #[test]
        fn central4(u in uniforms()) { check_singular_edge(Scheme::Central4, u)?; }
    }
}

/// The shrunk step is exactly `(x_c + h/100) - x_c`: read back from `(z_c - x_c)^p`
/// ([`common::step_revealing`]), NaN beyond `0.05 h`.
#[test]
fn the_shrunk_step_is_the_default_divided_by_100() {
    for scheme in SCHEMES {
        let (p, recover) = common::step_revealing(scheme);
        for xc in [0.7f64, -3.0, 150.0] {
            let h = scheme.default_relative_step() * f64::max(xc.abs(), 1.0);
            let f = move |z: &[f64], y: &mut [f64]| {
                let d = z[0] - xc;
                y[0] = if d.abs() > 0.05 * h {
                    f64::NAN
                } else {
                    d.powi(p)
                };
                Ok(())
            };
            let t =
                recover(fd::jacobian(&f, &[xc], 1, &fd::Options::new().with(scheme)).unwrap()[0]);
            let want = (xc + h / 100.0) - xc;
            assert!(
                ((t - want) / want).abs() < 1e-6,
                "{scheme:?} x = {xc}: step {t:e}, want {want:e}"
            );
        }
    }
}

/// Options with a scheme, in one expression.
trait WithScheme {
    fn with(self, scheme: Scheme) -> Self;
}

impl WithScheme for fd::Options {
    fn with(mut self, scheme: Scheme) -> Self {
        self.set_scheme(scheme);
        self
    }
}

/// Output `i` is NaN (or infinite) at every perturbation of `x_c`: the column cannot be
/// recovered, and the error names it, the output and the value; VJP and Jacobian agree;
/// a JVP along a `u` that moves `x_c` names the direction.
#[test]
fn an_unrecoverable_column_is_an_error_naming_it() {
    let x = [0.8, -1.2, 0.6];
    for scheme in SCHEMES {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let f = move |z: &[f64], y: &mut [f64]| {
                y[0] = z[0] * z[1];
                y[1] = if z[1] == x[1] { z[2].sin() } else { bad };
                Ok(())
            };
            let opts = fd::Options::new().with(scheme);
            for err in [
                fd::jacobian(&f, &x, 2, &opts).unwrap_err(),
                fd::vjp(&f, &x, &[1.0, 1.0], &opts).unwrap_err(),
            ] {
                match err {
                    FdError::NonFinitePerturbed {
                        direction,
                        index,
                        value,
                        point,
                    } => {
                        assert_eq!(direction, "column 1");
                        assert_eq!(index, 1);
                        assert_eq!(value.to_bits(), bad.to_bits());
                        assert!(point.starts_with("x[1] "), "{point}");
                    }
                    other => panic!("{scheme:?}: {other:?}"),
                }
            }
            match fd::jvp(&f, &x, 2, &[0.0, 1.0, 0.5], &opts).unwrap_err() {
                FdError::NonFinitePerturbed {
                    direction, index, ..
                } => assert_eq!((direction.as_str(), index), ("direction u", 1)),
                other => panic!("{scheme:?}: {other:?}"),
            }
        }
    }
}

/// A NaN or infinity in f(x) itself is an error naming the first bad output, after the
/// single evaluation of f(x); given f(x) with a NaN, nothing is evaluated.
#[test]
fn non_finite_f_at_x_is_an_error_naming_the_output() {
    let x = [0.5, 0.25];
    for scheme in SCHEMES {
        for (i, bad) in [(0, f64::NAN), (2, f64::INFINITY), (1, f64::NEG_INFINITY)] {
            let count = std::cell::Cell::new(0);
            let f = |_: &[f64], y: &mut [f64]| {
                count.set(count.get() + 1);
                y.fill(1.0);
                y[i] = bad;
                if i == 2 {
                    y[1] = 2.0; // only the first non-finite entry is named
                }
                Ok(())
            };
            let opts = fd::Options::new().with(scheme);
            let want = |e: FdError| match e {
                FdError::NonFiniteAtX { index, value } => {
                    assert_eq!((index, value.to_bits()), (i, bad.to_bits()))
                }
                other => panic!("{other:?}"),
            };
            want(fd::jacobian(&f, &x, 3, &opts).unwrap_err());
            want(fd::vjp(&f, &x, &[1.0, 1.0, 1.0], &opts).unwrap_err());
            want(fd::jvp(&f, &x, 3, &[1.0, 0.0], &opts).unwrap_err());
            assert_eq!(count.get(), 3);

            let mut fx = vec![1.0; 3];
            fx[i] = bad;
            want(fd::jacobian_at(&f, &x, &fx, &opts).unwrap_err());
            want(fd::vjp_at(&f, &x, &fx, &[1.0, 1.0, 1.0], &opts).unwrap_err());
            want(fd::jvp_at(&f, &x, &fx, &[1.0, 0.0], &opts).unwrap_err());
            assert_eq!(count.get(), 3);
        }
    }
}
