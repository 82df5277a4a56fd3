//! The README's "Noisy functions" table: error of the dense central VJP (n = 20) against
//! the noise level, for the default, declared-noise and estimate modes, with adaptive
//! steps and the Richardson estimate for reference, and the evaluations each used; then
//! the same modes on the solver-like black boxes of `tests/common/noisy.rs`.
//!
//! Run: `cargo bench --bench noisy_table` (a second; also run by `bash benches/run.sh`).
//!
//! f = 2 + sum_j 0.5 sin(x_j + 0.3 j) + ε u(x), u a deterministic hash of x uniform in
//! [-1, 1) (standard deviation ε/√3), at x_j in [-1, 1); the error is the largest absolute
//! error over the gradient's entries against the exact 0.5 cos(x_j + 0.3 j). The declared
//! level is the standard deviation ε/√3. "covered" is the fraction of entries whose
//! Richardson error estimate is at least the true error. A second table repeats the
//! default and the estimate mode at 50 random points (50 draws of the noise); a third
//! gives the default's trigger rate, error and evaluations against ε from 1e-13 to 1e-6
//! in half decades at n = 8, 20, 50 ([`trigger_table`]).

#[path = "../tests/common/mod.rs"]
mod common;

use common::noisy::{self, counted_vjp, max_error, Dual};
use fdvjp::fd::{self, last_report, NoiseMode, NoiseSource, Options};
use std::cell::Cell;

const N: usize = 20;

/// The VJP under `opts` at the table's point: max error against `want` and evaluations.
fn vjp(f: &dyn Fn(&[f64], &mut [f64]), v: &[f64], want: &[f64], opts: &Options) -> (f64, usize) {
    counted_vjp(f, &noisy::point(N), v, want, opts)
}

fn hash_table() {
    let x = noisy::point(N);
    let want = noisy::gradient(noisy::smooth_sum, &x);
    println!("| noise ε | ε^(2/3) | default | declared | estimate (σ estimated) | adaptive | Richardson estimate (covered) |");
    println!("|---|---|---|---|---|---|---|");
    for eps in LEVELS {
        let f = move |x: &[f64], y: &mut [f64]| y[0] = noisy::hash_noisy(x, eps);
        let (e_def, n_def) = vjp(&f, &[1.0], &want, &Options::new());
        let mut declared = Options::new();
        declared.set_noise(Some(vec![eps / 3f64.sqrt()])).unwrap();
        let (e_dec, n_dec) = vjp(&f, &[1.0], &want, &declared);
        let mut estimate = Options::new();
        estimate.set_noise_mode(NoiseMode::Estimate);
        let (e_est, n_est) = vjp(&f, &[1.0], &want, &estimate);
        let noise = last_report().noise[0];
        let ratio = noise / (eps / 3f64.sqrt());
        let mut adaptive = Options::new();
        adaptive.set_adaptive(true);
        let (e_ada, n_ada) = vjp(&f, &[1.0], &want, &adaptive);
        let count = Cell::new(0usize);
        let g = |x: &[f64], y: &mut [f64]| {
            count.set(count.get() + 1);
            f(x, y);
            Ok(())
        };
        let r = fd::vjp_estimate(&g, &x, &[1.0], &Options::new()).unwrap();
        let covered = r
            .value
            .iter()
            .zip(&r.error)
            .zip(&want)
            .filter(|((v, e), w)| (*v - *w).abs() <= **e)
            .count();
        println!(
            "| {eps:.0e} | {:.1e} | {e_def:.1e} ({n_def}) | {e_dec:.1e} ({n_dec}) | {e_est:.1e} ({n_est}; {noise:.1e} = {ratio:.2} σ) | {e_ada:.1e} ({n_ada}) | {:.1e} ({}; {covered}/{N}) |",
            eps.powf(2.0 / 3.0),
            max_error(&r.value, &want),
            count.get()
        );
    }
}

/// Noise amplitudes of the tables.
const LEVELS: [f64; 7] = [1e-12, 1e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6];

/// Points of the sweep.
const POINTS: usize = 50;

