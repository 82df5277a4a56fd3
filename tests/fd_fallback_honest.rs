//! The report after a fall-back tells the truth (issue 11, probe6 findings 1, 3 and 4):
//! a direction that fell back (a NaN near a domain edge, a stencil that did not fit inside
//! the bounds) either reports an error bound that covers the true error, or reports no
//! bound (NaN) and counts itself in `unbounded`. Before, the unweighted maximum of the
//! per-output bounds (a JVP, a Jacobian, the tape's opaque nodes) dropped the NaN of a
//! forward, backward or fourth-order fall-back and reported 0 with nothing unbounded
//! (asin at 1 - 5e-13, fourth order: 81 for 999,956, bound 0).
//!
//! Every scheme, through the VJP, the JVP, the Jacobian and the tape, on functions whose
//! stencil meets a domain edge (asin near 1, log / sqrt / 1/x near 0) or a bound at 0.
//! Exact answers: the analytic derivatives. "Covered" is `|value - exact| <= bound`, no
//! tolerance.

use fdvjp::fd::{self, last_report, Options, Report, Scheme};
use fdvjp::tape::{ReduceOp, Tape};

/// A test function of one input with its derivative.
struct Case {
    name: &'static str,
    f: fn(f64) -> f64,
    df: fn(f64) -> f64,
    /// Points (the domain edge near each).
    xs: &'static [f64],
    /// The natural domain as bounds, when the case sets them.
    bounds: Option<(f64, f64)>,
}

const NEAR_ONE: &[f64] = &[1.0 - 5e-13, 1.0 - 5e-10, 1.0 - 5e-7, 1.0 - 1e-6, 1.0 - 3e-6];
/// The natural domain of log, sqrt and 1/x near 0.
const AT_ZERO: Option<(f64, f64)> = Some((0.0, f64::INFINITY));
const NEAR_ZERO: &[f64] = &[1e-12, 1e-9, 3e-7, 1e-6, 1e-5, 1e-3];

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "asin near 1",
            f: f64::asin,
            df: |x| 1.0 / (1.0 - x * x).sqrt(),
            xs: NEAR_ONE,
            bounds: None,
        },
        Case {
            name: "log near 0",
            f: f64::ln,
            df: |x| 1.0 / x,
            xs: NEAR_ZERO,
            bounds: None,
        },
        Case {
            name: "log, bounds [0, inf)",
            f: f64::ln,
            df: |x| 1.0 / x,
            xs: NEAR_ZERO,
            bounds: AT_ZERO,
        },
        Case {
            name: "sqrt, bounds [0, inf)",
            f: f64::sqrt,
            df: |x| 0.5 / x.sqrt(),
            xs: NEAR_ZERO,
            bounds: AT_ZERO,
        },
        Case {
            name: "1/x, bounds [0, inf)",
            f: |x| 1.0 / x,
            df: |x| -1.0 / (x * x),
            xs: &[1e-9, 1e-6, 1e-4, 1e-3],
            bounds: AT_ZERO,
        },
    ]
}

fn options(scheme: Scheme, bounds: Option<(f64, f64)>) -> Options {
    let mut o = Options::new();
    o.set_scheme(scheme);
    if let Some((lo, hi)) = bounds {
        o.set_bounds(Some((vec![lo], vec![hi]))).unwrap();
    }
    o
}

/// The report's claim about a result whose largest entry error is `err`: covered by a
/// finite bound, or no bound and some direction counted unbounded.
fn honest(what: &str, err: f64, r: &Report) {
    assert!(r.completed, "{what}: not completed");
    if r.error_bound.is_nan() {
        assert!(
            r.unbounded > 0,
            "{what}: bound NaN with no unbounded direction"
        );
    } else {
        assert!(
            err <= r.error_bound,
            "{what}: error {err:e} > bound {:e} (unbounded {}, fall-backs {} + {})",
            r.error_bound,
            r.unbounded,
            r.nonfinite_fallbacks,
            r.bound_fallbacks
        );
    }
}

/// Each entry point at `x` (m = 2: `[f(x), f(x) / 2]`, so that an output's bound is one of
/// several): errors and reports checked by [`honest`]; returns the largest relative
/// error of the VJP.
fn check(case: &Case, scheme: Scheme, x: f64) -> f64 {
    let opts = options(scheme, case.bounds);
    let f = case.f;
    let g = move |x: &[f64], y: &mut [f64]| {
        y[0] = f(x[0]);
        y[1] = 0.5 * f(x[0]);
        Ok(())
    };
    let d = (case.df)(x);
    let what = |entry: &str| format!("{} at {x:e}, {scheme:?}, {entry}", case.name);

    let v = [1.0, -0.25];
    let exact = d * (v[0] + 0.5 * v[1]);
    let got = fd::vjp(&g, &[x], &v, &opts).unwrap()[0];
    honest(&what("vjp"), (got - exact).abs(), &last_report());
    let rel = (got - exact).abs() / exact.abs();

    let jvp = fd::jvp(&g, &[x], 2, &[1.0], &opts).unwrap();
    let err = (jvp[0] - d).abs().max((jvp[1] - 0.5 * d).abs());
    honest(&what("jvp"), err, &last_report());

    let jac = fd::jacobian(&g, &[x], 2, &opts).unwrap();
    let err = (jac[0] - d).abs().max((jac[1] - 0.5 * d).abs());
    honest(&what("jacobian"), err, &last_report());

    // The tape: an opaque node's Jacobian, pulled back through a sum.
    let mut t = Tape::new();
    let xv = t.input_slice(&[x]).unwrap();
    let y = t.call(Box::new(g), &[xv], 2, opts).unwrap();
    let s = t.reduce(ReduceOp::Sum, y).unwrap();
    t.backward(s, None).unwrap();
    let got = t.grad(xv).unwrap().iter().copied().next().unwrap();
    // The sum's error is at most the sum of the two entries' errors: 1.5 times the bound.
    let r = last_report();
    let err = (got - 1.5 * d).abs() / 1.5;
    honest(&what("tape"), err, &r);
    rel
}

/// Forward, backward and fourth-order fall-backs have no bound model: NaN and counted,
/// through every entry point (probe6 finding 4).
#[test]
fn fallbacks_without_a_bound_model_say_so() {
    for case in cases() {
        for scheme in [Scheme::Forward, Scheme::Backward, Scheme::Central4] {
            for &x in case.xs {
                check(&case, scheme, x);
            }
        }
    }
}
