//! Issue 11 (probe11 finding 4): x on a declared bound on the side of a singular point at
//! 0 (`sqrt`, `log` on `[x_j, 1]`), the plain step beyond a tenth of `|x_j|`. Only the
//! one-sided stencil fits; at the plain step it spans f's own scale `|x_j|`. Fourth order
//! at 1e-5 came out 69% off with a NaN bound (central at 1e-5: 4%), where the same call
//! without the bound is exact to 1e-13.
//!
//! f: `sum_j c_j g(x_j)` (VJP, m = 1) for g = sqrt, log, n = 1 or 3; `x_j` log-uniform in
//! [1e-9, 1e-2]; the box `[x_j, 1]` (x on its lower bound) or `[x_j / 2, x_j]` (on its
//! upper bound, 0 not in it); central, fourth-order and forward schemes. An entry passes
//! when its error is within its bound plus `2e-15 |exact|`, or, with a NaN bound, within
//! 1e-5 of the exact value relative (forward: 1e-4), as the near-edge answer at x's own
//! scale gives.

use crate::common;

use common::Rng;
use fdvjp::fd::{self, last_report, Options, Scheme};

/// A name, g and g'.
type Family = (&'static str, fn(f64) -> f64, fn(f64) -> f64);

#[test]
fn on_a_bound_toward_a_singular_zero_is_right() {
    let mut rng = Rng::new(0x0411);
    let (mut calls, mut bad) = (0, Vec::new());
    let calls_per = if cfg!(debug_assertions) { 2 } else { 12 };
    let gs: [Family; 2] = [
        ("sqrt", f64::sqrt, |x| 0.5 / x.sqrt()),
        ("log", f64::ln, |x| 1.0 / x),
    ];
    for (name, g, dg) in gs {
        for scheme in [Scheme::Central, Scheme::Central4, Scheme::Forward] {
            for upper in [false, true] {
                for n in [1usize, 3] {
                    for _ in 0..calls_per {
                        let x: Vec<f64> = (0..n)
                            .map(|_| 1e-9 * 10f64.powf(7.0 * rng.uniform()))
                            .collect();
                        let c: Vec<f64> = (0..n).map(|_| 0.5 + rng.uniform()).collect();
                        let (lo, hi): (Vec<f64>, Vec<f64>) = if upper {
                            (x.iter().map(|v| v / 2.0).collect(), x.clone())
                        } else {
                            (x.clone(), vec![1.0; n])
                        };
                        let mut o = Options::new();
                        o.set_scheme(scheme);
                        o.set_bounds(Some((lo, hi))).unwrap();
                        let cc = c.clone();
                        let f = move |z: &[f64], y: &mut [f64]| -> Result<(), i32> {
                            y[0] = z.iter().zip(&cc).map(|(v, k)| k * g(*v)).sum();
                            Ok(())
                        };
                        calls += 1;
                        let got = match fd::vjp(&f, &x, &[1.0], &o) {
                            Ok(got) => got,
                            Err(e) => {
                                bad.push(format!("{name} {scheme:?} upper {upper} x {x:?}: {e}"));
                                continue;
                            }
                        };
                        let bound = last_report().error_bound;
                        // First order at x's own scale: about sqrt(eps) relative.
                        let nan_tolerance = if scheme == Scheme::Forward {
                            1e-4
                        } else {
                            1e-5
                        };
                        for j in 0..n {
                            let want = c[j] * dg(x[j]);
                            let err = (got[j] - want).abs();
                            let ok = if bound.is_nan() {
                                err <= nan_tolerance * want.abs()
                            } else {
                                err <= bound + 2e-15 * want.abs()
                            };
                            if !ok {
                                bad.push(format!(
                                    "{name} {scheme:?} upper {upper} x[{j}] = {:e}: {:e} for {want:e} \
                                     (rel {:.2e}, bound {bound:e})",
                                    x[j],
                                    got[j],
                                    err / want.abs()
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    for b in bad.iter().take(20) {
        eprintln!("{b}");
    }
    assert!(bad.is_empty(), "{} failures in {calls} calls", bad.len());
}
