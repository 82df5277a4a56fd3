//! The three estimate entry points (VJP along a random v, JVP along a random u, the
//! Jacobian) at one point against an exact Jacobian, shared by the estimate property tests
//! that keep their own tallies.

use super::Rng;
use fdvjp::fd::{jacobian_estimate, jvp_estimate, vjp_estimate, Estimate, Options};

/// A test function.
pub type Map = dyn Fn(&[f64], &mut [f64]) -> Result<(), i32>;

/// What a test counts of one estimate: its entries against `want`, with `slack` the
/// reference's own rounding per entry.
pub trait Checker {
    fn check(&mut self, what: &str, e: &Estimate, want: &[f64], slack: &[f64]);
}

/// The three estimates of f (n inputs, m outputs) at x, against the exact Jacobian `jac`
/// (row-major) and the reference rounding `round` of each of its entries.
pub fn all_three(
    f: &Map,
    x: &[f64],
    m: usize,
    jac: &[f64],
    round: &[f64],
    rng: &mut Rng,
    tally: &mut impl Checker,
) {
    let n = x.len();
    let opts = Options::new();
    let label = format!("x {x:?}");
    let v: Vec<f64> = (0..m).map(|_| 2.0 * rng.uniform() - 1.0).collect();
    let u: Vec<f64> = (0..n).map(|_| 2.0 * rng.uniform() - 1.0).collect();
    let j = |i: usize, k: usize| jac[i * n + k];
    let r = |i: usize, k: usize| round[i * n + k];
    let e = vjp_estimate(&f, x, &v, &opts).unwrap();
    let want: Vec<f64> = (0..n)
        .map(|k| (0..m).map(|i| v[i] * j(i, k)).sum())
        .collect();
    let slack: Vec<f64> = (0..n)
        .map(|k| (0..m).map(|i| (v[i] * r(i, k)).abs()).sum())
        .collect();
    tally.check(&format!("vjp {label}"), &e, &want, &slack);
    let e = jvp_estimate(&f, x, m, &u, &opts).unwrap();
    let want: Vec<f64> = (0..m)
        .map(|i| (0..n).map(|k| j(i, k) * u[k]).sum())
        .collect();
    let slack: Vec<f64> = (0..m)
        .map(|i| (0..n).map(|k| (r(i, k) * u[k]).abs()).sum())
        .collect();
    tally.check(&format!("jvp {label}"), &e, &want, &slack);
    let e = jacobian_estimate(&f, x, m, &opts).unwrap();
    tally.check(&format!("jacobian {label}"), &e, jac, round);
}

/// A [`Checker`] that counts entries, the unbounded ones (NaN estimate, allowed: loud) and
/// the uncovered ones (error beyond estimate plus slack, or a NaN value), described.
#[derive(Default)]
pub struct Coverage {
    pub entries: usize,
    pub unbounded: usize,
    pub uncovered: Vec<String>,
}

impl Checker for Coverage {
    fn check(&mut self, what: &str, e: &Estimate, want: &[f64], slack: &[f64]) {
        for k in 0..want.len() {
            self.entries += 1;
            let (got, err) = (e.value[k], e.error[k]);
            if err.is_nan() {
                self.unbounded += 1;
                continue;
            }
            let error = (got - want[k]).abs() - slack[k];
            if error > err || got.is_nan() {
                self.uncovered.push(format!(
                    "{what} entry {k}: {got:e} for {:e}, estimate {err:e} ({:.3e}x)",
                    want[k],
                    error / err
                ));
            }
        }
    }
}

impl Coverage {
    /// Prints the first uncovered entries and the counts; asserts at most `ceiling`
    /// entries uncovered.
    pub fn assert(&self, family: &str, ceiling: usize) {
        for o in self.uncovered.iter().take(20) {
            eprintln!("{o}");
        }
        eprintln!(
            "{family}: {} of {} entries uncovered, {} unbounded",
            self.uncovered.len(),
            self.entries,
            self.unbounded
        );
        assert!(
            self.uncovered.len() <= ceiling,
            "{family}: {} of {} entries uncovered",
            self.uncovered.len(),
            self.entries
        );
    }
}
