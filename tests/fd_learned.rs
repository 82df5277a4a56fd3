//! Learned sparsity: detection from f's values, the check on every call, the dense
//! fall-back and re-learning; exact evaluation counts, results against analytic
//! derivatives.

use crate::common;

use common::{tridiagonal, Rng};
use fdvjp::fd::{self, last_report, FdError, Options, Scheme};
use std::cell::Cell;

/// `y_i = x_{i-1} x_i + sin(x_i) - x_{i+1}^2 / 3 + g x_{i+2}^2 / 2`: tridiagonal while
/// `g == 0`, a coupling to `x_{i+2}` once `g != 0`.
fn chain(x: &[f64], y: &mut [f64], g: f64) {
    tridiagonal(x, y);
    for (i, y) in y.iter_mut().enumerate() {
        *y += x.get(i + 2).map_or(0.0, |&far| g * far * far / 2.0);
    }
}

/// `v^T J` of [`chain`], analytically.
fn chain_vjp(x: &[f64], v: &[f64], g: f64) -> Vec<f64> {
    let n = x.len();
    let mut grad = vec![0.0; n];
    for i in 0..n {
        if i > 0 {
            grad[i - 1] += v[i] * x[i];
        }
        grad[i] += v[i] * (x[i].cos() + if i > 0 { x[i - 1] } else { 0.0 });
        if i + 1 < n {
            grad[i + 1] -= v[i] * 2.0 * x[i + 1] / 3.0;
        }
        if i + 2 < n {
            grad[i + 2] += v[i] * g * x[i + 2];
        }
    }
    grad
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f64::max)
}

/// A point of the optimisation-like loop: x drifts, v changes.
fn point(rng: &mut Rng, n: usize) -> (Vec<f64>, Vec<f64>) {
    let x = (0..n).map(|_| 0.5 + rng.uniform()).collect();
    let v = (0..n).map(|_| 2.0 * rng.uniform() - 1.0).collect();
    (x, v)
}

/// The goal: tridiagonal n = 10,000, 100 VJPs cost `2(n + 1)` to learn and 9 per
/// VJP (f(x), 3 groups × 2, the check's 2), with the dense error.
#[test]
fn tridiagonal_10000_learns_once_then_9_evaluations_per_vjp() {
    let n = 10_000;
    let calls = Cell::new(0usize);
    let f = |x: &[f64], y: &mut [f64]| {
        calls.set(calls.get() + 1);
        chain(x, y, 0.0);
        Ok(())
    };
    let mut rng = Rng::new(7);
    let (x0, _) = point(&mut rng, n);
    let pattern = fd::detect_sparsity(&f, &x0, n, &Options::new()).unwrap();
    assert_eq!(calls.get(), 2 * (n + 1), "detection");
    assert_eq!(pattern.nnz(), 3 * n - 2);
    assert_eq!(pattern.group_count(), 3);
    let mut opts = Options::new();
    opts.set_learned_sparsity(pattern, n, n);
    let mut worst = 0.0f64;
    for call in 0..100 {
        let (x, v) = point(&mut rng, n);
        let before = calls.get();
        let grad = fd::vjp(&f, &x, &v, &opts).unwrap();
        assert_eq!(calls.get() - before, 9, "call {call}");
        let r = last_report();
        assert_eq!(r.evaluations, 9);
        assert!(r.completed && !r.sparsity_relearned, "call {call}: {r:?}");
        assert!(
            r.sparsity_check < 0.05,
            "call {call}: margin {}",
            r.sparsity_check
        );
        worst = worst.max(max_abs_diff(&grad, &chain_vjp(&x, &v, 0.0)));
    }
    assert_eq!(calls.get(), 2 * (n + 1) + 100 * 9);
    // Dense central differences on this function err by about 1e-10 (measured: the dense
    // VJP at the last point below); the learned pattern gives the same accuracy.
    assert!(worst < 1e-8, "largest gradient error {worst:e}");
}

