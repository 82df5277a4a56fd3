//! A domain edge at x itself (f not finite on one side at any step, down to the edge
//! scan's last): the one-sided value comes with a bound that covers its error, or with no
//! bound (NaN, the direction counted unbounded) where the derivative is infinite.
//!
//! Before (probe of 1 December, F3): `sqrt` at 0 gave 525 with a bound of 238, `asin` at
//! 1 743 with 337, `cbrt` at 0 4124 with 2230, all completed with nothing unbounded; the
//! derivative is infinite. `src/fd/edge_at_x.rs` checks the one-sided value against
//! itself at a sixteenth of its step.
//!
//! Functions behaving as `s |x - e|^p` at the edge e, for exponents p below 1 (infinite
//! derivative: no finite bound is honest) and above 1, and functions smooth up to the
//! edge, on both sides of it and at several scales s, through the VJP, the JVP, the
//! Jacobian and the tape, with one output at the edge beside one that is not. Exact
//! answers: the analytic derivatives. "Covered" is `|value - exact| <= bound`.

use crate::common::honest;
use fdvjp::fd::{self, last_report, Options, Report, Sparsity};
use fdvjp::tape::{ReduceOp, Tape};

/// An edge function: `s |x - e|^p` on the side `side` of e (NaN beyond), and its
/// derivative (at e: infinite for p < 1, 0 for p > 1).
#[derive(Clone, Copy)]
struct Edge {
    e: f64,
    side: f64,
    p: f64,
    s: f64,
}

impl Edge {
    fn f(self, x: f64) -> f64 {
        let d = self.side * (x - self.e);
        if d < 0.0 {
            f64::NAN
        } else {
            self.s * d.powf(self.p)
        }
    }

    fn df(self, x: f64) -> f64 {
        let d = self.side * (x - self.e);
        if d == 0.0 {
            return if self.p < 1.0 {
                self.side * self.s.signum() * f64::INFINITY
            } else if self.p == 1.0 {
                self.side * self.s
            } else {
                0.0
            };
        }
        self.side * self.s * self.p * d.powf(self.p - 1.0)
    }
}

/// Exponents 0.05, 0.10, ..., 4.00.
fn exponents() -> impl Iterator<Item = f64> {
    (1..=80).map(|k| 0.05 * k as f64)
}

/// Edges at 0, 1, -3 and 1e3, on both sides, at scales 1e-6, 1 and 1e6.
fn edges(p: f64) -> Vec<Edge> {
    let mut all = vec![];
    for e in [0.0, 1.0, -3.0, 1e3] {
        for side in [1.0, -1.0] {
            for s in [1e-6, 1.0, -1e6] {
                all.push(Edge { e, side, p, s });
            }
        }
    }
    all
}

/// Every entry point at x = e, with m = 2 (output 0 the edge function, output 1 a smooth
/// one, `cos x`); returns whether each entry point's report had a finite bound.
fn check(edge: Edge) -> [bool; 4] {
    let x = edge.e;
    let f = move |x: &[f64], y: &mut [f64]| {
        y[0] = edge.f(x[0]);
        y[1] = x[0].cos();
        Ok(())
    };
    let (d0, d1) = (edge.df(x), -x.sin());
    let what = |entry: &str| format!("{:?} {entry}", (edge.e, edge.side, edge.p, edge.s));
    let mut finite = [false; 4];
    for (k, (entry, err, r)) in every_entry(f, x, (d0, d1)).into_iter().enumerate() {
        honest(&what(entry), err, &r);
        finite[k] = r.error_bound.is_finite();
    }
    finite
}

