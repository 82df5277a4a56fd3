//! The estimate drivers where x lies far from the scale f varies on (probe finding 4).
//!
//! Far above typ_j: `A g(x / c) + K` (g = sin or cos, typ_j = c) at `x = 1.2345 c 10^k`,
//! k = 3..18. Before, the tableau from typ_j's scale stepped below ulp(x_j) from 1e14 c on
//! and gave NaN, so the tableau from `|x_j| / 8` (all its points a period or more apart)
//! was believed: sin at 1e14 gave -3.8e-12 for -0.978 with an estimate of 2.4e-11 (VJP and
//! Jacobian), and along u = 1 at 1e16 the own-scale tableau moved nothing and read 0.
//! Far below the default start: `K + h(x)` (h = 1/x, log, sqrt; K up to 1e25) at x from
//! 1e-12 to 1e-3, where f's values round on K's scale: the default start's tableau saw f
//! still, read 0 and claimed its own rounding (`1e25 + 1/x` at 1e-9: 0 for -1e18 with an
//! estimate of 1.9e12), beside a tableau from x's own scale with 1.9e21.
//!
//! Beside a slope: `g(x / c) + s x / c` (s from 0.1 to 1e3) far above typ_j, where f's
//! rounding on the slope's scale hides g from the own-scale tableau beyond a few digits:
//! the default start's tableau averaged g out and gave s / c with a small estimate, which
//! the own-scale tableau's noisier value did not contradict beyond both estimates
//! (`sin x + 3 x` at 3.7e12: 3.0 for 4.0 with an estimate of 2.2e-11; 348 of 1728 entries
//! short from 7.1e11 on).
//!
//! Asserted for every VJP, JVP (along 1 and along a vector with a second, ordinary
//! element) and Jacobian estimate: the error is within the estimate, or the estimate is
//! NaN (the direction counts as unbounded); and up to `x = 1e13 c` every entry is bounded
//! and within 1e-9 of the derivative's size.

use fdvjp::fd::{jacobian_estimate, jvp_estimate, vjp_estimate, Estimate, Options};