/// A coupling that appears after call 50 is caught by that call's check; the call's result
/// is still right (dense), the pattern is learned again, and later calls use it verified.
#[test]
fn coupling_that_grows_midway_is_caught_at_the_first_call() {
    let n = 2000;
    let g = Cell::new(0.0);
    let calls = Cell::new(0usize);
    let f = |x: &[f64], y: &mut [f64]| {
        calls.set(calls.get() + 1);
        chain(x, y, g.get());
        Ok(())
    };
    let mut opts = Options::new();
    opts.set_learn_sparsity(true);
    let mut rng = Rng::new(11);
    for call in 1..=100 {
        // The coupling: zero up to call 50, then 1e-6 at call 51 (the smallest that the
        // issue's "where it matters" asks of a gradient of size 1), growing after.
        if call > 50 {
            g.set(1e-6 * 10f64.powi((call - 51).min(5)));
        }
        let (x, v) = point(&mut rng, n);
        let before = calls.get();
        let grad = fd::vjp(&f, &x, &v, &opts).unwrap();
        let spent = calls.get() - before;
        let r = last_report();
        let err = max_abs_diff(&grad, &chain_vjp(&x, &v, g.get()));
        assert!(err < 1e-8, "call {call}: gradient error {err:e}");
        match call {
            1 => assert_eq!(spent, 2 * (n + 1) + 7 + 2 - 1, "learning, then 6 + 2"),
            51 => {
                assert!(r.sparsity_relearned, "call 51 must catch it: {r:?}");
                assert!(r.sparsity_check > 1.0);
                assert_eq!(spent, 1 + 6 + 2 + 2 * n, "grouped, check, dense");
            }
            _ if call < 51 => {
                assert_eq!(spent, 9, "call {call}");
                assert!(!r.sparsity_relearned);
            }
            _ => {
                // Pentadiagonal-like now: 4 groups (x_{i-1}, x_i, x_{i+1}, x_{i+2}).
                assert!(!r.sparsity_relearned, "call {call}: {r:?}");
                assert_eq!(spent, 1 + 2 * 4 + 2, "call {call}");
            }
        }
    }
    let p = opts.learned_sparsity().unwrap();
    assert_eq!(p.group_count(), 4);
}