/// x in [-1, 1)^n from the linear congruential sequence at `state` (the tables'
/// reproducible random points).
fn random_point(state: &mut u64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| {
            *state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (*state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .collect()
}

/// The default over random points: how many estimated the noise, the errors / `best`
/// (sorted) and the evaluations.
struct Sweep {
    estimated: usize,
    ratios: Vec<f64>,
    evals: Vec<usize>,
}

/// The default's VJP of the hash-noise function `f` at `points` random points of
/// [-1, 1)^n ([`random_point`]); `also(x, exact gradient)` runs after each, for the other
/// columns of a table.
fn default_sweep(
    f: &dyn Fn(&[f64], &mut [f64]),
    n: usize,
    points: usize,
    state: &mut u64,
    best: f64,
    mut also: impl FnMut(&[f64], &[f64]),
) -> Sweep {
    let mut d = Sweep {
        estimated: 0,
        ratios: Vec::new(),
        evals: Vec::new(),
    };
    for _ in 0..points {
        let x = random_point(state, n);
        let want = noisy::gradient(noisy::smooth_sum, &x);
        let (e, count) = counted_vjp(f, &x, &[1.0], &want, &Options::new());
        d.estimated += usize::from(last_report().noise_source == NoiseSource::Estimated);
        d.ratios.push(e / best);
        d.evals.push(count);
        also(&x, &want);
    }
    d.ratios.sort_by(f64::total_cmp);
    d
}

/// The default and the estimate mode at [`POINTS`] pseudo-random points in [-1, 1)^n (each
/// its own draw of the hash noise): how often the default estimated the noise, its error
/// against σ^(2/3) (σ = ε/√3, the noise's standard deviation; median and worst), its
/// evaluations (least, most), and the estimated σ against the true one (least, most).
fn hash_sweep() {
    println!();
    println!("| noise ε | default: noise estimated | default: error / σ^(2/3), median (max) | default: evaluations | estimate mode: error / σ^(2/3), max | estimated σ / σ, min..max |");
    println!("|---|---|---|---|---|---|");
    for eps in LEVELS {
        let sigma = eps / 3f64.sqrt();
        let best = sigma.powf(2.0 / 3.0);
        let f = move |x: &[f64], y: &mut [f64]| y[0] = noisy::hash_noisy(x, eps);
        let mut state: u64 = 2026;
        let (mut est_worst, mut lo, mut hi) = (0.0f64, f64::INFINITY, 0.0f64);
        let d = default_sweep(&f, N, POINTS, &mut state, best, |x, want| {
            let mut estimate = Options::new();
            estimate.set_noise_mode(NoiseMode::Estimate);
            let (e, _) = counted_vjp(&f, x, &[1.0], want, &estimate);
            est_worst = est_worst.max(e / best);
            let r = last_report().noise[0] / sigma;
            lo = lo.min(r);
            hi = hi.max(r);
        });
        let (triggered, ratios, evals) = (d.estimated, d.ratios, d.evals);
        println!(
            "| {eps:.0e} | {triggered}/{POINTS} | {:.1} ({:.1}) | {}..{} | {est_worst:.1} | {lo:.2}..{hi:.2} |",
            ratios[POINTS / 2],
            ratios[POINTS - 1],
            evals.iter().min().unwrap(),
            evals.iter().max().unwrap()
        );
    }
}

/// The default's trigger against the noise level (issue 16: where the plain step loses
/// more than about 1e-6, the noise is to be estimated): ε from 1e-13 to 1e-6 in half
/// decades, n = 8, 20, 50, 40 random points each (x in [-1, 1)^n, so 40 draws of the
/// noise): the plain step's median error, and per n the share of points where the noise
/// was estimated, the default's error / ε^(2/3) (median, max) and its evaluations.
fn trigger_table() {
    const POINTS: usize = 40;
    const SIZES: [usize; 3] = [8, 20, 50];
    println!();
    println!("| noise ε | ε^(2/3) | plain step: median error (n = 20) | n = 8: estimated, error / ε^(2/3) median (max), evaluations | n = 20: same | n = 50: same |");
    println!("|---|---|---|---|---|---|");
    let mut plain = Options::new();
    plain
        .set_relative_step(Some(fdvjp::fd::Scheme::Central.default_relative_step()))
        .unwrap();
    for k in 0..15 {
        let eps = 10f64.powf(-13.0 + 0.5 * f64::from(k));
        let best = eps.powf(2.0 / 3.0);
        let f = move |x: &[f64], y: &mut [f64]| y[0] = noisy::hash_noisy(x, eps);
        let mut cells = Vec::new();
        let mut plain_errors = Vec::new();
        for (s, &n) in SIZES.iter().enumerate() {
            let mut state: u64 = 0x5eed_0000 + 1000 * k as u64 + s as u64;
            let d = default_sweep(&f, n, POINTS, &mut state, best, |x, want| {
                if n == 20 {
                    plain_errors.push(counted_vjp(&f, x, &[1.0], want, &plain).0);
                }
            });
            let (estimated, ratios, evals) = (d.estimated, d.ratios, d.evals);
            cells.push(format!(
                "{}%, {:.1} ({:.1}), {}..{}",
                100 * estimated / POINTS,
                ratios[POINTS / 2],
                ratios[POINTS - 1],
                evals.iter().min().unwrap(),
                evals.iter().max().unwrap()
            ));
        }
        plain_errors.sort_by(f64::total_cmp);
        println!(
            "| {eps:.1e} | {best:.1e} | {:.1e} | {} |",
            plain_errors[POINTS / 2],
            cells.join(" | ")
        );
    }
}

fn solver_table() {
    let x = noisy::point(N);
    println!();
    println!("| black box | spread | default | estimate (noise of v^T f) | solver's own error |");
    println!("|---|---|---|---|---|");
    let one = vec![1.0];
    let cot = noisy::cotangent();
    for tol in [1e-8, 1e-6, 1e-4] {
        let f = move |x: &[f64], y: &mut [f64]| y[0] = noisy::ode_rk23(x, tol).0;
        let computed = noisy::gradient(|x| noisy::ode_rk23::<Dual>(x, tol).0, &x);
        let exact = noisy::gradient(noisy::ode_exact::<Dual>, &x);
        let spread = noisy::spread(|x| noisy::ode_rk23(x, tol).0, &x);
        row(
            &format!("RK23 ODE, tol {tol:.0e}"),
            &f,
            &one,
            &computed,
            &exact,
            spread,
        );
    }
    for (tol, single) in [(1e-8, false), (1e-6, false), (1e-6, true)] {
        let f = move |x: &[f64], y: &mut [f64]| {
            y.copy_from_slice(&noisy::solve_jacobi(x, tol, single).0)
        };
        let computed = noisy::vjp_dual(|x| noisy::solve_jacobi(x, tol, single).0, &x, &cot);
        let exact = noisy::vjp_dual(noisy::solve_exact, &x, &cot);
        let w = cot.clone();
        let spread = noisy::spread(
            |x| {
                let z = noisy::solve_jacobi(x, tol, single).0;
                z.iter().zip(&w).map(|(z, w)| z * w).sum()
            },
            &x,
        );
        let kind = if single { "Jacobi (f32)" } else { "Jacobi" };
        row(
            &format!("{kind}, tol {tol:.0e}"),
            &f,
            &cot,
            &computed,
            &exact,
            spread,
        );
    }
}

/// One row: errors against the derivative of the computed map.
fn row(
    name: &str,
    f: &dyn Fn(&[f64], &mut [f64]),
    v: &[f64],
    computed: &[f64],
    exact: &[f64],
    spread: f64,
) {
    let (e_def, n_def) = vjp(f, v, computed, &Options::new());
    let mut estimate = Options::new();
    estimate.set_noise_mode(NoiseMode::Estimate);
    let (e_est, n_est) = vjp(f, v, computed, &estimate);
    let noise = last_report()
        .noise
        .iter()
        .zip(v)
        .map(|(e, v)| (e * v).powi(2))
        .sum::<f64>()
        .sqrt();
    println!(
        "| {name} | {spread:.1e} | {e_def:.1e} ({n_def}) | {e_est:.1e} ({n_est}; {noise:.1e}) | {:.1e} |",
        max_error(computed, exact)
    );
}

fn main() {
    hash_table();
    hash_sweep();
    trigger_table();
    solver_table();
}
