//! The step rule and its overrides, read back from the truncation error.
//!
//! With `c = x` (the point itself), `f_j(x) = (x_j - c_j)^p` turns each scheme's estimate
//! of the diagonal into a known function of the step t it took
//! ([`common::step_revealing`]), so the step is recovered to a few ulps and compared with
//! the documented rule `t = (x_j + h_j) - x_j`, `h_j = abs_j` if absolute steps are set,
//! else `r max(|x_j|, typ_j)`. The tolerance 1e-6 (relative) leaves room for the rare
//! perturbed point `x_j - k t` that crosses a power of two and is rounded (by at most
//! ulp(x_j)/t ≤ 1e-9 with the steps used here); distinct rules give steps that differ by
//! far more.

use crate::common;

use common::SCHEMES;
use fdvjp::fd::{self, Options, Scheme};
use proptest::prelude::*;

/// Relative tolerance on a recovered step.
const STEP_TOL: f64 = 1e-6;

/// The steps taken per column, recovered from the Jacobian's diagonal.
fn steps_taken(x: &[f64], opts: &Options) -> Vec<f64> {
    let (p, recover) = common::step_revealing(opts.scheme());
    let c = x.to_vec();
    let f = move |z: &[f64], y: &mut [f64]| {
        for ((yj, zj), cj) in y.iter_mut().zip(z).zip(&c) {
            *yj = (zj - cj).powi(p);
        }
        Ok(())
    };
    let n = x.len();
    let jac = fd::jacobian(&f, x, n, opts).unwrap();
    (0..n).map(|j| recover(jac[j * n + j])).collect()
}

fn assert_steps(x: &[f64], opts: &Options, nominal: impl Fn(usize) -> f64) {
    let taken = steps_taken(x, opts);
    for (j, t) in taken.iter().enumerate() {
        let want = (x[j] + nominal(j)) - x[j];
        assert!(
            ((t - want) / want).abs() <= STEP_TOL,
            "{:?} x[{j}] = {:e}: step {t:e}, want {want:e}",
            opts.scheme(),
            x[j]
        );
    }
}

/// Points with magnitudes 1e-3..1e3 of either sign, so both `|x_j|` and `typ_j` win.
fn points() -> impl Strategy<Value = Vec<f64>> {
    points_from(-3.0)
}

/// Points with magnitudes `10^lo..1e3` of either sign.
fn points_from(lo: f64) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec((lo..3.0f64, any::<bool>()), 1..5).prop_map(|v| {
        v.into_iter()
            .map(|(e, neg)| if neg { -(10f64.powf(e)) } else { 10f64.powf(e) })
            .collect()
    })
}

/// Central default steps: elements above `4 typ_j` brought below it (times `4e-3`).
/// There `(x_j - c_j)^3` at `c_j` is an inflection point whose plain bound cannot cover a
/// shorter scale, and the inflection check (`src/fd/refine/inflection.rs`: size scale
/// below `|x_j| / 4`) rightly refines it to a smaller step.
fn below_inflection_range(scheme: Scheme, x: Vec<f64>, typ: impl Fn(usize) -> f64) -> Vec<f64> {
    if scheme != Scheme::Central {
        return x;
    }
    (0..x.len())
        .map(|j| {
            if x[j].abs() > 4.0 * typ(j) {
                x[j] * 4e-3
            } else {
                x[j]
            }
        })
        .collect()
}

fn magnitudes(n: usize, lo: f64, hi: f64) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(lo..hi, n).prop_map(|e| e.into_iter().map(|e| 10f64.powf(e)).collect())
}

