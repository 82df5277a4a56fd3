//! Issue 11 for the schemes other than central: forward, backward and fourth-order
//! differences right on badly scaled inputs, at the default typical magnitude 1.
//!
//! f applies one function g of a family to each element (diagonal, m = n = 3) or sums it
//! into two outputs (dense, m = 2, weights 1 and (0.5, -1.5, 2)); `x_j = S z_j` with
//! `z_j` uniform in [0.1, 4] and S every decade from 1e-12 to 1e12. Families: log, sqrt,
//! 1/x (varying on |x| itself), `exp(x / S)` and `z exp(-z)` with `z = x / S` (varying
//! on S), and sin (varying on 1, at S = 1e3..1e10: above 2.8e12 no refinement can resolve
//! the scale 1 and the bound is NaN by design). Every entry point: VJP (random v), JVP
//! (random u), Jacobian, the Jacobian with a declared diagonal pattern, batched and
//! threaded Jacobians.
//!
//! An entry fails when its error exceeds the scheme's achievable error times the
//! derivative's natural size (`1 / |x|`, `1 / (2 sqrt x)`, `1 / x^2`, `exp(z) / S`,
//! `exp(-z) / S`, 1; summed over an entry's terms) and no finite bound covers it, or when
//! a finite bound does not cover it (`err > bound + 2e-15 |exact|`: a quiet wrong number).
//! Tolerances: forward and backward 2e-6 (about 100 times what their plain step reaches on
//! these families), 3e-5 where `|x_j|` lies between `typ_j / 1e3` and typ_j (S = 1e-3..1e-1,
//! not refined: README "Step rule") and for sin at S = 1e3 (`|x_j| <= 1e3 typ_j`, not
//! refined: the plain step `r |x_j|` leaves `t / 2`); fourth order 3e-8, 3e-4 at S =
//! 1e-3..1e-1 (not refined between `typ_j / 100` and typ_j: 1/x at 1e-2 keeps 1e-4). JVP directions and column groups are
//! not refined by these schemes (NaN bounds): only their honesty is asserted, their
//! errors beyond tolerance are counted and printed.
//!
//! On main: 1,911 of 39,900 entries failed, 90 of them at the asserted entry points
//! (fourth order at S = 1e-4: -396543 for 0.798, z exp(-z), with no bound; forward at
//! S = 1e10 about 5e-2 off with a covering bound counts as passing), and 1 uncovered.

use crate::common;

use common::Rng;
use fdvjp::fd::{self, last_report, Options, Scheme, Sparsity, Threaded};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Family {
    Log,
    Sqrt,
    Inv,
    ExpS,
    ZExp,
    Sin,
}

const N: usize = 3;

impl Family {
    /// g(x), g'(x) and the derivative's natural size at scale `s`.
    fn at(self, x: f64, s: f64) -> (f64, f64, f64) {
        let z = x / s;
        match self {
            Family::Log => (x.ln(), 1.0 / x, 1.0 / x.abs()),
            Family::Sqrt => (x.sqrt(), 0.5 / x.sqrt(), 0.5 / x.sqrt()),
            Family::Inv => (1.0 / x, -1.0 / (x * x), 1.0 / (x * x)),
            Family::ExpS => (z.exp(), z.exp() / s, z.exp() / s),
            Family::ZExp => (z * (-z).exp(), (1.0 - z) * (-z).exp() / s, (-z).exp() / s),
            Family::Sin => (x.sin(), x.cos(), 1.0),
        }
    }
}

/// f, its exact Jacobian and the natural size of each entry (row-major, m×N).
fn eval(fam: Family, dense: bool, s: f64, x: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let w = [0.5, -1.5, 2.0];
    let m = if dense { 2 } else { N };
    let (mut y, mut jac, mut size) = (vec![0.0; m], vec![0.0; m * N], vec![0.0; m * N]);
    for c in 0..N {
        let (g, d, sz) = fam.at(x[c], s);
        if dense {
            y[0] += g;
            y[1] += w[c] * g;
            (jac[c], jac[N + c]) = (d, w[c] * d);
            (size[c], size[N + c]) = (sz, w[c].abs() * sz);
        } else {
            y[c] = g;
            jac[c * N + c] = d;
            size[c * N + c] = sz;
        }
    }
    (y, jac, size)
}

