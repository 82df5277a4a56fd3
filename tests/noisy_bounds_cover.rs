//! Issue 16 item 3, "say it": on noisy black boxes the report's `error_bound` covers every
//! entry's true error (or is NaN, unbounded), over the three kinds of noise of
//! `tests/common/noisy.rs` (hash noise on smooth sums, an adaptive ODE integrator at a
//! tolerance, a Jacobi solver stopped at a tolerance), through the dense and sparse VJP,
//! the JVP and the Jacobian, with central, forward and backward differences.
//!
//! An entry is uncovered when `|error| > bound + 2e-15 |exact|`. The default (nothing
//! declared) is checked from hash noise of 3.2e-11 on, where its second differences can
//! show the noise (below, noise and curvature give three points the same second difference:
//! `noise.rs`, `widen_bound`); `NoiseMode::Estimate` at every level from 1e-12.
//!
//! Reference: the exact derivative of the smooth part (hash noise), of the computed map
//! (forward mode through the solver's decisions). Figures with `--nocapture`.

use crate::common;

use common::noisy::{self, Dual};
use common::Rng;
use fdvjp::fd::{self, last_report, NoiseMode, Options, Scheme, Sparsity};

/// Deterministic noise in [-1, 1) for output `i` of `x`.
fn hash_i(x: &[f64], i: usize) -> f64 {
    common::noisy::hash_output(0x6a09_e667_f3bc_c908, x, i)
}

/// A black box's function.
type BlackBox = Box<dyn Fn(&[f64], &mut [f64])>;

/// A black box: n inputs, m outputs, its function and the exact Jacobian (row-major).
struct Case {
    n: usize,
    m: usize,
    f: BlackBox,
    jac: Vec<f64>,
    /// The declared pattern of a sparse case.
    pattern: Option<Sparsity>,
}

/// A point in [-1, 1)^n with 0 to 3 elements moved to `±10^u`, u in [lo, -2).
fn point(rng: &mut Rng, n: usize, lo: f64) -> Vec<f64> {
    let mut x: Vec<f64> = rng.uniforms(n).into_iter().map(|u| 2.0 * u - 1.0).collect();
    let small = (rng.uniform() * 4.0) as usize;
    for _ in 0..small {
        let j = (rng.uniform() * n as f64) as usize;
        let sign = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
        x[j] = sign * 10f64.powf(lo + (-2.0 - lo) * rng.uniform());
    }
    x
}

/// Hash noise ε on the sum of sines (`noisy::smooth_sum`).
fn sines(x: Vec<f64>, eps: f64) -> (Case, Vec<f64>) {
    let jac = noisy::gradient(noisy::smooth_sum, &x);
    let f = move |x: &[f64], y: &mut [f64]| y[0] = noisy::hash_noisy(x, eps);
    let n = x.len();
    (case(n, 1, f, jac, None), x)
}

/// Hash noise ε on `sum_j cos(x_j)`, every element at `±10^u`, u in [-9, -7): the step
/// grows where rounding swamps f' (`refine/grow.rs`).
fn cosines(rng: &mut Rng, n: usize, eps: f64) -> (Case, Vec<f64>) {
    let x: Vec<f64> = (0..n)
        .map(|_| {
            let sign = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
            sign * 10f64.powf(-9.0 + 2.0 * rng.uniform())
        })
        .collect();
    let jac = x.iter().map(|v| -v.sin()).collect();
    let f = move |x: &[f64], y: &mut [f64]| {
        y[0] = x.iter().map(|v| v.cos()).sum::<f64>() + eps * hash_i(x, 0)
    };
    (case(n, 1, f, jac, None), x)
}

