//! Issue 11, probe12 finding 3: the refined central columns of oscillating functions far
//! above typ_j report a bound that covers their error.
//!
//! f, with n = 1..3 and random signs: per element `sin(x_j / W_j)` or `cos(x_j / W_j)`,
//! `x_j / W_j` log-uniform in 1e2..1e10 and `W_j` in 1e-4..1e2, `|x_j| > 1e3` so that
//! every column is refined a priori (below, the plain columns' inflection and aliasing
//! checks are another matter: `refine/inflection.rs`) (the rounding of `x_j /
//! W_j` is f's, not the step's: levels a power of two apart sampled it on one lattice and
//! agreed on a wrong value), and `sin(x_j) + a_j x_j` with `|x_j|` in 1e6..1e13 (f's value
//! rounds at `eps |a x|`; the middle check at a step far beyond f's scale confirmed the
//! plain value `a`, dropping `cos x`). Each as a diagonal map and as two coupled sums;
//! default options (central, typ 1); VJP (random v), Jacobian and JVP (random u).
//!
//! An entry is uncovered when the call succeeded with a finite bound and its error
//! exceeds `error_bound + 2e-15 |exact|`; a NaN bound is counted as unbounded (honest).
//! The exact derivative takes `x_j / W_j`'s rounding into account (its remainder, from a
//! fused multiply-add), so it is the derivative of the function at x, not of f's rounding.
//! On main (5206cc7): uncovered VJP 1,202 of 8,460 entries (worst 3.1e7 times the
//! bound), JVP 1,598 of 8,460 (6.7e4), Jacobian 1,785 of 18,330 (3.1e7); now 0, 11
//! (269), 0; unbounded alike (505, 639, 1,156).

use crate::common;

use common::Rng;
use fdvjp::fd::{self, last_report, Options};

/// JVP entries still uncovered (see the test).
const JVP_LEFT: usize = 11;

#[derive(Clone, Copy, Debug)]
enum Kind {
    /// `sin(x / W)` (phase 0) or `cos(x / W)` (phase 1).
    Wave(bool),
    /// `sin(x) + a x`.
    Linear,
}

/// Per element: the value and the exact derivative.
fn element(kind: Kind, x: f64, p: f64) -> (f64, f64) {
    match kind {
        Kind::Wave(cosine) => {
            let q = x / p;
            // q's remainder: x / W = q + d exactly, to first order.
            let d = (-q).mul_add(p, x) / p;
            let (s, c) = q.sin_cos();
            if cosine {
                (c, (-s - d * c) / p)
            } else {
                (s, (c - d * s) / p)
            }
        }
        Kind::Linear => (x.sin() + p * x, x.cos() + p),
    }
}

/// Two coupled outputs (`y0 = sum g_j`, `y1 = sum w_j g_j`) or the diagonal map.
fn eval(kind: Kind, coupled: bool, x: &[f64], par: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let n = x.len();
    let w = [0.5, -1.5, 2.0];
    let m = if coupled { 2 } else { n };
    let (mut y, mut j) = (vec![0.0; m], vec![0.0; m * n]);
    for c in 0..n {
        let (v, d) = element(kind, x[c], par[c]);
        if coupled {
            y[0] += v;
            y[1] += w[c] * v;
            j[c] = d;
            j[n + c] = w[c] * d;
        } else {
            y[c] = v;
            j[c * n + c] = d;
        }
    }
    (y, j)
}

#[derive(Default)]
struct Tally {
    entries: usize,
    uncovered: usize,
    unbounded: usize,
    loud: usize,
    worst: f64,
}

fn check(t: &mut Tally, what: &str, got: Result<Vec<f64>, fd::FdError>, exact: &[f64]) {
    t.entries += exact.len();
    let Ok(got) = got else {
        t.loud += exact.len();
        return;
    };
    let bound = last_report().error_bound;
    for (g, e) in got.iter().zip(exact) {
        if bound.is_nan() {
            t.unbounded += 1;
            continue;
        }
        let err = (g - e).abs();
        let covered = err <= bound + 2e-15 * e.abs();
        if !covered {
            t.uncovered += 1;
            t.worst = t.worst.max(err / bound);
            if t.uncovered <= 5 {
                println!("{what}: got {g:e} exact {e:e} error {err:.3e} bound {bound:.3e}");
            }
        }
    }
}