fn tolerance(scheme: Scheme, fam: Family, s: f64) -> f64 {
    let gap = (1e-3..=1e-1).contains(&s) || (fam == Family::Sin && s == 1e3);
    match (scheme, gap) {
        (Scheme::Central4, false) => 3e-8,
        (Scheme::Central4, true) => 3e-4,
        (_, false) => 2e-6,
        (_, true) => 3e-5,
    }
}

#[derive(Default)]
struct Tally {
    entries: usize,
    off: usize,
    uncovered: usize,
    loud: usize,
    unbounded: usize,
    unrefined: usize,
    worst: std::collections::BTreeMap<String, (f64, usize, usize)>,
}

impl Tally {
    /// Records one call's result against `exact` with sizes `size` (per entry).
    fn check(
        &mut self,
        key: String,
        got: Result<Vec<f64>, fd::FdError>,
        exact: &[f64],
        size: &[f64],
        tol: f64,
    ) {
        self.entries += exact.len();
        let Ok(got) = got else {
            self.loud += exact.len();
            return;
        };
        let bound = last_report().error_bound;
        let slot = self.worst.entry(key.clone()).or_insert((0.0, 0, 0));
        for ((g, e), sz) in got.iter().zip(exact).zip(size) {
            if !g.is_finite() {
                self.loud += 1;
                continue;
            }
            let err = (g - e).abs();
            let rel = if *sz > 0.0 { err / sz } else { err };
            slot.0 = slot.0.max(rel);
            let asserted = !(key.ends_with("jvp") || key.ends_with("diagonal"));
            if rel > tol && (bound.is_nan() || err > bound + 2e-15 * e.abs()) && !asserted {
                self.unrefined += 1;
            } else if rel > tol && (bound.is_nan() || err > bound + 2e-15 * e.abs()) {
                if std::env::var("SHOW").is_ok_and(|k| key.contains(&k)) {
                    println!("{key}: got {g:e} exact {e:e} rel {rel:.2e} bound {bound:e}");
                }
                self.off += 1;
                slot.1 += 1;
            }
            if bound.is_nan() {
                self.unbounded += 1;
            } else if err > bound + 2e-15 * e.abs() {
                self.uncovered += 1;
                slot.2 += 1;
            }
        }
    }
}