/// Random tridiagonal functions (x of size 1 to 1e3, f of size 1e-4 to 1e4, varying on
/// the scale of x or up to 3 times faster) at many points: the check never fires on the right
/// pattern (central: largest ratio far below 1; forward: at most 15 of 150 computed
/// densely, 9 measured), and
/// always fires when one coupling of relative size 1e-5 is missing.
#[test]
fn check_neither_fires_on_a_right_pattern_nor_misses_a_coupling() {
    // (pattern_check.rs documents the measured rates of smaller single couplings.)
    let n = 60;
    let mut rng = Rng::new(2024);
    let mut worst_right = 0.0f64;
    let mut weakest_wrong = f64::INFINITY;
    let mut forward_alarms = 0;
    for trial in 0..300 {
        // Scale of x, of f, and how fast f varies, drawn per trial.
        let sx = 10f64.powf(3.0 * rng.uniform());
        let sf = 10f64.powf(8.0 * rng.uniform() - 4.0);
        let w = 10f64.powf(2.0 * rng.uniform() - 1.0);
        let x: Vec<f64> = (0..n).map(|_| sx * (2.0 * rng.uniform() - 1.0)).collect();
        // A coupling of row ci to a column outside ci-1..=ci+1.
        let ci = (rng.uniform() * n as f64) as usize;
        let ck = (ci + 2 + (rng.uniform() * (n - 3) as f64) as usize) % n;
        let coupling = Cell::new(0.0);
        // Relative to f's size over x_ck's own scale (the step rule's max(|x_k|, 1)).
        let k_scale = x[ck].abs().max(1.0);
        let f = |x: &[f64], y: &mut [f64]| {
            for i in 0..n {
                let t = x[i] / sx;
                let l = if i > 0 { x[i - 1] / sx } else { 0.0 };
                let r = if i + 1 < n { x[i + 1] / sx } else { 0.0 };
                y[i] = sf * ((w * t).sin() + 0.5 * (l * t) + (0.3 * w * r).exp() - 1.0);
            }
            y[ci] += sf * coupling.get() * x[ck] / k_scale;
            Ok(())
        };
        let scheme = [Scheme::Central, Scheme::Forward][trial % 2];
        let mut opts = Options::new();
        opts.set_scheme(scheme);
        let pattern = fd::detect_sparsity(&f, &x, n, &opts).unwrap();
        assert_eq!(pattern.nnz(), 3 * n - 2, "trial {trial}");
        opts.set_learned_sparsity(pattern, n, n);
        let v: Vec<f64> = (0..n).map(|_| 2.0 * rng.uniform() - 1.0).collect();
        fd::vjp(&f, &x, &v, &opts).unwrap();
        let r = last_report();
        if scheme == Scheme::Forward && r.sparsity_relearned {
            // Forward: checked at the central step, its columns' own truncation (read off
            // the check's second difference) told apart from a coupling; where that
            // difference cancels, a right pattern may cost a dense call (never a wrong one).
            forward_alarms += 1;
        } else {
            assert!(!r.sparsity_relearned, "trial {trial}: {r:?}");
        }
        if scheme == Scheme::Central {
            worst_right = worst_right.max(r.sparsity_check);
        }
        // Now a coupling the pattern does not have: `|J[ci][ck]| max(|x_ck|, 1)` is 1e-3
        // (central) or 1e-1 (forward: its own error is sqrt(eps), not eps^(2/3)) of f's
        // size. It is lent to the column of its group that owns the
        // row, so the check sees it times `|Δ_j / h_j - Δ_k / h_k|`, which is small with
        // a small probability: a single coupling of 1e-5 is missed in about 1 call in 6
        // (a change that reaches many rows is not).
        coupling.set(if scheme == Scheme::Central {
            1e-3
        } else {
            1e-1
        });
        fd::vjp(&f, &x, &v, &opts).unwrap();
        let r = last_report();
        assert!(
            r.sparsity_relearned,
            "trial {trial} {scheme:?} sx {sx} w {w} sf {sf} ci {ci} ck {ck} x_ck {} missed: {r:?}",
            x[ck]
        );
        weakest_wrong = weakest_wrong.min(r.sparsity_check);
    }
    eprintln!(
        "largest ratio on right patterns {worst_right:e}, smallest on wrong {weakest_wrong:e}, \
         forward right patterns computed densely {forward_alarms} of 150"
    );
    assert!(forward_alarms <= 15, "{forward_alarms}");
    assert!(worst_right < 0.5, "{worst_right:e}");
    assert!(weakest_wrong > 3.0, "{weakest_wrong:e}");
}