/// `y_i = 2 + 0.5 sin(x_i + 0.3 i) (+ 0.3 sin(x_(i+1)) coupled) + ε hash_i(x)`, its
/// pattern declared.
fn banded(x: Vec<f64>, eps: f64, coupled: bool) -> (Case, Vec<f64>) {
    let n = x.len();
    let (mut rows, mut cols, mut jac) = (Vec::new(), Vec::new(), vec![0.0; n * n]);
    for i in 0..n {
        jac[i * n + i] = 0.5 * (x[i] + 0.3 * i as f64).cos();
        rows.push(i);
        cols.push(i);
        if coupled && i + 1 < n {
            jac[i * n + i + 1] = 0.3 * x[i + 1].cos();
            rows.push(i);
            cols.push(i + 1);
        }
    }
    let f = move |x: &[f64], y: &mut [f64]| {
        for i in 0..x.len() {
            let next = match x.get(i + 1) {
                Some(v) if coupled => 0.3 * v.sin(),
                _ => 0.0,
            };
            y[i] = 2.0 + 0.5 * (x[i] + 0.3 * i as f64).sin() + next + eps * hash_i(x, i);
        }
    };
    let pattern = Sparsity::new(&rows, &cols).unwrap();
    (case(n, n, f, jac, Some(pattern)), x)
}

/// The ODE integrator at tolerance `tol` (n = 6, one output).
fn ode(x: Vec<f64>, tol: f64) -> (Case, Vec<f64>) {
    let jac = noisy::gradient(|x: &[Dual]| noisy::ode_rk23(x, tol).0, &x);
    let f = move |x: &[f64], y: &mut [f64]| y[0] = noisy::ode_rk23(x, tol).0;
    (case(x.len(), 1, f, jac, None), x)
}

/// The Jacobi solver at tolerance `tol` (n = 20, m = 8).
fn jacobi(x: Vec<f64>, tol: f64) -> (Case, Vec<f64>) {
    let (n, m) = (x.len(), noisy::K);
    let mut jac = vec![0.0; m * n];
    for i in 0..m {
        let e: Vec<f64> = (0..m).map(|k| f64::from(u8::from(k == i))).collect();
        let row = noisy::vjp_dual(|x| noisy::solve_jacobi(x, tol, false).0, &x, &e);
        jac[i * n..(i + 1) * n].copy_from_slice(&row);
    }
    let f =
        move |x: &[f64], y: &mut [f64]| y.copy_from_slice(&noisy::solve_jacobi(x, tol, false).0);
    (case(n, m, f, jac, None), x)
}

fn case(
    n: usize,
    m: usize,
    f: impl Fn(&[f64], &mut [f64]) + 'static,
    jac: Vec<f64>,
    pattern: Option<Sparsity>,
) -> Case {
    Case {
        n,
        m,
        f: Box::new(f),
        jac,
        pattern,
    }
}

#[derive(Default)]
struct Tally {
    entries: usize,
    uncovered: usize,
    worst: f64,
}

/// Counts the entries of `got` (against `want`) beyond the last call's bound.
fn count(t: &mut Tally, got: &[f64], want: &[f64], what: &str) {
    let bound = last_report().error_bound;
    if bound.is_nan() {
        return;
    }
    for (g, w) in got.iter().zip(want) {
        t.entries += 1;
        let err = (g - w).abs();
        if err > bound + 2e-15 * w.abs() {
            t.uncovered += 1;
            t.worst = t.worst.max(err / bound);
            println!(
                "uncovered {what}: {err:e} bound {bound:e} ({:?})",
                last_report()
            );
        }
    }
}

/// Every entry point and scheme on `c` at x under `opts`.
fn check(t: &mut Tally, c: &Case, x: &[f64], rng: &mut Rng, opts: &Options, what: &str) {
    let g = |x: &[f64], y: &mut [f64]| {
        (c.f)(x, y);
        Ok(())
    };
    let (n, m) = (c.n, c.m);
    let v: Vec<f64> = rng.uniforms(m).into_iter().map(|u| 2.0 * u - 1.0).collect();
    let u: Vec<f64> = rng.uniforms(n).into_iter().map(|u| 2.0 * u - 1.0).collect();
    let vj: Vec<f64> = (0..n)
        .map(|j| (0..m).map(|i| v[i] * c.jac[i * n + j]).sum())
        .collect();
    let ju: Vec<f64> = (0..m)
        .map(|i| (0..n).map(|j| c.jac[i * n + j] * u[j]).sum())
        .collect();
    for scheme in [Scheme::Central, Scheme::Forward, Scheme::Backward] {
        let mut o = opts.clone();
        o.set_scheme(scheme);
        o.set_sparsity(c.pattern.clone());
        let w = format!("{what} {scheme:?}");
        if let Ok(got) = fd::vjp(&g, x, &v, &o) {
            count(t, &got, &vj, &format!("{w} vjp at {x:?}"));
        }
        if let Ok(got) = fd::jacobian(&g, x, m, &o) {
            count(t, &got, &c.jac, &format!("{w} jacobian at {x:?}"));
        }
        o.set_sparsity(None);
        if let Ok(got) = fd::jvp(&g, x, m, &u, &o) {
            count(t, &got, &ju, &format!("{w} jvp along {u:?} at {x:?}"));
        }
    }
}