#[test]
fn non_central_schemes_are_right_or_honest_on_badly_scaled_inputs() {
    let mut rng = Rng::new(0x5c4e);
    let mut t = Tally::default();
    let diagonal = Sparsity::new(&[0, 1, 2], &[0, 1, 2]).unwrap();
    let families = [
        Family::Log,
        Family::Sqrt,
        Family::Inv,
        Family::ExpS,
        Family::ZExp,
        Family::Sin,
    ];
    for e in -12..=12 {
        let s = 10f64.powi(e);
        for fam in families {
            if fam == Family::Sin && !(1e3..=1e10).contains(&s) {
                continue;
            }
            for point in 0..4 {
                let dense = point % 2 == 1;
                let x: Vec<f64> = (0..N).map(|_| s * (0.1 + 3.9 * rng.uniform())).collect();
                let (_, jac, size) = eval(fam, dense, s, &x);
                let m = jac.len() / N;
                let f = move |x: &[f64], y: &mut [f64]| -> Result<(), i32> {
                    y.copy_from_slice(&eval(fam, dense, s, x).0);
                    Ok(())
                };
                let v: Vec<f64> = (0..m).map(|_| 2.0 * rng.uniform() - 1.0).collect();
                let u: Vec<f64> = (0..N).map(|_| 2.0 * rng.uniform() - 1.0).collect();
                let vjp: Vec<f64> = (0..N)
                    .map(|c| (0..m).map(|i| v[i] * jac[i * N + c]).sum())
                    .collect();
                let vjp_size: Vec<f64> = (0..N)
                    .map(|c| (0..m).map(|i| (v[i] * size[i * N + c]).abs()).sum())
                    .collect();
                let jvp: Vec<f64> = (0..m)
                    .map(|i| (0..N).map(|c| jac[i * N + c] * u[c]).sum())
                    .collect();
                let jvp_size: Vec<f64> = (0..m)
                    .map(|i| (0..N).map(|c| (size[i * N + c] * u[c]).abs()).sum())
                    .collect();
                // Entries that are structurally 0 have size 0: judged in absolute terms
                // against the row's size.
                let jac_size: Vec<f64> = (0..m * N)
                    .map(|k| {
                        let row = &size[(k / N) * N..(k / N + 1) * N];
                        size[k].max(row.iter().fold(0.0f64, |a, &b| a.max(b)))
                    })
                    .collect();
                for scheme in [Scheme::Forward, Scheme::Backward, Scheme::Central4] {
                    let mut o = Options::new();
                    o.set_scheme(scheme);
                    let tol = tolerance(scheme, fam, s);
                    let key = |op: &str| format!("{scheme:?} {fam:?} {s:e} {op}");
                    if std::env::var("SHOW").is_ok_and(|k| key("jacobian").contains(&k)) {
                        println!("x = {x:?} dense {dense}");
                    }
                    t.check(key("vjp"), fd::vjp(&f, &x, &v, &o), &vjp, &vjp_size, tol);
                    t.check(key("jvp"), fd::jvp(&f, &x, m, &u, &o), &jvp, &jvp_size, tol);
                    t.check(
                        key("jacobian"),
                        fd::jacobian(&f, &x, m, &o),
                        &jac,
                        &jac_size,
                        tol,
                    );
                    let threaded = Threaded::new(&f, 2);
                    let mut batched = o.clone();
                    batched.set_batch(4).unwrap();
                    let got = fd::jacobian(&threaded, &x, m, &batched);
                    t.check(key("batched"), got, &jac, &jac_size, tol);
                    if !dense {
                        o.set_sparsity(Some(diagonal.clone()));
                        let got = fd::jacobian(&f, &x, m, &o);
                        t.check(key("diagonal"), got, &jac, &jac_size, tol);
                    }
                }
            }
        }
    }
    let mut failing = 0;
    for (k, (w, off, unc)) in &t.worst {
        if *off > 0 || *unc > 0 {
            failing += 1;
            println!("{k}: worst {w:.2e}, {off} beyond tolerance, {unc} uncovered");
        }
    }
    println!(
        "{} entries: {} beyond tolerance without a covering bound ({} more along JVP directions \
         and column groups, not refined), {} uncovered, {} unbounded (NaN), {} loud; {} failing cases",
        t.entries, t.off, t.unrefined, t.uncovered, t.unbounded, t.loud, failing
    );
    assert!(
        t.off == 0 && t.uncovered == 0,
        "{} entries beyond tolerance without a covering bound, {} uncovered",
        t.off,
        t.uncovered
    );
}

