//! Probe7 finding 2 (issue 11 item 3): estimates along a vector next to a NaN side at
//! large |x|. f smooth for `x <= x0` and NaN beyond (or below), evaluated at `x0`: the
//! central stencil meets the NaN at every step, and the estimates bracket the edge by
//! dividing the step by 8. Along an axis the step is made exact and reaches 0; along a
//! vector it was taken as given, so below half an ulp of `x0` every stencil point was x,
//! every quotient 0, and `jvp_estimate` returned exactly 0 with a small estimate (sin at
//! 1e6: 0 for 0.93675 with an estimate of 1.16e-3; at 1e8: 0 for -0.36339, 2.4e-5)
//! where `vjp_estimate` was right.
//!
//! Asserted per entry, against the analytic derivative, for `jvp_estimate` (several
//! directions, n = 1 and 2), `vjp_estimate` and `jacobian_estimate`: the error is at most
//! the estimate, or the estimate is NaN with an unbounded direction in the report; a
//! value of exactly 0 where the derivative is not 0 fails whatever its estimate.

use fdvjp::fd::{jacobian_estimate, jvp_estimate, last_report, vjp_estimate, Estimate, Options};

/// A smooth function of one variable and its derivative.
struct Smooth {
    name: &'static str,
    f: fn(f64) -> f64,
    df: fn(f64) -> f64,
}

const FUNCTIONS: &[Smooth] = &[
    Smooth {
        name: "sin",
        f: f64::sin,
        df: f64::cos,
    },
    Smooth {
        name: "cos",
        f: f64::cos,
        df: |x| -x.sin(),
    },
    Smooth {
        name: "sum of 5 cos(i x / 3 + i)",
        f: |x| {
            (1..=5)
                .map(|i| (f64::from(i) * x / 3.0 + f64::from(i)).cos())
                .sum()
        },
        df: |x| {
            (1..=5)
                .map(|i| -f64::from(i) / 3.0 * (f64::from(i) * x / 3.0 + f64::from(i)).sin())
                .sum()
        },
    },
];

const EDGES: &[f64] = &[10.0, 1e3, 1e6, 3e7, 1e8, -1e6];

/// Records a failure of the entry (see the module documentation).
fn check(label: &str, e: &Estimate, want: &[f64], failures: &mut Vec<String>) {
    let r = last_report();
    for (i, &w) in want.iter().enumerate() {
        let (value, err) = (e.value[i], e.error[i]);
        let error = (value - w).abs();
        let entry = format!("{label} [{i}]: {value:e} for {w:e}, estimate {err:e}");
        if value == 0.0 && w != 0.0 {
            failures.push(format!("{entry}: exactly 0"));
        } else if err.is_nan() {
            if r.unbounded == 0 {
                failures.push(format!("{entry}: NaN estimate, no unbounded direction"));
            }
        } else if error.is_nan() || error > err {
            failures.push(format!("{entry}: error {error:e} above the estimate"));
        }
    }
}

#[test]
fn estimates_next_to_a_nan_side_at_large_x() {
    let opts = Options::new();
    let mut failures = Vec::new();
    let mut cases = 0;
    for s in FUNCTIONS {
        for &x0 in EDGES {
            // NaN beyond x0 (above it), and NaN before x0 (below it).
            for above in [true, false] {
                let (g, dg) = (s.f, s.df);
                let nan = move |x: f64| if above { x > x0 } else { x < x0 };
                let f1 = move |x: &[f64], y: &mut [f64]| {
                    y[0] = if nan(x[0]) { f64::NAN } else { g(x[0]) };
                    Ok(())
                };
                let side = if above { "above" } else { "below" };
                let at = format!("{} at {x0:e}, NaN {side}", s.name);
                for u in [1.0, -1.0, 0.37, 3.0] {
                    let e = jvp_estimate(&f1, &[x0], 1, &[u], &opts).unwrap();
                    check(
                        &format!("jvp_estimate u={u} {at}"),
                        &e,
                        &[u * dg(x0)],
                        &mut failures,
                    );
                    cases += 1;
                }
                let e = vjp_estimate(&f1, &[x0], &[1.0], &opts).unwrap();
                check(&format!("vjp_estimate {at}"), &e, &[dg(x0)], &mut failures);
                let e = jacobian_estimate(&f1, &[x0], 1, &opts).unwrap();
                check(
                    &format!("jacobian_estimate {at}"),
                    &e,
                    &[dg(x0)],
                    &mut failures,
                );
                // Two inputs, the NaN side in the first: y = (f(x0), x0 * x1).
                let f2 = move |x: &[f64], y: &mut [f64]| {
                    y[0] = if nan(x[0]) { f64::NAN } else { g(x[0]) };
                    y[1] = x[0] * x[1];
                    Ok(())
                };
                let x = [x0, 0.5];
                let u = [0.8, -0.3];
                let want = [u[0] * dg(x0), u[0] * x[1] + u[1] * x[0]];
                let e = jvp_estimate(&f2, &x, 2, &u, &opts).unwrap();
                check(&format!("jvp_estimate n=2 {at}"), &e, &want, &mut failures);
                cases += 3;
            }
        }
    }
    for f in &failures {
        eprintln!("{f}");
    }
    eprintln!("{} failures in {cases} calls", failures.len());
    assert!(failures.is_empty(), "{} failures", failures.len());
}
