//! A pole or a narrow step of f within the default step of a well-scaled element (issue 11,
//! probe18 class 1; `src/fd/refine/lone.rs`).
//!
//! Property: f: R^3 -> R^3, `y0 = B sin x0 + x1 x2 + c / (x_p - a)` (a pole at a distance d
//! of x_p) or `+ K tanh((x_q - b) / w)` in `y1` (a step of width w at a distance d of x_q),
//! `y1 = B cos x1 + x0`, `y2 = B exp(x2 / 4) + x0 x1`; `|x_j|` in 0.1..4 (typ 1, step about
//! 6e-6), d and w in 1e-9..1e-5, B in 1..1e6, the feature's slope at x in 1e-4..1e4. The
//! default central VJP (random v) and Jacobian: an entry off by more than the reported
//! bound plus 4e-15 of its terms is uncovered (a NaN bound is honest, counted apart).
//!
//! Three points cannot see a feature whose second difference stays below the noise-like
//! threshold (`|D2| <= 30 r^2 M`): about a third of the draws, a documented limit. Where it
//! shows in one direction only, the noise trigger declined and the direction kept its
//! plain value with a bound short by up to `t / d`; the check at half the step now takes
//! the bound away. Measured, 600 draws: main (c9220b3) 368 VJPs and 369 Jacobians
//! uncovered, 0 and 1 without a bound; with the noise estimate held to reaching every
//! direction too (`noise::everywhere`: a pole and a step in two directions of three had
//! made the trigger's table look noisy), 147 and 139 with the check from `|D2| > 30 r^2`
//! times f's change and size, 166 and 158 (361 and 370 NaN bounds) from 100 times, the
//! threshold taken (`lone.rs`, `LONE`: exact functions pay the check far less often). The
//! rest are features whose second difference stays below the thresholds, which three points
//! cannot see. Asserted as a ratchet.
//!
//! The default JVP along a random u (its directions from a stream of their own): 207 of 600
//! uncovered, none NaN, before its vector was checked; with the check 96 uncovered, 248 NaN
//! (a failed check whose second differences vary as noise's, output by output, keeps its
//! bound, `lone.rs`, `varies_as_noise`; taking every failed one's away gave 74 and 327, but
//! NaN bounds on noisy JVPs too).
//!
//! And the smooth case the check must keep: an output with a double root along an axis
//! (`k (x0 - a)^2`, f and f' both 0 at x0 = a, `|D2| = 2 k t^2` far above `r^2 |f|`):
//! every call keeps a finite bound that covers, and pays 2 evaluations for the check.

use crate::common;

use common::Rng;
use fdvjp::fd::{self, last_report, Options};

/// One draw of the featured function.
struct Featured {
    b: f64,
    pole: Option<(usize, f64, f64)>,
    step: Option<(usize, f64, f64, f64)>,
}

impl Featured {
    fn eval(&self, x: &[f64], y: &mut [f64]) {
        let b = self.b;
        y[0] = b * x[0].sin() + x[1] * x[2];
        y[1] = b * x[1].cos() + x[0];
        y[2] = b * (x[2] / 4.0).exp() + x[0] * x[1];
        if let Some((p, a, c)) = self.pole {
            y[0] += c / (x[p] - a);
        }
        if let Some((q, at, w, k)) = self.step {
            y[1] += k * ((x[q] - at) / w).tanh();
        }
    }

    /// The exact Jacobian (row-major) and the absolute values of its terms.
    fn jacobian(&self, x: &[f64]) -> ([f64; 9], [f64; 9]) {
        let b = self.b;
        let mut j = [
            b * x[0].cos(),
            x[2],
            x[1],
            1.0,
            -b * x[1].sin(),
            0.0,
            x[1],
            x[0],
            b * (x[2] / 4.0).exp() / 4.0,
        ];
        let mut terms = j.map(f64::abs);
        if let Some((p, a, c)) = self.pole {
            let g = -c / ((x[p] - a) * (x[p] - a));
            j[p] += g;
            terms[p] += g.abs();
        }
        if let Some((q, at, w, k)) = self.step {
            let z = ((x[q] - at) / w).tanh();
            let g = k * (1.0 - z * z) / w;
            j[3 + q] += g;
            terms[3 + q] += g.abs();
        }
        (j, terms)
    }
}

fn log_uniform(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    (lo.ln() + (hi.ln() - lo.ln()) * rng.uniform()).exp()
}

fn sign(rng: &mut Rng) -> f64 {
    if rng.uniform() < 0.5 {
        -1.0
    } else {
        1.0
    }
}

