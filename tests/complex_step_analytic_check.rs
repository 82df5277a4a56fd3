//! The complex step refuses an f that is real on the real axis but not complex-analytic as
//! written (abs, conj, a real part inside), at every scale and through all three entry
//! points; it never refuses an analytic f. On main such an f gave a wrong derivative (0 for
//! `|z|`, -1 for `conj z`) with a bound of a few ulps and status OK (probe12 finding 6).

use fdvjp::fd::{jacobian_complex_step, jvp_complex_step, last_report, vjp_complex_step};
use fdvjp::fd::{Complex64, FdError, Options};

type Scalar = fn(Complex64) -> Complex64;

/// A name, f, and the derivative of f on the real axis.
type Analytic = (&'static str, Scalar, fn(f64) -> f64);

/// Real on the real axis, not analytic: the complex step's derivative is wrong by O(1) of
/// the true one at every x tried.
fn not_analytic() -> Vec<(&'static str, Scalar)> {
    vec![
        ("|z|", |z| Complex64::new(z.norm(), 0.0)),
        ("conj z", |z| z.conj()),
        ("z conj z", |z| z * z.conj()),
        ("Re(z) z", |z| z * z.re),
        ("sin z + |z|^2", |z| z.sin() + z.norm_sqr()),
        ("sqrt(z conj z) + sin z", |z| {
            (z * z.conj()).sqrt() + z.sin()
        }),
    ]
}

/// Analytic and real on the real axis near the points tried (x > 0).
fn analytic() -> Vec<Analytic> {
    vec![
        ("log", |z| z.ln(), |x| 1.0 / x),
        ("sqrt", |z| z.sqrt(), |x| 0.5 / x.sqrt()),
        ("1/z", |z| z.inv(), |x| -1.0 / (x * x)),
        ("sin", |z| z.sin(), f64::cos),
        ("z^3", |z| z * z * z, |x| 3.0 * x * x),
        ("exp(-z) z", |z| z * (-z).exp(), |x| (1.0 - x) * (-x).exp()),
        // Cancellation inside f: its real values lie on a grid far coarser than their
        // size near 0, where the complex step is right and real differences are not.
        ("e^z - 1", |z| z.exp() - 1.0, f64::exp),
    ]
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `f` applied to each of n inputs, output i the sum of `f(z_j)` weighted by `(i+1)^j`
/// (a dense Jacobian), for n and m from 1 to 3.
fn mixed(f: Scalar, m: usize) -> impl Fn(&[Complex64], &mut [Complex64]) -> Result<(), i32> {
    move |z: &[Complex64], w: &mut [Complex64]| {
        for (i, wi) in w.iter_mut().enumerate().take(m) {
            *wi = z
                .iter()
                .enumerate()
                .map(|(j, zj)| f(*zj) * ((i + 1) as f64).powi(j as i32))
                .sum();
        }
        Ok(())
    }
}

/// A point with elements of random scale 10^e, e uniform in `[lo, hi]`.
fn point(rng: &mut Rng, n: usize, lo: f64, hi: f64) -> Vec<f64> {
    (0..n)
        .map(|_| 10f64.powf(lo + (hi - lo) * rng.next()) * (1.0 + rng.next()))
        .collect()
}

#[test]
fn complex_step_refuses_f_not_analytic_at_every_scale() {
    let o = Options::new();
    let mut rng = Rng(0x0dd5_eed5_1234_5679);
    let (mut calls, mut refused) = (0, 0);
    for (name, f) in not_analytic() {
        for k in 0..80 {
            let n = 1 + k % 3;
            let m = 1 + (k / 3) % 3;
            // exp overflows beyond 709: scales up to 1e2.
            let x = point(&mut rng, n, -6.0, 2.0);
            let g = mixed(f, m);
            let v: Vec<f64> = (0..m).map(|i| 1.0 - 0.7 * i as f64).collect();
            // A direction on x's scale (along a badly scaled u the real central difference
            // is too coarse to tell: the check then gives no verdict).
            let u: Vec<f64> = x
                .iter()
                .enumerate()
                .map(|(j, xj)| (0.5 + j as f64) * xj.max(1.0))
                .collect();
            let results = [
                ("vjp", vjp_complex_step(&g, &x, &v, &o).err()),
                ("jvp", jvp_complex_step(&g, &x, m, &u, &o).err()),
                ("jacobian", jacobian_complex_step(&g, &x, m, &o).err()),
            ];
            for (entry, err) in results {
                calls += 1;
                match err {
                    Some(FdError::InvalidArgument(msg)) if msg.contains("not complex-analytic") => {
                        refused += 1
                    }
                    other => eprintln!("{name} {entry} case {k} x = {x:?}: {other:?}"),
                }
            }
        }
    }
    eprintln!("{calls} calls of non-analytic f: {refused} refused");
    assert_eq!(refused, calls, "a non-analytic f passed the complex step");
}

#[test]
fn complex_step_check_never_refuses_an_analytic_f() {
    let o = Options::new();
    let mut rng = Rng(0xa7a1_7f1c_0000_0013);
    let (mut calls, mut wrong) = (0, 0);
    let mut counts = std::collections::BTreeMap::new();
    for (name, f, df) in analytic() {
        for k in 0..200 {
            let n = 1 + k % 3;
            let m = 1 + (k / 3) % 3;
            // Scales from 1e-100 to 1e100 (num-complex's 1/z overflows from 1e-154 on, z^3
            // beyond 1e102), and mixed scales in one x.
            let x = if k % 4 == 0 {
                point(&mut rng, n, -12.0, 12.0)
            } else {
                let e = -100.0 + 200.0 * rng.next();
                point(&mut rng, n, e, e)
            };
            if name == "sin" && x.iter().any(|&xj| xj > 1e15) {
                continue; // sin's argument reduction, not the check, limits it there
            }
            if name == "e^z - 1" && x.iter().any(|&xj| xj > 700.0) {
                continue; // e^x overflows
            }
            let g = mixed(f, m);
            let d: Vec<f64> = x.iter().map(|&xj| df(xj)).collect();
            // J[i][j] = (i+1)^j f'(x_j).
            let jac: Vec<f64> = (0..m)
                .flat_map(|i| (0..n).map(move |j| ((i + 1) as f64).powi(j as i32)))
                .zip((0..m * n).map(|k| d[k % n]))
                .map(|(c, dj)| c * dj)
                .collect();
            for r in [
                jacobian_complex_step(&g, &x, m, &o),
                vjp_complex_step(&g, &x, &vec![1.0; m], &o),
            ] {
                calls += 1;
                let evaluations = last_report().evaluations;
                match r {
                    Ok(got) => {
                        *counts.entry(evaluations as i64 - n as i64).or_insert(0) += 1;
                        let exact: Vec<f64> = if got.len() == m * n {
                            jac.clone()
                        } else {
                            (0..n)
                                .map(|j| (0..m).map(|i| jac[i * n + j]).sum())
                                .collect()
                        };
                        let scale = exact.iter().fold(0.0f64, |a, e| a.max(e.abs()));
                        if got
                            .iter()
                            .zip(&exact)
                            .any(|(g, e)| (g - e).abs() > 1e-12 * scale || g.is_nan())
                        {
                            wrong += 1;
                            eprintln!("{name} case {k} x = {x:?}: {got:?} for {exact:?}");
                        }
                    }
                    Err(e) => {
                        wrong += 1;
                        eprintln!("{name} case {k} x = {x:?}: {e}");
                    }
                }
            }
        }
    }
    eprintln!("{calls} calls of analytic f: {wrong} refused or wrong; evaluations - n: {counts:?}");
    assert_eq!(wrong, 0);
}

/// A failure of f or a cancellation at any evaluation, the check's included, ends the call
/// with that error (never a result), for all three entry points, including a point where
/// the check's Richardson stage runs (x e^-x at 495).
#[test]
fn failures_inside_the_check_reach_the_caller() {
    use std::cell::Cell;
    struct Counted<'a> {
        calls: &'a Cell<usize>,
        fail_at: usize,
        cancel_at: usize,
    }
    impl fdvjp::fd::ComplexFunction for Counted<'_> {
        fn eval(&self, z: &[Complex64], w: &mut [Complex64]) -> Result<(), i32> {
            self.calls.set(self.calls.get() + 1);
            if self.calls.get() == self.fail_at {
                return Err(7);
            }
            for (i, wi) in w.iter_mut().enumerate() {
                *wi = z.iter().map(|zj| zj * (-zj).exp() * (i + 1) as f64).sum();
            }
            Ok(())
        }
        fn progress(&self, done: usize, _total: usize) -> bool {
            done != self.cancel_at
        }
    }
    let o = Options::new();
    let (mut injected, mut reported) = (0, 0);
    for x in [vec![0.3, 1.7], vec![495.5], vec![1e-3, 3e-7, 40.0]] {
        let (n, m) = (x.len(), 2);
        let calls = Cell::new(0);
        // Entry `entry` with f failing or cancelling at the given evaluation (0: never).
        let call = |entry: usize, fail_at: usize, cancel_at: usize| {
            calls.set(0);
            let g = Counted {
                calls: &calls,
                fail_at,
                cancel_at,
            };
            match entry {
                0 => vjp_complex_step(&g, &x, &[1.0, -1.0], &o).map(|_| ()),
                1 => jvp_complex_step(&g, &x, m, &vec![1.0; n], &o).map(|_| ()),
                _ => jacobian_complex_step(&g, &x, m, &o).map(|_| ()),
            }
        };
        for entry in 0..3 {
            call(entry, 0, 0).unwrap();
            let made = calls.get();
            for k in 1..=made {
                for (fail_at, cancel_at) in [(k, 0), (0, k)] {
                    injected += 1;
                    match call(entry, fail_at, cancel_at) {
                        Err(FdError::Callback { code: 7, .. }) if fail_at == k => reported += 1,
                        Err(FdError::Cancelled { .. }) if cancel_at == k => reported += 1,
                        other => eprintln!("x = {x:?} entry {entry} k {k}: {other:?}"),
                    }
                }
            }
        }
    }
    eprintln!("{injected} failures and cancels injected, {reported} reported");
    assert_eq!(reported, injected);
    assert!(injected > 60);
}
