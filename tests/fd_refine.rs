//! Accurate by default (issue 11 item 1) and noisy black boxes (issue 16): the plain step
//! refined only where the stencil's own evidence says so.
//!
//! Badly scaled functions (no typical magnitudes set): sums of 40 terms `g(x_j)` at points
//! spread over the stated ranges; the VJP with v = 1 is the vector of `g'(x_j)`, compared
//! entry by entry with the exact derivative. Well-scaled smooth functions: bit for bit the
//! plain rule's result, and exactly its evaluation count.

use crate::common;

use common::badly_scaled::{log_uniform, Scalar, BADLY_SCALED};
use common::smooth::{smooth, Smooth};
use common::Rng;
use fdvjp::fd::{self, last_report, NoiseMode, Options, Scheme};
use proptest::prelude::*;
use std::cell::Cell;

const N: usize = 40;

/// The largest relative error of the default VJP of `sum g(x_j)`, its evaluations and
/// the report's refined-column counts.
fn default_vjp(g: Scalar, dg: Scalar, x: &[f64], opts: &Options) -> (f64, usize, usize) {
    let count = Cell::new(0usize);
    let f = |x: &[f64], y: &mut [f64]| {
        count.set(count.get() + 1);
        y[0] = x.iter().map(|&xj| g(xj)).sum();
        Ok(())
    };
    let grad = fd::vjp(&f, x, &[1.0], opts).unwrap();
    let r = last_report();
    assert!(r.completed);
    assert_eq!(r.evaluations, count.get());
    let err = grad
        .iter()
        .zip(x)
        .map(|(g, &xj)| ((g - dg(xj)) / dg(xj)).abs())
        .fold(0.0, f64::max);
    (err, count.get(), r.refined_large + r.refined_rounding)
}

/// Goal table of issue 11: default central VJP, no typical magnitudes. Before this change
/// the errors were 0.3 to 1 (log, sqrt, 1/x, exp, sin) and 6e-3 (cos).
#[test]
fn badly_scaled_functions_meet_the_default_goals() {
    for (k, &(name, g, dg, low, high, tol)) in BADLY_SCALED.iter().enumerate() {
        let x = log_uniform(100 + k as u64, N, low, high);
        let (err, evals, refined) = default_vjp(g, dg, &x, &Options::new());
        assert!(err <= tol, "{name}: error {err:e} > {tol:e}");
        let extra = evals - (1 + 2 * N);
        if name != "sin large" && name != "cos small" {
            assert!(extra <= 4 * N, "{name}: {extra} extra evaluations");
        }
        println!("{name}: error {err:.1e}, {refined} columns refined, {extra} extra evaluations");
    }
}

/// Forward and backward differences on the log/sqrt/1/x cases: <= 1e-5.
#[test]
fn one_sided_schemes_meet_their_goal() {
    for scheme in [Scheme::Forward, Scheme::Backward] {
        let mut opts = Options::new();
        opts.set_scheme(scheme);
        for (k, &(name, g, dg, low, high, _)) in BADLY_SCALED[..4].iter().enumerate() {
            let x = log_uniform(200 + k as u64, N, low, high);
            let (err, _, _) = default_vjp(g, dg, &x, &opts);
            assert!(err <= 1e-5, "{scheme:?} {name}: error {err:e}");
        }
    }
}