#[test]
fn features_under_the_step_are_covered_or_unbounded() {
    let mut rng = Rng::new(1130);
    // The JVPs' directions from a stream of their own, so the VJPs and Jacobians meet the
    // same draws as before JVPs were counted.
    let mut rng_u = Rng::new(1132);
    let (mut vjp_out, mut jac_out, mut vjp_nan, mut jac_nan) = (0, 0, 0, 0);
    let (mut jvp_out, mut jvp_nan) = (0, 0);
    let draws = 600;
    for _ in 0..draws {
        let x: Vec<f64> = (0..3)
            .map(|_| sign(&mut rng) * log_uniform(&mut rng, 0.1, 4.0))
            .collect();
        let with_pole = rng.uniform() < 0.5;
        let with_step = !with_pole || rng.uniform() < 0.3;
        let p = (rng.uniform() * 3.0) as usize;
        let q = (rng.uniform() * 3.0) as usize;
        let d = sign(&mut rng) * log_uniform(&mut rng, 1e-9, 1e-5);
        let c = sign(&mut rng) * log_uniform(&mut rng, 1e-4, 1e4) * d * d;
        let dist = sign(&mut rng) * log_uniform(&mut rng, 1e-9, 1e-5);
        let w = log_uniform(&mut rng, 1e-9, 1e-5);
        let k = sign(&mut rng) * log_uniform(&mut rng, 1e-6, 1e2);
        let f = Featured {
            b: log_uniform(&mut rng, 1.0, 1e6),
            pole: with_pole.then_some((p, x[p] + d, c)),
            step: with_step.then_some((q, x[q] + dist, w, k)),
        };
        let v: Vec<f64> = (0..3).map(|_| 2.0 * rng.uniform() - 1.0).collect();
        let g = |x: &[f64], y: &mut [f64]| {
            f.eval(x, y);
            Ok(())
        };
        let (jac, terms) = f.jacobian(&x);
        let opts = Options::new();

        let got = fd::vjp(&g, &x, &v, &opts).unwrap();
        let bound = last_report().error_bound;
        if bound.is_nan() {
            vjp_nan += 1;
        } else {
            let out = (0..3).any(|j| {
                let want: f64 = (0..3).map(|i| v[i] * jac[3 * i + j]).sum();
                let size: f64 = (0..3).map(|i| (v[i] * terms[3 * i + j]).abs()).sum();
                (got[j] - want).abs() > bound + 4e-15 * size
            });
            vjp_out += usize::from(out);
        }

        let got = fd::jacobian(&g, &x, 3, &opts).unwrap();
        let bound = last_report().error_bound;
        if bound.is_nan() {
            jac_nan += 1;
        } else {
            let out = (0..9).any(|e| (got[e] - jac[e]).abs() > bound + 4e-15 * terms[e]);
            jac_out += usize::from(out);
        }

        let u: Vec<f64> = (0..3).map(|_| 2.0 * rng_u.uniform() - 1.0).collect();
        let got = fd::jvp(&g, &x, 3, &u, &opts).unwrap();
        let bound = last_report().error_bound;
        if bound.is_nan() {
            jvp_nan += 1;
        } else {
            let out = (0..3).any(|i| {
                let want: f64 = (0..3).map(|j| jac[3 * i + j] * u[j]).sum();
                let size: f64 = (0..3).map(|j| (terms[3 * i + j] * u[j]).abs()).sum();
                (got[i] - want).abs() > bound + 4e-15 * size
            });
            jvp_out += usize::from(out);
        }
    }
    println!(
        "{draws} draws: uncovered VJPs {vjp_out}, Jacobians {jac_out}, JVPs {jvp_out}; \
         NaN bounds {vjp_nan}, {jac_nan}, {jvp_nan}"
    );
    assert!(
        vjp_out <= 166 && jac_out <= 158 && jvp_out <= 96,
        "uncovered VJPs {vjp_out}, Jacobians {jac_out}, JVPs {jvp_out} \
         (ratchet: 166, 158, 96)"
    );
}