fn scheme() -> impl Strategy<Value = Scheme> {
    prop::sample::select(SCHEMES.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// From `|x_j| = 1e-2`: below `typ_j / 100` a central column that nothing else flags
    /// is checked at its own scale (`src/fd/refine/own_scale.rs`), and `(x_j - c_j)^3` at
    /// `c_j`, an inflection point, rightly takes the smaller step there.
    #[test]
    fn default_step_is_r_times_max_of_x_and_1(scheme in scheme(), x in points_from(-2.0)) {
        let x = below_inflection_range(scheme, x, |_| 1.0);
        let mut opts = Options::new();
        opts.set_scheme(scheme);
        let r = scheme.default_relative_step();
        assert_steps(&x, &opts, |j| r * x[j].abs().max(1.0));
    }

    #[test]
    fn relative_step_replaces_r(scheme in scheme(), x in points(), e in -6.0..-2.0f64) {
        let mut opts = Options::new();
        opts.set_scheme(scheme);
        let r = 10f64.powf(e);
        opts.set_relative_step(Some(r)).unwrap();
        assert_steps(&x, &opts, |j| r * x[j].abs().max(1.0));
    }

    #[test]
    fn typical_magnitudes_replace_1(
        scheme in scheme(),
        (x, ratio) in points().prop_flat_map(|x| { let n = x.len(); (Just(x), magnitudes(n, -2.9, 2.0)) }),
    ) {
        // typ_j within 1e-2..1e2.9 of |x_j|, so either wins; further apart, the column is
        // suspect a priori and refined (tests/fd_refine.rs), which this rule does not cover.
        let typ: Vec<f64> = x.iter().zip(&ratio).map(|(xj, k)| xj.abs() * k).collect();
        let x = below_inflection_range(scheme, x, |j| typ[j]);
        let mut opts = Options::new();
        opts.set_scheme(scheme);
        opts.set_typical(Some(typ.clone())).unwrap();
        let r = scheme.default_relative_step();
        assert_steps(&x, &opts, |j| r * x[j].abs().max(typ[j]));
    }

    /// Absolute steps win over a relative step and typical magnitudes set with them.
    #[test]
    fn absolute_steps_override_the_relative_rule(
        scheme in scheme(),
        (x, rel) in points().prop_flat_map(|x| { let n = x.len(); (Just(x), magnitudes(n, -6.0, -2.0)) }),
    ) {
        let steps: Vec<f64> = x.iter().zip(&rel).map(|(xj, r)| r * xj.abs().max(1.0)).collect();
        let mut opts = Options::new();
        opts.set_scheme(scheme);
        opts.set_relative_step(Some(0.5)).unwrap();
        opts.set_typical(Some(vec![1e3; x.len()])).unwrap();
        opts.set_steps(Some(steps.clone())).unwrap();
        assert_steps(&x, &opts, |j| steps[j]);
    }

    /// The JVP's step along u is `min_j h_j / |u_j|`: with `f = ((x_k - x_k0) / u_k)^2` for
    /// the k that attains the minimum, the forward estimate is exactly that step.
    #[test]
    fn jvp_step_is_the_smallest_h_over_u(
        (x, u) in points().prop_flat_map(|x| {
            let n = x.len();
            (Just(x), prop::collection::vec((0.1..1.0f64, any::<bool>()), n))
        }),
    ) {
        let u: Vec<f64> = u.into_iter().map(|(a, neg)| if neg { -a } else { a }).collect();
        let mut opts = Options::new();
        opts.set_scheme(Scheme::Forward);
        let r = Scheme::Forward.default_relative_step();
        let ratio = |j: usize| r * x[j].abs().max(1.0) / u[j].abs();
        let k = (0..x.len()).min_by(|&a, &b| ratio(a).total_cmp(&ratio(b))).unwrap();
        let (xk, uk) = (x[k], u[k]);
        let f = move |z: &[f64], y: &mut [f64]| {
            y[0] = ((z[k] - xk) / uk).powi(2);
            Ok(())
        };
        let t = fd::jvp(&f, &x, 1, &u, &opts).unwrap()[0];
        let want = ratio(k);
        prop_assert!(((t - want) / want).abs() <= STEP_TOL, "step {t:e}, want {want:e}");
    }
}
