//! Errors: a failing callback is reported with its code, the number of the evaluation that
//! failed and the point; bad arguments are refused before any evaluation, each with an
//! error naming the argument and the value.

mod common;

use common::{evals_per_direction, SCHEMES};
use fdvjp::fd::{self, FdError, Options, Scheme};
use proptest::prelude::*;
use std::cell::Cell;

/// A smooth function that returns `Err(code)` at its `fail_at`-th call (1-based).
fn failing_at(
    fail_at: usize,
    code: i32,
    count: &Cell<usize>,
) -> impl Fn(&[f64], &mut [f64]) -> Result<(), i32> + '_ {
    move |x, y| {
        count.set(count.get() + 1);
        if count.get() == fail_at {
            return Err(code);
        }
        for (i, yi) in y.iter_mut().enumerate() {
            *yi = x.iter().map(|v| (v * (i + 1) as f64).cos()).sum();
        }
        Ok(())
    }
}

/// The stencil points of one column, in evaluation order, as the error names them.
fn column_points(scheme: Scheme) -> &'static [&'static str] {
    match scheme {
        Scheme::Forward => &["+ h"],
        Scheme::Backward => &["- h"],
        Scheme::Central => &["- h", "+ h"],
        Scheme::Central4 => &["- 2h", "- h", "+ h", "+ 2h"],
    }
}

/// Where evaluation `k` (1-based) of a column-by-column computation happens: `x` first
/// (unless f(x) is given), then the stencil points of column 0, column 1, ...
fn expected_point(scheme: Scheme, k: usize, given_fx: bool) -> String {
    let first_perturbed = if given_fx { 1 } else { 2 };
    if k < first_perturbed {
        return "x".to_string();
    }
    let per = evals_per_direction(scheme);
    let (j, q) = ((k - first_perturbed) / per, (k - first_perturbed) % per);
    format!("x[{j}] {}, h = ", column_points(scheme)[q])
}

fn assert_callback_error(
    err: FdError,
    code: i32,
    k: usize,
    point: &str,
) -> Result<(), TestCaseError> {
    match err {
        FdError::Callback {
            code: c,
            evaluation,
            point: p,
        } => {
            prop_assert_eq!((c, evaluation), (code, k));
            prop_assert!(p.starts_with(point), "point {p:?}, want {point:?}...");
        }
        other => prop_assert!(false, "want Callback, got {other:?}"),
    }
    Ok(())
}

fn scheme() -> impl Strategy<Value = Scheme> {
    prop::sample::select(SCHEMES.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// The callback fails at its k-th call, for every k the computation makes: the error
    /// carries the code, k and the point, and f is not called again.
    #[test]
    fn a_failing_callback_is_reported_with_its_evaluation_and_point(
        scheme in scheme(),
        n in 1usize..4,
        m in 1usize..3,
        pick in 0usize..1000,
        code in prop_oneof![Just(-1), Just(7), 1i32..1000],
    ) {
        let x: Vec<f64> = (0..n).map(|j| 0.3 * j as f64 - 0.4).collect();
        let v = vec![1.0; m];
        let mut opts = Options::new();
        opts.set_scheme(scheme);
        let per = evals_per_direction(scheme);

        let k = 1 + pick % (1 + per * n);
        let count = Cell::new(0);
        let f = failing_at(k, code, &count);
        let point = expected_point(scheme, k, false);
        assert_callback_error(fd::jacobian(&f, &x, m, &opts).unwrap_err(), code, k, &point)?;
        prop_assert_eq!(count.get(), k);
        count.set(0);
        assert_callback_error(fd::vjp(&f, &x, &v, &opts).unwrap_err(), code, k, &point)?;
        prop_assert_eq!(count.get(), k);

        // Given f(x), evaluations are numbered from the first perturbed point.
        let fx = vec![1.0; m];
        let k_at = 1 + pick % (per * n);
        let count = Cell::new(0);
        let f = failing_at(k_at, code, &count);
        let point = expected_point(scheme, k_at, true);
        let err = fd::vjp_at(&f, &x, &fx, &v, &opts).unwrap_err();
        assert_callback_error(err, code, k_at, &point)?;
        prop_assert_eq!(count.get(), k_at);

        // The JVP: x, then the stencil points along u.
        let k_dir = 1 + pick % (1 + per);
        let count = Cell::new(0);
        let f = failing_at(k_dir, code, &count);
        let u = vec![1.0; n];
        let point = if k_dir == 1 {
            "x".to_string()
        } else {
            format!("x {}*u, h = ", column_points(scheme)[k_dir - 2])
        };
        let err = fd::jvp(&f, &x, m, &u, &opts).unwrap_err();
        assert_callback_error(err, code, k_dir, &point)?;
        prop_assert_eq!(count.get(), k_dir);
    }
}

/// A function that must never be called.
fn never(calls: &Cell<usize>) -> impl Fn(&[f64], &mut [f64]) -> Result<(), i32> + '_ {
    move |_, y| {
        calls.set(calls.get() + 1);
        y.fill(0.0);
        Ok(())
    }
}