/// Forward and backward far above typ_j (`|x_j| > 1e3 typ_j`) where the extrapolation's
/// levels do not converge or see only rounding: a finite bound must cover. f is a weighted
/// sum of `sin(x_j)` at `|x_j| = S u`, u in [0.5, 2], S = 1e11, 1e12 (below 2.8e12, where
/// the levels resolve the scale 1), or a product of 30 factors `1 + 0.5 c_j atan(x_j)`
/// (`c_j` in [0.5, 1.5]) at S = 1e3..1e7. VJP and Jacobian.
///
/// sin: no entry may be uncovered. Before (scheme10's plain-step check,
/// `far_above::or_plain`, taking the aliased plain value with its own bound where the
/// extrapolation had none): about 2e-5 for cos x near 1 with bounds 0.5 to 1; main keeps the
/// extrapolation without a bound. The product: a factor near 0 makes f's rounding exceed
/// the `eps |f|` every bound assumes (the extrapolation's on main too), so its misses are
/// capped, not forbidden: at most [`PRODUCT_MISSES`] entries, none more than twice its bound
/// (scheme10: 1.1e-3 relative off with bounds 33 times too small).
#[test]
fn far_above_bounds_cover_where_the_levels_do_not_converge() {
    let mut rng = Rng::new(0xfa4a);
    let (mut calls, mut bounded) = (0usize, 0usize);
    let (mut sin_misses, mut product_misses, mut worst) = (Vec::new(), 0usize, 0.0f64);
    let families = [
        (true, &[1e3, 1e4, 1e5, 1e6, 1e7][..]),
        (false, &[1e11, 1e12][..]),
    ];
    for (product, scales) in families {
        for &s in scales {
            for _ in 0..6 {
                let n = if product { 30 } else { 8 };
                let c: Vec<f64> = (0..n).map(|_| 0.5 + rng.uniform()).collect();
                let x: Vec<f64> = (0..n)
                    .map(|_| {
                        let sign = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
                        sign * s * (0.5 + 1.5 * rng.uniform())
                    })
                    .collect();
                let factor = |c: f64, x: f64| 1.0 + 0.5 * c * x.atan();
                let cc = c.clone();
                let f = move |x: &[f64], y: &mut [f64]| -> Result<(), i32> {
                    y[0] = if product {
                        x.iter().zip(&cc).map(|(x, c)| factor(*c, *x)).product()
                    } else {
                        x.iter().zip(&cc).map(|(x, c)| c * x.sin()).sum()
                    };
                    Ok(())
                };
                let exact: Vec<f64> = (0..n)
                    .map(|j| {
                        if !product {
                            return c[j] * x[j].cos();
                        }
                        let others: f64 = (0..n)
                            .filter(|&k| k != j)
                            .map(|k| factor(c[k], x[k]))
                            .product();
                        0.5 * c[j] / (1.0 + x[j] * x[j]) * others
                    })
                    .collect();
                for scheme in [Scheme::Forward, Scheme::Backward] {
                    let mut o = Options::new();
                    o.set_scheme(scheme);
                    for (op, got) in [
                        ("vjp", fd::vjp(&f, &x, &[1.0], &o)),
                        ("jacobian", fd::jacobian(&f, &x, 1, &o)),
                    ] {
                        let got = got.expect("a smooth f");
                        let bound = last_report().error_bound;
                        calls += 1;
                        if bound.is_nan() {
                            continue;
                        }
                        bounded += 1;
                        for (j, (g, e)) in got.iter().zip(&exact).enumerate() {
                            let err = (g - e).abs();
                            if err <= bound + 2e-15 * e.abs() {
                                continue;
                            }
                            let line = format!(
                                "{scheme:?} {op} S {s:e} x_{j} = {}: got {g:e} exact {e:e} \
                                 bound {bound:e}",
                                x[j]
                            );
                            println!("{line}");
                            if product {
                                product_misses += 1;
                                worst = worst.max(err / bound);
                            } else {
                                sin_misses.push(line);
                            }
                        }
                    }
                }
            }
        }
    }
    println!(
        "{calls} calls, {bounded} bounded; uncovered entries: sin {}, product {product_misses} \
         (worst {worst:.3} times its bound)",
        sin_misses.len()
    );
    assert!(sin_misses.is_empty(), "sin: {}", sin_misses.join("\n"));
    assert!(
        product_misses <= PRODUCT_MISSES && worst <= 2.0,
        "product: {product_misses} uncovered, worst {worst} times its bound"
    );
}

/// See [`far_above_bounds_cover_where_the_levels_do_not_converge`].
const PRODUCT_MISSES: usize = 4;
