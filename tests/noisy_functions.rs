//! Issue 16's goals on noisy black boxes of three kinds (`tests/common/noisy.rs`): a smooth
//! sum plus hash noise of levels 1e-12..1e-6; an adaptive-step ODE integrator (RK23 with
//! step control) at tolerances 1e-10..1e-4; a Jacobi solver stopped at a tolerance, in
//! double and in single precision. n = 20, dense central VJP.
//!
//! Reference: the derivative of the computed map (forward mode through the solver, its
//! decisions included), which is the best a difference of the black box can find; the
//! distance to the exact solution's derivative is printed as the solver's own error.
//! "True ε" is the measured spread (`noisy::spread`), ε/√3 for the hash noise; levels
//! below 4 eps |f| (rounding) count as 4 eps |f|, the noise of any double computation.

use crate::common;

use common::noisy::{self, Dual};
use fdvjp::fd::{self, last_report, NoiseMode, NoiseSource, Options, Scheme};
use std::cell::Cell;

const N: usize = 20;

/// f as the tests hold it: `y = f(x)`.
type BlackBox = Box<dyn Fn(&[f64], &mut [f64])>;

/// One black box at one noise level.
struct Case {
    name: String,
    m: usize,
    v: Vec<f64>,
    f: BlackBox,
    /// `v^T J` of the computed map.
    reference: Vec<f64>,
    /// `v^T J` of the exact solution.
    exact: Vec<f64>,
    /// True noise (standard deviation) of `v^T f`.
    eps: f64,
}

fn hash_case(level: f64) -> Case {
    let x = noisy::point(N);
    let g = noisy::gradient(noisy::smooth_sum, &x);
    Case {
        name: format!("hash noise {level:.0e}"),
        m: 1,
        v: vec![1.0],
        f: Box::new(move |x, y| y[0] = noisy::hash_noisy(x, level)),
        reference: g.clone(),
        exact: g,
        eps: level / 3f64.sqrt(),
    }
}

fn ode_case(tol: f64) -> Case {
    let x = noisy::point(N);
    let f = move |x: &[f64], y: &mut [f64]| y[0] = noisy::ode_rk23(x, tol).0;
    let eps = noisy::spread(|x| noisy::ode_rk23(x, tol).0, &x);
    Case {
        name: format!("ODE rk23 tol {tol:.0e}"),
        m: 1,
        v: vec![1.0],
        f: Box::new(f),
        reference: noisy::gradient(|x| noisy::ode_rk23::<Dual>(x, tol).0, &x),
        exact: noisy::gradient(noisy::ode_exact::<Dual>, &x),
        eps,
    }
}

fn solver_case(tol: f64, single: bool) -> Case {
    let x = noisy::point(N);
    let v = noisy::cotangent();
    let w = v.clone();
    let eps = noisy::spread(
        |x| {
            let z = noisy::solve_jacobi(x, tol, single).0;
            z.iter().zip(&w).map(|(z, w)| z * w).sum()
        },
        &x,
    );
    Case {
        name: format!("Jacobi{} tol {tol:.0e}", if single { " f32" } else { "" }),
        m: noisy::K,
        v: v.clone(),
        f: Box::new(move |x, y| y.copy_from_slice(&noisy::solve_jacobi(x, tol, single).0)),
        reference: noisy::vjp_dual(|x| noisy::solve_jacobi(x, tol, single).0, &x, &v),
        exact: noisy::vjp_dual(noisy::solve_exact, &x, &v),
        eps,
    }
}

fn cases() -> Vec<Case> {
    let mut all: Vec<Case> = [1e-12, 1e-10, 1e-8, 1e-6]
        .into_iter()
        .map(hash_case)
        .collect();
    all.extend([1e-10, 1e-8, 1e-6, 1e-4].into_iter().map(ode_case));
    all.extend(
        [1e-10, 1e-8, 1e-6]
            .into_iter()
            .map(|t| solver_case(t, false)),
    );
    all.extend([1e-6].into_iter().map(|t| solver_case(t, true)));
    all
}

