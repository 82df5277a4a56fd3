//! Issue 11 item 3: the estimates stay honest where scales mix. Each entry's error against
//! the analytic derivative must be at most its error estimate (a NaN estimate is an honest
//! "unbounded"), over random points, directions and scales:
//!
//! - JVP of `sum_j log(x_j)` with some x_j tiny (1e-9..1e-3) and well-scaled others
//!   (0.3..3) whose entries of u are tiny (1e-300..1e-6): the step along u is set by the
//!   well-scaled elements, the derivative by the tiny ones (probe finding 16).
//! - VJP and Jacobian of `sin(x / s)` at `0 < |x| <= 1.5 s`, s from 1e-12 to 1e-6
//!   (finding 7).
//! - JVP of sin and cos sums at `|x|` from 1e8 to 1e13, where steps near ulp(x) no longer
//!   move x by what they say (finding 6).

use crate::common;

use common::Rng;
use fdvjp::fd::{jacobian_estimate, jvp_estimate, vjp_estimate, Estimate, Options};

type Scalar = fn(f64) -> f64;

/// Counts entries whose error exceeds their estimate, printing the first few.
struct Tally {
    name: &'static str,
    entries: usize,
    uncovered: usize,
    /// Calls that returned an error (a loud status).
    loud: usize,
    /// The largest error relative to the exact value's size, over the entries whose
    /// exact value is not 0.
    worst: f64,
}

impl Tally {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            entries: 0,
            uncovered: 0,
            loud: 0,
            worst: 0.0,
        }
    }

    fn check(&mut self, e: &Estimate, exact: &[f64], what: impl Fn() -> String) {
        for (k, &d) in exact.iter().enumerate() {
            self.entries += 1;
            let err = (e.value[k] - d).abs();
            if d != 0.0 {
                self.worst = self.worst.max(err / d.abs());
            }
            // NaN estimates say "unbounded", which is honest.
            if err > e.error[k] {
                self.uncovered += 1;
                if self.uncovered <= 5 {
                    eprintln!(
                        "{}: {} entry {k}: got {:e}, exact {:e}, estimate {:e}",
                        self.name,
                        what(),
                        e.value[k],
                        d,
                        e.error[k]
                    );
                }
            }
        }
    }

    fn report(&self) {
        eprintln!(
            "{}: {} of {} entries uncovered, {} calls with an error, largest relative error {:e}",
            self.name, self.uncovered, self.entries, self.loud, self.worst
        );
    }

    fn assert_none(&self) {
        self.report();
        assert_eq!(self.uncovered, 0, "{}", self.name);
    }
}

/// `10^a` for a uniform in `[lo, hi]`.
fn log_uniform(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    10f64.powf(lo + (hi - lo) * rng.uniform())
}

fn sign(rng: &mut Rng) -> f64 {
    if rng.uniform() < 0.5 {
        -1.0
    } else {
        1.0
    }
}

fn sum_of(g: fn(f64) -> f64) -> impl Fn(&[f64], &mut [f64]) -> Result<(), i32> {
    move |x, y| {
        y[0] = x.iter().map(|&v| g(v)).sum();
        Ok(())
    }
}

#[test]
fn jvp_of_logs_with_tiny_directions_on_well_scaled_elements() {
    let mut rng = Rng::new(16);
    let mut tally = Tally::new("log sum, mixed u");
    for _ in 0..300 {
        let n = 2 + (rng.next_u64() % 3) as usize;
        let mut x = vec![0.0; n];
        let mut u = vec![0.0; n];
        for j in 0..n {
            if j == 0 || rng.uniform() < 0.4 {
                // A well-scaled element moved by a tiny entry of u.
                x[j] = log_uniform(&mut rng, -0.5, 0.5);
                u[j] = sign(&mut rng) * log_uniform(&mut rng, -300.0, -6.0);
            } else {
                x[j] = log_uniform(&mut rng, -9.0, -3.0);
                u[j] = sign(&mut rng) * log_uniform(&mut rng, -0.5, 0.0);
            }
        }
        let exact: f64 = x.iter().zip(&u).map(|(xj, uj)| uj / xj).sum();
        // An error is a loud status, which is honest; it is counted, not failed.
        match jvp_estimate(&sum_of(f64::ln), &x, 1, &u, &Options::new()) {
            Ok(e) => tally.check(&e, &[exact], || format!("x = {x:?}, u = {u:?}")),
            Err(_) => tally.loud += 1,
        }
    }
    tally.assert_none();
}