/// `f` (one input, m = 2) at x through the VJP (v = (1, -0.25)), the JVP (u = 1), the
/// Jacobian and an opaque tape node pulled back through a sum, with the exact derivatives
/// `(d0, d1)` of its outputs: each entry point's name, error and report. The tape's error
/// is halved: the sum's error is at most the two entries' errors, each within the bound.
fn every_entry<F>(f: F, x: f64, (d0, d1): (f64, f64)) -> [(&'static str, f64, Report); 4]
where
    F: Fn(&[f64], &mut [f64]) -> Result<(), i32> + Clone + 'static,
{
    let opts = Options::new();
    let v = [1.0, -0.25];
    let got = fd::vjp(&f, &[x], &v, &opts).unwrap()[0];
    let vjp = ("vjp", (got - (v[0] * d0 + v[1] * d1)).abs(), last_report());
    let u = fd::jvp(&f, &[x], 2, &[1.0], &opts).unwrap();
    let jvp = (
        "jvp",
        (u[0] - d0).abs().max((u[1] - d1).abs()),
        last_report(),
    );
    let jac = fd::jacobian(&f, &[x], 2, &opts).unwrap();
    let jacobian = (
        "jacobian",
        (jac[0] - d0).abs().max((jac[1] - d1).abs()),
        last_report(),
    );
    let mut t = Tape::new();
    let xv = t.input_slice(&[x]).unwrap();
    let y = t.call(Box::new(f), &[xv], 2, opts).unwrap();
    let s = t.reduce(ReduceOp::Sum, y).unwrap();
    t.backward(s, None).unwrap();
    let got = t.grad(xv).unwrap().iter().copied().next().unwrap();
    let tape = ("tape", (got - (d0 + d1)).abs() / 2.0, last_report());
    [vjp, jvp, jacobian, tape]
}

/// Every exponent: each entry point's report is honest (checked in [`check`]); where the
/// derivative is infinite (p < 1) none claims a bound, and from p = 1.5 on (B's own bound
/// covers it) every one does: the check takes no bound it need not.
#[test]
fn every_exponent_is_honest_and_only_slow_ones_lose_their_bound() {
    for p in exponents() {
        for edge in edges(p) {
            let finite = check(edge);
            let at = (edge.e, edge.side, edge.s);
            if p < 1.0 {
                assert_eq!(finite, [false; 4], "p = {p}, edge {at:?}");
            } else if p >= 1.5 {
                assert_eq!(finite, [true; 4], "p = {p}, edge {at:?}");
            }
        }
    }
}

/// A function of one real.
type Real = fn(f64) -> f64;

/// The named cases: sqrt and cbrt at 0, asin and acos at 1 (infinite derivatives), and
/// functions smooth up to an edge at 0 (exp, sin, log1p, x^2.5 where x < 0 gives NaN):
/// the former unbounded, the latter bounded and covered (the VJP, n = 1, m = 1).
#[test]
fn named_edges() {
    let infinite: [(&str, Real, f64); 4] = [
        ("sqrt", f64::sqrt, 0.0),
        ("cbrt", |x| if x < 0.0 { f64::NAN } else { x.cbrt() }, 0.0),
        ("asin", f64::asin, 1.0),
        ("acos", f64::acos, 1.0),
    ];
    for (name, g, x) in infinite {
        let f = move |x: &[f64], y: &mut [f64]| {
            y[0] = g(x[0]);
            Ok(())
        };
        fd::vjp(&f, &[x], &[1.0], &Options::new()).unwrap();
        let r = last_report();
        assert!(
            r.completed && r.error_bound.is_nan() && r.unbounded == 1,
            "{name}: {r:?}"
        );
    }
    let smooth: [(&str, Real, Real); 4] = [
        ("exp", f64::exp, f64::exp),
        ("sin", f64::sin, f64::cos),
        ("log1p", f64::ln_1p, |x| 1.0 / (1.0 + x)),
        ("x^2.5", |x| x * x * x.sqrt(), |x| 2.5 * x * x.sqrt()),
    ];
    for (name, g, dg) in smooth {
        let f = move |x: &[f64], y: &mut [f64]| {
            y[0] = if x[0] < 0.0 { f64::NAN } else { g(x[0]) };
            Ok(())
        };
        let got = fd::vjp(&f, &[0.0], &[1.0], &Options::new()).unwrap()[0];
        let r = last_report();
        let err = (got - dg(0.0)).abs();
        assert!(
            r.error_bound.is_finite() && err <= r.error_bound,
            "{name}: {err:e} {r:?}"
        );
    }
}

/// Several columns, one of them at an edge where the derivative is infinite: the VJP has no
/// bound and counts that one direction unbounded; the other columns' values are right.
#[test]
fn one_column_at_the_edge_among_others() {
    let f = |x: &[f64], y: &mut [f64]| {
        y[0] = x[0].sin() + x[1].sqrt() + x[2] * x[2];
        y[1] = x[0] * x[2];
        Ok(())
    };
    let x = [0.7, 0.0, -1.3];
    let v = [1.0, 2.0];
    let g = fd::vjp(&f, &x, &v, &Options::new()).unwrap();
    let r = last_report();
    assert!(
        r.completed && r.error_bound.is_nan() && r.unbounded == 1,
        "{r:?}"
    );
    let want = [
        0.7f64.cos() + 2.0 * x[2],
        f64::INFINITY,
        2.0 * x[2] + 2.0 * x[0],
    ];
    for j in [0, 2] {
        assert!(
            (g[j] - want[j]).abs() <= 1e-9,
            "grad[{j}] {} vs {}",
            g[j],
            want[j]
        );
    }
}

/// Functions smooth up to an edge away from 0 (the edge scan's exact steps there): each
/// keeps a bound that covers its error. Before the check's step was made exact, `sin(x -
/// 1)` at its edge 1 lost its bound (60 of 504 smooth cases in a review, 1 December).
#[test]
fn smooth_edges_away_from_zero_keep_their_bound() {
    let smooth: [(Real, Real); 4] = [
        (f64::sin, f64::cos),
        (f64::exp, f64::exp),
        (f64::ln_1p, |z| 1.0 / (1.0 + z)),
        (|z| 1.0 + z * z * z, |z| 3.0 * z * z),
    ];
    for e in [1.0, -3.0, 1e3, 1e-10, 2.5e-7, -0.7] {
        for side in [1.0, -1.0] {
            for (g, dg) in smooth {
                let f = move |x: &[f64], y: &mut [f64]| {
                    let z = side * (x[0] - e);
                    y[0] = if z < 0.0 { f64::NAN } else { g(z) };
                    Ok(())
                };
                let got = fd::vjp(&f, &[e], &[1.0], &Options::new()).unwrap()[0];
                let r = last_report();
                let err = (got - side * dg(0.0)).abs();
                assert!(
                    r.error_bound.is_finite() && err <= r.error_bound,
                    "edge {e}, side {side}: {got} vs {}, {r:?}",
                    side * dg(0.0)
                );
            }
        }
    }
}

/// An edge column in a column group (a sparsity pattern), and along a vector whose other
/// element keeps moving after the edge's one stops: no bound where the entry is
/// infinite. Before: the group's other sub-group lent its bound (1.9e-4 for an infinite
/// entry); the vector's scan took a step at which x0 no longer moved (0.19 with a bound of
/// 1.7e-4).
#[test]
fn groups_and_vectors_at_the_edge() {
    let f = |x: &[f64], y: &mut [f64]| {
        y[0] = if x[0] < 1e-10 {
            f64::NAN
        } else {
            (x[0] - 1e-10).sqrt()
        };
        y[1] = x[1] * x[1];
        Ok(())
    };
    let mut opts = Options::new();
    opts.set_sparsity(Some(Sparsity::new(&[0, 1], &[0, 1]).unwrap()));
    fd::vjp(&f, &[1e-10, 0.5], &[1.0, 1.0], &opts).unwrap();
    let r = last_report();
    assert!(r.error_bound.is_nan() && r.unbounded > 0, "group: {r:?}");

    let g = |x: &[f64], y: &mut [f64]| {
        y[0] = if x[0] < -3.0 {
            f64::NAN
        } else {
            1e-6 * (x[0] + 3.0).sqrt() + 0.5 * x[1].sin()
        };
        Ok(())
    };
    fd::jvp(&g, &[-3.0, 0.7], 1, &[1.0, 0.5], &Options::new()).unwrap();
    let r = last_report();
    assert!(r.error_bound.is_nan() && r.unbounded > 0, "vector: {r:?}");
}

/// Column groups with several edge columns count their one direction unbounded once
/// (`unbounded <= directions`), split at 0 or taken column by column; and a JVP along a
/// vector with a component too small to move its element keeps the edge's refinement (a
/// review, 1 December: 303 for 5e5 with a bound of 137 after the scan first demanded that
/// every element move).
#[test]
fn edge_groups_count_once_and_tiny_components_keep_the_scan() {
    let f = |x: &[f64], y: &mut [f64]| {
        let edge = |z: f64, e: f64| if z < e { f64::NAN } else { (z - e).sqrt() };
        y[0] = edge(x[0], 1e-10);
        y[1] = edge(x[1], 1e-7);
        Ok(())
    };
    let mut opts = Options::new();
    opts.set_sparsity(Some(Sparsity::new(&[0, 1], &[0, 1]).unwrap()));
    fd::vjp(&f, &[1e-10, 1e-7], &[1.0, 1.0], &opts).unwrap();
    let r = last_report();
    assert!(
        r.error_bound.is_nan() && r.unbounded == 1 && r.directions == 1,
        "{r:?}"
    );
    fd::jacobian(&f, &[1e-10, 1e-7], 2, &opts).unwrap();
    let r = last_report();
    assert!(
        r.error_bound.is_nan() && r.unbounded == 1 && r.directions == 1,
        "{r:?}"
    );

    // Edges at 1 and 2 in a 3-column group, each column along its own axis.
    let g = |x: &[f64], y: &mut [f64]| {
        let edge = |z: f64, e: f64| if z < e { f64::NAN } else { (z - e).sqrt() };
        y[0] = edge(x[0], 1.0);
        y[1] = edge(x[1], 2.0);
        y[2] = x[2].sin();
        Ok(())
    };
    let mut opts = Options::new();
    opts.set_sparsity(Some(Sparsity::new(&[0, 1, 2], &[0, 1, 2]).unwrap()));
    fd::vjp(&g, &[1.0, 2.0, 0.5], &[1.0, 1.0, 1.0], &opts).unwrap();
    let r = last_report();
    assert!(
        r.error_bound.is_nan() && r.unbounded <= r.directions,
        "{r:?}"
    );

    let h = |x: &[f64], y: &mut [f64]| {
        y[0] = if x[0] < -3.0 {
            f64::NAN
        } else {
            (x[0] + 3.0).sqrt() + x[1]
        };
        Ok(())
    };
    for x0 in [-3.0 + 1e-12, -3.0] {
        let d = fd::jvp(&h, &[x0, 1.0], 1, &[1.0, 1e-20], &Options::new()).unwrap()[0];
        let r = last_report();
        let exact = 0.5 / (x0 + 3.0).sqrt() + 1e-20;
        let covered = (d - exact).abs() <= r.error_bound;
        assert!(
            covered || (r.error_bound.is_nan() && r.unbounded > 0),
            "{x0}: {d} {r:?}"
        );
    }
}

/// Edges a few ulps from x (`x = L + k ulp`, f not finite beyond L; at L = 0, x a few
/// subnormals from 0): `log |x - L|` and `|x - L|^p` vary on the scale of x's distance to
/// the edge, far below any step the scan can take. Each result through the VJP, the JVP,
/// the Jacobian and the tape is covered or unbounded. Before the edge scan's refinement
/// gave up on its floor, B's deeper levels checked a far-above refinement and B alone at
/// a subnormal x was checked (2 December), 654 of the 2352 results at L != 0 were off by
/// more than their bound with `FDVJP_OK`, up to 4.5e7 times (`log(x - 1000)` at 1000 plus
/// one ulp: 8.8e12 off, bound 2.0e5), and 280 of the 392 at L = 0 (sqrt at 5e-324: 525 for
/// 2.2e161, bound 238).
#[test]
fn edges_a_few_ulps_from_x_are_covered_or_unbounded() {
    let (mut cases, mut unbounded, mut wrong) = (0, 0, vec![]);
    for l in [1.0f64, -3.0, 0.5, 7.25, 1e3, 1e5, 0.0] {
        for side in [1.0f64, -1.0] {
            for k in [1u32, 2, 3, 5, 8, 16, 100] {
                let mut x = l;
                for _ in 0..k {
                    x = if side > 0.0 {
                        x.next_up()
                    } else {
                        x.next_down()
                    };
                }
                // p = 0 stands for the logarithm.
                for p in [0.0, 0.5, 0.6, 0.7, 1.1, 1.5, 2.5] {
                    let g = move |z: f64| {
                        let d = side * (z - l);
                        match (d < 0.0, p == 0.0) {
                            (true, _) => f64::NAN,
                            (false, true) => d.ln(),
                            (false, false) => d.powf(p),
                        }
                    };
                    let d = side * (x - l);
                    let d0 = if p == 0.0 {
                        side / d
                    } else {
                        side * p * d.powf(p - 1.0)
                    };
                    let f = move |x: &[f64], y: &mut [f64]| {
                        y[0] = g(x[0]);
                        y[1] = x[0].cos();
                        Ok(())
                    };
                    let d1 = -x.sin();
                    for (entry, err, r) in every_entry(f, x, (d0, d1)) {
                        cases += 1;
                        let none = r.error_bound.is_nan() && r.unbounded > 0;
                        unbounded += usize::from(none);
                        if !(r.completed && (none || err <= r.error_bound)) {
                            wrong.push(format!(
                                "p {p} L {l} side {side} k {k} {entry}: error {err:e}, {r:?}"
                            ));
                        }
                    }
                }
            }
        }
    }
    eprintln!(
        "{cases} results, {unbounded} unbounded, {} wrong",
        wrong.len()
    );
    assert!(
        wrong.is_empty(),
        "{} of {cases}:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(12)].join("\n")
    );
}

/// Cases a review of 2 December found beyond the sweep above: along a vector with a large
/// element (whose check levels stop moving it, or round their moves), at an edge far above
/// typ_j, with a typical magnitude of 1e-3. Each was a finite bound short of its error with
/// the check passing by default; each is now covered or unbounded, through the JVP and
/// the VJP. f = g(x0 - L) + cos(1e-3 x1), g = sqrt or log, NaN below L.
#[test]
fn checks_that_cannot_test_leave_no_bound() {
    let up = |x: f64, k: usize| (0..k).fold(x, |x, _| x.next_up());
    // (L, g is log, x, u, typ_0)
    let cases = [
        (0.0, false, [5e-324, 1e10], [1.0, 1.0], 1.0),
        (1.0, false, [up(1.0, 4), 1e8], [1.0, 1.0], 1.0),
        (1e10, true, [up(1e10, 1), 0.5], [1.0, 0.0], 1.0),
        (1e5, true, [up(1e5, 1), 0.5], [1.0, 0.0], 1e-3),
        (1e5, false, [up(1e5, 1), 0.5], [1.0, 0.0], 1e-3),
    ];
    for (l, log, x, u, typ) in cases {
        let g = move |d: f64| match (d < 0.0, log) {
            (true, _) => f64::NAN,
            (false, true) => d.ln(),
            (false, false) => d.sqrt(),
        };
        let f = move |z: &[f64], y: &mut [f64]| {
            y[0] = g(z[0] - l) + (1e-3 * z[1]).cos();
            Ok(())
        };
        let d = x[0] - l;
        let d0 = if log { 1.0 / d } else { 0.5 / d.sqrt() };
        let d1 = -1e-3 * (1e-3 * x[1]).sin();
        let mut opts = Options::new();
        opts.set_typical(Some(vec![typ, 1.0])).unwrap();
        let what = |entry: &str| format!("L {l}, log {log}, x {x:?}, u {u:?}, typ {typ}: {entry}");
        let jvp = fd::jvp(&f, &x, 1, &u, &opts).unwrap()[0];
        let err = (jvp - (d0 * u[0] + d1 * u[1])).abs();
        honest(&what("jvp"), err, &last_report());
        let grad = fd::vjp(&f, &x, &[1.0], &opts).unwrap();
        let err = (grad[0] - d0).abs().max((grad[1] - d1).abs());
        honest(&what("vjp"), err, &last_report());
    }
}

/// An edge a few ulps from x far below typ_j, beside a large constant part of the same
/// output: A, the central stencil a few ulps wide, rounds by far more than B's error, so
/// B's agreement with it vouches for nothing and B is bounded through A alone. Before (a
/// review of 2 December), `(x0 + 2e-5)^0.9 + x1^2` at -2e-5 plus 4 ulps kept 4.25 for 88.0
/// with B's own bound of 8.2.
#[test]
fn agreement_within_a_few_ulps_rounding_vouches_for_nothing() {
    const E: f64 = -2e-5;
    for p in [0.5, 0.9, 1.1, 1.5, 2.5] {
        for k in [1, 2, 4, 8, 16] {
            let x0 = (0..k).fold(E, |x: f64, _| x.next_up());
            let x = [x0, 0.7];
            let f = move |z: &[f64], y: &mut [f64]| {
                let d = z[0] - E;
                y[0] = if d < 0.0 { f64::NAN } else { d.powf(p) } + z[1] * z[1];
                y[1] = z[0] * z[1];
                Ok(())
            };
            let d00 = p * (x0 - E).powf(p - 1.0);
            let jac = [d00, 2.0 * x[1], x[1], x[0]];
            let what = |entry: &str| format!("p {p}, {k} ulps: {entry}");
            let opts = Options::new();
            let g = fd::vjp(&f, &x, &[1.0, 1.0], &opts).unwrap();
            let err = (g[0] - (jac[0] + jac[2]))
                .abs()
                .max((g[1] - (jac[1] + jac[3])).abs());
            honest(&what("vjp"), err, &last_report());
            let u = fd::jvp(&f, &x, 2, &[1.0, 0.0], &opts).unwrap();
            let err = (u[0] - jac[0]).abs().max((u[1] - jac[2]).abs());
            honest(&what("jvp"), err, &last_report());
            let got = fd::jacobian(&f, &x, 2, &opts).unwrap();
            let err = got
                .iter()
                .zip(jac)
                .map(|(g, j)| (g - j).abs())
                .fold(0.0, f64::max);
            honest(&what("jacobian"), err, &last_report());
        }
    }
}
