//! Issue 16 goal "the call's own evidence triggers a noise estimate" for calls with one
//! direction: a VJP or Jacobian of a function of one variable, and every JVP. The noise
//! trigger weighs several directions' second differences, so a call with one never met it:
//! its value stayed at the plain step, off by `ε / t` (hundreds of times `ε^(2/3)`), with
//! no bound. Now the direction's check at half its step (`src/fd/refine/lone.rs`) reads
//! second differences that vary as noise's, output by output, estimates the noise along the
//! direction itself (10 evaluations: x and the half stencil's two points lie on the table)
//! and takes the noise step.
//!
//! Functions: `y_i = sin((i + 1) a . x) / (i + 1) + ε h_i(x)` with deterministic hash noise
//! h_i in [-1, 1) (the same x gives the same value, as with a solver), a random `a`; exact
//! derivatives of the smooth part for reference. Figures with `--nocapture`.

use crate::common;

use common::noisy::{hash_output, max_error};
use common::Rng;
use fdvjp::fd::{self, last_report, Options};

/// Noise levels where the plain step loses more than 1e-6 relative on these functions
/// (the "ε ≳ 1e-9": at 1e-9 the second differences rarely reach the check).
const LEVELS: [f64; 3] = [1e-8, 1e-7, 1e-6];

/// One kind of call: its name, n, m.
struct Case {
    name: &'static str,
    n: usize,
    m: usize,
}

/// What the calls of one case at one level came to.
#[derive(Default, Debug)]
struct Tally {
    calls: usize,
    noise_step: usize,
    /// Errors within 10 ε^(2/3) (scaled by the reference's size) among the noise steps.
    near_best: usize,
    nan: usize,
    uncovered: usize,
    most_evaluations: usize,
}

fn outputs(a: &[f64], x: &[f64], m: usize, eps: f64, y: &mut [f64]) {
    let s: f64 = a.iter().zip(x).map(|(a, x)| a * x).sum();
    for (i, yi) in y.iter_mut().enumerate().take(m) {
        let k = (i + 1) as f64;
        *yi = (k * s).sin() / k + eps * hash_output(0x5eed_0001, x, i);
    }
}

/// The exact Jacobian of the smooth part, row-major.
fn jacobian(a: &[f64], x: &[f64], m: usize) -> Vec<f64> {
    let s: f64 = a.iter().zip(x).map(|(a, x)| a * x).sum();
    let mut jac = Vec::with_capacity(m * a.len());
    for i in 0..m {
        let k = (i + 1) as f64;
        jac.extend(a.iter().map(|aj| (k * s).cos() * aj));
    }
    jac
}

fn run(case: &Case, eps: f64, rng: &mut Rng, calls: usize) -> Tally {
    let (n, m) = (case.n, case.m);
    let mut t = Tally::default();
    for _ in 0..calls {
        let a: Vec<f64> = rng.uniforms(n).into_iter().map(|u| 0.5 + u).collect();
        let x: Vec<f64> = rng.uniforms(n).into_iter().map(|u| 2.0 * u - 1.0).collect();
        let w: Vec<f64> = rng
            .uniforms(n.max(m))
            .into_iter()
            .map(|u| 2.0 * u - 1.0)
            .collect();
        let jac = jacobian(&a, &x, m);
        let f = |x: &[f64], y: &mut [f64]| {
            outputs(&a, x, m, eps, y);
            Ok(())
        };
        let (got, want, scale) = if case.name == "jvp" {
            let u = &w[..n];
            let want: Vec<f64> = (0..m)
                .map(|i| (0..n).map(|j| jac[i * n + j] * u[j]).sum())
                .collect();
            let scale = u.iter().map(|u| u.abs()).sum::<f64>();
            (fd::jvp(&f, &x, m, u, &Options::new()).unwrap(), want, scale)
        } else {
            let v = &w[..m];
            let want: Vec<f64> = (0..n)
                .map(|j| (0..m).map(|i| v[i] * jac[i * n + j]).sum())
                .collect();
            let scale = v.iter().map(|v| v.abs()).sum::<f64>();
            (fd::vjp(&f, &x, v, &Options::new()).unwrap(), want, scale)
        };
        let report = last_report();
        let error = max_error(&got, &want);
        t.calls += 1;
        t.most_evaluations = t.most_evaluations.max(report.evaluations);
        if report.refined_noise > 0 {
            t.noise_step += 1;
            t.near_best += usize::from(error <= 10.0 * eps.powf(2.0 / 3.0) * scale);
        }
        if report.error_bound.is_nan() {
            t.nan += 1;
        } else if error > report.error_bound {
            println!(
                "uncovered {} x {x:?} error {error:e} ratio {} {report:?}",
                case.name,
                error / report.error_bound
            );
            t.uncovered += 1;
        }
    }
    t
}

/// n = 1 VJPs (m = 1, 3) and JVPs (n = 5; m = 1, 3), 100 random points per level.
///
/// Before (same draws): no call took the noise step; 82-96% of the n = 1 VJPs and 5-16%
/// of the JVPs had no bound, the others kept the plain step's value, off by `ε / t`;
/// finite bounds short at 1 VJP and 2 JVPs of 1,200 calls.
///
/// Now: the noise step at 51-88% of the calls (the others: a check whose two second
/// differences looked like a feature's, no bound, 5-16%; or no check, where the second
/// difference stayed below its threshold), and among those 5 of 866 beyond 10 ε^(2/3);
/// at most 17 evaluations (the goal: 2(2n + 1) + 12 = 18 for n = 1). Finite bounds short
/// at 4 of 1,200 calls: the two before (a refinement at a small x_1, a JVP's plain step),
/// and two JVPs at the noise step (2.1 and 1.1 times), whose third output varies along u
/// on a scale of 0.1, ten times below the step rule's, near its inflection point, where
/// the stencil sees no second derivative. Their floor at the noise step's own relative
/// step (`refine::floor_step`) mended four others (1.04 to 1.33 times short).
#[test]
fn one_direction_takes_the_noise_step() {
    let cases = [
        Case {
            name: "vjp",
            n: 1,
            m: 1,
        },
        Case {
            name: "vjp",
            n: 1,
            m: 3,
        },
        Case {
            name: "jvp",
            n: 5,
            m: 1,
        },
        Case {
            name: "jvp",
            n: 5,
            m: 3,
        },
    ];
    let mut rng = Rng::new(1630);
    for case in &cases {
        for eps in LEVELS {
            let t = run(case, eps, &mut rng, 100);
            println!(
                "{} n {} m {} eps {eps:.0e}: {t:?}",
                case.name, case.n, case.m
            );
            let budget = if case.name == "jvp" {
                17
            } else {
                2 * (2 * case.n + 1) + 12
            };
            assert!(t.most_evaluations <= budget, "{t:?}");
            assert!(2 * t.noise_step >= t.calls, "{t:?}");
            assert!(100 * t.near_best >= 96 * t.noise_step, "{t:?}");
            assert!(5 * t.nan <= t.calls, "{t:?}");
            assert!(t.uncovered <= 2, "{t:?}");
        }
    }
}