#[test]
fn a_double_root_along_an_axis_keeps_its_bound() {
    let mut rng = Rng::new(1131);
    for _ in 0..400 {
        let a = sign(&mut rng) * log_uniform(&mut rng, 0.1, 4.0);
        let k = sign(&mut rng) * log_uniform(&mut rng, 1e-3, 1e3);
        // The other elements well-scaled (0.1..1), where no other check runs.
        let x = [
            a,
            sign(&mut rng) * (0.1 + 0.9 * rng.uniform()),
            sign(&mut rng) * (0.1 + 0.9 * rng.uniform()),
        ];
        let evaluations = std::cell::Cell::new(0);
        let g = |x: &[f64], y: &mut [f64]| {
            evaluations.set(evaluations.get() + 1);
            y[0] = k * (x[0] - a) * (x[0] - a) * (1.0 + 0.1 * x[1].sin());
            y[1] = x[1].cos() + x[2];
            Ok(())
        };
        let v = [1.0, 0.0];
        let got = fd::vjp(&g, &x, &v, &Options::new()).unwrap();
        let r = last_report();
        let want = [0.0, 0.0, 0.0];
        assert!(r.error_bound.is_finite(), "x {x:?}, k {k}: no bound");
        for j in 0..3 {
            assert!(
                (got[j] - want[j]).abs() <= r.error_bound + 1e-300,
                "x {x:?}, k {k}: entry {j} {} for {}, bound {:e}",
                got[j],
                want[j],
                r.error_bound
            );
        }
        assert_eq!(
            evaluations.get(),
            1 + 2 * 3 + 2,
            "x {x:?}, k {k}: evaluations"
        );
    }
}

/// Where nothing besides the feature's own column can show noise, the noise estimate (whose
/// table crosses the feature too) must not vouch for it: one input (`sin x + c / (x - a)`),
/// or a pole near one input of eight of which six are ignored by f (their `D2 = 0` refutes
/// the estimate), the pole 1e-9..1e-4 from x (the step is about 6e-6 r) and moving f by
/// 1e-6..1e-2 there. probe19: 1,185 and 179 times short before; now covered or no bound.
#[test]
fn a_feature_with_no_other_column_to_show_noise_is_not_taken_for_noise() {
    let mut rng = Rng::new(1132);
    let (mut out, mut nan) = (0, 0);
    for k in 0..400 {
        let n = if k % 2 == 0 { 1 } else { 8 };
        let x: Vec<f64> = (0..n)
            .map(|_| sign(&mut rng) * log_uniform(&mut rng, 0.1, 4.0))
            .collect();
        let p = n - 1;
        let d = sign(&mut rng) * log_uniform(&mut rng, 1e-9, 1e-4);
        // Seen by three points: the pole moves f by 1e-6..1e-2 at x (a feature whose second
        // difference stays below the thresholds is the limit of the first test).
        let c = sign(&mut rng) * log_uniform(&mut rng, 1e-6, 1e-2) * d.abs();
        let a = x[p] + d;
        let g = |x: &[f64], y: &mut [f64]| {
            // Inputs 1..n-1 other than p are ignored.
            y[0] = (1.6 * x[0] + 0.4).sin() + c / (x[p] - a);
            Ok(())
        };
        let mut want = vec![0.0; n];
        want[0] = 1.6 * (1.6 * x[0] + 0.4).cos();
        want[p] += -c / ((x[p] - a) * (x[p] - a));
        let got = fd::vjp(&g, &x, &[1.0], &Options::new()).unwrap();
        let bound = last_report().error_bound;
        if bound.is_nan() {
            nan += 1;
            continue;
        }
        let size = want.iter().map(|w| w.abs()).fold(0.0, f64::max);
        out += usize::from((0..n).any(|j| (got[j] - want[j]).abs() > bound + 4e-15 * size));
    }
    println!("400 calls: {out} uncovered, {nan} without a bound");
    assert_eq!(out, 0, "uncovered");
}