#[test]
fn vjp_and_jacobian_of_a_short_sine_near_zero() {
    let mut rng = Rng::new(7);
    let mut vjp = Tally::new("sin(x/s) vjp");
    let mut jac = Tally::new("sin(x/s) jacobian");
    for _ in 0..400 {
        let s = log_uniform(&mut rng, -12.0, -6.0);
        let x = sign(&mut rng) * 1.5 * s * rng.uniform().max(1e-3);
        let f = move |x: &[f64], y: &mut [f64]| -> Result<(), i32> {
            y[0] = (x[0] / s).sin();
            Ok(())
        };
        let exact = [(x / s).cos() / s];
        let e = vjp_estimate(&f, &[x], &[1.0], &Options::new()).unwrap();
        vjp.check(&e, &exact, || format!("s = {s:e}, x = {x:e}"));
    }
    for _ in 0..40 {
        let s = log_uniform(&mut rng, -12.0, -6.0);
        let n = 8;
        let x: Vec<f64> = (0..n)
            .map(|_| sign(&mut rng) * 1.5 * s * rng.uniform().max(1e-3))
            .collect();
        let f = move |x: &[f64], y: &mut [f64]| -> Result<(), i32> {
            for (yi, xi) in y.iter_mut().zip(x) {
                *yi = (xi / s).sin();
            }
            Ok(())
        };
        let e = jacobian_estimate(&f, &x, n, &Options::new()).unwrap();
        let exact: Vec<f64> = (0..n * n)
            .map(|k| {
                let (i, j) = (k / n, k % n);
                if i == j {
                    (x[i] / s).cos() / s
                } else {
                    0.0
                }
            })
            .collect();
        jac.check(&e, &exact, || format!("s = {s:e}, x = {x:?}"));
    }
    vjp.report();
    jac.report();
    vjp.assert_none();
    jac.assert_none();
}

#[test]
fn jvp_of_sines_and_cosines_at_large_x() {
    let mut rng = Rng::new(6);
    let mut tally = Tally::new("sin/cos sum at 1e8..1e13");
    for call in 0..400 {
        let n = 2 + (rng.next_u64() % 7) as usize;
        let cosine = call % 2 == 1;
        let x: Vec<f64> = (0..n)
            .map(|_| sign(&mut rng) * log_uniform(&mut rng, 8.0, 13.0))
            .collect();
        let u: Vec<f64> = (0..n).map(|_| 2.0 * rng.uniform() - 1.0).collect();
        let (g, dg): (Scalar, Scalar) = if cosine {
            (f64::cos, |v| -v.sin())
        } else {
            (f64::sin, f64::cos)
        };
        let exact: f64 = x.iter().zip(&u).map(|(&xj, uj)| uj * dg(xj)).sum();
        let e = jvp_estimate(&sum_of(g), &x, 1, &u, &Options::new()).unwrap();
        tally.check(&e, &[exact], || {
            format!("cos {cosine}, x = {x:?}, u = {u:?}")
        });
    }
    // Along u the points x + o t u are rounded element by element; the estimate bounds
    // that rounding by `max_j |e_j / u_j| |J u|` (`richardson.rs`), which assumes the
    // terms `J_ij u_j` do not cancel. Where they do (J u near 0 between terms near 1) it
    // can fall short: 4 of 400 entries, by at most 4x. The coverage goal (98%)
    // is asserted at 1% here.
    tally.report();
    assert!(tally.uncovered * 100 <= tally.entries, "{}", tally.name);
}

/// The tester's cases (probe findings 16, 7, 6): on main the first two gave 6329.9 for 1e8
/// (estimate 1.5e4) and -5.685 for 9.96e8 (estimate 1.1e3), the third 1.9e-10 for
/// -0.0357 (estimate 1.5e-9).
#[test]
fn the_reported_cases() {
    for (x1, u0) in [(1e-8, 1e-10), (1e-4, 1e-10), (1e-6, 1e-10), (1e-8, 1e-300)] {
        for x0 in [1.0, 0.5, 3.0] {
            let (x, u) = ([x0, x1], [u0, 1.0]);
            let e = jvp_estimate(&sum_of(f64::ln), &x, 1, &u, &Options::new()).unwrap();
            let exact = u0 / x0 + 1.0 / x1;
            let err = (e.value[0] - exact).abs();
            assert!(
                err <= e.error[0] && err <= 1e-8 * exact,
                "{x:?} {u:?}: {e:?}"
            );
        }
    }
    let (s, x) = (1e-9, 8.500_000_000_000_002e-11);
    let f = move |x: &[f64], y: &mut [f64]| -> Result<(), i32> {
        y[0] = (x[0] / s).sin();
        Ok(())
    };
    let e = vjp_estimate(&f, &[x], &[1.0], &Options::new()).unwrap();
    let exact = (x / s).cos() / s;
    let err = (e.value[0] - exact).abs();
    assert!(err <= e.error[0] && err <= 1e-10 * exact, "{e:?}");
    let x = [1121296350000.0, -1217131840000.0];
    let u = [0.89, -0.7];
    let e = jvp_estimate(&sum_of(f64::sin), &x, 1, &u, &Options::new()).unwrap();
    let exact = u[0] * x[0].cos() + u[1] * x[1].cos();
    // At 1e12 along u the points' rounding (ulp 1.2e-4) leaves no accurate value: the
    // estimate must say so, by covering the error or by NaN (its tableaus see f vary
    // below their steps with an estimate above their value, and no smaller start
    // resolves it: `shaky` in `src/fd/richardson/resolve.rs`).
    assert!(
        e.error[0].is_nan() || (e.value[0] - exact).abs() <= e.error[0],
        "{e:?}"
    );
}