/// A failing or NaN-producing callback while learning: a specific error, nothing stored.
#[test]
fn detection_errors_name_the_point_and_leave_the_options() {
    let n = 5;
    let x = vec![1.0; n];
    let nan_at_col3 = |x: &[f64], y: &mut [f64]| {
        y.copy_from_slice(x);
        if x[3] != 1.0 {
            y[1] = f64::NAN;
        }
        Ok(())
    };
    match fd::detect_sparsity(&nan_at_col3, &x, n, &Options::new()) {
        Err(FdError::NonFinitePerturbed {
            direction, index, ..
        }) => {
            assert!(direction.contains("column 3"), "{direction}");
            assert_eq!(index, 1);
        }
        other => panic!("{other:?}"),
    }
    let failing = |x: &[f64], y: &mut [f64]| {
        y.copy_from_slice(x);
        if x[2] != 1.0 {
            return Err(42);
        }
        Ok(())
    };
    match fd::detect_sparsity(&failing, &x, n, &Options::new()) {
        Err(FdError::Callback {
            code: 42,
            evaluation: 4,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    // Learning on first use: a failure leaves nothing learned, the next call learns.
    let mut opts = Options::new();
    opts.set_learn_sparsity(true);
    let v = vec![1.0; n];
    assert!(fd::vjp(&failing, &x, &v, &opts).is_err());
    assert!(opts.learned_sparsity().is_none());
    assert!(!last_report().completed);
    let identity = |x: &[f64], y: &mut [f64]| {
        y.copy_from_slice(x);
        Ok(())
    };
    let grad = fd::vjp(&identity, &x, &v, &opts).unwrap();
    assert!(max_abs_diff(&grad, &v) < 1e-10);
    assert_eq!(opts.learned_sparsity().unwrap().group_count(), 1);
    // Another size with the same learned state: refused, naming both.
    let err = fd::vjp(&identity, &[1.0; 4], &[1.0; 4], &opts).unwrap_err();
    assert!(err.to_string().contains("n = 5, m = 5"), "{err}");
}

/// The Jacobian with a learned pattern: analytic values, zeros outside the pattern, and
/// the dense Jacobian (every entry) after a failed check.
#[test]
fn jacobian_with_learned_pattern() {
    let n = 30;
    let mut rng = Rng::new(3);
    let (x, _) = point(&mut rng, n);
    let g = Cell::new(0.0);
    let f = |x: &[f64], y: &mut [f64]| {
        chain(x, y, g.get());
        Ok(())
    };
    let jac_exact = |g: f64| {
        let mut jac = vec![0.0; n * n];
        for i in 0..n {
            let mut v = vec![0.0; n];
            v[i] = 1.0;
            let row = chain_vjp(&x, &v, g);
            jac[i * n..(i + 1) * n].copy_from_slice(&row);
        }
        jac
    };
    let mut opts = Options::new();
    opts.set_learned_sparsity(fd::detect_sparsity(&f, &x, n, &opts).unwrap(), n, n);
    let jac = fd::jacobian(&f, &x, n, &opts).unwrap();
    assert!(max_abs_diff(&jac, &jac_exact(0.0)) < 1e-9);
    assert_eq!(last_report().evaluations, 9);
    g.set(0.5);
    let jac = fd::jacobian(&f, &x, n, &opts).unwrap();
    assert!(last_report().sparsity_relearned);
    assert!(max_abs_diff(&jac, &jac_exact(0.5)) < 1e-9);
}

/// With bounds and x on them: detection probes inward, the check takes its one-sided
/// stencil, a right pattern passes and a coupling is still caught; f is never evaluated
/// outside the box.
#[test]
fn bounds_with_x_on_them() {
    let n = 40;
    let mut rng = Rng::new(5);
    let (mut x, v) = point(&mut rng, n);
    let lower: Vec<f64> = (0..n)
        .map(|i| if i % 3 == 0 { x[i] } else { 0.0 })
        .collect();
    let upper: Vec<f64> = (0..n)
        .map(|i| if i % 3 == 1 { x[i] } else { 3.0 })
        .collect();
    x[5] = upper[5].min(2.0);
    let g = Cell::new(0.0);
    let (lo, hi) = (lower.clone(), upper.clone());
    let f = |z: &[f64], y: &mut [f64]| {
        assert!(
            (0..n).all(|j| lo[j] <= z[j] && z[j] <= hi[j]),
            "outside the box"
        );
        chain(z, y, g.get());
        Ok(())
    };
    let mut opts = Options::new();
    opts.set_bounds(Some((lower, upper))).unwrap();
    let pattern = fd::detect_sparsity(&f, &x, n, &opts).unwrap();
    assert_eq!(pattern.nnz(), 3 * n - 2);
    opts.set_learned_sparsity(pattern, n, n);
    let grad = fd::vjp(&f, &x, &v, &opts).unwrap();
    let r = last_report();
    assert!(!r.sparsity_relearned && r.sparsity_check < 0.5, "{r:?}");
    assert!(max_abs_diff(&grad, &chain_vjp(&x, &v, 0.0)) < 1e-8);
    g.set(1e-3);
    let grad = fd::vjp(&f, &x, &v, &opts).unwrap();
    assert!(last_report().sparsity_relearned);
    assert!(max_abs_diff(&grad, &chain_vjp(&x, &v, 1e-3)) < 1e-8);
}