/// Hash noise 1e-12..1e-6 (sines with elements down to 1e-9, grown cosines, diagonal and
/// tridiagonal patterns), the ODE at tolerances 1e-10..1e-6 and the Jacobi solver at
/// 1e-10..1e-6, at random points; under the default from 3.2e-11 on and under
/// `NoiseMode::Estimate` at every level.
fn tally(mode: NoiseMode, seed: u64) -> Tally {
    let mut rng = Rng::new(seed);
    let mut opts = Options::new();
    opts.set_noise_mode(mode);
    let mut t = Tally::default();
    let levels = [1e-12, 1e-11, 3.2e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6];
    for eps in levels {
        if mode == NoiseMode::Auto && eps < 3.2e-11 {
            continue;
        }
        let w = format!("{mode:?} eps {eps:e}");
        for _ in 0..4 {
            for n in [8, 20] {
                let (c, x) = sines(point(&mut rng, n, -9.0), eps);
                check(&mut t, &c, &x, &mut rng, &opts, &format!("{w} sines n {n}"));
            }
            let (c, x) = cosines(&mut rng, 8, eps);
            check(&mut t, &c, &x, &mut rng, &opts, &format!("{w} cosines"));
            for coupled in [false, true] {
                let (c, x) = banded(point(&mut rng, 8, -7.0), eps, coupled);
                check(
                    &mut t,
                    &c,
                    &x,
                    &mut rng,
                    &opts,
                    &format!("{w} banded {coupled}"),
                );
            }
        }
    }
    for tol in [1e-10, 1e-8, 1e-6] {
        let w = format!("{mode:?} tol {tol:e}");
        for _ in 0..2 {
            let x: Vec<f64> = rng.uniforms(6).into_iter().map(|u| 2.0 * u - 1.0).collect();
            let (c, x) = ode(x, tol);
            // The integrator's spread is its rounding, 1e-16..2e-15 whatever the
            // tolerance (`tests/noisy_functions.rs`): below what the default can see.
            if mode != NoiseMode::Auto {
                check(&mut t, &c, &x, &mut rng, &opts, &format!("{w} ode"));
            }
            let x: Vec<f64> = rng
                .uniforms(20)
                .into_iter()
                .map(|u| 2.0 * u - 1.0)
                .collect();
            let (c, x) = jacobi(x, tol);
            check(&mut t, &c, &x, &mut rng, &opts, &format!("{w} jacobi"));
        }
    }
    println!(
        "{mode:?}: {} of {} entries uncovered (worst error / bound {:.2})",
        t.uncovered, t.entries, t.worst
    );
    t
}

/// Main before this test (stop 27): 99 of 7,536 entries uncovered, up to 46.7 times (21
/// central: grown cosines whose kept value's estimate read the noise from one low sample;
/// 78 forward and backward). Stop 28's main: 48, all forward and backward grown cosines
/// whose extrapolated one-sided value (`grow_one_sided.rs`, `far_above::extrapolated`) was
/// bound by one sample of its levels' disagreement, up to 7.3 times. Now 0: where the
/// plain stencil's second difference sees the noise, the grown value's bound counts the
/// noise three samples read (`grow_one_sided.rs`, `SEEN_SHARE`), and a value refined at
/// x_j's own scale whose levels' spread reads as noise counts the plain value's
/// one-sample bound 8 times (`refine.rs`, `SPREAD_OF_NOISE`). Not yet the property at
/// every seed: other seeds leave 0 to 8 entries (values refined at x_j's own scale under
/// noise 1e-6, 1e10 off for f' of 1e-8 with bounds a hair short; central grown cosines;
/// unrefined central diagonal columns; central JVPs of sums of sines).
#[test]
fn default_bounds_cover_noise_they_can_see() {
    let t = tally(NoiseMode::Auto, 1601);
    assert_eq!(t.uncovered, 0, "worst {}", t.worst);
}