fn invalid(msg: &str) -> FdError {
    FdError::InvalidArgument(msg.to_string())
}

/// Non-finite entries of x, v and u are refused, naming the array, index and value.
#[test]
fn non_finite_inputs_are_refused_before_any_evaluation() {
    let calls = Cell::new(0);
    let f = never(&calls);
    let opts = Options::new();
    let x_bad = [1.0, f64::NAN];
    assert_eq!(
        fd::jacobian(&f, &x_bad, 1, &opts).unwrap_err(),
        invalid("x[1] = NaN is not finite")
    );
    assert_eq!(
        fd::vjp(&f, &[f64::INFINITY], &[1.0], &opts).unwrap_err(),
        invalid("x[0] = inf is not finite")
    );
    assert_eq!(
        fd::vjp(&f, &[1.0], &[1.0, f64::NEG_INFINITY], &opts).unwrap_err(),
        invalid("v[1] = -inf is not finite")
    );
    assert_eq!(
        fd::jvp(&f, &[1.0, 2.0], 1, &[f64::NAN, 0.0], &opts).unwrap_err(),
        invalid("u[0] = NaN is not finite")
    );
    assert_eq!(calls.get(), 0);
}

/// Arrays of the wrong length are refused, naming the array, its length and the size.
#[test]
fn wrong_lengths_are_refused_before_any_evaluation() {
    let calls = Cell::new(0);
    let f = never(&calls);
    let x = [1.0, 2.0, 3.0];
    let mismatch = |what, len, expected, against| FdError::LengthMismatch {
        what,
        len,
        expected,
        against,
    };
    let opts = Options::new();
    assert_eq!(
        fd::jvp(&f, &x, 1, &[1.0, 0.0], &opts).unwrap_err(),
        mismatch("u", 2, 3, "n")
    );
    assert_eq!(
        fd::vjp_at(&f, &x, &[0.0, 0.0], &[1.0], &opts).unwrap_err(),
        mismatch("v", 1, 2, "the length of f(x)")
    );
    let mut with_steps = Options::new();
    with_steps.set_steps(Some(vec![1e-3; 2])).unwrap();
    assert_eq!(
        fd::jacobian(&f, &x, 1, &with_steps).unwrap_err(),
        mismatch("config steps", 2, 3, "n")
    );
    let mut with_typical = Options::new();
    with_typical.set_typical(Some(vec![1.0; 4])).unwrap();
    assert_eq!(
        fd::vjp(&f, &x, &[1.0], &with_typical).unwrap_err(),
        mismatch("config typical", 4, 3, "n")
    );
    assert_eq!(calls.get(), 0);
}

/// Setters refuse values outside their domain and keep the previous value.
#[test]
fn setters_refuse_values_outside_their_domain() {
    let mut opts = Options::new();
    for r in [0.0, -1e-3, f64::NAN, f64::INFINITY] {
        assert_eq!(
            opts.set_relative_step(Some(r)).unwrap_err(),
            invalid(&format!(
                "relative step r = {r} must be finite and > 0 (r = 0 in the C API restores the default)"
            ))
        );
    }
    assert_eq!(
        opts.set_steps(Some(vec![1e-3, 0.0])).unwrap_err(),
        invalid("steps[1] = 0 must be finite and > 0")
    );
    assert_eq!(
        opts.set_typical(Some(vec![f64::NAN])).unwrap_err(),
        invalid("typical[0] = NaN must be finite and > 0")
    );
    assert_eq!(opts, Options::new());
}