/// The same through a declared sparsity pattern, whose column groups are the directions
/// (`refine/lone.rs` checks them as it checks axes): `y_i = B sin(x_i + i) + x_(i-1) x_(i+1)
/// / 4` (tridiagonal, n = 8, 3 groups) plus a pole `c / (x_p - a)` in `y_p`, 1e-9..1e-5 from
/// `x_p` and moving f by 1e-6..1e-2 there. The sparse VJP and Jacobian, 400 calls: before
/// groups were checked, 329 had a finite bound the error exceeded (up to 2.4e3 times); now
/// 25 (374 NaN): poles whose second difference stays below the thresholds (no check ran,
/// 7 evaluations) and a few whose group's failed check a noise estimate explained (the
/// estimate's table crosses the pole too, and three groups are too few for
/// `noise::everywhere` to refute it). Asserted as a ratchet.
#[test]
fn a_feature_under_a_column_group_step_is_covered_or_unbounded() {
    let n: usize = 8;
    let (mut rows, mut cols) = (Vec::new(), Vec::new());
    for i in 0..n {
        for k in i.saturating_sub(1)..(i + 2).min(n) {
            rows.push(i);
            cols.push(k);
        }
    }
    let mut opts = Options::new();
    opts.set_sparsity(Some(fd::Sparsity::new(&rows, &cols).unwrap()));
    let mut rng = Rng::new(1133);
    let (mut out, mut nan, mut worst) = (0, 0, 0.0f64);
    for k in 0..400 {
        let x: Vec<f64> = (0..n)
            .map(|_| sign(&mut rng) * log_uniform(&mut rng, 0.1, 4.0))
            .collect();
        let b = log_uniform(&mut rng, 1.0, 1e3);
        let p = (rng.uniform() * n as f64) as usize;
        let d = sign(&mut rng) * log_uniform(&mut rng, 1e-9, 1e-5);
        let c = sign(&mut rng) * log_uniform(&mut rng, 1e-6, 1e-2) * d.abs();
        let a = x[p] + d;
        let g = |x: &[f64], y: &mut [f64]| {
            for i in 0..n {
                let left = if i > 0 { x[i - 1] } else { 1.0 };
                let right = if i + 1 < n { x[i + 1] } else { 1.0 };
                y[i] = b * (x[i] + i as f64).sin() + left * right / 4.0;
            }
            y[p] += c / (x[p] - a);
            Ok(())
        };
        let mut jac = vec![0.0; n * n];
        for i in 0..n {
            jac[i * n + i] = b * (x[i] + i as f64).cos();
            let left = if i > 0 { x[i - 1] } else { 1.0 };
            let right = if i + 1 < n { x[i + 1] } else { 1.0 };
            if i > 0 {
                jac[i * n + i - 1] = right / 4.0;
            }
            if i + 1 < n {
                jac[i * n + i + 1] = left / 4.0;
            }
        }
        jac[p * n + p] += -c / ((x[p] - a) * (x[p] - a));
        let terms: Vec<f64> = jac.iter().map(|e| e.abs()).collect();
        let (got, want, size) = if k % 2 == 0 {
            let got = fd::jacobian(&g, &x, n, &opts).unwrap();
            (got, jac.clone(), terms.clone())
        } else {
            let v: Vec<f64> = (0..n).map(|_| 2.0 * rng.uniform() - 1.0).collect();
            let got = fd::vjp(&g, &x, &v, &opts).unwrap();
            let want = (0..n)
                .map(|j| (0..n).map(|i| v[i] * jac[i * n + j]).sum())
                .collect();
            let size = (0..n)
                .map(|j| (0..n).map(|i| (v[i] * terms[i * n + j]).abs()).sum())
                .collect();
            (got, want, size)
        };
        let bound = last_report().error_bound;
        if bound.is_nan() {
            nan += 1;
            continue;
        }
        let over = (0..got.len())
            .map(|e| (got[e] - want[e]).abs() / (bound + 4e-15 * size[e]))
            .fold(0.0, f64::max);
        worst = worst.max(over);
        out += usize::from(over > 1.0);
    }
    println!("400 sparse calls: {out} uncovered (worst {worst:.3e} times), {nan} without a bound");
    assert!(
        out <= 25,
        "{out} uncovered (ratchet: 25; worst {worst:e} times the bound)"
    );
}

/// Under adaptive steps every direction is unbounded already (the scan's result has no
/// bound): the half-step check must not count one twice, nor spend evaluations on it. f is
/// finite only at x and at the plain step's points (0 there, 1 at x ± h: a second
/// difference far above f's change), so the adaptive scan finds nothing and falls back to
/// the plain step; the check at half the step would meet NaN. Before, such a JVP reported 2
/// unbounded directions of 1 after 2 more evaluations.
#[test]
fn adaptive_directions_are_not_checked_again() {
    let x = [0.5];
    let h = 6.055_454_452_393_339_5e-6;
    let g = |z: &[f64], y: &mut [f64]| {
        let dz = (z[0] - x[0]).abs();
        y[0] = if dz == 0.0 {
            0.0
        } else if (dz / h - 1.0).abs() < 1e-3 {
            1.0
        } else {
            f64::NAN
        };
        Ok(())
    };
    let mut opts = Options::new();
    opts.set_adaptive(true);
    for result in [
        fd::jvp(&g, &x, 1, &[1.0], &opts),
        fd::vjp(&g, &x, &[1.0], &opts),
        fd::jacobian(&g, &x, 1, &opts),
    ] {
        assert!(result.is_ok());
        let r = last_report();
        assert_eq!((r.unbounded, r.directions), (1, 1));
    }
}