/// The plain rule computed here, with the library's arithmetic: `h = r max(|x_j|, 1)`
/// made exact, `(-0.5 (f(x-h) - f(x)) + 0.5 (f(x+h) - f(x))) / h`.
fn plain_column(s: &Smooth, x: &[f64], j: usize) -> Vec<f64> {
    let r = Scheme::Central.default_relative_step();
    let h = r * x[j].abs().max(1.0);
    let t = (x[j] + h) - x[j];
    let mut y0 = vec![0.0; s.m];
    s.eval(x, &mut y0);
    let mut xp = x.to_vec();
    let (mut lo, mut hi) = (vec![0.0; s.m], vec![0.0; s.m]);
    xp[j] = x[j] - t;
    s.eval(&xp, &mut lo);
    xp[j] = x[j] + t;
    s.eval(&xp, &mut hi);
    (0..s.m)
        .map(|i| {
            let mut d = 0.0;
            d += -0.5 * (lo[i] - y0[i]);
            d += 0.5 * (hi[i] - y0[i]);
            d / t
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Well scaled and exact: the same values bit for bit (the VJP's product with v to its
    /// rounding for 4 outputs or more) and exactly 1 + 2n evaluations, in every noise mode;
    /// nothing refined.
    #[test]
    fn well_scaled_functions_are_unchanged((s, x, v) in smooth(8, 5, 0.01)) {
        let n = s.n;
        for mode in [NoiseMode::Auto, NoiseMode::Off] {
            let mut opts = Options::new();
            opts.set_noise_mode(mode);
            let count = Cell::new(0usize);
            let f = s.counted(&count);
            let jac = fd::jacobian(&f, &x, s.m, &opts).unwrap();
            prop_assert_eq!(count.get(), 1 + 2 * n);
            let r = last_report();
            prop_assert_eq!(r.refined_large + r.refined_rounding + r.refined_noise, 0);
            prop_assert!(r.error_bound.is_finite());
            count.set(0);
            let grad = fd::vjp(&f, &x, &v, &opts).unwrap();
            prop_assert_eq!(count.get(), 1 + 2 * n);
            for j in 0..n {
                let col = plain_column(&s, &x, j);
                for i in 0..s.m {
                    prop_assert_eq!(jac[i * n + j].to_bits(), col[i].to_bits());
                }
                let dot = col.iter().zip(&v).map(|(d, vi)| d * vi).sum::<f64>();
                if s.m < 4 {
                    prop_assert_eq!(grad[j].to_bits(), dot.to_bits());
                } else {
                    // Summed in lanes (`src/fd/fused/product.rs`): within the rounding of
                    // a sum of m terms.
                    let size = col.iter().zip(&v).map(|(d, vi)| (d * vi).abs()).sum::<f64>();
                    let tol = 2.0 * (s.m as f64 + 2.0) * f64::EPSILON * size;
                    prop_assert!((grad[j] - dot).abs() <= tol, "{:e} against {:e}", grad[j], dot);
                }
            }
        }
    }
}

/// Results do not depend on batching or threads, refined columns included.
#[test]
fn refined_results_are_the_same_in_batches_and_threads() {
    let x = log_uniform(7, N, 1e-8, 1e-4);
    let f = |x: &[f64], y: &mut [f64]| {
        y[0] = x.iter().map(|&xj| xj.ln()).sum();
        y[1] = x.iter().map(|&xj| (1e5 * xj).exp()).sum();
        Ok(())
    };
    let v = [1.0, -0.5];
    let serial = fd::vjp(&f, &x, &v, &Options::new()).unwrap();
    for batch in [3, 16, 100] {
        let mut opts = Options::new();
        opts.set_batch(batch).unwrap();
        let batched = fd::vjp(&f, &x, &v, &opts).unwrap();
        let threaded = fd::vjp(&fd::Threaded::new(&f, 3), &x, &v, &opts).unwrap();
        for j in 0..x.len() {
            assert_eq!(
                serial[j].to_bits(),
                batched[j].to_bits(),
                "batch {batch} column {j}"
            );
            assert_eq!(
                serial[j].to_bits(),
                threaded[j].to_bits(),
                "threads column {j}"
            );
        }
    }
}

/// Issue 11 item 3: Richardson estimates start from a step that suits f. sin at 1e4..1e5:
/// the tableau from max(|x|, 1)/8 (1250 and more) spans periods of sin and was off by
/// 100%; now within 1e-10, and the estimate covers the true error.
#[test]
fn estimates_on_sin_at_large_x() {
    let mut rng = Rng::new(31);
    let x: Vec<f64> = (0..20).map(|_| 1e4 + 9e4 * rng.uniform()).collect();
    let f = |x: &[f64], y: &mut [f64]| {
        y[0] = x.iter().map(|v| v.sin()).sum();
        Ok(())
    };
    let e = fd::vjp_estimate(&f, &x, &[1.0], &Options::new()).unwrap();
    for (j, &xj) in x.iter().enumerate() {
        let want = xj.cos();
        let err = (e.value[j] - want).abs();
        assert!(err <= 1e-10, "x = {xj}: error {err:e}");
        assert!(
            e.error[j] >= err,
            "x = {xj}: estimate {:e} < error {err:e}",
            e.error[j]
        );
    }
}

/// Issue 11 item 3: the adaptive scan respects a domain edge at 0 as the default does:
/// sums of 40 logs at 1e-9..1e-7 and 40 square roots at 1e-9..1e-6 (before: 1.3e-3 and
/// 4.3e-4 relative).
#[test]
fn adaptive_steps_respect_a_domain_edge() {
    let mut opts = Options::new();
    opts.set_adaptive(true);
    let cases: [(&str, Scalar, Scalar, f64, f64); 2] = [
        ("log", f64::ln, |x| 1.0 / x, 1e-9, 1e-7),
        ("sqrt", f64::sqrt, |x| 0.5 / x.sqrt(), 1e-9, 1e-6),
    ];
    for (k, (name, g, dg, low, high)) in cases.into_iter().enumerate() {
        let x = log_uniform(300 + k as u64, N, low, high);
        let (err, _, _) = default_vjp(g, dg, &x, &opts);
        assert!(err <= 1e-7, "{name}: error {err:e}");
    }
}

/// The tape fuzz target's known failure (issue 11): `y_i = sum_j sin((i + 1) z_j / 2 + j)`
/// (n = 12, m = 7) at `z = tanh([-1e-9, -1.140625, 1.734375, 1.734375] x 3)` with v = 1.
/// Columns at -1e-9 are suspect a priori (the plain step 6e-6 is larger than |z_j|); the
/// refined steps 6e-15 and 3e-15 see only the rounding of sums of sines of size 1 whose
/// value is near 0 (rounding far above 64 eps |y_i|), and the two levels agreed by chance
/// on some outputs. The refined value won there: entries 8e-2 and 1.1e-2 off (the tape's
/// gradient 2.903 instead of 2.812) with `FDVJP_OK`. Now the refined value must beat the
/// rounding the levels show; the plain value, right to 1e-10, is kept. Tolerance 1e-8 of
/// `sum_i (i + 1) / 2` (= 14, the size of each entry's terms).
#[test]
fn a_sum_of_sines_near_zero_keeps_its_plain_value() {
    for n in (1..=40).map(|k| 4 * k) {
        sum_of_sines_near_zero(n);
    }
}

/// The tape fuzz inputs `refinement-gradient-3pct-off` (n = 12) and
/// `refinement-gradient-5x-off` (n = 44): an opaque node on copies of
/// tanh([-1e-9, -1.140625, 1.734375, 1.734375]).
fn sum_of_sines_near_zero(n: usize) {
    let base = [-1e-9f64, -1.140625, 1.734375, 1.734375];
    let z: Vec<f64> = (0..n).map(|k| base[k % 4].tanh()).collect();
    let m = 7;
    let f = |x: &[f64], y: &mut [f64]| {
        for (i, yi) in y.iter_mut().enumerate() {
            let c = 0.5 * (i + 1) as f64;
            *yi = x
                .iter()
                .enumerate()
                .map(|(j, &xj)| (c * xj + j as f64).sin())
                .sum();
        }
        Ok(())
    };
    let grad = fd::vjp(&f, &z, &vec![1.0; m], &Options::new()).unwrap();
    let report = last_report();
    let scale: f64 = (0..m).map(|i| 0.5 * (i + 1) as f64).sum();
    // Useful as well as honest: refined levels that see only f's rounding grid once left
    // bounds of 10 to 180 here; one step between them confirms the plain value.
    assert!(
        report.error_bound <= 1e-3 * scale,
        "n = {n}: bound {:e}",
        report.error_bound
    );
    for (j, &zj) in z.iter().enumerate() {
        let exact: f64 = (0..m)
            .map(|i| {
                let c = 0.5 * (i + 1) as f64;
                c * (c * zj + j as f64).cos()
            })
            .sum();
        let err = (grad[j] - exact).abs();
        assert!(
            err <= 1e-8 * scale,
            "n = {n}, column {j}: {} vs {exact}",
            grad[j]
        );
        assert!(
            err <= report.error_bound,
            "column {j}: bound {:e}",
            report.error_bound
        );
    }
}

/// One term of [`Mixed`]: `a g(x_j / s_j)` with `g` sin(b u + c), exp(b u), log|u|, or the
/// product `u (x_k / s_k)` with the next column k.
#[derive(Debug, Clone, Copy)]
struct Term {
    kind: u8,
    a: f64,
    b: f64,
    c: f64,
}

/// Functions of the tape fuzz target's kind at random scales: `y_i = sum_j term_ij`, the
/// column j at `x_j = s_j u_j` (`|u_j|` in [0.25, 2]) varying on the scale `sigma_j`: its
/// own (`sigma_j = s_j`, s_j from 1e-12 to 1e8: log, sqrt-like, exp(1e6 x) cases) or the
/// default typical magnitude (`sigma_j = 1`, s_j from 1e-12 to 1: the sum of sines near 0).
#[derive(Debug, Clone)]
struct Mixed {
    n: usize,
    m: usize,
    terms: Vec<Term>,
    sigma: Vec<f64>,
}

impl Mixed {
    fn u(&self, x: &[f64], j: usize) -> f64 {
        x[j] / self.sigma[j]
    }

    /// `(term, d term / d x_j)` of output i, column j.
    fn term(&self, x: &[f64], i: usize, j: usize) -> (f64, f64) {
        let Term { kind, a, b, c } = self.terms[i * self.n + j];
        let (u, s) = (self.u(x, j), self.sigma[j]);
        match kind {
            0 => (a * (b * u + c).sin(), a * b * (b * u + c).cos() / s),
            1 => (a * (b * u).exp(), a * b * (b * u).exp() / s),
            2 => (a * u.abs().ln(), a / x[j]),
            _ => {
                let w = self.u(x, (j + 1) % self.n);
                (a * u * w, a * w / s)
            }
        }
    }

    fn eval(&self, x: &[f64], y: &mut [f64]) {
        for (i, yi) in y.iter_mut().enumerate() {
            *yi = (0..self.n).map(|j| self.term(x, i, j).0).sum();
        }
    }

    /// The exact VJP (the product term also depends on the previous column) and, per
    /// entry, the size of what the central difference can resolve: the terms' rounding
    /// over the column's scale and the sizes of the derivatives summed.
    fn vjp(&self, x: &[f64], v: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let n = self.n;
        let mut g = vec![0.0; n];
        let mut size = vec![0.0; n];
        for (i, &vi) in v.iter().enumerate().take(self.m) {
            let terms: f64 = (0..n).map(|j| self.term(x, i, j).0.abs()).sum();
            for j in 0..n {
                let (_, d) = self.term(x, i, j);
                g[j] += vi * d;
                size[j] += vi.abs() * (d.abs() + (1.0 + terms) / self.sigma[j]);
                let prev = (j + n - 1) % n;
                let t = self.terms[i * n + prev];
                if t.kind == 3 {
                    // d/dx_j of a u_prev (x_j / s_j)
                    let dp = t.a * self.u(x, prev) / self.sigma[j];
                    g[j] += vi * dp;
                    size[j] += vi.abs() * dp.abs();
                }
            }
        }
        (g, size)
    }
}

fn mixed() -> impl Strategy<Value = (Mixed, Vec<f64>, Vec<f64>)> {
    (1usize..6, 1usize..5).prop_flat_map(|(n, m)| {
        (
            prop::collection::vec((0u8..4, 0.2..3.0f64, -1.0..1.0f64, -3.0..3.0f64), n * m),
            prop::collection::vec(
                (any::<bool>(), -12.0..8.0f64, 0.25..2.0f64, any::<bool>()),
                n,
            ),
            prop::collection::vec(-1.0..1.0f64, m),
        )
            .prop_map(move |(terms, cols, v)| {
                let terms = terms
                    .into_iter()
                    .map(|(kind, a, b, c)| Term { kind, a, b, c })
                    .collect();
                let mut sigma = Vec::new();
                let mut x = Vec::new();
                for (own, k, u, neg) in cols {
                    // The typical-magnitude scale only below 1 (above, the plain rule's
                    // step r |x_j| is too large for f by design: a step rule, not a bug).
                    // Own scales between r and 1e-2 are left out: the plain step (r) is
                    // then larger than f's scale but not than x_j, and at an inflection
                    // point of f (D2 = 0) three points cannot see it; a column with
                    // |x_j| < 1e-2 is then checked at its own scale, which
                    // tests/fd_refine_own_scale.rs tests (here |x_j| reaches 2 s_j).
                    let k = if own && k > -5.2 && k < -2.0 {
                        k - 7.0
                    } else {
                        k
                    };
                    let s = if own {
                        10f64.powf(k)
                    } else {
                        10f64.powf(k.min(0.0))
                    };
                    sigma.push(if own { s } else { 1.0 });
                    x.push(if neg { -s * u } else { s * u });
                }
                (Mixed { n, m, terms, sigma }, x, v)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// The default central VJP of random sums of sines, exponentials, logs and products at
    /// random scales: each entry within 1e-6 of what a central difference can resolve
    /// (the derivative's size plus the terms' rounding over the column's scale), and
    /// within the reported error bound or 1e-7 of that size when there is a bound (three
    /// points cannot bound the truncation at an inflection point of f, so the bound alone
    /// is not asserted).
    #[test]
    fn mixed_scales_meet_their_tolerance_and_bound((s, x, v) in mixed()) {
        let f = |x: &[f64], y: &mut [f64]| {
            s.eval(x, y);
            Ok(())
        };
        let grad = fd::vjp(&f, &x, &v, &Options::new()).unwrap();
        let bound = last_report().error_bound;
        let (exact, size) = s.vjp(&x, &v);
        for j in 0..s.n {
            let err = (grad[j] - exact[j]).abs();
            prop_assert!(err <= 1e-6 * size[j], "x[{}] = {:e}: {} vs {} (size {:e})", j, x[j], grad[j], exact[j], size[j]);
            // NaN: no estimate (the fall-back after a non-finite value gives none).
            prop_assert!(bound.is_nan() || err <= bound.max(1e-7 * size[j]), "x[{}] = {:e}: error {:e} > bound {:e}", j, x[j], err, bound);
        }
    }
}