/// Every entry covered (main too: a guard).
#[test]
fn estimated_noise_bounds_cover_every_level() {
    let t = tally(NoiseMode::Estimate, 1602);
    assert_eq!(t.uncovered, 0, "worst {}", t.worst);
}

/// `NoiseMode::Estimate` with a bound just beside x (probe13 finding 6): hash noise
/// 1e-12..1e-7 on `(sin x0 x1 + log x1, e^-x0 cos x1, x0 x1 x2)` at 300 random points in
/// [0.3, 1.5]^3, one element's lower or upper bound 10^-6..10^-4 away (the estimate's
/// twelve plain steps do not fit on that side), every entry point and scheme, with the
/// `_estimate` drivers' errors too. Stop 28's main left the noise unestimated in 143 of the
/// 300 calls (its points did not fit on either side along their one direction) and the
/// bound blind to it: 525 of 4,500 bounded entries uncovered (worst 5.7e4), and 39 of
/// 2,700 `jacobian_estimate` entries beyond their errors. Now the direction is turned or
/// shortened to fit (`noise.rs`, `turned_inside`): 0, 0 and 0.
#[test]
fn estimated_noise_beside_a_bound_covers() {
    let mut rng = Rng::new(1603);
    let mut t = Tally::default();
    let (mut est_entries, mut est_uncovered, mut unestimated) = (0, 0, 0);
    for k in 0..300 {
        let x: Vec<f64> = rng.uniforms(3).into_iter().map(|u| 0.3 + 1.2 * u).collect();
        let eps = 10f64.powf(-12.0 + 5.0 * rng.uniform());
        let f = move |x: &[f64], y: &mut [f64]| {
            y[0] = (x[0].sin() * x[1] + x[1].ln()) + eps * hash_i(x, 0);
            y[1] = (-x[0]).exp() * x[1].cos() + eps * hash_i(x, 1);
            y[2] = x[0] * x[1] * x[2] + eps * hash_i(x, 2);
        };
        let (a, b, c) = (x[0], x[1], x[2]);
        let jac = vec![
            a.cos() * b,
            a.sin() + 1.0 / b,
            0.0,
            -(-a).exp() * b.cos(),
            -(-a).exp() * b.sin(),
            0.0,
            b * c,
            a * c,
            a * b,
        ];
        let case = Case {
            n: 3,
            m: 3,
            f: Box::new(f),
            jac: jac.clone(),
            pattern: None,
        };
        let j = k % 3;
        let d = 10f64.powf(-6.0 + 2.0 * rng.uniform());
        let (mut lower, mut upper) = (vec![f64::NEG_INFINITY; 3], vec![f64::INFINITY; 3]);
        if rng.uniform() < 0.5 {
            upper[j] = x[j] + d;
        } else {
            lower[j] = x[j] - d;
        }
        let mut opts = Options::new();
        opts.set_noise_mode(NoiseMode::Estimate);
        opts.set_bounds(Some((lower, upper))).unwrap();
        let what = format!("eps {eps:e}, bound {d:e} beside x{j}");
        check(&mut t, &case, &x, &mut rng, &opts, &what);
        let g = |x: &[f64], y: &mut [f64]| {
            (case.f)(x, y);
            Ok(())
        };
        if let Ok(e) = fd::jacobian_estimate(&g, &x, 3, &opts) {
            if last_report().noise_source != fd::NoiseSource::Estimated {
                unestimated += 1;
            }
            for ((v, err), want) in e.value.iter().zip(&e.error).zip(&jac) {
                est_entries += 1;
                if (v - want).abs() > err + 2e-15 * want.abs() {
                    est_uncovered += 1;
                    println!("uncovered estimate {what}: {v} for {want}, err {err:e}");
                }
            }
        }
    }
    println!(
        "beside a bound: {} of {} entries uncovered (worst {:.2}); jacobian_estimate {} of {}, \
         noise not estimated in {} of 300",
        t.uncovered, t.entries, t.worst, est_uncovered, est_entries, unestimated
    );
    assert_eq!(t.uncovered, 0, "worst {}", t.worst);
    assert_eq!(est_uncovered, 0);
    assert_eq!(unestimated, 0);
}