/// Max abs error of the VJP against `want`, and evaluations.
fn run(case: &Case, opts: &Options, want: &[f64]) -> (f64, usize) {
    let count = Cell::new(0usize);
    let f = |x: &[f64], y: &mut [f64]| {
        count.set(count.get() + 1);
        (case.f)(x, y);
        Ok(())
    };
    let x = noisy::point(N);
    let g = fd::vjp(&f, &x, &case.v, opts).unwrap();
    let err = g
        .iter()
        .zip(want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    (err, count.get())
}

/// The noise a double computation has anyway: 4 eps |v^T f(x)|.
fn floor(case: &Case) -> f64 {
    let mut y = vec![0.0; case.m];
    (case.f)(&noisy::point(N), &mut y);
    let s: f64 = y.iter().zip(&case.v).map(|(y, v)| (y * v).abs()).sum();
    4.0 * f64::EPSILON * s
}

/// The plain central step, no refinement (the caller chose the relative step).
fn plain() -> Options {
    let mut o = Options::new();
    o.set_relative_step(Some(Scheme::Central.default_relative_step()))
        .unwrap();
    o
}

/// The goals of issue 16, case by case (figures printed with `--nocapture`):
/// - default: at most 2(2n+1)+12 evaluations; where the plain step loses more than 1e-6,
///   within 10 ε^(2/3); elsewhere never worse than the plain step (or within 10 ε^(2/3)).
///   Hash noise 1e-10 loses 1.2e-5 with the plain step; its second differences (~1.6e-10)
///   stay below the refinement's `30 r^2 M` (~5.5e-10) but exceed `6 r^2 M` in more than
///   5 directions and a quarter of them, the weaker trigger (`refine.rs`).
/// - declared ε: within 3 ε^(2/3), at most 2n+1+12 evaluations;
/// - estimate mode: within 10 ε^(2/3), at most 2n+1+12 evaluations, and the estimate
///   within a factor 3 of the true ε when that is above rounding (else below 3 times the
///   rounding floor: no noise reported that is not there).
///
/// The integrator and the double-precision solver are smooth at the scale of the steps
/// (their spread is rounding, 1e-16..2e-15, whatever the tolerance): neither the trigger
/// nor the estimate may change their result, and their distance from the exact
/// solution's derivative is the solver's own (printed).
#[test]
fn goals_on_every_kind_of_noise() {
    let n = N;
    for case in cases() {
        let floor = floor(&case);
        let eps = case.eps.max(floor);
        let best = eps.powf(2.0 / 3.0);
        let gap = case
            .reference
            .iter()
            .zip(&case.exact)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        let (e_plain, _) = run(&case, &plain(), &case.reference);
        let (e_def, n_def) = run(&case, &Options::new(), &case.reference);
        let source = last_report().noise_source;
        let mut declared = Options::new();
        declared.set_noise(Some(vec![eps])).unwrap();
        let (e_dec, n_dec) = run(&case, &declared, &case.reference);
        let mut estimate = Options::new();
        estimate.set_noise_mode(NoiseMode::Estimate);
        let (e_est, n_est) = run(&case, &estimate, &case.reference);
        let r = last_report();
        // The estimated noise of v^T f (outputs' noises independent).
        let noise = r
            .noise
            .iter()
            .zip(&case.v)
            .map(|(e, v)| (e * v).powi(2))
            .sum::<f64>()
            .sqrt();
        println!(
            "{:22} true eps {:.1e} (spread {:.1e}), eps^(2/3) {:.1e} | plain {:.1e} | default {:.1e} ({n_def}, {source:?}) | declared {:.1e} ({n_dec}) | estimate {:.1e} ({n_est}), noise {:.1e} | solver's own error {:.1e}",
            case.name, eps, case.eps, best, e_plain, e_def, e_dec, e_est, noise, gap
        );
        let name = &case.name;
        assert!(n_def <= 2 * (2 * n + 1) + 12, "{name}: {n_def} evaluations");
        if e_plain > 1e-6 {
            assert!(e_def <= 10.0 * best, "{name}: default {e_def:e}");
        } else {
            assert!(
                e_def <= e_plain.max(10.0 * best),
                "{name}: default {e_def:e} > plain {e_plain:e}"
            );
        }
        assert!(e_dec <= 3.0 * best, "{name}: declared {e_dec:e}");
        assert!(n_dec <= 2 * n + 1 + 12, "{name}: {n_dec} evaluations");
        assert!(e_est <= 10.0 * best, "{name}: estimate {e_est:e}");
        assert!(n_est <= 2 * n + 1 + 12, "{name}: {n_est} evaluations");
        assert_eq!(r.noise_source, NoiseSource::Estimated, "{name}");
        if case.eps > floor {
            assert!(
                noise > eps / 3.0 && noise < 3.0 * eps,
                "{name}: estimated {noise:e}, true {eps:e}"
            );
        } else {
            assert!(
                noise < 3.0 * floor,
                "{name}: estimated {noise:e} above rounding"
            );
        }
    }
}

/// Exact functions (the smooth sum, the ODE's closed form, the direct solve) under the
/// default: 2n+1 evaluations, no noise, the plain step's result bit for bit.
#[test]
fn exact_functions_are_unchanged() {
    let v = noisy::cotangent();
    let boxes: Vec<(BlackBox, Vec<f64>)> = vec![
        (Box::new(|x, y| y[0] = noisy::smooth_sum(x)), vec![1.0]),
        (Box::new(|x, y| y[0] = noisy::ode_exact(x)), vec![1.0]),
        (
            Box::new(|x, y| y.copy_from_slice(&noisy::solve_exact(x))),
            v.clone(),
        ),
    ];
    let x = noisy::point(N);
    for (k, (f, v)) in boxes.iter().enumerate() {
        let count = Cell::new(0usize);
        let g = |x: &[f64], y: &mut [f64]| {
            count.set(count.get() + 1);
            f(x, y);
            Ok(())
        };
        let want = fd::vjp(&g, &x, v, &plain()).unwrap();
        count.set(0);
        let got = fd::vjp(&g, &x, v, &Options::new()).unwrap();
        assert_eq!(count.get(), 2 * N + 1, "function {k}");
        assert_eq!(
            last_report().noise_source,
            NoiseSource::None,
            "function {k}"
        );
        for (a, b) in got.iter().zip(&want) {
            assert_eq!(a.to_bits(), b.to_bits(), "function {k}: {a} != {b}");
        }
    }
}

/// Refining a step must never walk down into a function's noise: a column at |x_0| far
/// below its typical magnitude (which the refinement would take to x_0's own scale, a
/// step of 6e-10 where noise 1e-8 costs 10) stays within 10 ε^(2/3) once the noise is
/// declared, estimated, or (n = 20, most columns noisy) noticed by the default.
#[test]
fn refinement_never_walks_into_the_noise() {
    for eps in [1e-10, 1e-8, 1e-6] {
        for x0 in [1e-4, -3e-5, 1e-3] {
            let mut x = noisy::point(N);
            x[0] = x0;
            let f = |x: &[f64]| Ok::<_, i32>(noisy::hash_noisy(x, eps));
            let want = noisy::gradient(noisy::smooth_sum, &x);
            let mut declared = Options::new();
            declared.set_noise(Some(vec![eps])).unwrap();
            let mut estimate = Options::new();
            estimate.set_noise_mode(NoiseMode::Estimate);
            let mut modes = vec![("declared", declared), ("estimate", estimate)];
            // At 1e-10 the default notices the noise only in most realisations (the
            // weaker trigger of `refine.rs`; not at x_0 = 1e-3 here), and then keeps
            // today's refinement.
            if eps >= 1e-9 {
                modes.push(("default", Options::new()));
            }
            for (mode, opts) in modes {
                let g = fd::vjp(
                    &|x: &[f64], y: &mut [f64]| {
                        y[0] = f(x)?;
                        Ok(())
                    },
                    &x,
                    &[1.0],
                    &opts,
                )
                .unwrap();
                let err = (g[0] - want[0]).abs();
                let best = (eps / 3f64.sqrt()).powf(2.0 / 3.0);
                println!(
                    "eps {eps:.0e} x0 {x0:e} {mode}: column 0 error {err:.1e} ({:.1} eps^(2/3))",
                    err / best
                );
                assert!(
                    err <= 10.0 * best,
                    "eps {eps:e}, x0 {x0:e}, {mode}: {err:e}"
                );
            }
        }
    }
}