/// A point and the parameters of `kind`: `(x, W)` or `(x, a)`.
fn draw(rng: &mut Rng, kind: Kind, n: usize) -> (Vec<f64>, Vec<f64>) {
    let sign = |rng: &mut Rng| if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
    let (mut x, mut par) = (Vec::new(), Vec::new());
    for _ in 0..n {
        match kind {
            Kind::Wave(_) => loop {
                // Refined a priori: |x_j| above 1e3 typ_j.
                let w = 10f64.powf(-4.0 + 6.0 * rng.uniform());
                let q = 10f64.powf(2.0 + 8.0 * rng.uniform());
                if q * w > 1e3 {
                    x.push(sign(rng) * q * w);
                    par.push(w);
                    break;
                }
            },
            Kind::Linear => {
                x.push(sign(rng) * 10f64.powf(6.0 + 7.0 * rng.uniform()));
                par.push(sign(rng) * (0.05 + 0.95 * rng.uniform()));
            }
        }
    }
    (x, par)
}

/// Every kind, n = 1..3, diagonal and coupled, `points` random points each, under `o`:
/// the tallies of the VJP, JVP and Jacobian, printed with `label`.
fn sweep(rng: &mut Rng, o: &Options, points: usize, label: &str) -> [Tally; 3] {
    let mut t: [Tally; 3] = Default::default();
    for kind in [Kind::Wave(false), Kind::Wave(true), Kind::Linear] {
        for n in 1..=3 {
            for coupled in [false, true] {
                for _ in 0..points {
                    let (x, par) = draw(rng, kind, n);
                    let m = if coupled { 2 } else { n };
                    let f = |x: &[f64], y: &mut [f64]| -> Result<(), i32> {
                        y.copy_from_slice(&eval(kind, coupled, x, &par).0);
                        Ok(())
                    };
                    let jac = eval(kind, coupled, &x, &par).1;
                    let v: Vec<f64> = (0..m).map(|_| 2.0 * rng.uniform() - 1.0).collect();
                    let u: Vec<f64> = (0..n).map(|_| 2.0 * rng.uniform() - 1.0).collect();
                    let vjp: Vec<f64> = (0..n)
                        .map(|c| (0..m).map(|i| v[i] * jac[i * n + c]).sum())
                        .collect();
                    let jvp: Vec<f64> = (0..m)
                        .map(|i| (0..n).map(|c| jac[i * n + c] * u[c]).sum())
                        .collect();
                    let what =
                        |op: &str| format!("{label} {kind:?} coupled {coupled} {op} x = {x:?}");
                    check(&mut t[0], &what("vjp"), fd::vjp(&f, &x, &v, o), &vjp);
                    check(&mut t[1], &what("jvp"), fd::jvp(&f, &x, m, &u, o), &jvp);
                    let got = fd::jacobian(&f, &x, m, o);
                    check(&mut t[2], &what("jacobian"), got, &jac);
                }
            }
        }
    }
    for (op, t) in ["vjp", "jvp", "jacobian"].iter().zip(&t) {
        println!(
            "{label} {op}: {} entries, {} uncovered (worst {:.3e} times the bound), {} \
             unbounded, {} loud",
            t.entries, t.uncovered, t.worst, t.unbounded, t.loud
        );
    }
    t
}

#[test]
fn refined_oscillating_columns_are_covered_by_their_bound() {
    let mut rng = Rng::new(0x0511);
    let t = sweep(&mut rng, &Options::new(), 235, "central");
    assert_eq!(
        t[0].uncovered + t[2].uncovered,
        0,
        "VJP, Jacobian: beyond their bound"
    );
    // Along a vector (JVP) the refinement subtracts `J w` first (`refine/vector.rs`);
    // its misses at mixed scales (1e4 with 1e10) are left for now: at most this many.
    assert!(
        t[1].uncovered <= JVP_LEFT,
        "JVP: {} beyond their bound",
        t[1].uncovered
    );
}

/// The same functions under forward and backward differences (probe14 finding 6): their
/// far-above one-sided levels (`refine/far_above.rs`) lacked the rounding of f's own
/// arguments that the central levels count. Before: VJP 251 of 4,320 entries, Jacobian
/// 368 of 9,360 uncovered (worst 6.6e6 times the bound; JVPs are unbounded); now 6 and 9,
/// worst 7.5 times, all at W below 1e-1 (f varying far below typ_j, where the levels at
/// `2^-13 typ_j` do not resolve it): at most [`ONE_SIDED_LEFT`] left for now.
#[test]
fn one_sided_columns_far_above_are_covered_by_their_bound() {
    let mut rng = Rng::new(0x0614);
    let (mut left, mut worst) = (0, 0.0f64);
    for scheme in [fd::Scheme::Forward, fd::Scheme::Backward] {
        let mut o = Options::new();
        o.set_scheme(scheme);
        for t in sweep(&mut rng, &o, 60, &format!("{scheme:?}")) {
            left += t.uncovered;
            worst = worst.max(t.worst);
        }
    }
    assert!(left <= ONE_SIDED_LEFT, "{left} beyond their bound");
    assert!(worst < 10.0, "an entry {worst} times beyond its bound");
}

/// Forward and backward entries still uncovered (see the test).
const ONE_SIDED_LEFT: usize = 15;