/// A function of one real with its derivative.
type Real = (&'static str, fn(f64) -> f64, fn(f64) -> f64);

const PERIODIC: [Real; 2] = [("sin", f64::sin, f64::cos), ("cos", f64::cos, |x| -x.sin())];

const NEAR_ZERO: [Real; 3] = [
    ("1/x", |x| 1.0 / x, |x| -1.0 / (x * x)),
    ("log", f64::ln, |x| 1.0 / x),
    ("sqrt", f64::sqrt, |x| 0.5 / x.sqrt()),
];

/// `f(x) = a g(x0 / c) + k + x1^2 / 2` (two inputs, two outputs: the second `x1^3 / 3`),
/// the exact Jacobian at x.
/// A black box of two inputs and two outputs.
type Black = Box<dyn Fn(&[f64], &mut [f64]) -> Result<(), i32>>;

struct Case {
    label: String,
    f: Black,
    x: [f64; 2],
    jac: [[f64; 2]; 2],
    opts: Options,
    /// f's own rounding of `x0 / c` (`accuracy_estimate_resolve.rs`): an f that is not
    /// accurate to an ulp of its value, beyond what the estimates promise (0 for c = 1,
    /// where sin(x) at 1e14 is as accurate as sin).
    slack: f64,
}

fn case(g: Real, a: f64, k: f64, c: f64, x0: f64) -> Case {
    let (name, value, slope) = g;
    let x = [x0, 0.7];
    let f = move |x: &[f64], y: &mut [f64]| {
        y[0] = a * value(x[0] / c) + k + x[1] * x[1] / 2.0;
        y[1] = x[1] * x[1] * x[1] / 3.0;
        Ok(())
    };
    let mut opts = Options::new();
    opts.set_typical(Some(vec![c, 1.0])).unwrap();
    Case {
        label: format!("{a:e} {name}(x / {c:e}) + {k:e} at {x0:e}"),
        f: Box::new(f),
        x,
        jac: [[a * slope(x0 / c) / c, x[1]], [0.0, x[1] * x[1]]],
        opts,
        slack: if c == 2f64.powi(c.log2().round() as i32) {
            0.0 // x0 / c exact
        } else {
            4.0 * f64::EPSILON * a.abs() * (x0 / c).abs() / c
        },
    }
}

/// `g(x0 / c) + s x0 / c + x1^2 / 2` (and `x1^3 / 3`), typ_j = c.
fn sloped(g: Real, s: f64, c: f64, x0: f64) -> Case {
    let (name, value, slope) = g;
    let mut base = case(g, 1.0, 0.0, c, x0);
    base.f = Box::new(move |x: &[f64], y: &mut [f64]| {
        y[0] = value(x[0] / c) + s * x[0] / c + x[1] * x[1] / 2.0;
        y[1] = x[1] * x[1] * x[1] / 3.0;
        Ok(())
    });
    base.jac[0][0] = (slope(x0 / c) + s) / c;
    base.label = format!("{name}(x / {c:e}) + {s:e} x / {c:e} at {x0:e}");
    base
}

/// Each entry as (what, error, estimate).
fn entries(c: &Case) -> Vec<(String, f64, f64)> {
    let mut out = Vec::new();
    let mut push = |what: &str, e: &Estimate, want: &[f64]| {
        for (i, w) in want.iter().enumerate() {
            let err = (e.value[i] - w).abs();
            out.push((format!("{what}[{i}]"), err, e.error[i]));
        }
    };
    let j = c.jac;
    let v = [1.0, -0.5];
    let e = vjp_estimate(&c.f, &c.x, &v, &c.opts).unwrap();
    let want = [
        v[0] * j[0][0] + v[1] * j[1][0],
        v[0] * j[0][1] + v[1] * j[1][1],
    ];
    push("vjp", &e, &want);
    for u in [[1.0, 0.0], [1.0, 0.3]] {
        let e = jvp_estimate(&c.f, &c.x, 2, &u, &c.opts).unwrap();
        let want = [j[0][0] * u[0] + j[0][1] * u[1], j[1][1] * u[1]];
        push(&format!("jvp along {u:?}"), &e, &want);
    }
    let e = jacobian_estimate(&c.f, &c.x, 2, &c.opts).unwrap();
    let want = [j[0][0], j[0][1], j[1][0], j[1][1]];
    push("jacobian", &e, &want);
    out
}

/// Every entry of every case honest (within its estimate or NaN); those of the cases
/// `bounded` selects bounded. Returns (entries, unbounded).
fn check(cases: Vec<(Case, bool)>) -> (usize, usize) {
    let (mut total, mut unbounded) = (0, 0);
    let mut short = Vec::new();
    for (c, bounded) in cases {
        for (what, err, estimate) in entries(&c) {
            total += 1;
            if estimate.is_nan() {
                unbounded += 1;
            }
            if err > estimate + c.slack || (bounded && estimate.is_nan()) {
                short.push(format!(
                    "{}: {what} off by {err:e}, estimate {estimate:e}",
                    c.label
                ));
            }
        }
    }
    assert!(
        short.is_empty(),
        "{} short:\n{}",
        short.len(),
        short.join("\n")
    );
    (total, unbounded)
}

#[test]
fn far_above_typical_the_estimate_covers_or_is_unbounded() {
    let mut cases = Vec::new();
    for g in PERIODIC {
        for c in [1.0, 0.3, 1e-3, 7e4] {
            for k in 3..=18 {
                let x0 = 1.2345 * c * 10f64.powi(k);
                cases.push((case(g, 1.0, 0.0, c, x0), k <= 9));
                cases.push((case(g, 1.0, 0.0, c, -x0), k <= 9));
            }
        }
    }
    let (total, unbounded) = check(cases);
    eprintln!("far above typ: {unbounded} of {total} entries unbounded");
    // From about 1e15 c on no step both moves x_j and sees f on c's scale.
    assert!(
        unbounded > 0 && unbounded < total / 2,
        "{unbounded} of {total}"
    );
}

#[test]
fn far_below_the_default_start_the_estimate_covers_or_is_unbounded() {
    let mut cases = Vec::new();
    for g in NEAR_ZERO {
        for k in [0.0, 1e10, 1e20, 1e25] {
            for e in 3..=12 {
                let x0 = 1.2345 * 10f64.powi(-e);
                cases.push((case(g, 1.0, k, 1.0, x0), k == 0.0));
            }
        }
    }
    let (total, unbounded) = check(cases);
    eprintln!("far below the default start: {unbounded} of {total} entries unbounded");
}

#[test]
fn beside_a_slope_far_above_typical_the_estimate_covers_or_is_unbounded() {
    let mut cases = Vec::new();
    for g in PERIODIC {
        for s in [0.1, 1.0, 3.0, 1e3] {
            for c in [1.0, 0.3, 7e4] {
                for k in 3..=18 {
                    for mantissa in [1.2345, 3.7, 7.1] {
                        let x0 = mantissa * c * 10f64.powi(k);
                        // Bounded while f's rounding (eps s |x| / c) leaves digits of g.
                        cases.push((sloped(g, s, c, x0), k <= 6));
                        cases.push((sloped(g, s, c, -x0), k <= 6));
                    }
                }
            }
        }
    }
    let (total, unbounded) = check(cases);
    eprintln!("beside a slope: {unbounded} of {total} entries unbounded");
}
